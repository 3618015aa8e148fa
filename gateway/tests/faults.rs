//! Faults of subgraphs (down, slow, answering nonsense) and the sharing of identical work:
//! the rest of the response always comes back, with errors at the paths that miss data.

mod common;

use common::{
    closed_url, eventually, gated_subgraph, gateway, gateway_with, json_subgraph, post, query_of,
    raw_subgraph, representations,
};
use serde_json::{json, Value};

async fn organizations() -> String {
    let (url, _) = json_subgraph(|body| {
        let query = query_of(body);
        if query.contains("_entities") {
            let names = representations(body)
                .iter()
                .map(|unit| json!({"name": format!("unit {}", unit["id"].as_str().unwrap())}))
                .collect::<Vec<Value>>();
            json!({"data": {"_entities": names}})
        } else {
            json!({"data": {"unit": {"name": "市科协"}}})
        }
    })
    .await;
    url
}

#[tokio::test]
async fn a_subgraph_that_is_down_costs_only_its_own_fields() {
    let organizations = organizations().await;
    let talent = closed_url().await;
    let gateway = gateway(
        "hub.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
    )
    .await;
    let response = post(
        &gateway,
        r#"{ unit(id: "1") { name } worker(id: "w1") { name } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({
            "data": {"unit": {"name": "市科协"}, "worker": null},
            "errors": [{
                "message": "Could not fetch from subgraph \"talent\": the request failed: Connection refused (os error 111).",
                "path": ["worker"],
                "extensions": {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "talent"}
            }]
        })
    );
    gateway.stop().await;
}

#[tokio::test]
async fn a_subgraph_slower_than_its_timeout_is_abandoned_at_the_timeout() {
    let organizations = organizations().await;
    let (talent, _, _gate) =
        gated_subgraph(|_| json!({"data": {"worker": {"name": "never"}}})).await;
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
        // Talent alone is given a short timeout; the others keep the default.
        |config| config.with_subgraph_timeout("talent", std::time::Duration::from_millis(100)),
    )
    .await;
    let response = post(
        &gateway,
        r#"{ unit(id: "1") { name } worker(id: "w1") { name } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({
            "data": {"unit": {"name": "市科协"}, "worker": null},
            "errors": [{
                "message": "Could not fetch from subgraph \"talent\": no answer within 100 ms.",
                "path": ["worker"],
                "extensions": {"code": "SUBGRAPH_TIMEOUT", "serviceName": "talent"}
            }]
        })
    );
    gateway.stop().await;
}

#[tokio::test]
async fn a_failed_entity_fetch_nulls_only_the_entities_it_should_have_completed() {
    let (popularization, _) = json_subgraph(|_| {
        json!({"data": {"activities": [
            {"__typename": "Lecture", "title": "院士报告会", "speaker": {"__typename": "Worker", "id": "w3"}},
            {"__typename": "Exhibition", "title": "科普展"}
        ]}})
    })
    .await;
    let talent = closed_url().await;
    let gateway = gateway(
        "hub.graphql",
        &[("popularization", &popularization), ("talent", &talent)],
    )
    .await;
    let response = post(
        &gateway,
        r#"{ activities { title ... on Lecture { speaker { name } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({
            "data": {"activities": [
                {"title": "院士报告会", "speaker": null},
                {"title": "科普展"}
            ]},
            "errors": [{
                "message": "Could not fetch from subgraph \"talent\": the request failed: Connection refused (os error 111).",
                "path": ["activities", 0, "speaker", "name"],
                "extensions": {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "talent"}
            }]
        })
    );
    gateway.stop().await;
}

#[tokio::test]
async fn answers_that_are_not_graphql_responses_become_errors() {
    for (subgraph, message, code) in [
        (
            raw_subgraph(500, "text/plain", "boom").await,
            "Could not fetch from subgraph \"organizations\": it answered with HTTP status 500.",
            "SUBGRAPH_REQUEST_FAILED",
        ),
        (
            raw_subgraph(200, "application/json", "[1, 2]").await,
            "Could not fetch from subgraph \"organizations\": the answer is not a GraphQL response.",
            "SUBGRAPH_RESPONSE_INVALID",
        ),
        (
            raw_subgraph(200, "application/json", "{\"data\": ").await,
            "Could not fetch from subgraph \"organizations\": the answer is not a GraphQL response.",
            "SUBGRAPH_RESPONSE_INVALID",
        ),
    ] {
        let gateway = gateway("hub.graphql", &[("organizations", &subgraph)]).await;
        let response = post(&gateway, r#"{ unit(id: "1") { name } }"#, json!({})).await;
        assert_eq!(
            response,
            json!({
                "data": {"unit": null},
                "errors": [{
                    "message": message,
                    "path": ["unit"],
                    "extensions": {"code": code, "serviceName": "organizations"}
                }]
            })
        );
        gateway.stop().await;
    }
}

#[tokio::test]
async fn a_value_of_the_wrong_shape_is_an_error_at_its_path() {
    let (organizations, _) = json_subgraph(|_| {
        json!({"data": {"units": [
            {"name": "市科协", "kind": "CITY"},
            {"name": "东区科协", "kind": "TOWNSHIP"}
        ], "unit": "not an object"}})
    })
    .await;
    let gateway = gateway("hub.graphql", &[("organizations", &organizations)]).await;
    let response = post(
        &gateway,
        r#"{ unit(id: "1") { name } units { name kind } }"#,
        json!({}),
    )
    .await;
    // units is [Unit!]!: the bad enum value nulls its unit, which nulls the whole list, which
    // nulls data.
    assert_eq!(
        response,
        json!({
            "data": null,
            "errors": [
                {
                    "message": "A subgraph returned an invalid value for Query.unit: expected an object.",
                    "locations": [{"line": 1, "column": 3}],
                    "path": ["unit"],
                    "extensions": {"code": "SUBGRAPH_RESPONSE_INVALID"}
                },
                {
                    "message": "A subgraph returned an invalid value for Unit.kind: expected a value of enum UnitKind.",
                    "locations": [{"line": 1, "column": 39}],
                    "path": ["units", 1, "kind"],
                    "extensions": {"code": "SUBGRAPH_RESPONSE_INVALID"}
                }
            ]
        })
    );
    gateway.stop().await;
}

#[tokio::test]
async fn an_entity_that_appears_twice_is_represented_once() {
    let (organizations, _) = json_subgraph(|_| {
        json!({"data": {"units": [
            {"__typename": "Unit", "id": "2"},
            {"__typename": "Unit", "id": "3"},
            {"__typename": "Unit", "id": "2"}
        ]}})
    })
    .await;
    let (talent, received) = json_subgraph(|body| {
        let entities = representations(body)
            .iter()
            .map(|unit| json!({"workers": [{"name": format!("worker of {}", unit["id"].as_str().unwrap())}]}))
            .collect::<Vec<Value>>();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let gateway = gateway(
        "hub.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
    )
    .await;
    let response = post(&gateway, r#"{ units { workers { name } } }"#, json!({})).await;
    assert_eq!(
        response,
        json!({"data": {"units": [
            {"workers": [{"name": "worker of 2"}]},
            {"workers": [{"name": "worker of 3"}]},
            {"workers": [{"name": "worker of 2"}]}
        ]}})
    );
    assert_eq!(
        representations(&received.all()[0]),
        vec![
            json!({"__typename": "Unit", "id": "2"}),
            json!({"__typename": "Unit", "id": "3"})
        ]
    );
    gateway.stop().await;
}

#[tokio::test]
async fn identical_subgraph_fetches_in_flight_are_sent_once() {
    let (organizations, received, gate) =
        gated_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let gateway = gateway("hub.graphql", &[("organizations", &organizations)]).await;
    let metrics = gateway.metrics();
    let first = post(&gateway, r#"{ unit(id: "1") { name } }"#, json!({}));
    let second = post(&gateway, r#"{ unit(id: "1") { name } }"#, json!({}));
    let release = async {
        eventually("the second fetch to join the first", || {
            metrics.snapshot().deduplicated_subgraph_fetches == 1
        })
        .await;
        gate.add_permits(10);
    };
    let (first, second, ()) = tokio::join!(first, second, release);
    let expected = json!({"data": {"unit": {"name": "市科协"}}});
    assert_eq!((first, second), (expected.clone(), expected));
    assert_eq!(received.count(), 1);
    gateway.stop().await;
}

#[tokio::test]
async fn mutations_are_never_shared() {
    let (organizations, received, gate) =
        gated_subgraph(|_| json!({"data": {"renameUnit": {"name": "东区"}}})).await;
    let gateway = gateway("hub.graphql", &[("organizations", &organizations)]).await;
    let mutation = r#"mutation { renameUnit(id: "2", name: "东区") { name } }"#;
    let first = post(&gateway, mutation, json!({}));
    let second = post(&gateway, mutation, json!({}));
    let release = async {
        eventually("both mutations to reach the subgraph", || {
            received.count() == 2
        })
        .await;
        gate.add_permits(10);
    };
    let (first, second, ()) = tokio::join!(first, second, release);
    assert_eq!(first, second);
    assert_eq!(
        gateway.metrics().snapshot().deduplicated_subgraph_fetches,
        0
    );
    gateway.stop().await;
}

#[tokio::test]
async fn identical_client_queries_share_one_execution_when_asked_to() {
    let (organizations, received, gate) =
        gated_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations)],
        |mut config| {
            config.dedup_client_queries = true;
            config.dedup_subgraph_fetches = false;
            config
        },
    )
    .await;
    let metrics = gateway.metrics();
    let query = r#"query($id: ID!) { unit(id: $id) { name } }"#;
    let first = post(&gateway, query, json!({"id": "1"}));
    let second = post(&gateway, query, json!({"id": "1"}));
    let release = async {
        eventually("the second query to join the first", || {
            metrics.snapshot().deduplicated_client_queries == 1
        })
        .await;
        gate.add_permits(10);
    };
    let (first, second, ()) = tokio::join!(first, second, release);
    assert_eq!(first, second);
    assert_eq!(received.count(), 1);
    gateway.stop().await;
}

//! Faults of subgraphs (down, slow, answering nonsense): the rest of the response always
//! comes back, with errors at the paths that miss data. And the sharing of identical work,
//! by arrival and by data versions.

mod common;

use common::{
    eventually, gated_subgraph, gateway, gateway_with, json_subgraph, post, query_of, raw_subgraph,
    representations,
};
use kexie_testkit::ClosedPort;
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
    let talent = ClosedPort::new();
    let gateway = gateway(
        "hub.graphql",
        &[
            ("organizations", &organizations),
            ("talent", &talent.graphql_url()),
        ],
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
    let talent = ClosedPort::new();
    let gateway = gateway(
        "hub.graphql",
        &[
            ("popularization", &popularization),
            ("talent", &talent.graphql_url()),
        ],
    )
    .await;
    let response = post(
        &gateway,
        r#"{ activities { title ... on Lecture { speaker { name } } } }"#,
        json!({}),
    )
    .await;
    insta::assert_json_snapshot!(response);
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
    insta::assert_json_snapshot!(response);
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
async fn identical_subgraph_fetches_in_flight_are_shared_only_with_reads_that_began_before_them() {
    let (organizations, received, gate) =
        gated_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let gateway = gateway("hub.graphql", &[("organizations", &organizations)]).await;
    let metrics = gateway.metrics();
    let query = r#"{ unit(id: "1") { name } }"#;
    // Two reads arriving together: the second may share the first one's fetch if it began
    // before that fetch was sent; either way both get the answer.
    let first = post(&gateway, query, json!({}));
    let second = post(&gateway, query, json!({}));
    let release = async {
        eventually("both reads to be on their way", || {
            received.count() + metrics.snapshot().deduplicated_subgraph_fetches as usize == 2
        })
        .await;
        gate.add_permits(10);
    };
    let (first, second, ()) = tokio::join!(first, second, release);
    let expected = json!({"data": {"unit": {"name": "市科协"}}});
    assert_eq!((first, second), (expected.clone(), expected.clone()));

    // A read that arrives once a fetch is under way could miss a write acknowledged in
    // between: it sends its own.
    let sent = received.count();
    let shared = metrics.snapshot().deduplicated_subgraph_fetches;
    let third = tokio::spawn({
        let url = gateway.graphql_url();
        async move { common::post_url(&url, r#"{ unit(id: "1") { name } }"#, json!({})).await }
    });
    eventually("the third read's fetch", || received.count() == sent + 1).await;
    let fourth = post(&gateway, query, json!({}));
    let release = async {
        eventually("the fourth read's own fetch", || {
            received.count() == sent + 2
        })
        .await;
        gate.add_permits(10);
    };
    let (fourth, ()) = tokio::join!(fourth, release);
    assert_eq!(third.await.unwrap(), expected);
    assert_eq!(fourth, expected);
    assert_eq!(metrics.snapshot().deduplicated_subgraph_fetches, shared);
    gateway.stop().await;
}

/// Sets every subgraph's data version of `hub.graphql` under `namespace`, as their leases
/// would.
async fn set_versions(namespace: &str, version: i64) {
    let mut redis = redis::Client::open(kexie_testkit::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    for subgraph in ["organizations", "popularization", "talent"] {
        let _: () = redis::cmd("SET")
            .arg(kexie_contract::data_version::version_key(
                namespace, subgraph,
            ))
            .arg(version)
            .arg("PX")
            .arg(60_000)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn under_unchanged_data_versions_a_read_shares_a_fetch_begun_before_it_and_not_after_a_write()
{
    let (organizations, received, gate) =
        gated_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let namespace = format!("kexie-test-{}", uuid::Uuid::now_v7());
    set_versions(&namespace, 1).await;
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations)],
        |config| config.with_response_cache(&kexie_testkit::redis_url(), &namespace),
    )
    .await;
    let metrics = gateway.metrics();
    let read = || {
        let url = gateway.graphql_url();
        tokio::spawn(async move {
            common::post_url(&url, r#"{ unit(id: "1") { name } }"#, json!({})).await
        })
    };
    // The first read, alone, reads no versions: its fetch promises only to have begun
    // after it arrived.
    let first = read();
    eventually("the first read's fetch", || received.count() == 1).await;
    // The second reads the versions, which the first fetch cannot promise: it sends its own.
    let second = read();
    eventually("the second read's fetch", || received.count() == 2).await;
    // The third arrives after that fetch began, under the same versions: it shares it.
    let third = read();
    eventually("the third read to share the second's fetch", || {
        metrics.snapshot().deduplicated_subgraph_fetches == 1
    })
    .await;
    // A write is acknowledged (its subgraph's version moved first): the fourth read may not
    // share a fetch begun before it.
    set_versions(&namespace, 2).await;
    let fourth = read();
    eventually("the fourth read's own fetch", || received.count() == 3).await;
    // And a fifth, under the new versions, shares the fourth's.
    let fifth = read();
    eventually("the fifth read to share the fourth's fetch", || {
        metrics.snapshot().deduplicated_subgraph_fetches == 2
    })
    .await;
    gate.add_permits(10);
    let expected = json!({"data": {"unit": {"name": "市科协"}}});
    for answer in [first, second, third, fourth, fifth] {
        assert_eq!(answer.await.unwrap(), expected);
    }
    assert_eq!(received.count(), 3);
    assert_eq!(metrics.snapshot().deduplicated_subgraph_fetches, 2);
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
async fn identical_client_queries_share_an_execution_only_with_reads_that_began_before_it() {
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
        eventually("both queries to be on their way", || {
            received.count() + metrics.snapshot().deduplicated_client_queries as usize == 2
        })
        .await;
        gate.add_permits(10);
    };
    let (first, second, ()) = tokio::join!(first, second, release);
    assert_eq!(first, second);

    // Once an execution is under way, a new arrival runs its own.
    let sent = received.count();
    let shared = metrics.snapshot().deduplicated_client_queries;
    let third = tokio::spawn({
        let url = gateway.graphql_url();
        async move {
            common::post_url(
                &url,
                r#"query($id: ID!) { unit(id: $id) { name } }"#,
                json!({"id": "1"}),
            )
            .await
        }
    });
    eventually("the third query's fetch", || received.count() == sent + 1).await;
    let fourth = post(&gateway, query, json!({"id": "1"}));
    let release = async {
        eventually("the fourth query's own fetch", || {
            received.count() == sent + 2
        })
        .await;
        gate.add_permits(10);
    };
    let (fourth, ()) = tokio::join!(fourth, release);
    assert_eq!(third.await.unwrap(), fourth);
    assert_eq!(metrics.snapshot().deduplicated_client_queries, shared);
    gateway.stop().await;
}

#[tokio::test]
async fn at_the_request_deadline_the_client_gets_what_arrived_with_an_error() {
    let organizations = organizations().await;
    // Talent never answers, and its own timeout is far longer than the request's deadline.
    let (talent, _, _gate) =
        gated_subgraph(|_| json!({"data": {"worker": {"name": "never"}}})).await;
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
        |mut config| {
            config.request_timeout = std::time::Duration::from_millis(300);
            config.with_subgraph_timeout("talent", std::time::Duration::from_secs(60))
        },
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
                "message": "Could not fetch from subgraph \"talent\": no answer before the request's deadline (300 ms after it arrived).",
                "path": ["worker"],
                "extensions": {"code": "REQUEST_DEADLINE_EXCEEDED", "serviceName": "talent"}
            }]
        })
    );
    gateway.stop().await;
}

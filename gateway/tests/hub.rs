//! The gateway over three async-graphql subgraphs (`fixtures/hub.graphql`): the queries a
//! front-end team writes, checked response by response (the larger ones as snapshots in
//! `snapshots/`, reviewed with `cargo insta review`).

mod common;

use common::hub::Hub;
use common::{gateway, post};
use serde_json::json;

#[tokio::test]
async fn a_query_across_three_subgraphs_is_answered_in_the_clients_shape() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let response = post(
        &gateway,
        r#"{
            units(kind: DISTRICT) {
                id
                name
                workers { name homeUnit { name } }
                activities { title ... on Lecture { speaker { name } } ... on Exhibition { venue } }
            }
        }"#,
        json!({}),
    )
    .await;
    insta::assert_json_snapshot!(response);
    gateway.stop().await;
}

#[tokio::test]
async fn aliases_fragments_and_typename_shape_the_response() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let response = post(
        &gateway,
        r#"
        query Overview {
            __typename
            city: unit(id: "1") {
                __typename
                ...UnitName
                districts: children { ...UnitName kind }
                label: name
            }
        }
        fragment UnitName on Unit { id name }
        "#,
        json!({}),
    )
    .await;
    insta::assert_json_snapshot!(response);
    gateway.stop().await;
}

#[tokio::test]
async fn skip_and_include_follow_their_variables() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let query = r#"query($withWorkers: Boolean!, $noName: Boolean = false) {
        unit(id: "3") {
            name @skip(if: $noName)
            workers @include(if: $withWorkers) { name }
        }
    }"#;
    assert_eq!(
        post(&gateway, query, json!({"withWorkers": true})).await,
        json!({"data": {"unit": {"name": "西区科协", "workers": [{"name": "王五"}]}}})
    );
    assert_eq!(
        post(
            &gateway,
            query,
            json!({"withWorkers": false, "noName": true})
        )
        .await,
        json!({"data": {"unit": {}}})
    );
    gateway.stop().await;
}

#[tokio::test]
async fn a_union_from_one_subgraph_is_completed_by_another() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let response = post(
        &gateway,
        r#"{ search(text: "东") { __typename ... on Unit { name kind } ... on Worker { name } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"search": [{"__typename": "Unit", "name": "东区科协", "kind": "DISTRICT"}]}})
    );
    gateway.stop().await;
}

#[tokio::test]
async fn an_interface_leads_through_an_entity_chain_of_three_subgraphs() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let response = post(
        &gateway,
        r#"{ activities { __typename id ... on Lecture { speaker { name homeUnit { name parent { name } } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"activities": [
            {"__typename": "Lecture", "id": "a1", "speaker": {"name": "王五", "homeUnit": {"name": "西区科协", "parent": {"name": "市科协"}}}},
            {"__typename": "Exhibition", "id": "a2"},
            {"__typename": "Lecture", "id": "a3", "speaker": null}
        ]}})
    );
    gateway.stop().await;
}

#[tokio::test]
async fn mutations_run_in_the_order_written() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let response = post(
        &gateway,
        r#"mutation($input: AddWorkerInput!) {
            first: renameUnit(id: "2", name: "东区") { name }
            added: addWorker(input: $input) { name title homeUnit { name } }
            second: renameUnit(id: "2", name: "东城区") { name workers(first: 1) { name } }
        }"#,
        json!({"input": {"name": "钱七", "unitId": "2"}}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {
            "first": {"name": "东区"},
            "added": {"name": "钱七", "title": "junior", "homeUnit": {"name": "东城区"}},
            "second": {"name": "东城区", "workers": [{"name": "张三"}]}
        }})
    );
    assert_eq!(
        *hub.renames.0.lock().unwrap(),
        vec![
            ("2".to_string(), "东区".to_string()),
            ("2".to_string(), "东城区".to_string())
        ]
    );
    assert_eq!(*hub.added.0.lock().unwrap(), vec!["钱七".to_string()]);
    gateway.stop().await;
}

#[tokio::test]
async fn subgraph_errors_are_passed_on_at_the_clients_path() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let response = post(
        &gateway,
        r#"{ unit(id: "2") { name staff: workers { name title } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({
            "data": {"unit": {"name": "东区科协", "staff": [
                {"name": "张三", "title": "研究员"},
                {"name": "李四", "title": null}
            ]}},
            "errors": [{"message": "the title of w2 is withheld", "path": ["unit", "staff", 1, "title"]}]
        })
    );
    gateway.stop().await;
}

#[tokio::test]
async fn a_null_in_a_non_null_field_nulls_the_nearest_nullable_ancestor() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    // Unit 9's name fails in organizations; Worker.homeUnit and Unit.name are non-null, so
    // the worker itself becomes null, and the error keeps the path of the failing field.
    let response = post(
        &gateway,
        r#"{ worker(id: "w9") { name homeUnit { id name } } other: worker(id: "w1") { name } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({
            "data": {"worker": null, "other": {"name": "张三"}},
            "errors": [{
                "message": "the name of unit 9 is unavailable",
                "path": ["worker", "homeUnit", "name"],
                "extensions": {"code": "NOT_FOUND"}
            }]
        })
    );
    gateway.stop().await;
}

#[tokio::test]
async fn variables_with_defaults_reach_the_subgraph_coerced() {
    let hub = Hub::start().await;
    let gateway = gateway("hub.graphql", &hub.urls()).await;
    let query =
        r#"query($id: ID!, $first: Int = 1) { unit(id: $id) { workers(first: $first) { id } } }"#;
    assert_eq!(
        post(&gateway, query, json!({"id": 2})).await,
        json!({"data": {"unit": {"workers": [{"id": "w1"}]}}})
    );
    assert_eq!(
        post(&gateway, query, json!({"id": "2", "first": 5})).await,
        json!({"data": {"unit": {"workers": [{"id": "w1"}, {"id": "w2"}]}}})
    );
    gateway.stop().await;
}

//! The gateway over three async-graphql subgraphs (`fixtures/hub.graphql`): the queries a
//! front-end team writes, checked response by response.

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
    assert_eq!(
        response,
        json!({"data": {"units": [
            {
                "id": "2",
                "name": "东区科协",
                "workers": [
                    {"name": "张三", "homeUnit": {"name": "东区科协"}},
                    {"name": "李四", "homeUnit": {"name": "东区科协"}}
                ],
                "activities": [
                    {"title": "科普展", "venue": "科技馆"},
                    {"title": "科普讲座", "speaker": null}
                ]
            },
            {
                "id": "3",
                "name": "西区科协",
                "workers": [{"name": "王五", "homeUnit": {"name": "西区科协"}}],
                "activities": []
            }
        ]}})
    );
    gateway.stop().await;
}

//! The gateway over a supergraph composed by `graphql-composition` (the composer the repo
//! uses for `schema/supergraph.graphql`) from the SDL the async-graphql subgraphs export.
//! That composer leaves `@join__type` off the root types; the gateway adds it back.

mod common;

use common::hub::{sdls, Hub};
use common::{gateway_with, post};
use serde_json::json;

fn compose() -> String {
    let mut subgraphs = graphql_composition::Subgraphs::default();
    for (name, sdl) in sdls() {
        subgraphs
            .ingest_str(&sdl, name, Some("http://127.0.0.1:1/graphql"))
            .unwrap();
    }
    let graph = graphql_composition::compose(&mut subgraphs)
        .into_result()
        .expect("the hub subgraphs compose");
    graphql_composition::render_federated_sdl(&graph).unwrap()
}

#[tokio::test]
async fn a_composed_supergraph_is_served_even_without_root_join_types() {
    let supergraph = compose();
    let query_type = supergraph
        .split("\ntype Query")
        .nth(1)
        .and_then(|rest| rest.split('{').next())
        .unwrap_or_default()
        .to_string();
    assert!(
        !query_type.contains("@join__type"),
        "the composer now emits root join types; this test no longer covers the patch"
    );
    let path = std::env::temp_dir().join(format!(
        "kexie-gateway-composed-{}.graphql",
        std::process::id()
    ));
    std::fs::write(&path, &supergraph).unwrap();
    let hub = Hub::start().await;
    let file = path.clone();
    let gateway = gateway_with("hub.graphql", &hub.urls(), |mut config| {
        config.supergraph = file;
        config
    })
    .await;
    let response = post(
        &gateway,
        r#"{ units(kind: DISTRICT) { name workers { name } activities { title } } search(text: "王") { ... on Worker { homeUnit { name } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {
            "units": [
                {"name": "东区科协", "workers": [{"name": "张三"}, {"name": "李四"}], "activities": [{"title": "科普展"}, {"title": "科普讲座"}]},
                {"name": "西区科协", "workers": [{"name": "王五"}], "activities": []}
            ],
            "search": [{"homeUnit": {"name": "西区科协"}}]
        }})
    );
    gateway.stop().await;
    let _ = std::fs::remove_file(path);
}

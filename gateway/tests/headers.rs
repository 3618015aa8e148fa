//! Header rules: client headers passed on to every subgraph or to one, under their name or
//! another; headers of fixed value inserted; headers removed for one subgraph — each
//! subgraph gets what its rules say, and nothing the gateway sets itself can be overridden.

mod common;

use common::{gateway_with, header_subgraph, post_with, ReceivedHeaders};
use kexie_gateway::SubgraphHeaders;
use serde_json::json;

fn sent(received: &ReceivedHeaders, name: &str) -> Vec<String> {
    received.all()[0]
        .get_all(name)
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_subgraph_gets_the_headers_its_rules_give() {
    let (organizations, to_organizations) =
        header_subgraph(|_, _| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let (talent, to_talent) =
        header_subgraph(|_, _| json!({"data": {"worker": {"name": "王芳"}}})).await;
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
        |mut config| {
            config.forward_headers = vec![
                "authorization".to_string(),
                "x-tenant:x-unit-tenant".to_string(),
                "x-debug".to_string(),
            ];
            config.insert_headers = vec!["x-hub=kexie".to_string()];
            config.with_subgraph_headers(
                "talent",
                SubgraphHeaders {
                    forward: vec!["x-region".to_string()],
                    insert: vec!["x-hub=talent".to_string()],
                    remove: vec!["x-debug".to_string()],
                },
            )
        },
    )
    .await;
    let (status, _, body) = post_with(
        &gateway,
        json!({"query": r#"{ unit(id: "1") { name } worker(id: "w1") { name } }"#}),
        &[
            ("x-tenant", "510700"),
            ("x-debug", "1"),
            ("x-region", "west"),
            ("x-hub", "from the client"),
            ("x-other", "never asked for"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!({"unit": {"name": "市科协"}, "worker": {"name": "王芳"}})
    );

    // Every subgraph: the tenant renamed, the debug flag, the hub's own value.
    assert_eq!(sent(&to_organizations, "x-unit-tenant"), ["510700"]);
    assert!(sent(&to_organizations, "x-tenant").is_empty());
    assert_eq!(sent(&to_organizations, "x-debug"), ["1"]);
    assert_eq!(sent(&to_organizations, "x-hub"), ["kexie"]);
    assert!(sent(&to_organizations, "x-region").is_empty());
    assert!(sent(&to_organizations, "x-other").is_empty());

    // Talent: also the region, its own x-hub, no debug flag.
    assert_eq!(sent(&to_talent, "x-unit-tenant"), ["510700"]);
    assert_eq!(sent(&to_talent, "x-region"), ["west"]);
    assert_eq!(sent(&to_talent, "x-hub"), ["talent"]);
    assert!(sent(&to_talent, "x-debug").is_empty());
    assert!(sent(&to_talent, "x-other").is_empty());
    gateway.stop().await;
}

#[tokio::test]
async fn rules_that_would_set_what_the_gateway_sets_stop_it_from_starting() {
    for adjust in [
        (|mut config: kexie_gateway::GatewayConfig| {
            config.insert_headers = vec!["content-type=text/plain".to_string()];
            config
        }) as fn(kexie_gateway::GatewayConfig) -> kexie_gateway::GatewayConfig,
        |config| {
            config.with_subgraph_headers(
                "talent",
                SubgraphHeaders {
                    forward: vec!["x-forged:kexie-principal".to_string()],
                    ..SubgraphHeaders::default()
                },
            )
        },
    ] {
        let config = adjust(kexie_gateway::GatewayConfig::new(
            common::fixture("hub.graphql"),
            "127.0.0.1:0".parse().unwrap(),
        ));
        let error = kexie_gateway::build(config).await.err().expect("refused");
        assert!(format!("{error:#}").contains("sets"), "{error:#}");
    }
}

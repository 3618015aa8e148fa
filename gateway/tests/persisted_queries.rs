//! Automatic persisted queries (Apollo's protocol): a hash alone is refused until the query
//! is sent with it, then runs — on this gateway and on every gateway sharing its Redis —
//! under concurrency too; a hash that is not the query's registers nothing; trusted
//! documents only forbids registering; turned off, every hash is unknown.

mod common;

use common::{gateway_with, json_subgraph, post_raw};
use kexie_gateway::trusted_documents::sha256_hex;
use kexie_gateway::GatewayHandle;
use serde_json::{json, Value};

const QUERY: &str = "{ unit(id: \"1\") { name } }";

async fn start(
    namespace: &str,
    adjust: impl FnOnce(kexie_gateway::GatewayConfig) -> kexie_gateway::GatewayConfig + Send + 'static,
) -> GatewayHandle {
    let (url, _) = json_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let namespace = namespace.to_string();
    gateway_with(
        "hub.graphql",
        &[("organizations", &url)],
        move |mut config| {
            // The test's keys leave the shared Redis soon after.
            config.persisted_query_ttl = std::time::Duration::from_secs(60);
            adjust(config.with_partner_rate_limit(&kexie_testkit::redis_url(), &namespace))
        },
    )
    .await
}

fn namespace() -> String {
    format!("kexie-test-apq-{}", uuid::Uuid::now_v7().simple())
}

/// Sends `body`; returns the answer's `extensions.code` of its first error, or the unit's
/// name.
async fn ask(gateway: &GatewayHandle, body: Value) -> String {
    let (_, _, text) = post_raw(
        gateway,
        body.to_string(),
        &[("content-type", "application/json")],
    )
    .await;
    let answer: Value = serde_json::from_str(&text).unwrap();
    match answer["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_string(),
        None => answer["data"]["unit"]["name"].as_str().unwrap().to_string(),
    }
}

fn hash_only(query: &str) -> Value {
    json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}})
}

fn with_query(query: &str, hash: &str) -> Value {
    json!({"query": query, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}})
}

#[tokio::test]
async fn a_query_sent_with_its_hash_then_runs_by_hash_on_every_gateway_sharing_redis() {
    let namespace = namespace();
    let first = start(&namespace, |config| config).await;
    let second = start(&namespace, |config| config).await;
    assert_eq!(
        ask(&first, hash_only(QUERY)).await,
        "PERSISTED_QUERY_NOT_FOUND"
    );
    // A hash that is not the query's: refused, nothing registered.
    assert_eq!(
        ask(&first, with_query(QUERY, &sha256_hex("{ other }"))).await,
        "BAD_REQUEST"
    );
    assert_eq!(
        ask(&first, hash_only(QUERY)).await,
        "PERSISTED_QUERY_NOT_FOUND"
    );

    assert_eq!(
        ask(&first, with_query(QUERY, &sha256_hex(QUERY))).await,
        "市科协"
    );
    assert_eq!(ask(&first, hash_only(QUERY)).await, "市科协");
    assert_eq!(
        ask(&second, hash_only(QUERY)).await,
        "市科协",
        "through Redis"
    );
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn clients_racing_on_two_gateways_all_get_their_answers() {
    let namespace = namespace();
    let gateways = [
        start(&namespace, |config| config).await,
        start(&namespace, |config| config).await,
    ];
    // Forty clients, each with its own query (an alias makes it distinct), half on each
    // gateway, following the protocol: the hash, on a miss the query with it, then the
    // hash again — which must run, whichever gateway registered it.
    let mut clients = Vec::new();
    for client in 0..40 {
        let gateway = &gateways[client % 2];
        let other = &gateways[(client + 1) % 2];
        let query = format!("{{ unit(id: \"1\") {{ name }} c{client}: __typename }}");
        clients.push(async move {
            let first = ask(gateway, hash_only(&query)).await;
            if first == "PERSISTED_QUERY_NOT_FOUND" {
                assert_eq!(
                    ask(gateway, with_query(&query, &sha256_hex(&query))).await,
                    "市科协"
                );
            } else {
                assert_eq!(first, "市科协");
            }
            assert_eq!(
                ask(other, hash_only(&query)).await,
                "市科协",
                "client {client}"
            );
        });
    }
    futures::future::join_all(clients).await;
    for gateway in gateways {
        gateway.stop().await;
    }
}

#[tokio::test]
async fn trusted_documents_only_and_turned_off_register_nothing() {
    let manifest = std::env::temp_dir().join(format!("kexie-apq-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(
        &manifest,
        json!({ sha256_hex("{ __typename }"): "{ __typename }" }).to_string(),
    )
    .unwrap();
    let only = start(&namespace(), {
        let manifest = manifest.clone();
        move |mut config| {
            config.trusted_documents = Some(manifest);
            config.trusted_documents_only = true;
            config
        }
    })
    .await;
    assert_eq!(
        ask(&only, with_query(QUERY, &sha256_hex(QUERY))).await,
        "UNTRUSTED_DOCUMENT"
    );
    assert_eq!(
        ask(&only, hash_only(QUERY)).await,
        "PERSISTED_QUERY_NOT_FOUND"
    );
    only.stop().await;
    std::fs::remove_file(manifest).unwrap();

    let off = start(&namespace(), |mut config| {
        config.persisted_queries = false;
        config
    })
    .await;
    assert_eq!(
        ask(&off, with_query(QUERY, &sha256_hex(QUERY))).await,
        "市科协"
    );
    assert_eq!(
        ask(&off, hash_only(QUERY)).await,
        "PERSISTED_QUERY_NOT_FOUND"
    );
    off.stop().await;
}

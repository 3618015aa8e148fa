//! Trusted documents: operations registered by the SHA-256 of their text run from their
//! hash alone; an unknown hash is refused; with trusted documents only, nothing else runs.

mod common;

use std::path::PathBuf;

use common::{gateway_with, get_raw, json_subgraph, post_with};
use kexie_gateway::trusted_documents::sha256_hex;
use kexie_gateway::{GatewayConfig, GatewayHandle};
use serde_json::{json, Value};

const TRUSTED: &str = "query Unit($id: ID!) { unit(id: $id) { name } }";

/// A manifest holding [`TRUSTED`], in a fresh folder.
fn manifest(contents: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("kexie-trusted-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("trusted-documents.json");
    std::fs::write(&path, contents).unwrap();
    path
}

fn good_manifest() -> PathBuf {
    manifest(&json!({ sha256_hex(TRUSTED): TRUSTED }).to_string())
}

async fn start(only: bool) -> GatewayHandle {
    let (url, _) = json_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let path = good_manifest();
    gateway_with(
        "hub.graphql",
        &[("organizations", &url)],
        move |mut config| {
            config.trusted_documents = Some(path);
            config.trusted_documents_only = only;
            config
        },
    )
    .await
}

fn persisted(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

const UNIT: &str = r#"{"data":{"unit":{"name":"市科协"}}}"#;

#[tokio::test]
async fn a_trusted_document_runs_from_its_hash() {
    let gateway = start(false).await;
    let (status, _, body) = post_with(
        &gateway,
        json!({"extensions": persisted(&sha256_hex(TRUSTED)), "variables": {"id": "1"}}),
        &[],
    )
    .await;
    assert_eq!((status, body.to_string()), (200, UNIT.to_string()));

    // Over GET too.
    let extensions = persisted(&sha256_hex(TRUSTED)).to_string();
    let query = format!(
        "/graphql?extensions={}&variables=%7B%22id%22%3A%221%22%7D",
        extensions
            .replace('"', "%22")
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace(':', "%3A")
            .replace(',', "%2C")
    );
    let (status, _, text) = get_raw(&gateway, &query, &[("kexie-preflight", "1")]).await;
    assert_eq!((status, text.as_str()), (200, UNIT));

    // Other documents still run when trusted documents are not the only ones.
    let (status, _, body) = post_with(
        &gateway,
        json!({"query": r#"{ unit(id: "1") { name } }"#}),
        &[],
    )
    .await;
    assert_eq!((status, body.to_string()), (200, UNIT.to_string()));
    gateway.stop().await;
}

#[tokio::test]
async fn an_unknown_hash_is_refused() {
    let gateway = start(false).await;
    let unknown = sha256_hex("{ units { id } }");
    let (status, _, body) =
        post_with(&gateway, json!({"extensions": persisted(&unknown)}), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{body}"
    );
    let (status, _, _) = post_with(
        &gateway,
        json!({"extensions": persisted(&unknown)}),
        &[("accept", "application/graphql-response+json")],
    )
    .await;
    assert_eq!(status, 400);

    // A hash sent with a query must be the query's.
    let (status, _, body) = post_with(
        &gateway,
        json!({"query": "{ units { id } }", "extensions": persisted(&sha256_hex(TRUSTED))}),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn with_trusted_documents_only_nothing_else_runs() {
    let gateway = start(true).await;
    let (status, _, body) = post_with(
        &gateway,
        json!({"query": r#"{ unit(id: "1") { name } }"#}),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNTRUSTED_DOCUMENT",
        "{body}"
    );
    assert!(body.get("data").is_none());

    // The trusted document runs, by hash or by its exact text.
    for request in [
        json!({"extensions": persisted(&sha256_hex(TRUSTED)), "variables": {"id": "1"}}),
        json!({"query": TRUSTED, "variables": {"id": "1"}}),
    ] {
        let (status, _, body) = post_with(&gateway, request, &[]).await;
        assert_eq!((status, body.to_string()), (200, UNIT.to_string()));
    }
    gateway.stop().await;
}

#[tokio::test]
async fn a_manifest_that_does_not_hold_up_stops_the_gateway_at_start() {
    let config = |path: Option<PathBuf>, only: bool| {
        let mut config = GatewayConfig::new(
            common::fixture("hub.graphql"),
            "127.0.0.1:0".parse().unwrap(),
        );
        config.trusted_documents = path;
        config.trusted_documents_only = only;
        config
    };
    let wrong_hash = manifest(&json!({ sha256_hex("{ units { id } }"): TRUSTED }).to_string());
    let error = kexie_gateway::build(config(Some(wrong_hash.clone()), false))
        .await
        .err()
        .expect("refused");
    assert!(format!("{error:#}").contains("SHA-256"), "{error:#}");
    assert!(
        format!("{error:#}").contains(&wrong_hash.display().to_string()),
        "{error:#}"
    );

    let error = kexie_gateway::build(config(Some(manifest("[1, 2]")), false))
        .await
        .err()
        .expect("refused");
    assert!(format!("{error:#}").contains("JSON object"), "{error:#}");

    let error = kexie_gateway::build(config(None, true))
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{error:#}").contains("no trusted-documents manifest"),
        "{error:#}"
    );
}

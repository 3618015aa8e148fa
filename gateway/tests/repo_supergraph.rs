//! The repository's own supergraph (`schema/supergraph.graphql`, composed from the four
//! subgraphs): the gateway loads it, answers introspection from it, and plans the
//! cross-subgraph queries a front-end team writes. The subgraphs are not running here (the
//! end-to-end tests of the whole hub start them): every subgraph URL points at a closed
//! port, so each query must come back planned and executed, with its data missing because
//! of unreachable subgraphs, never because it could not be planned.

mod common;

use std::path::PathBuf;

use common::{gateway_with, post};
use kexie_testkit::ClosedPort;
use serde_json::json;

fn repo_supergraph() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/supergraph.graphql")
}

const SUBGRAPHS: [&str; 4] = ["organizations", "talent", "popularization", "advice"];

const FRONT_END_QUERIES: &[&str] = &[
    // The city overview: the tree with each district's people and work.
    r#"{ city { name kind children(first: 20) { nodes { name memberCount
        workers(first: 5) { nodes { name homeUnit { name } } }
        activities(first: 5) { nodes { __typename } }
        submissions(first: 5) { nodes { __typename } }
        venues(first: 5) { nodes { __typename } } } } } }"#,
    // A unit page through an alias, fragments and skip/include.
    r#"query Unit($withPeople: Boolean!) {
        city { ...Head people: workers(first: 10) @include(if: $withPeople) { nodes { ...Person } } }
    }
    fragment Head on Unit { id name shortName status currentTerm { __typename } }
    fragment Person on Worker { id name homeUnit { ...Head } }"#,
    // Workers with their honors and home unit's ancestors.
    r#"{ workers(first: 10) { nodes { name honors { __typename } homeUnit { ancestors { name } } } } }"#,
];

#[tokio::test]
async fn the_repository_supergraph_plans_front_end_queries() {
    let mut urls = Vec::new();
    for name in SUBGRAPHS {
        urls.push((name, ClosedPort::new()));
    }
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.supergraph = repo_supergraph();
        for (name, port) in &urls {
            config = config.with_subgraph_url(name, port.graphql_url());
        }
        config
    })
    .await;
    for query in FRONT_END_QUERIES {
        let response = post(&gateway, query, json!({"withPeople": true})).await;
        let errors = response["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "{query}: {response}");
        for error in &errors {
            assert_eq!(
                error["extensions"]["code"], "SUBGRAPH_REQUEST_FAILED",
                "{query}: {response}"
            );
        }
    }
    gateway.stop().await;
}

#[tokio::test]
async fn the_repository_supergraph_introspects_without_federation_types() {
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.supergraph = repo_supergraph();
        config
    })
    .await;
    let response = post(&gateway, "{ __schema { types { name } } }", json!({})).await;
    let names: Vec<&str> = response["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|ty| ty["name"].as_str())
        .collect();
    for expected in ["Unit", "Worker", "Query", "Mutation"] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    for hidden in [
        "_Any",
        "_Entity",
        "_Service",
        "join__Graph",
        "link__Purpose",
    ] {
        assert!(!names.contains(&hidden), "{hidden} is exposed");
    }
    gateway.stop().await;
}

/// The repository's canonical queries (`schema/queries/*.graphql`) are its trusted
/// documents: `schema/trusted-documents.json` must be the manifest of that folder
/// (`kexie trusted-documents` writes it), and each document must run by its hash on a
/// gateway serving trusted documents only, within the default limits.
#[tokio::test]
async fn the_repository_trusted_documents_are_current_and_within_the_limits() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    let queries = root.join("queries");
    if !queries.is_dir() {
        return;
    }
    let manifest_path = root.join("trusted-documents.json");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap_or_default();
    assert_eq!(
        manifest,
        kexie_gateway::trusted_documents::manifest_of_folder(&queries).unwrap(),
        "schema/trusted-documents.json is out of date; run `cargo run -- trusted-documents`"
    );
    let mut urls = Vec::new();
    for name in SUBGRAPHS {
        urls.push((name, ClosedPort::new()));
    }
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.supergraph = repo_supergraph();
        config.trusted_documents = Some(manifest_path.clone());
        config.trusted_documents_only = true;
        for (name, port) in &urls {
            config = config.with_subgraph_url(name, port.graphql_url());
        }
        config
    })
    .await;
    let documents: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&manifest).unwrap();
    for hash in documents.keys() {
        let (status, _, response) = common::post_with(
            &gateway,
            json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}}),
            &[],
        )
        .await;
        assert_eq!(status, 200, "{response}");
        // Unreachable subgraphs, or variables a test cannot guess: anything but a refusal
        // of the document itself.
        for error in response["errors"].as_array().cloned().unwrap_or_default() {
            let code = error["extensions"]["code"].as_str().unwrap_or_default();
            assert!(
                ["SUBGRAPH_REQUEST_FAILED", "BAD_USER_INPUT"].contains(&code),
                "{hash}: {response}"
            );
        }
    }
    gateway.stop().await;
}

//! Subgraphs over `https://`: a certificate of a private CA is trusted only once the CA is
//! configured (for all connections or for that subgraph), and a subgraph that asks for a
//! client certificate (mTLS) gets the one configured for it.

mod common;

use axum::routing::post;
use axum::{Json, Router};
use common::tls::{serve_tls, TestCa};
use common::{gateway_with, post as ask};
use kexie_gateway::{GatewayConfig, SubgraphTls};
use serde_json::{json, Value};

const QUERY: &str = r#"{ unit(id: "1") { name } }"#;

/// An organizations subgraph over HTTPS with a certificate `ca` signs; with `clients`, it
/// only talks to clients presenting a certificate that CA signed.
async fn organizations(ca: &TestCa, clients: Option<&TestCa>) -> String {
    let router = Router::new().route(
        "/graphql",
        post(|Json(_): Json<Value>| async {
            Json(json!({"data": {"unit": {"name": "市科协"}}}))
        }),
    );
    serve_tls(router, ca, clients).await
}

/// The answer to [`QUERY`] from a gateway over `url` configured by `adjust`.
async fn answer(url: &str, adjust: impl FnOnce(GatewayConfig) -> GatewayConfig) -> Value {
    let gateway = gateway_with("hub.graphql", &[("organizations", url)], adjust).await;
    let answer = ask(&gateway, QUERY, json!({})).await;
    gateway.stop().await;
    answer
}

fn answered(answer: &Value) -> bool {
    answer == &json!({"data": {"unit": {"name": "市科协"}}})
}

fn refused(answer: &Value) -> bool {
    answer["data"]["unit"].is_null()
        && answer["errors"][0]["extensions"]["code"] == "SUBGRAPH_REQUEST_FAILED"
}

#[tokio::test]
async fn a_subgraph_with_a_private_ca_certificate_is_trusted_once_the_ca_is_configured() {
    let ca = TestCa::new("Kexie private CA");
    let url = organizations(&ca, None).await;
    assert!(url.starts_with("https://"));

    let untrusted = answer(&url, |config| config).await;
    assert!(refused(&untrusted), "{untrusted}");
    let message = untrusted["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("certificate"), "{message}");

    // Trusted for every connection …
    let trusted = answer(&url, |config| config.with_tls_ca_file(&ca.ca_file)).await;
    assert!(answered(&trusted), "{trusted}");

    // … or for that subgraph alone.
    let trusted = answer(&url, |config| {
        config.with_subgraph_tls(
            "organizations",
            SubgraphTls {
                ca_file: Some(ca.ca_file.clone()),
                ..SubgraphTls::default()
            },
        )
    })
    .await;
    assert!(answered(&trusted), "{trusted}");

    // Another CA does not make it trusted.
    let other = TestCa::new("Another CA");
    let untrusted = answer(&url, |config| config.with_tls_ca_file(&other.ca_file)).await;
    assert!(refused(&untrusted), "{untrusted}");
}

#[tokio::test]
async fn a_subgraph_asking_for_a_client_certificate_gets_the_one_configured_for_it() {
    let server_ca = TestCa::new("Kexie server CA");
    let client_ca = TestCa::new("Kexie client CA");
    let url = organizations(&server_ca, Some(&client_ca)).await;
    let with_identity = |identity: Option<(std::path::PathBuf, std::path::PathBuf)>| {
        let ca_file = server_ca.ca_file.clone();
        move |config: GatewayConfig| {
            let (client_cert_file, client_key_file) = identity.unzip();
            config.with_tls_ca_file(ca_file).with_subgraph_tls(
                "organizations",
                SubgraphTls {
                    ca_file: None,
                    client_cert_file,
                    client_key_file,
                },
            )
        }
    };

    let anonymous = answer(&url, with_identity(None)).await;
    assert!(refused(&anonymous), "{anonymous}");

    let gateway_identity = client_ca.issue("gateway", &["kexie-gateway"]);
    let identified = answer(&url, with_identity(Some(gateway_identity))).await;
    assert!(answered(&identified), "{identified}");

    // A certificate another CA signed is refused by the subgraph.
    let stranger_ca = TestCa::new("A stranger's CA");
    let stranger = stranger_ca.issue("stranger", &["kexie-gateway"]);
    let refused_identity = answer(&url, with_identity(Some(stranger))).await;
    assert!(refused(&refused_identity), "{refused_identity}");
}

#[tokio::test]
async fn tls_settings_that_cannot_be_used_stop_the_gateway_from_starting() {
    let ca = TestCa::new("Kexie private CA");
    let (cert_file, _) = ca.issue("gateway", &["kexie-gateway"]);
    let build = |config: GatewayConfig| async move {
        kexie_gateway::build(config)
            .await
            .err()
            .map(|err| format!("{err:#}"))
            .expect("the gateway should not start")
    };
    let config = || {
        GatewayConfig::new(
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/hub.graphql"),
            "127.0.0.1:0".parse().unwrap(),
        )
    };

    // A certificate without its key.
    let message = build(config().with_subgraph_tls(
        "organizations",
        SubgraphTls {
            client_cert_file: Some(cert_file.clone()),
            ..SubgraphTls::default()
        },
    ))
    .await;
    assert!(
        message.contains("needs both its certificate and its key"),
        "{message}"
    );

    // A CA bundle that is not there, or holds no certificate.
    let message = build(config().with_tls_ca_file(ca.ca_file.with_file_name("missing.pem"))).await;
    assert!(message.contains("missing.pem"), "{message}");
    let empty = ca.ca_file.with_file_name("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let message = build(config().with_tls_ca_file(&empty)).await;
    assert!(message.contains("holds no PEM certificate"), "{message}");
}

//! Subgraphs over `https://`: a certificate of a private CA is trusted only once the CA is
//! configured (for all connections or for that subgraph), and a subgraph that asks for a
//! client certificate (mTLS) gets the one configured for it. The gateway's own listener
//! over TLS, its certificate replaced on disk and served without a restart. Traces exported
//! to an `https://` collector of a private CA.

mod common;

use std::sync::Arc;

use axum::routing::post;
use axum::{Json, Router};
use common::tls::{serve_tls, TestCa};
use common::{eventually_async, gateway_with, post as ask};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use kexie_gateway::{GatewayConfig, SubgraphTls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
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

    // A listener certificate that is not there, or without its key.
    let message = build(config().with_tls_certificate(
        ca.ca_file.with_file_name("missing.pem"),
        ca.ca_file.with_file_name("missing.key"),
    ))
    .await;
    assert!(message.contains("missing.pem"), "{message}");
    let mut only_cert = config();
    only_cert.tls_cert_file = Some(cert_file.clone());
    let message = build(only_cert).await;
    assert!(message.contains("GATEWAY_TLS_KEY_FILE"), "{message}");

    // A client certificate without its key.
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

/// GETs `/ready` from the gateway on 127.0.0.1:`port` over TLS, trusting `ca`; the status
/// and the certificate the gateway presented, or the handshake's error.
async fn https_ready(port: u16, ca: &TestCa) -> Result<(u16, CertificateDer<'static>), String> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(&ca.ca_file).unwrap() {
        roots.add(certificate.unwrap()).unwrap();
    }
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|err| err.to_string())?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .map_err(|err| err.to_string())?;
    let presented = stream.get_ref().1.peer_certificates().unwrap()[0]
        .clone()
        .into_owned();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| err.to_string())?;
    tokio::spawn(connection);
    let request = hyper::Request::get("/ready")
        .header("host", "127.0.0.1")
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| err.to_string())?;
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    Ok((status, presented))
}

fn certificate_of(file: &std::path::Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(file).unwrap()
}

#[tokio::test]
async fn the_gateway_serves_tls_and_a_renewed_certificate_without_a_restart() {
    let ca = TestCa::new("Kexie private CA");
    let (cert_file, key_file) = ca.issue("gateway", &["127.0.0.1"]);
    let first = certificate_of(&cert_file);
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.supergraph_poll_interval = std::time::Duration::from_millis(50);
        config.with_tls_certificate(&cert_file, &key_file)
    })
    .await;
    assert!(gateway.graphql_url().starts_with("https://"));
    let (status, presented) = https_ready(gateway.port, &ca).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(presented, first);

    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/ready", gateway.port)).await;
    assert!(plain.is_err(), "{plain:?}");

    // The certificate is renewed on disk: new connections get the new one.
    let (renewed_cert, renewed_key) = ca.issue("renewed", &["127.0.0.1"]);
    let renewed = certificate_of(&renewed_cert);
    assert_ne!(renewed, first);
    std::fs::copy(&renewed_key, &key_file).unwrap();
    std::fs::copy(&renewed_cert, &cert_file).unwrap();
    eventually_async("the renewed certificate is served", || async {
        matches!(https_ready(gateway.port, &ca).await, Ok((200, presented)) if presented == renewed)
    })
    .await;

    // Files that do not load (a key of another certificate) leave the renewed one served.
    let (_, other_key) = ca.issue("other", &["127.0.0.1"]);
    std::fs::copy(&other_key, &key_file).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, presented) = https_ready(gateway.port, &ca).await.unwrap();
    assert_eq!((status, presented), (200, renewed));
    gateway.stop().await;
}

/// A collector over HTTPS: counts the OTLP trace exports it receives.
async fn collector(ca: &TestCa) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = received.clone();
    let router = Router::new().route(
        "/v1/traces",
        post(move |headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                seen.lock().unwrap().push(content_type);
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let url = serve_tls(router, ca, None).await;
    (url.trim_end_matches("/graphql").to_string(), received)
}

/// Exports one span through a tracer provider set up from `vars`, as a process would from
/// its environment; waits for the export to end.
async fn export_one_span(vars: Vec<(&'static str, String)>) {
    use opentelemetry::trace::{Tracer as _, TracerProvider as _};
    let config = kexie_contract::telemetry::TelemetryConfig::from_vars(
        |name| {
            Ok(vars
                .iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.clone()))
        },
        "kexie-tls-test",
    )
    .unwrap();
    tokio::task::spawn_blocking(move || {
        let provider = config.tracer_provider().unwrap();
        provider.tracer("tls").in_span("probe", |_| {});
        let _ = provider.force_flush();
        let _ = provider.shutdown();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn traces_reach_an_https_collector_once_its_ca_is_configured() {
    let ca = TestCa::new("Kexie collector CA");
    let (endpoint, received) = collector(&ca).await;
    assert!(endpoint.starts_with("https://"));

    export_one_span(vec![("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone())]).await;
    assert!(
        received.lock().unwrap().is_empty(),
        "exported without trusting the CA"
    );

    export_one_span(vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
        (
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ca.ca_file.display().to_string(),
        ),
    ])
    .await;
    assert_eq!(
        *received.lock().unwrap(),
        vec!["application/x-protobuf".to_string()]
    );
}

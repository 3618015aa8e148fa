//! The front door for browsers on other origins and for bandwidth: CORS preflights answered
//! for configured origins only (CSRF prevention unchanged for everyone), and bodies
//! compressed both ways — answers as the client accepts, requests decompressed before the
//! body limit counts them.

mod common;

use std::io::Write as _;
use std::time::Duration;

use common::{gateway_with, json_subgraph, send};
use kexie_gateway::cors::{CorsConfig, OriginRule};
use kexie_gateway::GatewayHandle;
use serde_json::{json, Value};

const BODY: &str = r#"{"query":"{ unit(id: \"1\") { name } }"}"#;

async fn start(cors: CorsConfig, max_body_bytes: usize) -> GatewayHandle {
    let (url, _) = json_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    gateway_with(
        "hub.graphql",
        &[("organizations", &url)],
        move |mut config| {
            config.cors = cors;
            config.max_body_bytes = max_body_bytes;
            config
        },
    )
    .await
}

fn allowing(origins: &[&str]) -> CorsConfig {
    CorsConfig {
        origins: origins
            .iter()
            .map(|origin| origin.parse::<OriginRule>().unwrap())
            .collect(),
        max_age: Duration::from_secs(900),
        ..CorsConfig::default()
    }
}

async fn preflight(gateway: &GatewayHandle, origin: &str) -> (u16, reqwest::header::HeaderMap) {
    let (status, headers, _) = send(
        gateway,
        reqwest::Method::OPTIONS,
        "/graphql",
        &[
            ("origin", origin),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "content-type,authorization",
            ),
        ],
        Vec::new(),
    )
    .await;
    (status, headers)
}

#[tokio::test]
async fn without_configured_origins_no_page_elsewhere_may_call() {
    let gateway = start(CorsConfig::default(), 1024 * 1024).await;
    let (_, headers) = preflight(&gateway, "https://app.example.gov.cn").await;
    assert!(headers.get("access-control-allow-origin").is_none());
    gateway.stop().await;
}

#[tokio::test]
async fn allowed_origins_are_answered_and_others_are_not() {
    let gateway = start(
        allowing(&["https://app.example.gov.cn", "https://*.kexie.test"]),
        1024 * 1024,
    )
    .await;
    for origin in [
        "https://app.example.gov.cn",
        "https://cockpit.city.kexie.test",
    ] {
        let (status, headers) = preflight(&gateway, origin).await;
        assert_eq!(status, 200, "{origin}");
        assert_eq!(headers["access-control-allow-origin"], origin);
        let methods = headers["access-control-allow-methods"].to_str().unwrap();
        assert!(
            methods.contains("POST") && methods.contains("GET"),
            "{methods}"
        );
        let allowed = headers["access-control-allow-headers"].to_str().unwrap();
        assert!(
            allowed.contains("authorization") && allowed.contains("content-type"),
            "{allowed}"
        );
        assert_eq!(headers["access-control-max-age"], "900");
        assert!(headers.get("access-control-allow-credentials").is_none());

        let (status, headers, body) = send(
            &gateway,
            reqwest::Method::POST,
            "/graphql",
            &[("origin", origin), ("content-type", "application/json")],
            BODY.into(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(headers["access-control-allow-origin"], origin);
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["data"]["unit"]["name"], "市科协");
    }
    for origin in [
        "https://evil.example.gov.cn",
        "http://app.example.gov.cn",
        "https://kexie.test",
        "https://kexie.test.evil.cn",
    ] {
        let (_, headers) = preflight(&gateway, origin).await;
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }

    // What a browser sends without asking is refused from an allowed origin too.
    let (status, _, body) = send(
        &gateway,
        reqwest::Method::POST,
        "/graphql",
        &[
            ("origin", "https://app.example.gov.cn"),
            ("content-type", "text/plain"),
        ],
        BODY.into(),
    )
    .await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, answer["errors"][0]["extensions"]["code"].clone()),
        (400, json!("CSRF_REFUSED"))
    );
    gateway.stop().await;
}

#[tokio::test]
async fn credentials_only_when_configured() {
    let gateway = start(
        CorsConfig {
            allow_credentials: true,
            ..allowing(&["https://app.example.gov.cn"])
        },
        1024 * 1024,
    )
    .await;
    let (_, headers) = preflight(&gateway, "https://app.example.gov.cn").await;
    assert_eq!(headers["access-control-allow-credentials"], "true");
    gateway.stop().await;
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn bodies_are_compressed_both_ways_within_the_limit() {
    let gateway = start(CorsConfig::default(), 4096).await;
    // The answer, as the client accepts it.
    let (status, headers, body) = send(
        &gateway,
        reqwest::Method::POST,
        "/graphql",
        &[
            ("content-type", "application/json"),
            ("accept-encoding", "gzip"),
        ],
        BODY.into(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-encoding"], "gzip");
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain)
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&plain).unwrap()["data"]["unit"]["name"],
        "市科协"
    );

    // A compressed request.
    let (status, _, body) = send(
        &gateway,
        reqwest::Method::POST,
        "/graphql",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        gzip(BODY.as_bytes()),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    // The limit counts what the body decompresses to: 4 KB compresses to a few bytes.
    let padded = format!(
        r#"{{"query":"{{ unit(id: \"1\") {{ name }} }}{}"}}"#,
        " ".repeat(8192)
    );
    let compressed = gzip(padded.as_bytes());
    assert!(compressed.len() < 4096);
    let (status, _, body) = send(
        &gateway,
        reqwest::Method::POST,
        "/graphql",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        compressed,
    )
    .await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, answer["errors"][0]["extensions"]["code"].clone()),
        (413, json!("PAYLOAD_TOO_LARGE"))
    );

    // Not gzip at all, and an encoding the gateway does not speak.
    let (status, _, _) = send(
        &gateway,
        reqwest::Method::POST,
        "/graphql",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        BODY.into(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = send(
        &gateway,
        reqwest::Method::POST,
        "/graphql",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "lz4"),
        ],
        BODY.into(),
    )
    .await;
    assert_eq!(status, 415);
    gateway.stop().await;
}

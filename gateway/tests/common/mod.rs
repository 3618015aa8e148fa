//! The test kit of the gateway: stub subgraphs on port 0 (hand-written JSON responders and
//! small async-graphql federation subgraphs), a gateway started on port 0 over a fixture
//! supergraph, and a client that returns whole responses.

#![allow(dead_code)]

pub mod hub;
pub mod tls;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post as post_route;
use axum::{Json, Router};
use kexie_gateway::{GatewayConfig, GatewayHandle};
use serde_json::Value;
use tokio::net::TcpListener;

/// Serves `router` on a free port; returns its `/graphql` URL.
pub async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://127.0.0.1:{port}/graphql")
}

/// The requests a stub subgraph received, in order.
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<Vec<Value>>>);

impl Received {
    pub fn all(&self) -> Vec<Value> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    pub fn push(&self, request: Value) {
        self.0.lock().unwrap().push(request);
    }
}

type Responder = Arc<dyn Fn(&Value) -> Value + Send + Sync>;

/// A subgraph answering each request body with `respond(body)`.
pub async fn json_subgraph(
    respond: impl Fn(&Value) -> Value + Send + Sync + 'static,
) -> (String, Received) {
    let received = Received::default();
    let state: (Responder, Received) = (Arc::new(respond), received.clone());
    let router = Router::new()
        .route(
            "/graphql",
            post_route(
                |State((respond, received)): State<(Responder, Received)>,
                 Json(body): Json<Value>| async move {
                    received.0.lock().unwrap().push(body.clone());
                    Json(respond(&body))
                },
            ),
        )
        .with_state(state);
    (serve(router).await, received)
}

/// A federated subgraph stub: root operations get `root` as their data (whatever they
/// select: the gateway projects what the client asked for), `_entities` requests get
/// `resolve(representation)` for each representation.
pub async fn entity_subgraph(
    root: Value,
    resolve: impl Fn(&Value) -> Value + Send + Sync + 'static,
) -> (String, Received) {
    json_subgraph(move |body| {
        if query_of(body).contains("_entities") {
            let entities: Vec<Value> = representations(body).iter().map(&resolve).collect();
            serde_json::json!({"data": {"_entities": entities}})
        } else {
            serde_json::json!({"data": root})
        }
    })
    .await
}

/// The headers of the requests a stub subgraph received, in order.
#[derive(Clone, Default)]
pub struct ReceivedHeaders(Arc<Mutex<Vec<axum::http::HeaderMap>>>);

impl ReceivedHeaders {
    pub fn all(&self) -> Vec<axum::http::HeaderMap> {
        self.0.lock().unwrap().clone()
    }

    /// The values of header `name`, one per request (empty when a request had none).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.all()
            .iter()
            .map(|headers| {
                headers
                    .get(name)
                    .map(|value| value.to_str().unwrap().to_string())
                    .unwrap_or_default()
            })
            .collect()
    }
}

type HeaderResponder = Arc<dyn Fn(&axum::http::HeaderMap, &Value) -> Value + Send + Sync>;

/// A subgraph answering each request with `respond(headers, body)`; it records the headers.
pub async fn header_subgraph(
    respond: impl Fn(&axum::http::HeaderMap, &Value) -> Value + Send + Sync + 'static,
) -> (String, ReceivedHeaders) {
    let received = ReceivedHeaders::default();
    let state: (HeaderResponder, ReceivedHeaders) = (Arc::new(respond), received.clone());
    let router = Router::new()
        .route(
            "/graphql",
            post_route(
                |State((respond, received)): State<(HeaderResponder, ReceivedHeaders)>,
                 headers: axum::http::HeaderMap,
                 Json(body): Json<Value>| async move {
                    received.0.lock().unwrap().push(headers.clone());
                    Json(respond(&headers, &body))
                },
            ),
        )
        .with_state(state);
    (serve(router).await, received)
}

/// Posts a GraphQL request with extra headers; returns (status, headers, body as JSON).
pub async fn post_with(
    gateway: &GatewayHandle,
    body: Value,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .post(gateway.graphql_url())
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

/// A subgraph that answers each request with `respond(body)` once the test lets it: each
/// answer waits for a permit of the returned semaphore.
pub async fn gated_subgraph(
    respond: impl Fn(&Value) -> Value + Send + Sync + 'static,
) -> (String, Received, Arc<tokio::sync::Semaphore>) {
    let received = Received::default();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let state: (Responder, Received, Arc<tokio::sync::Semaphore>) =
        (Arc::new(respond), received.clone(), gate.clone());
    let router = Router::new()
        .route(
            "/graphql",
            post_route(
                |State((respond, received, gate)): State<(
                    Responder,
                    Received,
                    Arc<tokio::sync::Semaphore>,
                )>,
                 Json(body): Json<Value>| async move {
                    received.0.lock().unwrap().push(body.clone());
                    gate.acquire().await.unwrap().forget();
                    Json(respond(&body))
                },
            ),
        )
        .with_state(state);
    (serve(router).await, received, gate)
}

/// A subgraph that answers with this status and body, whatever the request.
pub async fn raw_subgraph(status: u16, content_type: &'static str, body: &'static str) -> String {
    let router = Router::new().route(
        "/graphql",
        post_route(move || async move {
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                [("content-type", content_type)],
                body,
            )
        }),
    );
    serve(router).await
}

/// A URL nobody listens on.
/// Waits until `condition` holds, checking every few milliseconds; panics after 10 s.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Waits until the async `condition` holds, checking every few milliseconds; panics after
/// 10 s.
pub async fn eventually_async<F: std::future::Future<Output = bool>>(
    what: &str,
    mut condition: impl FnMut() -> F,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition().await {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The text of the subgraph operation in a request body.
pub fn query_of(body: &Value) -> &str {
    body["query"].as_str().unwrap_or_default()
}

/// The representations of an `_entities` request.
pub fn representations(body: &Value) -> Vec<Value> {
    body["variables"]["representations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A gateway over the fixture supergraph `name`, with the subgraph URLs given.
pub async fn gateway(name: &str, subgraphs: &[(&str, &str)]) -> GatewayHandle {
    gateway_with(name, subgraphs, |config| config).await
}

/// As [`gateway`], with the configuration adjusted by `adjust`.
pub async fn gateway_with(
    name: &str,
    subgraphs: &[(&str, &str)],
    adjust: impl FnOnce(GatewayConfig) -> GatewayConfig,
) -> GatewayHandle {
    kexie_contract::telemetry::init_for_tests();
    let mut config = GatewayConfig::new(fixture(name), "127.0.0.1:0".parse().unwrap())
        .with_metrics_listen("127.0.0.1:0".parse().unwrap());
    for (subgraph, url) in subgraphs {
        config = config.with_subgraph_url(subgraph, *url);
    }
    kexie_gateway::build(adjust(config)).await.unwrap().spawn()
}

/// Posts a GraphQL request; returns the whole JSON response.
pub async fn post(gateway: &GatewayHandle, query: &str, variables: Value) -> Value {
    post_url(&gateway.graphql_url(), query, variables).await
}

/// Posts a GraphQL request to the endpoint at `url`; returns the whole JSON response.
pub async fn post_url(url: &str, query: &str, variables: Value) -> Value {
    let response = reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the gateway did not answer 200");
    response.json().await.unwrap()
}

/// Posts a raw body with the given headers; returns (status, content type, body).
pub async fn post_raw(
    gateway: &GatewayHandle,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let mut request = reqwest::Client::new()
        .post(gateway.graphql_url())
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// Sends a GET; returns (status, headers, body).
pub async fn get_raw(
    gateway: &GatewayHandle,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let (status, headers, body) = get_bytes(gateway, path_and_query, headers).await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// Sends a GET; returns (status, headers, the body's bytes as sent).
pub async fn get_bytes(
    gateway: &GatewayHandle,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    send(
        gateway,
        reqwest::Method::GET,
        path_and_query,
        headers,
        Vec::new(),
    )
    .await
}

/// Sends a request with `headers` and `body` to the gateway's `path_and_query`; returns
/// (status, headers, the body's bytes as sent).
pub async fn send(
    gateway: &GatewayHandle,
    method: reqwest::Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .request(
            method,
            format!("http://127.0.0.1:{}{path_and_query}", gateway.port),
        )
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// The gateway's `/metrics` exposition.
pub async fn metrics_text(gateway: &GatewayHandle) -> String {
    reqwest::get(gateway.metrics_url().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

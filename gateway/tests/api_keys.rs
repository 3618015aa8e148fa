//! Partner bureaus' API keys at the gateway, against a stub organizations subgraph that
//! serves the internal endpoints: the key checked on every request, the partner principal
//! forwarded, unknown and revoked keys refused, the per-key rate limit in Redis (shared by
//! gateways, let through when Redis is down), and every call logged.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use common::{eventually, gateway_with, metrics_text, post_with, serve};
use kexie_contract::principal::{self, PrincipalSecret, Role, Scope, PRINCIPAL_HEADER};
use kexie_gateway::{GatewayConfig, GatewayHandle, API_KEY_HEADER};
use kexie_testkit::ClosedPort;
use serde_json::{json, Value};
use uuid::Uuid;

const PRINCIPAL_SECRET: &[u8] = b"the secret shared with subgraphs!";
const QUERY: &str = r#"query Who { unit(id: "1") { name } }"#;

fn principal_secret() -> PrincipalSecret {
    PrincipalSecret::new(PRINCIPAL_SECRET).unwrap()
}

/// A key the stub knows.
#[derive(Clone)]
struct StubKey {
    id: Uuid,
    revoked: bool,
    requests_per_minute: u64,
}

fn key_text(id: Uuid) -> String {
    format!("kx_{}_{}", id.simple(), "A".repeat(43))
}

/// What the stub organizations subgraph saw.
#[derive(Clone, Default)]
struct Seen {
    /// The principals of GraphQL requests, verified.
    graphql: Arc<Mutex<Vec<(principal::Principal, HeaderMap)>>>,
    /// The roles of the principals of key checks.
    checks: Arc<Mutex<Vec<Role>>>,
    /// The calls logged.
    calls: Arc<Mutex<Vec<Value>>>,
}

impl Seen {
    fn calls(&self) -> Vec<Value> {
        self.calls.lock().unwrap().clone()
    }
}

#[derive(Clone)]
struct Stub {
    keys: Arc<HashMap<String, StubKey>>,
    seen: Seen,
    /// Whether the internal endpoints fail (500).
    failing_checks: bool,
    failing_log: bool,
}

fn gateway_principal(headers: &HeaderMap) -> Option<Role> {
    let token = headers.get(PRINCIPAL_HEADER)?.to_str().ok()?;
    principal::verify(token, &principal_secret())
        .ok()
        .map(|principal| principal.role)
}

/// An organizations subgraph answering `unit` with the role it was asked as (errors for
/// `units`), and the internal endpoints over `keys`.
async fn organizations(
    keys: &[(String, StubKey)],
    failing_checks: bool,
    failing_log: bool,
) -> (String, Seen) {
    let stub = Stub {
        keys: Arc::new(keys.iter().cloned().collect()),
        seen: Seen::default(),
        failing_checks,
        failing_log,
    };
    let seen = stub.seen.clone();
    let router = Router::new()
        .route(
            "/graphql",
            post(
                |State(stub): State<Stub>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    let token = headers[PRINCIPAL_HEADER].to_str().unwrap();
                    let principal = principal::verify(token, &principal_secret()).unwrap();
                    let role = principal.role.to_string();
                    stub.seen.graphql.lock().unwrap().push((principal, headers));
                    if body["query"].as_str().unwrap().contains("units") {
                        Json(json!({"data": null, "errors": [{"message": "boom"}]}))
                    } else {
                        Json(json!({"data": {"unit": {"name": role}}}))
                    }
                },
            ),
        )
        .route(
            "/internal/api-keys/verify",
            post(
                |State(stub): State<Stub>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    let role = gateway_principal(&headers);
                    stub.seen
                        .checks
                        .lock()
                        .unwrap()
                        .push(role.unwrap_or(Role::Anonymous));
                    if role != Some(Role::Gateway) {
                        return (StatusCode::UNAUTHORIZED, Json(json!({})));
                    }
                    if stub.failing_checks {
                        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
                    }
                    match stub.keys.get(body["key"].as_str().unwrap()) {
                        Some(key) if key.revoked => (
                            StatusCode::NOT_FOUND,
                            Json(json!({"reason": "revoked", "keyId": key.id})),
                        ),
                        Some(key) => (
                            StatusCode::OK,
                            Json(json!({"keyId": key.id, "bureau": "AGRICULTURE",
                                "scopes": ["venues-activities:read", "talent:read-public"],
                                "requestsPerMinute": key.requests_per_minute})),
                        ),
                        None => (StatusCode::NOT_FOUND, Json(json!({"reason": "unknown"}))),
                    }
                },
            ),
        )
        .route(
            "/internal/partner-calls",
            post(
                |State(stub): State<Stub>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    if gateway_principal(&headers) != Some(Role::Gateway) || stub.failing_log {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    stub.seen.calls.lock().unwrap().push(body);
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(stub);
    (serve(router).await, seen)
}

fn stub_key(requests_per_minute: u64, revoked: bool) -> (String, StubKey) {
    let id = Uuid::now_v7();
    (
        key_text(id),
        StubKey {
            id,
            revoked,
            requests_per_minute,
        },
    )
}

async fn gateway(
    organizations: &str,
    adjust: impl FnOnce(GatewayConfig) -> GatewayConfig,
) -> GatewayHandle {
    gateway_with(
        "hub.graphql",
        &[("organizations", organizations)],
        |config| adjust(config.with_principal_secret(principal_secret())),
    )
    .await
}

fn namespace() -> String {
    format!("kexie_test_keys_{}", Uuid::now_v7().simple())
}

async fn call(gateway: &GatewayHandle, key: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    post_with(gateway, json!({ "query": QUERY }), &[(API_KEY_HEADER, key)]).await
}

async fn logged(seen: &Seen, count: usize) -> Vec<Value> {
    eventually("the calls to be logged", || seen.calls().len() >= count).await;
    seen.calls()
}

#[tokio::test]
async fn a_partner_key_calls_as_its_partner_principal_and_the_call_is_logged() {
    let (key, stub) = stub_key(600, false);
    let (url, seen) = organizations(&[(key.clone(), stub.clone())], false, false).await;
    let gateway = gateway(&url, |config| {
        config.with_partner_rate_limit(&kexie_testkit::redis_url(), &namespace())
    })
    .await;

    let (status, _, body) = call(&gateway, &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["unit"]["name"], "partner");
    let (principal, headers) = seen.graphql.lock().unwrap()[0].clone();
    assert_eq!(principal.role, Role::Partner);
    assert_eq!(principal.subject, format!("partner:{}", stub.id));
    assert_eq!(principal.unit, None);
    assert_eq!(principal.bureau.as_deref(), Some("AGRICULTURE"));
    assert_eq!(
        principal.scopes,
        vec![Scope::ReadVenuesAndActivities, Scope::ReadPublicTalent]
    );
    assert!(
        headers.get(API_KEY_HEADER).is_none(),
        "the key never reaches a subgraph"
    );
    assert_eq!(*seen.checks.lock().unwrap(), vec![Role::Gateway]);

    let calls = logged(&seen, 1).await;
    assert_eq!(calls[0]["keyId"], stub.id.to_string());
    assert_eq!(calls[0]["operation"], "Who");
    assert_eq!(calls[0]["outcome"], "ok");
    assert_eq!(calls[0]["status"], 200);
    assert!(calls[0]["durationMs"].as_u64().unwrap() < 10_000);
    let called_at = calls[0]["calledAt"].as_str().unwrap();
    assert!(
        called_at.ends_with('Z') && called_at.len() == 24,
        "{called_at}"
    );

    // Every request is checked again: nothing is cached.
    call(&gateway, &key).await;
    assert_eq!(seen.checks.lock().unwrap().len(), 2);

    // Errors in the answer, and a document that does not validate.
    let (status, _, body) = post_with(
        &gateway,
        json!({ "query": "query Many { units { name } }" }),
        &[(API_KEY_HEADER, &key)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = post_with(
        &gateway,
        json!({ "query": "{ nothing }" }),
        &[(API_KEY_HEADER, &key)],
    )
    .await;
    assert_eq!(status, 200);
    let calls = logged(&seen, 4).await;
    let outcomes: Vec<(&str, &Value)> = calls[2..]
        .iter()
        .map(|call| (call["outcome"].as_str().unwrap(), &call["operation"]))
        .collect();
    assert_eq!(
        outcomes,
        vec![("errors", &json!("Many")), ("errors", &Value::Null)]
    );

    let snapshot = gateway.metrics().snapshot();
    assert_eq!(snapshot.partner_calls_ok, 2);
    assert_eq!(snapshot.partner_calls_errors, 2);
    let text = metrics_text(&gateway).await;
    assert!(text.contains("gateway_partner_calls_total{outcome=\"ok\"} 2\n"));
    assert!(text.contains("gateway_partner_call_log_failures_total 0\n"));
    gateway.stop().await;
}

#[tokio::test]
async fn unknown_and_revoked_keys_are_refused_and_reach_no_subgraph() {
    let (revoked, revoked_stub) = stub_key(600, true);
    let (url, seen) = organizations(&[(revoked.clone(), revoked_stub.clone())], false, false).await;
    let gateway = gateway(&url, |config| config).await;

    let (status, headers, body) = call(&gateway, &revoked).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));
    assert!(headers.contains_key("www-authenticate"));

    let unknown = key_text(Uuid::now_v7());
    for key in [unknown.as_str(), "not a key", ""] {
        let (status, _, body) = call(&gateway, key).await;
        assert_eq!(status, 401, "{key}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("unknown"),
            "{body}"
        );
    }
    // A key and a staff token at once.
    let (status, _, body) = post_with(
        &gateway,
        json!({ "query": QUERY }),
        &[(API_KEY_HEADER, &unknown), ("authorization", "Bearer x")],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(seen.graphql.lock().unwrap().is_empty());

    // The revoked key's call is logged under it; unknown keys have nothing to log under.
    let calls = logged(&seen, 1).await;
    assert_eq!(calls[0]["keyId"], revoked_stub.id.to_string());
    assert_eq!(calls[0]["outcome"], "refused");
    assert_eq!(calls[0]["status"], 401);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(seen.calls().len(), 1);
    assert_eq!(gateway.metrics().snapshot().partner_calls_refused, 5);
    gateway.stop().await;
}

/// Sleeps until just after the start of a window of `window`, so that a few calls fall
/// into one window.
async fn start_of_a_window(window: Duration) {
    let window = window.as_millis() as u64;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    tokio::time::sleep(Duration::from_millis(window - now % window + 20)).await;
}

#[tokio::test]
async fn calls_past_the_limit_get_429_until_the_next_window() {
    let (key, stub) = stub_key(3, false);
    let (url, seen) = organizations(&[(key.clone(), stub)], false, false).await;
    let window = Duration::from_secs(2);
    let gateway = gateway(&url, |config| {
        config
            .with_partner_rate_limit(&kexie_testkit::redis_url(), &namespace())
            .with_partner_rate_window(window)
    })
    .await;

    start_of_a_window(window).await;
    for _ in 0..3 {
        let (status, _, body) = call(&gateway, &key).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, headers, body) = call(&gateway, &key).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(seen.graphql.lock().unwrap().len(), 3);

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _, body) = call(&gateway, &key).await;
    assert_eq!(status, 200, "the next window lets it through again: {body}");

    let calls = logged(&seen, 5).await;
    let outcomes: Vec<&str> = calls
        .iter()
        .map(|call| call["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "ok").count(), 4);
    let limited: Vec<&Value> = calls
        .iter()
        .filter(|call| call["outcome"] == "rate_limited")
        .collect();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0]["status"], 429);
    gateway.stop().await;
}

#[tokio::test]
async fn gateways_on_the_same_redis_share_a_key_s_count() {
    let (key, stub) = stub_key(3, false);
    let (url, _) = organizations(&[(key.clone(), stub)], false, false).await;
    let window = Duration::from_secs(3);
    let shared = namespace();
    let adjust = |config: GatewayConfig| {
        config
            .with_partner_rate_limit(&kexie_testkit::redis_url(), &shared)
            .with_partner_rate_window(window)
    };
    let first = gateway(&url, adjust).await;
    let second = gateway(&url, adjust).await;

    start_of_a_window(window).await;
    assert_eq!(call(&first, &key).await.0, 200);
    assert_eq!(call(&second, &key).await.0, 200);
    assert_eq!(call(&first, &key).await.0, 200);
    assert_eq!(call(&second, &key).await.0, 429);
    assert_eq!(call(&first, &key).await.0, 429);
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn without_redis_partner_calls_go_through_and_the_failures_are_counted() {
    let (key, stub) = stub_key(1, false);
    let (url, seen) = organizations(&[(key.clone(), stub)], false, false).await;
    let closed = ClosedPort::new();
    let redis = closed.redis_url();
    let gateway = gateway(&url, |config| {
        config.with_partner_rate_limit(&redis, &namespace())
    })
    .await;
    for _ in 0..3 {
        let (status, _, body) = call(&gateway, &key).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(seen.graphql.lock().unwrap().len(), 3);
    assert_eq!(gateway.metrics().snapshot().partner_rate_limit_failures, 3);
    gateway.stop().await;
}

#[tokio::test]
async fn a_key_that_cannot_be_checked_is_refused_with_503() {
    let (key, stub) = stub_key(600, false);
    let (url, seen) = organizations(&[(key.clone(), stub)], true, false).await;
    let gateway = gateway(&url, |config| config).await;
    let (status, _, body) = call(&gateway, &key).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "AUTHENTICATION_UNAVAILABLE"
    );
    assert!(seen.graphql.lock().unwrap().is_empty());
    gateway.stop().await;

    // Organizations not there at all.
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &ClosedPort::new().graphql_url())],
        |config| config.with_principal_secret(principal_secret()),
    )
    .await;
    let (status, _, _) = call(&gateway, &key).await;
    assert_eq!(status, 503);
    assert_eq!(gateway.metrics().snapshot().partner_key_check_failures, 1);
    gateway.stop().await;
}

#[tokio::test]
async fn a_call_that_cannot_be_logged_is_answered_and_counted() {
    let (key, stub) = stub_key(600, false);
    let (url, _) = organizations(&[(key.clone(), stub)], false, true).await;
    let gateway = gateway(&url, |config| config).await;
    let (status, _, body) = call(&gateway, &key).await;
    assert_eq!(status, 200, "{body}");
    let metrics = gateway.metrics();
    eventually("the failure to be counted", || {
        metrics.snapshot().partner_call_log_failures == 1
    })
    .await;
    let text = metrics_text(&gateway).await;
    assert!(text.contains("gateway_partner_call_log_failures_total 1\n"));
    gateway.stop().await;
}

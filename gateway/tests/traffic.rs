//! Traffic shaping toward subgraphs: a query that met a 503 or a broken connection is sent
//! again and answered, a mutation never is; retries stay within the budget when a subgraph
//! is down for everyone at once; after failures in a row the subgraph's circuit opens —
//! requests fail at once, the state shows in `/metrics` — and a probe closes it again.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post as post_route;
use axum::Router;
use common::{gateway_with, metrics_text, post, serve};
use kexie_gateway::{GatewayHandle, Shaping};
use serde_json::{json, Value};

const QUERY: &str = "{ unit(id: \"1\") { name } }";

/// A subgraph that counts requests and answers `failing` with that status while it is set,
/// or the unit.
#[derive(Clone)]
struct Flaky {
    requests: Arc<AtomicUsize>,
    failures_left: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
    status: StatusCode,
}

async fn flaky(failures: usize, status: StatusCode) -> (String, Flaky) {
    let flaky = Flaky {
        requests: Arc::default(),
        failures_left: Arc::new(AtomicUsize::new(failures)),
        down: Arc::default(),
        status,
    };
    let state = flaky.clone();
    let router = Router::new().route(
        "/graphql",
        post_route(move || {
            let state = state.clone();
            async move {
                state.requests.fetch_add(1, Ordering::SeqCst);
                let failing = state.down.load(Ordering::SeqCst)
                    || state
                        .failures_left
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                            left.checked_sub(1)
                        })
                        .is_ok();
                if failing {
                    (state.status, "unavailable").into_response()
                } else {
                    axum::Json(
                        json!({"data": {"unit": {"name": "市科协"}, "renameUnit": {"id": "1"}}}),
                    )
                    .into_response()
                }
            }
        }),
    );
    (serve(router).await, flaky)
}

/// A gateway over `url` with `shaping`, sending every client's request on its own (no
/// sharing of identical requests, which would hide how many each client caused).
async fn start(url: &str, shaping: Shaping) -> GatewayHandle {
    gateway_with(
        "hub.graphql",
        &[("organizations", url)],
        move |mut config| {
            config.shaping = shaping;
            config.dedup_subgraph_fetches = false;
            config
        },
    )
    .await
}

fn name(answer: &Value) -> Option<&str> {
    answer["data"]["unit"]["name"].as_str()
}

async fn metric(gateway: &GatewayHandle, line_start: &str) -> f64 {
    let text = metrics_text(gateway).await;
    text.lines()
        .find(|line| line.starts_with(line_start))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {line_start} in\n{text}"))
}

#[tokio::test]
async fn a_query_is_retried_past_a_503_and_a_mutation_is_not() {
    let (url, subgraph) = flaky(2, StatusCode::SERVICE_UNAVAILABLE).await;
    let gateway = start(&url, Shaping::default()).await;
    let answer = post(&gateway, QUERY, json!({})).await;
    assert_eq!(name(&answer), Some("市科协"), "{answer}");
    assert_eq!(subgraph.requests.load(Ordering::SeqCst), 3, "two retries");
    assert_eq!(
        metric(
            &gateway,
            "gateway_subgraph_retries_total{subgraph=\"organizations\"}"
        )
        .await,
        2.0
    );

    subgraph.failures_left.store(1, Ordering::SeqCst);
    let answer = post(
        &gateway,
        "mutation { renameUnit(id: \"1\", name: \"x\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "SUBGRAPH_REQUEST_FAILED",
        "{answer}"
    );
    assert_eq!(
        subgraph.requests.load(Ordering::SeqCst),
        4,
        "a mutation is sent once"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn retries_stay_within_the_budget_when_a_subgraph_is_down_for_everyone() {
    let (url, subgraph) = flaky(0, StatusCode::SERVICE_UNAVAILABLE).await;
    subgraph.down.store(true, Ordering::SeqCst);
    let gateway = start(
        &url,
        Shaping {
            failure_threshold: 0,
            backoff: Duration::from_millis(1),
            ..Shaping::default()
        },
    )
    .await;
    // Two hundred clients at once, each allowed two retries: without a budget the subgraph
    // would get 600 requests; the budget allows 20 % more than the 200, and 10 besides.
    let clients = (0..200).map(|_| post(&gateway, QUERY, json!({})));
    let answers = futures::future::join_all(clients).await;
    assert!(answers.iter().all(|answer| name(answer).is_none()));
    let requests = subgraph.requests.load(Ordering::SeqCst);
    assert!(
        (200..=250).contains(&requests),
        "{requests} requests for 200 clients"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn failures_in_a_row_open_the_circuit_and_a_probe_closes_it() {
    let (url, subgraph) = flaky(0, StatusCode::INTERNAL_SERVER_ERROR).await;
    subgraph.down.store(true, Ordering::SeqCst);
    let gateway = start(
        &url,
        Shaping {
            failure_threshold: 3,
            open_for: Duration::from_millis(300),
            ..Shaping::default()
        },
    )
    .await;
    let state = "gateway_subgraph_circuit_state{subgraph=\"organizations\"}";
    for _ in 0..3 {
        let answer = post(&gateway, QUERY, json!({})).await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"],
            "SUBGRAPH_REQUEST_FAILED"
        );
    }
    assert_eq!(
        subgraph.requests.load(Ordering::SeqCst),
        3,
        "a 500 is not retried"
    );
    assert_eq!(metric(&gateway, state).await, 1.0, "open");

    // Open: refused at once, the subgraph not asked.
    let answer = post(&gateway, QUERY, json!({})).await;
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("refused for up to"), "{message}");
    assert_eq!(subgraph.requests.load(Ordering::SeqCst), 3);
    assert_eq!(
        metric(
            &gateway,
            "gateway_subgraph_short_circuits_total{subgraph=\"organizations\"}"
        )
        .await,
        1.0
    );

    // The subgraph recovers; after the open time a probe goes through and closes it.
    subgraph.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let answer = post(&gateway, QUERY, json!({})).await;
    assert_eq!(name(&answer), Some("市科协"), "{answer}");
    assert_eq!(metric(&gateway, state).await, 0.0, "closed");
    gateway.stop().await;
}

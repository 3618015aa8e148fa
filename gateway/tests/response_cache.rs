//! The Redis cache of rollup responses: repeated reads come from Redis, a data version
//! that moves makes the next read fresh, a missing version or an unreachable Redis means
//! answers from the subgraphs, never an error.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use common::{gateway_with, json_subgraph, post, query_of, Received};
use kexie_gateway::GatewayHandle;
use serde_json::json;

const FIGURES: &str = "query Figures($year: Int!) { talentFigures(year: $year) { workers } }";

/// A talent stub whose figures are whatever `workers` holds when it is asked.
async fn talent(workers: Arc<AtomicI64>) -> (String, Received) {
    json_subgraph(move |body| {
        let now = workers.load(Ordering::SeqCst);
        if query_of(body).contains("talentFigures") {
            json!({"data": {"talentFigures": {"workers": now}}})
        } else {
            json!({"data": {"workerCount": now}})
        }
    })
    .await
}

fn namespace() -> String {
    format!("kexie-test-{}", uuid::Uuid::now_v7())
}

async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(kexie_shared::testing::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Sets the talent data version, as the subgraph's lease would.
async fn set_version(namespace: &str, version: i64) {
    let _: () = redis::cmd("SET")
        .arg(kexie_shared::rollup::version_key(namespace, "talent"))
        .arg(version)
        .arg("PX")
        .arg(60_000)
        .query_async(&mut redis().await)
        .await
        .unwrap();
}

async fn cached_gateway(url: &str, redis_url: &str, namespace: &str) -> GatewayHandle {
    gateway_with("rollups.graphql", &[("talent", url)], |config| {
        config.with_response_cache(redis_url, namespace)
    })
    .await
}

async fn figures(gateway: &GatewayHandle, year: i64) -> serde_json::Value {
    post(gateway, FIGURES, json!({"year": year})).await
}

#[tokio::test]
async fn repeated_rollup_reads_come_from_redis_until_the_version_moves() {
    let workers = Arc::new(AtomicI64::new(7));
    let (url, received) = talent(workers.clone()).await;
    let namespace = namespace();
    set_version(&namespace, 1).await;
    let gateway = cached_gateway(&url, &kexie_shared::testing::redis_url(), &namespace).await;

    let expected = json!({"data": {"talentFigures": {"workers": 7}}});
    assert_eq!(figures(&gateway, 2025).await, expected);
    // The entry is stored in the background.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(figures(&gateway, 2025).await, expected);
    assert_eq!(received.count(), 1, "the second read came from Redis");

    // Other variables are another entry.
    figures(&gateway, 2024).await;
    assert_eq!(received.count(), 2);

    // A write: the data changes and the version moves before the write is acknowledged.
    workers.store(8, Ordering::SeqCst);
    set_version(&namespace, 2).await;
    assert_eq!(
        figures(&gateway, 2025).await,
        json!({"data": {"talentFigures": {"workers": 8}}})
    );
    assert_eq!(received.count(), 3);

    // Operations without rollups are never cached.
    post(&gateway, "{ workerCount }", json!({})).await;
    post(&gateway, "{ workerCount }", json!({})).await;
    assert_eq!(received.count(), 5);

    let metrics = gateway.metrics().snapshot();
    assert_eq!(metrics.response_cache_hits, 1);
    assert_eq!(metrics.response_cache_misses, 3);
    assert_eq!(metrics.response_cache_failures, 0);
    gateway.stop().await;
}

#[tokio::test]
async fn without_a_version_in_redis_every_read_goes_to_the_subgraphs() {
    let workers = Arc::new(AtomicI64::new(3));
    let (url, received) = talent(workers).await;
    let gateway = cached_gateway(&url, &kexie_shared::testing::redis_url(), &namespace()).await;
    for _ in 0..3 {
        assert_eq!(
            figures(&gateway, 2025).await,
            json!({"data": {"talentFigures": {"workers": 3}}})
        );
    }
    assert_eq!(received.count(), 3);
    assert_eq!(gateway.metrics().snapshot().response_cache_bypasses, 3);
    gateway.stop().await;
}

#[tokio::test]
async fn an_unreachable_redis_changes_no_answer() {
    let workers = Arc::new(AtomicI64::new(5));
    let (url, received) = talent(workers).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let gateway = cached_gateway(&url, &format!("redis://127.0.0.1:{closed}"), &namespace()).await;
    for _ in 0..3 {
        assert_eq!(
            figures(&gateway, 2025).await,
            json!({"data": {"talentFigures": {"workers": 5}}})
        );
    }
    assert_eq!(received.count(), 3);
    assert_eq!(gateway.metrics().snapshot().response_cache_failures, 3);
    gateway.stop().await;
}

#[tokio::test]
async fn gateways_share_entries_through_redis_and_serve_their_own_copy_while_the_versions_stand() {
    let workers = Arc::new(AtomicI64::new(11));
    let (url, received) = talent(workers.clone()).await;
    let namespace = namespace();
    set_version(&namespace, 1).await;
    let redis_url = kexie_shared::testing::redis_url();
    let first = cached_gateway(&url, &redis_url, &namespace).await;
    let second = cached_gateway(&url, &redis_url, &namespace).await;
    let eleven = json!({"data": {"talentFigures": {"workers": 11}}});

    assert_eq!(figures(&first, 2025).await, eleven);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(figures(&second, 2025).await, eleven);
    assert_eq!(
        received.count(),
        1,
        "the second gateway read the first one's entry"
    );

    // The entries leave Redis; the versions stand, so each gateway's own copy is current.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}:response:*"))
        .query_async(&mut redis().await)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut redis().await)
        .await
        .unwrap();
    assert_eq!(figures(&first, 2025).await, eleven);
    assert_eq!(figures(&second, 2025).await, eleven);
    assert_eq!(received.count(), 1);

    // A write: no copy is current any more.
    workers.store(12, Ordering::SeqCst);
    set_version(&namespace, 2).await;
    let twelve = json!({"data": {"talentFigures": {"workers": 12}}});
    assert_eq!(figures(&second, 2025).await, twelve);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(figures(&first, 2025).await, twelve);
    assert_eq!(received.count(), 2);
    assert_eq!(first.metrics().snapshot().response_cache_hits, 2);
    assert_eq!(second.metrics().snapshot().response_cache_hits, 2);
    first.stop().await;
    second.stop().await;
}

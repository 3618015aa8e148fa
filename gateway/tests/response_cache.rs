//! The Redis cache of rollup responses: repeated reads come from Redis, a data version
//! that moves makes the next read fresh, a missing version or an unreachable Redis means
//! answers from the subgraphs, never an error.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use common::{gateway_with, json_subgraph, post, query_of, Received};
use kexie_gateway::GatewayHandle;
use kexie_testkit::ClosedPort;
use serde_json::json;

const FIGURES: &str = "query Figures($year: Int!) { talentFigures(year: $year) { workers } }";

/// A talent stub whose figures are whatever `workers` holds when it is asked.
async fn talent(workers: Arc<AtomicI64>) -> (String, Received) {
    json_subgraph(move |body| {
        let now = workers.load(Ordering::SeqCst);
        let query = query_of(body);
        if query.contains("talentFigures") {
            json!({"data": {"talentFigures": {"workers": now}}})
        } else if query.contains("rosterFigures") {
            json!({"data": {"rosterFigures": {"workers": now}}})
        } else if query.contains("honorTally") {
            json!({"data": {"honorTally": {"honors": now}}})
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
    redis::Client::open(kexie_testkit::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Sets the talent data version, as the subgraph's lease would.
async fn set_version(namespace: &str, version: i64) {
    let _: () = redis::cmd("SET")
        .arg(kexie_contract::data_version::version_key(
            namespace, "talent",
        ))
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
    let gateway = cached_gateway(&url, &kexie_testkit::redis_url(), &namespace).await;

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
async fn the_rollup_directive_not_the_type_name_decides_what_is_cached() {
    let (url, received) = talent(Arc::new(AtomicI64::new(4))).await;
    let namespace = namespace();
    set_version(&namespace, 1).await;
    let gateway = cached_gateway(&url, &kexie_testkit::redis_url(), &namespace).await;

    for _ in 0..2 {
        post(&gateway, "{ rosterFigures { workers } }", json!({})).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        received.count(),
        2,
        "a type named like figures but not marked is not cached"
    );

    for _ in 0..2 {
        let answer = post(&gateway, "{ honorTally { honors } }", json!({})).await;
        assert_eq!(answer, json!({"data": {"honorTally": {"honors": 4}}}));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        received.count(),
        3,
        "a type marked @rollup is cached whatever its name"
    );
    assert_eq!(gateway.metrics().snapshot().response_cache_hits, 1);
    gateway.stop().await;
}

#[tokio::test]
async fn without_a_version_in_redis_every_read_goes_to_the_subgraphs() {
    let workers = Arc::new(AtomicI64::new(3));
    let (url, received) = talent(workers).await;
    let gateway = cached_gateway(&url, &kexie_testkit::redis_url(), &namespace()).await;
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
    let closed = ClosedPort::new();
    let gateway = cached_gateway(&url, &closed.redis_url(), &namespace()).await;
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
    let redis_url = kexie_testkit::redis_url();
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

/// A talent stub that reads its figure when a request arrives (as a subgraph's SQL
/// statement would) but answers only when the test lets it: each answer waits for a permit
/// of the returned semaphore.
async fn talent_held(workers: Arc<AtomicI64>) -> (String, Received, Arc<tokio::sync::Semaphore>) {
    use axum::extract::State;
    use axum::routing::post;
    use axum::{Json, Router};
    let received = Received::default();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let state = (workers, received.clone(), gate.clone());
    let router = Router::new()
        .route(
            "/graphql",
            post(
                |State((workers, received, gate)): State<(
                    Arc<AtomicI64>,
                    Received,
                    Arc<tokio::sync::Semaphore>,
                )>,
                 Json(body): Json<serde_json::Value>| async move {
                    let seen = workers.load(Ordering::SeqCst);
                    received.push(body);
                    gate.acquire().await.unwrap().forget();
                    Json(json!({"data": {"talentFigures": {"workers": seen}}}))
                },
            ),
        )
        .with_state(state);
    (common::serve(router).await, received, gate)
}

#[tokio::test]
async fn a_read_after_a_write_never_shares_a_fetch_begun_before_the_write() {
    let workers = Arc::new(AtomicI64::new(7));
    let (url, received, gate) = talent_held(workers.clone()).await;
    let namespace = namespace();
    set_version(&namespace, 1).await;
    let gateway = gateway_with("rollups.graphql", &[("talent", &url)], |mut config| {
        config.dedup_subgraph_fetches = true;
        config.dedup_client_queries = true;
        config.with_response_cache(&kexie_testkit::redis_url(), &namespace)
    })
    .await;

    // A read whose fetch has reached the subgraph, which has read 7 workers.
    let before = tokio::spawn({
        let url = gateway.graphql_url();
        async move { common::post_url(&url, FIGURES, json!({"year": 2025})).await }
    });
    common::eventually("the first fetch to arrive", || received.count() == 1).await;

    // A write is acknowledged: 8 workers, and the version moved first.
    workers.store(8, Ordering::SeqCst);
    set_version(&namespace, 2).await;

    // The read that follows must not be given the fetch in flight: it sends its own.
    let after = tokio::spawn({
        let url = gateway.graphql_url();
        async move { common::post_url(&url, FIGURES, json!({"year": 2025})).await }
    });
    common::eventually("the second read's own fetch", || received.count() == 2).await;
    gate.add_permits(2);
    assert_eq!(
        before.await.unwrap(),
        json!({"data": {"talentFigures": {"workers": 7}}})
    );
    assert_eq!(
        after.await.unwrap(),
        json!({"data": {"talentFigures": {"workers": 8}}})
    );

    // And what is cached under the new versions is the new figure.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    gate.add_permits(10);
    assert_eq!(
        figures(&gateway, 2025).await,
        json!({"data": {"talentFigures": {"workers": 8}}})
    );
    assert_eq!(received.count(), 2, "the last read came from the cache");
    let metrics = gateway.metrics().snapshot();
    assert_eq!(metrics.deduplicated_subgraph_fetches, 0);
    assert_eq!(metrics.deduplicated_client_queries, 0);
    gateway.stop().await;
}

#[tokio::test]
async fn reads_of_the_same_versions_share_the_work_in_flight() {
    for (subgraph_fetches, client_queries) in [(true, false), (false, true)] {
        let workers = Arc::new(AtomicI64::new(5));
        let (url, received, gate) = talent_held(workers.clone()).await;
        let namespace = namespace();
        set_version(&namespace, 4).await;
        let gateway = gateway_with("rollups.graphql", &[("talent", &url)], |mut config| {
            config.dedup_subgraph_fetches = subgraph_fetches;
            config.dedup_client_queries = client_queries;
            config.with_response_cache(&kexie_testkit::redis_url(), &namespace)
        })
        .await;
        let read = || {
            let url = gateway.graphql_url();
            tokio::spawn(
                async move { common::post_url(&url, FIGURES, json!({"year": 2025})).await },
            )
        };
        let first = read();
        common::eventually("the first fetch to arrive", || received.count() == 1).await;
        // No write since: a read arriving now may share the work begun before it.
        let second = read();
        let metrics = gateway.metrics();
        common::eventually("the second read to join the first", || {
            let snapshot = metrics.snapshot();
            snapshot.deduplicated_subgraph_fetches + snapshot.deduplicated_client_queries == 1
        })
        .await;
        gate.add_permits(10);
        let five = json!({"data": {"talentFigures": {"workers": 5}}});
        assert_eq!(first.await.unwrap(), five);
        assert_eq!(second.await.unwrap(), five);
        assert_eq!(received.count(), 1);
        gateway.stop().await;
    }
}

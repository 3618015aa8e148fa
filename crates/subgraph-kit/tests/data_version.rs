//! The data version: advanced in PostgreSQL, mirrored to Redis under a lease, and when
//! Redis cannot be told, the write waits the lease out instead of failing.

use std::time::{Duration, Instant};

use kexie_contract::data_version::version_key;
use kexie_subgraph_kit::rollup::{DataVersion, LEASE};
use kexie_testkit::{redis_url, ClosedPort, TestDb};
use sqlx::PgPool;

async fn pool(db: &TestDb) -> PgPool {
    let pool = kexie_subgraph_kit::db::connect(&db.url, "probe")
        .await
        .unwrap();
    sqlx::query("create sequence data_version")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

async fn mirrored(namespace: &str) -> (Option<i64>, i64) {
    let mut redis = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = version_key(namespace, "probe");
    let value: Option<i64> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    (value, ttl)
}

#[tokio::test]
async fn a_bump_reaches_redis_with_a_lease_and_renewal_keeps_it() {
    let db = TestDb::new().await;
    let pool = pool(&db).await;
    let namespace = db.redis_namespace();
    let version = DataVersion::new(pool, &redis_url(), &namespace, "probe");

    assert_eq!(version.current().await.unwrap(), 0);
    assert_eq!(mirrored(&namespace).await.0, None);
    version.bump().await.unwrap();
    version.bump().await.unwrap();
    assert_eq!(version.current().await.unwrap(), 2);
    let (value, ttl) = mirrored(&namespace).await;
    assert_eq!(value, Some(2));
    assert!(ttl > 0 && ttl <= LEASE.as_millis() as i64, "lease {ttl} ms");

    // Without renewal the lease lapses: no reader may trust the cache any more.
    tokio::time::sleep(LEASE + Duration::from_millis(100)).await;
    assert_eq!(mirrored(&namespace).await.0, None);

    // Renewal puts back what PostgreSQL holds.
    let renewal = tokio::spawn(version.clone().renew_forever());
    tokio::time::sleep(LEASE * 2).await;
    assert_eq!(mirrored(&namespace).await.0, Some(2));
    renewal.abort();
}

#[tokio::test]
async fn with_redis_unreachable_a_write_waits_out_the_lease_and_succeeds() {
    let db = TestDb::new().await;
    let pool = pool(&db).await;
    let closed = ClosedPort::new();
    let version = DataVersion::new(pool, &closed.redis_url(), &db.redis_namespace(), "probe");
    let started = Instant::now();
    version.bump().await.unwrap();
    assert!(
        started.elapsed() >= LEASE,
        "acknowledged after {:?}, before every earlier lease expired",
        started.elapsed()
    );
    assert_eq!(version.current().await.unwrap(), 1);
    let counters = version.counters();
    assert_eq!(
        counters
            .lease_waits
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

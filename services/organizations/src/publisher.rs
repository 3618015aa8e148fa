//! Publishes the tree changes numbered in `unit_event` to Redis, where the other subgraphs'
//! replicas pick them up (see `kexie_subgraph_kit::unit_tree`). Woken right after each committed
//! change, and every second anyway, so a change committed by another organizations process,
//! or a Redis that restarted empty, is caught up.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use sqlx::PgPool;
use tokio::sync::Notify;

use kexie_subgraph_kit::server::MutationHook;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};

use crate::db;

const BATCH: i64 = 500;

/// Runs until aborted.
pub async fn run(pool: PgPool, redis_url: String, keys: TreeKeys, wake: Arc<Notify>) {
    let mut redis =
        match kexie_contract::data_version::redis_connection(&redis_url, Duration::from_secs(2)) {
            Ok(redis) => redis,
            Err(err) => {
                tracing::error!(error = ?err, "unit-tree publisher cannot start");
                return;
            }
        };
    let mut failing = false;
    loop {
        match publish_pending(&pool, &mut redis, &keys).await {
            Ok(()) if failing => {
                tracing::info!("unit-tree publisher reaches Redis again");
                failing = false;
            }
            Ok(()) => {}
            Err(err) if !failing => {
                tracing::warn!(error = ?err, "unit-tree publisher cannot publish; retrying every second");
                failing = true;
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Brings Redis up to the last committed change.
pub async fn publish_pending(
    pool: &PgPool,
    redis: &mut ConnectionManager,
    keys: &TreeKeys,
) -> anyhow::Result<()> {
    // Redis first, then PostgreSQL: a change committed in between is then simply ahead.
    let published = unit_tree::published_seq(redis, keys).await?;
    let mut conn = pool.acquire().await?;
    let last = db::tree::last_seq(&mut conn).await?;
    match published {
        Some(published) if published == last => Ok(()),
        Some(published) if published < last => {
            let mut from = published;
            while from < last {
                let events = db::tree::events_after(&mut conn, from, BATCH).await?;
                let Some((seq, _)) = events.last() else { break };
                let next = *seq;
                for (seq, units) in &events {
                    unit_tree::publish_event(redis, keys, *seq, units).await?;
                }
                from = next;
            }
            Ok(())
        }
        Some(_) => {
            // Redis is ahead of the database: the organizations data was reset.
            unit_tree::clear_published(redis, keys).await?;
            publish_snapshot(pool, redis, keys).await
        }
        None => publish_snapshot(pool, redis, keys).await,
    }
}

/// Publishes the whole tree, consistent with its sequence number.
async fn publish_snapshot(
    pool: &PgPool,
    redis: &mut ConnectionManager,
    keys: &TreeKeys,
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    db::tree::lock_shared(&mut tx).await?;
    let seq = db::tree::last_seq(&mut tx).await?;
    let units: Vec<ReplicatedUnit> = db::units::all(&mut tx)
        .await?
        .iter()
        .map(db::units::UnitRow::replicated)
        .collect();
    tx.commit().await?;
    if unit_tree::publish_snapshot(redis, keys, seq, &units).await? {
        tracing::info!(seq, units = units.len(), "published the whole unit tree");
    }
    Ok(())
}

/// How long a mutation's acknowledgement waits for its tree changes to reach Redis.
const PUBLISH_BEFORE_ACK_TIMEOUT: Duration = Duration::from_secs(1);

/// Publishes committed tree changes before a mutation is acknowledged, so that a rollup
/// read after the acknowledgement finds them published (the other subgraphs' figures wait
/// for their replica to catch up with what is published). Bounded: with Redis unreachable
/// the background publisher delivers them later.
pub fn publish_before_acknowledging(
    pool: PgPool,
    redis_url: &str,
    keys: TreeKeys,
) -> anyhow::Result<MutationHook> {
    let redis =
        kexie_contract::data_version::redis_connection(redis_url, Duration::from_millis(200))?;
    Ok(Arc::new(move || {
        let pool = pool.clone();
        let mut redis = redis.clone();
        let keys = keys.clone();
        Box::pin(async move {
            let published = tokio::time::timeout(
                PUBLISH_BEFORE_ACK_TIMEOUT,
                publish_pending(&pool, &mut redis, &keys),
            )
            .await;
            if !matches!(published, Ok(Ok(()))) {
                tracing::debug!("tree changes not published before the acknowledgement");
            }
        })
    }))
}

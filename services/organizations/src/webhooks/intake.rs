//! Takes the subgraphs' events off their Redis streams into `webhook_event`, with a
//! delivery for each subscription that wants the event, and acknowledges them.
//!
//! Each stream entry carries its event's `seq` (as its ID) and the `seq` of the event
//! before it (`prev`). An entry is stored only when `prev` is the last event stored from
//! that subgraph, so nothing is skipped: after a gap (entries Redis lost) nothing more is
//! stored from that subgraph until its relay, seeing no acknowledgement, sends again from
//! the last one acknowledged. Entries already stored are passed over, so resends and
//! several processes reading the same stream store each event once. The acknowledgement
//! (`<namespace>:webhooks:acknowledged:<subgraph>`) is set only after the commit.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use tokio::sync::Notify;

use kexie_subgraph_kit::outbox::{OutboxEvent, OutboxKeys, SOURCES};

use super::{event_type, Readers, Stats};
use crate::db::webhooks::{self as db, Audience};

/// How long a read waits on the streams for something new.
const BLOCK: Duration = Duration::from_millis(500);

/// Runs forever: reads the streams, stores, acknowledges, and wakes the deliverer.
pub async fn run(
    pool: PgPool,
    redis_url: String,
    namespace: String,
    stats: Stats,
    stored: std::sync::Arc<Notify>,
) {
    // A connection of its own: the blocking read must not hold up other commands.
    let mut redis = match kexie_contract::data_version::redis_connection(
        &redis_url,
        BLOCK + Duration::from_secs(2),
    ) {
        Ok(redis) => redis,
        Err(err) => {
            tracing::error!(error = ?err, "the webhook intake cannot start");
            return;
        }
    };
    let keys: Vec<OutboxKeys> = SOURCES
        .iter()
        .map(|source| OutboxKeys::new(&namespace, source))
        .collect();
    let mut failures = 0u32;
    loop {
        match step(&pool, &mut redis, &keys, &stats).await {
            Ok(read) => {
                failures = 0;
                if read.deliveries > 0 {
                    stored.notify_one();
                }
                if read.gap {
                    // The entries after a gap are still there: wait for the resend rather
                    // than read them again at once.
                    tokio::time::sleep(BLOCK).await;
                }
            }
            Err(err) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(error = ?err, "the webhook intake failed; retrying");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// What one read did.
#[derive(Default)]
struct Read {
    deliveries: u64,
    /// A stream's entries did not follow on from what was stored.
    gap: bool,
}

/// One read of every stream from where each subgraph's events stand.
async fn step(
    pool: &PgPool,
    redis: &mut ConnectionManager,
    keys: &[OutboxKeys],
    stats: &Stats,
) -> anyhow::Result<Read> {
    let positions = db::source_positions(pool).await?;
    let position = |source: &str| -> i64 {
        positions
            .iter()
            .find(|(name, _)| name == source)
            .map_or(0, |(_, seq)| *seq)
    };
    // Tell every relay where its events stand, also when nothing is new: the key may have
    // been lost with a Redis restart.
    let mut acknowledge = redis::pipe();
    for (source, key) in SOURCES.iter().zip(keys) {
        acknowledge
            .cmd("SET")
            .arg(&key.acknowledged)
            .arg(position(source))
            .ignore();
    }
    acknowledge
        .query_async::<()>(redis)
        .await
        .context("Failed to acknowledge webhook events")?;

    let mut xread = redis::cmd("XREAD");
    xread
        .arg("COUNT")
        .arg(500)
        .arg("BLOCK")
        .arg(BLOCK.as_millis() as u64)
        .arg("STREAMS");
    for key in keys {
        xread.arg(&key.stream);
    }
    for source in SOURCES {
        xread.arg(format!("{}-0", position(source)));
    }
    let reply: Option<redis::streams::StreamReadReply> = xread
        .query_async(redis)
        .await
        .context("Failed to read the webhook streams")?;
    let Some(reply) = reply else {
        return Ok(Read::default());
    };
    let mut read = Read::default();
    for stream in reply.keys {
        let Some(source) = SOURCES
            .iter()
            .zip(keys)
            .find(|(_, key)| key.stream == stream.key)
            .map(|(source, _)| *source)
        else {
            continue;
        };
        let mut tx = pool.begin().await?;
        let mut last = db::lock_source(&mut tx, source).await?;
        let before = last;
        let mut accepted = 0u64;
        for entry in &stream.ids {
            let seq: i64 = entry
                .id
                .split('-')
                .next()
                .and_then(|seq| seq.parse().ok())
                .context("a webhook stream entry has a malformed ID")?;
            if seq <= last {
                continue;
            }
            let prev: i64 = entry
                .get("prev")
                .context("a webhook stream entry has no prev")?;
            if prev != last {
                tracing::info!(source, expected = last, prev, "gap in the webhook events");
                read.gap = true;
                break;
            }
            let payload: String = entry
                .get("event")
                .context("a webhook stream entry has no event")?;
            let event: OutboxEvent = serde_json::from_str(&payload)
                .context("a webhook stream entry holds a malformed event")?;
            match event_type(&event.event_type) {
                Some(known) => {
                    let audience = Audience {
                        partners: known.record.readers != Readers::CityAdmins,
                        scope: known.scope().map(|scope| scope.as_str()),
                    };
                    read.deliveries += db::store_event(&mut tx, source, &event, &audience).await?;
                }
                None => tracing::warn!(
                    event_type = %event.event_type,
                    "a webhook event of a type the catalog does not know; passed over"
                ),
            }
            last = seq;
            accepted += 1;
        }
        if last != before {
            db::set_source(&mut tx, source, last).await?;
            stats.events_received.fetch_add(accepted, Ordering::Relaxed);
        }
        tx.commit().await?;
        if last != before {
            let key = &keys[SOURCES.iter().position(|name| *name == source).unwrap_or(0)];
            redis::cmd("SET")
                .arg(&key.acknowledged)
                .arg(last)
                .query_async::<()>(redis)
                .await
                .context("Failed to acknowledge webhook events")?;
        }
    }
    Ok(read)
}

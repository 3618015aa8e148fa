//! The webhook outbox's relay: every subgraph's writes leave events in its `outbox_event`
//! table, numbered in commit order (see the `outbox` migration); this task hands them to the
//! organizations subgraph, which stores them, matches them with the subscriptions and
//! delivers them.
//!
//! The carrier is a Redis stream per subgraph (`<namespace>:webhooks:<subgraph>`), each
//! entry's ID the event's `seq` and its `prev` the `seq` of the event before it, so the
//! receiver can tell a gap. The receiver acknowledges by setting
//! `<namespace>:webhooks:acknowledged:<subgraph>` to the last `seq` it has stored; only
//! then does the relay count an event as handed on. Redis keeps nothing on disk, so
//! anything it loses is sent again: when the acknowledgement stops moving while events wait
//! (the stream or the receiver lost them, or the receiver is down), the relay starts the
//! stream again from the last acknowledged event. Events are dropped from the outbox a day
//! after their acknowledgement.
//!
//! Caught up, the relay waits for the outbox's notification (`outbox_<schema>`, sent by the
//! capture when a transaction with events commits) and looks anyway every [`IDLE_LOOK`],
//! for acknowledgements and for a notification lost to a broken connection.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use uuid::Uuid;

use crate::metrics::{encode_counters, encode_gauge};

/// How often the relay looks at the outbox and the acknowledgement without news.
const IDLE_LOOK: Duration = Duration::from_secs(2);
/// How long the relay waits after a failure (Redis or the database away).
const RETRY: Duration = Duration::from_secs(1);
/// Events read and sent at once.
const BATCH: i64 = 500;
/// How long sent events may wait for their acknowledgement before they are sent again.
const RESEND_AFTER: Duration = Duration::from_secs(10);
/// Entries a stream keeps; the receiver is normally a fraction of a second behind.
const STREAM_MAX_LEN: u64 = 100_000;

/// The subgraphs whose events the hub delivers, in the order the receiver reads them.
pub const SOURCES: [&str; 5] = [
    "organizations",
    "talent",
    "popularization",
    "advice",
    "innovation",
];

/// An event as it travels from a subgraph's outbox to the receiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEvent {
    pub seq: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub record_type: String,
    pub record_id: Uuid,
    pub record_version: Option<i32>,
    pub unit_id: Option<Uuid>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// The Redis keys of one subgraph's events.
#[derive(Clone, Debug)]
pub struct OutboxKeys {
    pub stream: String,
    pub acknowledged: String,
}

impl OutboxKeys {
    pub fn new(namespace: &str, subgraph: &str) -> Self {
        OutboxKeys {
            stream: format!("{namespace}:webhooks:{subgraph}"),
            acknowledged: format!("{namespace}:webhooks:acknowledged:{subgraph}"),
        }
    }
}

/// What the relay has done, for `/metrics`.
#[derive(Debug, Default)]
pub struct RelayStats {
    /// Events in the outbox not yet acknowledged by the receiver.
    pub waiting: AtomicI64,
    /// Events sent on the stream, resends included.
    pub sent: AtomicU64,
    /// Times the relay started the stream again from the last acknowledgement.
    pub restarts: AtomicU64,
}

/// Adds the events after `prev` (up to [`STREAM_MAX_LEN`] entries kept) to the stream; an
/// event whose ID is not above the stream's last is already there (another relay of the
/// same subgraph sent it) and is left alone.
const ADD_EVENTS: &str = r"
for i = 2, #ARGV, 3 do
  redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], ARGV[i], 'prev', ARGV[i + 1], 'event', ARGV[i + 2])
end
return 1
";

/// Relays the outbox of `subgraph` forever; started by every subgraph process beside its
/// server. Failures (Redis or the database away) are retried.
pub async fn run_relay(
    pool: PgPool,
    redis_url: String,
    namespace: String,
    subgraph: &'static str,
    stats: Arc<RelayStats>,
) {
    let mut redis =
        match kexie_contract::data_version::redis_connection(&redis_url, Duration::from_secs(2)) {
            Ok(redis) => redis,
            Err(err) => {
                tracing::error!(error = ?err, "the webhook outbox relay cannot start");
                return;
            }
        };
    let keys = OutboxKeys::new(&namespace, subgraph);
    let mut relay = Relay {
        pool,
        keys,
        stats,
        acknowledged: None,
        sent: 0,
        waiting_since: None,
    };
    let mut news = News {
        listener: None,
        channel: None,
    };
    let mut failures = 0u32;
    loop {
        match relay.step(&mut redis).await {
            Ok(caught_up) => {
                failures = 0;
                if caught_up {
                    news.wait(&relay.pool).await;
                }
            }
            Err(err) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(error = ?err, subgraph, "the webhook outbox relay failed; retrying");
                }
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

/// The outbox's notifications, listened to on a connection of their own.
struct News {
    listener: Option<PgListener>,
    /// `outbox_<schema>`, once read.
    channel: Option<String>,
}

impl News {
    /// Waits for a notification, at most [`IDLE_LOOK`]; listens again after a failure.
    async fn wait(&mut self, pool: &PgPool) {
        if self.listener.is_none() {
            self.listener = self.listen(pool).await.ok();
        }
        let Some(listener) = &mut self.listener else {
            tokio::time::sleep(IDLE_LOOK).await;
            return;
        };
        let lost = tokio::select! {
            received = listener.recv() => received.is_err(),
            () = tokio::time::sleep(IDLE_LOOK) => false,
        };
        if lost {
            self.listener = None;
        }
    }

    async fn listen(&mut self, pool: &PgPool) -> sqlx::Result<PgListener> {
        let channel = match &self.channel {
            Some(channel) => channel.clone(),
            None => {
                let schema: String = sqlx::query_scalar("select current_schema()")
                    .fetch_one(pool)
                    .await?;
                self.channel.insert(format!("outbox_{schema}")).clone()
            }
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(&channel).await?;
        Ok(listener)
    }
}

struct Relay {
    pool: PgPool,
    keys: OutboxKeys,
    stats: Arc<RelayStats>,
    /// The last `seq` the receiver acknowledged, once read.
    acknowledged: Option<i64>,
    /// The last `seq` put on the stream.
    sent: i64,
    /// Since when sent events have waited without the acknowledgement moving.
    waiting_since: Option<Instant>,
}

impl Relay {
    /// One round: takes in the acknowledgement, sends what is new. `Ok(true)` when nothing
    /// more was waiting.
    async fn step(&mut self, redis: &mut ConnectionManager) -> anyhow::Result<bool> {
        let stored: i64 = sqlx::query_scalar("select acknowledged_seq from outbox_relay")
            .fetch_one(&self.pool)
            .await?;
        let acknowledged = self.acknowledged.unwrap_or(stored).max(stored);
        let told: Option<i64> = redis::cmd("GET")
            .arg(&self.keys.acknowledged)
            .query_async(redis)
            .await
            .context("Failed to read the webhook acknowledgement")?;
        let acknowledged = match told {
            Some(told) if told > acknowledged => {
                // Events stay a day after their acknowledgement, to look into.
                sqlx::query(
                    "with moved as (update outbox_relay set acknowledged_seq = $1
                                     where acknowledged_seq < $1)
                     delete from outbox_event
                     where seq <= $1 and occurred_at < now() - interval '1 day'",
                )
                .bind(told)
                .execute(&self.pool)
                .await?;
                self.waiting_since = None;
                told
            }
            _ => acknowledged,
        };
        // Another process of this subgraph may have sent further.
        self.sent = self.sent.max(acknowledged);
        self.acknowledged = Some(acknowledged);
        if self.sent > acknowledged {
            let since = *self.waiting_since.get_or_insert_with(Instant::now);
            if since.elapsed() > RESEND_AFTER {
                tracing::info!(
                    acknowledged,
                    sent = self.sent,
                    stream = %self.keys.stream,
                    "webhook events unacknowledged; sending again from the acknowledgement"
                );
                redis::cmd("DEL")
                    .arg(&self.keys.stream)
                    .query_async::<()>(redis)
                    .await?;
                self.sent = acknowledged;
                self.waiting_since = None;
                self.stats.restarts.fetch_add(1, Ordering::Relaxed);
            }
        }
        let events: Vec<OutboxEvent> = sqlx::query_as(
            "select seq, event_id, event_type, record_type, record_id, record_version, unit_id,
                    from_status, to_status, occurred_at
             from outbox_event where seq > $1 order by seq limit $2",
        )
        .bind(self.sent)
        .bind(BATCH)
        .fetch_all(&self.pool)
        .await?;
        let waiting: i64 = sqlx::query_scalar("select count(*) from outbox_event where seq > $1")
            .bind(acknowledged)
            .fetch_one(&self.pool)
            .await?;
        self.stats.waiting.store(waiting, Ordering::Relaxed);
        let Some(last) = events.last().map(|event| event.seq) else {
            return Ok(true);
        };
        let script = redis::Script::new(ADD_EVENTS);
        let mut invocation = script.key(&self.keys.stream);
        invocation.arg(STREAM_MAX_LEN);
        let mut prev = self.sent;
        for event in &events {
            invocation
                .arg(format!("{}-0", event.seq))
                .arg(prev)
                .arg(serde_json::to_string(event)?);
            prev = event.seq;
        }
        invocation
            .invoke_async::<i64>(redis)
            .await
            .context("Failed to add webhook events to the stream")?;
        if self.sent == acknowledged {
            self.waiting_since = Some(Instant::now());
        }
        self.sent = last;
        self.stats
            .sent
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        Ok(events.len() < BATCH as usize)
    }
}

/// The relay's counters on `/metrics`.
#[derive(Debug)]
pub struct RelayCollector(pub Arc<RelayStats>);

impl Collector for RelayCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode_gauge(
            &mut encoder,
            "subgraph_webhook_outbox_waiting_events",
            "Webhook events in the outbox not yet acknowledged by the organizations subgraph.",
            self.0.waiting.load(Ordering::Relaxed),
        )?;
        encode_counters(
            &mut encoder,
            &[
                (
                    "subgraph_webhook_outbox_sent_events",
                    "Webhook events put on the stream to the organizations subgraph, resends included.",
                    &self.0.sent,
                ),
                (
                    "subgraph_webhook_outbox_restarts",
                    "Times the relay sent again from the last acknowledgement.",
                    &self.0.restarts,
                ),
            ],
        )
    }
}

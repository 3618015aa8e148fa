//! Delivers the stored events to the subscribers' endpoints: each subscription's deliveries
//! one at a time, in event order (so a record's events arrive in the order of its writes),
//! different subscriptions side by side.
//!
//! A delivery is a `POST` of the event as JSON with
//! - `Kexie-Webhook-Id`: the event's ID — the same on every attempt and redelivery, so the
//!   receiver can drop duplicates;
//! - `Kexie-Webhook-Timestamp`: seconds since the Unix epoch when this attempt was signed;
//! - `Kexie-Webhook-Signature`: `v1=` and the hex HMAC-SHA256, keyed with the
//!   subscription's secret, of `<timestamp>.<body>`.
//!
//! Any 2xx within the timeout delivers it; anything else is retried after a wait that
//! doubles each time, up to the configured cap, for the configured window, after which the
//! delivery is FAILED (and can be redelivered through the API). Redirects are not followed.
//! An attempt in flight holds a lease: if the process stops, another (or the restarted one)
//! attempts it again once the lease runs out — a duplicate at worst, never a loss.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use sqlx::PgPool;
use tokio::sync::Notify;

use super::{DeliverySettings, Stats};
use kexie_subgraph_kit::outbox::OutboxEvent;

use crate::db::webhooks::{self as db, DueDelivery, Outcome};

/// How often the deliverer looks for due deliveries when nothing wakes it.
const POLL: Duration = Duration::from_secs(2);
/// Subscriptions attempted at once.
const AT_ONCE: i64 = 64;

/// The signature of a delivery: hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The body of a delivery.
pub fn body(event: &OutboxEvent) -> Vec<u8> {
    let payload = json!({
        "id": event.event_id,
        "type": event.event_type,
        "occurredAt": event.occurred_at,
        "record": {
            "type": event.record_type,
            "id": event.record_id,
            "version": event.record_version,
            "unitId": event.unit_id,
        },
        "change": {
            "fromStatus": event.from_status,
            "toStatus": event.to_status,
        },
    });
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// Runs forever, woken early when the intake stored new deliveries.
pub async fn run(pool: PgPool, settings: DeliverySettings, stats: Stats, stored: Arc<Notify>) {
    let client = match client(&settings) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = ?err, "the webhook deliverer cannot start");
            return;
        }
    };
    // Long enough for the attempt, with room to record its outcome.
    let lease = settings.timeout + Duration::from_secs(5);
    let mut failures = 0u32;
    loop {
        match round(&pool, &client, &settings, &stats, lease).await {
            Ok(Round {
                attempted,
                soonest_retry,
            }) => {
                failures = 0;
                if attempted == 0 {
                    // Until the intake stores something, a retry falls due, or the next look.
                    let wait = soonest_retry.map_or(POLL, |retry| retry.min(POLL));
                    tokio::select! {
                        () = stored.notified() => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
            Err(err) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(error = ?err, "the webhook deliverer failed; retrying");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn client(settings: &DeliverySettings) -> anyhow::Result<reqwest::Client> {
    let tls = kexie_contract::tls::client_config(&[], None)?;
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Kexie-Hub-Webhooks/1")
        .build()?)
}

/// What a round did.
struct Round {
    attempted: usize,
    /// The shortest wait before a retry of this round (or, in a round that attempted
    /// nothing, before the next due delivery, as far as known).
    soonest_retry: Option<Duration>,
}

/// Attempts every due delivery once.
async fn round(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &DeliverySettings,
    stats: &Stats,
    lease: Duration,
) -> anyhow::Result<Round> {
    let due = db::take_due(pool, AT_ONCE, lease).await?;
    let outcomes = futures::future::join_all(
        due.iter()
            .map(|delivery| attempt(pool, client, settings, stats, delivery)),
    )
    .await;
    let mut soonest_retry: Option<Duration> = None;
    for outcome in outcomes {
        if let Some(wait) = outcome? {
            soonest_retry = Some(soonest_retry.map_or(wait, |soonest| soonest.min(wait)));
        }
    }
    stats
        .pending
        .store(db::pending_count(pool).await?, Ordering::Relaxed);
    let soonest_retry = match soonest_retry {
        Some(wait) => Some(wait),
        None if due.is_empty() => db::next_due_in(pool).await?,
        None => None,
    };
    Ok(Round {
        attempted: due.len(),
        soonest_retry,
    })
}

/// Makes one attempt and records it; returns the wait before its retry, if it failed.
async fn attempt(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &DeliverySettings,
    stats: &Stats,
    delivery: &DueDelivery,
) -> sqlx::Result<Option<Duration>> {
    let body = body(&delivery.event);
    let timestamp = Utc::now().timestamp();
    let signature = sign(&delivery.secret, timestamp, &body);
    let sent = client
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Kexie-Webhook-Id", delivery.event.event_id.to_string())
        .header("Kexie-Webhook-Timestamp", timestamp.to_string())
        .header("Kexie-Webhook-Signature", format!("v1={signature}"))
        .body(body)
        .send()
        .await;
    let (status_code, error) = match sent {
        Ok(response) if response.status().is_success() => {
            stats.delivered.fetch_add(1, Ordering::Relaxed);
            let outcome = Outcome::Delivered {
                status_code: i32::from(response.status().as_u16()),
            };
            db::record_attempt(pool, delivery.webhook_delivery_id, &outcome).await?;
            return Ok(None);
        }
        Ok(response) => (
            Some(i32::from(response.status().as_u16())),
            format!("the endpoint answered {}", response.status()),
        ),
        Err(err) if err.is_timeout() => (
            None,
            format!("no answer within {} ms", settings.timeout.as_millis()),
        ),
        Err(err) => (None, format!("the request failed: {}", err.without_url())),
    };
    stats.attempts_failed.fetch_add(1, Ordering::Relaxed);
    let wait = settings.backoff(delivery.attempts);
    let retry_at = Utc::now() + wait;
    let window = chrono::Duration::from_std(settings.retry_for).unwrap_or(chrono::Duration::MAX);
    let retry_at = (retry_at - delivery.retrying_since <= window).then_some(retry_at);
    if retry_at.is_none() {
        stats.given_up.fetch_add(1, Ordering::Relaxed);
    }
    let outcome = Outcome::Failed {
        status_code,
        error: &error,
        retry_at,
    };
    db::record_attempt(pool, delivery.webhook_delivery_id, &outcome).await?;
    Ok(retry_at.map(|_| wait))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_what_a_receiver_computes_from_the_readme() {
        // Python: hmac.new(b"whsec_test", b'1765000000.{"id":"x"}', hashlib.sha256).hexdigest()
        assert_eq!(
            super::sign("whsec_test", 1_765_000_000, br#"{"id":"x"}"#),
            "ac475eb6c134c555bc82f0ed26965f3a4a10bed260bafb349dc42be85e37de16"
        );
    }
}

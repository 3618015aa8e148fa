//! What rollups (leadership's figures over a unit's subtree) need in every subgraph: the
//! `@rollup` mark on their types, the period they cover, and the data version that keeps
//! cached figures fresh.
//!
//! Freshness. The gateway caches rollup responses in Redis, keyed by the data version of
//! every subgraph. A subgraph's version is the PostgreSQL sequence `data_version` in its
//! schema, mirrored to the Redis key `{namespace}:data-version:{subgraph}`, which carries
//! a lease: it expires unless renewed, and only a renewal that read the sequence renews it.
//!
//! - After every mutation request (and every change of the replicated unit tree, and
//!   seeding) the sequence is advanced and the new value mirrored, *after* the transaction
//!   committed and *before* the response is sent. A read that begins after the write was
//!   acknowledged sees the new version, misses, and recomputes.
//! - A lease ends at a wall-clock time counted from when its version was read from
//!   PostgreSQL (`PXAT`), not from when Redis applied it: a mirror that reaches Redis late
//!   (a slow network, a command stuck in a buffer after its caller gave up) cannot keep an
//!   old version alive longer than [`LEASE`] after it was read. A mirror never lowers the
//!   key: a larger version in Redis is left as it is.
//! - If mirroring fails (Redis down, unreachable from this process, or slow), the
//!   acknowledgement waits until [`LEASE`] and [`LEASE_MARGIN`] have passed since the
//!   version was advanced: by then every lease on a version read before the advance has
//!   ended, so the key is either gone (the gateway serves without cache) or holds a version
//!   read after it. Writes get slower while Redis is unreachable; they never fail because
//!   of it, and no reader sees a figure older than an acknowledged write. This assumes the
//!   clocks of the subgraph processes and of Redis differ by less than [`LEASE_MARGIN`]
//!   (NTP keeps them within milliseconds).
//! - A missing key means "no cache": the gateway computes from the subgraphs.
//!
//! Every Redis call is bounded by [`REDIS_TIMEOUT`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::{InputObject, TypeDirective};
use chrono::{Datelike, NaiveDate};
use redis::aio::ConnectionManager;
use sqlx::PgPool;

use crate::error::{ApiError, ApiResult};

// Composed into the supergraph (`@composeDirective`). Put it on every type whose fields are
// computed from records across a subtree: `#[graphql(directive = rollup::apply())]`.
/// A type of figures over a unit's subtree (a rollup). The gateway caches the answers of
/// queries that select one under every subgraph's data version: never older than a write
/// acknowledged before the query was sent.
#[TypeDirective(location = "Object", composable = "https://kexie.example/rollup/v1.0")]
pub fn rollup() {}

// Composed into the supergraph too: `#[graphql(directive = series::apply())]` on the list
// fields of a series.
/// A list holding one item per calendar period of the `series` argument in force (the
/// field's own, else the nearest enclosing field's). The gateway's cost limit counts the
/// list by those points.
#[TypeDirective(
    location = "FieldDefinition",
    composable = "https://kexie.example/series/v1.0"
)]
pub fn series() {}

/// The longest any Redis call of the data version may take.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(50);
/// How long a mirrored version stays valid without renewal.
pub const LEASE: Duration = Duration::from_millis(1000);
/// How often each process renews the lease.
const RENEW_EVERY: Duration = Duration::from_millis(250);
/// Added to [`LEASE`] when a write waits out the leases: covers the difference between the
/// clocks of the processes and of Redis.
pub const LEASE_MARGIN: Duration = Duration::from_millis(300);

/// The period a rollup covers: a year, a quarter of a year, or a range of days. Exactly one
/// of `year` (optionally with `quarter`) or `from`/`to` is given.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PeriodInput {
    pub year: Option<i32>,
    /// 1–4, with `year`.
    pub quarter: Option<i32>,
    /// First day, with `to`.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive), with `from`.
    pub to: Option<NaiveDate>,
}

/// A validated period: the days from `from` to `to`, both inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl PeriodInput {
    pub fn parse(&self) -> ApiResult<Period> {
        let invalid = |message: crate::error::Text| Err(ApiError::validation("period", message));
        match (self.year, self.quarter, self.from, self.to) {
            (Some(year), quarter, None, None) => {
                crate::validate::year("period.year", year)?;
                let (first_month, last_month) = match quarter {
                    None => (1, 12),
                    Some(quarter @ 1..=4) => (3 * quarter as u32 - 2, 3 * quarter as u32),
                    Some(_) => {
                        return Err(ApiError::validation(
                            "period.quarter",
                            crate::text!("must be 1, 2, 3 or 4", "须为 1、2、3 或 4"),
                        ))
                    }
                };
                let from = NaiveDate::from_ymd_opt(year, first_month, 1);
                let to = last_day_of_month(year, last_month);
                match (from, to) {
                    (Some(from), Some(to)) => Ok(Period { from, to }),
                    _ => invalid(crate::text!("is not a valid year", "不是有效的年份")),
                }
            }
            (None, None, Some(from), Some(to)) => {
                crate::validate::date_order("period.to", Some(from), Some(to))?;
                if (to - from).num_days() > 366 * 20 {
                    return invalid(crate::text!("may span at most twenty years", "最长二十年"));
                }
                Ok(Period { from, to })
            }
            (None, Some(_), _, _) => invalid(crate::text!(
                "a quarter needs its year",
                "指定季度须同时指定年份"
            )),
            _ => invalid(crate::text!(
                "give either year (with an optional quarter) or both from and to",
                "请给出年份（可附季度），或同时给出 from 和 to"
            )),
        }
    }
}

impl Period {
    /// The calendar year a period of one year or less falls in, for yearly targets.
    pub fn year(&self) -> i32 {
        self.from.year()
    }

    /// A stable text form for cache keys.
    pub fn key(&self) -> String {
        format!("{}..{}", self.from, self.to)
    }
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
}

/// Sets the key to the given version with a lease ending at ARGV[2] (Unix milliseconds),
/// unless it holds a larger one, which is left as it is. A lease that has already ended
/// removes the key (Redis deletes a key set to expire in the past).
const MIRROR: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local version = tonumber(ARGV[1])
if current > version then return current end
redis.call('SET', KEYS[1], version, 'PXAT', ARGV[2])
return version
";

/// Counts of the data version, served on `/metrics`.
#[derive(Default, Debug)]
pub struct VersionCounters {
    /// Versions advanced (writes, tree changes, seeding).
    pub bumps: AtomicU64,
    /// Mirrors and renewals Redis did not take in time.
    pub mirror_failures: AtomicU64,
    /// Writes whose acknowledgement waited out the leases.
    pub lease_waits: AtomicU64,
}

/// A subgraph's data version: advanced after writes, mirrored to Redis with a lease.
#[derive(Clone)]
pub struct DataVersion {
    pool: PgPool,
    redis: Option<ConnectionManager>,
    key: String,
    counters: Arc<VersionCounters>,
}

impl DataVersion {
    /// The version of the subgraph whose schema `pool` uses. An invalid Redis URL leaves
    /// the version unmirrored (the gateway then serves rollups without cache).
    pub fn new(pool: PgPool, redis_url: &str, namespace: &str, subgraph: &str) -> Self {
        let redis = match kexie_contract::data_version::redis_connection(redis_url, REDIS_TIMEOUT) {
            Ok(redis) => Some(redis),
            Err(err) => {
                tracing::warn!(error = ?err, "the data version is not mirrored to Redis");
                None
            }
        };
        DataVersion {
            pool,
            redis,
            key: kexie_contract::data_version::version_key(namespace, subgraph),
            counters: Arc::default(),
        }
    }

    pub fn counters(&self) -> Arc<VersionCounters> {
        self.counters.clone()
    }

    /// The version in PostgreSQL (0 before the first write).
    pub async fn current(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "select case when is_called then last_value else 0 end from data_version",
        )
        .fetch_one(&self.pool)
        .await
    }

    /// Advances the version after a committed write; returns once no reader can be served
    /// figures from before it. An error means the version could not be advanced: the write
    /// must not be acknowledged as cached-fresh.
    pub async fn bump(&self) -> sqlx::Result<()> {
        let advanced_at = SystemTime::now();
        let version = self.advance().await?;
        self.counters.bumps.fetch_add(1, Ordering::Relaxed);
        if !self.mirror(version, advanced_at).await {
            self.counters.lease_waits.fetch_add(1, Ordering::Relaxed);
            let leases_end = advanced_at + LEASE + LEASE_MARGIN;
            let left = leases_end
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            tokio::time::sleep(left).await;
        }
        Ok(())
    }

    async fn advance(&self) -> sqlx::Result<i64> {
        let mut attempt = 0;
        loop {
            match sqlx::query_scalar("select nextval('data_version')")
                .fetch_one(&self.pool)
                .await
            {
                Ok(version) => return Ok(version),
                Err(err) if attempt >= 2 => return Err(err),
                Err(_) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
            }
        }
    }

    /// Mirrors `version`, read from PostgreSQL at `read_at`, with a lease ending [`LEASE`]
    /// after that; false if Redis did not take it in time.
    async fn mirror(&self, version: i64, read_at: SystemTime) -> bool {
        let Some(redis) = &self.redis else {
            return false;
        };
        let lease_ends = (read_at + LEASE)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        let mut redis = redis.clone();
        let script = redis::Script::new(MIRROR);
        let mut invocation = script.key(&self.key);
        invocation.arg(version).arg(lease_ends);
        let mirrored =
            tokio::time::timeout(REDIS_TIMEOUT, invocation.invoke_async::<i64>(&mut redis)).await;
        let ok = matches!(mirrored, Ok(Ok(_)));
        if !ok {
            self.counters
                .mirror_failures
                .fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Renews the lease with the version read from PostgreSQL, every [`RENEW_EVERY`], until
    /// aborted. Run one per process.
    pub async fn renew_forever(self) {
        let mut reachable = true;
        loop {
            let read_at = SystemTime::now();
            let renewed = match self.current().await {
                Ok(version) => self.mirror(version, read_at).await,
                Err(_) => false,
            };
            if renewed != reachable {
                reachable = renewed;
                if renewed {
                    tracing::info!(key = %self.key, "rollup cache enabled again: the data version reaches Redis");
                } else {
                    tracing::warn!(key = %self.key, "rollup cache disabled: the data version cannot be mirrored to Redis; rollups come from PostgreSQL");
                }
            }
            tokio::time::sleep(RENEW_EVERY).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(
        year: Option<i32>,
        quarter: Option<i32>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> ApiResult<Period> {
        PeriodInput {
            year,
            quarter,
            from: from.map(|day| day.parse().unwrap()),
            to: to.map(|day| day.parse().unwrap()),
        }
        .parse()
    }

    #[test]
    fn years_quarters_and_ranges_become_inclusive_days() {
        let year = period(Some(2025), None, None, None).unwrap();
        assert_eq!(year.key(), "2025-01-01..2025-12-31");
        let q1 = period(Some(2024), Some(1), None, None).unwrap();
        assert_eq!(q1.key(), "2024-01-01..2024-03-31");
        let q4 = period(Some(2024), Some(4), None, None).unwrap();
        assert_eq!(q4.key(), "2024-10-01..2024-12-31");
        let range = period(None, None, Some("2025-03-05"), Some("2025-03-05")).unwrap();
        assert_eq!(range.key(), "2025-03-05..2025-03-05");
    }

    #[test]
    fn ambiguous_or_backwards_periods_are_refused() {
        assert!(period(Some(2025), Some(5), None, None).is_err());
        assert!(period(None, Some(1), None, None).is_err());
        assert!(period(Some(2025), None, Some("2025-01-01"), Some("2025-02-01")).is_err());
        assert!(period(None, None, Some("2025-02-01"), Some("2025-01-01")).is_err());
        assert!(period(None, None, None, None).is_err());
    }

    async fn mirrored(version: &DataVersion) -> (Option<i64>, i64) {
        let mut redis = version.redis.clone().unwrap();
        let value: Option<i64> = redis::cmd("GET")
            .arg(&version.key)
            .query_async(&mut redis)
            .await
            .unwrap();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(&version.key)
            .query_async(&mut redis)
            .await
            .unwrap();
        (value, ttl)
    }

    #[tokio::test]
    async fn a_mirror_that_reaches_redis_late_cannot_keep_an_old_version_alive() {
        let pool = PgPool::connect_lazy("postgres://postgres@127.0.0.1:5432/postgres").unwrap();
        let namespace = format!("lease-{}", uuid::Uuid::now_v7().simple());
        let version = DataVersion::new(pool, &kexie_testkit::redis_url(), &namespace, "probe");

        // Read a lease ago: the lease is over before Redis sees it, and no key is left.
        let long_ago = SystemTime::now() - LEASE - Duration::from_millis(10);
        assert!(version.mirror(5, long_ago).await);
        assert_eq!(mirrored(&version).await.0, None);

        // Read just now: the lease ends a lease from now.
        assert!(version.mirror(7, SystemTime::now()).await);
        let (value, ttl) = mirrored(&version).await;
        assert_eq!(value, Some(7));
        assert!(ttl > 0 && ttl <= LEASE.as_millis() as i64, "lease {ttl} ms");

        // An older version read later never lowers the key, nor lengthens its lease.
        assert!(version.mirror(6, SystemTime::now() + LEASE).await);
        let (value, ttl) = mirrored(&version).await;
        assert_eq!(value, Some(7));
        assert!(ttl <= LEASE.as_millis() as i64, "lease {ttl} ms");
    }
}

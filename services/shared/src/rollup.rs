//! What rollups (leadership's figures over a unit's subtree) need in every subgraph: the
//! period they cover, and a Redis cache that is never older than the last acknowledged write.
//!
//! Freshness: each subgraph schema has a sequence `data_version`. After every mutation
//! request (and after every change of the replicated unit tree, and after seeding) the
//! sequence is advanced, *after* the transaction committed and *before* the response is
//! sent. Cached figures are keyed by the version read when the read began, so a read that
//! starts after a write was acknowledged uses a version no earlier computation could have
//! used: it misses and recomputes. Reading the version is one tiny PostgreSQL query; the
//! figures themselves come from Redis.
//!
//! Redis down, unreachable or slow: every call is bounded by [`REDIS_TIMEOUT`], counted as a
//! failure, and the figures are computed from PostgreSQL; a request never fails because of
//! the cache.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensions as _, InputObject, Response, ServerResult, Variables};
use chrono::{Datelike, NaiveDate};
use redis::aio::ConnectionManager;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::PgPool;

use crate::error::{ApiError, ApiResult};

/// The longest any cache call may take before the answer is computed without it.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(50);
/// How long cached figures live; versions make them unreachable long before, this only
/// bounds the memory of versions nobody asks for any more.
const CACHE_TTL_SECONDS: u64 = 3600;

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
        let invalid = |message: &str| Err(ApiError::validation("period", message));
        match (self.year, self.quarter, self.from, self.to) {
            (Some(year), quarter, None, None) => {
                crate::validate::year("period.year", year)?;
                let (first_month, last_month) = match quarter {
                    None => (1, 12),
                    Some(quarter @ 1..=4) => (3 * quarter as u32 - 2, 3 * quarter as u32),
                    Some(_) => {
                        return Err(ApiError::validation(
                            "period.quarter",
                            "must be 1, 2, 3 or 4",
                        ))
                    }
                };
                let from = NaiveDate::from_ymd_opt(year, first_month, 1);
                let to = last_day_of_month(year, last_month);
                match (from, to) {
                    (Some(from), Some(to)) => Ok(Period { from, to }),
                    _ => invalid("is not a valid year"),
                }
            }
            (None, None, Some(from), Some(to)) => {
                crate::validate::date_order("period.to", Some(from), Some(to))?;
                if (to - from).num_days() > 366 * 20 {
                    return invalid("may span at most twenty years");
                }
                Ok(Period { from, to })
            }
            (None, Some(_), _, _) => invalid("a quarter needs its year"),
            _ => invalid("give either year (with an optional quarter) or both from and to"),
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

/// The current data version of the subgraph whose pool this is.
pub async fn data_version(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("select last_value from data_version")
        .fetch_one(pool)
        .await
}

/// Advances the data version; call after a committed write, before acknowledging it.
pub async fn bump_data_version(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query("select nextval('data_version')")
        .execute(pool)
        .await?;
    Ok(())
}

/// Advances the data version after every mutation request, so that no resolver can forget.
pub struct BumpDataVersionAfterMutations {
    pool: PgPool,
}

impl BumpDataVersionAfterMutations {
    pub fn new(pool: PgPool) -> Self {
        BumpDataVersionAfterMutations { pool }
    }
}

impl ExtensionFactory for BumpDataVersionAfterMutations {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(BumpAfterMutation {
            pool: self.pool.clone(),
            is_mutation: AtomicBool::new(false),
        })
    }
}

struct BumpAfterMutation {
    pool: PgPool,
    is_mutation: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for BumpAfterMutation {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let is_mutation = document
            .operations
            .iter()
            .any(|(_, operation)| operation.node.ty == OperationType::Mutation);
        self.is_mutation.store(is_mutation, Ordering::Relaxed);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if self.is_mutation.load(Ordering::Relaxed) {
            if let Err(err) = bump_data_version(&self.pool).await {
                // The write may have committed: the caches of this subgraph cannot be
                // trusted to be fresh, so the client must not take this as acknowledged.
                tracing::error!(error = %err, "failed to advance the data version after a mutation");
                let mut response = response;
                response.errors.push(
                    ApiError::internal("failed to advance the data version")
                        .extend()
                        .into_server_error(async_graphql::Pos::default()),
                );
                return response;
            }
        }
        response
    }
}

/// Counts of the rollup cache, served on `/metrics`.
#[derive(Default, Debug)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub failures: AtomicU64,
}

/// The Redis cache of one subgraph's rollups.
#[derive(Clone)]
pub struct RollupCache {
    redis: Option<ConnectionManager>,
    prefix: String,
    pub counters: Arc<CacheCounters>,
}

impl RollupCache {
    /// A cache in `namespace` for `subgraph`; without a usable `redis_url` every read
    /// computes from PostgreSQL.
    pub fn new(redis_url: &str, namespace: &str, subgraph: &str) -> Self {
        let redis = match crate::unit_tree::redis_connection(redis_url, REDIS_TIMEOUT) {
            Ok(redis) => Some(redis),
            Err(err) => {
                tracing::warn!(error = %err, "rollups will be computed without a cache");
                None
            }
        };
        RollupCache {
            redis,
            prefix: format!("{namespace}:rollup:{subgraph}"),
            counters: Arc::default(),
        }
    }

    /// A cache that never holds anything (tests of the uncached path, tools).
    pub fn disabled() -> Self {
        RollupCache {
            redis: None,
            prefix: String::new(),
            counters: Arc::default(),
        }
    }

    /// The values of `keys` (computed by `compute` for the ones the cache lacks, then
    /// stored), in the order of `keys`. `compute` gets the missing keys and returns their
    /// values in the same order.
    pub async fn get_or_compute<K, T, F, Fut>(
        &self,
        pool: &PgPool,
        keys: &[K],
        key_text: impl Fn(&K) -> String,
        compute: F,
    ) -> ApiResult<Vec<T>>
    where
        K: Clone,
        T: Serialize + DeserializeOwned,
        F: FnOnce(Vec<K>) -> Fut,
        Fut: std::future::Future<Output = ApiResult<Vec<T>>>,
    {
        let version = data_version(pool).await?;
        let redis_keys: Vec<String> = keys
            .iter()
            .map(|key| format!("{}:{version}:{}", self.prefix, key_text(key)))
            .collect();
        let mut values: Vec<Option<T>> = self.read(&redis_keys).await;
        let missing: Vec<usize> = (0..keys.len())
            .filter(|index| values[*index].is_none())
            .collect();
        self.counters
            .hits
            .fetch_add((keys.len() - missing.len()) as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            self.counters
                .misses
                .fetch_add(missing.len() as u64, Ordering::Relaxed);
            let computed =
                compute(missing.iter().map(|index| keys[*index].clone()).collect()).await?;
            if computed.len() != missing.len() {
                return Err(ApiError::internal(
                    "a rollup computation returned the wrong number of values",
                ));
            }
            let entries: Vec<(String, String)> = missing
                .iter()
                .zip(&computed)
                .filter_map(|(index, value)| {
                    Some((
                        redis_keys[*index].clone(),
                        serde_json::to_string(value).ok()?,
                    ))
                })
                .collect();
            self.write(entries).await;
            for (index, value) in missing.into_iter().zip(computed) {
                values[index] = Some(value);
            }
        }
        values
            .into_iter()
            .map(|value| value.ok_or_else(|| ApiError::internal("a rollup value went missing")))
            .collect()
    }

    async fn read<T: DeserializeOwned>(&self, keys: &[String]) -> Vec<Option<T>> {
        let empty = || keys.iter().map(|_| None).collect();
        let Some(redis) = &self.redis else {
            return empty();
        };
        if keys.is_empty() {
            return Vec::new();
        }
        let mut redis = redis.clone();
        let mut command = redis::cmd("MGET");
        command.arg(keys);
        let read = command.query_async::<Vec<Option<String>>>(&mut redis);
        match tokio::time::timeout(REDIS_TIMEOUT, read).await {
            Ok(Ok(values)) => values
                .into_iter()
                .map(|value| value.and_then(|value| serde_json::from_str(&value).ok()))
                .collect(),
            Ok(Err(err)) => {
                self.failed(&err.to_string());
                empty()
            }
            Err(_) => {
                self.failed("timed out");
                empty()
            }
        }
    }

    async fn write(&self, entries: Vec<(String, String)>) {
        let Some(redis) = &self.redis else {
            return;
        };
        if entries.is_empty() {
            return;
        }
        let mut redis = redis.clone();
        let mut pipe = redis::pipe();
        for (key, value) in &entries {
            pipe.cmd("SET")
                .arg(key)
                .arg(value)
                .arg("EX")
                .arg(CACHE_TTL_SECONDS)
                .ignore();
        }
        match tokio::time::timeout(REDIS_TIMEOUT, pipe.query_async::<()>(&mut redis)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => self.failed(&err.to_string()),
            Err(_) => self.failed("timed out"),
        }
    }

    fn failed(&self, why: &str) {
        // Log the first failure of a run of them, not every one.
        if self
            .counters
            .failures
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1000)
        {
            tracing::warn!(why, "rollup cache unavailable; computing from PostgreSQL");
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
}

//! Automatic persisted queries (APQ), Apollo's protocol: a client sends only the SHA-256 of
//! its query (`extensions.persistedQuery`); on `PERSISTED_QUERY_NOT_FOUND` it sends the
//! query with the hash, the gateway checks that the hash is the query's and keeps it, and
//! from then on the hash alone runs the query — on this gateway and, through Redis, on every
//! gateway sharing its Redis namespace.
//!
//! Kept in a bounded in-process LRU and in Redis (`<namespace>:apq:<hash>`, expiring after
//! `GATEWAY_APQ_TTL_SECS`) when the gateway has a Redis. Redis failing only costs clients a
//! retry with the full query. Trusted documents come first ([`super::trusted_documents`]):
//! with `GATEWAY_TRUSTED_DOCUMENTS_ONLY` nothing is registered, since only trusted documents
//! run.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lru::LruCache;
use redis::aio::ConnectionManager;

/// How long a Redis call may take before the gateway carries on without it.
const REDIS_TIMEOUT: Duration = Duration::from_millis(100);

/// Where registered queries are kept.
pub(crate) struct PersistedQueries {
    local: Mutex<LruCache<String, Arc<str>>>,
    /// The connection and the key prefix (`<namespace>:apq:`).
    redis: Option<(ConnectionManager, String)>,
    ttl: Duration,
}

impl PersistedQueries {
    /// A store of at most `capacity` queries in memory, and in the Redis at `redis_url`
    /// under `namespace` when there is one.
    pub(crate) fn new(
        capacity: usize,
        redis: Option<(&str, &str)>,
        ttl: Duration,
    ) -> anyhow::Result<Self> {
        let redis = match redis {
            Some((url, namespace)) => Some((
                kexie_contract::data_version::redis_connection(url, REDIS_TIMEOUT)?,
                format!("{namespace}:apq:"),
            )),
            None => None,
        };
        Ok(PersistedQueries {
            local: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
            redis,
            ttl,
        })
    }

    /// The query registered under `hash` (lower-case hex), if any.
    pub(crate) async fn get(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(query) = self.lock().get(hash) {
            return Some(query.clone());
        }
        let (redis, prefix) = self.redis.as_ref()?;
        let found: Option<String> = redis::cmd("GET")
            .arg(format!("{prefix}{hash}"))
            .query_async(&mut redis.clone())
            .await
            .inspect_err(
                |err| tracing::warn!(error = %err, "reading a persisted query from Redis failed"),
            )
            .ok()
            .flatten();
        let query: Arc<str> = Arc::from(found?);
        self.lock().put(hash.to_string(), query.clone());
        Some(query)
    }

    /// Keeps `query` under its `hash` (lower-case hex, already checked to be its SHA-256).
    pub(crate) async fn register(&self, hash: &str, query: &str) {
        self.lock().put(hash.to_string(), Arc::from(query));
        let Some((redis, prefix)) = self.redis.as_ref() else {
            return;
        };
        let stored: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("{prefix}{hash}"))
            .arg(query)
            .arg("EX")
            .arg(self.ttl.as_secs().max(1))
            .query_async(&mut redis.clone())
            .await;
        if let Err(err) = stored {
            tracing::warn!(error = %err, "registering a persisted query in Redis failed");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Arc<str>>> {
        self.local
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

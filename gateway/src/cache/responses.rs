//! The Redis cache of rollup responses: leadership's figures are the most read views, and a
//! warm read costs one Redis round trip instead of a plan's worth of subgraph fetches.
//!
//! Which operations: queries that select a rollup, that is a field whose type is marked
//! `@rollup` in the supergraph (the subgraphs compose the directive). Other operations are
//! never cached.
//!
//! Freshness (the whole argument is in `gateway/README.md`, Freshness): every subgraph
//! mirrors its data version to Redis under a lease (see `kexie_subgraph_kit::rollup`), advancing
//! it after each write and before acknowledging it. An entry's key holds the versions of all
//! subgraphs, read together (one `MGET`, [`crate::freshness::versions`]) when the request
//! arrives, so a read that begins after a write was acknowledged can only find entries
//! stored under versions that count that write. An entry is stored only under versions read
//! before every fetch its answer came from began: the pipeline runs a miss as a read of those
//! versions ([`crate::freshness::ReadStart::after_reading`]), so it shares no older work. A missing
//! version (lease expired, Redis restarted) means no cache. The key also holds the request
//! itself: document, operation, variables, the caller's identity (the forwarded headers but
//! trace context) and the date in China Standard Time (targets are "on track" relative to
//! today).
//!
//! Redis down, unreachable or slow: every call is bounded by [`REDIS_TIMEOUT`], counted,
//! and the request is served by the subgraphs; no request fails because of the cache.
//!
//! Each gateway also keeps the entries it last served in memory ([`LOCAL_CAPACITY_BYTES`],
//! least recently used out first), one per request fingerprint with the key it was stored
//! under, for no longer than the entry lives in Redis ([`ENTRY_TTL`] from when it was
//! stored, or what Redis says is left of it). Every lookup still has every version read from
//! Redis; when they make the local copy's key, the copy is served. Only otherwise is the
//! entry read from Redis (a second round trip): the copy saves moving it out of Redis on
//! every read.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lru::LruCache;
use redis::aio::ConnectionManager;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::digest::{length_prefixed, DocumentDigest};
use crate::forwarded::ForwardedHeaders;
use crate::freshness::versions::VersionsRead;
use crate::metrics::{bump, Metrics};

/// The longest a cache call may take before the request goes to the subgraphs.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(50);
/// How long an entry lives, in Redis and in a gateway's memory. Versions make stale entries
/// unreachable long before; this bounds the memory of entries nobody asks for any more.
pub const ENTRY_TTL: Duration = Duration::from_secs(600);
/// Headers that differ per request without changing who asks: the trace context, and the
/// credentials (a client may renew its token at any time; who it names is in the key as the
/// principal).
const NOT_IDENTITY: [&str; 3] = ["traceparent", "tracestate", "authorization"];

/// How many bytes of entries one gateway keeps in memory.
pub const LOCAL_CAPACITY_BYTES: usize = 64 * 1024 * 1024;

/// What a lookup found.
pub(crate) enum Lookup {
    Hit(Bytes),
    /// Not cached: store the response in this slot.
    Miss(Slot),
    /// Serve without cache.
    Bypass,
}

/// Where a response missing from the cache goes.
pub(crate) struct Slot {
    fingerprint: String,
    key: String,
}

/// The response cache of one gateway.
pub(crate) struct ResponseCache {
    redis: ConnectionManager,
    namespace: String,
    metrics: Arc<Metrics>,
    local: Mutex<LocalEntries>,
}

/// The entries this gateway served last, by fingerprint, bounded in bytes and in age.
struct LocalEntries {
    entries: LruCache<String, LocalCopy>,
    bytes: usize,
}

/// A copy of the entry stored under `key`, served until `expires`.
struct LocalCopy {
    key: String,
    entry: Bytes,
    expires: Instant,
}

impl LocalEntries {
    /// The copy for `fingerprint` if it is the entry under `key` and has not expired.
    fn current_copy(&mut self, fingerprint: &str, key: &str) -> Option<Bytes> {
        let copy = self.entries.get(fingerprint)?;
        if copy.key != key {
            return None;
        }
        if copy.expires <= Instant::now() {
            if let Some(expired) = self.entries.pop(fingerprint) {
                self.bytes -= expired.entry.len();
            }
            return None;
        }
        Some(copy.entry.clone())
    }

    /// Keeps `entry`, stored under `key`, for `lives` at most.
    fn insert(&mut self, fingerprint: String, key: String, entry: Bytes, lives: Duration) {
        if entry.len() > LOCAL_CAPACITY_BYTES / 8 || lives.is_zero() {
            return;
        }
        self.bytes += entry.len();
        let copy = LocalCopy {
            key,
            entry,
            expires: Instant::now() + lives.min(ENTRY_TTL),
        };
        if let Some(old) = self.entries.put(fingerprint, copy) {
            self.bytes -= old.entry.len();
        }
        while self.bytes > LOCAL_CAPACITY_BYTES {
            match self.entries.pop_lru() {
                Some((_, evicted)) => self.bytes -= evicted.entry.len(),
                None => break,
            }
        }
    }
}

impl ResponseCache {
    pub(crate) fn new(
        redis_url: &str,
        namespace: &str,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        Ok(ResponseCache {
            redis: kexie_contract::data_version::redis_connection(redis_url, REDIS_TIMEOUT)?,
            namespace: namespace.to_string(),
            metrics,
            local: Mutex::new(LocalEntries {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
        })
    }

    /// Looks up the response to a request under the data versions just read for it.
    pub(crate) async fn lookup(&self, versions: &VersionsRead, request: &RequestKey<'_>) -> Lookup {
        let versions = match versions {
            VersionsRead::Read(versions) => versions.clone(),
            VersionsRead::Missing => {
                bump(&self.metrics.response_cache_bypasses);
                return Lookup::Bypass;
            }
            VersionsRead::Failed(why) => return self.failed(why),
        };
        let fingerprint = request.fingerprint();
        let key = format!("{}:response:{}:{}", self.namespace, fingerprint, versions);
        if let Some(entry) = self.local().current_copy(&fingerprint, &key) {
            bump(&self.metrics.response_cache_hits);
            return Lookup::Hit(entry);
        }
        // The entry, and how long it has left: the local copy lives no longer.
        let mut redis = self.redis.clone();
        let entry = self
            .bounded(
                redis::pipe()
                    .cmd("GET")
                    .arg(&key)
                    .cmd("PTTL")
                    .arg(&key)
                    .query_async::<(Option<Vec<u8>>, i64)>(&mut redis),
            )
            .await;
        match entry {
            Ok((Some(entry), left_ms)) => {
                bump(&self.metrics.response_cache_hits);
                let entry = Bytes::from(entry);
                let lives = Duration::from_millis(u64::try_from(left_ms).unwrap_or(0));
                self.local().insert(fingerprint, key, entry.clone(), lives);
                Lookup::Hit(entry)
            }
            Ok((None, _)) => {
                bump(&self.metrics.response_cache_misses);
                Lookup::Miss(Slot { fingerprint, key })
            }
            Err(why) => self.failed(&why),
        }
    }

    /// A Redis call bounded by [`REDIS_TIMEOUT`]; the error says why it failed.
    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, String> {
        match tokio::time::timeout(REDIS_TIMEOUT, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err("timed out".to_string()),
        }
    }

    fn local(&self) -> std::sync::MutexGuard<'_, LocalEntries> {
        self.local.lock().unwrap_or_else(|err| err.into_inner())
    }

    /// Stores a complete response: in memory at once, in Redis in the background.
    pub(crate) fn store(self: &Arc<Self>, slot: Slot, body: Bytes) {
        let Slot { fingerprint, key } = slot;
        self.local()
            .insert(fingerprint, key.clone(), body.clone(), ENTRY_TTL);
        let cache = self.clone();
        tokio::spawn(async move {
            let mut redis = cache.redis.clone();
            let stored = cache
                .bounded(
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(body.as_ref())
                        .arg("PX")
                        .arg(ENTRY_TTL.as_millis() as u64)
                        .query_async::<()>(&mut redis),
                )
                .await;
            if let Err(why) = stored {
                cache.failed(&why);
            }
        });
    }

    fn failed(&self, why: &str) -> Lookup {
        let failures = self
            .metrics
            .response_cache_failures
            .fetch_add(1, Ordering::Relaxed);
        // Once in a thousand: an outage must not flood the log.
        if failures.is_multiple_of(1000) {
            tracing::warn!(
                why,
                "response cache unavailable; serving from the subgraphs"
            );
        }
        Lookup::Bypass
    }
}

/// What makes two requests the same for the cache.
pub(crate) struct RequestKey<'a> {
    pub document: DocumentDigest,
    pub variables: &'a Map<String, Value>,
    pub headers: &'a ForwardedHeaders,
}

impl RequestKey<'_> {
    /// A SHA-256 over every part, unambiguous (each part length-prefixed), in hex.
    fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        let mut part = |bytes: &[u8]| length_prefixed(&mut hash, bytes);
        part(self.document.as_bytes());
        // Serializing a map of JSON values cannot fail.
        part(&serde_json::to_vec(self.variables).unwrap_or_default());
        for (name, value) in &self.headers.0 {
            if NOT_IDENTITY.contains(&name.as_str()) {
                continue;
            }
            part(name.as_str().as_bytes());
            part(value.as_bytes());
        }
        // Who asks, as authenticated (the token itself changes with every signing).
        if let Some(principal) = &self.headers.1 {
            let identity = &principal.identity;
            part(identity.subject.as_bytes());
            part(
                identity
                    .unit
                    .as_ref()
                    .map_or(&[][..], |unit| unit.as_bytes()),
            );
            part(identity.role.as_str().as_bytes());
        }
        part(self.headers.2.header_value().as_bytes());
        part(&china_standard_day().to_le_bytes());
        hex::encode(hash.finalize())
    }
}

/// Days since 1970-01-01 in China Standard Time (UTC+8, no daylight saving).
fn china_standard_day() -> u64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    (seconds + 8 * 3600) / 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> LocalEntries {
        LocalEntries {
            entries: LruCache::unbounded(),
            bytes: 0,
        }
    }

    #[test]
    fn a_local_copy_is_served_only_under_its_key_and_while_it_lives() {
        let mut local = entries();
        let entry = Bytes::from_static(b"{\"data\":{}}");
        local.insert("f".into(), "k1".into(), entry.clone(), ENTRY_TTL);
        assert_eq!(local.current_copy("f", "k1"), Some(entry.clone()));
        assert_eq!(local.current_copy("f", "k2"), None);

        local.insert(
            "g".into(),
            "k1".into(),
            entry.clone(),
            Duration::from_millis(1),
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(local.current_copy("g", "k1"), None);
        assert_eq!(
            local.bytes,
            entry.len(),
            "the expired copy's bytes are freed"
        );
    }

    #[test]
    fn an_entry_redis_has_no_time_left_for_is_not_copied() {
        let mut local = entries();
        local.insert(
            "f".into(),
            "k".into(),
            Bytes::from_static(b"{}"),
            Duration::ZERO,
        );
        assert_eq!(local.current_copy("f", "k"), None);
        assert_eq!(local.bytes, 0);
    }
}

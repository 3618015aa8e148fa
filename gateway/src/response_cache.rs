//! The Redis cache of rollup responses: leadership's figures are the most read views, and a
//! warm read costs one Redis round trip instead of a plan's worth of subgraph fetches.
//!
//! Which operations: queries that select a rollup, that is a field whose type's name ends in
//! `Figures` (the subgraphs' convention for figures over a subtree). Other operations are
//! never cached.
//!
//! Freshness: every subgraph mirrors its data version to Redis under a lease (see
//! `kexie_shared::rollup`), advancing it after each write and before acknowledging it. An
//! entry's key holds the versions of all subgraphs, read in the same Lua call that looks
//! the entry up, so a read that begins after a write was acknowledged can only find entries
//! computed after that write. A missing version (lease expired, Redis restarted) means no
//! cache. The key also holds the request itself: document, operation, variables, the
//! caller's identity (the forwarded headers but trace context) and the date in China
//! Standard Time (targets are "on track" relative to today).
//!
//! Redis down, unreachable or slow: every call is bounded by [`REDIS_TIMEOUT`], counted,
//! and the request is served by the subgraphs; no request fails because of the cache.
//!
//! Each gateway also keeps the entries it last served in memory ([`LOCAL_CAPACITY_BYTES`],
//! least recently used out first), one per request fingerprint with the key it was stored
//! under. The lookup still reads every version from Redis; it sends the key of the local
//! copy along, and when the versions make that same key the answer is "yours is current"
//! instead of the entry itself. An entry under a key never changes, so the local copy is
//! exactly what Redis holds; the copy only saves moving it out of Redis on every read.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use graphql_tools::static_graphql::query::{Selection, SelectionSet, TypeCondition};
use lru::LruCache;
use redis::aio::ConnectionManager;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::metrics::{bump, Metrics};
use crate::operation::PreparedOperation;
use crate::schema::ApiSchema;
use crate::transport::ForwardedHeaders;

/// The longest a cache call may take before the request goes to the subgraphs.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(50);
/// How long an entry lives. Versions make stale entries unreachable long before; this only
/// bounds the memory of entries nobody asks for any more.
const ENTRY_TTL: Duration = Duration::from_secs(600);
/// The suffix of the type names of rollup fields.
const ROLLUP_TYPE_SUFFIX: &str = "Figures";
/// Headers that differ per request without changing who asks: the trace context, and the
/// credentials (a client may renew its token at any time; who it names is in the key as the
/// principal).
const NOT_IDENTITY: [&str; 3] = ["traceparent", "tracestate", "authorization"];

/// How many bytes of entries one gateway keeps in memory.
pub const LOCAL_CAPACITY_BYTES: usize = 64 * 1024 * 1024;

/// Looks the entry up: the subgraphs' versions, then the entry under the key they make.
/// `ARGV[1]`: the key's prefix; `ARGV[2]`: the key of the caller's local copy, or ''.
/// Returns `{0, nil, nil}` when a version is missing, `{2, key, nil}` when the key is the
/// local copy's, else `{1, key, entry or false}`.
const LOOKUP: &str = r"
local versions = redis.call('MGET', unpack(KEYS))
for i = 1, #versions do
  if not versions[i] then return {0, false, false} end
end
local key = ARGV[1] .. ':' .. table.concat(versions, ':')
if key == ARGV[2] then return {2, key, false} end
return {1, key, redis.call('GET', key)}
";

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
    lookup: redis::Script,
    metrics: Arc<Metrics>,
    local: Mutex<LocalEntries>,
}

/// The entries this gateway served last: fingerprint → (key, entry), bounded in bytes.
struct LocalEntries {
    entries: LruCache<String, (String, Bytes)>,
    bytes: usize,
}

impl LocalEntries {
    fn copy_of(&mut self, fingerprint: &str) -> Option<(String, Bytes)> {
        self.entries.get(fingerprint).cloned()
    }

    fn insert(&mut self, fingerprint: String, key: String, entry: Bytes) {
        if entry.len() > LOCAL_CAPACITY_BYTES / 8 {
            return;
        }
        self.bytes += entry.len();
        if let Some((_, old)) = self.entries.put(fingerprint, (key, entry)) {
            self.bytes -= old.len();
        }
        while self.bytes > LOCAL_CAPACITY_BYTES {
            match self.entries.pop_lru() {
                Some((_, (_, evicted))) => self.bytes -= evicted.len(),
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
            redis: kexie_shared::unit_tree::redis_connection(redis_url, REDIS_TIMEOUT)?,
            namespace: namespace.to_string(),
            lookup: redis::Script::new(LOOKUP),
            metrics,
            local: Mutex::new(LocalEntries {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
        })
    }

    /// Looks up the response to a request against the subgraphs named `subgraphs`.
    pub(crate) async fn lookup<'a>(
        &self,
        subgraphs: impl Iterator<Item = &'a str>,
        request: &RequestKey<'_>,
    ) -> Lookup {
        let fingerprint = request.fingerprint();
        let local = self.local().copy_of(&fingerprint);
        let mut invocation = self.lookup.prepare_invoke();
        for subgraph in subgraphs {
            invocation.key(kexie_shared::rollup::version_key(&self.namespace, subgraph));
        }
        invocation.arg(format!("{}:response:{}", self.namespace, fingerprint));
        invocation.arg(local.as_ref().map_or("", |(key, _)| key.as_str()));
        let mut redis = self.redis.clone();
        let found = tokio::time::timeout(
            REDIS_TIMEOUT,
            invocation.invoke_async::<(i64, Option<String>, Option<Vec<u8>>)>(&mut redis),
        )
        .await;
        match found {
            Ok(Ok((2, Some(_), _))) => match local {
                Some((_, entry)) => {
                    bump(&self.metrics.response_cache_hits);
                    Lookup::Hit(entry)
                }
                None => self.failed("a local entry was confirmed but none was sent"),
            },
            Ok(Ok((1, Some(key), Some(entry)))) => {
                bump(&self.metrics.response_cache_hits);
                let entry = Bytes::from(entry);
                self.local().insert(fingerprint, key, entry.clone());
                Lookup::Hit(entry)
            }
            Ok(Ok((1, Some(key), None))) => {
                bump(&self.metrics.response_cache_misses);
                Lookup::Miss(Slot { fingerprint, key })
            }
            Ok(Ok(_)) => {
                bump(&self.metrics.response_cache_bypasses);
                Lookup::Bypass
            }
            Ok(Err(err)) => self.failed(&err.to_string()),
            Err(_) => self.failed("timed out"),
        }
    }

    fn local(&self) -> std::sync::MutexGuard<'_, LocalEntries> {
        self.local.lock().unwrap_or_else(|err| err.into_inner())
    }

    /// Stores a complete response: in memory at once, in Redis in the background.
    pub(crate) fn store(self: &Arc<Self>, slot: Slot, body: Bytes) {
        let Slot { fingerprint, key } = slot;
        self.local().insert(fingerprint, key.clone(), body.clone());
        let cache = self.clone();
        tokio::spawn(async move {
            let mut redis = cache.redis.clone();
            let stored = tokio::time::timeout(
                REDIS_TIMEOUT,
                redis::cmd("SET")
                    .arg(&key)
                    .arg(body.as_ref())
                    .arg("PX")
                    .arg(ENTRY_TTL.as_millis() as u64)
                    .query_async::<()>(&mut redis),
            )
            .await;
            match stored {
                Ok(Ok(())) => {}
                Ok(Err(err)) => {
                    cache.failed(&err.to_string());
                }
                Err(_) => {
                    cache.failed("timed out");
                }
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
    pub query: &'a str,
    pub operation_name: Option<&'a str>,
    pub variables: &'a Map<String, Value>,
    pub headers: &'a ForwardedHeaders,
}

impl RequestKey<'_> {
    /// A SHA-256 over every part, unambiguous (each part length-prefixed), in hex.
    fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        part(self.query.as_bytes());
        part(self.operation_name.unwrap_or_default().as_bytes());
        part(Value::Object(self.variables.clone()).to_string().as_bytes());
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
                    .map(|unit| unit.to_string())
                    .unwrap_or_default()
                    .as_bytes(),
            );
            part(format!("{:?}", identity.role).as_bytes());
        }
        part(&china_standard_day().to_le_bytes());
        hash.finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
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

/// Whether a query selects a rollup anywhere (in any fragment, whether or not `@skip`
/// drops it: caching more than needed is safe).
pub(crate) fn selects_rollup(prepared: &PreparedOperation, api: &ApiSchema) -> bool {
    let Some(selection_set) = prepared.selection_set() else {
        return false;
    };
    let mut visited = HashSet::new();
    walk(prepared, api, &api.query_type, selection_set, &mut visited)
}

fn walk<'a>(
    prepared: &'a PreparedOperation,
    api: &ApiSchema,
    parent: &str,
    selection_set: &'a SelectionSet,
    visited: &mut HashSet<&'a str>,
) -> bool {
    selection_set.items.iter().any(|selection| match selection {
        Selection::Field(field) => {
            let Some(definition) = api.field(parent, &field.name) else {
                return false;
            };
            let named = definition.ty.named();
            named.ends_with(ROLLUP_TYPE_SUFFIX)
                || walk(prepared, api, named, &field.selection_set, visited)
        }
        Selection::InlineFragment(fragment) => {
            let parent = match &fragment.type_condition {
                Some(TypeCondition::On(condition)) => condition.as_str(),
                None => parent,
            };
            walk(prepared, api, parent, &fragment.selection_set, visited)
        }
        Selection::FragmentSpread(spread) => {
            if !visited.insert(spread.fragment_name.as_str()) {
                return false;
            }
            let Some(fragment) = prepared.fragment(&spread.fragment_name) else {
                return false;
            };
            let TypeCondition::On(condition) = &fragment.type_condition;
            walk(prepared, api, condition, &fragment.selection_set, visited)
        }
    })
}

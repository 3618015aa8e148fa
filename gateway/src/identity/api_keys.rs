//! Partner bureaus' API keys: a request with an `x-api-key: kx_…` header (and no
//! `Authorization`) is a partner call.
//!
//! 1. **Check.** The gateway asks the API-key subgraph (`GATEWAY_API_KEY_SUBGRAPH`,
//!    `organizations` by default), which issues and keeps the keys, on every request (`POST /internal/api-keys/verify`, signed with a principal of
//!    the role `gateway`). Nothing is cached, so a revoked key fails on the very next
//!    request. An unknown or revoked key is answered 401 `UNAUTHENTICATED`, saying which;
//!    when that subgraph cannot be asked (down, slow past its subgraph timeout) the answer
//!    is 503 `AUTHENTICATION_UNAVAILABLE`: a key that was not checked never gets through.
//!    Its URL is that subgraph's URL in the current supergraph (URL overrides
//!    and reloads included) with the last path segment (`graphql`) replaced.
//! 2. **Rate limit.** A fixed window per key in Redis: `{namespace}:rate:{key id}:{window}`
//!    (the window's number since the epoch; with the default one-minute window, the
//!    minute), `INCR` and `PEXPIRE` in one pipelined round trip, so every gateway process
//!    on the same Redis shares the count. Past the key's `requestsPerMinute` the answer is
//!    429 with `Retry-After` (the seconds to the window's end, at least 1) and
//!    `RATE_LIMITED`. When Redis fails or takes longer than 50 ms the call goes through,
//!    logged and counted (`gateway_partner_rate_limit_failures_total`): the limit protects
//!    the hub from a runaway partner, and an outage of the cache must not take every
//!    partner's integration down with it, as it never fails a staff request either. Without
//!    a Redis configured (`GatewayConfig::partner_rate_limit`) there is no limit.
//! 3. **Principal.** The call runs as `Principal::partner(key id, bureau, scopes)`, signed
//!    once and forwarded like a staff member's.
//! 4. **Log.** Once answered, the call (operation name, outcome, HTTP status, duration) is
//!    sent to the same subgraph (`POST /internal/partner-calls`) in the background; a failure
//!    is logged and counted (`gateway_partner_call_log_failures_total`), never felt by the
//!    partner. Calls with an unknown key are not logged there (there is no key to log them
//!    under) but are counted in `gateway_partner_calls_total{outcome="refused"}`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::CONTENT_TYPE;
use kexie_contract::principal::{self, Principal, PrincipalSecret, Role, Scope, PRINCIPAL_HEADER};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::metrics::{bump, CallOutcome, Metrics};
use crate::tls::SubgraphClient;

/// The header carrying a partner's key.
pub const API_KEY_HEADER: &str = "x-api-key";
/// The subgraph that issues and checks keys.
/// Where a key is checked, relative to the API-key subgraph's GraphQL URL.
const VERIFY_PATH: &str = "internal/api-keys/verify";
/// Where an answered call is logged, relative to the same.
const CALLS_PATH: &str = "internal/partner-calls";
/// The longest a Redis call of the rate limit may take.
const REDIS_TIMEOUT: Duration = Duration::from_millis(50);
/// The subject of the gateway's own principal.
const GATEWAY_SUBJECT: &str = "kexie-gateway";
/// The longest key looked at; anything longer is not a key.
const MAX_KEY_LEN: usize = 128;
/// The largest answer read from the internal endpoints.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A live key, as the API-key subgraph describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VerifiedKey {
    pub key_id: Uuid,
    pub bureau: String,
    pub scopes: Vec<Scope>,
    pub requests_per_minute: u64,
}

/// What checking a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    Valid(VerifiedKey),
    /// Issued, then revoked.
    Revoked(Uuid),
    /// Not a key of this hub.
    Unknown,
    /// Organizations could not be asked; why.
    Unavailable(String),
}

/// Whether the rate limit lets a call through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Admitted,
    /// Over the limit: retry after this many seconds.
    Limited {
        retry_after_secs: u64,
    },
}

/// A call to log once answered.
#[derive(Clone, Debug)]
pub(crate) struct PartnerCall {
    pub key_id: Uuid,
    pub operation: Option<String>,
    /// When the request arrived.
    pub called_at: SystemTime,
    pub outcome: CallOutcome,
    pub status: u16,
    pub duration: Duration,
}

/// The Redis counting partner calls.
#[derive(Clone, Debug)]
pub struct RateLimitConfig {
    pub redis_url: String,
    /// The prefix of the keys; the gateways sharing a limit use the same.
    pub namespace: String,
}

struct RateLimiter {
    redis: ConnectionManager,
    namespace: String,
    window: Duration,
}

/// The subgraph that issues and keeps the keys, as the current supergraph has it: its
/// GraphQL URL, how long one call to it may take, and its own client when it has TLS
/// settings of its own.
pub(crate) struct KeyService {
    pub url: hyper::Uri,
    pub timeout: Duration,
    pub client: Option<SubgraphClient>,
}

/// Finds the [`KeyService`] in the supergraph serving now (URL overrides and reloads
/// included); `None` when it has no such subgraph.
pub(crate) type FindKeyService = Box<dyn Fn() -> Option<KeyService> + Send + Sync>;

/// Checks keys, counts their calls and logs them.
pub(crate) struct PartnerKeys {
    key_service: FindKeyService,
    client: SubgraphClient,
    secret: Arc<PrincipalSecret>,
    limiter: Option<RateLimiter>,
    metrics: Arc<Metrics>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyAnswer {
    key_id: Uuid,
    bureau: String,
    scopes: Vec<String>,
    requests_per_minute: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefusalAnswer {
    reason: String,
    key_id: Option<Uuid>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallReport<'a> {
    key_id: Uuid,
    operation: Option<&'a str>,
    called_at: String,
    outcome: &'static str,
    status: u16,
    duration_ms: u64,
}

impl PartnerKeys {
    /// Keys checked with the subgraph `key_service` finds, counted in the Redis of
    /// `rate_limit` (none: no limit) per `window`.
    pub(crate) fn new(
        key_service: FindKeyService,
        secret: Arc<PrincipalSecret>,
        rate_limit: Option<&RateLimitConfig>,
        window: Duration,
        tls: rustls::ClientConfig,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let limiter = match rate_limit {
            Some(config) => Some(RateLimiter {
                redis: kexie_contract::data_version::redis_connection(
                    &config.redis_url,
                    REDIS_TIMEOUT,
                )?,
                namespace: config.namespace.clone(),
                window: window.max(Duration::from_millis(1)),
            }),
            None => None,
        };
        Ok(PartnerKeys {
            key_service,
            client: crate::tls::client(tls),
            secret,
            limiter,
            metrics,
        })
    }

    /// The URL of an internal endpoint of the key service and the time one call may take.
    fn endpoint(&self, path: &str) -> Result<(hyper::Uri, Duration, SubgraphClient), String> {
        let service = (self.key_service)().ok_or("the supergraph has no API-key subgraph")?;
        let client = service.client.unwrap_or_else(|| self.client.clone());
        Ok((internal_url(&service.url, path)?, service.timeout, client))
    }

    /// POSTs `body` to the internal endpoint `path` as the gateway; the status and body.
    async fn call(&self, path: &str, body: Vec<u8>) -> Result<(u16, Bytes), String> {
        let (url, timeout, client) = self.endpoint(path)?;
        let token = principal::sign(
            &Principal::issue(GATEWAY_SUBJECT, None, Role::Gateway),
            &self.secret,
        )
        .map_err(|err| err.to_string())?;
        let request = hyper::Request::post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(PRINCIPAL_HEADER, token)
            .body(Full::new(Bytes::from(body)))
            .map_err(|err| err.to_string())?;
        let exchange = async {
            let response = client
                .request(request)
                .await
                .map_err(|err| format!("the request failed: {err}"))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|err| format!("reading the answer failed: {err}"))?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} ms", timeout.as_millis())))
    }

    /// Checks `key` with the API-key subgraph.
    pub(crate) async fn verify(&self, key: &str) -> KeyCheck {
        if !key.starts_with("kx_") || key.len() > MAX_KEY_LEN {
            return KeyCheck::Unknown;
        }
        let body = serde_json::json!({ "key": key }).to_string().into_bytes();
        let check = match self.call(VERIFY_PATH, body).await {
            Ok((200, body)) => match serde_json::from_slice::<VerifyAnswer>(&body) {
                Ok(answer) => {
                    // A scope this gateway does not know grants nothing here.
                    let scopes = answer
                        .scopes
                        .iter()
                        .filter_map(|name| Scope::parse(name))
                        .collect();
                    KeyCheck::Valid(VerifiedKey {
                        key_id: answer.key_id,
                        bureau: answer.bureau,
                        scopes,
                        requests_per_minute: answer.requests_per_minute,
                    })
                }
                Err(err) => KeyCheck::Unavailable(format!("the answer is malformed: {err}")),
            },
            Ok((404, body)) => match serde_json::from_slice::<RefusalAnswer>(&body) {
                Ok(RefusalAnswer {
                    reason,
                    key_id: Some(key_id),
                }) if reason == "revoked" => KeyCheck::Revoked(key_id),
                Ok(_) => KeyCheck::Unknown,
                Err(err) => KeyCheck::Unavailable(format!("the answer is malformed: {err}")),
            },
            Ok((status, _)) => KeyCheck::Unavailable(format!("it answered HTTP {status}")),
            Err(err) => KeyCheck::Unavailable(err),
        };
        if let KeyCheck::Unavailable(why) = &check {
            let failures = self
                .metrics
                .partner_key_check_failures
                .fetch_add(1, Ordering::Relaxed);
            if failures.is_multiple_of(100) {
                tracing::error!(why = %why, "checking an API key with the API-key subgraph failed; partner calls are refused");
            }
        }
        check
    }

    /// Counts a call of `key` in its window; whether it may go on.
    pub(crate) async fn admit(&self, key: &VerifiedKey) -> Admission {
        let Some(limiter) = &self.limiter else {
            return Admission::Admitted;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let window = limiter.window.as_millis().max(1) as u64;
        let number = now / window;
        let ends_at = (number + 1) * window;
        let counter = format!("{}:rate:{}:{number}", limiter.namespace, key.key_id);
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("INCR")
            .arg(&counter)
            .cmd("PEXPIRE")
            .arg(&counter)
            // A little past the window's end: clocks of gateways differ slightly.
            .arg(ends_at - now + 1_000)
            .ignore();
        let mut redis = limiter.redis.clone();
        let counted =
            tokio::time::timeout(REDIS_TIMEOUT, pipeline.query_async::<(u64,)>(&mut redis)).await;
        let count = match counted {
            Ok(Ok((count,))) => count,
            Ok(Err(err)) => return self.limit_unavailable(&err.to_string()),
            Err(_) => return self.limit_unavailable("timed out"),
        };
        if count <= key.requests_per_minute {
            Admission::Admitted
        } else {
            Admission::Limited {
                retry_after_secs: (ends_at - now).div_ceil(1_000).max(1),
            }
        }
    }

    fn limit_unavailable(&self, why: &str) -> Admission {
        let failures = self
            .metrics
            .partner_rate_limit_failures
            .fetch_add(1, Ordering::Relaxed);
        // Once in a thousand: an outage must not flood the log.
        if failures.is_multiple_of(1000) {
            tracing::warn!(
                why,
                "the partner rate limit is unavailable; partner calls go through unlimited"
            );
        }
        Admission::Admitted
    }

    /// Counts a finished call, and logs it with the API-key subgraph in the background when its
    /// key is known.
    pub(crate) fn finished(self: &Arc<Self>, outcome: CallOutcome, call: Option<PartnerCall>) {
        bump(&self.metrics.partner_calls[outcome.index()]);
        let Some(call) = call else {
            return;
        };
        let keys = self.clone();
        tokio::spawn(async move {
            let report = CallReport {
                key_id: call.key_id,
                operation: call.operation.as_deref(),
                called_at: rfc3339(call.called_at),
                outcome: call.outcome.as_str(),
                status: call.status,
                duration_ms: call.duration.as_millis() as u64,
            };
            let body = serde_json::to_vec(&report).unwrap_or_default();
            let failure = match keys.call(CALLS_PATH, body).await {
                Ok((204, _)) => return,
                Ok((status, body)) => format!(
                    "it answered HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ),
                Err(err) => err,
            };
            bump(&keys.metrics.partner_call_log_failures);
            tracing::warn!(key_id = %call.key_id, why = %failure, "a partner call could not be logged");
        });
    }
}

/// A time as RFC 3339 in UTC with milliseconds (`2026-11-23T08:00:00.123Z`).
fn rfc3339(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `path` relative to a subgraph's GraphQL URL: its last segment replaced
/// (`http://host:4001/graphql` → `http://host:4001/internal/…`).
fn internal_url(graphql: &hyper::Uri, path: &str) -> Result<hyper::Uri, String> {
    let base = graphql.path();
    let directory = match base.rfind('/') {
        Some(slash) => &base[..=slash],
        None => "/",
    };
    let mut parts = graphql.clone().into_parts();
    parts.path_and_query = Some(
        format!("{directory}{path}")
            .parse()
            .map_err(|err| format!("{err}"))?,
    );
    hyper::Uri::from_parts(parts).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_rfc_3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let time = UNIX_EPOCH + Duration::from_millis(1_795_392_000_123 + 3_723_000);
        assert_eq!(rfc3339(time), "2026-11-23T01:02:03.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
        let new_year = UNIX_EPOCH + Duration::from_secs(1_767_225_599);
        assert_eq!(rfc3339(new_year), "2025-12-31T23:59:59.000Z");
    }

    #[test]
    fn internal_endpoints_sit_beside_the_graphql_path() {
        let url = |graphql: &str| {
            internal_url(&graphql.parse().unwrap(), "internal/partner-calls")
                .unwrap()
                .to_string()
        };
        assert_eq!(
            url("http://127.0.0.1:4001/graphql"),
            "http://127.0.0.1:4001/internal/partner-calls"
        );
        assert_eq!(
            url("http://lb/organizations/graphql"),
            "http://lb/organizations/internal/partner-calls"
        );
        assert_eq!(
            url("http://organizations:4001"),
            "http://organizations:4001/internal/partner-calls"
        );
    }
}

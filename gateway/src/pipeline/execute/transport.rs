//! Requests to subgraphs: pooled keep-alive HTTP/1.1 connections (hyper's pooled client), a
//! timeout per request covering connect, send and the whole answer, and optional sharing of
//! identical requests in flight.
//!
//! Deduplication: a request to the same subgraph with the same body and the same forwarded
//! headers as one in flight shares its answer if that request is fresh enough for the read
//! asking ([`crate::freshness`]: it began after the read did, or under the very data
//! versions the read will cache its answer by); otherwise it is sent anew and later reads
//! share the newer one. Mutations are never shared. The request runs in its own task, so a
//! client that goes away does not strand the requests that joined it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE};
use tracing::{Instrument, Span};

use kexie_contract::principal::PRINCIPAL_HEADER;

use super::shaping::{self, Shaping};
use crate::forwarded::{ForwardedHeaders, HeaderRules};
use crate::freshness::{InFlight, Joined, ReadStart};
use crate::metrics::{bump, Metrics, SubgraphMetrics};
use crate::tls::{self, SubgraphClient};

/// A subgraph the gateway sends requests to.
pub(crate) struct Subgraph {
    pub name: String,
    pub url: hyper::Uri,
    /// How long one request to it may take.
    pub timeout: Duration,
    pub metrics: Arc<SubgraphMetrics>,
    /// Its own client, when it has TLS settings of its own (a CA, a client certificate);
    /// otherwise the transport's shared client serves it.
    pub client: Option<SubgraphClient>,
    /// How a request's client headers become this subgraph's request headers.
    pub headers: Arc<HeaderRules>,
}

/// The largest answer read from a subgraph.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Why a subgraph request produced no GraphQL response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FetchError {
    /// No answer within the subgraph timeout.
    Timeout(Duration),
    /// No answer before the request's deadline; how long the request may take.
    Deadline(Duration),
    /// The connection failed or broke.
    Transport(String),
    /// An HTTP error status without a GraphQL response in the body.
    Status(u16),
    /// Refused without sending: the subgraph's circuit is open for up to this long.
    CircuitOpen(Duration),
}

impl FetchError {
    /// A sign of the subgraph failing, which counts toward opening its circuit.
    fn is_failure(&self) -> bool {
        match self {
            FetchError::Transport(_) | FetchError::Timeout(_) => true,
            FetchError::Status(status) => *status >= 500,
            FetchError::Deadline(_) | FetchError::CircuitOpen(_) => false,
        }
    }

    /// A failure worth another try for a query: the request broke or a proxy or the
    /// subgraph said it was briefly unable to answer.
    fn is_retryable(&self) -> bool {
        matches!(
            self,
            FetchError::Transport(_) | FetchError::Status(502..=504)
        )
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Timeout(timeout) => {
                write!(f, "no answer within {} ms", timeout.as_millis())
            }
            FetchError::Deadline(timeout) => write!(
                f,
                "no answer before the request's deadline ({} ms after it arrived)",
                timeout.as_millis()
            ),
            FetchError::Transport(message) => write!(f, "the request failed: {message}"),
            FetchError::Status(status) => write!(f, "it answered with HTTP status {status}"),
            FetchError::CircuitOpen(open_for) => write!(
                f,
                "it failed too often in a row: requests to it are refused for up to {} s",
                open_for.as_secs().max(1)
            ),
        }
    }
}

/// A function answering subgraph requests without a network, for fuzzing and tests:
/// (subgraph name, request body) → response body.
pub(crate) type StaticResponder =
    Arc<dyn Fn(&str, &[u8]) -> Result<Bytes, FetchError> + Send + Sync>;

#[derive(Clone)]
enum Backend {
    Http(SubgraphClient),
    Static(StaticResponder),
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct FetchKey {
    url: hyper::Uri,
    headers: ForwardedHeaders,
    body: Bytes,
}

/// Sends subgraph requests.
#[derive(Clone)]
pub(crate) struct Transport {
    backend: Backend,
    deduplicate: bool,
    in_flight: Arc<InFlight<FetchKey, Result<Bytes, FetchError>>>,
    metrics: Arc<Metrics>,
    /// How long a request may take in all (for the message when a fetch meets its deadline).
    request_timeout: Duration,
    /// Retries and circuit breaking ([`super::shaping`]).
    shaping: Shaping,
}

impl Transport {
    /// The HTTP transport. Connecting counts against each subgraph's request timeout.
    pub(crate) fn http(
        deduplicate: bool,
        request_timeout: Duration,
        shaping: Shaping,
        tls: rustls::ClientConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        let client = tls::client(tls);
        Transport {
            backend: Backend::Http(client),
            deduplicate,
            in_flight: InFlight::new(),
            metrics,
            request_timeout,
            shaping,
        }
    }

    pub(crate) fn from_responder(responder: StaticResponder, metrics: Arc<Metrics>) -> Self {
        Transport {
            backend: Backend::Static(responder),
            deduplicate: false,
            in_flight: InFlight::new(),
            metrics,
            request_timeout: Duration::MAX,
            shaping: Shaping::default(),
        }
    }

    /// Whether identical subgraph queries in flight are shared.
    pub(crate) fn deduplicates(&self) -> bool {
        self.deduplicate
    }

    /// Sends `body` to `subgraph` for a read that began at `read`, and returns the
    /// answer's body, waiting no longer than the subgraph's timeout nor past `deadline`.
    /// `may_share`: the request has no side effects (not a mutation).
    pub(crate) async fn fetch(
        &self,
        subgraph: &Subgraph,
        headers: &ForwardedHeaders,
        body: Bytes,
        may_share: bool,
        read: &ReadStart,
        deadline: Instant,
    ) -> Result<Bytes, FetchError> {
        let left = deadline.saturating_duration_since(Instant::now());
        let past_deadline = || FetchError::Deadline(self.request_timeout);
        if left.is_zero() {
            return Err(past_deadline());
        }
        let backend = match &self.backend {
            Backend::Static(responder) => return responder(&subgraph.name, &body),
            Backend::Http(shared) => subgraph.client.as_ref().unwrap_or(shared),
        };
        if !subgraph.metrics.health.admit() {
            return Err(FetchError::CircuitOpen(self.shaping.open_for));
        }
        let answer = if !(self.deduplicate && may_share) {
            let attempt = Attempt {
                url: subgraph.url.clone(),
                headers: headers.clone(),
                rules: subgraph.headers.clone(),
                body,
                timeout: subgraph.timeout,
                until: Instant::now() + left,
                retry: may_share,
            };
            send_shaped(
                backend.clone(),
                attempt,
                self.shaping,
                subgraph.metrics.clone(),
                Span::current(),
            )
            .await
        } else {
            self.shared(backend, subgraph, headers, body, read, left)
                .await
        };
        match answer {
            Err(FetchError::Timeout(_)) if left < subgraph.timeout => Err(past_deadline()),
            answer => answer,
        }
    }

    /// Sends `body`, or joins an identical request in flight that is fresh enough for
    /// `read`; waits `left` at most.
    async fn shared(
        &self,
        backend: &SubgraphClient,
        subgraph: &Subgraph,
        headers: &ForwardedHeaders,
        body: Bytes,
        read: &ReadStart,
        left: Duration,
    ) -> Result<Bytes, FetchError> {
        let key = FetchKey {
            url: subgraph.url.clone(),
            headers: headers.clone(),
            body,
        };
        let (answer, joined) = self.in_flight.join_or_start(
            key.clone(),
            read,
            || {
                // The shared fetch is traced under the request that started it. Only
                // queries are shared, so it may be retried.
                let attempt = Attempt {
                    url: key.url,
                    headers: key.headers,
                    rules: subgraph.headers.clone(),
                    body: key.body,
                    timeout: subgraph.timeout,
                    until: Instant::now() + left,
                    retry: true,
                };
                let (backend, shaping, metrics) =
                    (backend.clone(), self.shaping, subgraph.metrics.clone());
                let leader = send_shaped(backend, attempt, shaping, metrics, Span::current());
                (read.fetch_guarantee(), leader)
            },
            || {
                Err(FetchError::Transport(
                    "the request was abandoned".to_string(),
                ))
            },
        );
        if let Joined::Yes = joined {
            bump(&self.metrics.deduplicated_subgraph_fetches);
        }
        // A fetch joined may have been given more time than this request has left.
        tokio::time::timeout(left, answer)
            .await
            .unwrap_or(Err(FetchError::Timeout(left)))
    }
}

/// One request to a subgraph, with what its retries may use.
struct Attempt {
    url: hyper::Uri,
    headers: ForwardedHeaders,
    /// The subgraph's header rules, applied to `headers`.
    rules: Arc<HeaderRules>,
    body: Bytes,
    /// The subgraph's timeout, for each try.
    timeout: Duration,
    /// The request's deadline: no try starts or waits past it.
    until: Instant,
    /// Whether it may be retried (not a mutation).
    retry: bool,
}

/// Sends `attempt`, again after a backoff while it may be retried and the budget allows,
/// and tells the subgraph's breaker how it ended. Each try is traced as a child of
/// `parent`, the request's span (given, not entered: a shared fetch runs in a task of its
/// own, and entering the request's span at every poll of it costs more than the fetch's own
/// span).
async fn send_shaped(
    client: SubgraphClient,
    attempt: Attempt,
    shaping: Shaping,
    metrics: Arc<SubgraphMetrics>,
    parent: Span,
) -> Result<Bytes, FetchError> {
    let mut tries = 0;
    loop {
        let left = attempt.until.saturating_duration_since(Instant::now());
        let result = send(
            client.clone(),
            &attempt,
            attempt.timeout.min(left),
            metrics.clone(),
            &parent,
        )
        .await;
        let err = match &result {
            Ok(_) => {
                metrics.health.succeeded();
                return result;
            }
            Err(err) if !err.is_failure() => return result,
            Err(err) => err,
        };
        tries += 1;
        let wait = shaping::backoff(&shaping, tries);
        let retry = attempt.retry
            && tries <= shaping.retries
            && err.is_retryable()
            && Instant::now() + wait < attempt.until
            && metrics.health.take_retry(&shaping);
        if !retry {
            metrics.health.failed(&shaping);
            return result;
        }
        parent.in_scope(|| tracing::debug!(error = %err, tries, "retrying a subgraph query"));
        tokio::time::sleep(wait).await;
    }
}

/// One try of `attempt`, waiting `timeout` at most, traced as a child of `parent`.
async fn send(
    client: SubgraphClient,
    attempt: &Attempt,
    timeout: Duration,
    metrics: Arc<SubgraphMetrics>,
    parent: &Span,
) -> Result<Bytes, FetchError> {
    let Attempt {
        url,
        headers,
        rules,
        body,
        ..
    } = attempt;
    bump(&metrics.fetches);
    let started = Instant::now();
    let span = tracing::info_span!(
        parent: parent,
        "subgraph fetch",
        otel.name = "POST subgraph",
        otel.kind = "client",
        url = %url
    );
    let fetch = async {
        // This fetch's own trace context replaces whatever the client sent.
        let mut trace = hyper::HeaderMap::new();
        kexie_contract::telemetry::inject_trace_context(&mut trace);
        let mut request = hyper::Request::post(url.clone());
        for (name, value) in rules.apply(&headers.0) {
            if !trace.contains_key(&name) && name != ACCEPT_LANGUAGE {
                request = request.header(name, value);
            }
        }
        request = request.header(ACCEPT_LANGUAGE, headers.2.header_value());
        for (name, value) in &trace {
            request = request.header(name, value);
        }
        if let Some(principal) = &headers.1 {
            request = request.header(PRINCIPAL_HEADER, &principal.token);
        }
        let request = request
            .header(CONTENT_TYPE, "application/json")
            .header(
                ACCEPT,
                "application/graphql-response+json, application/json",
            )
            .body(Full::new(body.clone()))
            .map_err(|err| FetchError::Transport(err.to_string()))?;
        let response = client
            .request(request)
            .await
            .map_err(|err| FetchError::Transport(describe(&err)))?;
        let status = response.status();
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.contains("json"));
        let collected = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|err| FetchError::Transport(format!("reading the answer failed: {err}")))?;
        let bytes = collected.to_bytes();
        // A GraphQL error answered with an error status (application/graphql-response+json
        // does that) still carries a GraphQL response to pass on.
        if status.is_success() || (is_json && bytes.first() == Some(&b'{')) {
            Ok(bytes)
        } else {
            Err(FetchError::Status(status.as_u16()))
        }
    };
    let result = tokio::time::timeout(timeout, fetch.instrument(span))
        .await
        .unwrap_or(Err(FetchError::Timeout(timeout)));
    metrics.latency.observe(started.elapsed());
    if let Err(err) = &result {
        bump(&metrics.errors);
        if matches!(err, FetchError::Timeout(_)) {
            bump(&metrics.timeouts);
        }
    }
    result
}

/// The innermost cause of a client error ("connection refused" rather than "client error").
fn describe(err: &hyper_util::client::legacy::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    let mut message = err.to_string();
    while let Some(cause) = source {
        message = cause.to_string();
        source = cause.source();
    }
    message
}

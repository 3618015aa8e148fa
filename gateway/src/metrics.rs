//! Counters of the gateway, served on `GET /metrics` in the Prometheus text format.
//!
//! Plain atomics: recording is a relaxed increment on the request path (no lock, not even
//! for histograms), and a scrape reads them through a `prometheus-client` collector, which
//! writes the exposition.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::pipeline::execute::shaping::Health;

/// How a partner call ended, as logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallOutcome {
    Ok,
    Errors,
    RateLimited,
    Refused,
}

impl CallOutcome {
    pub(crate) const ALL: [CallOutcome; 4] = [
        CallOutcome::Ok,
        CallOutcome::Errors,
        CallOutcome::RateLimited,
        CallOutcome::Refused,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Errors => "errors",
            CallOutcome::RateLimited => "rate_limited",
            CallOutcome::Refused => "refused",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Upper bounds of the latency histograms, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub(crate) fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(index) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[index].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn encode(&self, mut encoder: MetricEncoder) -> std::fmt::Result {
        let buckets: Vec<(f64, u64)> = BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(bound, bucket)| (*bound, bucket.load(Ordering::Relaxed)))
            .collect();
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0;
        encoder.encode_histogram::<NoLabelSet>(
            sum,
            self.count.load(Ordering::Relaxed),
            &buckets,
            None,
        )
    }
}

/// Operation names kept apart in the per-operation histograms; later names count as
/// "other", so that clients cannot grow the exposition without bound.
const MAX_OPERATION_NAMES: usize = 200;
/// Longer operation names count as "other".
const MAX_OPERATION_NAME_LEN: usize = 100;

/// Picks one counter out of a subgraph's metrics.
type CounterOf = fn(&SubgraphMetrics) -> &AtomicU64;

/// What the gateway counts and keeps about one subgraph.
#[derive(Default)]
pub(crate) struct SubgraphMetrics {
    /// Requests sent (deduplicated fetches count once).
    pub fetches: AtomicU64,
    /// Requests that failed: transport errors, HTTP errors, timeouts, unreadable answers.
    pub errors: AtomicU64,
    /// Of the errors, those that were timeouts.
    pub timeouts: AtomicU64,
    pub latency: Histogram,
    /// Its circuit breaker and retry budget, with their counts.
    pub health: Health,
}

/// Every counter of the gateway.
#[derive(Default)]
pub struct Metrics {
    pub(crate) graphql_requests: AtomicU64,
    /// Requests refused before execution (bad HTTP, syntax, validation, variables).
    pub(crate) rejected_requests: AtomicU64,
    pub(crate) request_latency: Histogram,
    pub(crate) plan_cache_hits: AtomicU64,
    pub(crate) plan_cache_misses: AtomicU64,
    pub(crate) document_cache_hits: AtomicU64,
    pub(crate) document_cache_misses: AtomicU64,
    pub(crate) deduplicated_subgraph_fetches: AtomicU64,
    pub(crate) deduplicated_client_queries: AtomicU64,
    pub(crate) supergraph_loads: AtomicU64,
    pub(crate) supergraph_load_failures: AtomicU64,
    pub(crate) response_cache_hits: AtomicU64,
    pub(crate) response_cache_misses: AtomicU64,
    pub(crate) response_cache_bypasses: AtomicU64,
    pub(crate) response_cache_failures: AtomicU64,
    /// Partner calls by outcome, indexed by `CallOutcome::index`.
    pub(crate) partner_calls: [AtomicU64; 4],
    pub(crate) partner_call_log_failures: AtomicU64,
    pub(crate) partner_rate_limit_failures: AtomicU64,
    pub(crate) partner_key_check_failures: AtomicU64,
    operations: Mutex<BTreeMap<(String, &'static str), Arc<Histogram>>>,
    subgraphs: Mutex<BTreeMap<String, Arc<SubgraphMetrics>>>,
}

/// The gateway-wide counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// GraphQL requests that reached the pipeline.
    pub graphql_requests: u64,
    /// Requests refused before execution, at the HTTP level or by the pipeline.
    pub rejected_requests: u64,
    /// Operations whose plan came from a cache.
    pub plan_cache_hits: u64,
    /// Operations that had to be planned.
    pub plan_cache_misses: u64,
    /// Documents found parsed and validated.
    pub document_cache_hits: u64,
    /// Documents that had to be parsed and validated.
    pub document_cache_misses: u64,
    /// Subgraph fetches answered by an identical fetch in flight.
    pub deduplicated_subgraph_fetches: u64,
    /// Client queries answered by an identical query in flight.
    pub deduplicated_client_queries: u64,
    /// Supergraphs loaded, the first one included.
    pub supergraph_loads: u64,
    /// Supergraph files refused (the previous supergraph kept serving).
    pub supergraph_load_failures: u64,
    /// Rollup responses served from Redis.
    pub response_cache_hits: u64,
    /// Rollup responses computed by the subgraphs, then stored.
    pub response_cache_misses: u64,
    /// Rollup responses computed without cache: a subgraph's data version was missing.
    pub response_cache_bypasses: u64,
    /// Calls to Redis of the response cache that failed or timed out.
    pub response_cache_failures: u64,
    /// Partner calls answered without errors.
    pub partner_calls_ok: u64,
    /// Partner calls answered with errors (or refused before execution).
    pub partner_calls_errors: u64,
    /// Partner calls over their key's limit.
    pub partner_calls_rate_limited: u64,
    /// Partner calls with an unknown or revoked key.
    pub partner_calls_refused: u64,
    /// Partner calls that could not be logged with organizations.
    pub partner_call_log_failures: u64,
    /// Partner calls let through because the rate limit's Redis failed or was slow.
    pub partner_rate_limit_failures: u64,
    /// Key checks that organizations did not answer (the calls were refused, 503).
    pub partner_key_check_failures: u64,
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// Records one request's latency under its operation name and type (`query`,
    /// `mutation`, `subscription`, or `invalid` when refused before one was selected).
    pub(crate) fn observe_operation(
        &self,
        name: Option<&str>,
        kind: &'static str,
        elapsed: Duration,
    ) {
        let name = match name {
            None => "anonymous",
            Some(name) if name.len() > MAX_OPERATION_NAME_LEN => "other",
            Some(name) => name,
        };
        let histogram = {
            let mut operations = self
                .operations
                .lock()
                .unwrap_or_else(|err| err.into_inner());
            let key = (name.to_string(), kind);
            match operations.get(&key) {
                Some(histogram) => histogram.clone(),
                None if operations.len() < MAX_OPERATION_NAMES => {
                    operations.entry(key).or_default().clone()
                }
                None => operations
                    .entry(("other".to_string(), kind))
                    .or_default()
                    .clone(),
            }
        };
        histogram.observe(elapsed);
    }

    /// The counters of the subgraph `name`; they survive supergraph reloads.
    pub(crate) fn subgraph(&self, name: &str) -> Arc<SubgraphMetrics> {
        let mut subgraphs = self.subgraphs.lock().unwrap_or_else(|err| err.into_inner());
        subgraphs.entry(name.to_string()).or_default().clone()
    }

    /// The current value of every gateway-wide counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        MetricsSnapshot {
            graphql_requests: read(&self.graphql_requests),
            rejected_requests: read(&self.rejected_requests),
            plan_cache_hits: read(&self.plan_cache_hits),
            plan_cache_misses: read(&self.plan_cache_misses),
            document_cache_hits: read(&self.document_cache_hits),
            document_cache_misses: read(&self.document_cache_misses),
            deduplicated_subgraph_fetches: read(&self.deduplicated_subgraph_fetches),
            deduplicated_client_queries: read(&self.deduplicated_client_queries),
            supergraph_loads: read(&self.supergraph_loads),
            supergraph_load_failures: read(&self.supergraph_load_failures),
            response_cache_hits: read(&self.response_cache_hits),
            response_cache_misses: read(&self.response_cache_misses),
            response_cache_bypasses: read(&self.response_cache_bypasses),
            response_cache_failures: read(&self.response_cache_failures),
            partner_calls_ok: read(&self.partner_calls[CallOutcome::Ok.index()]),
            partner_calls_errors: read(&self.partner_calls[CallOutcome::Errors.index()]),
            partner_calls_rate_limited: read(&self.partner_calls[CallOutcome::RateLimited.index()]),
            partner_calls_refused: read(&self.partner_calls[CallOutcome::Refused.index()]),
            partner_call_log_failures: read(&self.partner_call_log_failures),
            partner_rate_limit_failures: read(&self.partner_rate_limit_failures),
            partner_key_check_failures: read(&self.partner_key_check_failures),
        }
    }

    /// The plan cache hit rate so far (hits over lookups), 0 before any lookup.
    pub fn plan_cache_hit_rate(&self) -> f64 {
        let hits = self.plan_cache_hits.load(Ordering::Relaxed) as f64;
        let misses = self.plan_cache_misses.load(Ordering::Relaxed) as f64;
        if hits + misses == 0.0 {
            0.0
        } else {
            hits / (hits + misses)
        }
    }

    /// The Prometheus text exposition of every counter; `plan_cache_entries` is the current
    /// size of the plan cache.
    pub(crate) fn render(self: &Arc<Self>, plan_cache_entries: usize) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Exposition {
            metrics: self.clone(),
            plan_cache_entries,
        }));
        let mut out = String::with_capacity(8192);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
        out
    }
}

/// One scrape of the gateway's counters.
struct Exposition {
    metrics: Arc<Metrics>,
    plan_cache_entries: usize,
}

impl std::fmt::Debug for Exposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exposition").finish_non_exhaustive()
    }
}

impl Collector for Exposition {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let metrics = &self.metrics;
        let counters: [(&str, &str, &AtomicU64); 17] = [
            (
                "gateway_graphql_requests",
                "GraphQL requests received.",
                &metrics.graphql_requests,
            ),
            (
                "gateway_rejected_requests",
                "Requests refused before execution (malformed, invalid, bad variables).",
                &metrics.rejected_requests,
            ),
            (
                "gateway_plan_cache_hits",
                "Operations whose query plan came from the cache.",
                &metrics.plan_cache_hits,
            ),
            (
                "gateway_plan_cache_misses",
                "Operations that had to be planned.",
                &metrics.plan_cache_misses,
            ),
            (
                "gateway_document_cache_hits",
                "Documents found already parsed and validated.",
                &metrics.document_cache_hits,
            ),
            (
                "gateway_document_cache_misses",
                "Documents that had to be parsed and validated.",
                &metrics.document_cache_misses,
            ),
            (
                "gateway_deduplicated_subgraph_fetches",
                "Subgraph fetches served by an identical fetch already in flight.",
                &metrics.deduplicated_subgraph_fetches,
            ),
            (
                "gateway_deduplicated_client_queries",
                "Client queries served by an identical query already in flight.",
                &metrics.deduplicated_client_queries,
            ),
            (
                "gateway_supergraph_loads",
                "Supergraphs loaded (the first one and every reload).",
                &metrics.supergraph_loads,
            ),
            (
                "gateway_supergraph_load_failures",
                "Supergraph files that could not be loaded (the previous one kept serving).",
                &metrics.supergraph_load_failures,
            ),
            (
                "gateway_response_cache_hits",
                "Rollup responses served from Redis.",
                &metrics.response_cache_hits,
            ),
            (
                "gateway_response_cache_misses",
                "Rollup responses computed by the subgraphs because Redis lacked them.",
                &metrics.response_cache_misses,
            ),
            (
                "gateway_response_cache_bypasses",
                "Rollup responses computed without cache because a subgraph's data version \
                 was not in Redis.",
                &metrics.response_cache_bypasses,
            ),
            (
                "gateway_response_cache_failures",
                "Calls to Redis of the response cache that failed or timed out.",
                &metrics.response_cache_failures,
            ),
            (
                "gateway_partner_call_log_failures",
                "Partner calls that could not be logged with the API-key subgraph.",
                &metrics.partner_call_log_failures,
            ),
            (
                "gateway_partner_rate_limit_failures",
                "Partner calls let through unlimited because Redis failed or took over 50 ms.",
                &metrics.partner_rate_limit_failures,
            ),
            (
                "gateway_partner_key_check_failures",
                "API key checks the API-key subgraph did not answer (the calls got 503).",
                &metrics.partner_key_check_failures,
            ),
        ];
        for (name, help, counter) in counters {
            let counter = ConstCounter::new(counter.load(Ordering::Relaxed));
            counter.encode(encoder.encode_descriptor(name, help, None, MetricType::Counter)?)?;
        }
        let mut partner_calls = encoder.encode_descriptor(
            "gateway_partner_calls",
            "Calls with a partner bureau's API key, by outcome.",
            None,
            MetricType::Counter,
        )?;
        for outcome in CallOutcome::ALL {
            let calls = &metrics.partner_calls[outcome.index()];
            ConstCounter::new(calls.load(Ordering::Relaxed))
                .encode(partner_calls.encode_family(&[("outcome", outcome.as_str())])?)?;
        }
        ConstGauge::new(metrics.plan_cache_hit_rate()).encode(encoder.encode_descriptor(
            "gateway_plan_cache_hit_ratio",
            "Plan cache hits over lookups since start.",
            None,
            MetricType::Gauge,
        )?)?;
        ConstGauge::new(self.plan_cache_entries as i64).encode(encoder.encode_descriptor(
            "gateway_plan_cache_entries",
            "Plans currently cached.",
            None,
            MetricType::Gauge,
        )?)?;
        metrics.request_latency.encode(encoder.encode_descriptor(
            "gateway_request_duration_seconds",
            "Time to answer a GraphQL request.",
            None,
            MetricType::Histogram,
        )?)?;
        let operations: Vec<((String, &'static str), Arc<Histogram>)> = metrics
            .operations
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .iter()
            .map(|(key, histogram)| (key.clone(), histogram.clone()))
            .collect();
        let help = format!(
            "Time to answer a GraphQL request, by operation name (\"anonymous\" without one, \"other\" past {MAX_OPERATION_NAMES} names) and type; _count is the number of requests."
        );
        let mut by_operation = encoder.encode_descriptor(
            "gateway_operation_duration_seconds",
            &help,
            None,
            MetricType::Histogram,
        )?;
        for ((name, kind), histogram) in &operations {
            histogram.encode(
                by_operation.encode_family(&[("operation", name.as_str()), ("type", *kind)])?,
            )?;
        }
        let subgraphs: Vec<(String, Arc<SubgraphMetrics>)> = metrics
            .subgraphs
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .iter()
            .map(|(name, metrics)| (name.clone(), metrics.clone()))
            .collect();
        let per_subgraph: [(&str, &str, CounterOf); 5] = [
            (
                "gateway_subgraph_fetches",
                "Requests sent to a subgraph.",
                |metrics| &metrics.fetches,
            ),
            (
                "gateway_subgraph_fetch_errors",
                "Subgraph requests that failed (transport, HTTP status, timeout, bad answer).",
                |metrics| &metrics.errors,
            ),
            (
                "gateway_subgraph_fetch_timeouts",
                "Subgraph requests that exceeded the subgraph timeout.",
                |metrics| &metrics.timeouts,
            ),
            (
                "gateway_subgraph_retries",
                "Queries sent to a subgraph again after a broken request or a 502, 503 or 504.",
                |metrics| &metrics.health.retries,
            ),
            (
                "gateway_subgraph_short_circuits",
                "Requests refused at once because the subgraph's circuit was open.",
                |metrics| &metrics.health.short_circuits,
            ),
        ];
        for (name, help, counter) in per_subgraph {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (subgraph, metrics) in &subgraphs {
                ConstCounter::new(counter(metrics).load(Ordering::Relaxed))
                    .encode(family.encode_family(&[("subgraph", subgraph.as_str())])?)?;
            }
        }
        let mut circuits = encoder.encode_descriptor(
            "gateway_subgraph_circuit_state",
            "A subgraph's circuit breaker: 0 closed, 1 open (requests refused), 2 half-open (a probe is out).",
            None,
            MetricType::Gauge,
        )?;
        for (subgraph, metrics) in &subgraphs {
            ConstGauge::new(metrics.health.state.load(Ordering::Relaxed) as i64)
                .encode(circuits.encode_family(&[("subgraph", subgraph.as_str())])?)?;
        }
        let mut latency = encoder.encode_descriptor(
            "gateway_subgraph_fetch_duration_seconds",
            "Time to fetch from a subgraph.",
            None,
            MetricType::Histogram,
        )?;
        for (subgraph, metrics) in &subgraphs {
            metrics
                .latency
                .encode(latency.encode_family(&[("subgraph", subgraph.as_str())])?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_lists_counters_and_per_subgraph_histograms() {
        let metrics = Arc::new(Metrics::default());
        bump(&metrics.plan_cache_hits);
        bump(&metrics.plan_cache_hits);
        bump(&metrics.plan_cache_hits);
        bump(&metrics.plan_cache_misses);
        metrics
            .subgraph("talent")
            .latency
            .observe(Duration::from_micros(300));
        metrics.observe_operation(Some("CityOverview"), "query", Duration::from_micros(800));
        metrics.observe_operation(None, "mutation", Duration::from_micros(800));
        metrics.observe_operation(Some("Say\"hi\"\n"), "query", Duration::from_micros(800));
        let text = metrics.render(7);
        // A client's operation name cannot break the exposition.
        assert!(text.contains(
            "gateway_operation_duration_seconds_count{operation=\"Say\\\"hi\\\"\\n\",type=\"query\"} 1\n"
        ), "{text}");
        assert!(text.contains(
            "gateway_operation_duration_seconds_count{operation=\"CityOverview\",type=\"query\"} 1\n"
        ));
        assert!(text.contains(
            "gateway_operation_duration_seconds_bucket{operation=\"anonymous\",type=\"mutation\",le=\"0.001\"} 1\n"
        ));
        assert!(text.contains("gateway_plan_cache_hits_total 3\n"));
        assert!(text.contains("gateway_plan_cache_hit_ratio 0.75\n"));
        assert!(text.contains("gateway_plan_cache_entries 7\n"));
        bump(&metrics.partner_calls[CallOutcome::RateLimited.index()]);
        let text = metrics.render(7);
        assert!(text.contains("gateway_partner_calls_total{outcome=\"rate_limited\"} 1\n"));
        assert!(text.contains("gateway_partner_calls_total{outcome=\"ok\"} 0\n"));
        assert!(text.contains("gateway_partner_call_log_failures_total 0\n"));
        assert!(text.contains(
            "gateway_subgraph_fetch_duration_seconds_bucket{subgraph=\"talent\",le=\"0.0005\"} 1\n"
        ));
        assert!(
            text.contains("gateway_subgraph_fetch_duration_seconds_count{subgraph=\"talent\"} 1\n")
        );
    }
}

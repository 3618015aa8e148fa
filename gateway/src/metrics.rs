//! Counters of the gateway, served on `GET /metrics` in the Prometheus text format.
//!
//! Plain atomics: recording is a relaxed increment on the request path, and rendering
//! reads them when scraped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0u64;
        let separator = if labels.is_empty() { "" } else { "," };
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {count}"
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0;
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Operation names kept apart in the per-operation histograms; later names count as
/// "other", so that clients cannot grow the exposition without bound.
const MAX_OPERATION_NAMES: usize = 200;
/// Longer operation names count as "other".
const MAX_OPERATION_NAME_LEN: usize = 100;

/// Picks one counter out of a subgraph's metrics.
type CounterOf = fn(&SubgraphMetrics) -> &AtomicU64;

/// What the gateway counts about one subgraph.
#[derive(Default)]
pub(crate) struct SubgraphMetrics {
    /// Requests sent (deduplicated fetches count once).
    pub fetches: AtomicU64,
    /// Requests that failed: transport errors, HTTP errors, timeouts, unreadable answers.
    pub errors: AtomicU64,
    /// Of the errors, those that were timeouts.
    pub timeouts: AtomicU64,
    pub latency: Histogram,
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
    /// GraphQL requests that reached the engine.
    pub graphql_requests: u64,
    /// Requests refused before execution, at the HTTP level or by the engine.
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
    pub(crate) fn render(&self, plan_cache_entries: usize) -> String {
        let mut out = String::with_capacity(4096);
        let counters: [(&str, &str, &AtomicU64); 17] = [
            (
                "gateway_graphql_requests_total",
                "GraphQL requests received.",
                &self.graphql_requests,
            ),
            (
                "gateway_rejected_requests_total",
                "Requests refused before execution (malformed, invalid, bad variables).",
                &self.rejected_requests,
            ),
            (
                "gateway_plan_cache_hits_total",
                "Operations whose query plan came from the cache.",
                &self.plan_cache_hits,
            ),
            (
                "gateway_plan_cache_misses_total",
                "Operations that had to be planned.",
                &self.plan_cache_misses,
            ),
            (
                "gateway_document_cache_hits_total",
                "Documents found already parsed and validated.",
                &self.document_cache_hits,
            ),
            (
                "gateway_document_cache_misses_total",
                "Documents that had to be parsed and validated.",
                &self.document_cache_misses,
            ),
            (
                "gateway_deduplicated_subgraph_fetches_total",
                "Subgraph fetches served by an identical fetch already in flight.",
                &self.deduplicated_subgraph_fetches,
            ),
            (
                "gateway_deduplicated_client_queries_total",
                "Client queries served by an identical query already in flight.",
                &self.deduplicated_client_queries,
            ),
            (
                "gateway_supergraph_loads_total",
                "Supergraphs loaded (the first one and every reload).",
                &self.supergraph_loads,
            ),
            (
                "gateway_supergraph_load_failures_total",
                "Supergraph files that could not be loaded (the previous one kept serving).",
                &self.supergraph_load_failures,
            ),
            (
                "gateway_response_cache_hits_total",
                "Rollup responses served from Redis.",
                &self.response_cache_hits,
            ),
            (
                "gateway_response_cache_misses_total",
                "Rollup responses computed by the subgraphs because Redis lacked them.",
                &self.response_cache_misses,
            ),
            (
                "gateway_response_cache_bypasses_total",
                "Rollup responses computed without cache because a subgraph's data version \
                 was not in Redis.",
                &self.response_cache_bypasses,
            ),
            (
                "gateway_response_cache_failures_total",
                "Calls to Redis of the response cache that failed or timed out.",
                &self.response_cache_failures,
            ),
            (
                "gateway_partner_call_log_failures_total",
                "Partner calls that could not be logged with the organizations subgraph.",
                &self.partner_call_log_failures,
            ),
            (
                "gateway_partner_rate_limit_failures_total",
                "Partner calls let through unlimited because Redis failed or took over 50 ms.",
                &self.partner_rate_limit_failures,
            ),
            (
                "gateway_partner_key_check_failures_total",
                "API key checks the organizations subgraph did not answer (the calls got 503).",
                &self.partner_key_check_failures,
            ),
        ];
        for (name, help, counter) in counters {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP gateway_partner_calls_total Calls with a partner bureau's API key, by outcome."
        );
        let _ = writeln!(out, "# TYPE gateway_partner_calls_total counter");
        for outcome in CallOutcome::ALL {
            let _ = writeln!(
                out,
                "gateway_partner_calls_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                self.partner_calls[outcome.index()].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP gateway_plan_cache_hit_ratio Plan cache hits over lookups since start."
        );
        let _ = writeln!(out, "# TYPE gateway_plan_cache_hit_ratio gauge");
        let _ = writeln!(
            out,
            "gateway_plan_cache_hit_ratio {}",
            self.plan_cache_hit_rate()
        );
        let _ = writeln!(
            out,
            "# HELP gateway_plan_cache_entries Plans currently cached."
        );
        let _ = writeln!(out, "# TYPE gateway_plan_cache_entries gauge");
        let _ = writeln!(out, "gateway_plan_cache_entries {plan_cache_entries}");
        let _ = writeln!(
            out,
            "# HELP gateway_request_duration_seconds Time to answer a GraphQL request."
        );
        let _ = writeln!(out, "# TYPE gateway_request_duration_seconds histogram");
        self.request_latency
            .render(&mut out, "gateway_request_duration_seconds", "");
        let _ = writeln!(
            out,
            "# HELP gateway_operation_duration_seconds Time to answer a GraphQL request, by operation name (\"anonymous\" without one, \"other\" past {MAX_OPERATION_NAMES} names) and type; _count is the number of requests."
        );
        let _ = writeln!(out, "# TYPE gateway_operation_duration_seconds histogram");
        let operations: Vec<((String, &'static str), Arc<Histogram>)> = self
            .operations
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .iter()
            .map(|(key, histogram)| (key.clone(), histogram.clone()))
            .collect();
        for ((name, kind), histogram) in &operations {
            histogram.render(
                &mut out,
                "gateway_operation_duration_seconds",
                &format!("operation=\"{}\",type=\"{kind}\"", escape_label(name)),
            );
        }

        let subgraphs: Vec<(String, Arc<SubgraphMetrics>)> = self
            .subgraphs
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .iter()
            .map(|(name, metrics)| (name.clone(), metrics.clone()))
            .collect();
        let per_subgraph: [(&str, &str, CounterOf); 3] = [
            (
                "gateway_subgraph_fetches_total",
                "Requests sent to a subgraph.",
                |metrics| &metrics.fetches,
            ),
            (
                "gateway_subgraph_fetch_errors_total",
                "Subgraph requests that failed (transport, HTTP status, timeout, bad answer).",
                |metrics| &metrics.errors,
            ),
            (
                "gateway_subgraph_fetch_timeouts_total",
                "Subgraph requests that exceeded the subgraph timeout.",
                |metrics| &metrics.timeouts,
            ),
        ];
        for (name, help, counter) in per_subgraph {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (subgraph, metrics) in &subgraphs {
                let _ = writeln!(
                    out,
                    "{name}{{subgraph=\"{}\"}} {}",
                    escape_label(subgraph),
                    counter(metrics).load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP gateway_subgraph_fetch_duration_seconds Time to fetch from a subgraph."
        );
        let _ = writeln!(
            out,
            "# TYPE gateway_subgraph_fetch_duration_seconds histogram"
        );
        for (subgraph, metrics) in &subgraphs {
            metrics.latency.render(
                &mut out,
                "gateway_subgraph_fetch_duration_seconds",
                &format!("subgraph=\"{}\"", escape_label(subgraph)),
            );
        }
        out
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_lists_counters_and_per_subgraph_histograms() {
        let metrics = Metrics::default();
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
        let text = metrics.render(7);
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

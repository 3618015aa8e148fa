//! What every subgraph serves on `GET /metrics`: GraphQL requests and their latency per
//! operation, errors by `extensions.code`, the database pool, and the data version that
//! keeps rollup caches fresh. The metrics and their encoding (the OpenMetrics text format)
//! are `prometheus-client`'s; what is ours is which labels a caller may choose
//! ([`BoundedLabel`]) and how a request is labelled ([`OperationLabel`], the error codes).
//! Recording is a relaxed atomic increment on the request path; the pool and the data
//! version are read when scraped.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sqlx::PgPool;

use crate::rollup::VersionCounters;

/// The `Content-Type` of the OpenMetrics text format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency histograms, in seconds: from a cached lookup (100 µs) to a
/// rollup over a whole city (seconds).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The label value that stands for every value beyond a [`BoundedLabel`]'s limit.
pub const OVERFLOW_LABEL: &str = "other";

/// Caps the distinct values of a label that callers choose (operation names, error codes):
/// the first `limit` values seen are kept, every later one becomes [`OVERFLOW_LABEL`], so a
/// client inventing names cannot grow the exposition without bound.
#[derive(Debug)]
pub struct BoundedLabel {
    limit: usize,
    max_len: usize,
    seen: RwLock<HashSet<String>>,
}

impl BoundedLabel {
    /// At most `limit` distinct values, each cut to `max_len` characters.
    pub fn new(limit: usize, max_len: usize) -> Self {
        BoundedLabel {
            limit,
            max_len,
            seen: RwLock::new(HashSet::new()),
        }
    }

    /// The label value to use for `value`.
    pub fn admit(&self, value: &str) -> String {
        let value = match value.char_indices().nth(self.max_len) {
            Some((cut, _)) => &value[..cut],
            None => value,
        };
        {
            let seen = self.seen.read().unwrap_or_else(|err| err.into_inner());
            if seen.contains(value) {
                return value.to_string();
            }
            if seen.len() >= self.limit {
                return OVERFLOW_LABEL.to_string();
            }
        }
        let mut seen = self.seen.write().unwrap_or_else(|err| err.into_inner());
        if seen.contains(value) || seen.len() < self.limit {
            seen.insert(value.to_string());
            value.to_string()
        } else {
            OVERFLOW_LABEL.to_string()
        }
    }
}

/// How many distinct operation names get a series of their own.
pub const MAX_OPERATION_NAMES: usize = 100;
/// How many distinct error codes get a series of their own (the hub defines about ten).
pub const MAX_ERROR_CODES: usize = 32;
/// Longer operation names are cut to this many characters.
const MAX_LABEL_LEN: usize = 64;

/// The operation a GraphQL request selected, as labelled in metrics and traces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationLabel {
    /// The operation's name, `anonymous` for an unnamed one, `invalid` when no operation
    /// could be selected (a syntax error, an unknown or missing operation name).
    pub name: String,
    /// `query`, `mutation`, `subscription`, or `invalid`.
    pub kind: &'static str,
}

impl OperationLabel {
    pub const ANONYMOUS: &'static str = "anonymous";
    pub const INVALID: &'static str = "invalid";

    pub fn new(name: Option<&str>, kind: Option<OperationType>) -> Self {
        match kind {
            None => OperationLabel {
                name: Self::INVALID.to_string(),
                kind: Self::INVALID,
            },
            Some(kind) => OperationLabel {
                name: name.unwrap_or(Self::ANONYMOUS).to_string(),
                kind: match kind {
                    OperationType::Query => "query",
                    OperationType::Mutation => "mutation",
                    OperationType::Subscription => "subscription",
                },
            },
        }
    }
}

/// Error code of errors that carry none: the document did not parse.
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// Error code of errors that carry none and no path: the request was refused before
/// execution (validation, variables, operation selection).
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
/// Error code of errors raised during execution without a code of their own.
pub const UNCODED: &str = "UNCODED";

/// The labels of a request's series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    r#type: &'static str,
}

/// The labels of an error's series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    code: String,
}

/// A subgraph's metrics, rendered on `GET /metrics`.
pub struct SubgraphMetrics {
    registry: Registry,
    operation_names: BoundedLabel,
    requests: Family<OperationLabels, Counter>,
    durations: Family<OperationLabels, Histogram>,
    error_codes: BoundedLabel,
    errors: Family<ErrorLabels, Counter>,
}

impl SubgraphMetrics {
    /// Metrics of a subgraph whose database is `pool`; `data_version` adds the counters of
    /// its data version, `collectors` what its background tasks count (the webhook relay …).
    pub fn new(
        pool: PgPool,
        data_version: Option<Arc<VersionCounters>>,
        collectors: Vec<Box<dyn Collector>>,
    ) -> Self {
        let requests = Family::<OperationLabels, Counter>::default();
        let durations = Family::<OperationLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(LATENCY_BUCKETS)) as fn() -> Histogram,
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        // The registry ends each help text with a period.
        let mut registry = Registry::default();
        registry.register(
            "subgraph_graphql_requests",
            "GraphQL requests executed, by operation name (capped, then \"other\") and type",
            requests.clone(),
        );
        registry.register(
            "subgraph_graphql_request_duration_seconds",
            "Time to execute a GraphQL request, by operation name and type",
            durations.clone(),
        );
        registry.register(
            "subgraph_graphql_errors",
            "GraphQL errors answered, by extensions.code (GRAPHQL_PARSE_FAILED and \
             GRAPHQL_VALIDATION_FAILED for refused documents, UNCODED for others without one)",
            errors.clone(),
        );
        registry.register_collector(Box::new(PoolCollector(pool)));
        if let Some(counters) = data_version {
            registry.register_collector(Box::new(DataVersionCollector(counters)));
        }
        for collector in collectors {
            registry.register_collector(collector);
        }
        SubgraphMetrics {
            registry,
            operation_names: BoundedLabel::new(MAX_OPERATION_NAMES, MAX_LABEL_LEN),
            requests,
            durations,
            error_codes: BoundedLabel::new(MAX_ERROR_CODES, MAX_LABEL_LEN),
            errors,
        }
    }

    /// Records one executed request: its operation, how long it took, and its errors.
    /// `parsed` tells whether the document parsed, to name the errors that carry no code.
    pub fn record(
        &self,
        operation: &OperationLabel,
        elapsed: Duration,
        response: &async_graphql::Response,
        parsed: bool,
    ) {
        let labels = OperationLabels {
            operation: self.operation_names.admit(&operation.name),
            r#type: operation.kind,
        };
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        for error in &response.errors {
            let code = error_code(error, parsed);
            let labels = ErrorLabels {
                code: self.error_codes.admit(&code),
            };
            self.errors.get_or_create(&labels).inc();
        }
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        if let Err(err) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            // Writing into a String fails only if a metric's own encoding does.
            tracing::error!(error = %err, "failed to encode the metrics");
        }
        out
    }
}

/// The database pool, as it stands when scraped.
#[derive(Debug)]
struct PoolCollector(PgPool);

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let gauges = [
            (
                "subgraph_db_pool_connections",
                "Open connections of the database pool, idle or in use.",
                i64::from(self.0.size()),
            ),
            (
                "subgraph_db_pool_idle_connections",
                "Idle connections of the database pool.",
                i64::try_from(self.0.num_idle()).unwrap_or(i64::MAX),
            ),
            (
                "subgraph_db_pool_max_connections",
                "The most connections the database pool opens.",
                i64::from(self.0.options().get_max_connections()),
            ),
        ];
        for (name, help, value) in gauges {
            encode_gauge(&mut encoder, name, help, value)?;
        }
        Ok(())
    }
}

/// Encodes `counters` (name, help text, value) as they stand.
pub fn encode_counters(
    encoder: &mut DescriptorEncoder,
    counters: &[(&str, &str, &AtomicU64)],
) -> Result<(), std::fmt::Error> {
    for (name, help, value) in counters {
        let counter = ConstCounter::new(value.load(Ordering::Relaxed));
        counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
    }
    Ok(())
}

/// Encodes a gauge of `value`.
pub fn encode_gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), std::fmt::Error> {
    let gauge = ConstGauge::new(value);
    gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
}

/// The counters of the data version, as they stand when scraped.
#[derive(Debug)]
struct DataVersionCollector(Arc<VersionCounters>);

impl Collector for DataVersionCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counters: [(&str, &str, &AtomicU64); 3] = [
            (
                "subgraph_data_version_bumps",
                "Data versions advanced after writes, tree changes and seeding.",
                &self.0.bumps,
            ),
            (
                "subgraph_data_version_mirror_failures",
                "Mirrors of the data version to Redis that failed or timed out.",
                &self.0.mirror_failures,
            ),
            (
                "subgraph_data_version_lease_waits",
                "Writes whose acknowledgement waited for the cache lease to expire \
                 because Redis could not be told.",
                &self.0.lease_waits,
            ),
        ];
        encode_counters(&mut encoder, &counters)
    }
}

/// The `extensions.code` of an error, or the name of the phase that refused it.
fn error_code(error: &async_graphql::ServerError, parsed: bool) -> String {
    let code = error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"));
    match code {
        Some(async_graphql::Value::String(code)) => code.clone(),
        Some(other) => other.to_string(),
        None if !parsed => PARSE_FAILED.to_string(),
        None if error.path.is_empty() => VALIDATION_FAILED.to_string(),
        None => UNCODED.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_label_keeps_the_first_values_and_folds_the_rest_into_other() {
        let label = BoundedLabel::new(2, 8);
        assert_eq!(label.admit("Units"), "Units");
        assert_eq!(label.admit("Workers"), "Workers");
        assert_eq!(label.admit("Venues"), OVERFLOW_LABEL);
        assert_eq!(label.admit("Units"), "Units");
        assert_eq!(label.admit("Workers"), "Workers");
        let long = BoundedLabel::new(1, 4);
        assert_eq!(long.admit("卡脖子技术清单"), "卡脖子技");
        assert_eq!(long.admit("卡脖子技术"), "卡脖子技");
    }

    /// A subgraph's metrics over a pool that never connects.
    fn metrics() -> SubgraphMetrics {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        SubgraphMetrics::new(pool, Some(Arc::new(VersionCounters::default())), Vec::new())
    }

    fn query(name: &str) -> OperationLabel {
        OperationLabel::new(Some(name), Some(OperationType::Query))
    }

    fn errors(codes: &[&str]) -> async_graphql::Response {
        use async_graphql::ErrorExtensions as _;
        async_graphql::Response::from_errors(
            codes
                .iter()
                .map(|code| {
                    async_graphql::Error::new("refused")
                        .extend_with(|_, extensions| extensions.set("code", *code))
                        .into_server_error(async_graphql::Pos::default())
                })
                .collect(),
        )
    }

    #[tokio::test]
    async fn histograms_render_cumulative_buckets_with_their_labels() {
        let metrics = metrics();
        let ok = async_graphql::Response::default();
        for elapsed in [
            Duration::from_micros(300),
            Duration::from_millis(20),
            Duration::from_secs(10),
        ] {
            metrics.record(&query("Unit \"x\""), elapsed, &ok, true);
        }
        let text = metrics.render();
        assert!(text.contains(
            "# HELP subgraph_graphql_request_duration_seconds Time to execute a GraphQL request, \
             by operation name and type.\n"
        ));
        let series = "operation=\"Unit \\\"x\\\"\",type=\"query\"";
        assert!(text.contains("# TYPE subgraph_graphql_request_duration_seconds histogram\n"));
        for (le, count) in [
            ("0.0001", 0),
            ("0.0005", 1),
            ("0.025", 2),
            ("5.0", 2),
            ("+Inf", 3),
        ] {
            let line = format!(
                "subgraph_graphql_request_duration_seconds_bucket{{le=\"{le}\",{series}}} {count}\n"
            );
            assert!(text.contains(&line), "missing {line:?} in\n{text}");
        }
        let count = format!("subgraph_graphql_request_duration_seconds_count{{{series}}} 3\n");
        assert!(text.contains(&count), "missing {count:?} in\n{text}");
        let requests = format!("subgraph_graphql_requests_total{{{series}}} 3\n");
        assert!(text.contains(&requests), "missing {requests:?} in\n{text}");
        let sum: f64 = text
            .lines()
            .find_map(|line| {
                line.strip_prefix(&format!(
                    "subgraph_graphql_request_duration_seconds_sum{{{series}}} "
                ))
            })
            .and_then(|sum| sum.parse().ok())
            .unwrap_or_else(|| panic!("no sum in\n{text}"));
        assert!((sum - 10.0203).abs() < 1e-9, "{sum}");
    }

    #[tokio::test]
    async fn errors_are_counted_per_code_and_the_pool_and_data_version_are_read_when_scraped() {
        let metrics = metrics();
        metrics.record(
            &query("A"),
            Duration::from_millis(1),
            &errors(&["VALIDATION", "NOT_FOUND"]),
            true,
        );
        metrics.record(
            &query("B"),
            Duration::from_millis(1),
            &errors(&["VALIDATION"]),
            true,
        );
        let text = metrics.render();
        for line in [
            "subgraph_graphql_errors_total{code=\"VALIDATION\"} 2\n",
            "subgraph_graphql_errors_total{code=\"NOT_FOUND\"} 1\n",
            "# TYPE subgraph_db_pool_idle_connections gauge\n",
            "subgraph_db_pool_max_connections 16\n",
            "subgraph_data_version_bumps_total 0\n",
            "subgraph_data_version_lease_waits_total 0\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }
}

//! Prometheus metrics in the text exposition format, kept in plain atomics: recording is a
//! relaxed increment on the request path, rendering reads the atomics when scraped. The
//! building blocks ([`Counter`], [`Histogram`], [`Family`], [`BoundedLabel`],
//! [`Exposition`]) serve any process of the hub; [`SubgraphMetrics`] is what every subgraph
//! serves on `GET /metrics`.
//!
//! Written by hand rather than with a metrics crate: the format is a few lines of text, and
//! the crates that produce it bring registries, global state and protobuf along.

use std::collections::{BTreeMap, HashSet};
use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use sqlx::PgPool;

use crate::rollup::VersionCounters;

/// The `Content-Type` of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histograms, in seconds: from a cached lookup (100 µs) to a
/// rollup over a whole city (seconds).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The label value that stands for every value beyond a [`BoundedLabel`]'s limit.
pub const OVERFLOW_LABEL: &str = "other";

/// A monotonic counter.
#[derive(Default, Debug)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A latency histogram over [`LATENCY_BUCKETS`].
#[derive(Default, Debug)]
pub struct Histogram {
    /// Observations per bucket, not cumulative (made cumulative when rendered).
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(index) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[index].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// How many observations there were.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The sum of all observations, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0
    }
}

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

/// The labels of one series, as (name, value) pairs.
pub type Labels = Vec<(&'static str, String)>;

/// One metric with labels: a series (`T`, a [`Counter`] or a [`Histogram`]) per combination
/// of label values. Bound the values with [`BoundedLabel`] before asking for a series.
#[derive(Debug)]
pub struct Family<T> {
    label_names: &'static [&'static str],
    series: RwLock<BTreeMap<Vec<String>, Arc<T>>>,
}

impl<T: Default> Family<T> {
    pub fn new(label_names: &'static [&'static str]) -> Self {
        Family {
            label_names,
            series: RwLock::new(BTreeMap::new()),
        }
    }

    /// The series of these label values (in the order of the label names), created empty
    /// the first time.
    pub fn series(&self, label_values: &[&str]) -> Arc<T> {
        let key: Vec<String> = label_values.iter().map(|value| value.to_string()).collect();
        if let Some(series) = self
            .series
            .read()
            .unwrap_or_else(|err| err.into_inner())
            .get(&key)
        {
            return series.clone();
        }
        self.series
            .write()
            .unwrap_or_else(|err| err.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    /// Every series with its labels, ordered by label values.
    pub fn snapshot(&self) -> Vec<(Labels, Arc<T>)> {
        self.series
            .read()
            .unwrap_or_else(|err| err.into_inner())
            .iter()
            .map(|(values, series)| {
                let labels = self
                    .label_names
                    .iter()
                    .copied()
                    .zip(values.iter().cloned())
                    .collect();
                (labels, series.clone())
            })
            .collect()
    }
}

/// The kind of a metric, for its `# TYPE` line.
#[derive(Clone, Copy, Debug)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

/// Writes the text exposition: a `# HELP` and `# TYPE` header per metric, then its samples.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    pub fn new() -> Self {
        Exposition {
            out: String::with_capacity(4096),
        }
    }

    /// The header of the metric `name`; its samples follow.
    pub fn header(&mut self, name: &str, help: &str, kind: MetricKind) {
        let kind = match kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        };
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample line.
    pub fn sample<L: AsRef<str>>(&mut self, name: &str, labels: &[(&str, L)], value: impl Display) {
        self.out.push_str(name);
        write_labels(&mut self.out, labels, None);
        let _ = writeln!(self.out, " {value}");
    }

    /// A counter or gauge without labels: its header and its one sample.
    pub fn single(&mut self, name: &str, help: &str, kind: MetricKind, value: impl Display) {
        self.header(name, help, kind);
        self.sample::<&str>(name, &[], value);
    }

    /// The samples of one histogram series: cumulative buckets, sum and count.
    pub fn histogram<L: AsRef<str>>(
        &mut self,
        name: &str,
        labels: &[(&str, L)],
        histogram: &Histogram,
    ) {
        let mut cumulative = 0u64;
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&histogram.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = write!(self.out, "{name}_bucket");
            write_labels(&mut self.out, labels, Some(&bound.to_string()));
            let _ = writeln!(self.out, " {cumulative}");
        }
        // Read after the buckets: observations racing with the scrape land in `+Inf` only,
        // which keeps the buckets cumulative.
        let count = histogram.count();
        let _ = write!(self.out, "{name}_bucket");
        write_labels(&mut self.out, labels, Some("+Inf"));
        let _ = writeln!(self.out, " {count}");
        let _ = write!(self.out, "{name}_sum");
        write_labels(&mut self.out, labels, None);
        let _ = writeln!(self.out, " {}", histogram.sum_seconds());
        let _ = write!(self.out, "{name}_count");
        write_labels(&mut self.out, labels, None);
        let _ = writeln!(self.out, " {count}");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn write_labels<L: AsRef<str>>(out: &mut String, labels: &[(&str, L)], le: Option<&str>) {
    if labels.is_empty() && le.is_none() {
        return;
    }
    out.push('{');
    let mut first = true;
    for (name, value) in labels
        .iter()
        .map(|(name, value)| (*name, value.as_ref()))
        .chain(le.map(|le| ("le", le)))
    {
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(out, "{name}=\"{}\"", escape_label_value(value));
    }
    out.push('}');
}

/// A label value escaped for the text format (backslash, double quote, line feed).
pub fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
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

/// What a subgraph serves on `GET /metrics`: GraphQL requests and their latency per
/// operation, errors by `extensions.code`, the database pool, and the data version that keeps rollup caches fresh.
pub struct SubgraphMetrics {
    operation_names: BoundedLabel,
    operations: Family<Histogram>,
    error_codes: BoundedLabel,
    errors: Family<Counter>,
    data_version: Option<Arc<VersionCounters>>,
}

impl SubgraphMetrics {
    /// Metrics of a subgraph; `data_version` adds the counters of its data version.
    pub fn new(data_version: Option<Arc<VersionCounters>>) -> Self {
        SubgraphMetrics {
            operation_names: BoundedLabel::new(MAX_OPERATION_NAMES, MAX_LABEL_LEN),
            operations: Family::new(&["operation", "type"]),
            error_codes: BoundedLabel::new(MAX_ERROR_CODES, MAX_LABEL_LEN),
            errors: Family::new(&["code"]),
            data_version,
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
        let name = self.operation_names.admit(&operation.name);
        self.operations
            .series(&[&name, operation.kind])
            .observe(elapsed);
        for error in &response.errors {
            let code = error_code(error, parsed);
            let code = self.error_codes.admit(&code);
            self.errors.series(&[&code]).inc();
        }
    }

    /// The text exposition, with the current state of `pool`.
    pub fn render(&self, pool: &PgPool) -> String {
        let mut out = Exposition::new();
        let operations = self.operations.snapshot();
        out.header(
            "subgraph_graphql_requests_total",
            "GraphQL requests executed, by operation name (capped, then \"other\") and type.",
            MetricKind::Counter,
        );
        for (labels, histogram) in &operations {
            out.sample("subgraph_graphql_requests_total", labels, histogram.count());
        }
        out.header(
            "subgraph_graphql_request_duration_seconds",
            "Time to execute a GraphQL request, by operation name and type.",
            MetricKind::Histogram,
        );
        for (labels, histogram) in &operations {
            out.histogram(
                "subgraph_graphql_request_duration_seconds",
                labels,
                histogram,
            );
        }
        out.header(
            "subgraph_graphql_errors_total",
            "GraphQL errors answered, by extensions.code (GRAPHQL_PARSE_FAILED and \
             GRAPHQL_VALIDATION_FAILED for refused documents, UNCODED for others without one).",
            MetricKind::Counter,
        );
        for (labels, counter) in self.errors.snapshot() {
            out.sample("subgraph_graphql_errors_total", &labels, counter.get());
        }
        out.single(
            "subgraph_db_pool_connections",
            "Open connections of the database pool, idle or in use.",
            MetricKind::Gauge,
            pool.size(),
        );
        out.single(
            "subgraph_db_pool_idle_connections",
            "Idle connections of the database pool.",
            MetricKind::Gauge,
            pool.num_idle(),
        );
        out.single(
            "subgraph_db_pool_max_connections",
            "The most connections the database pool opens.",
            MetricKind::Gauge,
            pool.options().get_max_connections(),
        );
        if let Some(version) = &self.data_version {
            let counters = [
                (
                    "subgraph_data_version_bumps_total",
                    "Data versions advanced after writes, tree changes and seeding.",
                    &version.bumps,
                ),
                (
                    "subgraph_data_version_mirror_failures_total",
                    "Mirrors of the data version to Redis that failed or timed out.",
                    &version.mirror_failures,
                ),
                (
                    "subgraph_data_version_lease_waits_total",
                    "Writes whose acknowledgement waited for the cache lease to expire \
                     because Redis could not be told.",
                    &version.lease_waits,
                ),
            ];
            for (name, help, counter) in counters {
                out.single(
                    name,
                    help,
                    MetricKind::Counter,
                    counter.load(Ordering::Relaxed),
                );
            }
        }
        out.finish()
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

    #[test]
    fn histograms_render_cumulative_buckets_with_their_labels() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(300));
        histogram.observe(Duration::from_millis(20));
        histogram.observe(Duration::from_secs(10));
        let mut out = Exposition::new();
        out.header("latency_seconds", "Latency.", MetricKind::Histogram);
        out.histogram(
            "latency_seconds",
            &[("operation", "Unit \"x\"")],
            &histogram,
        );
        let text = out.finish();
        assert!(text.contains("# TYPE latency_seconds histogram\n"));
        assert!(
            text.contains("latency_seconds_bucket{operation=\"Unit \\\"x\\\"\",le=\"0.0001\"} 0\n")
        );
        assert!(
            text.contains("latency_seconds_bucket{operation=\"Unit \\\"x\\\"\",le=\"0.0005\"} 1\n")
        );
        assert!(
            text.contains("latency_seconds_bucket{operation=\"Unit \\\"x\\\"\",le=\"0.025\"} 2\n")
        );
        assert!(text.contains("latency_seconds_bucket{operation=\"Unit \\\"x\\\"\",le=\"5\"} 2\n"));
        assert!(
            text.contains("latency_seconds_bucket{operation=\"Unit \\\"x\\\"\",le=\"+Inf\"} 3\n")
        );
        assert!(text.contains("latency_seconds_count{operation=\"Unit \\\"x\\\"\"} 3\n"));
        assert!(text.contains("latency_seconds_sum{operation=\"Unit \\\"x\\\"\"} 10.0203\n"));
    }

    #[test]
    fn families_list_their_series_in_label_order() {
        let family: Family<Counter> = Family::new(&["code"]);
        family.series(&["VALIDATION"]).inc();
        family.series(&["NOT_FOUND"]).add(2);
        family.series(&["VALIDATION"]).inc();
        let snapshot: Vec<(String, u64)> = family
            .snapshot()
            .into_iter()
            .map(|(labels, counter)| (labels[0].1.clone(), counter.get()))
            .collect();
        assert_eq!(
            snapshot,
            vec![("NOT_FOUND".to_string(), 2), ("VALIDATION".to_string(), 2)]
        );
    }
}

//! Logs and traces, set up once per process by [`init`].
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `RUST_LOG` | `info,sqlx=warn,opentelemetry=warn` | which log lines are written |
//! | `LOG_FORMAT` | `text` | `text` or `json`; a line written inside a trace carries its `trace_id` and `span_id` |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | unset | the collector (`http://host:4318` or `https://…`); traces go to `<endpoint>/v1/traces` over OTLP HTTP/protobuf. Unset: nothing is exported |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | unset | the full URL for traces, overriding the one above |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` | the only transport built in |
//! | `OTEL_EXPORTER_OTLP_CERTIFICATE` | unset | a PEM bundle of CA certificates trusted for an `https://` collector besides the system's roots |
//! | `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`, `OTEL_EXPORTER_OTLP_CLIENT_KEY` | unset | the client certificate and key (PEM) presented to the collector (mTLS) |
//! | `OTEL_SERVICE_NAME` | the executable's name (`kexie-organizations` …) | `service.name` of the exported spans |
//!
//! The exporter also honours the standard `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_BSP_*` and
//! `OTEL_RESOURCE_ATTRIBUTES`.
//!
//! What a trace holds: the subgraph's server span per GraphQL request (continuing the W3C
//! `traceparent` of the incoming request, named after the operation) and a span per SQL
//! statement beneath it.
//! Statement spans come from the events sqlx emits when a statement finishes (target
//! `sqlx::query`, with the SQL and its duration): one layer turns each into a client span
//! under the span that ran it, so no query function needs instrumenting. Statements of
//! DataLoader batches run in tasks of their own; they join the trace only when the loader
//! spawns with [`spawn_in_current_span`].
//!
//! Without an endpoint the spans are still made, unexported, so that trace IDs reach the log
//! lines and the next hop; statement spans are then skipped.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _};
use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry::trace::{
    Span as _, SpanKind, TraceContextExt as _, TraceId, Tracer as _, TracerProvider as _,
};
use opentelemetry::KeyValue;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing::field::{Field, Visit};
use tracing::{Event, Instrument as _, Subscriber};
use tracing_opentelemetry::{OpenTelemetrySpanExt as _, OtelData};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::{Format, Full, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;

/// The log filter when `RUST_LOG` is unset. The OpenTelemetry crates' own lifecycle notes
/// stay out unless they warn.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,opentelemetry=warn";
/// The instrumentation scope of every span the hub makes.
const TRACER_NAME: &str = "kexie";
/// Where sqlx reports each finished statement.
const STATEMENT_TARGET: &str = "sqlx::query";

/// How log lines look (`LOG_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// The telemetry settings of a process, read from the environment.
#[derive(Clone, Debug)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// `RUST_LOG`, validated.
    pub log_filter: String,
    /// Where spans are exported; `None` exports nothing.
    pub otlp_traces_endpoint: Option<String>,
    /// The TLS of an `https://` collector.
    pub otlp_tls: OtlpTls,
    pub service_name: String,
}

/// What an `https://` collector's connections trust and present.
#[derive(Clone, Debug, Default)]
pub struct OtlpTls {
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`: CA certificates besides the system's roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `OTEL_EXPORTER_OTLP_CLIENT_KEY` (mTLS).
    pub client_identity: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`: how long one export may take.
    pub timeout: Duration,
}

impl TelemetryConfig {
    /// Reads the settings; `default_service_name` stands when `OTEL_SERVICE_NAME` is unset.
    pub fn from_env(default_service_name: &str) -> anyhow::Result<Self> {
        Self::from_vars(
            |var| match std::env::var(var) {
                Ok(value) => Ok(Some(value)),
                Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => bail!("{var} is not valid UTF-8"),
            },
            default_service_name,
        )
    }

    /// Reads the settings through `lookup` (the environment, or a table in tests). Every
    /// malformed value is an error naming its variable; an empty value counts as unset.
    pub fn from_vars(
        lookup: impl Fn(&str) -> anyhow::Result<Option<String>>,
        default_service_name: &str,
    ) -> anyhow::Result<Self> {
        let var = |name: &str| -> anyhow::Result<Option<String>> {
            Ok(lookup(name)?
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty()))
        };
        let log_format = match var("LOG_FORMAT")?.map(|format| format.to_ascii_lowercase()) {
            None => LogFormat::Text,
            Some(format) if format == "text" => LogFormat::Text,
            Some(format) if format == "json" => LogFormat::Json,
            Some(other) => bail!("LOG_FORMAT must be text or json, got {other:?}"),
        };
        let log_filter = match var("RUST_LOG")? {
            None => DEFAULT_LOG_FILTER.to_string(),
            Some(filter) => {
                EnvFilter::builder()
                    .parse(&filter)
                    .with_context(|| format!("RUST_LOG is not a valid log filter: {filter:?}"))?;
                filter
            }
        };
        for protocol_var in [
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        ] {
            if let Some(protocol) = var(protocol_var)? {
                if protocol != "http/protobuf" {
                    bail!(
                        "{protocol_var} must be http/protobuf, the only OTLP transport built in, \
                         got {protocol:?}"
                    );
                }
            }
        }
        let timeout = match var("OTEL_EXPORTER_OTLP_TIMEOUT")? {
            Some(timeout) => Duration::from_millis(timeout.parse::<u64>().map_err(|_| {
                anyhow::anyhow!(
                    "OTEL_EXPORTER_OTLP_TIMEOUT must be a number of milliseconds, got {timeout:?}"
                )
            })?),
            None => Duration::from_secs(10),
        };
        let client_identity = match (
            var("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE")?,
            var("OTEL_EXPORTER_OTLP_CLIENT_KEY")?,
        ) {
            (Some(cert), Some(key)) => Some((cert.into(), key.into())),
            (None, None) => None,
            _ => bail!(
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go \
                 together: set both or neither"
            ),
        };
        let otlp_tls = OtlpTls {
            ca_file: var("OTEL_EXPORTER_OTLP_CERTIFICATE")?.map(Into::into),
            client_identity,
            timeout,
        };
        let base = var("OTEL_EXPORTER_OTLP_ENDPOINT")?
            .map(|endpoint| collector_url("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint))
            .transpose()?;
        let traces = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")?
            .map(|endpoint| {
                collector_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &endpoint).map(|_| endpoint)
            })
            .transpose()?;
        // The signal-specific URL is used as given; the base one gets the traces path
        // appended, as the OTLP specification says.
        let otlp_traces_endpoint = traces.or_else(|| {
            base.map(|base| format!("{}/v1/traces", base.as_str().trim_end_matches('/')))
        });
        let service_name = var("OTEL_SERVICE_NAME")?.unwrap_or_else(|| default_service_name.into());
        Ok(TelemetryConfig {
            log_format,
            log_filter,
            otlp_traces_endpoint,
            otlp_tls,
            service_name,
        })
    }

    /// The tracer provider: exporting in batches over OTLP when an endpoint is configured,
    /// exporting nothing otherwise.
    pub fn tracer_provider(&self) -> anyhow::Result<SdkTracerProvider> {
        let resource = Resource::builder()
            .with_service_name(self.service_name.clone())
            .build();
        let mut provider = SdkTracerProvider::builder().with_resource(resource);
        if let Some(endpoint) = &self.otlp_traces_endpoint {
            use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
            let mut exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .with_endpoint(endpoint.clone());
            if endpoint.starts_with("https://") {
                exporter = exporter.with_http_client(self.otlp_tls.client()?);
            }
            let exporter = exporter.build().with_context(|| {
                format!("Failed to set up the OTLP exporter to {endpoint} (OTEL_EXPORTER_OTLP_*)")
            })?;
            provider = provider.with_batch_exporter(exporter);
        }
        Ok(provider.build())
    }
}

impl OtlpTls {
    /// The exporter's HTTP client for an `https://` collector: the system's roots, the CA
    /// bundle and the client certificate configured, the export timeout. Built on a thread
    /// of its own: a blocking client may not be made (nor dropped) inside the runtime.
    fn client(&self) -> anyhow::Result<reqwest::blocking::Client> {
        let identity = self
            .client_identity
            .as_ref()
            .map(|(cert, key)| (cert.as_path(), key.as_path()));
        let tls = crate::tls::client_config(self.ca_file.as_deref().as_slice(), identity)
            .context("the TLS settings of the OTLP exporter (OTEL_EXPORTER_OTLP_CERTIFICATE …)")?;
        let timeout = self.timeout;
        std::thread::spawn(move || {
            reqwest::blocking::Client::builder()
                .use_preconfigured_tls(tls)
                .timeout(timeout)
                .build()
        })
        .join()
        .map_err(|_| anyhow::anyhow!("building the OTLP exporter's client panicked"))?
        .context("building the OTLP exporter's client")
    }
}

/// An OTLP collector URL, `http://` or `https://`.
fn collector_url(var: &str, raw: &str) -> anyhow::Result<reqwest::Url> {
    let url = reqwest::Url::parse(raw).map_err(|err| {
        anyhow::anyhow!("{var} must be a URL such as http://127.0.0.1:4318, got {raw:?}: {err}")
    })?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|host| !host.is_empty()) => Ok(url),
        "http" | "https" => bail!("{var} must name a host, got {raw:?}"),
        other => bail!("{var} must be an http:// or https:// URL, got scheme {other:?} in {raw:?}"),
    }
}

/// The tracer provider of the installed subscriber, kept to flush it.
static INSTALLED: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Sets up logs and traces for this process from the environment, naming the service after
/// the executable (`kexie-organizations`, …) unless `OTEL_SERVICE_NAME` says otherwise.
/// A malformed variable is an error naming it. A second call is a no-op, so tests and the
/// all-in-one process may call it freely.
pub fn init() -> anyhow::Result<()> {
    init_as(&executable_name())
}

/// [`init`] with another default service name, for a process whose executable name does
/// not say what it serves.
pub fn init_as(default_service_name: &str) -> anyhow::Result<()> {
    let config = TelemetryConfig::from_env(default_service_name)?;
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let provider = config.tracer_provider()?;
    let exporting = config.otlp_traces_endpoint.is_some();
    let logs = LogOutput {
        format: config.log_format,
        filter: EnvFilter::builder()
            .parse(&config.log_filter)
            .context("RUST_LOG is not a valid log filter")?,
        writer: std::io::stdout,
        ansi: config.log_format == LogFormat::Text
            && std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    match subscriber(logs, &provider, exporting).try_init() {
        Ok(()) => {
            // For other instrumentation that propagates through the global API; the hub's
            // own code uses the functions below.
            opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
            let _ = INSTALLED.set(provider);
            if let Some(endpoint) = &config.otlp_traces_endpoint {
                tracing::info!(endpoint, service = config.service_name, "exporting traces");
            }
        }
        // Another subscriber is installed already (tests, or a second subgraph in the same
        // process): the first one stays.
        Err(_) => {
            let _ = provider.shutdown();
        }
    }
    Ok(())
}

/// For tests: logs only when `TEST_LOG` is set.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = init();
    }
}

/// Exports the spans still buffered; call before the process ends. Blocks until the
/// collector answered or timed out.
pub fn flush() {
    if let Some(provider) = INSTALLED.get() {
        if let Err(err) = provider.force_flush() {
            tracing::warn!(error = %err, "failed to export the last spans");
        }
    }
}

/// The executable's file name (`kexie-organizations`), or `kexie`.
fn executable_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "kexie".to_string())
}

/// Where log lines go and how they look.
pub struct LogOutput<W> {
    pub format: LogFormat,
    pub filter: EnvFilter,
    pub writer: W,
    /// Colours, for a terminal.
    pub ansi: bool,
}

/// The subscriber [`init`] installs, for callers that install it themselves (tests use
/// `tracing::subscriber::set_default` with an in-memory exporter): log lines as `logs`
/// says, spans to `provider`, and statement spans when `statement_spans` (worth it only when
/// the provider exports).
pub fn subscriber<W>(
    logs: LogOutput<W>,
    provider: &SdkTracerProvider,
    statement_spans: bool,
) -> impl Subscriber + Send + Sync + for<'span> LookupSpan<'span>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let tracer = provider.tracer(TRACER_NAME);
    let (text, json) = match logs.format {
        LogFormat::Text => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(logs.ansi)
                    .with_writer(logs.writer)
                    .event_format(WithTraceId {
                        inner: Format::<Full>::default().with_ansi(logs.ansi),
                        json: false,
                    })
                    .with_filter(logs.filter),
            ),
            None,
        ),
        LogFormat::Json => (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(logs.writer)
                    .fmt_fields(JsonFields::new())
                    .event_format(WithTraceId {
                        inner: Format::default().json(),
                        json: true,
                    })
                    .with_filter(logs.filter),
            ),
        ),
    };
    // Spans at info and above whatever the log filter says, so that quieter logs do not
    // thin the traces; statement events are left to the statement layer.
    let span_filter = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target(STATEMENT_TARGET, LevelFilter::OFF);
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer.clone())
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        // Only the statement layer reads the current OpenTelemetry context: without it,
        // entering a span does not make the span's context current (a thread-local push
        // and pop at every poll of an instrumented future).
        .with_context_activation(statement_spans)
        .with_filter(span_filter);
    let statements = statement_spans.then(|| {
        StatementSpans { tracer }
            .with_filter(Targets::new().with_target(STATEMENT_TARGET, LevelFilter::TRACE))
    });
    tracing_subscriber::registry()
        .with(text)
        .with(json)
        .with(spans)
        .with(statements)
}

/// Adds the trace and span IDs of the innermost traced span to a log line: first in a JSON
/// object, last in a text line.
struct WithTraceId<F> {
    inner: F,
    json: bool,
}

impl<S, N, F> FormatEvent<S, N> for WithTraceId<F>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    N: for<'writer> FormatFields<'writer> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some((trace_id, span_id)) = ctx.event_scope().and_then(|scope| {
            scope.into_iter().find_map(|span| {
                let extensions = span.extensions();
                let data = extensions.get::<OtelData>()?;
                let trace_id = data.trace_id().filter(|id| *id != TraceId::INVALID)?;
                Some((trace_id, data.span_id()?))
            })
        }) else {
            return self.inner.format_event(ctx, writer, event);
        };
        let mut line = String::with_capacity(256);
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        if self.json {
            match line.strip_prefix('{') {
                Some(rest) => {
                    let separator = if rest.starts_with('}') { "" } else { "," };
                    write!(
                        writer,
                        "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"{separator}{rest}"
                    )
                }
                None => writer.write_str(&line),
            }
        } else {
            let body = line.strip_suffix('\n').unwrap_or(&line);
            writeln!(writer, "{body} trace_id={trace_id} span_id={span_id}")
        }
    }
}

/// Turns each statement sqlx reports into a client span under the span that ran it,
/// back-dated by the statement's duration.
struct StatementSpans {
    tracer: SdkTracer,
}

impl<S: Subscriber> Layer<S> for StatementSpans {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        // The context of the innermost entered span, which the span layer activates on
        // entry; statements outside any trace (migrations, background tasks) are left out.
        let parent = opentelemetry::Context::current();
        if !parent.span().span_context().is_valid() {
            return;
        }
        let mut statement = StatementFields::default();
        event.record(&mut statement);
        let sql = if statement.sql.trim().is_empty() {
            statement.summary.trim()
        } else {
            statement.sql.trim()
        };
        let end = SystemTime::now();
        let start = end.checked_sub(statement.elapsed).unwrap_or(end);
        let mut attributes = vec![
            KeyValue::new("db.system.name", "postgresql"),
            KeyValue::new("db.query.text", sql.to_string()),
            KeyValue::new(
                "db.response.returned_rows",
                i64::try_from(statement.rows_returned).unwrap_or(i64::MAX),
            ),
            KeyValue::new(
                "kexie.db.rows_affected",
                i64::try_from(statement.rows_affected).unwrap_or(i64::MAX),
            ),
        ];
        if statement.slow {
            attributes.push(KeyValue::new("kexie.db.slow", true));
        }
        let mut span = self
            .tracer
            .span_builder(statement_name(sql))
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent);
        span.end_with_timestamp(end);
    }
}

/// The fields of sqlx's statement event.
#[derive(Default)]
struct StatementFields {
    summary: String,
    sql: String,
    rows_returned: u64,
    rows_affected: u64,
    elapsed: Duration,
    slow: bool,
}

impl Visit for StatementFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.sql = value.to_string(),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "rows_returned" => self.rows_returned = value,
            "rows_affected" => self.rows_affected = value,
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" && value.is_finite() && value >= 0.0 {
            self.elapsed = Duration::from_secs_f64(value);
        }
    }

    fn record_debug(&mut self, field: &Field, _value: &dyn fmt::Debug) {
        // Only the slow-statement event has a message.
        if field.name() == "message" {
            self.slow = true;
        }
    }
}

/// A span name for a statement, `SELECT units` style: the verb and the first table it
/// names, found without parsing SQL (a name, not an analysis).
fn statement_name(sql: &str) -> String {
    let mut words = sql.split_whitespace();
    let Some(verb) = words.next() else {
        return "SQL".to_string();
    };
    let verb = verb.to_ascii_uppercase();
    let marker = match verb.as_str() {
        "SELECT" | "DELETE" => Some("from"),
        "INSERT" => Some("into"),
        "UPDATE" => None,
        _ => return verb,
    };
    let table = match marker {
        Some(marker) => words
            .skip_while(|word| !word.eq_ignore_ascii_case(marker))
            .nth(1),
        None => words.next(),
    };
    let table = table.map(|table| {
        table
            .split(['(', ',', ';', ')'])
            .next()
            .unwrap_or_default()
            .trim_matches('"')
    });
    match table {
        Some(table) if !table.is_empty() && !table.starts_with('$') => format!("{verb} {table}"),
        _ => verb,
    }
}

/// Makes `span` continue the trace whose W3C context (`traceparent`, `tracestate`) the
/// request `headers` carry; without one, `span` starts a new trace. Call before the span is
/// first entered.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        // Fails only when no span layer is installed (tests without telemetry); the span
        // then simply is not traced.
        let _ = span.set_parent(parent);
    }
}

/// Writes the W3C trace context of the current span into outgoing request `headers`
/// (`traceparent`, and `tracestate` when there is one), so the next hop continues this
/// trace. Outside a trace it writes nothing.
pub fn inject_trace_context(headers: &mut HeaderMap) {
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}

/// The trace ID of the current span (32 hex digits), when inside a trace.
pub fn current_trace_id() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// `tokio::spawn` for work a request hands off (a DataLoader batch): the task runs inside
/// the current span, so its statements join the request's trace. Pass it where
/// `tokio::spawn` would go: `DataLoader::new(loader, spawn_in_current_span)`.
pub fn spawn_in_current_span<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.in_current_span())
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<TelemetryConfig> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        TelemetryConfig::from_vars(
            |name| {
                Ok(vars
                    .iter()
                    .find(|(var, _)| var == name)
                    .map(|(_, value)| value.clone()))
            },
            "kexie-organizations",
        )
    }

    fn error(vars: &[(&str, &str)]) -> String {
        format!("{:#}", config(vars).expect_err("a configuration error"))
    }

    #[test]
    fn defaults_log_text_and_export_nothing() {
        let config = config(&[]).unwrap();
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.log_filter, DEFAULT_LOG_FILTER);
        assert_eq!(config.otlp_traces_endpoint, None);
        assert_eq!(config.service_name, "kexie-organizations");
    }

    #[test]
    fn the_endpoint_gets_the_traces_path_and_the_service_its_name() {
        let config = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_SERVICE_NAME", "kexie-talent-eu"),
            ("LOG_FORMAT", "JSON"),
        ])
        .unwrap();
        assert_eq!(
            config.otlp_traces_endpoint.as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        assert_eq!(config.service_name, "kexie-talent-eu");
        assert_eq!(config.log_format, LogFormat::Json);
        let behind_a_path =
            super::tests::config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://gateway:8080/otlp/")])
                .unwrap();
        assert_eq!(
            behind_a_path.otlp_traces_endpoint.as_deref(),
            Some("http://gateway:8080/otlp/v1/traces")
        );
        let specific = super::tests::config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://traces:4318/custom",
            ),
        ])
        .unwrap();
        assert_eq!(
            specific.otlp_traces_endpoint.as_deref(),
            Some("http://traces:4318/custom")
        );
    }

    #[test]
    fn an_https_collector_is_exported_to_with_the_tls_settings_given() {
        let https = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/kexie/ca.pem"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ])
        .unwrap();
        assert_eq!(
            https.otlp_traces_endpoint.as_deref(),
            Some("https://collector:4318/v1/traces")
        );
        assert_eq!(
            https.otlp_tls.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/kexie/ca.pem"))
        );
        assert_eq!(https.otlp_tls.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn misconfigured_values_are_refused_by_name() {
        assert!(error(&[("LOG_FORMAT", "xml")]).contains("LOG_FORMAT"));
        assert!(error(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")])
            .contains("OTEL_EXPORTER_OTLP_ENDPOINT"));
        assert!(error(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url")])
            .contains("OTEL_EXPORTER_OTLP_ENDPOINT"));
        assert!(
            error(&[("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/etc/client.pem")])
                .contains("OTEL_EXPORTER_OTLP_CLIENT_KEY")
        );
        assert!(error(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x")])
            .contains("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        assert!(error(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])
            .contains("OTEL_EXPORTER_OTLP_PROTOCOL"));
        assert!(
            error(&[("OTEL_EXPORTER_OTLP_TIMEOUT", "10s")]).contains("OTEL_EXPORTER_OTLP_TIMEOUT")
        );
        assert!(error(&[("RUST_LOG", "info,sqlx=loud")]).contains("RUST_LOG"));
    }

    #[test]
    fn statements_are_named_by_verb_and_table() {
        assert_eq!(
            statement_name("select unit_id, name from units where unit_id = any($1)"),
            "SELECT units"
        );
        assert_eq!(
            statement_name("insert into workers (worker_id, name) select * from unnest($1)"),
            "INSERT workers"
        );
        assert_eq!(
            statement_name("update nominations set status = $2 where nomination_id = $1"),
            "UPDATE nominations"
        );
        assert_eq!(
            statement_name("SELECT count(*) FROM unnest($1::uuid[]) AS u(id)"),
            "SELECT unnest"
        );
        assert_eq!(statement_name("select nextval('data_version')"), "SELECT");
        assert_eq!(
            statement_name("with recursive t as (select 1) select * from t"),
            "WITH"
        );
        assert_eq!(statement_name(""), "SQL");
    }

    #[test]
    fn trace_context_goes_out_as_it_came_in() {
        let mut incoming = HeaderMap::new();
        incoming.insert(
            "traceparent",
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(&incoming));
        let mut outgoing = HeaderMap::new();
        TraceContextPropagator::new().inject_context(&parent, &mut HeaderInjector(&mut outgoing));
        assert_eq!(outgoing.get("traceparent"), incoming.get("traceparent"));
        // Outside any span nothing is injected.
        let mut untouched = HeaderMap::new();
        inject_trace_context(&mut untouched);
        assert!(untouched.is_empty());
    }
}

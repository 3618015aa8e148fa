//! What every subgraph's HTTP surface reports about itself: Prometheus metrics per
//! operation, traces that continue the caller's W3C trace context down to SQL statements,
//! and log lines that carry the trace they belong to.

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_graphql::{Context, EmptyMutation, EmptySubscription, Object, Schema};
use axum::http::{HeaderMap, HeaderValue};
use opentelemetry::trace::{SpanKind, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::{json, Value};
use sqlx::PgPool;
use tracing_subscriber::EnvFilter;

use kexie_contract::telemetry::{self, LogFormat, LogOutput};
use kexie_subgraph_kit::rollup::DataVersion;
use kexie_subgraph_kit::server::{ServerHandle, SubgraphApp, SubgraphRouter};
use kexie_subgraph_kit::{ApiError, ApiResult};
use kexie_testkit::{redis_url, TestDb};

const CALLER_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct Query;

#[Object]
impl Query {
    /// Runs one SQL statement and logs a line while doing it.
    async fn probe(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let pool = ctx
            .data_opt::<PgPool>()
            .ok_or_else(|| ApiError::internal("no pool"))?;
        tracing::info!("probing the catalog");
        let tables: i64 = sqlx::query_scalar("select count(*) from pg_class where relname = $1")
            .bind("pg_class")
            .fetch_one(pool)
            .await?;
        Ok(tables)
    }

    /// Always fails with a client error.
    async fn missing(&self) -> ApiResult<i64> {
        Err(ApiError::not_found(
            "Unit",
            "0196a3c2-0000-7000-8000-000000000000",
        ))
    }
}

type ProbeSchema = Schema<Query, EmptyMutation, EmptySubscription>;

struct Subgraph {
    server: ServerHandle,
    http: reqwest::Client,
    version: DataVersion,
    _db: TestDb,
}

impl Subgraph {
    async fn start() -> Subgraph {
        let db = TestDb::new().await;
        let pool = kexie_subgraph_kit::db::connect(&db.url, "probe")
            .await
            .expect("the test database");
        let schema: ProbeSchema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .data(pool.clone())
            .finish();
        sqlx::query("create sequence data_version")
            .execute(&pool)
            .await
            .unwrap();
        let namespace = format!("kexie-test-{}", uuid::Uuid::now_v7());
        let version = DataVersion::new(pool.clone(), &redis_url(), &namespace, "probe");
        let router = SubgraphRouter::new(schema, pool, kexie_testkit::principal_secret())
            .subgraph("probe")
            .data_version(version.clone())
            .build();
        let app = SubgraphApp::bind("127.0.0.1:0".parse().unwrap(), router, Vec::new())
            .await
            .unwrap();
        Subgraph {
            server: app.spawn(),
            http: reqwest::Client::new(),
            version,
            _db: db,
        }
    }

    async fn post(&self, body: Value, traceparent: Option<&str>) -> Value {
        let principal = kexie_contract::principal::Principal::issue(
            "probe",
            Some(uuid::Uuid::nil()),
            kexie_contract::principal::Role::CityAdmin,
        );
        let signed =
            kexie_contract::principal::sign(&principal, &kexie_testkit::principal_secret())
                .unwrap();
        let mut request = self
            .http
            .post(self.server.graphql_url())
            .header(kexie_contract::principal::PRINCIPAL_HEADER, signed)
            .json(&body);
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    async fn metrics(&self) -> String {
        let response = self
            .http
            .get(format!("http://127.0.0.1:{}/metrics", self.server.port))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            kexie_subgraph_kit::metrics::CONTENT_TYPE
        );
        response.text().await.unwrap()
    }
}

/// Log lines written into memory.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A subscriber like the one `telemetry::init` installs, logging into `lines` and
/// exporting spans into memory, for the current thread only.
fn traced(
    format: LogFormat,
    lines: &Lines,
) -> (
    InMemorySpanExporter,
    SdkTracerProvider,
    tracing::subscriber::DefaultGuard,
) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let writer = lines.clone();
    let subscriber = telemetry::subscriber(
        LogOutput {
            format,
            filter: EnvFilter::new("info"),
            writer: move || writer.clone(),
            ansi: false,
        },
        &provider,
        true,
    );
    let guard = tracing::subscriber::set_default(subscriber);
    (exporter, provider, guard)
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|attribute| attribute.key.as_str() == key)
        .map(|attribute| attribute.value.to_string())
}

fn span_named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
            panic!("no span named {name:?} among {names:?}")
        })
}

#[tokio::test]
async fn metrics_count_each_request_under_its_operation_name() {
    let subgraph = Subgraph::start().await;
    let probed = subgraph
        .post(json!({ "query": "query Probe { probe }" }), None)
        .await;
    assert_eq!(probed["data"]["probe"], 1, "{probed:#}");
    let lost = subgraph
        .post(json!({ "query": "query Lost { missing }" }), None)
        .await;
    assert_eq!(lost["errors"][0]["extensions"]["code"], "NOT_FOUND");
    subgraph.post(json!({ "query": "{ probe" }), None).await;
    subgraph
        .post(json!({ "query": "{ nothingHere }" }), None)
        .await;
    subgraph
        .post(
            json!({ "query": "query A { probe } query B { probe }", "operationName": "B" }),
            None,
        )
        .await;
    subgraph.version.bump().await.unwrap();
    subgraph.version.bump().await.unwrap();

    let text = subgraph.metrics().await;
    for line in [
        "subgraph_graphql_requests_total{operation=\"Probe\",type=\"query\"} 1\n",
        "subgraph_graphql_request_duration_seconds_count{operation=\"Probe\",type=\"query\"} 1\n",
        "subgraph_graphql_request_duration_seconds_bucket{le=\"+Inf\",operation=\"Probe\",type=\"query\"} 1\n",
        "subgraph_graphql_requests_total{operation=\"Lost\",type=\"query\"} 1\n",
        "subgraph_graphql_requests_total{operation=\"B\",type=\"query\"} 1\n",
        "subgraph_graphql_requests_total{operation=\"anonymous\",type=\"query\"} 1\n",
        "subgraph_graphql_requests_total{operation=\"invalid\",type=\"invalid\"} 1\n",
        "subgraph_graphql_errors_total{code=\"NOT_FOUND\"} 1\n",
        "subgraph_graphql_errors_total{code=\"GRAPHQL_PARSE_FAILED\"} 1\n",
        "subgraph_graphql_errors_total{code=\"GRAPHQL_VALIDATION_FAILED\"} 1\n",
        "subgraph_db_pool_max_connections 16\n",
        "subgraph_data_version_bumps_total 2\n",
        "subgraph_data_version_mirror_failures_total 0\n",
        "subgraph_data_version_lease_waits_total 0\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("# TYPE subgraph_db_pool_idle_connections gauge\n"));
    assert!(text.contains("# TYPE subgraph_graphql_request_duration_seconds histogram\n"));
    subgraph.server.stop().await;
}

#[tokio::test]
async fn invented_operation_names_beyond_the_cap_are_counted_as_other() {
    let subgraph = Subgraph::start().await;
    let names = kexie_subgraph_kit::metrics::MAX_OPERATION_NAMES + 5;
    for index in 0..names {
        let body = json!({ "query": format!("query Invented{index} {{ __typename }}") });
        subgraph.post(body, None).await;
    }
    let text = subgraph.metrics().await;
    let series = text
        .lines()
        .filter(|line| line.starts_with("subgraph_graphql_requests_total{"))
        .count();
    assert_eq!(
        series,
        kexie_subgraph_kit::metrics::MAX_OPERATION_NAMES + 1,
        "{text}"
    );
    assert!(
        text.contains("subgraph_graphql_requests_total{operation=\"other\",type=\"query\"} 5\n"),
        "{text}"
    );
    subgraph.server.stop().await;
}

#[tokio::test]
async fn a_request_with_a_traceparent_is_traced_in_the_callers_trace_down_to_sql() {
    let lines = Lines::default();
    let (exporter, provider, _guard) = traced(LogFormat::Json, &lines);
    let subgraph = Subgraph::start().await;

    let probed = subgraph
        .post(
            json!({ "query": "query Probe { probe }" }),
            Some(TRACEPARENT),
        )
        .await;
    assert_eq!(probed["data"]["probe"], 1, "{probed:#}");
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();

    let caller = TraceId::from_hex(CALLER_TRACE_ID).unwrap();
    let request = span_named(&spans, "query Probe");
    assert_eq!(request.span_context.trace_id(), caller);
    assert_eq!(request.parent_span_id.to_string(), CALLER_SPAN_ID);
    assert!(request.parent_span_is_remote);
    assert_eq!(request.span_kind, SpanKind::Server);
    assert_eq!(
        attribute(request, "graphql.operation.name").as_deref(),
        Some("Probe")
    );
    assert_eq!(
        attribute(request, "graphql.operation.type").as_deref(),
        Some("query")
    );
    assert_eq!(
        attribute(request, "kexie.subgraph").as_deref(),
        Some("probe")
    );

    let statement = span_named(&spans, "SELECT pg_class");
    assert_eq!(statement.span_context.trace_id(), caller);
    assert_eq!(statement.parent_span_id, request.span_context.span_id());
    assert_eq!(statement.span_kind, SpanKind::Client);
    assert_eq!(
        attribute(statement, "db.query.text").as_deref(),
        Some("select count(*) from pg_class where relname = $1")
    );
    assert!(statement.start_time <= statement.end_time);

    // The resolver's log line carries the caller's trace.
    let logged = lines.text();
    let probing: Value = logged
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("every log line is JSON"))
        .find(|line| line["fields"]["message"] == "probing the catalog")
        .unwrap_or_else(|| panic!("no log line of the resolver in\n{logged}"));
    assert_eq!(probing["trace_id"], CALLER_TRACE_ID);
    assert_eq!(
        probing["span_id"],
        request.span_context.span_id().to_string()
    );
    assert_eq!(probing["level"], "INFO");

    // Without a traceparent a request starts a trace of its own.
    exporter.reset();
    subgraph
        .post(json!({ "query": "query Probe { probe }" }), None)
        .await;
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let request = span_named(&spans, "query Probe");
    assert_ne!(request.span_context.trace_id(), caller);
    assert!(request.span_context.is_valid());
    assert_eq!(
        request.parent_span_id,
        opentelemetry::trace::SpanId::INVALID
    );
    subgraph.server.stop().await;
}

#[tokio::test]
async fn errors_mark_the_request_span_and_json_logs_stay_json() {
    let lines = Lines::default();
    let (exporter, provider, _guard) = traced(LogFormat::Json, &lines);
    let subgraph = Subgraph::start().await;
    subgraph
        .post(
            json!({ "query": "query Lost { missing }" }),
            Some(TRACEPARENT),
        )
        .await;
    tracing::warn!(detail = "quote \" and newline \n", "outside any request");
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let request = span_named(&spans, "query Lost");
    assert_eq!(request.status, opentelemetry::trace::Status::error(""));
    assert_eq!(attribute(request, "graphql.errors").as_deref(), Some("1"));

    let logged = lines.text();
    let parsed: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect();
    let outside = parsed
        .iter()
        .find(|line| line["fields"]["message"] == "outside any request")
        .unwrap_or_else(|| panic!("no line outside a request in\n{logged}"));
    assert!(outside.get("trace_id").is_none(), "{outside}");
    assert_eq!(outside["fields"]["detail"], "quote \" and newline \n");
    subgraph.server.stop().await;
}

#[tokio::test]
async fn text_lines_inside_a_trace_end_with_its_ids_and_the_context_goes_on() {
    let lines = Lines::default();
    let (_exporter, _provider, _guard) = traced(LogFormat::Text, &lines);
    let mut incoming = HeaderMap::new();
    incoming.insert("traceparent", HeaderValue::from_static(TRACEPARENT));
    let span = tracing::info_span!("forwarding");
    telemetry::continue_trace(&span, &incoming);
    let mut outgoing = HeaderMap::new();
    span.in_scope(|| {
        tracing::info!("inside the caller's trace");
        assert_eq!(
            telemetry::current_trace_id().as_deref(),
            Some(CALLER_TRACE_ID)
        );
        telemetry::inject_trace_context(&mut outgoing);
    });
    tracing::info!("outside any trace");

    let traceparent = outgoing["traceparent"].to_str().unwrap();
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts[1], CALLER_TRACE_ID, "{traceparent}");
    // The next hop's parent is this span, not the caller's.
    assert_ne!(parts[2], CALLER_SPAN_ID, "{traceparent}");

    let logged = lines.text();
    let inside = logged
        .lines()
        .find(|line| line.contains("inside the caller's trace"))
        .unwrap_or_else(|| panic!("no line inside the trace in\n{logged}"));
    assert!(
        inside.ends_with(&format!("trace_id={CALLER_TRACE_ID} span_id={}", parts[2])),
        "{inside}"
    );
    let outside = logged
        .lines()
        .find(|line| line.contains("outside any trace"))
        .unwrap_or_else(|| panic!("no line outside the trace in\n{logged}"));
    assert!(!outside.contains("trace_id="), "{outside}");
}

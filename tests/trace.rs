//! One trace per request, from the gateway down through every subgraph it asks.

mod common;

use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::{json, Value};
use tracing_subscriber::EnvFilter;

use common::gateway_config_for_tests;
use kexie::subgraphs::Subgraph;
use kexie_contract::telemetry::{self, LogFormat, LogOutput};
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_testkit::{redis_url, TestDb};

const CALLER_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|span| span.name == name).collect()
}

// One thread: the in-memory subscriber is installed for this thread only, and the
// gateway and the subgraph run as tasks on it.
#[tokio::test(flavor = "current_thread")]
async fn the_callers_trace_id_spans_the_gateway_and_the_subgraph_it_asks() {
    one_trace_per_request(false).await;
}

// With client queries shared, the execution runs in a task of its own: still in the trace
// of the request that started it.
#[tokio::test(flavor = "current_thread")]
async fn a_shared_execution_stays_in_the_trace_of_the_request_that_started_it() {
    one_trace_per_request(true).await;
}

async fn one_trace_per_request(dedup_client_queries: bool) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = telemetry::subscriber(
        LogOutput {
            format: LogFormat::Text,
            filter: EnvFilter::new("warn"),
            writer: std::io::sink,
            ansi: false,
        },
        &provider,
        true,
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDb::new().await;
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let organizations = Subgraph::Organizations
        .build(&config)
        .await
        .unwrap()
        .spawn();
    let servers = vec![(Subgraph::Organizations, organizations)];
    let mut gateway_config = gateway_config_for_tests(&servers);
    gateway_config.dedup_client_queries = dedup_client_queries;
    let gateway = kexie_gateway::build(gateway_config)
        .await
        .expect("the gateway starts")
        .spawn();

    let body: Value = reqwest::Client::new()
        .post(gateway.graphql_url())
        .header("traceparent", TRACEPARENT)
        .json(&json!({ "query": "{ city { name } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({ "data": { "city": null } }));

    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let gateway_request = named(&spans, "POST /graphql");
    let fetches = named(&spans, "POST subgraph");
    assert_eq!(
        gateway_request.len(),
        1,
        "{:?}",
        spans.iter().map(|span| &span.name).collect::<Vec<_>>()
    );
    assert_eq!(fetches.len(), 1);
    let subgraph_request = spans
        .iter()
        .find(|span| span.parent_span_id == fetches[0].span_context.span_id())
        .expect("the subgraph's request span is a child of the gateway's fetch");
    for span in [gateway_request[0], fetches[0], subgraph_request] {
        assert_eq!(
            span.span_context.trace_id().to_string(),
            CALLER_TRACE_ID,
            "{}",
            span.name
        );
    }
    assert_eq!(
        fetches[0].parent_span_id,
        gateway_request[0].span_context.span_id()
    );
    // The subgraph's SQL is in the same trace too.
    assert!(spans.iter().any(|span| span.name.starts_with("SELECT")
        && span.span_context.trace_id().to_string() == CALLER_TRACE_ID));
}

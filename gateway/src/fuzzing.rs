//! The entry point of the fuzz target (`gateway/fuzz/`), also driven with random inputs by
//! the normal test suite: the whole request path without sockets.
//!
//! An input is split at the first `0xFF` byte: before it, a POST body (or, when the first
//! byte is `?`, a GET query string); after it, the body every subgraph answers with. The
//! request runs through parsing, validation, planning, variable coercion, execution with
//! that canned answer, merging and projection. Whatever the input, it must not panic.

use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;

use crate::forwarded::ForwardedHeaders;
use crate::http::trusted_documents::{Document, TrustedDocuments};
use crate::metrics::Metrics;
use crate::pipeline::execute::transport::Transport;
use crate::pipeline::limits::OperationLimits;
use crate::pipeline::supergraph::Supergraph;
use crate::pipeline::{Answer, Pipeline, PipelineSettings};

/// The supergraph the fuzz target runs against: entities across subgraphs, an interface,
/// a union, `@requires`, nested lists and non-null fields.
pub const FUZZ_SUPERGRAPH: &str = include_str!("../tests/fixtures/hub.graphql");

struct Harness {
    runtime: tokio::runtime::Runtime,
    pipeline: Arc<Pipeline>,
    answer: Arc<Mutex<Bytes>>,
    trusted_documents: TrustedDocuments,
}

fn harness() -> Option<&'static Harness> {
    static HARNESS: OnceLock<Option<Harness>> = OnceLock::new();
    HARNESS
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            let metrics = Arc::new(Metrics::default());
            let supergraph =
                Supergraph::load(FUZZ_SUPERGRAPH, &Default::default(), 256, &metrics).ok()?;
            let answer = Arc::new(Mutex::new(Bytes::new()));
            let responder_answer = answer.clone();
            let transport = Transport::from_responder(
                Arc::new(move |_subgraph: &str, _body: &[u8]| {
                    Ok(responder_answer
                        .lock()
                        .unwrap_or_else(|err| err.into_inner())
                        .clone())
                }),
                metrics.clone(),
            );
            let pipeline = Arc::new(Pipeline::new(
                supergraph,
                transport,
                metrics,
                PipelineSettings {
                    introspection: true,
                    limits: OperationLimits::default(),
                    dedup_client_queries: false,
                    request_timeout: std::time::Duration::from_secs(30),
                },
                None,
                None,
            ));
            Some(Harness {
                runtime,
                pipeline,
                answer,
                trusted_documents: TrustedDocuments::default(),
            })
        })
        .as_ref()
}

/// Runs one fuzz input; returns the response body when the operation ran.
pub fn run(input: &[u8]) -> Option<Vec<u8>> {
    let harness = harness()?;
    let split = input.iter().position(|byte| *byte == 0xFF);
    let (request, answer) = match split {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &b"{\"data\":null}"[..]),
    };
    *harness.answer.lock().unwrap_or_else(|err| err.into_inner()) = Bytes::copy_from_slice(answer);
    let (parsed, over_get) = match request.first() {
        Some(b'?') => {
            let query = String::from_utf8_lossy(&request[1..]);
            let uri: axum::http::Uri = format!("/graphql?{query}").parse().ok()?;
            (
                crate::http::request::parse_get_parameters(&uri, &harness.trusted_documents),
                true,
            )
        }
        _ => (
            crate::http::request::parse_post_body(request, &harness.trusted_documents),
            false,
        ),
    };
    // Persisted queries are looked up by the HTTP layer; a hash alone runs nothing here.
    let (document, with_query) = parsed.ok()?.split();
    let request = match document {
        Document::Text(query) | Document::Register { query, .. } => with_query(query),
        Document::Lookup(_) => return None,
    };
    let outcome = harness.runtime.block_on(harness.pipeline.execute(
        request,
        ForwardedHeaders::default(),
        over_get,
    ));
    match outcome.answer {
        Answer::Executed { body, .. } => Some(body.to_vec()),
        _ => None,
    }
}

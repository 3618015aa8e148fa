//! The HTTP surface: `POST /graphql`, `GET /graphql` (GraphiQL for a browser, its files
//! under `/graphiql/assets/`; queries for other clients), `GET /health` and `GET /ready`,
//! the leadership cockpit under `/cockpit` ([`cockpit`]); and, on a listener of its own,
//! `GET /metrics`. Every page's files come from the binary ([`assets`]): no CDN.
//!
//! Status codes follow GraphQL over HTTP: a request that is not well-formed (bad JSON, no
//! `query`, wrong parameter types) is a 400 whatever the client accepts; a body over the
//! limit is a 413, a POST that is not `application/json` a 415, an `Accept` the gateway
//! cannot satisfy a 406, a mutation over GET a 405. A well-formed request that fails before
//! execution (syntax, validation, unknown operation, variables) is answered with 200 as
//! `application/json` and with 400 as `application/graphql-response+json`; once execution
//! starts the answer is 200, errors and partial data in the body.
//!
//! Before a request reaches the pipeline: CSRF prevention (a request a browser could send
//! from another site without a CORS preflight is refused, 400 `CSRF_REFUSED`),
//! authentication (a bad token is a 401 `UNAUTHENTICATED` with `WWW-Authenticate`), and
//! trusted documents (a persisted-query hash resolved, an untrusted document refused when
//! only trusted ones may run). Every request then carries one principal, signed here once
//! for all its subgraph fetches. A partner's call (`x-api-key`) is checked, rate limited
//! and logged as [`crate::identity::api_keys`] describes: 401 for an unknown or revoked key, 429 with
//! `Retry-After` past the key's limit.

mod assets;
pub mod cockpit;
pub mod cors;
pub(crate) mod csrf;
mod graphiql;
pub(crate) mod persisted_queries;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod server;
pub mod trusted_documents;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{ACCEPT, ACCEPT_LANGUAGE, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Limited};

use kexie_contract::language::Language;
use kexie_contract::principal;

use crate::error::{Code, GraphqlError, RequestFailure};
use crate::forwarded::{ForwardedHeaders, SignedPrincipal};
use crate::identity::api_keys::PartnerKeys;
use crate::identity::principal::{Identity, PrincipalTokens};
use crate::identity::staff::Authenticator;
use crate::identity::Caller;
use crate::metrics::CallOutcome;
use crate::pipeline::{Answer, Pipeline};
use csrf::{csrf_refused, preflighted};
use persisted_queries::PersistedQueries;
use request::{
    content_type, negotiate, parse_get_parameters, parse_post_body, Media, ParsedRequest,
};
use response::{answer, errors_body, not_acceptable, payload_too_large, refusal, refused};
use trusted_documents::{Document, TrustedDocuments};

pub(crate) struct HttpState {
    pub pipeline: Arc<Pipeline>,
    pub forward_headers: Arc<Vec<HeaderName>>,
    pub max_body_bytes: usize,
    /// How long a body may take to arrive once the headers have.
    pub body_read_timeout: std::time::Duration,
    pub authenticator: Arc<Authenticator>,
    pub principal_tokens: Arc<PrincipalTokens>,
    pub trusted_documents: Arc<TrustedDocuments>,
    /// Automatic persisted queries; `None`: turned off.
    pub persisted_queries: Option<Arc<PersistedQueries>>,
    pub partner_keys: Arc<PartnerKeys>,
}

pub(crate) fn router(state: HttpState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        // Shared, not cloned for each request.
        .with_state(Arc::new(state))
        .merge(graphiql::router())
        .layer(axum::middleware::from_fn(in_preferred_language))
}

/// Answers a request in the language its `Accept-Language` prefers: the gateway's own
/// errors ([`GraphqlError::new`]) and, through the `accept-language` the subgraphs are sent,
/// theirs.
async fn in_preferred_language(request: Request<Body>, next: axum::middleware::Next) -> Response {
    let language = Language::preferred(
        request
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    );
    language.scope(next.run(request)).await
}

/// `GET /metrics`, served on its own listener (by default on the loopback interface): the
/// counters tell an outsider too much about the traffic to be public.
pub(crate) fn metrics_router(pipeline: Arc<Pipeline>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(pipeline)
}

/// A request's response, with what the partner call log records of it.
struct Answered {
    response: Response,
    /// The operation that ran or was refused, once known.
    operation_name: Option<String>,
    /// Executed without errors.
    complete: bool,
}

impl Answered {
    /// A response to a request that never reached an operation.
    fn early(response: Response) -> Self {
        Answered {
            response,
            operation_name: None,
            complete: false,
        }
    }
}

/// Counts a request refused before it reached the pipeline (which counts its own).
fn rejected(state: &HttpState, response: Response) -> Response {
    crate::metrics::bump(&state.pipeline.metrics.rejected_requests);
    response
}

/// Who the request acts for, or the refusal, ready to send.
async fn caller(state: &HttpState, headers: &HeaderMap, media: Media) -> Result<Caller, Response> {
    crate::identity::authenticate(&state.authenticator, &state.partner_keys, headers)
        .await
        .map_err(|refused| refusal(refused, media))
}

/// Logs a partner call with its outcome: `ok` for an operation executed without errors,
/// `errors` for anything else.
fn finish(state: &HttpState, caller: Caller, answered: Answered) -> Response {
    if let Some(pending) = caller.partner {
        let outcome = if answered.complete {
            CallOutcome::Ok
        } else {
            CallOutcome::Errors
        };
        let call = pending.ended(answered.operation_name, outcome, answered.response.status());
        state.partner_keys.finished(outcome, Some(call));
    }
    answered.response
}

/// What the request sends to subgraphs: the allowed client headers, and its principal,
/// signed here (or reused while fresh, see [`crate::identity::principal::PrincipalTokens`]).
fn forwarded(
    state: &HttpState,
    headers: &HeaderMap,
    identity: Identity,
) -> Result<ForwardedHeaders, principal::PrincipalError> {
    let mut forwarded = Vec::new();
    for name in state.forward_headers.iter() {
        for value in headers.get_all(name) {
            forwarded.push((name.clone(), value.clone()));
        }
    }
    let token = state.principal_tokens.token_for(&identity)?;
    Ok(ForwardedHeaders(
        forwarded,
        Some(SignedPrincipal::new(identity, token)),
        // The language chosen, not the client's list: requests alike but for the browser's
        // languages stay alike to deduplication and the response cache.
        Language::current(),
    ))
}

/// The text a request's document stands for: an automatic persisted query looked up, or
/// registered when sent with its hash.
async fn document_text(state: &HttpState, document: Document) -> Result<String, RequestFailure> {
    match (document, state.persisted_queries.as_deref()) {
        (Document::Text(query), _) | (Document::Register { query, .. }, None) => Ok(query),
        (Document::Register { query, hash }, Some(persisted)) => {
            persisted.register(&hash, &query).await;
            Ok(query)
        }
        (Document::Lookup(hash), Some(persisted)) => match persisted.get(&hash).await {
            Some(query) => Ok(query.to_string()),
            None => Err(trusted_documents::not_found(&hash)),
        },
        (Document::Lookup(hash), None) => Err(trusted_documents::not_found(&hash)),
    }
}

async fn run(
    state: &HttpState,
    request: ParsedRequest,
    headers: &HeaderMap,
    identity: Identity,
    media: Media,
    over_get: bool,
) -> Answered {
    let (document, with_query) = request.split();
    let request = match document_text(state, document).await {
        Ok(query) => with_query(query),
        Err(failure) => return Answered::early(rejected(state, refused(failure, media))),
    };
    let forwarded = match forwarded(state, headers, identity) {
        Ok(forwarded) => forwarded,
        Err(err) => {
            let failure = RequestFailure::internal(
                "The request could not be prepared.",
                Code::Internal,
                &format_args!("signing the principal failed: {err}"),
            );
            return Answered::early(rejected(state, refused(failure, media)));
        }
    };
    // One server span per request, continuing the caller's W3C trace; every subgraph
    // fetch is a child of it and carries its context on.
    let span = tracing::info_span!(
        "graphql request",
        otel.name = "POST /graphql",
        otel.kind = "server"
    );
    kexie_contract::telemetry::continue_trace(&span, headers);
    let outcome =
        tracing::Instrument::instrument(state.pipeline.execute(request, forwarded, over_get), span)
            .await;
    let (response, complete) = match outcome.answer {
        Answer::Executed { body, complete } => (answer(StatusCode::OK, media, body), complete),
        Answer::Refused(failure) => (refused(failure, media), false),
        Answer::MutationOverGet => {
            let mut response = answer(
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                errors_body(&[GraphqlError::new(
                    "Mutations must be sent with POST.",
                    Code::MethodNotAllowed,
                )]),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            (response, false)
        }
    };
    Answered {
        response,
        operation_name: outcome.operation_name,
        complete,
    }
}

async fn graphql_post(State(state): State<Arc<HttpState>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let Some(media) = negotiate(&headers) else {
        return rejected(&state, not_acceptable());
    };
    let is_json = content_type(&headers).is_some_and(|essence| essence == "application/json");
    if !is_json && !preflighted(&headers) {
        return rejected(&state, csrf_refused(media, false));
    }
    if !is_json {
        return rejected(
            &state,
            answer(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                media,
                errors_body(&[GraphqlError::new(
                    "A POST must have Content-Type: application/json.",
                    Code::UnsupportedMediaType,
                )]),
            ),
        );
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > state.max_body_bytes) {
        return rejected(&state, payload_too_large(state.max_body_bytes, media));
    }
    let caller = match caller(&state, &headers, media).await {
        Ok(caller) => caller,
        Err(response) => return rejected(&state, response),
    };
    let answered = post_as(&state, body, &headers, caller.identity.clone(), media).await;
    finish(&state, caller, answered)
}

/// The rest of a POST once its caller is known.
async fn post_as(
    state: &HttpState,
    body: Body,
    headers: &HeaderMap,
    identity: Identity,
    media: Media,
) -> Answered {
    let read = tokio::time::timeout(
        state.body_read_timeout,
        Limited::new(body, state.max_body_bytes).collect(),
    )
    .await;
    let Ok(body) = read else {
        return Answered::early(rejected(
            state,
            answer(
                StatusCode::REQUEST_TIMEOUT,
                media,
                errors_body(&[GraphqlError::new(
                    format!(
                        "The request body did not arrive within {} ms.",
                        state.body_read_timeout.as_millis()
                    ),
                    Code::RequestTimeout,
                )]),
            ),
        ));
    };
    let body = match body {
        Ok(body) => body.to_bytes(),
        Err(err) => {
            let response = if err
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                payload_too_large(state.max_body_bytes, media)
            } else {
                refused(
                    RequestFailure::bad_request("The request body could not be read."),
                    media,
                )
            };
            return Answered::early(rejected(state, response));
        }
    };
    match parse_post_body(&body, &state.trusted_documents) {
        Ok(request) => run(state, request, headers, identity, media, false).await,
        Err(failure) => Answered::early(rejected(state, refused(failure, media))),
    }
}

async fn graphql_get(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let wants_html = headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"));
    let has_query = uri
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair.starts_with("query=")));
    if wants_html && !has_query {
        return graphiql::page(&headers);
    }
    let Some(media) = negotiate(&headers) else {
        return rejected(&state, not_acceptable());
    };
    if !preflighted(&headers) {
        return rejected(&state, csrf_refused(media, true));
    }
    let caller = match caller(&state, &headers, media).await {
        Ok(caller) => caller,
        Err(response) => return rejected(&state, response),
    };
    let answered = match parse_get_parameters(&uri, &state.trusted_documents) {
        Ok(request) => {
            run(
                &state,
                request,
                &headers,
                caller.identity.clone(),
                media,
                true,
            )
            .await
        }
        Err(failure) => Answered::early(rejected(&state, refused(failure, media))),
    };
    finish(&state, caller, answered)
}

/// Ready once a supergraph is loaded, which `build` guarantees. Subgraphs being down does
/// not make the gateway unready: it still answers, with partial data.
async fn ready(State(state): State<Arc<HttpState>>) -> Response {
    let supergraph = state.pipeline.current();
    format!("ready ({} subgraphs)", supergraph.subgraphs.len()).into_response()
}

async fn metrics(State(pipeline): State<Arc<Pipeline>>) -> Response {
    let entries = pipeline.current().plans.len();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        pipeline.metrics.render(entries),
    )
        .into_response()
}

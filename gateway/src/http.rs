//! The HTTP surface: `POST /graphql`, `GET /graphql` (GraphiQL for a browser, queries for
//! other clients), `GET /health` and `GET /ready`; and, on a listener of its own,
//! `GET /metrics`.
//!
//! Status codes follow GraphQL over HTTP: a request that is not well-formed (bad JSON, no
//! `query`, wrong parameter types) is a 400 whatever the client accepts; a body over the
//! limit is a 413, a POST that is not `application/json` a 415, an `Accept` the gateway
//! cannot satisfy a 406, a mutation over GET a 405. A well-formed request that fails before
//! execution (syntax, validation, unknown operation, variables) is answered with 200 as
//! `application/json` and with 400 as `application/graphql-response+json`; once execution
//! starts the answer is 200, errors and partial data in the body.
//!
//! Before a request reaches the engine: CSRF prevention (a request a browser could send
//! from another site without a CORS preflight is refused, 400 `CSRF_REFUSED`),
//! authentication (a bad token is a 401 `UNAUTHENTICATED` with `WWW-Authenticate`), and
//! trusted documents (a persisted-query hash resolved, an untrusted document refused when
//! only trusted ones may run). Every request then carries one principal, signed here once
//! for all its subgraph fetches. A partner's call (`x-api-key`) is checked, rate limited
//! and logged as [`crate::api_keys`] describes: 401 for an unknown or revoked key, 429 with
//! `Retry-After` past the key's limit.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::{
    ACCEPT, ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Limited};
use serde::Deserialize;
use serde_json::{Map, Value};

use kexie_contract::principal;

use crate::api_keys::{
    Admission, CallOutcome, KeyCheck, PartnerCall, PartnerKeys, API_KEY_HEADER,
    AUTHENTICATION_UNAVAILABLE, RATE_LIMITED,
};
use crate::auth::{AuthFailure, Authenticator, Identity, PrincipalTokens};
use crate::engine::{Engine, GraphqlRequest, Outcome};
use crate::error::{codes, GraphqlError, RequestFailure};
use crate::transport::{ForwardedHeaders, SignedPrincipal};
use crate::trusted_documents::TrustedDocuments;

/// The header a client adds to a GET so that a browser must ask (preflight) before sending
/// it from another site; any value.
pub const PREFLIGHT_HEADER: &str = "kexie-preflight";

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type of the answer, chosen from the request's `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Media {
    Json,
    GraphqlResponseJson,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::Json => JSON,
            Media::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
        }
    }
}

#[derive(Clone)]
pub(crate) struct HttpState {
    pub engine: Arc<Engine>,
    pub forward_headers: Arc<Vec<HeaderName>>,
    pub max_body_bytes: usize,
    /// How long a body may take to arrive once the headers have.
    pub body_read_timeout: std::time::Duration,
    pub authenticator: Arc<Authenticator>,
    pub principal_tokens: Arc<PrincipalTokens>,
    pub trusted_documents: Arc<TrustedDocuments>,
    pub partner_keys: Arc<PartnerKeys>,
}

pub(crate) fn router(state: HttpState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .with_state(state)
}

/// `GET /metrics`, served on its own listener (by default on the loopback interface): the
/// counters tell an outsider too much about the traffic to be public.
pub(crate) fn metrics_router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(engine)
}

/// The first acceptable media type of `Accept`, in the client's order; none given means
/// `application/json`. `None` when nothing the gateway produces is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(ACCEPT) else {
        return Some(Media::Json);
    };
    let accept = accept.to_str().ok()?;
    if accept.trim().is_empty() {
        return Some(Media::Json);
    }
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let refused = parts.any(|parameter| {
            let parameter = parameter.trim().replace(' ', "");
            parameter == "q=0"
                || parameter == "q=0.0"
                || parameter == "q=0.00"
                || parameter == "q=0.000"
        });
        if refused {
            continue;
        }
        match media.as_str() {
            "application/graphql-response+json" => return Some(Media::GraphqlResponseJson),
            "application/json" | "application/*" | "*/*" => return Some(Media::Json),
            _ => {}
        }
    }
    None
}

fn errors_body(errors: &[GraphqlError]) -> Vec<u8> {
    let mut body = b"{\"errors\":".to_vec();
    let _ = serde_json::to_writer(&mut body, errors);
    body.push(b'}');
    body
}

fn answer(status: StatusCode, media: Media, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(media.content_type()));
    response
}

fn refused(failure: RequestFailure, media: Media) -> Response {
    match failure {
        RequestFailure::Http { status, error } => {
            answer(status, media, errors_body(std::slice::from_ref(&*error)))
        }
        RequestFailure::Graphql(errors) => {
            let status = match media {
                Media::Json => StatusCode::OK,
                Media::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            };
            answer(status, media, errors_body(&errors))
        }
    }
}

fn not_acceptable() -> Response {
    answer(
        StatusCode::NOT_ACCEPTABLE,
        Media::Json,
        errors_body(&[GraphqlError::new(
            "The Accept header admits neither application/graphql-response+json nor application/json.",
            codes::NOT_ACCEPTABLE,
        )]),
    )
}

/// Counts a request refused before it reached the engine (which counts its own).
fn rejected(state: &HttpState, response: Response) -> Response {
    crate::metrics::bump(&state.engine.metrics.rejected_requests);
    response
}

/// The essence of a `Content-Type` (`application/json` of `application/json; charset=utf-8`),
/// lower case.
fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .map(|value| value.to_str().unwrap_or("\u{0}"))
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

/// Whether a browser would send this request from another site only after a CORS
/// preflight, which the gateway does not grant (it sends no CORS headers): it carries
/// `kexie-preflight`, `Authorization`, `x-api-key`, or a `Content-Type` other than the three an HTML
/// form can send (`text/plain`, `application/x-www-form-urlencoded`,
/// `multipart/form-data`). Anything else a page on any site could make a visitor's
/// browser send, cookies and network position included.
fn preflighted(headers: &HeaderMap) -> bool {
    headers.contains_key(PREFLIGHT_HEADER)
        || headers.contains_key(AUTHORIZATION)
        || headers.contains_key(API_KEY_HEADER)
        || content_type(headers).is_some_and(|essence| {
            !matches!(
                essence.as_str(),
                "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
            )
        })
}

fn csrf_refused(media: Media, over_get: bool) -> Response {
    let message = if over_get {
        "A GET request must carry a kexie-preflight header (any value), an Authorization header or Content-Type: application/json, so that browsers cannot send it from other sites."
    } else {
        "A POST must have Content-Type: application/json; a browser sends other content types from any site without asking."
    };
    answer(
        StatusCode::BAD_REQUEST,
        media,
        errors_body(&[GraphqlError::new(message, codes::CSRF_REFUSED)]),
    )
}

fn unauthenticated(failure: AuthFailure, media: Media) -> Response {
    let mut response = answer(
        StatusCode::UNAUTHORIZED,
        media,
        errors_body(&[GraphqlError::new(failure.message, codes::UNAUTHENTICATED)]),
    );
    let challenge = format!("Bearer error=\"{}\"", failure.oauth_error);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// Who a request acts for, once authenticated.
struct Caller {
    identity: Identity,
    /// A partner call let through: logged once answered.
    partner: Option<PendingCall>,
}

/// A partner call in progress.
struct PendingCall {
    key_id: uuid::Uuid,
    called_at: SystemTime,
    started: Instant,
}

impl PendingCall {
    /// A call arriving now; its key is filled in once checked.
    fn arrived() -> Self {
        PendingCall {
            key_id: uuid::Uuid::nil(),
            called_at: SystemTime::now(),
            started: Instant::now(),
        }
    }

    fn ended(
        &self,
        operation: Option<String>,
        outcome: CallOutcome,
        status: StatusCode,
    ) -> PartnerCall {
        PartnerCall {
            key_id: self.key_id,
            operation,
            called_at: self.called_at,
            outcome,
            status: status.as_u16(),
            duration: self.started.elapsed(),
        }
    }
}

/// The document and operation name a partner call asked for, to name its operation in the
/// log once the gateway has prepared it.
struct AskedOperation {
    query: String,
    operation_name: Option<String>,
}

impl AskedOperation {
    fn of(request: &GraphqlRequest) -> Self {
        AskedOperation {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
        }
    }

    /// The operation's name: the one asked for, or that of the document's only operation.
    fn name(self, state: &HttpState) -> Option<String> {
        self.operation_name.or_else(|| {
            state
                .engine
                .current()
                .cached_operation(&self.query, None)
                .and_then(|prepared| prepared.name().map(str::to_string))
        })
    }
}

/// The caller of a request: a partner's API key (`x-api-key`), checked and counted, or a
/// staff token, or nobody. The refusal otherwise, ready to send.
async fn authenticate(
    state: &HttpState,
    headers: &HeaderMap,
    media: Media,
) -> Result<Caller, Response> {
    let mut keys = headers.get_all(API_KEY_HEADER).iter();
    let Some(key) = keys.next() else {
        return match state.authenticator.authenticate(headers).await {
            Ok(identity) => Ok(Caller {
                identity,
                partner: None,
            }),
            Err(failure) => Err(unauthenticated(failure, media)),
        };
    };
    // The call's time and duration count from here: checking the key is part of it.
    let arrived = PendingCall::arrived();
    let partner_keys = &state.partner_keys;
    let refuse = |message: &str| {
        partner_keys.finished(CallOutcome::Refused, None);
        key_refused(message, media)
    };
    if keys.next().is_some() {
        return Err(refuse(
            "The request has several x-api-key headers; send one.",
        ));
    }
    if headers.contains_key(AUTHORIZATION) {
        return Err(refuse(
            "The request carries both an API key (x-api-key) and an Authorization header; send one.",
        ));
    }
    let key = key.to_str().unwrap_or_default().trim();
    match partner_keys.verify(key).await {
        KeyCheck::Valid(key) => {
            let pending = PendingCall {
                key_id: key.key_id,
                ..arrived
            };
            match partner_keys.admit(&key).await {
                Admission::Admitted => Ok(Caller {
                    identity: Identity::partner(key.key_id, &key.bureau, key.scopes),
                    partner: Some(pending),
                }),
                Admission::Limited { retry_after_secs } => {
                    let call = pending.ended(
                        None,
                        CallOutcome::RateLimited,
                        StatusCode::TOO_MANY_REQUESTS,
                    );
                    partner_keys.finished(CallOutcome::RateLimited, Some(call));
                    Err(rate_limited(
                        key.requests_per_minute,
                        retry_after_secs,
                        media,
                    ))
                }
            }
        }
        KeyCheck::Revoked(key_id) => {
            let call = PendingCall { key_id, ..arrived }.ended(
                None,
                CallOutcome::Refused,
                StatusCode::UNAUTHORIZED,
            );
            partner_keys.finished(CallOutcome::Refused, Some(call));
            Err(key_refused(
                "The API key has been revoked; ask the city association for a new one.",
                media,
            ))
        }
        KeyCheck::Unknown => Err(refuse(
            "The API key is unknown: it is not a key this hub issued.",
        )),
        KeyCheck::Unavailable(_) => Err(answer(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            errors_body(&[GraphqlError::new(
                "The API key cannot be checked right now; try again shortly.",
                AUTHENTICATION_UNAVAILABLE,
            )]),
        )),
    }
}

/// 401 for an API key that is not accepted.
fn key_refused(message: &str, media: Media) -> Response {
    let mut response = answer(
        StatusCode::UNAUTHORIZED,
        media,
        errors_body(&[GraphqlError::new(message, codes::UNAUTHENTICATED)]),
    );
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("ApiKey header=\"x-api-key\""),
    );
    response
}

/// 429 for a call over its key's limit.
fn rate_limited(limit: u64, retry_after_secs: u64, media: Media) -> Response {
    let mut response = answer(
        StatusCode::TOO_MANY_REQUESTS,
        media,
        errors_body(&[GraphqlError::new(
            format!(
                "The API key's limit of {limit} requests per minute is reached; retry in {retry_after_secs} s."
            ),
            RATE_LIMITED,
        )
        .with_extension("retryAfter", Value::from(retry_after_secs))]),
    );
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// Logs a partner call with its outcome, read from the answer: `ok` for a 200 without
/// errors, `errors` for anything else.
async fn finish(
    state: &HttpState,
    pending: Option<PendingCall>,
    response: Response,
    asked: Option<AskedOperation>,
) -> Response {
    let Some(pending) = pending else {
        return response;
    };
    let (parts, body) = response.into_parts();
    // The body is in memory already: collecting it does not wait.
    let body = body.collect().await.map(|body| body.to_bytes());
    let outcome = match &body {
        Ok(bytes) if parts.status == StatusCode::OK && !has_errors(bytes) => CallOutcome::Ok,
        _ => CallOutcome::Errors,
    };
    let operation = asked.and_then(|asked| asked.name(state));
    state.partner_keys.finished(
        outcome,
        Some(pending.ended(operation, outcome, parts.status)),
    );
    Response::from_parts(parts, Body::from(body.unwrap_or_default()))
}

/// Whether a response body has top-level `errors` (an `errors` alias inside `data` does
/// not count).
fn has_errors(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct TopLevel {
        errors: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<TopLevel>(body).map_or(true, |top| top.errors.is_some())
}

/// What the request sends to subgraphs: the allowed client headers, and its principal,
/// signed here (or reused while fresh, see [`PrincipalTokens`]).
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
        Some(SignedPrincipal {
            identity: Arc::new(identity),
            token,
        }),
    ))
}

async fn run(
    state: &HttpState,
    request: GraphqlRequest,
    headers: &HeaderMap,
    identity: Identity,
    media: Media,
    over_get: bool,
) -> Response {
    let forwarded = match forwarded(state, headers, identity) {
        Ok(forwarded) => forwarded,
        Err(err) => {
            tracing::error!(error = %err, "signing the principal failed");
            return rejected(
                state,
                answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    media,
                    errors_body(&[GraphqlError::new(
                        "The request could not be prepared.",
                        codes::INTERNAL,
                    )]),
                ),
            );
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
    match tracing::Instrument::instrument(state.engine.execute(request, forwarded, over_get), span)
        .await
    {
        Outcome::Executed(body) => answer(StatusCode::OK, media, body),
        Outcome::Refused(failure) => refused(failure, media),
        Outcome::MutationOverGet => {
            let mut response = answer(
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                errors_body(&[GraphqlError::new(
                    "Mutations must be sent with POST.",
                    codes::METHOD_NOT_ALLOWED,
                )]),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            response
        }
    }
}

/// The request parameters, read leniently so that wrong types get a precise message.
#[derive(Deserialize)]
struct RawRequest {
    query: Option<Value>,
    #[serde(rename = "operationName")]
    operation_name: Option<Value>,
    variables: Option<Value>,
    extensions: Option<Value>,
}

impl RawRequest {
    fn into_request(self, trusted: &TrustedDocuments) -> Result<GraphqlRequest, RequestFailure> {
        let query = match self.query {
            Some(Value::String(query)) => Some(query),
            None | Some(Value::Null) => None,
            Some(_) => {
                return Err(RequestFailure::bad_request(
                    "The query parameter must be a string.",
                ))
            }
        };
        let operation_name = match self.operation_name {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => {
                return Err(RequestFailure::bad_request(
                    "The operationName parameter must be a string.",
                ))
            }
        };
        let variables = match self.variables {
            None | Some(Value::Null) => None,
            Some(Value::Object(variables)) => Some(variables),
            Some(_) => {
                return Err(RequestFailure::bad_request(
                    "The variables parameter must be an object.",
                ))
            }
        };
        let extensions = match self.extensions {
            None | Some(Value::Null) => None,
            Some(Value::Object(extensions)) => Some(extensions),
            Some(_) => {
                return Err(RequestFailure::bad_request(
                    "The extensions parameter must be an object.",
                ))
            }
        };
        let query = trusted.resolve(query, extensions.as_ref())?;
        Ok(GraphqlRequest {
            query,
            operation_name,
            variables,
        })
    }
}

/// Reads a POST body into a request: the checks of GraphQL over HTTP, in order, then the
/// document named by a persisted-query hash, or the refusal of an untrusted one.
pub(crate) fn parse_post_body(
    body: &[u8],
    trusted: &TrustedDocuments,
) -> Result<GraphqlRequest, RequestFailure> {
    match serde_json::from_slice::<RawRequest>(body) {
        Ok(raw) => raw.into_request(trusted),
        // Tell malformed JSON from JSON of the wrong shape.
        Err(err) => match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{') => Err(
                RequestFailure::bad_request(format!("The body is not a GraphQL request: {err}")),
            ),
            Ok(_) => Err(RequestFailure::bad_request(
                "The body must be a JSON object with a query.",
            )),
            Err(_) => Err(RequestFailure::bad_request(format!(
                "The body is not valid JSON: {err}"
            ))),
        },
    }
}

fn payload_too_large(limit: usize, media: Media) -> Response {
    answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        media,
        errors_body(&[GraphqlError::new(
            format!("The request body is larger than {limit} bytes."),
            codes::PAYLOAD_TOO_LARGE,
        )]),
    )
}

async fn graphql_post(State(state): State<HttpState>, request: Request<Body>) -> Response {
    let headers = request.headers().clone();
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
                    codes::UNSUPPORTED_MEDIA_TYPE,
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
    let caller = match authenticate(&state, &headers, media).await {
        Ok(caller) => caller,
        Err(response) => return rejected(&state, response),
    };
    let is_partner = caller.partner.is_some();
    let (response, operation) = post_as(
        &state,
        request.into_body(),
        &headers,
        caller.identity,
        media,
        is_partner,
    )
    .await;
    finish(&state, caller.partner, response, operation).await
}

/// The rest of a POST once its caller is known; with `is_partner`, also the document and
/// operation name asked for, for the partner call log.
async fn post_as(
    state: &HttpState,
    body: Body,
    headers: &HeaderMap,
    identity: Identity,
    media: Media,
    is_partner: bool,
) -> (Response, Option<AskedOperation>) {
    let read = tokio::time::timeout(
        state.body_read_timeout,
        Limited::new(body, state.max_body_bytes).collect(),
    )
    .await;
    let Ok(body) = read else {
        return (
            rejected(
                state,
                answer(
                    StatusCode::REQUEST_TIMEOUT,
                    media,
                    errors_body(&[GraphqlError::new(
                        format!(
                            "The request body did not arrive within {} ms.",
                            state.body_read_timeout.as_millis()
                        ),
                        codes::REQUEST_TIMEOUT,
                    )]),
                ),
            ),
            None,
        );
    };
    let body = match body {
        Ok(body) => body.to_bytes(),
        Err(err) => {
            if err
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return (
                    rejected(state, payload_too_large(state.max_body_bytes, media)),
                    None,
                );
            }
            return (
                rejected(
                    state,
                    refused(
                        RequestFailure::bad_request("The request body could not be read."),
                        media,
                    ),
                ),
                None,
            );
        }
    };
    match parse_post_body(&body, &state.trusted_documents) {
        Ok(request) => {
            let asked = is_partner.then(|| AskedOperation::of(&request));
            (
                run(state, request, headers, identity, media, false).await,
                asked,
            )
        }
        Err(failure) => (rejected(state, refused(failure, media)), None),
    }
}

#[derive(Deserialize)]
struct GetParameters {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Reads GET parameters into a request (a persisted-query hash resolved, as for POST).
pub(crate) fn parse_get_parameters(
    uri: &axum::http::Uri,
    trusted: &TrustedDocuments,
) -> Result<GraphqlRequest, RequestFailure> {
    let Query(parameters) = Query::<GetParameters>::try_from_uri(uri).map_err(|err| {
        RequestFailure::bad_request(format!("The query string is malformed: {err}"))
    })?;
    let variables = match parameters
        .variables
        .as_deref()
        .map(serde_json::from_str::<Value>)
    {
        None => None,
        Some(Ok(Value::Object(variables))) => Some(variables),
        Some(Ok(Value::Null)) => None,
        Some(_) => {
            return Err(RequestFailure::bad_request(
                "The variables parameter must be a JSON object.",
            ))
        }
    };
    let extensions = match parameters
        .extensions
        .as_deref()
        .map(serde_json::from_str::<Value>)
    {
        None | Some(Ok(Value::Null)) => None,
        Some(Ok(Value::Object(extensions))) => Some(extensions),
        Some(_) => {
            return Err(RequestFailure::bad_request(
                "The extensions parameter must be a JSON object.",
            ))
        }
    };
    let query = trusted.resolve(parameters.query, extensions.as_ref())?;
    Ok(GraphqlRequest {
        query,
        operation_name: parameters.operation_name.filter(|name| !name.is_empty()),
        variables: variables.map(|variables: Map<String, Value>| variables),
    })
}

/// The GraphiQL page served to browsers that open `/graphql`.
const GRAPHIQL: &str = include_str!("graphiql.html");

async fn graphql_get(
    State(state): State<HttpState>,
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
        return Html(GRAPHIQL).into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return rejected(&state, not_acceptable());
    };
    if !preflighted(&headers) {
        return rejected(&state, csrf_refused(media, true));
    }
    let caller = match authenticate(&state, &headers, media).await {
        Ok(caller) => caller,
        Err(response) => return rejected(&state, response),
    };
    let (response, operation) = match parse_get_parameters(&uri, &state.trusted_documents) {
        Ok(request) => {
            let asked = caller
                .partner
                .is_some()
                .then(|| AskedOperation::of(&request));
            (
                run(&state, request, &headers, caller.identity, media, true).await,
                asked,
            )
        }
        Err(failure) => (rejected(&state, refused(failure, media)), None),
    };
    finish(&state, caller.partner, response, operation).await
}

/// Ready once a supergraph is loaded, which `build` guarantees. Subgraphs being down does
/// not make the gateway unready: it still answers, with partial data.
async fn ready(State(state): State<HttpState>) -> Response {
    let supergraph = state.engine.current();
    format!("ready ({} subgraphs)", supergraph.subgraphs.len()).into_response()
}

async fn metrics(State(engine): State<Arc<Engine>>) -> Response {
    let entries = engine.current().plan_cache_entries();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        engine.metrics.render(entries),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Media> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers)
    }

    #[test]
    fn accept_picks_the_first_media_type_the_gateway_produces() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(
            accept("application/graphql-response+json, application/json"),
            Some(Media::GraphqlResponseJson)
        );
        assert_eq!(accept("application/json;q=0.9, */*"), Some(Media::Json));
        assert_eq!(accept("text/html, */*;q=0.8"), Some(Media::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }

    #[test]
    fn post_bodies_must_be_objects_with_a_string_query() {
        let message = |body: &str| match parse_post_body(body.as_bytes(), &Default::default()) {
            Ok(_) => "ok".to_string(),
            Err(RequestFailure::Http { error, .. }) => error.message.clone(),
            Err(RequestFailure::Graphql(_)) => "graphql".to_string(),
        };
        assert_eq!(message(r#"{"query":"{ a }"}"#), "ok");
        assert_eq!(
            message(r#"{"query":1}"#),
            "The query parameter must be a string."
        );
        assert_eq!(message(r#"{}"#), "The request has no query parameter.");
        assert_eq!(
            message(r#"[]"#),
            "The body must be a JSON object with a query."
        );
        assert_eq!(
            message(r#"{"query":"{ a }","variables":[]}"#),
            "The variables parameter must be an object."
        );
        assert_eq!(
            message(r#"{"query":"{ a }","operationName":3}"#),
            "The operationName parameter must be a string."
        );
        assert!(message("{").starts_with("The body is not valid JSON"));
    }
}

//! The HTTP surface: `POST /graphql`, `GET /graphql` (GraphiQL for a browser, queries for
//! other clients), `GET /health`, `GET /ready` and `GET /metrics`.
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
//! for all its subgraph fetches.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::{
    ACCEPT, ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Limited};
use serde::Deserialize;
use serde_json::{Map, Value};

use kexie_shared::principal::{self, PrincipalSecret};

use crate::auth::{AuthFailure, Authenticator, Identity};
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
    pub authenticator: Arc<Authenticator>,
    pub principal_secret: Arc<PrincipalSecret>,
    pub trusted_documents: Arc<TrustedDocuments>,
}

pub(crate) fn router(state: HttpState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
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
/// `kexie-preflight`, `Authorization`, or a `Content-Type` other than the three an HTML
/// form can send (`text/plain`, `application/x-www-form-urlencoded`,
/// `multipart/form-data`). Anything else a page on any site could make a visitor's
/// browser send, cookies and network position included.
fn preflighted(headers: &HeaderMap) -> bool {
    headers.contains_key(PREFLIGHT_HEADER)
        || headers.contains_key(AUTHORIZATION)
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

/// What the request sends to subgraphs: the allowed client headers, and its principal,
/// signed once here.
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
    let token = principal::sign(&identity.principal(), &state.principal_secret)?;
    let token = HeaderValue::from_str(&token)
        .map_err(|err| principal::PrincipalError::Signing(err.to_string()))?;
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
    kexie_shared::telemetry::continue_trace(&span, headers);
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
    let identity = match state.authenticator.authenticate(&headers).await {
        Ok(identity) => identity,
        Err(failure) => return rejected(&state, unauthenticated(failure, media)),
    };
    let body = match Limited::new(request.into_body(), state.max_body_bytes)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(err) => {
            if err
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return rejected(&state, payload_too_large(state.max_body_bytes, media));
            }
            return rejected(
                &state,
                refused(
                    RequestFailure::bad_request("The request body could not be read."),
                    media,
                ),
            );
        }
    };
    match parse_post_body(&body, &state.trusted_documents) {
        Ok(request) => run(&state, request, &headers, identity, media, false).await,
        Err(failure) => rejected(&state, refused(failure, media)),
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
        return Html(
            async_graphql::http::GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Kexie Hub")
                .finish(),
        )
        .into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return rejected(&state, not_acceptable());
    };
    if !preflighted(&headers) {
        return rejected(&state, csrf_refused(media, true));
    }
    let identity = match state.authenticator.authenticate(&headers).await {
        Ok(identity) => identity,
        Err(failure) => return rejected(&state, unauthenticated(failure, media)),
    };
    match parse_get_parameters(&uri, &state.trusted_documents) {
        Ok(request) => run(&state, request, &headers, identity, media, true).await,
        Err(failure) => rejected(&state, refused(failure, media)),
    }
}

/// Ready once a supergraph is loaded, which `build` guarantees. Subgraphs being down does
/// not make the gateway unready: it still answers, with partial data.
async fn ready(State(state): State<HttpState>) -> Response {
    let supergraph = state.engine.current();
    format!("ready ({} subgraphs)", supergraph.subgraphs.len()).into_response()
}

async fn metrics(State(state): State<HttpState>) -> Response {
    let entries = state.engine.current().plan_cache_entries();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.engine.metrics.render(entries),
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

//! GraphQL errors as the gateway returns them, and the stable codes it gives them. What an
//! error tells a client names no internals (a planner message, a subgraph URL, a Rust
//! error): those go to the log ([`RequestFailure::internal`]).
//!
//! Every error the gateway itself raises carries `extensions.code`; errors passed on from a
//! subgraph keep the subgraph's message and extensions, with their path translated into the
//! client's response.

use serde::Serialize;
use serde_json::{Map, Value};
use smol_str::SmolStr;

/// The codes of the errors the gateway raises (`extensions.code`): stable, part of the
/// gateway's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The HTTP request is not a well-formed GraphQL-over-HTTP request (bad JSON, no
    /// `query`, a parameter of the wrong type).
    BadRequest,
    /// The request body is larger than the configured limit.
    PayloadTooLarge,
    /// A POST whose `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// The `Accept` header admits no media type the gateway answers with.
    NotAcceptable,
    /// A mutation sent with GET.
    MethodNotAllowed,
    /// The document is not valid GraphQL syntax.
    GraphqlParseFailed,
    /// The document is not valid against the API schema.
    GraphqlValidationFailed,
    /// No operation, an unknown `operationName`, or several operations and no name.
    OperationResolutionFailure,
    /// A variable is missing or of the wrong type.
    BadUserInput,
    /// The operation exceeds the gateway's limits (size or depth after fragment expansion).
    OperationTooComplex,
    /// The `Authorization` header holds no valid staff token (expired, wrongly signed, for
    /// another audience, malformed, an unknown role …). HTTP 401.
    Unauthenticated,
    /// A request a browser could send from another site without a CORS preflight. HTTP 400.
    CsrfRefused,
    /// The operation exceeds one of the configured abuse limits (depth, aliases, root
    /// fields, tokens, cost); `extensions.limit` names it, `extensions.measured` and
    /// `extensions.maximum` give the numbers.
    OperationLimit,
    /// A persisted query's hash names no trusted document.
    PersistedQueryNotFound,
    /// The gateway serves trusted documents only, and this document is not one.
    UntrustedDocument,
    /// Introspection was asked of a gateway configured not to answer it.
    IntrospectionDisabled,
    /// Subscriptions are not served over this transport.
    SubscriptionNotSupported,
    /// The planner could not plan a valid operation.
    QueryPlanningFailed,
    /// A subgraph could not be reached or answered with an HTTP error.
    SubgraphRequestFailed,
    /// A subgraph did not answer within its timeout.
    SubgraphTimeout,
    /// The request's deadline passed before a subgraph answered: the response holds what
    /// arrived before it.
    RequestDeadlineExceeded,
    /// The request's body did not arrive within the body read timeout. HTTP 408.
    RequestTimeout,
    /// A subgraph answered with something that is not a GraphQL response of the expected shape.
    SubgraphResponseInvalid,
    /// A non-null field resolved to null.
    NonNullViolation,
    /// Anything unexpected; the details are in the gateway's log.
    Internal,
    /// A partner call over its key's limit. HTTP 429 with `Retry-After`.
    RateLimited,
    /// A partner call whose key could not be checked (the API-key subgraph is down or
    /// slow). HTTP 503.
    AuthenticationUnavailable,
}

impl Code {
    /// The code as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadRequest => "BAD_REQUEST",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Code::NotAcceptable => "NOT_ACCEPTABLE",
            Code::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Code::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Code::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Code::OperationResolutionFailure => "OPERATION_RESOLUTION_FAILURE",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::OperationTooComplex => "OPERATION_TOO_COMPLEX",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::CsrfRefused => "CSRF_REFUSED",
            Code::OperationLimit => "OPERATION_LIMIT",
            Code::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Code::UntrustedDocument => "UNTRUSTED_DOCUMENT",
            Code::IntrospectionDisabled => "INTROSPECTION_DISABLED",
            Code::SubscriptionNotSupported => "SUBSCRIPTION_NOT_SUPPORTED",
            Code::QueryPlanningFailed => "QUERY_PLANNING_FAILED",
            Code::SubgraphRequestFailed => "SUBGRAPH_REQUEST_FAILED",
            Code::SubgraphTimeout => "SUBGRAPH_TIMEOUT",
            Code::RequestDeadlineExceeded => "REQUEST_DEADLINE_EXCEEDED",
            Code::RequestTimeout => "REQUEST_TIMEOUT",
            Code::SubgraphResponseInvalid => "SUBGRAPH_RESPONSE_INVALID",
            Code::NonNullViolation => "NON_NULL_VIOLATION",
            Code::Internal => "INTERNAL",
            Code::RateLimited => "RATE_LIMITED",
            Code::AuthenticationUnavailable => "AUTHENTICATION_UNAVAILABLE",
        }
    }
}

/// A step of an error path: a response key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum PathSegment {
    Key(SmolStr),
    Index(usize),
}

/// A location in the client's document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Location {
    pub line: usize,
    pub column: usize,
}

/// One entry of a response's `errors`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GraphqlError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}

impl GraphqlError {
    /// An error raised by the gateway, with its code.
    pub(crate) fn new(message: impl Into<String>, code: Code) -> Self {
        let mut extensions = Map::new();
        extensions.insert("code".to_string(), Value::String(code.as_str().to_string()));
        GraphqlError {
            message: message.into(),
            locations: Vec::new(),
            path: None,
            extensions: Some(extensions),
        }
    }

    pub(crate) fn at(mut self, path: Vec<PathSegment>) -> Self {
        self.path = Some(path);
        self
    }

    pub(crate) fn with_location(mut self, line: usize, column: usize) -> Self {
        self.locations.push(Location { line, column });
        self
    }

    /// Adds an extension entry (besides `code`).
    pub(crate) fn with_extension(mut self, key: &str, value: Value) -> Self {
        self.extensions
            .get_or_insert_with(Map::new)
            .insert(key.to_string(), value);
        self
    }

    #[cfg(test)]
    pub(crate) fn code(&self) -> Option<&str> {
        self.extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(Value::as_str)
    }
}

/// Why a request was answered without executing it.
#[derive(Debug)]
pub(crate) enum RequestFailure {
    /// Not a well-formed GraphQL-over-HTTP request: the same HTTP status whatever media
    /// type the client accepts.
    Http {
        status: axum::http::StatusCode,
        error: Box<GraphqlError>,
    },
    /// A well-formed request refused before execution (syntax, validation, operation
    /// selection, variables): 200 as `application/json`, 400 as
    /// `application/graphql-response+json`, as GraphQL over HTTP prescribes.
    Graphql(Vec<GraphqlError>),
}

impl RequestFailure {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        RequestFailure::Http {
            status: axum::http::StatusCode::BAD_REQUEST,
            error: Box::new(GraphqlError::new(message, Code::BadRequest)),
        }
    }

    /// Something went wrong inside the gateway: `detail` goes to the log, the client gets
    /// `message` (which names no internals) with `INTERNAL` or `code`, HTTP 500.
    pub(crate) fn internal(message: &str, code: Code, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "{message}");
        RequestFailure::Http {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            error: Box::new(GraphqlError::new(message, code)),
        }
    }

    pub(crate) fn graphql(error: GraphqlError) -> Self {
        RequestFailure::Graphql(vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_in_the_shape_of_the_specification() {
        let error = GraphqlError::new("boom", Code::Internal)
            .at(vec![
                PathSegment::Key("units".into()),
                PathSegment::Index(2),
            ])
            .with_location(1, 3);
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({
                "message": "boom",
                "locations": [{"line": 1, "column": 3}],
                "path": ["units", 2],
                "extensions": {"code": "INTERNAL"}
            })
        );
    }
}

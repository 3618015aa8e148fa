//! GraphQL errors as the gateway returns them, and the stable codes it gives them.
//!
//! Every error the gateway itself raises carries `extensions.code`; errors passed on from a
//! subgraph keep the subgraph's message and extensions, with their path translated into the
//! client's response.

use serde::Serialize;
use serde_json::{Map, Value};
use smol_str::SmolStr;

/// The codes of the errors the gateway raises (`extensions.code`).
pub mod codes {
    /// The HTTP request is not a well-formed GraphQL-over-HTTP request (bad JSON, no
    /// `query`, a parameter of the wrong type).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The request body is larger than the configured limit.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// A POST whose `Content-Type` is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    /// The `Accept` header admits no media type the gateway answers with.
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    /// A mutation sent with GET.
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    /// The document is not valid GraphQL syntax.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document is not valid against the API schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// No operation, an unknown `operationName`, or several operations and no name.
    pub const OPERATION_RESOLUTION_FAILURE: &str = "OPERATION_RESOLUTION_FAILURE";
    /// A variable is missing or of the wrong type.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The operation exceeds the gateway's limits (size or depth after fragment expansion).
    pub const OPERATION_TOO_COMPLEX: &str = "OPERATION_TOO_COMPLEX";
    /// The `Authorization` header holds no valid staff token (expired, wrongly signed, for
    /// another audience, malformed, an unknown role …). HTTP 401.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// A request a browser could send from another site without a CORS preflight. HTTP 400.
    pub const CSRF_REFUSED: &str = "CSRF_REFUSED";
    /// The operation exceeds one of the configured abuse limits (depth, aliases, root
    /// fields, tokens, cost); `extensions.limit` names it, `extensions.measured` and
    /// `extensions.maximum` give the numbers.
    pub const OPERATION_LIMIT: &str = "OPERATION_LIMIT";
    /// A persisted query's hash names no trusted document.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// The gateway serves trusted documents only, and this document is not one.
    pub const UNTRUSTED_DOCUMENT: &str = "UNTRUSTED_DOCUMENT";
    /// Introspection was asked of a gateway configured not to answer it.
    pub const INTROSPECTION_DISABLED: &str = "INTROSPECTION_DISABLED";
    /// Subscriptions are not served over this transport.
    pub const SUBSCRIPTION_NOT_SUPPORTED: &str = "SUBSCRIPTION_NOT_SUPPORTED";
    /// The planner could not plan a valid operation.
    pub const QUERY_PLANNING_FAILED: &str = "QUERY_PLANNING_FAILED";
    /// A subgraph could not be reached or answered with an HTTP error.
    pub const SUBGRAPH_REQUEST_FAILED: &str = "SUBGRAPH_REQUEST_FAILED";
    /// A subgraph did not answer within its timeout.
    pub const SUBGRAPH_TIMEOUT: &str = "SUBGRAPH_TIMEOUT";
    /// The request's deadline passed before a subgraph answered: the response holds what
    /// arrived before it.
    pub const REQUEST_DEADLINE_EXCEEDED: &str = "REQUEST_DEADLINE_EXCEEDED";
    /// The request's body did not arrive within the body read timeout. HTTP 408.
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
    /// A subgraph answered with something that is not a GraphQL response of the expected shape.
    pub const SUBGRAPH_RESPONSE_INVALID: &str = "SUBGRAPH_RESPONSE_INVALID";
    /// A non-null field resolved to null.
    pub const NON_NULL_VIOLATION: &str = "NON_NULL_VIOLATION";
    /// Anything unexpected; the details are in the gateway's log.
    pub const INTERNAL: &str = "INTERNAL";
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
    pub(crate) fn new(message: impl Into<String>, code: &str) -> Self {
        let mut extensions = Map::new();
        extensions.insert("code".to_string(), Value::String(code.to_string()));
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
            error: Box::new(GraphqlError::new(message, codes::BAD_REQUEST)),
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
        let error = GraphqlError::new("boom", codes::INTERNAL)
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

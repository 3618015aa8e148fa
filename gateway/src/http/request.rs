//! Reading a GraphQL-over-HTTP request: the media type of the answer from `Accept`, the
//! parameters of a POST body or a GET query string (checked for their JSON types), and the
//! document of a persisted-query hash.

use axum::extract::Query;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::RequestFailure;
use crate::http::trusted_documents::Document;
use crate::http::trusted_documents::TrustedDocuments;
use crate::pipeline::GraphqlRequest;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type of the answer, chosen from the request's `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Media {
    Json,
    GraphqlResponseJson,
}

impl Media {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Media::Json => JSON,
            Media::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
        }
    }
}

/// The first acceptable media type of `Accept`, in the client's order; none given means
/// `application/json`. `None` when nothing the gateway produces is acceptable.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Media> {
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

/// The essence of a `Content-Type` (`application/json` of `application/json; charset=utf-8`),
/// lower case.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<String> {
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
    fn into_request(self, trusted: &TrustedDocuments) -> Result<ParsedRequest, RequestFailure> {
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
        Ok(ParsedRequest {
            document: trusted.resolve(query, extensions.as_ref())?,
            operation_name,
            variables,
        })
    }
}

/// A request read from HTTP, its document as trusted documents resolved it (an automatic
/// persisted query still to look up or to register).
pub(crate) struct ParsedRequest {
    pub document: Document,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
}

impl ParsedRequest {
    /// The document to resolve, and the request to execute once its text is known.
    pub(crate) fn split(self) -> (Document, impl FnOnce(String) -> GraphqlRequest) {
        let ParsedRequest {
            document,
            operation_name,
            variables,
        } = self;
        (document, move |query| GraphqlRequest {
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
) -> Result<ParsedRequest, RequestFailure> {
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
) -> Result<ParsedRequest, RequestFailure> {
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
    Ok(ParsedRequest {
        document: trusted.resolve(parameters.query, extensions.as_ref())?,
        operation_name: parameters.operation_name.filter(|name| !name.is_empty()),
        variables: variables.map(|variables: Map<String, Value>| variables),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Media> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, value.parse().unwrap());
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

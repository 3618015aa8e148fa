//! Reading a GraphQL request off HTTP, and refusing one that is not a GraphQL request with
//! an answer a client can act on. async-graphql-axum's extractor answered such a request
//! with a 400 whose text was a Rust error (`Invalid request: Error("expected value", …)`),
//! which no client can parse and which shows our internals; this module answers as the
//! gateway does, in GraphQL's own shape:
//! `{"errors":[{"message":"<a sentence>","extensions":{"code":"<CODE>"}}]}` as
//! `application/json`, where
//!
//! - 400 `BAD_REQUEST`: the body is empty, not JSON, not a JSON object, has no `query` (or
//!   an empty one), a parameter of the wrong type (`query` and `operationName` strings,
//!   `variables` and `extensions` objects), or is a batch (a JSON array). Batches are
//!   refused, not served: the gateway never sends them, and each request here is one
//!   principal, one span and one count in the metrics. A GET likewise with no `query`
//!   parameter, or `variables`/`extensions` that are not JSON objects.
//! - 415 `UNSUPPORTED_MEDIA_TYPE`: a POST whose `Content-Type` is missing or is not
//!   `application/json` (parameters such as `charset` allowed). Nothing uploads files, so
//!   multipart is refused too.
//! - 413 `PAYLOAD_TOO_LARGE`: a body over [`MAX_BODY_BYTES`].
//! - 405 `METHOD_NOT_ALLOWED` (with `Allow: POST`): a mutation sent with GET.
//!
//! The messages are our own sentences; a dependency's error text never reaches a client.

use std::collections::HashMap;

use async_graphql::{Request, Variables};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Query as UrlQuery;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The largest request body a subgraph reads. The gateway takes subgraph answers of up to
/// 64 MiB, and the representations of an `_entities` call are made from such answers.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A request refused before it reaches the schema: its status, code and message.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn bad_request(message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_REQUEST",
            message: message.into(),
        }
    }

    /// 405 `METHOD_NOT_ALLOWED`.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "METHOD_NOT_ALLOWED",
            message: message.into(),
        }
    }

    /// 401 `UNAUTHENTICATED`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            code: "UNAUTHENTICATED",
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code } }]
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// Refuses a POST that does not say its body is JSON.
pub fn require_json(headers: &HeaderMap) -> Result<(), Refusal> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        return Ok(());
    }
    Err(Refusal {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "A GraphQL request must be sent with Content-Type: application/json.".to_string(),
    })
}

/// The body as read, or why it could not be.
pub fn body_read(read: Result<Bytes, BytesRejection>) -> Result<Bytes, Refusal> {
    read.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "PAYLOAD_TOO_LARGE",
                message: format!(
                    "The request body is larger than the {} MiB a subgraph reads.",
                    MAX_BODY_BYTES / (1024 * 1024)
                ),
            }
        } else {
            Refusal::bad_request("The request body could not be read.")
        }
    })
}

/// The GraphQL request a POST body holds.
pub fn from_body(body: &[u8]) -> Result<Request, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::bad_request(
            "The request body is empty; send a JSON object with the GraphQL document in `query`.",
        ));
    }
    // The common case deserializes straight into the request; only a refusal looks closer.
    match serde_json::from_slice::<Request>(body) {
        Ok(request) if request.query.trim().is_empty() => Err(no_query()),
        Ok(request) => Ok(request),
        Err(err) if err.is_syntax() || err.is_eof() => Err(Refusal::bad_request(format!(
            "The request body is not valid JSON (line {}, column {}).",
            err.line(),
            err.column()
        ))),
        Err(_) => Err(Refusal::bad_request(why_not_a_request(body))),
    }
}

fn no_query() -> Refusal {
    Refusal::bad_request("The request has no GraphQL document: `query` is missing or empty.")
}

/// Why a body that is JSON is not a GraphQL request.
fn why_not_a_request(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return "The request body is not valid JSON.".to_string();
    };
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return "Batched requests (a JSON array) are not served; send one GraphQL request per HTTP request."
                .to_string()
        }
        other => {
            return format!(
                "The request body must be a JSON object with the GraphQL document in `query`, not {}.",
                kind(&other)
            )
        }
    };
    for (name, wanted) in [
        ("query", "a string"),
        ("operationName", "a string"),
        ("variables", "a JSON object"),
        ("extensions", "a JSON object"),
    ] {
        let fits = matches!(
            (object.get(name), wanted),
            (None | Some(Value::Null), _)
                | (Some(Value::String(_)), "a string")
                | (Some(Value::Object(_)), "a JSON object")
        );
        if !fits {
            return format!(
                "`{name}` must be {wanted}, not {}.",
                object.get(name).map_or("missing", kind)
            );
        }
    }
    "The request body is not a GraphQL request: it needs the document in `query`, a string."
        .to_string()
}

/// What a JSON value is, in words.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The GraphQL request a GET's query string holds: `query`, and optionally
/// `operationName`, `variables` and `extensions` (both JSON objects).
pub fn from_query_string(uri: &Uri) -> Result<Request, Refusal> {
    let UrlQuery(mut params) = UrlQuery::<HashMap<String, String>>::try_from_uri(uri)
        .map_err(|_| Refusal::bad_request("The query string is not valid URL encoding."))?;
    let query = params.remove("query").unwrap_or_default();
    if query.trim().is_empty() {
        return Err(Refusal::bad_request(
            "A GET request must carry the GraphQL document in the `query` parameter.",
        ));
    }
    let mut request = Request::new(query);
    if let Some(name) = params
        .remove("operationName")
        .filter(|name| !name.is_empty())
    {
        request = request.operation_name(name);
    }
    if let Some(variables) = json_object_param(&params, "variables")? {
        request = request.variables(Variables::from_json(variables));
    }
    if let Some(extensions) = json_object_param(&params, "extensions")? {
        request.extensions = serde_json::from_value(extensions).map_err(|_| {
            Refusal::bad_request("The `extensions` parameter must be a JSON object.")
        })?;
    }
    Ok(request)
}

/// The JSON object in the parameter `name`, if there is one.
fn json_object_param(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<Option<Value>, Refusal> {
    let Some(text) = params.get(name).filter(|text| !text.trim().is_empty()) else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(None),
        Ok(object @ Value::Object(_)) => Ok(Some(object)),
        Ok(other) => Err(Refusal::bad_request(format!(
            "The `{name}` parameter must be a JSON object, not {}.",
            kind(&other)
        ))),
        Err(err) => Err(Refusal::bad_request(format!(
            "The `{name}` parameter is not valid JSON (column {}).",
            err.column()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &str) -> String {
        from_body(body.as_bytes()).unwrap_err().message
    }

    #[test]
    fn a_body_that_is_not_a_request_is_explained_in_a_sentence() {
        assert_eq!(
            refused("{\"query\": "),
            "The request body is not valid JSON (line 1, column 10)."
        );
        assert!(refused("   ").starts_with("The request body is empty"));
        assert!(refused("[{\"query\": \"{ a }\"}]").starts_with("Batched requests"));
        assert!(refused("\"{ a }\"").ends_with("not a string."));
        assert_eq!(
            refused("{\"query\": 1}"),
            "`query` must be a string, not a number."
        );
        assert_eq!(
            refused("{\"query\": \"{ a }\", \"variables\": [1]}"),
            "`variables` must be a JSON object, not an array."
        );
        assert_eq!(
            refused("{\"query\": \"{ a }\", \"operationName\": {}}"),
            "`operationName` must be a string, not an object."
        );
        assert!(refused("{}").contains("`query` is missing or empty"));
        assert!(refused("{\"query\": \"  \"}").contains("`query` is missing or empty"));
    }

    #[test]
    fn a_request_with_null_parameters_is_a_request() {
        let request = from_body(
            br#"{"query": "{ a }", "operationName": null, "variables": null, "extensions": null}"#,
        )
        .unwrap();
        assert_eq!(request.query, "{ a }");
        assert!(request.variables.is_empty());
    }

    #[test]
    fn a_query_string_is_read_with_its_operation_name_and_variables() {
        let uri: Uri = "/graphql?query=query%20Q(%24id%3A%20ID!)%20%7B%20a%20%7D&operationName=Q&variables=%7B%22id%22%3A%221%22%7D"
            .parse()
            .unwrap();
        let request = from_query_string(&uri).unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(request.variables.len(), 1);
        let bad: Uri = "/graphql?query=%7B%20a%20%7D&variables=%5B1%5D"
            .parse()
            .unwrap();
        assert_eq!(
            from_query_string(&bad).unwrap_err().message,
            "The `variables` parameter must be a JSON object, not an array."
        );
    }
}

//! CSRF prevention: a request a browser could send from another site without a CORS
//! preflight is refused (400 `CSRF_REFUSED`), cookies and network position included.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::error::{Code, GraphqlError};
use crate::http::request::{content_type, Media};
use crate::http::response::{answer, errors_body};
use crate::identity::api_keys::API_KEY_HEADER;

/// The header a client adds to a GET so that a browser must ask (preflight) before sending
/// it from another site; any value.
pub const PREFLIGHT_HEADER: &str = "kexie-preflight";

/// Whether a browser would send this request from another site only after a CORS
/// preflight, which the gateway grants only to the origins configured for CORS: it carries
/// `kexie-preflight`, `Authorization`, `x-api-key`, or a `Content-Type` other than the three an HTML
/// form can send (`text/plain`, `application/x-www-form-urlencoded`,
/// `multipart/form-data`). Anything else a page on any site could make a visitor's
/// browser send, cookies and network position included.
pub(crate) fn preflighted(headers: &HeaderMap) -> bool {
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

pub(crate) fn csrf_refused(media: Media, over_get: bool) -> Response {
    let message = if over_get {
        "A GET request must carry a kexie-preflight header (any value), an Authorization header or Content-Type: application/json, so that browsers cannot send it from other sites."
    } else {
        "A POST must have Content-Type: application/json; a browser sends other content types from any site without asking."
    };
    answer(
        StatusCode::BAD_REQUEST,
        media,
        errors_body(&[GraphqlError::new(message, Code::CsrfRefused)]),
    )
}

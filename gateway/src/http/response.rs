//! The gateway's own answers: the body and media type of a response, and the status codes
//! of GraphQL over HTTP for requests refused before or instead of running.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use kexie_contract::language::Language;
use serde_json::Value;

use crate::error::{Code, GraphqlError, RequestFailure};
use crate::http::request::Media;
use crate::identity::Refusal;

/// The body of a response with `errors` only, in the language of the request being answered.
pub(crate) fn errors_body(errors: &[GraphqlError]) -> Vec<u8> {
    let language = Language::current();
    let errors: Vec<GraphqlError> = errors
        .iter()
        .cloned()
        .map(|mut error| {
            error.localize(language);
            error
        })
        .collect();
    let mut body = b"{\"errors\":".to_vec();
    let _ = serde_json::to_writer(&mut body, &errors);
    body.push(b'}');
    body
}

pub(crate) fn answer(status: StatusCode, media: Media, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(media.content_type()));
    response
}

pub(crate) fn refused(failure: RequestFailure, media: Media) -> Response {
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

pub(crate) fn not_acceptable() -> Response {
    answer(
        StatusCode::NOT_ACCEPTABLE,
        Media::Json,
        errors_body(&[GraphqlError::new(
            "The Accept header admits neither application/graphql-response+json nor application/json.",
            Code::NotAcceptable,
        )]),
    )
}

/// The response to a caller that is not let through.
pub(crate) fn refusal(refusal: Refusal, media: Media) -> Response {
    match refusal {
        Refusal::Unauthenticated(failure) => {
            let mut response = answer(
                StatusCode::UNAUTHORIZED,
                media,
                errors_body(&[GraphqlError::new(failure.message, Code::Unauthenticated)]),
            );
            let challenge = format!("Bearer error=\"{}\"", failure.oauth_error);
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(WWW_AUTHENTICATE, value);
            }
            response
        }
        Refusal::KeyRefused(message) => {
            let mut response = answer(
                StatusCode::UNAUTHORIZED,
                media,
                errors_body(&[GraphqlError::new(message, Code::Unauthenticated)]),
            );
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("ApiKey header=\"x-api-key\""),
            );
            response
        }
        Refusal::RateLimited {
            requests_per_minute,
            retry_after_secs,
        } => {
            let mut response = answer(
                StatusCode::TOO_MANY_REQUESTS,
                media,
                errors_body(&[GraphqlError::new(
                    format!(
                        "The API key's limit of {requests_per_minute} requests per minute is reached; retry in {retry_after_secs} s."
                    ),
                    Code::RateLimited,
                )
                .with_extension("retryAfter", Value::from(retry_after_secs))]),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Refusal::KeyCheckUnavailable => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            errors_body(&[GraphqlError::new(
                "The API key cannot be checked right now; try again shortly.",
                Code::AuthenticationUnavailable,
            )]),
        ),
    }
}

pub(crate) fn payload_too_large(limit: usize, media: Media) -> Response {
    answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        media,
        errors_body(&[GraphqlError::new(
            format!("The request body is larger than {limit} bytes."),
            Code::PayloadTooLarge,
        )]),
    )
}

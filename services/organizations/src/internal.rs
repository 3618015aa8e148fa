//! Internal endpoints for the gateway, beside GraphQL: checking a partner's API key and
//! recording the partner's calls. Only the gateway may call them: a request must carry a
//! principal signed with the shared secret whose role is `gateway`; anything else is
//! answered 401 and touches nothing.
//!
//! - `POST /internal/api-keys/verify` `{"key": "kx_…"}` → 200 `{"keyId", "bureau",
//!   "scopes", "requestsPerMinute"}` for a live key; 404 `{"reason": "unknown"}` for
//!   anything this hub did not issue (malformed, unknown id, wrong secret) and 404
//!   `{"reason": "revoked", "keyId"}` for a revoked key. Not cached anywhere: the gateway
//!   asks on every partner request, so a revocation takes effect on the very next one.
//! - `POST /internal/partner-calls` `{"keyId", "operation", "calledAt", "outcome",
//!   "status", "durationMs"}` → 204; 404 when the key does not exist, 400 for values out
//!   of range.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_contract::principal::{self, PrincipalSecret, Role};
use kexie_subgraph_kit::storable;

use crate::db::api_keys::{self, CallOutcome, NewPartnerCall, Verification};

/// The path of the key check.
pub const VERIFY_PATH: &str = "/internal/api-keys/verify";
/// The path of the call log.
pub const PARTNER_CALLS_PATH: &str = "/internal/partner-calls";
/// The longest operation name kept in the log.
const MAX_OPERATION_CHARS: usize = 200;

#[derive(Clone)]
struct InternalState {
    pool: PgPool,
    secret: PrincipalSecret,
}

/// The internal routes over `pool`, for requests signed with `secret`.
pub fn routes(pool: PgPool, secret: PrincipalSecret) -> Router {
    Router::new()
        .route(VERIFY_PATH, post(verify))
        .route(PARTNER_CALLS_PATH, post(record_call))
        .with_state(InternalState { pool, secret })
}

/// The refusal of a request that does not come from the gateway.
fn refusal(state: &InternalState, headers: &HeaderMap) -> Option<Response> {
    match principal::from_headers(headers, &state.secret) {
        Ok(principal) if principal.role == Role::Gateway => None,
        Ok(principal) => {
            tracing::warn!(role = %principal.role, subject = %principal.subject, "internal endpoint refused: not the gateway");
            Some(refused(format!(
                "only the gateway may call internal endpoints, not a {} principal",
                principal.role
            )))
        }
        Err(err) => {
            tracing::warn!(error = %err, "internal endpoint refused: no valid principal");
            Some(refused(format!(
                "{err}; internal endpoints answer only the gateway"
            )))
        }
    }
}

fn refused(message: String) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": message, "code": "UNAUTHENTICATED" })),
    )
        .into_response()
}

/// The JSON body, read only once the caller is known to be the gateway.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|err| format!("the body is malformed: {err}"))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

fn internal_error(err: sqlx::Error, what: &str) -> Response {
    tracing::error!(error = %err, "{what} failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "internal error" })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct VerifyRequest {
    key: String,
}

/// A live key, as the gateway needs it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedKey {
    key_id: Uuid,
    bureau: String,
    scopes: Vec<String>,
    requests_per_minute: i32,
}

async fn verify(State(state): State<InternalState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = refusal(&state, &headers) {
        return refusal;
    }
    let request: VerifyRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    match api_keys::verify(&state.pool, &request.key).await {
        Ok(Verification::Valid(key)) => Json(VerifiedKey {
            key_id: key.api_key_id,
            bureau: key.bureau,
            scopes: key.scopes,
            requests_per_minute: key.requests_per_minute,
        })
        .into_response(),
        Ok(Verification::Revoked(key_id)) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "reason": "revoked", "keyId": key_id })),
        )
            .into_response(),
        Ok(Verification::Unknown) => {
            (StatusCode::NOT_FOUND, Json(json!({ "reason": "unknown" }))).into_response()
        }
        Err(err) => internal_error(err, "checking an API key"),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallReport {
    key_id: Uuid,
    operation: Option<String>,
    called_at: DateTime<Utc>,
    outcome: String,
    status: i32,
    duration_ms: i64,
}

async fn record_call(
    State(state): State<InternalState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = refusal(&state, &headers) {
        return refusal;
    }
    let report: CallReport = match parse(&body) {
        Ok(report) => report,
        Err(message) => return bad_request(message),
    };
    let Some(outcome) = CallOutcome::parse(&report.outcome) else {
        return bad_request(format!("unknown outcome `{}`", report.outcome));
    };
    if !(100..=599).contains(&report.status) {
        return bad_request(format!("{} is not an HTTP status", report.status));
    }
    if report.duration_ms < 0 {
        return bad_request("durationMs must not be negative".to_string());
    }
    // The name is the partner's, unchecked by GraphQL when the request was refused early:
    // a NUL in it must not cost the log its record.
    let operation = report
        .operation
        .filter(|name| !name.is_empty())
        .map(|name| {
            storable::replace_unstorable(&name)
                .chars()
                .take(MAX_OPERATION_CHARS)
                .collect()
        });
    let call = NewPartnerCall {
        api_key_id: report.key_id,
        operation,
        called_at: report.called_at,
        outcome,
        status: report.status,
        duration_ms: i32::try_from(report.duration_ms).unwrap_or(i32::MAX),
    };
    match api_keys::record_call(&state.pool, &call).await {
        Ok(Some(_)) => StatusCode::NO_CONTENT.into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("there is no API key {}", report.key_id) })),
        )
            .into_response(),
        Err(err) => internal_error(err, "recording a partner call"),
    }
}

//! Who a request acts for: a partner bureau's API key (`x-api-key`), a staff member's token
//! (`Authorization: Bearer`), or nobody; and the principal the gateway signs for it. The
//! HTTP layer turns a [`Refusal`] into its status code and headers.

pub(crate) mod api_keys;
pub(crate) mod jwks;
pub(crate) mod principal;
pub(crate) mod staff;

use std::time::{Instant, SystemTime};

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use uuid::Uuid;

use crate::metrics::CallOutcome;
use api_keys::{Admission, KeyCheck, PartnerCall, PartnerKeys, API_KEY_HEADER};
use principal::Identity;
use staff::{AuthFailure, Authenticator};

/// Who a request acts for, once authenticated.
pub(crate) struct Caller {
    pub identity: Identity,
    /// A partner call let through: logged once answered.
    pub partner: Option<PendingCall>,
}

/// Why a request is not let through.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A staff token or `Authorization` header that is not accepted (401).
    Unauthenticated(AuthFailure),
    /// An API key that is not accepted (401): why, for the client.
    KeyRefused(&'static str),
    /// A partner over its key's limit (429).
    RateLimited {
        requests_per_minute: u64,
        retry_after_secs: u64,
    },
    /// The key could not be checked (503).
    KeyCheckUnavailable,
}

/// A partner call in progress.
pub(crate) struct PendingCall {
    key_id: Uuid,
    called_at: SystemTime,
    started: Instant,
}

impl PendingCall {
    /// A call arriving now; its key is filled in once checked.
    fn arrived() -> Self {
        PendingCall {
            key_id: Uuid::nil(),
            called_at: SystemTime::now(),
            started: Instant::now(),
        }
    }

    /// The call as logged, ended now with `outcome` and `status`.
    pub(crate) fn ended(
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

/// The caller of a request: a partner's API key, checked and counted, or a staff token, or
/// nobody.
pub(crate) async fn authenticate(
    authenticator: &Authenticator,
    partner_keys: &std::sync::Arc<PartnerKeys>,
    headers: &HeaderMap,
) -> Result<Caller, Refusal> {
    let mut keys = headers.get_all(API_KEY_HEADER).iter();
    let Some(key) = keys.next() else {
        return match authenticator.authenticate(headers).await {
            Ok(identity) => Ok(Caller {
                identity,
                partner: None,
            }),
            Err(failure) => Err(Refusal::Unauthenticated(failure)),
        };
    };
    // The call's time and duration count from here: checking the key is part of it.
    let arrived = PendingCall::arrived();
    let refuse = |message: &'static str| {
        partner_keys.finished(CallOutcome::Refused, None);
        Refusal::KeyRefused(message)
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
                    Err(Refusal::RateLimited {
                        requests_per_minute: key.requests_per_minute,
                        retry_after_secs,
                    })
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
            Err(Refusal::KeyRefused(
                "The API key has been revoked; ask the city association for a new one.",
            ))
        }
        KeyCheck::Unknown => Err(refuse(
            "The API key is unknown: it is not a key this hub issued.",
        )),
        KeyCheck::Unavailable(_) => Err(Refusal::KeyCheckUnavailable),
    }
}

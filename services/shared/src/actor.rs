//! Who is acting. Every mutation records the actor it finds in the request context. The
//! identity is taken from the request in exactly one place, [`Actor::from_headers`], so that
//! authentication plugs in here without touching any resolver.

use async_graphql::Context;
use axum::http::HeaderMap;

/// The header that names the acting subject until signed principals replace it.
pub const ACTOR_HEADER: &str = "kexie-actor";

/// The identity behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// Who acted, as recorded in `created_by`, `updated_by` and workflow histories.
    pub subject: String,
}

impl Actor {
    pub fn anonymous() -> Self {
        Actor {
            subject: "anonymous".to_string(),
        }
    }

    /// The actor of an HTTP request.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(ACTOR_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|subject| !subject.is_empty() && subject.len() <= 200)
            .map(|subject| Actor {
                subject: subject.to_string(),
            })
            .unwrap_or_else(Actor::anonymous)
    }

    /// The actor of the GraphQL request being resolved.
    pub fn of(ctx: &Context<'_>) -> Actor {
        ctx.data_opt::<Actor>()
            .cloned()
            .unwrap_or_else(Actor::anonymous)
    }
}

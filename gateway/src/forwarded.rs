//! What a request carries to every subgraph besides its operations: the client headers
//! passed on and the principal the gateway signed for it. Two requests with equal
//! [`ForwardedHeaders`] are alike to every subgraph, so deduplication and the response cache
//! key on it.

use std::sync::Arc;

use hyper::header::{HeaderName, HeaderValue};

use crate::identity::principal::Identity;

/// What a request sends to subgraphs besides its operations: the client headers passed on
/// (an allow-list, see `GatewayConfig`) and the signed principal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct ForwardedHeaders(
    pub Vec<(HeaderName, HeaderValue)>,
    pub Option<SignedPrincipal>,
);

/// A request's principal, signed once for all its subgraph fetches. Requests of the same
/// identity are alike to deduplication whatever their tokens' times, so the token takes no
/// part in comparisons.
#[derive(Clone, Debug)]
pub(crate) struct SignedPrincipal {
    pub identity: Arc<Identity>,
    /// The value of the `kexie-principal` header.
    pub token: HeaderValue,
}

impl PartialEq for SignedPrincipal {
    fn eq(&self, other: &Self) -> bool {
        self.identity == other.identity
    }
}

impl Eq for SignedPrincipal {}

impl std::hash::Hash for SignedPrincipal {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.identity.hash(state);
    }
}

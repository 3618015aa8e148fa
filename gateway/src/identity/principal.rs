//! The principal the gateway signs for each request: who it acts for, signed once per
//! identity while the signature is fresh.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderValue;
use kexie_contract::principal::{self, Principal, PrincipalError, PrincipalSecret, Role, Scope};
use lru::LruCache;
use uuid::Uuid;

/// Who a request acts for, without the times of a particular principal: requests of the
/// same identity may share subgraph fetches and cached responses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    pub subject: String,
    pub unit: Option<Uuid>,
    pub role: Role,
    /// A partner key's scopes; empty for everyone else.
    pub scopes: Vec<Scope>,
    /// The bureau a partner key speaks for.
    pub bureau: Option<String>,
}

impl Identity {
    pub(crate) fn anonymous() -> Self {
        Identity {
            subject: "anonymous".to_string(),
            unit: None,
            role: Role::Anonymous,
            scopes: Vec::new(),
            bureau: None,
        }
    }

    /// The identity of a partner bureau's key (see [`crate::identity::api_keys`]).
    pub(crate) fn partner(key_id: Uuid, bureau: &str, scopes: Vec<Scope>) -> Self {
        let principal = Principal::partner(key_id, bureau, scopes);
        Identity {
            subject: principal.subject,
            unit: None,
            role: Role::Partner,
            scopes: principal.scopes,
            bureau: principal.bureau,
        }
    }

    /// A principal for this identity, issued now.
    pub(crate) fn principal(&self) -> Principal {
        Principal {
            scopes: self.scopes.clone(),
            bureau: self.bureau.clone(),
            ..Principal::issue(self.subject.clone(), self.unit, self.role)
        }
    }
}

/// Signed principals, one per identity, reused while they have at least
/// [`PrincipalTokens::MIN_REMAINING_SECS`] left: signing is then once per identity every
/// half minute rather than once per request. Bounded: the least recently used go first.
pub(crate) struct PrincipalTokens {
    secret: Arc<PrincipalSecret>,
    signed: Mutex<LruCache<Identity, (HeaderValue, u64)>>,
}

impl PrincipalTokens {
    /// A token is reused while it has at least this long left before it expires: a
    /// request's fetches all start well within it.
    const MIN_REMAINING_SECS: u64 = 30;
    const CAPACITY: usize = 10_000;

    pub(crate) fn new(secret: Arc<PrincipalSecret>) -> Self {
        PrincipalTokens {
            secret,
            signed: Mutex::new(LruCache::new(
                NonZeroUsize::new(Self::CAPACITY).expect("the capacity is not zero"),
            )),
        }
    }

    /// The `kexie-principal` header value for `identity`.
    pub(crate) fn token_for(&self, identity: &Identity) -> Result<HeaderValue, PrincipalError> {
        let now = unix_now();
        if let Some((token, expires_at)) = self.lock().get(identity) {
            if *expires_at >= now + Self::MIN_REMAINING_SECS {
                return Ok(token.clone());
            }
        }
        let issued = identity.principal();
        let expires_at = issued.expires_at;
        let token = principal::sign(&issued, &self.secret)?;
        let token = HeaderValue::from_str(&token)
            .map_err(|err| PrincipalError::Signing(err.to_string()))?;
        self.lock()
            .put(identity.clone(), (token.clone(), expires_at));
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Identity, (HeaderValue, u64)>> {
        self.signed.lock().unwrap_or_else(|err| err.into_inner())
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_is_signed_once_per_identity_and_names_it() {
        let secret = Arc::new(PrincipalSecret::generate());
        let tokens = PrincipalTokens::new(secret.clone());
        let staff = Identity {
            subject: "staff-1".to_string(),
            unit: Some(Uuid::from_u128(7)),
            role: Role::UnitStaff,
            scopes: Vec::new(),
            bureau: None,
        };
        let first = tokens.token_for(&staff).unwrap();
        assert_eq!(tokens.token_for(&staff).unwrap(), first);
        let signed = principal::verify(first.to_str().unwrap(), &secret).unwrap();
        assert_eq!(
            (signed.subject.as_str(), signed.unit, signed.role),
            ("staff-1", staff.unit, Role::UnitStaff)
        );
        assert!(signed.expires_at >= unix_now() + PrincipalTokens::MIN_REMAINING_SECS);

        let anonymous = tokens.token_for(&Identity::anonymous()).unwrap();
        assert_ne!(anonymous, first);
        let signed = principal::verify(anonymous.to_str().unwrap(), &secret).unwrap();
        assert_eq!(signed.role, Role::Anonymous);
    }
}

//! Who is calling: staff authenticate with a JWT in `Authorization: Bearer <token>`; a
//! request without `Authorization` is anonymous (public reads). A token that is present
//! but not valid is refused with HTTP 401 and a message saying what is wrong, never
//! treated as anonymous.
//!
//! Tokens are signed with HS256 (the secret `GATEWAY_JWT_HS256_SECRET`) or with RS256 /
//! ES256 by a key of the identity provider's JWKS (`GATEWAY_JWKS_URL`, see [`crate::identity::jwks`]). Their
//! claims: `sub` (the staff member), `unit` (the UUID of the unit they work for), `role`
//! (`unit_staff`, `unit_admin`, `leadership` or `city_admin`), `aud` (must be
//! `GATEWAY_JWT_AUDIENCE`, `kexie` by default), `exp` (required; 30 s of clock skew
//! tolerated), `nbf` if present, and `iss` when `GATEWAY_JWT_ISSUER` is set.
//!
//! A verified token is remembered (bounded LRU, until it expires), so a client sending the
//! same token with every request pays for one signature check, not one per request.
//!
//! Partner bureaus authenticate with an API key in `x-api-key` instead; see
//! [`crate::identity::api_keys`].

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kexie_contract::principal::Role;
use lru::LruCache;
use serde::Deserialize;
use uuid::Uuid;

use crate::identity::jwks::Jwks;
use crate::identity::principal::{unix_now, Identity};

/// Seconds of clock difference tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;
/// Verified tokens remembered.
const VERIFIED_CAPACITY: usize = 4096;
/// The longest `sub` accepted (the subgraphs record it as the actor).
const MAX_SUBJECT_CHARS: usize = 200;

/// How the gateway authenticates staff.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// The HS256 secret; `None`: HS256 tokens are refused.
    pub hs256_secret: Option<Secret>,
    /// The JWKS of RS256/ES256 keys; `None`: such tokens are refused.
    pub jwks_url: Option<String>,
    /// The `aud` every token must name.
    pub audience: String,
    /// The `iss` every token must name, if set.
    pub issuer: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            hs256_secret: None,
            jwks_url: None,
            audience: "kexie".to_string(),
            issuer: None,
        }
    }
}

/// A secret read from the configuration; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Secret(value.to_string()))
    }
}

/// Why a request was not authenticated: the message for the client, and the OAuth error
/// of the `WWW-Authenticate` header (`invalid_request` for an `Authorization` header that
/// is not a bearer token, `invalid_token` for a token that is not valid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthFailure {
    pub message: String,
    pub oauth_error: &'static str,
}

impl AuthFailure {
    fn request(message: impl Into<String>) -> Self {
        AuthFailure {
            message: message.into(),
            oauth_error: "invalid_request",
        }
    }

    fn token(message: impl Into<String>) -> Self {
        AuthFailure {
            message: message.into(),
            oauth_error: "invalid_token",
        }
    }
}

/// A token verified earlier.
struct Verified {
    token: Box<str>,
    identity: Identity,
    expires_at: u64,
}

/// The claims a staff token carries; read leniently so that each missing or wrong claim
/// gets its own message.
#[derive(Deserialize)]
struct StaffClaims {
    sub: Option<String>,
    unit: Option<String>,
    role: Option<String>,
    /// Required; checked by the validation (an `Option` so that its absence gets the
    /// validation's message rather than a deserialization error).
    exp: Option<u64>,
}

pub(crate) struct Authenticator {
    hs256: Option<DecodingKey>,
    jwks: Option<Arc<Jwks>>,
    audience: String,
    issuer: Option<String>,
    verified: Mutex<LruCache<u128, Verified>>,
}

impl Authenticator {
    pub(crate) fn new(config: &AuthConfig, jwks: Option<Arc<Jwks>>) -> Self {
        Authenticator {
            hs256: config
                .hs256_secret
                .as_ref()
                .map(|secret| DecodingKey::from_secret(secret.0.as_bytes())),
            jwks,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            verified: Mutex::new(LruCache::new(
                NonZeroUsize::new(VERIFIED_CAPACITY).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_audience(&[self.audience.as_str()]);
        let mut required = vec!["exp", "aud"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer.as_str()]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// The identity of a request: anonymous without `Authorization`, the token's staff
    /// member with a valid bearer token, a failure otherwise.
    pub(crate) async fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, AuthFailure> {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Ok(Identity::anonymous());
        };
        if values.next().is_some() {
            return Err(AuthFailure::request(
                "The request has several Authorization headers; send one.",
            ));
        }
        let token = value
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                AuthFailure::request("The Authorization header must be `Bearer <token>`.")
            })?;
        let key = xxhash_rust::xxh3::xxh3_128(token.as_bytes());
        let now = unix_now();
        {
            let mut verified = self.verified.lock().unwrap_or_else(|err| err.into_inner());
            if let Some(entry) = verified.get(&key) {
                if &*entry.token == token && entry.expires_at.saturating_add(LEEWAY_SECS) > now {
                    return Ok(entry.identity.clone());
                }
            }
        }
        let (identity, expires_at) = self.verify(token).await?;
        self.verified
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .put(
                key,
                Verified {
                    token: token.into(),
                    identity: identity.clone(),
                    expires_at,
                },
            );
        Ok(identity)
    }

    /// Checks a token's signature and claims.
    async fn verify(&self, token: &str) -> Result<(Identity, u64), AuthFailure> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            AuthFailure::token(
                "The token is malformed: it is not a JWT signed with HS256, RS256 or ES256.",
            )
        })?;
        let key = match header.alg {
            Algorithm::HS256 => self
                .hs256
                .clone()
                .ok_or_else(|| AuthFailure::token("This hub does not accept HS256 tokens."))?,
            Algorithm::RS256 | Algorithm::ES256 => {
                let Some(jwks) = &self.jwks else {
                    return Err(AuthFailure::token(format!(
                        "This hub does not accept {:?} tokens.",
                        header.alg
                    )));
                };
                jwks.key(header.kid.as_deref(), header.alg)
                    .await
                    .map_err(AuthFailure::token)?
            }
            other => {
                return Err(AuthFailure::token(format!(
                    "Tokens signed with {other:?} are not accepted; use HS256, RS256 or ES256."
                )))
            }
        };
        let data = jsonwebtoken::decode::<StaffClaims>(token, &key, &self.validation(header.alg))
            .map_err(|err| AuthFailure::token(self.describe(err.kind())))?;
        let claims = data.claims;
        let subject = claims
            .sub
            .map(|subject| subject.trim().to_string())
            .filter(|subject| !subject.is_empty())
            .ok_or_else(|| AuthFailure::token("The token has no `sub` claim."))?;
        if subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(AuthFailure::token(format!(
                "The token's `sub` claim is longer than {MAX_SUBJECT_CHARS} characters."
            )));
        }
        let role_name = claims
            .role
            .ok_or_else(|| AuthFailure::token("The token has no `role` claim."))?;
        let role = Role::staff(&role_name).ok_or_else(|| {
            AuthFailure::token(format!(
                "The token's role `{role_name}` is unknown; it must be one of unit_staff, unit_admin, leadership, city_admin."
            ))
        })?;
        let unit = claims
            .unit
            .ok_or_else(|| AuthFailure::token("The token has no `unit` claim."))?;
        let unit = Uuid::parse_str(&unit).map_err(|_| {
            AuthFailure::token(format!("The token's `unit` claim `{unit}` is not a UUID."))
        })?;
        Ok((
            Identity {
                subject,
                unit: Some(unit),
                role,
                scopes: Vec::new(),
                bureau: None,
            },
            claims.exp.unwrap_or(0),
        ))
    }

    /// What is wrong with a token, for the client.
    fn describe(&self, kind: &ErrorKind) -> String {
        match kind {
            ErrorKind::ExpiredSignature => "The token has expired.".to_string(),
            ErrorKind::InvalidSignature => "The token's signature is not valid.".to_string(),
            ErrorKind::InvalidAudience => format!(
                "The token is meant for another audience; this hub accepts `{}`.",
                self.audience
            ),
            ErrorKind::InvalidIssuer => format!(
                "The token was issued by someone else; this hub accepts `{}`.",
                self.issuer.as_deref().unwrap_or_default()
            ),
            ErrorKind::MissingRequiredClaim(claim) => {
                format!("The token has no `{claim}` claim.")
            }
            ErrorKind::InvalidClaimFormat(claim) => {
                format!("The token's `{claim}` claim is malformed.")
            }
            ErrorKind::ImmatureSignature => "The token is not valid yet (`nbf`).".to_string(),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => {
                "The token's algorithm does not match its key.".to_string()
            }
            ErrorKind::Json(err) => format!("The token's claims are malformed: {err}."),
            ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
                "The token is malformed: it is not a JWT.".to_string()
            }
            _ => "The token could not be verified.".to_string(),
        }
    }
}

//! Who is calling: staff authenticate with a JWT in `Authorization: Bearer <token>`; a
//! request without `Authorization` is anonymous (public reads). A token that is present
//! but not valid is refused with HTTP 401 and a message saying what is wrong, never
//! treated as anonymous.
//!
//! Tokens are signed with HS256 (the secret `GATEWAY_JWT_HS256_SECRET`) or with RS256 /
//! ES256 by a key of the identity provider's JWKS (`GATEWAY_JWKS_URL`, see [`Jwks`]). Their
//! claims: `sub` (the staff member), `unit` (the UUID of the unit they work for), `role`
//! (`unit_staff`, `unit_admin`, `leadership` or `city_admin`), `aud` (must be
//! `GATEWAY_JWT_AUDIENCE`, `kexie` by default), `exp` (required; 30 s of clock skew
//! tolerated), `nbf` if present, and `iss` when `GATEWAY_JWT_ISSUER` is set.
//!
//! A verified token is remembered (bounded LRU, until it expires), so a client sending the
//! same token with every request pays for one signature check, not one per request.
//!
//! Partner bureaus authenticate with an API key in `x-api-key` instead; see
//! [`crate::api_keys`].

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kexie_contract::principal::{self, Principal, PrincipalError, PrincipalSecret, Role, Scope};
use lru::LruCache;
use serde::Deserialize;
use uuid::Uuid;

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

    /// The identity of a partner bureau's key (see [`crate::api_keys`]).
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
        let now = now();
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
        let now = now();
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

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// How often the JWKS is fetched again while the last fetch succeeded (key rotation).
const JWKS_REFRESH: Duration = Duration::from_secs(300);
/// How soon after a fetch another may be made: after a failure, or for a token naming an
/// unknown key (so a stream of made-up `kid`s costs one fetch per interval at most).
const JWKS_MIN_INTERVAL: Duration = Duration::from_secs(10);
/// How long one fetch may take.
const JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS document read.
const JWKS_MAX_BYTES: usize = 1024 * 1024;
/// The most keys kept from one JWKS.
const JWKS_MAX_KEYS: usize = 100;

/// One usable key of the JWKS.
struct JwksKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// The identity provider's public keys, fetched at start, again every five minutes (every
/// ten seconds while fetching fails), and on a token naming a key the gateway does not know
/// (at most once per ten seconds, however many such tokens arrive).
/// Keys for RS256 (`kty: RSA`) and ES256 (`kty: EC`, `crv: P-256`) are kept; keys for
/// encryption (`use: enc`) and other algorithms are skipped. Served over plain `http://`:
/// the build has no TLS client, so the gateway fetches from the provider's address inside
/// the network (or through a local proxy).
pub(crate) struct Jwks {
    url: hyper::Uri,
    client: Client<HttpConnector, Empty<Bytes>>,
    keys: RwLock<Arc<Vec<JwksKey>>>,
    /// When the last fetch for an unknown key was made; held while fetching, so concurrent
    /// requests wait for one fetch instead of each making their own.
    last_unknown_key_fetch: tokio::sync::Mutex<Option<Instant>>,
}

impl Jwks {
    pub(crate) fn new(url: &str) -> anyhow::Result<Self> {
        let uri: hyper::Uri = url
            .parse()
            .with_context(|| format!("GATEWAY_JWKS_URL ({url}) is not a URL"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            anyhow::bail!(
                "GATEWAY_JWKS_URL ({url}) must be an http:// URL: the gateway has no TLS client; \
                 use the identity provider's address inside the network or a local proxy"
            );
        }
        Ok(Jwks {
            url: uri,
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            keys: RwLock::new(Arc::new(Vec::new())),
            last_unknown_key_fetch: tokio::sync::Mutex::new(None),
        })
    }

    /// Fetches the JWKS now and keeps its usable keys; returns how many. A failed fetch
    /// keeps the keys known before.
    pub(crate) async fn refresh(&self) -> Result<usize, String> {
        let keys = tokio::time::timeout(JWKS_TIMEOUT, self.fetch())
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", JWKS_TIMEOUT.as_secs())))?;
        let count = keys.len();
        *self.keys.write().unwrap_or_else(|err| err.into_inner()) = Arc::new(keys);
        Ok(count)
    }

    async fn fetch(&self) -> Result<Vec<JwksKey>, String> {
        let request = hyper::Request::get(self.url.clone())
            .header(hyper::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|err| err.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| format!("the request failed: {err}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "it answered with HTTP status {}",
                response.status()
            ));
        }
        let body = Limited::new(response.into_body(), JWKS_MAX_BYTES)
            .collect()
            .await
            .map_err(|err| format!("reading the answer failed: {err}"))?
            .to_bytes();
        parse_jwks(&body)
    }

    /// The key that verifies a token with this `kid` and algorithm. An unknown `kid` makes
    /// the gateway fetch the JWKS again first, unless it fetched it moments ago.
    async fn key(&self, kid: Option<&str>, algorithm: Algorithm) -> Result<DecodingKey, String> {
        if let Some(key) = self.find(kid, algorithm)? {
            return Ok(key);
        }
        {
            let mut last_fetch = self.last_unknown_key_fetch.lock().await;
            // Another request may have fetched while this one waited.
            if let Some(key) = self.find(kid, algorithm)? {
                return Ok(key);
            }
            if last_fetch.is_none_or(|at| at.elapsed() >= JWKS_MIN_INTERVAL) {
                *last_fetch = Some(Instant::now());
                if let Err(err) = self.refresh().await {
                    tracing::warn!(url = %self.url, error = %err, "fetching the JWKS failed");
                }
            }
        }
        self.find(kid, algorithm)?.ok_or_else(|| match kid {
            Some(kid) => format!("The token's signing key `{kid}` is unknown."),
            None => format!("No {algorithm:?} signing key is known."),
        })
    }

    /// The key for `kid` and `algorithm` among the known keys. A token without `kid` may use
    /// the only key of its algorithm.
    fn find(&self, kid: Option<&str>, algorithm: Algorithm) -> Result<Option<DecodingKey>, String> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(|err| err.into_inner())
            .clone();
        match kid {
            Some(kid) => match keys.iter().find(|key| key.kid.as_deref() == Some(kid)) {
                Some(key) if key.algorithm == algorithm => Ok(Some(key.key.clone())),
                Some(key) => Err(format!(
                    "The token is signed with {algorithm:?}, but its key `{kid}` is for {:?}.",
                    key.algorithm
                )),
                None => Ok(None),
            },
            None => {
                let mut candidates = keys.iter().filter(|key| key.algorithm == algorithm);
                match (candidates.next(), candidates.next()) {
                    (Some(key), None) => Ok(Some(key.key.clone())),
                    (Some(_), Some(_)) => Err(
                        "The token names no signing key (`kid`), and several could have signed it."
                            .to_string(),
                    ),
                    (None, _) => Ok(None),
                }
            }
        }
    }
}

/// The usable keys of a JWKS document; an error when it is not one or has none.
fn parse_jwks(body: &[u8]) -> Result<Vec<JwksKey>, String> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_slice(body).map_err(|err| format!("it is not a JWKS: {err}"))?;
    let mut keys = Vec::new();
    for value in document.keys {
        if keys.len() == JWKS_MAX_KEYS {
            break;
        }
        // One key of a kind this gateway cannot read does not spoil the others.
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(ref usage) if *usage != PublicKeyUse::Signature)
        {
            continue;
        }
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
                if ec.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            _ => continue,
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.push(JwksKey {
            kid: jwk.common.key_id.clone(),
            algorithm,
            key,
        });
    }
    if keys.is_empty() {
        return Err("it holds no RS256 or ES256 signing key".to_string());
    }
    Ok(keys)
}

/// Keeps the JWKS fresh: fetches it every [`JWKS_REFRESH`], or every
/// [`JWKS_MIN_INTERVAL`] while fetching fails.
pub(crate) async fn keep_fresh(jwks: Arc<Jwks>, mut healthy: bool) {
    loop {
        tokio::time::sleep(if healthy {
            JWKS_REFRESH
        } else {
            JWKS_MIN_INTERVAL
        })
        .await;
        healthy = match jwks.refresh().await {
            Ok(_) => true,
            Err(err) => {
                tracing::error!(url = %jwks.url, error = %err, "fetching the JWKS failed; RS256 and ES256 tokens with unknown keys are refused until it succeeds");
                false
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_keys_of_other_kinds_are_skipped() {
        let body = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "RSA", "use": "enc", "alg": "RSA-OAEP", "kid": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "crv": "P-384", "kid": "p384",
             "x": "AAAA", "y": "AAAA"},
            {"kty": "RSA", "kid": "sig", "n": "AQAB", "e": "AQAB"},
            {"unrelated": true}
        ]});
        let keys = parse_jwks(body.to_string().as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("sig"));
        assert_eq!(keys[0].algorithm, Algorithm::RS256);
        assert!(parse_jwks(b"{\"keys\": []}").is_err());
        assert!(parse_jwks(b"<html>").is_err());
    }

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
        assert!(signed.expires_at >= now() + PrincipalTokens::MIN_REMAINING_SECS);

        let anonymous = tokens.token_for(&Identity::anonymous()).unwrap();
        assert_ne!(anonymous, first);
        let signed = principal::verify(anonymous.to_str().unwrap(), &secret).unwrap();
        assert_eq!(signed.role, Role::Anonymous);
    }
}

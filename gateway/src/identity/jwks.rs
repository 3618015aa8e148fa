//! The identity provider's public keys (JWKS), for staff tokens signed with RS256 or ES256.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::tls::HttpsClient;

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
/// encryption (`use: enc`) and other algorithms are skipped. Fetched over `https://`
/// (verified against the system's roots and `GATEWAY_TLS_CA_FILE`) or plain `http://`.
pub(crate) struct Jwks {
    url: hyper::Uri,
    client: HttpsClient<Empty<Bytes>>,
    keys: RwLock<Arc<Vec<JwksKey>>>,
    /// When the last fetch for an unknown key was made; held while fetching, so concurrent
    /// requests wait for one fetch instead of each making their own.
    last_unknown_key_fetch: tokio::sync::Mutex<Option<Instant>>,
}

impl Jwks {
    pub(crate) fn new(url: &str, tls: rustls::ClientConfig) -> anyhow::Result<Self> {
        let uri: hyper::Uri = url
            .parse()
            .with_context(|| format!("GATEWAY_JWKS_URL ({url}) is not a URL"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            anyhow::bail!("GATEWAY_JWKS_URL ({url}) must be an https:// or http:// URL");
        }
        Ok(Jwks {
            url: uri,
            client: crate::tls::client(tls),
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
    pub(crate) async fn key(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<DecodingKey, String> {
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
}

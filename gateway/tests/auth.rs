//! Staff authentication at the gateway and the signed principal it forwards: HS256 tokens,
//! RS256 and ES256 tokens against a JWKS served by a local HTTP or HTTPS server (a private
//! CA), every way a token can be wrong, and what the subgraphs receive.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Json, Router};
use common::tls::{serve_tls, TestCa};
use common::{gateway_with, header_subgraph, post_with, serve, ReceivedHeaders};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kexie_contract::principal::{self, PrincipalSecret, Role, PRINCIPAL_HEADER};
use kexie_gateway::{GatewayConfig, GatewayHandle, Secret};
use serde_json::{json, Value};
use uuid::Uuid;

const STAFF_SECRET: &str = "the secret staff tokens are signed with";
const PRINCIPAL_SECRET: &[u8] = b"the secret shared with subgraphs!";
const UNIT: &str = "0195a3c4-8f00-7c3a-9d5e-3b2f1a4c5d6e";
const QUERY: &str = r#"{ unit(id: "1") { name } }"#;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn principal_secret() -> PrincipalSecret {
    PrincipalSecret::new(PRINCIPAL_SECRET).unwrap()
}

/// Claims of a valid staff token; tests change one thing at a time.
fn claims() -> Value {
    json!({ "sub": "wang.fang", "unit": UNIT, "role": "unit_admin", "aud": "kexie", "exp": now() + 600 })
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// An organizations subgraph that answers a unit named by the principal it received.
async fn echo_subgraph() -> (String, ReceivedHeaders) {
    header_subgraph(|headers, _| {
        let principal = headers
            .get(PRINCIPAL_HEADER)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default();
        json!({"data": {"unit": {"name": principal}}})
    })
    .await
}

async fn staff_gateway(
    organizations: &str,
    adjust: impl FnOnce(GatewayConfig) -> GatewayConfig,
) -> GatewayHandle {
    gateway_with(
        "hub.graphql",
        &[("organizations", organizations)],
        |config| {
            let mut config = config.with_principal_secret(principal_secret());
            config.auth.hs256_secret = Some(Secret(STAFF_SECRET.to_string()));
            adjust(config)
        },
    )
    .await
}

/// Sends [`QUERY`] with the headers given; returns (status, headers, body).
async fn ask(
    gateway: &GatewayHandle,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    post_with(gateway, json!({ "query": QUERY }), headers).await
}

/// The principal the subgraph received, read back from the answer and verified.
fn principal_of(body: &Value) -> principal::Principal {
    let token = body["data"]["unit"]["name"].as_str().expect("a unit name");
    principal::verify(token, &principal_secret()).expect("a principal signed by the gateway")
}

#[tokio::test]
async fn a_request_without_a_token_is_anonymous_and_carries_a_signed_principal() {
    let (organizations, _) = echo_subgraph().await;
    let gateway = staff_gateway(&organizations, |config| config).await;
    let (status, _, body) = ask(&gateway, &[]).await;
    assert_eq!(status, 200, "{body}");
    let principal = principal_of(&body);
    assert_eq!(principal.role, Role::Anonymous);
    assert_eq!(principal.subject, "anonymous");
    assert_eq!(principal.unit, None);
    assert_eq!(principal.expires_at - principal.issued_at, 60);
    gateway.stop().await;
}

#[tokio::test]
async fn a_valid_hs256_token_makes_the_principal_that_staff_member() {
    let (organizations, _received) = echo_subgraph().await;
    let gateway = staff_gateway(&organizations, |config| config).await;
    let token = format!("Bearer {}", hs256(&claims(), STAFF_SECRET));
    let (status, _, body) = ask(&gateway, &[("authorization", &token)]).await;
    assert_eq!(status, 200, "{body}");
    let principal = principal_of(&body);
    assert_eq!(principal.subject, "wang.fang");
    assert_eq!(principal.unit, Some(Uuid::parse_str(UNIT).unwrap()));
    assert_eq!(principal.role, Role::UnitAdmin);

    // Every staff role is understood; the scheme is case-insensitive.
    for (name, role) in [
        ("unit_staff", Role::UnitStaff),
        ("leadership", Role::Leadership),
        ("city_admin", Role::CityAdmin),
    ] {
        let mut claims = claims();
        claims["role"] = json!(name);
        let token = format!("bearer {}", hs256(&claims, STAFF_SECRET));
        let (_, _, body) = ask(&gateway, &[("authorization", &token)]).await;
        assert_eq!(principal_of(&body).role, role);
    }
    gateway.stop().await;
}

#[tokio::test]
async fn a_principal_sent_by_a_client_never_reaches_a_subgraph() {
    let (organizations, received) = echo_subgraph().await;
    // Even when configured to forward it.
    let gateway = staff_gateway(&organizations, |mut config| {
        config.forward_headers.push(PRINCIPAL_HEADER.to_string());
        config
    })
    .await;
    let forged = principal::sign(
        &principal::Principal::issue("intruder", Some(Uuid::now_v7()), Role::CityAdmin),
        &principal_secret(),
    )
    .unwrap();
    let (status, _, body) = ask(&gateway, &[(PRINCIPAL_HEADER, &forged)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(principal_of(&body).role, Role::Anonymous);
    assert_eq!(
        received.all()[0].get_all(PRINCIPAL_HEADER).iter().count(),
        1
    );
    gateway.stop().await;
}

#[tokio::test]
async fn one_principal_is_signed_per_request_for_all_its_subgraph_fetches() {
    let (organizations, organizations_received) = echo_subgraph().await;
    let (talent, talent_received) =
        header_subgraph(|_, _| json!({"data": {"worker": {"name": "张三"}}})).await;
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
        |config| config.with_principal_secret(principal_secret()),
    )
    .await;
    let (status, _, body) = post_with(
        &gateway,
        json!({"query": r#"{ unit(id: "1") { name } worker(id: "2") { name } }"#}),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sent_to_organizations = organizations_received.values(PRINCIPAL_HEADER);
    assert_eq!(
        sent_to_organizations,
        talent_received.values(PRINCIPAL_HEADER)
    );
    assert!(principal::verify(&sent_to_organizations[0], &principal_secret()).is_ok());
    gateway.stop().await;
}

/// Asserts a 401 whose message contains `reason`, and that no subgraph was asked.
async fn refused(
    gateway: &GatewayHandle,
    received: &ReceivedHeaders,
    authorization: &str,
    reason: &str,
    challenge: &str,
) {
    let before = received.all().len();
    let (status, headers, body) = ask(gateway, &[("authorization", authorization)]).await;
    assert_eq!(status, 401, "{authorization}: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(reason),
        "expected {reason:?} in {message:?}"
    );
    assert_eq!(
        headers["www-authenticate"],
        format!("Bearer error=\"{challenge}\"")
    );
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        received.all().len(),
        before,
        "a refused request reached a subgraph"
    );
}

#[tokio::test]
async fn bad_hs256_tokens_are_refused_with_401_saying_what_is_wrong() {
    let (organizations, received) = echo_subgraph().await;
    let gateway = staff_gateway(&organizations, |config| config).await;
    let bearer = |claims: &Value| format!("Bearer {}", hs256(claims, STAFF_SECRET));
    let with = |key: &str, value: Value| {
        let mut claims = claims();
        claims[key] = value;
        claims
    };
    let without = |key: &str| {
        let mut claims = claims();
        claims.as_object_mut().unwrap().remove(key);
        claims
    };

    refused(
        &gateway,
        &received,
        &bearer(&with("exp", json!(now() - 3600))),
        "expired",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &format!("Bearer {}", hs256(&claims(), "another secret")),
        "signature",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&with("aud", json!("another-hub"))),
        "audience",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&without("aud")),
        "`aud`",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&without("exp")),
        "`exp`",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        "Bearer not.a.token",
        "malformed",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        "Bearer garbage",
        "malformed",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&with("role", json!("root"))),
        "role `root` is unknown",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&with("role", json!("anonymous"))),
        "role `anonymous` is unknown",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&without("role")),
        "`role`",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&without("unit")),
        "`unit`",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&with("unit", json!("district-3"))),
        "not a UUID",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&without("sub")),
        "`sub`",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &bearer(&with("nbf", json!(now() + 3600))),
        "not valid yet",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        "Basic d2FuZzpwYXNz",
        "Bearer <token>",
        "invalid_request",
    )
    .await;
    refused(
        &gateway,
        &received,
        "Bearer ",
        "Bearer <token>",
        "invalid_request",
    )
    .await;
    gateway.stop().await;
}

#[tokio::test]
async fn tokens_are_refused_for_an_issuer_or_algorithm_not_configured() {
    let (organizations, received) = echo_subgraph().await;
    let gateway = staff_gateway(&organizations, |mut config| {
        config.auth.issuer = Some("https://id.kexie.example".to_string());
        config
    })
    .await;
    let mut issued = claims();
    issued["iss"] = json!("https://id.kexie.example");
    let (status, _, body) = ask(
        &gateway,
        &[(
            "authorization",
            &format!("Bearer {}", hs256(&issued, STAFF_SECRET)),
        )],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    issued["iss"] = json!("https://elsewhere.example");
    refused(
        &gateway,
        &received,
        &format!("Bearer {}", hs256(&issued, STAFF_SECRET)),
        "issued by someone else",
        "invalid_token",
    )
    .await;
    refused(
        &gateway,
        &received,
        &format!("Bearer {}", hs256(&claims(), STAFF_SECRET)),
        "`iss`",
        "invalid_token",
    )
    .await;
    // An HS384 token, and an RS256 token on a gateway without a JWKS.
    let hs384 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS384),
        &issued,
        &EncodingKey::from_secret(STAFF_SECRET.as_bytes()),
    )
    .unwrap();
    refused(
        &gateway,
        &received,
        &format!("Bearer {hs384}"),
        "HS384 are not accepted",
        "invalid_token",
    )
    .await;
    let rs256 = rsa_token(&claims(), Some("rsa"));
    refused(
        &gateway,
        &received,
        &format!("Bearer {rs256}"),
        "does not accept RS256",
        "invalid_token",
    )
    .await;
    gateway.stop().await;

    // Without an HS256 secret, HS256 tokens are refused too.
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations)],
        |config| config,
    )
    .await;
    refused(
        &gateway,
        &received,
        &format!("Bearer {}", hs256(&claims(), STAFF_SECRET)),
        "does not accept HS256",
        "invalid_token",
    )
    .await;
    gateway.stop().await;
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(include_bytes!("fixtures/jwt_rs256.pem")).unwrap()
}

fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(include_bytes!("fixtures/jwt_es256.pem")).unwrap()
}

fn rsa_token(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &rsa_key()).unwrap()
}

fn ec_token(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &ec_key()).unwrap()
}

fn public_jwk(key: &EncodingKey, algorithm: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, algorithm).unwrap();
    jwk.common.key_id = Some(kid.to_string());
    jwk
}

/// A JWKS endpoint serving whatever the test puts in it; counts the fetches.
#[derive(Clone, Default)]
struct JwksServer {
    keys: Arc<Mutex<Vec<Jwk>>>,
    fetches: Arc<Mutex<usize>>,
}

impl JwksServer {
    async fn start(keys: Vec<Jwk>) -> (Self, String) {
        let (server, router) = JwksServer::router(keys);
        // `serve` names the route /graphql; a JWKS can live at any path.
        let url = serve(router).await;
        (server, url)
    }

    /// The same over HTTPS, with a certificate `ca` signs.
    async fn start_over_tls(keys: Vec<Jwk>, ca: &TestCa) -> (Self, String) {
        let (server, router) = JwksServer::router(keys);
        let url = serve_tls(router, ca, None).await;
        (server, url)
    }

    fn router(keys: Vec<Jwk>) -> (Self, Router) {
        let server = JwksServer::default();
        *server.keys.lock().unwrap() = keys;
        let state = server.clone();
        let router = Router::new().route(
            "/graphql",
            get(move || {
                let state = state.clone();
                async move {
                    *state.fetches.lock().unwrap() += 1;
                    Json(JwkSet {
                        keys: state.keys.lock().unwrap().clone(),
                    })
                }
            }),
        );
        (server, router)
    }

    fn fetches(&self) -> usize {
        *self.fetches.lock().unwrap()
    }
}

#[tokio::test]
async fn an_https_jwks_of_a_private_ca_is_trusted_once_its_ca_is_configured() {
    let ca = TestCa::new("Kexie identity provider CA");
    let (organizations, _) = echo_subgraph().await;
    let (jwks, jwks_url) =
        JwksServer::start_over_tls(vec![public_jwk(&rsa_key(), Algorithm::RS256, "rsa")], &ca)
            .await;
    let authorization = format!("Bearer {}", rsa_token(&claims(), Some("rsa")));

    // The provider's certificate is not trusted: the JWKS is never fetched, RS256 tokens
    // are not accepted.
    let gateway = staff_gateway(&organizations, |mut config| {
        config.auth.jwks_url = Some(jwks_url.clone());
        config
    })
    .await;
    let (status, _, body) = ask(&gateway, &[("authorization", &authorization)]).await;
    assert_ne!(status, 200, "{body}");
    assert_eq!(jwks.fetches(), 0, "the TLS handshake should have failed");
    gateway.stop().await;

    // With the private CA trusted, it is fetched over HTTPS and the token verified.
    let gateway = staff_gateway(&organizations, |mut config| {
        config.auth.jwks_url = Some(jwks_url.clone());
        config.with_tls_ca_file(&ca.ca_file)
    })
    .await;
    assert_eq!(jwks.fetches(), 1, "the JWKS is fetched at start");
    let (status, _, body) = ask(&gateway, &[("authorization", &authorization)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(principal_of(&body).subject, "wang.fang");
    gateway.stop().await;
}

#[tokio::test]
async fn rs256_and_es256_tokens_are_checked_against_the_jwks() {
    let (organizations, received) = echo_subgraph().await;
    let (jwks, jwks_url) = JwksServer::start(vec![
        public_jwk(&rsa_key(), Algorithm::RS256, "rsa"),
        public_jwk(&ec_key(), Algorithm::ES256, "ec"),
    ])
    .await;
    let gateway = staff_gateway(&organizations, |mut config| {
        config.auth.jwks_url = Some(jwks_url.clone());
        config
    })
    .await;
    assert_eq!(jwks.fetches(), 1, "the JWKS is fetched at start");

    for token in [
        rsa_token(&claims(), Some("rsa")),
        ec_token(&claims(), Some("ec")),
    ] {
        let (status, _, body) =
            ask(&gateway, &[("authorization", &format!("Bearer {token}"))]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(principal_of(&body).subject, "wang.fang");
    }

    let mut expired = claims();
    expired["exp"] = json!(now() - 3600);
    refused(
        &gateway,
        &received,
        &format!("Bearer {}", rsa_token(&expired, Some("rsa"))),
        "expired",
        "invalid_token",
    )
    .await;
    let mut elsewhere = claims();
    elsewhere["aud"] = json!("another-hub");
    refused(
        &gateway,
        &received,
        &format!("Bearer {}", ec_token(&elsewhere, Some("ec"))),
        "audience",
        "invalid_token",
    )
    .await;
    // A signature by the EC key presented as the RSA key's, and claims changed under a
    // valid signature.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("rsa".to_string());
    let mislabelled = jsonwebtoken::encode(&header, &claims(), &ec_key()).unwrap();
    refused(
        &gateway,
        &received,
        &format!("Bearer {mislabelled}"),
        "is for RS256",
        "invalid_token",
    )
    .await;
    let token = rsa_token(&claims(), Some("rsa"));
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut promoted = claims();
    promoted["role"] = json!("city_admin");
    parts[1] = rsa_token(&promoted, Some("rsa"))
        .split('.')
        .nth(1)
        .unwrap()
        .to_string();
    refused(
        &gateway,
        &received,
        &format!("Bearer {}", parts.join(".")),
        "signature",
        "invalid_token",
    )
    .await;
    gateway.stop().await;
}

#[tokio::test]
async fn an_unknown_key_makes_the_gateway_fetch_the_jwks_again_at_most_once_per_interval() {
    let (organizations, received) = echo_subgraph().await;
    let (jwks, jwks_url) =
        JwksServer::start(vec![public_jwk(&rsa_key(), Algorithm::RS256, "rsa")]).await;
    let gateway = staff_gateway(&organizations, |mut config| {
        config.auth.jwks_url = Some(jwks_url.clone());
        config
    })
    .await;
    // The provider rotates in a new key; the first token signed with it is accepted after
    // one more fetch.
    jwks.keys
        .lock()
        .unwrap()
        .push(public_jwk(&ec_key(), Algorithm::ES256, "ec-2026"));
    let (status, _, body) = ask(
        &gateway,
        &[(
            "authorization",
            &format!("Bearer {}", ec_token(&claims(), Some("ec-2026"))),
        )],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(jwks.fetches(), 2);

    // Made-up key IDs cost no further fetches for a while.
    for kid in ["made-up-1", "made-up-2", "made-up-3"] {
        refused(
            &gateway,
            &received,
            &format!("Bearer {}", ec_token(&claims(), Some(kid))),
            &format!("`{kid}` is unknown"),
            "invalid_token",
        )
        .await;
    }
    assert_eq!(jwks.fetches(), 2);

    // Without a kid, the only key of the token's algorithm signs it.
    let (status, _, body) = ask(
        &gateway,
        &[(
            "authorization",
            &format!("Bearer {}", rsa_token(&claims(), None)),
        )],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    gateway.stop().await;
}

#[tokio::test]
async fn a_jwks_url_neither_https_nor_http_stops_the_gateway_at_start() {
    let mut config = GatewayConfig::new(
        common::fixture("hub.graphql"),
        "127.0.0.1:0".parse().unwrap(),
    );
    config.auth.jwks_url = Some("ftp://id.kexie.example/jwks".to_string());
    let error = kexie_gateway::build(config).await.err().expect("refused");
    assert!(error.to_string().contains("GATEWAY_JWKS_URL"), "{error}");
}

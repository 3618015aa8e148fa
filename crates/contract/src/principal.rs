//! The principal: who a request acts for, as the gateway established it, carried from the
//! gateway to the subgraphs in a short-lived signed token.
//!
//! The gateway authenticates the caller (a staff JWT, or nobody for public reads), then
//! signs one principal per client request and sends it with every subgraph fetch of that
//! request in the [`PRINCIPAL_HEADER`] header. Subgraphs verify it with the same secret
//! and never trust a bare identity header. The gateway always drops a `kexie-principal`
//! header a client sends.
//!
//! Format: a compact JWT, HS256, with the claims `sub`, `unit` (a UUID, absent for
//! anonymous callers), `role` (`anonymous`, `unit_staff`, `unit_admin`, `leadership`,
//! `city_admin`), `iat`, `exp` ([`LIFETIME`] after `iat`) and `aud` = [`AUDIENCE`]. HS256
//! because both ends are ours and share one secret ([`SECRET_VARIABLE`], at least
//! [`MIN_SECRET_BYTES`] bytes): signing and verifying cost a few microseconds, and the
//! gateway signs once per client request, not once per fetch. The short lifetime bounds
//! what a token read from a log or a captured request is worth.
//!
//! Partner bureaus authenticate with API keys; their principal has the role `partner`, the
//! subject `partner:<key id>`, no unit, the key's `scopes` and the `bureau` it speaks for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The header that carries the signed principal from the gateway to a subgraph.
pub const PRINCIPAL_HEADER: &str = "kexie-principal";
/// The `aud` of every principal: only subgraphs accept it (a staff token, meant for the
/// gateway, is never mistaken for one).
pub const AUDIENCE: &str = "kexie-subgraphs";
/// How long a principal is valid after it was issued.
pub const LIFETIME: Duration = Duration::from_secs(60);
/// The environment variable holding the shared secret.
pub const SECRET_VARIABLE: &str = "KEXIE_PRINCIPAL_SECRET";
/// The shortest secret accepted: HS256 wants a key as long as its hash.
pub const MIN_SECRET_BYTES: usize = 32;
/// The clock difference between the gateway and a subgraph tolerated on `exp`.
const LEEWAY_SECS: u64 = 5;

/// What a principal may do, in the broad strokes that come with authentication; which units
/// it may write is decided by the subgraphs from the unit tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Nobody signed in: public reads only (open venues, held activities).
    Anonymous,
    /// Staff of a unit: works on the records of that unit's subtree.
    UnitStaff,
    /// Administrator of a unit: also manages the unit itself and its staff.
    UnitAdmin,
    /// Leadership: reads everything under its unit, writes nothing.
    Leadership,
    /// The city association's administrators: everything.
    CityAdmin,
    /// A partner bureau calling with an API key: what its scopes allow, nothing else.
    Partner,
    /// The gateway itself, calling a subgraph's internal endpoints (checking an API key,
    /// recording a partner call); no GraphQL data.
    Gateway,
}

/// What a partner bureau's API key allows, on top of what the public sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Every venue and activity, not only open venues and held activities.
    #[serde(rename = "venues-activities:read")]
    ReadVenuesAndActivities,
    /// Create activities the bureau co-organizes (its bureau among `partnerBureaus`) and
    /// change or move through their workflow the activities that name it.
    #[serde(rename = "activities:co-organize")]
    CoOrganizeActivities,
    /// Workers' public data: name, gender, titles, fields, flags, units, honors; never
    /// birth year or contact details.
    #[serde(rename = "talent:read-public")]
    ReadPublicTalent,
    /// Submit decision advice (建言献策) to a unit, and follow what it submitted.
    #[serde(rename = "advice:submit")]
    SubmitAdvice,
    /// Enterprises' technology needs, results on offer and their matches (科技局, 工信局
    /// following 供需对接).
    #[serde(rename = "innovation:read")]
    ReadInnovation,
    /// Plan innovation events the bureau co-organizes (its bureau among `partnerBureaus`:
    /// 科技局 and 工信局 co-running 科创会·市州行) and change or move through their workflow
    /// the events that name it.
    #[serde(rename = "innovation-events:co-organize")]
    CoOrganizeInnovationEvents,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::ReadVenuesAndActivities,
        Scope::CoOrganizeActivities,
        Scope::ReadPublicTalent,
        Scope::SubmitAdvice,
        Scope::ReadInnovation,
        Scope::CoOrganizeInnovationEvents,
    ];

    /// The name used in API keys and principals (`venues-activities:read` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadVenuesAndActivities => "venues-activities:read",
            Scope::CoOrganizeActivities => "activities:co-organize",
            Scope::ReadPublicTalent => "talent:read-public",
            Scope::SubmitAdvice => "advice:submit",
            Scope::ReadInnovation => "innovation:read",
            Scope::CoOrganizeInnovationEvents => "innovation-events:co-organize",
        }
    }

    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// The roles a staff token may name.
    pub const STAFF: [Role; 4] = [
        Role::UnitStaff,
        Role::UnitAdmin,
        Role::Leadership,
        Role::CityAdmin,
    ];

    /// The name used in tokens (`unit_staff` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Anonymous => "anonymous",
            Role::UnitStaff => "unit_staff",
            Role::UnitAdmin => "unit_admin",
            Role::Leadership => "leadership",
            Role::CityAdmin => "city_admin",
            Role::Partner => "partner",
            Role::Gateway => "gateway",
        }
    }

    /// The staff role named `name` in a token; `None` for anything else (including
    /// `anonymous`, which no token may claim).
    pub fn staff(name: &str) -> Option<Role> {
        Role::STAFF.into_iter().find(|role| role.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a request acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The subject: a staff member's ID at the identity provider, or `anonymous`.
    pub subject: String,
    /// The unit the subject works for; `None` for anonymous callers.
    pub unit: Option<Uuid>,
    pub role: Role,
    /// What a partner's key allows; empty for everyone else.
    pub scopes: Vec<Scope>,
    /// The partner bureau a key speaks for (a `PartnerBureau` name such as `AGRICULTURE`);
    /// `None` for everyone else.
    pub bureau: Option<String>,
    /// When it was issued, in seconds since the Unix epoch.
    pub issued_at: u64,
    /// When it stops being valid, in seconds since the Unix epoch.
    pub expires_at: u64,
}

impl Principal {
    /// A principal issued now, valid for [`LIFETIME`].
    pub fn issue(subject: impl Into<String>, unit: Option<Uuid>, role: Role) -> Self {
        let now = now();
        Principal {
            subject: subject.into(),
            unit,
            role,
            scopes: Vec::new(),
            bureau: None,
            issued_at: now,
            expires_at: now + LIFETIME.as_secs(),
        }
    }

    /// The principal of a partner bureau's API key `key_id`, issued now.
    pub fn partner(key_id: Uuid, bureau: impl Into<String>, scopes: Vec<Scope>) -> Self {
        Principal {
            scopes,
            bureau: Some(bureau.into()),
            ..Principal::issue(format!("partner:{key_id}"), None, Role::Partner)
        }
    }

    /// Whether this is a partner whose key has `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.role == Role::Partner && self.scopes.contains(&scope)
    }

    /// The principal of a caller who did not sign in, issued now.
    pub fn anonymous() -> Self {
        Principal::issue("anonymous", None, Role::Anonymous)
    }

    pub fn is_anonymous(&self) -> bool {
        self.role == Role::Anonymous
    }
}

/// The claims as they travel.
#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<Uuid>,
    role: Role,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bureau: Option<String>,
    iat: u64,
    exp: u64,
    aud: String,
}

/// The secret shared by the gateway and the subgraphs. Its `Debug` output never shows it.
#[derive(Clone)]
pub struct PrincipalSecret {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for PrincipalSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrincipalSecret(..)")
    }
}

impl PrincipalSecret {
    /// The secret `bytes`; at least [`MIN_SECRET_BYTES`] long.
    pub fn new(bytes: &[u8]) -> Result<Self, PrincipalError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(PrincipalError::SecretTooShort { bytes: bytes.len() });
        }
        Ok(PrincipalSecret {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
        })
    }

    /// A random secret, for a process that runs every component itself (`kexie serve`) and
    /// for tests.
    pub fn generate() -> Self {
        let mut bytes = [0u8; MIN_SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        PrincipalSecret {
            encoding: EncodingKey::from_secret(&bytes),
            decoding: DecodingKey::from_secret(&bytes),
        }
    }

    /// The secret in [`SECRET_VARIABLE`]; `None` when it is unset or empty, an error naming
    /// the variable when it is too short.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        match std::env::var(SECRET_VARIABLE) {
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) => match PrincipalSecret::new(value.as_bytes()) {
                Ok(secret) => Ok(Some(secret)),
                Err(err) => anyhow::bail!("{SECRET_VARIABLE}: {err}"),
            },
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                anyhow::bail!("{SECRET_VARIABLE} is not valid UTF-8")
            }
        }
    }
}

/// Why a principal was refused (or a secret, or signing failed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    #[error("the request carries no {PRINCIPAL_HEADER} header")]
    Missing,
    #[error("the principal has expired")]
    Expired,
    #[error("the principal's signature is not valid")]
    BadSignature,
    #[error("the principal is not meant for the subgraphs (audience)")]
    WrongAudience,
    #[error("the principal is malformed: {0}")]
    Malformed(String),
    #[error("the secret is {bytes} bytes long; at least {MIN_SECRET_BYTES} are required")]
    SecretTooShort { bytes: usize },
    #[error("the principal could not be signed: {0}")]
    Signing(String),
}

/// The principal as a compact JWT, for the [`PRINCIPAL_HEADER`] header.
pub fn sign(principal: &Principal, secret: &PrincipalSecret) -> Result<String, PrincipalError> {
    let claims = Claims {
        sub: principal.subject.clone(),
        unit: principal.unit,
        role: principal.role,
        scopes: principal.scopes.clone(),
        bureau: principal.bureau.clone(),
        iat: principal.issued_at,
        exp: principal.expires_at,
        aud: AUDIENCE.to_string(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &secret.encoding)
        .map_err(|err| PrincipalError::Signing(err.to_string()))
}

/// The principal in `token`, if the token is well formed, signed with `secret`, meant for
/// the subgraphs and not expired.
pub fn verify(token: &str, secret: &PrincipalSecret) -> Result<Principal, PrincipalError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    let data =
        jsonwebtoken::decode::<Claims>(token, &secret.decoding, &validation).map_err(|err| {
            match err.kind() {
                ErrorKind::ExpiredSignature => PrincipalError::Expired,
                ErrorKind::InvalidSignature => PrincipalError::BadSignature,
                ErrorKind::InvalidAudience => PrincipalError::WrongAudience,
                ErrorKind::InvalidAlgorithm => {
                    PrincipalError::Malformed("it is not signed with HS256".to_string())
                }
                _ => PrincipalError::Malformed(err.to_string()),
            }
        })?;
    let claims = data.claims;
    if Role::STAFF.contains(&claims.role) && claims.unit.is_none() {
        return Err(PrincipalError::Malformed(format!(
            "a {} principal names no unit",
            claims.role
        )));
    }
    Ok(Principal {
        subject: claims.sub,
        unit: claims.unit,
        role: claims.role,
        scopes: claims.scopes,
        bureau: claims.bureau,
        issued_at: claims.iat,
        expires_at: claims.exp,
    })
}

/// The principal of an HTTP request, verified; [`PrincipalError::Missing`] when it carries
/// none.
pub fn from_headers(
    headers: &HeaderMap,
    secret: &PrincipalSecret,
) -> Result<Principal, PrincipalError> {
    let value = headers
        .get(PRINCIPAL_HEADER)
        .ok_or(PrincipalError::Missing)?;
    let token = value
        .to_str()
        .map_err(|_| PrincipalError::Malformed("the header is not ASCII".to_string()))?;
    verify(token, secret)
}

/// A staff token (HS256, signed with `secret`) as an identity provider would issue it for
/// the gateway: claims `sub`, `unit`, `role`, `aud` = `audience`, `iat`, `exp` = now +
/// `lifetime`. For `kexie token`, the demo of `kexie serve` and tests; production tokens
/// come from the identity provider.
pub fn staff_token(
    secret: &[u8],
    audience: &str,
    subject: &str,
    unit: Uuid,
    role: Role,
    lifetime: Duration,
) -> Result<String, PrincipalError> {
    let issued_at = now();
    let claims = serde_json::json!({
        "sub": subject,
        "unit": unit,
        "role": role,
        "aud": audience,
        "iat": issued_at,
        "exp": issued_at + lifetime.as_secs(),
    });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|err| PrincipalError::Signing(err.to_string()))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> PrincipalSecret {
        PrincipalSecret::new(b"a secret of thirty-two bytes!!!!").unwrap()
    }

    fn staff() -> Principal {
        Principal::issue("li.na", Some(Uuid::now_v7()), Role::UnitAdmin)
    }

    #[test]
    fn a_signed_principal_verifies_to_itself() {
        let principal = staff();
        let token = sign(&principal, &secret()).unwrap();
        assert_eq!(verify(&token, &secret()), Ok(principal));
        let anonymous = Principal::anonymous();
        let token = sign(&anonymous, &secret()).unwrap();
        let verified = verify(&token, &secret()).unwrap();
        assert!(verified.is_anonymous());
        assert_eq!(verified.unit, None);
        assert_eq!(verified.expires_at - verified.issued_at, LIFETIME.as_secs());
    }

    #[test]
    fn a_partner_principal_keeps_its_scopes_and_bureau() {
        let partner = Principal::partner(
            Uuid::now_v7(),
            "AGRICULTURE",
            vec![Scope::CoOrganizeActivities, Scope::ReadPublicTalent],
        );
        let verified = verify(&sign(&partner, &secret()).unwrap(), &secret()).unwrap();
        assert_eq!(verified, partner);
        assert!(verified.has_scope(Scope::ReadPublicTalent));
        assert!(!verified.has_scope(Scope::SubmitAdvice));
        assert_eq!(Scope::parse("advice:submit"), Some(Scope::SubmitAdvice));
    }

    #[test]
    fn a_principal_signed_with_another_secret_is_refused() {
        let token = sign(&staff(), &PrincipalSecret::generate()).unwrap();
        assert_eq!(verify(&token, &secret()), Err(PrincipalError::BadSignature));
    }

    #[test]
    fn a_changed_principal_is_refused() {
        let token = sign(&staff(), &secret()).unwrap();
        let forged = Principal {
            role: Role::CityAdmin,
            ..staff()
        };
        let forged_claims = sign(&forged, &PrincipalSecret::generate()).unwrap();
        // The forged claims under the original signature.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged_parts: Vec<&str> = forged_claims.split('.').collect();
        parts[1] = forged_parts[1];
        assert_eq!(
            verify(&parts.join("."), &secret()),
            Err(PrincipalError::BadSignature)
        );
    }

    #[test]
    fn an_expired_principal_is_refused() {
        let principal = Principal {
            issued_at: now() - 600,
            expires_at: now() - 540,
            ..staff()
        };
        let token = sign(&principal, &secret()).unwrap();
        assert_eq!(verify(&token, &secret()), Err(PrincipalError::Expired));
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        let claims = serde_json::json!({
            "sub": "li.na", "role": "unit_staff", "unit": Uuid::now_v7(),
            "iat": now(), "exp": now() + 60, "aud": "kexie"
        });
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"a secret of thirty-two bytes!!!!"),
        )
        .unwrap();
        assert_eq!(
            verify(&token, &secret()),
            Err(PrincipalError::WrongAudience)
        );
    }

    #[test]
    fn garbage_and_missing_headers_are_refused() {
        assert!(matches!(
            verify("not a token", &secret()),
            Err(PrincipalError::Malformed(_))
        ));
        assert_eq!(
            from_headers(&HeaderMap::new(), &secret()),
            Err(PrincipalError::Missing)
        );
        let mut headers = HeaderMap::new();
        let token = sign(&staff(), &secret()).unwrap();
        headers.insert(PRINCIPAL_HEADER, token.parse().unwrap());
        assert_eq!(
            from_headers(&headers, &secret()).map(|p| p.role),
            Ok(Role::UnitAdmin)
        );
    }

    #[test]
    fn secrets_shorter_than_32_bytes_are_refused() {
        assert_eq!(
            PrincipalSecret::new(b"short").err(),
            Some(PrincipalError::SecretTooShort { bytes: 5 })
        );
        assert_eq!(format!("{:?}", secret()), "PrincipalSecret(..)");
    }

    #[test]
    fn roles_read_from_tokens_are_staff_roles_only() {
        assert_eq!(Role::staff("city_admin"), Some(Role::CityAdmin));
        assert_eq!(Role::staff("anonymous"), None);
        assert_eq!(Role::staff("root"), None);
    }
}

//! API keys of partner bureaus and the log of their calls.
//!
//! A key is `kx_<key id as 32 hex>_<secret>`, the secret being 32 random bytes in URL-safe
//! base64 without padding (43 characters). It is shown once, when it is created; the
//! database keeps the key id, the SHA-256 of the whole key and a display prefix
//! (`kx_<first 8 hex>…`). Checking a key looks its row up by the id it carries and compares
//! the hashes in constant time, so a check costs one primary-key lookup and reveals nothing
//! through its timing. Keys are never changed: a key with other scopes or another limit is
//! a new key, and the old one is revoked.
//!
//! The validation of new keys lives here too, so that the GraphQL mutation and the `kexie
//! api-key` command refuse the same inputs.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_contract::principal::Scope;
use kexie_subgraph_kit::bureau::PartnerBureau;
use kexie_subgraph_kit::page::PageArgs;
use kexie_subgraph_kit::{validate, ApiError, ApiResult};

/// The prefix of every key.
pub const KEY_PREFIX: &str = "kx_";
/// The default limit of a new key.
pub const DEFAULT_REQUESTS_PER_MINUTE: i32 = 600;
/// The highest limit a key may have.
pub const MAX_REQUESTS_PER_MINUTE: i32 = 100_000;
/// The longest name of a key.
const MAX_NAME_CHARS: usize = 200;
/// Characters of the secret part: 32 bytes in base64 without padding.
const SECRET_CHARS: usize = 43;

const COLUMNS: &str = "api_key_id, display_prefix, name, bureau, scopes, requests_per_minute,
    version, created_at, created_by, revoked_at, revoked_by";
const CALL_COLUMNS: &str =
    "partner_call_id, api_key_id, operation, called_at, outcome, status, duration_ms";

/// A key as stored, without its hash.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub api_key_id: Uuid,
    pub display_prefix: String,
    pub name: String,
    pub bureau: String,
    pub scopes: Vec<String>,
    pub requests_per_minute: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

/// A new key's settings, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub bureau: String,
    pub scopes: Vec<Scope>,
    pub requests_per_minute: i32,
}

impl NewApiKey {
    /// Validates the settings of a new key: a name, a known bureau, at least one known
    /// scope, a limit in 1..=100000 requests per minute (600 when not given).
    pub fn parse(
        name: &str,
        bureau: &str,
        scopes: &[String],
        requests_per_minute: Option<i32>,
    ) -> ApiResult<NewApiKey> {
        let name = validate::text("name", name, MAX_NAME_CHARS)?;
        let bureau = bureau.trim();
        if PartnerBureau::parse(bureau).is_none() {
            let known: Vec<&str> = PartnerBureau::ALL.iter().map(|b| b.as_str()).collect();
            return Err(ApiError::validation(
                "bureau",
                kexie_subgraph_kit::text!(
                    "`{bureau}` is not a partner bureau; it must be one of {}",
                    "`{bureau}` 不是合作部门，须为以下之一：{}",
                    known.join(", ")
                ),
            ));
        }
        if scopes.is_empty() {
            return Err(ApiError::validation(
                "scopes",
                kexie_subgraph_kit::text!("name at least one scope: a key without scopes reads only what the public reads", "请至少指定一项权限：没有权限的密钥只能读取公众可见的内容"),
            ));
        }
        let mut parsed = Vec::new();
        for name in scopes {
            let scope = Scope::parse(name.trim()).ok_or_else(|| {
                ApiError::validation(
                    "scopes",
                    kexie_subgraph_kit::text!(
                        "`{name}` is not a scope; it must be one of {}",
                        "`{name}` 不是权限，须为以下之一：{}",
                        Scope::ALL.map(Scope::as_str).join(", ")
                    ),
                )
            })?;
            if !parsed.contains(&scope) {
                parsed.push(scope);
            }
        }
        let requests_per_minute = requests_per_minute.unwrap_or(DEFAULT_REQUESTS_PER_MINUTE);
        if !(1..=MAX_REQUESTS_PER_MINUTE).contains(&requests_per_minute) {
            return Err(ApiError::validation(
                "requestsPerMinute",
                kexie_subgraph_kit::text!(
                    "must be between 1 and {MAX_REQUESTS_PER_MINUTE}",
                    "须在 1 到 {MAX_REQUESTS_PER_MINUTE} 之间"
                ),
            ));
        }
        Ok(NewApiKey {
            name,
            bureau: bureau.to_string(),
            scopes: parsed,
            requests_per_minute,
        })
    }
}

/// A freshly generated key: the text shown once, and what is stored of it.
pub struct GeneratedKey {
    pub key_id: Uuid,
    /// The whole key, `kx_…`; never stored.
    pub key: String,
    pub hash: [u8; 32],
    pub display_prefix: String,
}

impl GeneratedKey {
    pub fn generate() -> GeneratedKey {
        let key_id = kexie_subgraph_kit::id::new_id();
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let key = format!("{KEY_PREFIX}{}_{}", key_id.simple(), base64_url(&secret));
        GeneratedKey {
            key_id,
            hash: hash(&key),
            display_prefix: display_prefix(key_id),
            key,
        }
    }
}

/// `kx_<first 8 hex of the id>…`.
pub fn display_prefix(key_id: Uuid) -> String {
    let hex = key_id.simple().to_string();
    format!("{KEY_PREFIX}{}…", &hex[..8])
}

/// The SHA-256 of a whole key.
pub fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The key id a key carries, if it has the shape of a key.
pub fn key_id_of(key: &str) -> Option<Uuid> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || !id.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    if secret.len() != SECRET_CHARS
        || !secret
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    {
        return None;
    }
    Uuid::parse_str(id).ok()
}

/// Whether two hashes are equal, in time independent of where they differ.
pub fn hashes_match(stored: &[u8], presented: &[u8; 32]) -> bool {
    if stored.len() != presented.len() {
        return false;
    }
    let difference = stored
        .iter()
        .zip(presented)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    // Keep the comparison from being turned into an early exit.
    std::hint::black_box(difference) == 0
}

/// URL-safe base64 without padding.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for sextet in &sextets[..chunk.len() + 1] {
            out.push(char::from(ALPHABET[*sextet as usize]));
        }
    }
    out
}

/// Creates a key for `new`, recorded as created by `actor`; returns its row and the key,
/// which exists nowhere else from then on.
pub async fn create(
    pool: &PgPool,
    new: &NewApiKey,
    actor: &str,
) -> sqlx::Result<(ApiKeyRow, String)> {
    let generated = GeneratedKey::generate();
    let scopes: Vec<&str> = new.scopes.iter().map(|scope| scope.as_str()).collect();
    let row = sqlx::query_as(&format!(
        "insert into api_key (api_key_id, key_hash, display_prefix, name, bureau, scopes,
             requests_per_minute, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning {COLUMNS}"
    ))
    .bind(generated.key_id)
    .bind(&generated.hash[..])
    .bind(&generated.display_prefix)
    .bind(&new.name)
    .bind(&new.bureau)
    .bind(&scopes)
    .bind(new.requests_per_minute)
    .bind(actor)
    .fetch_one(pool)
    .await?;
    Ok((row, generated.key))
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<ApiKeyRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from api_key where api_key_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// Keys, newest first; revoked ones only with `include_revoked`.
pub async fn list(
    pool: &PgPool,
    include_revoked: bool,
    page: PageArgs,
) -> sqlx::Result<Vec<ApiKeyRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from api_key
         where ($1 or revoked_at is null) and ($2::uuid is null or api_key_id < $2)
         order by api_key_id desc limit $3"
    ))
    .bind(include_revoked)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await
}

/// How many keys the list shows over all pages (`totalCount`).
pub async fn count(pool: PgPool, include_revoked: bool) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from api_key where ($1 or revoked_at is null)")
        .bind(include_revoked)
        .fetch_one(&pool)
        .await
}

/// Revokes a key (a key revoked before keeps its first revocation); `None` when there is
/// no such key.
pub async fn revoke(pool: &PgPool, key_id: Uuid, actor: &str) -> sqlx::Result<Option<ApiKeyRow>> {
    sqlx::query_as(&format!(
        "update api_key set revoked_at = coalesce(revoked_at, now()),
             revoked_by = coalesce(revoked_by, $2),
             updated_by = case when revoked_at is null then $2 else updated_by end,
             version = case when revoked_at is null then version + 1 else version end
         where api_key_id = $1 returning {COLUMNS}"
    ))
    .bind(key_id)
    .bind(actor)
    .fetch_optional(pool)
    .await
}

/// What checking a presented key found.
#[derive(Clone, Debug)]
pub enum Verification {
    /// A live key.
    Valid(ApiKeyRow),
    /// The key was issued and has been revoked.
    Revoked(Uuid),
    /// Not a key this hub issued (malformed, an unknown id, or a wrong secret).
    Unknown,
}

/// Checks a presented key: its row by the id it carries, then the hash of the whole key
/// against the stored one in constant time.
pub async fn verify(pool: &PgPool, key: &str) -> sqlx::Result<Verification> {
    let Some(key_id) = key_id_of(key) else {
        return Ok(Verification::Unknown);
    };
    let found: Option<(Vec<u8>, ApiKeyRow)> = sqlx::query_as::<_, KeyWithHash>(&format!(
        "select key_hash, {COLUMNS} from api_key where api_key_id = $1"
    ))
    .bind(key_id)
    .fetch_optional(pool)
    .await?
    .map(|row| (row.key_hash, row.key));
    let Some((stored, row)) = found else {
        return Ok(Verification::Unknown);
    };
    if !hashes_match(&stored, &hash(key)) {
        return Ok(Verification::Unknown);
    }
    Ok(match row.revoked_at {
        Some(_) => Verification::Revoked(row.api_key_id),
        None => Verification::Valid(row),
    })
}

#[derive(sqlx::FromRow)]
struct KeyWithHash {
    key_hash: Vec<u8>,
    #[sqlx(flatten)]
    key: ApiKeyRow,
}

/// How a partner call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// Answered without errors.
    Ok,
    /// Answered with GraphQL errors, or refused before execution.
    Errors,
    /// Over the key's limit: HTTP 429.
    RateLimited,
    /// The key is revoked: HTTP 401.
    Refused,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 4] = [
        CallOutcome::Ok,
        CallOutcome::Errors,
        CallOutcome::RateLimited,
        CallOutcome::Refused,
    ];

    /// The name stored and sent by the gateway (`ok`, `errors`, `rate_limited`, `refused`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Errors => "errors",
            CallOutcome::RateLimited => "rate_limited",
            CallOutcome::Refused => "refused",
        }
    }

    pub fn parse(name: &str) -> Option<CallOutcome> {
        CallOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }
}

/// One call of a partner, as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartnerCallRow {
    pub partner_call_id: Uuid,
    pub api_key_id: Uuid,
    pub operation: Option<String>,
    pub called_at: DateTime<Utc>,
    pub outcome: String,
    pub status: i32,
    pub duration_ms: i32,
}

/// A call to record.
#[derive(Clone, Debug)]
pub struct NewPartnerCall {
    pub api_key_id: Uuid,
    pub operation: Option<String>,
    pub called_at: DateTime<Utc>,
    pub outcome: CallOutcome,
    pub status: i32,
    pub duration_ms: i32,
}

/// Records a call; `None` when the key does not exist.
pub async fn record_call(
    pool: &PgPool,
    call: &NewPartnerCall,
) -> sqlx::Result<Option<PartnerCallRow>> {
    // The ID carries the time of the call, so the log lists calls in the order they were
    // made, whenever the gateway got round to reporting them.
    let call_id = kexie_subgraph_kit::id::id_at(call.called_at, &mut rand::thread_rng());
    sqlx::query_as(&format!(
        "insert into partner_call (partner_call_id, api_key_id, operation, called_at, outcome,
             status, duration_ms)
         select $1, api_key_id, $3, $4, $5, $6, $7 from api_key where api_key_id = $2
         returning {CALL_COLUMNS}"
    ))
    .bind(call_id)
    .bind(call.api_key_id)
    .bind(&call.operation)
    .bind(call.called_at)
    .bind(call.outcome.as_str())
    .bind(call.status)
    .bind(call.duration_ms)
    .fetch_optional(pool)
    .await
}

/// Calls, newest first, of one key or of all.
pub async fn list_calls(
    pool: &PgPool,
    key_id: Option<Uuid>,
    page: PageArgs,
) -> sqlx::Result<Vec<PartnerCallRow>> {
    sqlx::query_as(&format!(
        "select {CALL_COLUMNS} from partner_call
         where ($1::uuid is null or api_key_id = $1) and ($2::uuid is null or partner_call_id < $2)
         order by partner_call_id desc limit $3"
    ))
    .bind(key_id)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await
}

/// How many calls the log shows over all pages (`totalCount`).
pub async fn count_calls(pool: PgPool, key_id: Option<Uuid>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from partner_call where ($1::uuid is null or api_key_id = $1)",
    )
    .bind(key_id)
    .fetch_one(&pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_has_the_documented_shape_and_carries_its_id() {
        let generated = GeneratedKey::generate();
        assert!(generated.key.starts_with("kx_"));
        assert_eq!(generated.key.len(), 3 + 32 + 1 + 43);
        assert_eq!(key_id_of(&generated.key), Some(generated.key_id));
        assert_eq!(generated.hash, hash(&generated.key));
        assert!(hashes_match(&generated.hash, &hash(&generated.key)));
        assert!(!hashes_match(&generated.hash, &hash("kx_other")));
        assert_eq!(
            generated.display_prefix,
            format!("kx_{}…", &generated.key_id.simple().to_string()[..8])
        );
        assert_ne!(GeneratedKey::generate().key, generated.key);
    }

    #[test]
    fn base64_is_url_safe_and_unpadded() {
        assert_eq!(base64_url(b""), "");
        assert_eq!(base64_url(b"f"), "Zg");
        assert_eq!(base64_url(b"foob"), "Zm9vYg");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64_url(&[7u8; 32]).len(), 43);
    }

    #[test]
    fn malformed_keys_carry_no_id() {
        assert_eq!(key_id_of("kx_abc_def"), None);
        assert_eq!(key_id_of(""), None);
        let generated = GeneratedKey::generate();
        assert_eq!(key_id_of(&generated.key[..generated.key.len() - 1]), None);
        assert_eq!(key_id_of(&generated.key.replacen("kx_", "kk_", 1)), None);
    }

    #[test]
    fn new_keys_need_a_name_a_bureau_known_scopes_and_a_sane_limit() {
        let scopes = vec!["talent:read-public".to_string()];
        let key = NewApiKey::parse(" 教育局 ", "EDUCATION", &scopes, None).unwrap();
        assert_eq!(key.name, "教育局");
        assert_eq!(key.requests_per_minute, 600);
        assert_eq!(key.scopes, vec![Scope::ReadPublicTalent]);
        let field = |result: ApiResult<NewApiKey>| match result {
            Err(ApiError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(
            field(NewApiKey::parse(" ", "EDUCATION", &scopes, None)),
            "name"
        );
        assert_eq!(
            field(NewApiKey::parse("a", "POLICE", &scopes, None)),
            "bureau"
        );
        assert_eq!(
            field(NewApiKey::parse("a", "EDUCATION", &[], None)),
            "scopes"
        );
        assert_eq!(
            field(NewApiKey::parse(
                "a",
                "EDUCATION",
                &["root".to_string()],
                None
            )),
            "scopes"
        );
        assert_eq!(
            field(NewApiKey::parse("a", "EDUCATION", &scopes, Some(0))),
            "requestsPerMinute"
        );
        assert_eq!(
            field(NewApiKey::parse("a", "EDUCATION", &scopes, Some(100_001))),
            "requestsPerMinute"
        );
    }
}

//! API keys of partner bureaus (教育局, 农业农村局 …) and the log of their calls, managed by
//! the city association's administrators only: every field here refuses anyone else with
//! `FORBIDDEN` before it reads or writes anything. The key itself is in the answer of
//! `createApiKey` and nowhere else, ever; its hash is never exposed. See
//! [`crate::db::api_keys`] for the format and how keys are checked.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use kexie_subgraph_kit::id::{parse_id, parse_optional_id};
use kexie_subgraph_kit::page::{connection, with_total, PageArgs, RecordPage, TotalCount};
use kexie_subgraph_kit::{Actor, ApiError, ApiResult};

use super::pool;
use crate::db;
use crate::db::api_keys::{ApiKeyRow, CallOutcome, NewApiKey, PartnerCallRow};
use crate::policy::require_city_admin;

/// A partner bureau's API key (never the key itself).
#[Object(name = "ApiKey")]
impl ApiKeyRow {
    async fn id(&self) -> ID {
        ID(self.api_key_id.to_string())
    }
    /// What the key is for, as its creator named it.
    async fn name(&self) -> &str {
        &self.name
    }
    /// The partner bureau the key speaks for (a `PartnerBureau` value: EDUCATION,
    /// AGRICULTURE …).
    async fn bureau(&self) -> &str {
        &self.bureau
    }
    /// What the key allows beyond the public: `venues-activities:read`,
    /// `activities:co-organize`, `talent:read-public`, `advice:submit`, `innovation:read`,
    /// `innovation-events:co-organize`.
    async fn scopes(&self) -> &[String] {
        &self.scopes
    }
    /// Requests allowed per minute; the gateway answers 429 past it.
    async fn requests_per_minute(&self) -> i32 {
        self.requests_per_minute
    }
    /// The start of the key (`kx_<first 8 hex of its ID>…`), to recognise it.
    async fn prefix(&self) -> &str {
        &self.display_prefix
    }
    async fn revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
    async fn version(&self) -> i32 {
        self.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    async fn created_by(&self) -> &str {
        &self.created_by
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.revoked_at
    }
    async fn revoked_by(&self) -> Option<&str> {
        self.revoked_by.as_deref()
    }
}

/// A key just created: `key` is shown this once and cannot be read again.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The whole key, `kx_…`, to give to the partner bureau; sent in the `x-api-key`
    /// header of its requests to the gateway.
    key: String,
    api_key: ApiKeyRow,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// What the key is for (1 to 200 characters).
    pub name: String,
    /// The partner bureau it speaks for: EDUCATION, AGRICULTURE, VETERAN_CADRES,
    /// WOMENS_FEDERATION, SCIENCE_TECHNOLOGY, INDUSTRY_IT, ORGANIZATION_DEPARTMENT, HEALTH
    /// or OTHER.
    pub bureau: String,
    /// At least one of `venues-activities:read`, `activities:co-organize`,
    /// `talent:read-public`, `advice:submit`, `innovation:read`,
    /// `innovation-events:co-organize`.
    pub scopes: Vec<String>,
    /// 1 to 100000; 600 when not given.
    pub requests_per_minute: Option<i32>,
}

/// How a partner call ended.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PartnerCallOutcome {
    /// Answered without errors.
    Ok,
    /// Answered with GraphQL errors, or refused before execution (a bad request).
    Errors,
    /// Over the key's limit: HTTP 429.
    RateLimited,
    /// The key was revoked: HTTP 401.
    Refused,
}

/// One request a partner made with a key, as the gateway recorded it.
#[Object(name = "PartnerCall")]
impl PartnerCallRow {
    async fn id(&self) -> ID {
        ID(self.partner_call_id.to_string())
    }
    /// The key the call was made with.
    async fn key_id(&self) -> ID {
        ID(self.api_key_id.to_string())
    }
    /// The operation's name; null for anonymous operations.
    async fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }
    async fn called_at(&self) -> DateTime<Utc> {
        self.called_at
    }
    async fn outcome(&self) -> ApiResult<PartnerCallOutcome> {
        match CallOutcome::parse(&self.outcome) {
            Some(CallOutcome::Ok) => Ok(PartnerCallOutcome::Ok),
            Some(CallOutcome::Errors) => Ok(PartnerCallOutcome::Errors),
            Some(CallOutcome::RateLimited) => Ok(PartnerCallOutcome::RateLimited),
            Some(CallOutcome::Refused) => Ok(PartnerCallOutcome::Refused),
            None => Err(ApiError::internal(format!(
                "partner call {} has the unknown outcome {}",
                self.partner_call_id, self.outcome
            ))),
        }
    }
    /// The HTTP status of the answer.
    async fn status(&self) -> i32 {
        self.status
    }
    /// How long the gateway took to answer, in milliseconds.
    async fn duration_ms(&self) -> i32 {
        self.duration_ms
    }
}

#[derive(Default)]
pub struct ApiKeyQuery;

#[Object]
impl ApiKeyQuery {
    /// Partner bureaus' API keys, newest first (city administrators only).
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] include_revoked: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<RecordPage<ApiKeyRow>> {
        require_city_admin(ctx, "the list of API keys")?;
        let page = PageArgs::parse(first, after, None, None)?;
        let include_revoked = include_revoked.unwrap_or(false);
        let pool = pool(ctx)?.clone();
        let rows = db::api_keys::list(&pool, include_revoked, page).await?;
        let total =
            TotalCount::counted_by(move || db::api_keys::count(pool.clone(), include_revoked));
        Ok(with_total(
            connection(rows, &page, |row| row.api_key_id),
            total,
        ))
    }

    /// Calls made with partner keys, newest first: of one key with `keyId`, else of all
    /// (city administrators only).
    async fn partner_calls(
        &self,
        ctx: &Context<'_>,
        key_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<RecordPage<PartnerCallRow>> {
        require_city_admin(ctx, "the log of partner calls")?;
        let key_id = parse_optional_id("keyId", key_id.as_ref())?;
        let page = PageArgs::parse(first, after, None, None)?;
        let pool = pool(ctx)?.clone();
        let rows = db::api_keys::list_calls(&pool, key_id, page).await?;
        let total = TotalCount::counted_by(move || db::api_keys::count_calls(pool.clone(), key_id));
        Ok(with_total(
            connection(rows, &page, |row| row.partner_call_id),
            total,
        ))
    }
}

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    /// Creates an API key for a partner bureau; the answer holds the key, shown this once
    /// (city administrators only).
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> ApiResult<CreatedApiKey> {
        require_city_admin(ctx, "creating an API key")?;
        let new = NewApiKey::parse(
            &input.name,
            &input.bureau,
            &input.scopes,
            input.requests_per_minute,
        )?;
        let actor = Actor::of(ctx);
        let (api_key, key) = db::api_keys::create(pool(ctx)?, &new, &actor.subject).await?;
        tracing::info!(key_id = %api_key.api_key_id, bureau = %api_key.bureau, actor = %actor.subject, "API key created");
        Ok(CreatedApiKey { key, api_key })
    }

    /// Revokes a key: the gateway refuses it from the very next request. Revoking a revoked
    /// key changes nothing (city administrators only).
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ApiKeyRow> {
        require_city_admin(ctx, "revoking an API key")?;
        let key_id = parse_id("id", &id)?;
        let actor = Actor::of(ctx);
        let revoked = db::api_keys::revoke(pool(ctx)?, key_id, &actor.subject)
            .await?
            .ok_or_else(|| ApiError::not_found("ApiKey", key_id))?;
        tracing::info!(key_id = %key_id, actor = %actor.subject, "API key revoked");
        Ok(revoked)
    }
}

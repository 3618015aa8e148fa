//! Leadership roles: chair, vice chairs, secretary-general; at township level the three
//! heads (三长: hospital director, school principal, head of the agricultural station) serve
//! as vice chairs.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, NaiveDate, Utc};

use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::pool;
use super::units::unit_of;
use crate::db;
use crate::db::leaders::{LeadershipRoleFields, LeadershipRoleRow};
use crate::db::terms::TermRow;
use crate::db::units::UnitRow;
use crate::domain::{LeaderRole, ThreeHeadsPost, UnitKind};
use crate::policy::require_administer;

#[Object(name = "LeadershipRole")]
impl LeadershipRoleRow {
    async fn id(&self) -> ID {
        ID(self.leadership_role_id.to_string())
    }
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<UnitRow> {
        unit_of(ctx, self.unit_id).await
    }
    async fn term(&self, ctx: &Context<'_>) -> ApiResult<Option<TermRow>> {
        match self.term_id {
            Some(term_id) => Ok(db::terms::find(pool(ctx)?, &[term_id]).await?.pop()),
            None => Ok(None),
        }
    }
    async fn person_name(&self) -> &str {
        &self.person_name
    }
    async fn role(&self) -> LeaderRole {
        self.role
    }
    /// For a township's vice chairs: which of the three heads (三长) this is.
    async fn three_heads_post(&self) -> Option<ThreeHeadsPost> {
        self.three_heads_post
    }
    /// The person's own post, e.g. "县人民医院院长".
    async fn post(&self) -> Option<&str> {
        self.post.as_deref()
    }
    async fn starts_on(&self) -> Option<NaiveDate> {
        self.starts_on
    }
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.ends_on
    }
    async fn version(&self) -> i32 {
        self.audit.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.audit.created_at
    }
    async fn created_by(&self) -> &str {
        &self.audit.created_by
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.audit.updated_at
    }
    async fn updated_by(&self) -> &str {
        &self.audit.updated_by
    }
    /// Set when the role ended.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.audit.archived_at
    }
}

#[derive(Default)]
pub struct LeadershipQuery;

#[Object]
impl LeadershipQuery {
    async fn leadership_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<LeadershipRoleRow>> {
        Ok(db::leaders::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }
}

#[derive(InputObject)]
pub struct LeadershipRoleInput {
    pub unit_id: ID,
    pub term_id: Option<ID>,
    pub person_name: String,
    pub role: LeaderRole,
    pub three_heads_post: Option<ThreeHeadsPost>,
    pub post: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub idempotency_key: Option<String>,
}

/// Changes to a role; absent fields stay as they are, null clears an optional one.
#[derive(InputObject)]
pub struct UpdateLeadershipRoleInput {
    pub term_id: MaybeUndefined<ID>,
    pub person_name: Option<String>,
    pub role: Option<LeaderRole>,
    pub three_heads_post: MaybeUndefined<ThreeHeadsPost>,
    pub post: MaybeUndefined<String>,
    pub starts_on: MaybeUndefined<NaiveDate>,
    pub ends_on: MaybeUndefined<NaiveDate>,
}

struct ValidRole {
    term_id: Option<uuid::Uuid>,
    person_name: String,
    role: LeaderRole,
    three_heads_post: Option<ThreeHeadsPost>,
    post: Option<String>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
}

impl ValidRole {
    fn fields(&self) -> LeadershipRoleFields<'_> {
        LeadershipRoleFields {
            term_id: self.term_id,
            person_name: &self.person_name,
            role: self.role,
            three_heads_post: self.three_heads_post,
            post: self.post.as_deref(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        }
    }

    /// The three heads are township vice chairs, nothing else.
    fn check(&self, unit: &UnitRow) -> ApiResult<()> {
        validate::date_order("endsOn", self.starts_on, self.ends_on)?;
        if self.three_heads_post.is_some()
            && (self.role != LeaderRole::ViceChair || unit.kind != UnitKind::Township)
        {
            return Err(ApiError::validation(
                "threeHeadsPost",
                kexie_subgraph_kit::text!(
                    "only a township association's vice chairs hold one of the three heads' posts",
                    "只有乡镇科协的副主席才担任“三长”职务"
                ),
            ));
        }
        Ok(())
    }
}

/// Checks that `term_id` is a term of `unit_id`.
async fn check_term(
    pool: &sqlx::PgPool,
    term_id: Option<uuid::Uuid>,
    unit_id: uuid::Uuid,
) -> ApiResult<()> {
    if let Some(term_id) = term_id {
        let term = db::terms::find(pool, &[term_id])
            .await?
            .pop()
            .ok_or_else(|| ApiError::not_found("Term", term_id))?;
        if term.unit_id != unit_id {
            return Err(ApiError::validation(
                "termId",
                kexie_subgraph_kit::text!(
                    "the term belongs to another unit",
                    "该届次属于另一个组织"
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a live role for a change, checks that the principal may administer its unit, then
/// the client's version.
async fn role_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: uuid::Uuid,
    expected_version: i32,
) -> ApiResult<LeadershipRoleRow> {
    let role = db::leaders::get_for_update(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("LeadershipRole", id))?;
    require_administer(ctx, conn, role.unit_id).await?;
    if role.audit.archived_at.is_some() {
        return Err(ApiError::not_found("LeadershipRole", id));
    }
    validate::expected_version("LeadershipRole", id, expected_version, role.audit.version)?;
    Ok(role)
}

#[derive(Default)]
pub struct LeadershipMutation;

#[Object]
impl LeadershipMutation {
    /// Appoints someone to a leadership role. Needs the right to administer the unit.
    async fn create_leadership_role(
        &self,
        ctx: &Context<'_>,
        input: LeadershipRoleInput,
    ) -> ApiResult<LeadershipRoleRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let role = ValidRole {
            term_id: parse_optional_id("termId", input.term_id.as_ref())?,
            person_name: validate::text("personName", &input.person_name, 50)?,
            role: input.role,
            three_heads_post: input.three_heads_post,
            post: validate::optional_text("post", input.post.as_deref(), 100)?,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
        };
        let id = new_id();
        let mut tx = pool.begin().await?;
        require_administer(ctx, &mut tx, unit_id).await?;
        let unit = db::units::get(&mut tx, unit_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Unit", unit_id))?;
        role.check(&unit)?;
        check_term(pool, role.term_id, unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createLeadershipRole",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::leaders::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("LeadershipRole", existing));
        }
        let created =
            db::leaders::insert(&mut tx, id, unit_id, &role.fields(), &actor.subject).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Changes a role. Needs the right to administer the role's unit.
    async fn update_leadership_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateLeadershipRoleInput,
    ) -> ApiResult<LeadershipRoleRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let role_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        let current = role_for_change(ctx, &mut tx, role_id, expected_version).await?;
        let term_id = match input.term_id {
            MaybeUndefined::Value(term_id) => Some(parse_id("termId", &term_id)?),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => current.term_id,
        };
        let post = validate::optional_text(
            "post",
            validate::patch(input.post, current.post.clone()).as_deref(),
            100,
        )?;
        let role = ValidRole {
            term_id,
            person_name: validate::text(
                "personName",
                input.person_name.as_deref().unwrap_or(&current.person_name),
                50,
            )?,
            role: input.role.unwrap_or(current.role),
            three_heads_post: validate::patch(input.three_heads_post, current.three_heads_post),
            post,
            starts_on: validate::patch(input.starts_on, current.starts_on),
            ends_on: validate::patch(input.ends_on, current.ends_on),
        };
        let unit = db::units::get(&mut tx, current.unit_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Unit", current.unit_id))?;
        role.check(&unit)?;
        check_term(pool, role.term_id, current.unit_id).await?;
        let updated = db::leaders::update(&mut tx, role_id, &role.fields(), &actor.subject).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Ends a role (it stays in the record, with `archivedAt` set). Needs the right to
    /// administer the role's unit.
    async fn archive_leadership_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<LeadershipRoleRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let role_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        role_for_change(ctx, &mut tx, role_id, expected_version).await?;
        let archived = db::leaders::archive(&mut tx, role_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(archived)
    }
}

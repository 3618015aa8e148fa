//! 换届: terms of office. A unit whose latest term ended without a newer one is overdue
//! ("要及时完成换届工作").

use async_graphql::{Context, Enum, InputObject, Object, ID};
use chrono::{NaiveDate, Utc};

use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, ListPage, RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::pool;
use super::units::unit_of;
use crate::db;
use crate::db::terms::{TermFields, TermFilter, TermRow};
use crate::db::units::UnitRow;
use crate::policy::require_administer;

#[Object(name = "Term")]
impl TermRow {
    async fn id(&self) -> ID {
        ID(self.term_id.to_string())
    }
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<UnitRow> {
        unit_of(ctx, self.unit_id).await
    }
    /// The term's number (第几届).
    async fn number(&self) -> i32 {
        self.number
    }
    async fn starts_on(&self) -> NaiveDate {
        self.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.ends_on
    }
    /// Days past the end on `asOf` (default today); 0 while the term runs.
    async fn days_overdue(&self, as_of: Option<NaiveDate>) -> i64 {
        let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
        (as_of - self.ends_on).num_days().max(0)
    }
    async fn version(&self) -> i32 {
        self.audit.version
    }
    #[graphql(flatten)]
    async fn audit(&self) -> &Audit {
        &self.audit
    }
}

#[derive(InputObject, Default)]
pub struct TermFilterInput {
    pub unit_id: Option<ID>,
    /// With `unitId`: the terms of every unit in its subtree.
    pub include_subtree: Option<bool>,
    /// Only overdue terms: each active unit's latest term, when it ended before this day.
    pub overdue_on: Option<NaiveDate>,
    pub include_archived: Option<bool>,
    /// Incremental sync: terms written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `terms` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "TermOrderField")]
pub enum TermOrderField {
    /// 届次
    Number,
    /// 开始日期
    StartsOn,
    /// 结束日期
    EndsOn,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for TermOrderField {
    fn column(self) -> SortColumn {
        match self {
            TermOrderField::Number => SortColumn::int("number"),
            TermOrderField::StartsOn => SortColumn::date("starts_on"),
            TermOrderField::EndsOn => SortColumn::date("ends_on"),
            TermOrderField::UpdatedAt => SortColumn::time("updated_at"),
            TermOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(TermOrder, "TermOrder", TermOrderField);

#[derive(Default)]
pub struct TermQuery;

#[Object]
impl TermQuery {
    async fn term(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<TermRow>> {
        Ok(db::terms::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }

    /// Terms, newest first. Leadership's overdue list: `terms(filter: {unitId: …,
    /// includeSubtree: true, overdueOn: "2026-11-23"})`.
    #[allow(clippy::too_many_arguments)]
    async fn terms(
        &self,
        ctx: &Context<'_>,
        filter: Option<TermFilterInput>,
        order_by: Option<TermOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<TermRow>> {
        let input = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            input.updated_since,
            order_by,
        )?;
        let filter = TermFilter {
            unit_id: parse_optional_id("filter.unitId", input.unit_id.as_ref())?,
            include_subtree: input.include_subtree.unwrap_or(false),
            overdue_on: input.overdue_on,
            include_archived: input.include_archived.unwrap_or(false),
        };
        let pool = pool(ctx)?.clone();
        let rows = db::terms::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::terms::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

#[derive(InputObject)]
pub struct TermInput {
    pub unit_id: ID,
    pub number: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateTermInput {
    pub number: Option<i32>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

fn valid_term(number: i32, starts_on: NaiveDate, ends_on: NaiveDate) -> ApiResult<TermFields> {
    if number < 1 {
        return Err(ApiError::validation(
            "number",
            kexie_subgraph_kit::text!("must be 1 or more", "须为 1 或更大"),
        ));
    }
    validate::date_order("endsOn", Some(starts_on), Some(ends_on))?;
    Ok(TermFields {
        number,
        starts_on,
        ends_on,
    })
}

fn term_write_error(err: sqlx::Error, number: i32) -> ApiError {
    match kexie_subgraph_kit::error::violated_constraint(&err) {
        Some("term_unit_number_key") => ApiError::Duplicate(kexie_subgraph_kit::text!(
            "the unit already has a term number {number}",
            "该组织已有第 {number} 届"
        )),
        _ => err.into(),
    }
}

/// Reads a live term for a change, checks that the principal may administer its unit, then
/// the client's version.
async fn term_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    term_id: uuid::Uuid,
    expected_version: i32,
) -> ApiResult<TermRow> {
    let term = db::terms::get_for_update(conn, term_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Term", term_id))?;
    require_administer(ctx, conn, term.unit_id).await?;
    if term.audit.archived_at.is_some() {
        return Err(ApiError::not_found("Term", term_id));
    }
    validate::expected_version("Term", term_id, expected_version, term.audit.version)?;
    Ok(term)
}

#[derive(Default)]
pub struct TermMutation;

#[Object]
impl TermMutation {
    /// Opens a term of office (换届). Needs the right to administer the unit.
    async fn create_term(&self, ctx: &Context<'_>, input: TermInput) -> ApiResult<TermRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let fields = valid_term(input.number, input.starts_on, input.ends_on)?;
        let term_id = new_id();
        let mut tx = pool.begin().await?;
        require_administer(ctx, &mut tx, unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createTerm",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            term_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::terms::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Term", existing));
        }
        let term = db::terms::insert(&mut tx, term_id, unit_id, &fields, &actor.subject)
            .await
            .map_err(|err| term_write_error(err, fields.number))?;
        tx.commit().await?;
        Ok(term)
    }

    /// Changes a term. Needs the right to administer the term's unit.
    async fn update_term(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateTermInput,
    ) -> ApiResult<TermRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let term_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        let term = term_for_change(ctx, &mut tx, term_id, expected_version).await?;
        let fields = valid_term(
            input.number.unwrap_or(term.number),
            input.starts_on.unwrap_or(term.starts_on),
            input.ends_on.unwrap_or(term.ends_on),
        )?;
        let term = db::terms::update(&mut tx, term_id, &fields, &actor.subject)
            .await
            .map_err(|err| term_write_error(err, fields.number))?;
        tx.commit().await?;
        Ok(term)
    }

    /// Archives a term (it stays in the record, with `archivedAt` set). Needs the right to
    /// administer the term's unit.
    async fn archive_term(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<TermRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let term_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        term_for_change(ctx, &mut tx, term_id, expected_version).await?;
        let term = db::terms::archive(&mut tx, term_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(term)
    }
}

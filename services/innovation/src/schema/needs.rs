//! 企业技术需求: enterprises' technology needs and their workflow PUBLISHED → MATCHING →
//! MATCHED → RESOLVED, or CLOSED unresolved.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::china_today;
use kexie_subgraph_kit::history::{self as workflow, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, per_unit_page, refuse_sync_below, ListPage, PageArgs, PerUnitQuery,
    RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::Unit;
use super::matches::{MatchFilterInput, MatchesOfNeed};
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::matches::MatchRow;
use crate::db::needs::{NeedFields, NeedFilter, NeedRow};
use crate::domain::{MatchStatus, NeedStatus, TechField};
use crate::policy;

const MAX_TITLE: usize = 200;
const MAX_PROBLEM: usize = 5000;
const MAX_ENTERPRISE: usize = 200;
/// The largest budget or contract amount taken, in 万元 (ten billion yuan).
pub const MAX_AMOUNT: f64 = 1_000_000.0;

#[Object(name = "TechNeed")]
impl NeedRow {
    async fn id(&self) -> ID {
        ID(self.tech_need_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    /// The unit that published the need: the enterprise itself (a unit of kind
    /// ENTERPRISE), or the association publishing for `enterpriseName`.
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    /// The company with the need, when it is not a unit of the tree itself.
    async fn enterprise_name(&self) -> Option<&str> {
        self.enterprise_name.as_deref()
    }
    async fn field(&self) -> TechField {
        self.field
    }
    /// The technical problem, as the enterprise states it.
    async fn problem(&self) -> &str {
        &self.problem
    }
    /// What the enterprise offers to spend, in 万元; null when not stated.
    async fn budget(&self) -> Option<f64> {
        self.budget
    }
    /// By when the enterprise wants it solved.
    async fn deadline(&self) -> Option<NaiveDate> {
        self.deadline
    }
    async fn status(&self) -> NeedStatus {
        self.status
    }
    /// The statuses `transitionTechNeed` accepts from here.
    async fn allowed_transitions(&self) -> Vec<NeedStatus> {
        self.status.next()
    }
    /// The local day (UTC+8) it was published.
    async fn published_on(&self) -> NaiveDate {
        self.published_on
    }
    /// The day it was resolved or closed.
    async fn ended_on(&self) -> Option<NaiveDate> {
        self.ended_on
    }
    /// The results and experts proposed for it (供需对接), newest first.
    async fn matches(
        &self,
        ctx: &Context<'_>,
        filter: Option<MatchFilterInput>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<MatchRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default().for_party(ctx)?;
        per_unit_page::<MatchesOfNeed>(ctx, self.tech_need_id, filter, page).await
    }
    /// Every step from publication on, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        workflow::of(ctx, self.tech_need_id).await
    }
    /// Increases with every change; send it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.audit.version
    }
    #[graphql(flatten)]
    async fn audit(&self) -> &Audit {
        &self.audit
    }
}

/// Which needs to list.
#[derive(InputObject, Default)]
#[graphql(name = "TechNeedFilter")]
pub struct NeedFilterInput {
    /// Published by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub statuses: Option<Vec<NeedStatus>>,
    pub fields: Option<Vec<TechField>>,
    /// Published on or after this day.
    pub published_from: Option<NaiveDate>,
    /// Published on or before this day.
    pub published_to: Option<NaiveDate>,
    /// Part of the title, the problem or the company's name.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: needs written at this time or later, in the order the changes
    /// committed (oldest first), each page's cursor continuing where the last ended; with
    /// `includeArchived` a mirror learns of archived ones too. A need changed again comes
    /// again. Read with `after` set to the last page's `endCursor`.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `techNeeds` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "TechNeedOrderField")]
pub enum NeedOrderField {
    /// 标题
    Title,
    /// 发布日期
    PublishedOn,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for NeedOrderField {
    fn column(self) -> SortColumn {
        match self {
            NeedOrderField::Title => SortColumn::text("title"),
            NeedOrderField::PublishedOn => SortColumn::date("published_on"),
            NeedOrderField::Status => SortColumn::code("status"),
            NeedOrderField::UpdatedAt => SortColumn::time("updated_at"),
            NeedOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(NeedOrder, "TechNeedOrder", NeedOrderField);

impl NeedFilterInput {
    fn parse(self, ctx: &Context<'_>) -> ApiResult<NeedFilter> {
        policy::require_reader(ctx, "Technology needs")?;
        validate::date_order("filter.publishedTo", self.published_from, self.published_to)?;
        Ok(NeedFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            statuses: self
                .statuses
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            fields: self
                .fields
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            published_from: self.published_from,
            published_to: self.published_to,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.techNeeds`, whose unit is the one it hangs on.
    pub fn for_unit(self, ctx: &Context<'_>, include_subtree: bool) -> ApiResult<NeedFilter> {
        refuse_unit_filter(self.unit_id.as_ref())?;
        refuse_sync_below(self.updated_since, "techNeeds")?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }
}

/// `Unit.techNeeds` for a batch of units.
pub struct NeedsOfUnit(pub PgPool);

impl PerUnitQuery for NeedsOfUnit {
    type Filter = NeedFilter;
    type Row = NeedRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &NeedFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, NeedRow)>> {
        Ok(db::needs::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(&self, unit_ids: &[Uuid], filter: &NeedFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::needs::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct NeedQuery;

#[Object]
impl NeedQuery {
    /// A technology need by ID (archived ones too); null when there is none. For staff and
    /// keys with `innovation:read` (`FORBIDDEN` otherwise).
    async fn tech_need(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<NeedRow>> {
        policy::require_reader(ctx, "Technology needs")?;
        Ok(db::needs::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }

    /// Technology needs, newest first (with `filter.updatedSince`, in the order their
    /// changes committed: a partner's sync). For staff and keys with `innovation:read`
    /// (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn tech_needs(
        &self,
        ctx: &Context<'_>,
        filter: Option<NeedFilterInput>,
        order_by: Option<NeedOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<NeedRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::needs::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::needs::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

/// A need to publish.
#[derive(InputObject)]
pub struct CreateTechNeedInput {
    /// The publishing unit: the enterprise, or the association publishing for
    /// `enterpriseName`; an active unit.
    pub unit_id: ID,
    /// The company, when it is not a unit of the tree itself.
    pub enterprise_name: Option<String>,
    pub title: String,
    pub field: TechField,
    pub problem: String,
    /// 万元, 0 to 1,000,000.
    pub budget: Option<f64>,
    pub deadline: Option<NaiveDate>,
    /// The day it was published, for needs recorded afterwards; today (UTC+8) when absent,
    /// never in the future.
    pub published_on: Option<NaiveDate>,
    /// A retried create with the same key returns the first need and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to an open need; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateTechNeedInput {
    pub unit_id: Option<ID>,
    pub enterprise_name: MaybeUndefined<String>,
    pub title: Option<String>,
    pub field: Option<TechField>,
    pub problem: Option<String>,
    pub budget: MaybeUndefined<f64>,
    pub deadline: MaybeUndefined<NaiveDate>,
}

/// A sum of money in 万元: finite, from 0 to [`MAX_AMOUNT`].
pub fn amount(field: &str, value: f64) -> ApiResult<f64> {
    if !value.is_finite() || !(0.0..=MAX_AMOUNT).contains(&value) {
        return Err(ApiError::validation(
            field,
            kexie_subgraph_kit::text!(
                "must be an amount in 万元 from 0 to {MAX_AMOUNT}",
                "须为 0 到 {MAX_AMOUNT} 之间的金额（万元）"
            ),
        ));
    }
    Ok(value)
}

/// A day something happened: not in the future.
pub fn past_day(field: &str, day: NaiveDate) -> ApiResult<NaiveDate> {
    if day > china_today() {
        return Err(ApiError::validation(
            field,
            kexie_subgraph_kit::text!("{day} is in the future", "{day} 是将来的日期"),
        ));
    }
    Ok(day)
}

#[allow(clippy::too_many_arguments)]
fn valid_need(
    unit_id: Uuid,
    enterprise_name: Option<&str>,
    title: &str,
    field: TechField,
    problem: &str,
    budget: Option<f64>,
    deadline: Option<NaiveDate>,
) -> ApiResult<NeedFields> {
    Ok(NeedFields {
        unit_id,
        enterprise_name: validate::optional_text(
            "enterpriseName",
            enterprise_name,
            MAX_ENTERPRISE,
        )?,
        title: validate::text("title", title, MAX_TITLE)?,
        field,
        problem: validate::text("problem", problem, MAX_PROBLEM)?,
        budget: budget.map(|budget| amount("budget", budget)).transpose()?,
        deadline,
    })
}

/// Reads and locks the need a mutation changes: live, the request may write the records of
/// its unit (and of `new_unit`, when it moves there), and at the client's version.
pub async fn need_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    need_id: Uuid,
    expected_version: Option<i32>,
    new_unit: Option<Uuid>,
) -> ApiResult<NeedRow> {
    let row = db::needs::get_for_update(conn, need_id).await?;
    let row = validate::live("TechNeed", need_id, row, |row| row.audit.is_archived())?;
    policy::require_write(ctx, conn, row.unit_id, new_unit).await?;
    if let Some(expected) = expected_version {
        validate::expected_version("TechNeed", need_id, expected, row.audit.version)?;
    }
    Ok(row)
}

/// Moves `need` to `to` inside the caller's transaction and records the step.
pub async fn step_need(
    conn: &mut sqlx::PgConnection,
    need: &NeedRow,
    to: NeedStatus,
    ended_on: Option<NaiveDate>,
    actor: &Actor,
    note: Option<&str>,
) -> ApiResult<()> {
    db::needs::set_status(conn, need.tech_need_id, to, ended_on, &actor.subject).await?;
    workflow::record(
        conn,
        need.tech_need_id,
        Some(need.status.as_str()),
        to.as_str(),
        actor,
        note,
    )
    .await
}

#[derive(Default)]
pub struct NeedMutation;

#[Object]
impl NeedMutation {
    /// Publishes a need (PUBLISHED). Staff publish needs for the units of their subtree
    /// (`FORBIDDEN` otherwise).
    async fn create_tech_need(
        &self,
        ctx: &Context<'_>,
        input: CreateTechNeedInput,
    ) -> ApiResult<NeedRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let fields = valid_need(
            unit_id,
            input.enterprise_name.as_deref(),
            &input.title,
            input.field,
            &input.problem,
            input.budget,
            input.deadline,
        )?;
        let published_on = past_day(
            "publishedOn",
            input.published_on.unwrap_or_else(china_today),
        )?;
        require_active_unit(pool, "unitId", unit_id).await?;
        let need_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_write(ctx, &mut tx, unit_id, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createTechNeed",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            need_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::needs::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("TechNeed", existing));
        }
        db::needs::insert(&mut tx, need_id, &fields, published_on, &actor.subject).await?;
        let published = NeedStatus::Published.as_str();
        workflow::record(&mut tx, need_id, None, published, &actor, None).await?;
        let need = db::needs::get(&mut tx, need_id).await?;
        tx.commit().await?;
        Ok(need)
    }

    /// Changes an open need; a resolved or closed one is refused with
    /// `ILLEGAL_TRANSITION`. Staff change the needs of the units of their subtree; moving
    /// one to another unit needs both (`FORBIDDEN` otherwise).
    async fn update_tech_need(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateTechNeedInput,
    ) -> ApiResult<NeedRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let need_id = parse_id("id", &id)?;
        let new_unit = parse_optional_id("unitId", input.unit_id.as_ref())?;
        let mut tx = pool.begin().await?;
        let current =
            need_for_change(ctx, &mut tx, need_id, Some(expected_version), new_unit).await?;
        current.status.check_open("edited")?;
        let fields = valid_need(
            new_unit.unwrap_or(current.unit_id),
            validate::patch(input.enterprise_name, current.enterprise_name.clone()).as_deref(),
            input.title.as_deref().unwrap_or(&current.title),
            input.field.unwrap_or(current.field),
            input.problem.as_deref().unwrap_or(&current.problem),
            validate::patch(input.budget, current.budget),
            validate::patch(input.deadline, current.deadline),
        )?;
        if let Some(unit_id) = new_unit.filter(|unit_id| *unit_id != current.unit_id) {
            require_active_unit(pool, "unitId", unit_id).await?;
        }
        db::needs::update(&mut tx, need_id, &fields, &actor.subject).await?;
        let need = db::needs::get(&mut tx, need_id).await?;
        tx.commit().await?;
        Ok(need)
    }

    /// Moves the need one step: PUBLISHED → MATCHING → MATCHED (which needs a match with a
    /// contract signed) → RESOLVED, MATCHED back to MATCHING, CLOSED from any open status.
    /// Proposing a match and signing its contract take the first two steps by themselves.
    /// `on` is the day a need was resolved or closed (today when absent; not in the future,
    /// not before it was published); no other step takes it. Resolving or closing a need
    /// ends its matches still PROPOSED or NEGOTIATING as FAILED. Staff move the needs of the
    /// units of their subtree (`FORBIDDEN` otherwise).
    async fn transition_tech_need(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: NeedStatus,
        note: Option<String>,
        on: Option<NaiveDate>,
    ) -> ApiResult<NeedRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let need_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        let ends = matches!(to, NeedStatus::Resolved | NeedStatus::Closed);
        if on.is_some() && !ends {
            return Err(ApiError::validation(
                "on",
                kexie_subgraph_kit::text!(
                    "is only given when moving to RESOLVED or CLOSED",
                    "仅在改为 RESOLVED（已解决）或 CLOSED（已关闭）时填写"
                ),
            ));
        }
        let mut tx = pool.begin().await?;
        let current = need_for_change(ctx, &mut tx, need_id, Some(expected_version), None).await?;
        current.status.check_step(to)?;
        if to == NeedStatus::Matched && db::matches::contracted_count(&mut tx, need_id).await? == 0
        {
            return Err(ApiError::IllegalTransition {
                entity: "TechNeed",
                from: current.status.as_str().to_string(),
                to: "MATCHED: no match of this need has a contract signed".to_string(),
            });
        }
        let ended_on = if ends {
            let day = past_day("on", on.unwrap_or_else(china_today))?;
            if day < current.published_on {
                return Err(ApiError::validation(
                    "on",
                    kexie_subgraph_kit::text!(
                        "{day} is before the need was published ({})",
                        "{day} 早于需求发布日期（{}）",
                        current.published_on
                    ),
                ));
            }
            Some(day)
        } else {
            None
        };
        step_need(&mut tx, &current, to, ended_on, &actor, note.as_deref()).await?;
        if ends {
            let ended = format!(
                "需求已{}",
                if to == NeedStatus::Resolved {
                    "解决"
                } else {
                    "关闭"
                }
            );
            for (match_id, from) in db::matches::fail_open(&mut tx, need_id, &actor.subject).await?
            {
                let failed = MatchStatus::Failed.as_str();
                workflow::record(
                    &mut tx,
                    match_id,
                    Some(from.as_str()),
                    failed,
                    &actor,
                    Some(&ended),
                )
                .await?;
            }
        }
        let need = db::needs::get(&mut tx, need_id).await?;
        tx.commit().await?;
        Ok(need)
    }

    /// Leaves the need out of lists and figures; it can still be looked up. Staff archive
    /// the needs of the units of their subtree (`FORBIDDEN` otherwise).
    async fn archive_tech_need(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<NeedRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let need_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        need_for_change(ctx, &mut tx, need_id, Some(expected_version), None).await?;
        db::needs::archive(&mut tx, need_id, &actor.subject).await?;
        let need = db::needs::get(&mut tx, need_id).await?;
        tx.commit().await?;
        Ok(need)
    }
}

//! 学会服务企业行, 专家服务团: societies and expert teams visiting enterprises, PLANNED →
//! HELD (with the problems taken up and solved) or CANCELLED.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::history::{self as workflow, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_maybe_id, parse_optional_id, worker_ids};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::{Unit, Worker};
use super::needs::past_day;
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::visits::{OutcomeFields, Party, VisitFields, VisitFilter, VisitRow};
use crate::domain::{VisitKind, VisitStatus};
use crate::policy;

const MAX_TITLE: usize = 200;
const MAX_ENTERPRISE: usize = 200;
const MAX_SUMMARY: usize = 5000;
const MAX_EXPERTS: usize = 50;
/// The most problems one visit takes up.
const MAX_PROBLEMS: i32 = 1000;

#[Object(name = "ServiceVisit")]
impl VisitRow {
    async fn id(&self) -> ID {
        ID(self.service_visit_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    async fn kind(&self) -> VisitKind {
        self.kind
    }
    /// The organizing unit: a society or an association.
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    /// The enterprise visited, when it is a unit of the tree.
    async fn enterprise(&self) -> Option<Unit> {
        self.enterprise_unit_id.map(|id| Unit { id })
    }
    /// The company visited, when it is not a unit of the tree (or its name in full).
    async fn enterprise_name(&self) -> Option<&str> {
        self.enterprise_name.as_deref()
    }
    /// The day of the visit (planned, or held).
    async fn visited_on(&self) -> NaiveDate {
        self.visited_on
    }
    async fn status(&self) -> VisitStatus {
        self.status
    }
    /// The statuses `transitionServiceVisit` accepts from here.
    async fn allowed_transitions(&self) -> Vec<VisitStatus> {
        self.status.next()
    }
    /// The experts who went (talent's S&T workers), in the order given.
    async fn experts(&self) -> Vec<Worker> {
        self.expert_ids
            .iter()
            .map(|id| Worker { id: *id })
            .collect()
    }
    /// The enterprise's problems the visit took up (0 until held).
    async fn problems_taken(&self) -> i32 {
        self.problems_taken
    }
    /// Of `problemsTaken`, those solved (on the visit or in its follow-up).
    async fn problems_solved(&self) -> i32 {
        self.problems_solved
    }
    async fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }
    /// Every step from planning on, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        workflow::of(ctx, self.service_visit_id).await
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

/// Which visits to list.
#[derive(InputObject, Default)]
#[graphql(name = "ServiceVisitFilter")]
pub struct VisitFilterInput {
    /// Organized by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub kinds: Option<Vec<VisitKind>>,
    pub statuses: Option<Vec<VisitStatus>>,
    /// On or after this day.
    pub visited_from: Option<NaiveDate>,
    /// On or before this day.
    pub visited_to: Option<NaiveDate>,
    /// Part of the title or of the company's name.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: visits written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `serviceVisits` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ServiceVisitOrderField")]
pub enum VisitOrderField {
    /// 标题
    Title,
    /// 走访日期
    VisitedOn,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for VisitOrderField {
    fn column(self) -> SortColumn {
        match self {
            VisitOrderField::Title => SortColumn::text("title"),
            VisitOrderField::VisitedOn => SortColumn::date("visited_on"),
            VisitOrderField::Status => SortColumn::code("status"),
            VisitOrderField::UpdatedAt => SortColumn::time("updated_at"),
            VisitOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(VisitOrder, "ServiceVisitOrder", VisitOrderField);

impl VisitFilterInput {
    fn parse(self, ctx: &Context<'_>) -> ApiResult<VisitFilter> {
        policy::require_reader(ctx, "Service visits")?;
        validate::date_order("filter.visitedTo", self.visited_from, self.visited_to)?;
        Ok(VisitFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            kinds: self
                .kinds
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            statuses: self
                .statuses
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            visited_from: self.visited_from,
            visited_to: self.visited_to,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.serviceVisits` and `Worker.serviceVisits`, whose organizer or
    /// expert is the one it hangs on.
    pub fn for_party(self, ctx: &Context<'_>, include_subtree: bool) -> ApiResult<VisitFilter> {
        refuse_sync_below(self.updated_since, "serviceVisits")?;
        refuse_unit_filter(self.unit_id.as_ref())?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }
}

/// `Unit.serviceVisits` for a batch of units.
pub struct VisitsOfUnit(pub PgPool);

impl PerUnitQuery for VisitsOfUnit {
    type Filter = VisitFilter;
    type Row = VisitRow;

    async fn fetch(
        &self,
        ids: &[Uuid],
        filter: &VisitFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, VisitRow)>> {
        Ok(db::visits::of_parties(&self.0, Party::Organizer, ids, filter, page).await?)
    }

    async fn count(&self, ids: &[Uuid], filter: &VisitFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::visits::count_of_parties(&self.0, Party::Organizer, ids, filter).await?)
    }
}

/// `Worker.serviceVisits` for a batch of workers.
pub struct VisitsOfExpert(pub PgPool);

impl PerUnitQuery for VisitsOfExpert {
    type Filter = VisitFilter;
    type Row = VisitRow;

    async fn fetch(
        &self,
        ids: &[Uuid],
        filter: &VisitFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, VisitRow)>> {
        Ok(db::visits::of_parties(&self.0, Party::Expert, ids, filter, page).await?)
    }

    async fn count(&self, ids: &[Uuid], filter: &VisitFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::visits::count_of_parties(&self.0, Party::Expert, ids, filter).await?)
    }
}

#[derive(Default)]
pub struct VisitQuery;

#[Object]
impl VisitQuery {
    /// A service visit by ID (archived ones too); null when there is none. For staff and
    /// keys with `innovation:read` (`FORBIDDEN` otherwise).
    async fn service_visit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<VisitRow>> {
        policy::require_reader(ctx, "Service visits")?;
        Ok(db::visits::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }

    /// Service visits, newest first. For staff and keys with `innovation:read`
    /// (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn service_visits(
        &self,
        ctx: &Context<'_>,
        filter: Option<VisitFilterInput>,
        order_by: Option<VisitOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<VisitRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::visits::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::visits::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

/// A visit to plan (PLANNED).
///
/// Experts are S&T workers of the talent subgraph, which this subgraph cannot read: only
/// the IDs' shape is checked (well formed, distinct, at most 50).
#[derive(InputObject)]
pub struct CreateServiceVisitInput {
    /// The organizing unit; an active unit.
    pub unit_id: ID,
    /// The enterprise visited when it is a unit of the tree; an active unit.
    pub enterprise_unit_id: Option<ID>,
    /// The company visited; required without `enterpriseUnitId`.
    pub enterprise_name: Option<String>,
    pub kind: VisitKind,
    pub title: String,
    pub visited_on: NaiveDate,
    #[graphql(default)]
    pub expert_ids: Vec<ID>,
    /// A retried create with the same key returns the first visit and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a planned visit; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateServiceVisitInput {
    pub unit_id: Option<ID>,
    pub enterprise_unit_id: MaybeUndefined<ID>,
    pub enterprise_name: MaybeUndefined<String>,
    pub kind: Option<VisitKind>,
    pub title: Option<String>,
    pub visited_on: Option<NaiveDate>,
    pub expert_ids: Option<Vec<ID>>,
}

/// What a held visit achieved.
#[derive(InputObject)]
pub struct VisitOutcomeInput {
    /// The enterprise's problems taken up, 0 to 1,000.
    pub problems_taken: i32,
    /// Of those, solved: at most `problemsTaken`.
    pub problems_solved: i32,
    pub summary: Option<String>,
}

fn valid_outcome(input: VisitOutcomeInput) -> ApiResult<OutcomeFields> {
    if !(0..=MAX_PROBLEMS).contains(&input.problems_taken) {
        return Err(ApiError::validation(
            "outcome.problemsTaken",
            kexie_subgraph_kit::text!(
                "must be from 0 to {MAX_PROBLEMS}",
                "须在 0 到 {MAX_PROBLEMS} 之间"
            ),
        ));
    }
    if !(0..=input.problems_taken).contains(&input.problems_solved) {
        return Err(ApiError::validation(
            "outcome.problemsSolved",
            kexie_subgraph_kit::text!("must be from 0 to problemsTaken", "须在 0 到受理问题数之间"),
        ));
    }
    Ok(OutcomeFields {
        problems_taken: input.problems_taken,
        problems_solved: input.problems_solved,
        summary: validate::optional_text("outcome.summary", input.summary.as_deref(), MAX_SUMMARY)?,
    })
}

fn valid_visit(
    unit_id: Uuid,
    enterprise_unit_id: Option<Uuid>,
    enterprise_name: Option<&str>,
    kind: VisitKind,
    title: &str,
    visited_on: NaiveDate,
    expert_ids: Vec<Uuid>,
) -> ApiResult<VisitFields> {
    let enterprise_name =
        validate::optional_text("enterpriseName", enterprise_name, MAX_ENTERPRISE)?;
    if enterprise_unit_id.is_none() && enterprise_name.is_none() {
        return Err(ApiError::validation(
            "enterpriseName",
            kexie_subgraph_kit::text!(
                "name the company visited, or give enterpriseUnitId",
                "请填写走访的企业名称，或给出 enterpriseUnitId"
            ),
        ));
    }
    validate::year("visitedOn", visited_on.year())?;
    Ok(VisitFields {
        unit_id,
        enterprise_unit_id,
        enterprise_name,
        kind,
        title: validate::text("title", title, MAX_TITLE)?,
        visited_on,
        expert_ids,
    })
}

/// Reads and locks the visit a mutation changes: live, the request may write the records of
/// its organizer (and of `new_unit`, when it moves there), and at the client's version.
async fn visit_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    visit_id: Uuid,
    expected_version: i32,
    new_unit: Option<Uuid>,
) -> ApiResult<VisitRow> {
    let row = db::visits::get_for_update(conn, visit_id).await?;
    let row = validate::live("ServiceVisit", visit_id, row, |row| row.audit.is_archived())?;
    policy::require_write(ctx, conn, row.unit_id, new_unit).await?;
    validate::expected_version(
        "ServiceVisit",
        visit_id,
        expected_version,
        row.audit.version,
    )?;
    Ok(row)
}

#[derive(Default)]
pub struct VisitMutation;

#[Object]
impl VisitMutation {
    /// Plans a visit (PLANNED). Staff plan the visits of the units of their subtree
    /// (`FORBIDDEN` otherwise).
    async fn create_service_visit(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceVisitInput,
    ) -> ApiResult<VisitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let enterprise = parse_optional_id("enterpriseUnitId", input.enterprise_unit_id.as_ref())?;
        let experts = worker_ids("expertIds", &input.expert_ids, 0, MAX_EXPERTS)?;
        let fields = valid_visit(
            unit_id,
            enterprise,
            input.enterprise_name.as_deref(),
            input.kind,
            &input.title,
            input.visited_on,
            experts,
        )?;
        require_active_unit(pool, "unitId", unit_id).await?;
        if let Some(enterprise) = enterprise {
            require_active_unit(pool, "enterpriseUnitId", enterprise).await?;
        }
        let visit_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_write(ctx, &mut tx, unit_id, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createServiceVisit",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            visit_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::visits::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("ServiceVisit", existing));
        }
        db::visits::insert(&mut tx, visit_id, &fields, &actor.subject).await?;
        let planned = VisitStatus::Planned.as_str();
        workflow::record(&mut tx, visit_id, None, planned, &actor, None).await?;
        let visit = db::visits::get(&mut tx, visit_id).await?;
        tx.commit().await?;
        Ok(visit)
    }

    /// Changes a planned visit; a held or cancelled one is refused with
    /// `ILLEGAL_TRANSITION` (a held visit's outcome changes with `recordVisitOutcome`).
    /// Staff change the visits of the units of their subtree; moving one to another
    /// organizer needs both (`FORBIDDEN` otherwise).
    async fn update_service_visit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateServiceVisitInput,
    ) -> ApiResult<VisitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let visit_id = parse_id("id", &id)?;
        let new_unit = parse_optional_id("unitId", input.unit_id.as_ref())?;
        let new_enterprise = parse_maybe_id("enterpriseUnitId", input.enterprise_unit_id)?;
        let new_experts = input
            .expert_ids
            .as_deref()
            .map(|ids| worker_ids("expertIds", ids, 0, MAX_EXPERTS))
            .transpose()?;
        let mut tx = pool.begin().await?;
        let current = visit_for_change(ctx, &mut tx, visit_id, expected_version, new_unit).await?;
        current.status.check_is(VisitStatus::Planned, "edited")?;
        let fields = valid_visit(
            new_unit.unwrap_or(current.unit_id),
            validate::patch(new_enterprise, current.enterprise_unit_id),
            validate::patch(input.enterprise_name, current.enterprise_name.clone()).as_deref(),
            input.kind.unwrap_or(current.kind),
            input.title.as_deref().unwrap_or(&current.title),
            input.visited_on.unwrap_or(current.visited_on),
            new_experts.unwrap_or_else(|| current.expert_ids.clone()),
        )?;
        if let Some(unit_id) = new_unit.filter(|unit_id| *unit_id != current.unit_id) {
            require_active_unit(pool, "unitId", unit_id).await?;
        }
        if let Some(enterprise) = fields
            .enterprise_unit_id
            .filter(|enterprise| Some(*enterprise) != current.enterprise_unit_id)
        {
            require_active_unit(pool, "enterpriseUnitId", enterprise).await?;
        }
        db::visits::update(&mut tx, visit_id, &fields, &actor.subject).await?;
        let visit = db::visits::get(&mut tx, visit_id).await?;
        tx.commit().await?;
        Ok(visit)
    }

    /// Moves the visit one step: PLANNED → HELD (which needs the `outcome`, and a visit day
    /// not in the future) or CANCELLED. Staff move the visits of the units of their subtree
    /// (`FORBIDDEN` otherwise).
    async fn transition_service_visit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: VisitStatus,
        note: Option<String>,
        outcome: Option<VisitOutcomeInput>,
    ) -> ApiResult<VisitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let visit_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        let outcome = match (to, outcome) {
            (VisitStatus::Held, Some(outcome)) => Some(valid_outcome(outcome)?),
            (VisitStatus::Held, None) => {
                return Err(ApiError::validation(
                    "outcome",
                    kexie_subgraph_kit::text!(
                        "a held visit records the problems taken up and solved",
                        "已完成的走访须登记受理和解决的问题数"
                    ),
                ))
            }
            (_, Some(_)) => {
                return Err(ApiError::validation(
                    "outcome",
                    kexie_subgraph_kit::text!(
                        "is only given when moving to HELD",
                        "仅在改为 HELD（已举办）时填写"
                    ),
                ))
            }
            (_, None) => None,
        };
        let mut tx = pool.begin().await?;
        let current = visit_for_change(ctx, &mut tx, visit_id, expected_version, None).await?;
        current.status.check_step(to)?;
        if to == VisitStatus::Held {
            past_day("visitedOn", current.visited_on)?;
        }
        db::visits::set_status(&mut tx, visit_id, to, outcome.as_ref(), &actor.subject).await?;
        workflow::record(
            &mut tx,
            visit_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        let visit = db::visits::get(&mut tx, visit_id).await?;
        tx.commit().await?;
        Ok(visit)
    }

    /// Replaces a held visit's outcome — problems solved in the follow-up (跟踪服务). A visit
    /// that is not HELD is refused with `ILLEGAL_TRANSITION`. Staff record the outcomes of
    /// the visits of the units of their subtree (`FORBIDDEN` otherwise).
    async fn record_visit_outcome(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        outcome: VisitOutcomeInput,
    ) -> ApiResult<VisitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let visit_id = parse_id("id", &id)?;
        let outcome = valid_outcome(outcome)?;
        let mut tx = pool.begin().await?;
        let current = visit_for_change(ctx, &mut tx, visit_id, expected_version, None).await?;
        current
            .status
            .check_is(VisitStatus::Held, "outcome recorded")?;
        db::visits::set_outcome(&mut tx, visit_id, &outcome, &actor.subject).await?;
        let visit = db::visits::get(&mut tx, visit_id).await?;
        tx.commit().await?;
        Ok(visit)
    }

    /// Leaves the visit out of lists and figures; it can still be looked up. Staff archive
    /// the visits of the units of their subtree (`FORBIDDEN` otherwise).
    async fn archive_service_visit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<VisitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let visit_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        visit_for_change(ctx, &mut tx, visit_id, expected_version, None).await?;
        db::visits::archive(&mut tx, visit_id, &actor.subject).await?;
        let visit = db::visits::get(&mut tx, visit_id).await?;
        tx.commit().await?;
        Ok(visit)
    }
}

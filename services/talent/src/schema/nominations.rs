//! Nominations (举荐): a unit puts a worker forward for an honor; NOMINATED → SHORTLISTED →
//! AWARDED or NOT_SELECTED (also NOMINATED → NOT_SELECTED). The award creates the honor
//! record in the same transaction.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::history::{self, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::honors::{honor_write_error, MAX_HONOR_NAME};
use super::workers::worker_to_reference;
use super::{pool, refuse_unit_filter, require_known_unit, Unit};
use crate::db;
use crate::db::honors::{HonorFields, HonorRow};
use crate::db::nominations::{NominationFields, NominationFilter, NominationRow};
use crate::db::workers::WorkerRow;
use crate::domain::{current_year, HonorLevel, NominationStatus};
use crate::policy::{
    require_reviewer, require_staff, require_write, require_write_to, require_writer,
};

const MAX_REASON: usize = 2000;

/// A nomination (举荐) of a worker for an honor. Staff only.
#[Object(name = "Nomination")]
impl NominationRow {
    async fn id(&self) -> ID {
        ID(self.nomination_id.to_string())
    }
    /// The nominated worker.
    async fn candidate(&self, ctx: &Context<'_>) -> ApiResult<WorkerRow> {
        load_by_id::<WorkerRow>(ctx, self.worker_id)
            .await?
            .ok_or_else(|| {
                ApiError::internal(format!("nomination {} names no worker", self.nomination_id))
            })
    }
    /// The honor the worker is put forward for, e.g. 优秀科技工作者.
    async fn honor_name(&self) -> &str {
        &self.honor_name
    }
    async fn honor_level(&self) -> HonorLevel {
        self.honor_level
    }
    /// The year of the honor.
    async fn year(&self) -> i32 {
        self.year
    }
    /// 推荐单位
    async fn nominating_unit(&self) -> Unit {
        Unit {
            id: self.nominating_unit_id,
        }
    }
    /// The association that confers the honor, when it is one of the tree's.
    async fn conferring_unit(&self) -> Option<Unit> {
        self.conferring_unit_id.map(|id| Unit { id })
    }
    /// 推荐理由
    async fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    async fn status(&self) -> NominationStatus {
        self.status
    }
    /// The statuses `transitionNomination` accepts from here (the workflow; whether the viewer may take the step is
    /// `viewer.may(need: WRITE, unitId: …)` on the owning unit).
    async fn allowed_transitions(&self) -> Vec<NominationStatus> {
        <NominationStatus as async_graphql::EnumType>::items()
            .iter()
            .map(|item| item.value)
            .filter(|to| self.status.can_become(*to))
            .collect()
    }
    /// The honor record the award created; null until AWARDED.
    async fn honor(&self, ctx: &Context<'_>) -> ApiResult<Option<HonorRow>> {
        match self.honor_id {
            Some(id) => load_by_id::<HonorRow>(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Every step of the workflow, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        kexie_subgraph_kit::history::of(ctx, self.nomination_id).await
    }
    /// Increases with every change; send it back as `expectedVersion` when changing.
    async fn version(&self) -> i32 {
        self.audit.version
    }
    #[graphql(flatten)]
    async fn audit(&self) -> &Audit {
        &self.audit
    }
}

/// Which nominations to list.
#[derive(InputObject, Default)]
#[graphql(name = "NominationFilter")]
pub struct NominationFilterInput {
    /// Made by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: made by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub statuses: Option<Vec<NominationStatus>>,
    pub year: Option<i32>,
    pub levels: Option<Vec<HonorLevel>>,
    /// Of this candidate.
    pub worker_id: Option<ID>,
    /// Part of the honor's name or of the candidate's.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: nominations written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `nominations` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "NominationOrderField")]
pub enum NominationOrderField {
    /// 荣誉名称
    HonorName,
    /// 年度
    Year,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for NominationOrderField {
    fn column(self) -> SortColumn {
        match self {
            NominationOrderField::HonorName => SortColumn::text("honor_name"),
            NominationOrderField::Year => SortColumn::int("year"),
            NominationOrderField::Status => SortColumn::code("status"),
            NominationOrderField::UpdatedAt => SortColumn::time("updated_at"),
            NominationOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(NominationOrder, "NominationOrder", NominationOrderField);

impl NominationFilterInput {
    fn parse(self) -> ApiResult<NominationFilter> {
        Ok(NominationFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            statuses: self.statuses,
            year: self
                .year
                .map(|year| validate::year("filter.year", year))
                .transpose()?,
            levels: self.levels,
            worker_id: parse_optional_id("filter.workerId", self.worker_id.as_ref())?,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.nominations`.
    pub(super) fn for_unit(self, include_subtree: bool) -> ApiResult<NominationFilter> {
        refuse_sync_below(self.updated_since, "nominations")?;
        refuse_unit_filter(self.unit_id.as_ref(), self.include_subtree)?;
        Ok(NominationFilter {
            include_subtree,
            ..self.parse()?
        })
    }
}

/// `Unit.nominations` for a batch of units.
pub struct NominationsOfUnit(pub PgPool);

impl PerUnitQuery for NominationsOfUnit {
    type Filter = NominationFilter;
    type Row = NominationRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &NominationFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, NominationRow)>> {
        Ok(db::nominations::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(
        &self,
        unit_ids: &[Uuid],
        filter: &NominationFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::nominations::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct NominationQuery;

#[Object]
impl NominationQuery {
    /// A nomination by ID (archived ones too); null when there is none. Staff only.
    async fn nomination(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<NominationRow>> {
        require_staff(ctx, "Nominations")?;
        load_by_id::<NominationRow>(ctx, parse_id("id", &id)?).await
    }

    /// Nominations, newest first. Staff only.
    #[allow(clippy::too_many_arguments)]
    async fn nominations(
        &self,
        ctx: &Context<'_>,
        filter: Option<NominationFilterInput>,
        order_by: Option<NominationOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<NominationRow>> {
        require_staff(ctx, "Nominations")?;
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse()?;
        let pool = pool(ctx)?.clone();
        let rows = db::nominations::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::nominations::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// A new nomination; it starts NOMINATED.
#[derive(InputObject)]
pub struct CreateNominationInput {
    /// The worker put forward.
    pub candidate_id: ID,
    pub honor_name: String,
    pub honor_level: HonorLevel,
    /// The year of the honor: at most next year.
    pub year: i32,
    /// The active unit making the nomination.
    pub nominating_unit_id: ID,
    /// The association conferring the honor, if it is one of the tree's.
    pub conferring_unit_id: Option<ID>,
    /// 推荐理由
    pub reason: Option<String>,
    /// A retried create with the same key returns the first nomination and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Corrections to an open nomination; absent fields stay as they are, null clears an
/// optional one.
#[derive(InputObject, Default)]
pub struct UpdateNominationInput {
    pub honor_name: Option<String>,
    pub honor_level: Option<HonorLevel>,
    pub year: Option<i32>,
    pub nominating_unit_id: Option<ID>,
    pub conferring_unit_id: MaybeUndefined<ID>,
    pub reason: MaybeUndefined<String>,
}

/// Validated nomination fields.
struct ValidNomination {
    honor_name: String,
    honor_level: HonorLevel,
    year: i32,
    nominating_unit_id: Uuid,
    conferring_unit_id: Option<Uuid>,
    reason: Option<String>,
}

impl ValidNomination {
    fn parse(
        honor_name: &str,
        honor_level: HonorLevel,
        year: i32,
        nominating_unit_id: Uuid,
        conferring_unit_id: Option<Uuid>,
        reason: Option<&str>,
    ) -> ApiResult<Self> {
        validate::year("year", year)?;
        let latest = current_year() + 1;
        if year > latest {
            return Err(ApiError::validation(
                "year",
                kexie_subgraph_kit::text!(
                    "nominations are made for honors up to {latest}",
                    "只能推荐 {latest} 年度及以前的荣誉"
                ),
            ));
        }
        Ok(ValidNomination {
            honor_name: validate::text("honorName", honor_name, MAX_HONOR_NAME)?,
            honor_level,
            year,
            nominating_unit_id,
            conferring_unit_id,
            reason: validate::optional_text("reason", reason, MAX_REASON)?,
        })
    }

    fn fields(&self) -> NominationFields<'_> {
        NominationFields {
            honor_name: &self.honor_name,
            honor_level: self.honor_level,
            year: self.year,
            nominating_unit_id: self.nominating_unit_id,
            conferring_unit_id: self.conferring_unit_id,
            reason: self.reason.as_deref(),
        }
    }
}

fn nomination_write_error(err: sqlx::Error, honor_name: &str, year: i32) -> ApiError {
    match kexie_subgraph_kit::error::violated_constraint(&err) {
        Some("nomination_worker_honor_year_key") => ApiError::Duplicate(kexie_subgraph_kit::text!(
            "the candidate is already nominated for {honor_name} in {year}",
            "该人选已被推荐 {year} 年度的{honor_name}"
        )),
        _ => err.into(),
    }
}

/// What a mutation does with a nomination, which decides who may do it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// Correct or archive it: the nominating unit's business.
    Correct,
    /// Take a step of the review: for those above the nominating unit.
    Review,
}

/// Reads a nomination for a change: it must exist and not be archived, the principal must
/// be allowed the `change` for its nominating unit (as stored), and the client must have
/// read its current version.
async fn nomination_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
    change: Change,
) -> ApiResult<NominationRow> {
    let row = db::nominations::get_for_update(conn, id).await?;
    let row = validate::live("Nomination", id, row, |row| row.audit.archived_at.is_some())?;
    match change {
        Change::Correct => require_write(ctx, conn, row.nominating_unit_id).await?,
        Change::Review => require_reviewer(ctx, conn, row.nominating_unit_id).await?,
    }
    validate::expected_version("Nomination", id, expected_version, row.audit.version)?;
    Ok(row)
}

#[derive(Default)]
pub struct NominationMutation;

#[Object]
impl NominationMutation {
    /// Nominates a worker for an honor on behalf of an active unit; it starts NOMINATED.
    /// Needs write access to the nominating unit, which owns the nomination; the candidate
    /// may be at home anywhere.
    async fn create_nomination(
        &self,
        ctx: &Context<'_>,
        input: CreateNominationInput,
    ) -> ApiResult<NominationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let worker_id = parse_id("candidateId", &input.candidate_id)?;
        let nomination = ValidNomination::parse(
            &input.honor_name,
            input.honor_level,
            input.year,
            parse_id("nominatingUnitId", &input.nominating_unit_id)?,
            parse_optional_id("conferringUnitId", input.conferring_unit_id.as_ref())?,
            input.reason.as_deref(),
        )?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        require_write(ctx, &mut tx, nomination.nominating_unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createNomination",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::nominations::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Nomination", existing));
        }
        worker_to_reference(&mut tx, worker_id).await?;
        require_active_unit(pool, "nominatingUnitId", nomination.nominating_unit_id).await?;
        if let Some(unit_id) = nomination.conferring_unit_id {
            require_known_unit(pool, "conferringUnitId", unit_id).await?;
        }
        let created =
            db::nominations::insert(&mut tx, id, worker_id, &nomination.fields(), &actor.subject)
                .await
                .map_err(|err| {
                    nomination_write_error(err, &nomination.honor_name, nomination.year)
                })?;
        history::record(
            &mut tx,
            id,
            None,
            NominationStatus::Nominated.as_str(),
            &actor,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Corrects a nomination still under review (NOMINATED or SHORTLISTED); needs write
    /// access to the nominating unit, and handing the nomination to another nominating unit
    /// needs write access to that one too.
    async fn update_nomination(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateNominationInput,
    ) -> ApiResult<NominationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let nomination_id = parse_id("id", &id)?;
        let nominating_unit_id =
            parse_optional_id("nominatingUnitId", input.nominating_unit_id.as_ref())?;
        let conferring_unit_id = match input.conferring_unit_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(parse_id("conferringUnitId", &id)?)),
        };
        let mut tx = pool.begin().await?;
        let current = nomination_for_change(
            ctx,
            &mut tx,
            nomination_id,
            expected_version,
            Change::Correct,
        )
        .await?;
        require_write_to(
            ctx,
            &mut tx,
            current.nominating_unit_id,
            nominating_unit_id.unwrap_or(current.nominating_unit_id),
        )
        .await?;
        if !current.status.is_open() {
            return Err(ApiError::validation(
                "id",
                kexie_subgraph_kit::text!(
                    "the nomination is decided ({}) and can no longer be changed",
                    "该推荐已有结果（{}），不能再修改",
                    current.status.as_str()
                ),
            ));
        }
        let reason = validate::patch(input.reason, current.reason.clone());
        let nomination = ValidNomination::parse(
            input.honor_name.as_deref().unwrap_or(&current.honor_name),
            input.honor_level.unwrap_or(current.honor_level),
            input.year.unwrap_or(current.year),
            nominating_unit_id.unwrap_or(current.nominating_unit_id),
            conferring_unit_id.unwrap_or(current.conferring_unit_id),
            reason.as_deref(),
        )?;
        if nomination.nominating_unit_id != current.nominating_unit_id {
            require_active_unit(pool, "nominatingUnitId", nomination.nominating_unit_id).await?;
        }
        if let Some(unit_id) = nomination.conferring_unit_id {
            if Some(unit_id) != current.conferring_unit_id {
                require_known_unit(pool, "conferringUnitId", unit_id).await?;
            }
        }
        let updated =
            db::nominations::update(&mut tx, nomination_id, &nomination.fields(), &actor.subject)
                .await
                .map_err(|err| {
                    nomination_write_error(err, &nomination.honor_name, nomination.year)
                })?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Moves a nomination one step on. AWARDED creates the honor record (linked as
    /// `honor`) in the same transaction. Every step is a review decision: it needs write
    /// access to the nominating unit from staff of a unit strictly above it (the nominating
    /// unit does not decide on its own candidates), or the city admin.
    async fn transition_nomination(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: NominationStatus,
        note: Option<String>,
    ) -> ApiResult<NominationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let nomination_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        let mut tx = pool.begin().await?;
        let current = nomination_for_change(
            ctx,
            &mut tx,
            nomination_id,
            expected_version,
            Change::Review,
        )
        .await?;
        let to = current.status.transition(to)?;
        let honor_id = if to == NominationStatus::Awarded {
            let honor = HonorFields {
                name: &current.honor_name,
                level: current.honor_level,
                year: current.year,
                conferring_unit_id: current.conferring_unit_id,
            };
            let created = db::honors::insert(
                &mut tx,
                new_id(),
                current.worker_id,
                &honor,
                Some(nomination_id),
                &actor.subject,
            )
            .await
            .map_err(|err| honor_write_error(err, &current.honor_name, current.year))?;
            Some(created.honor_id)
        } else {
            None
        };
        let updated =
            db::nominations::set_status(&mut tx, nomination_id, to, honor_id, &actor.subject)
                .await?;
        history::record(
            &mut tx,
            nomination_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Archives a nomination made by mistake: left out of lists from now on. The honor an
    /// award created stays. Needs write access to the nominating unit.
    async fn archive_nomination(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<NominationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let nomination_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        nomination_for_change(
            ctx,
            &mut tx,
            nomination_id,
            expected_version,
            Change::Correct,
        )
        .await?;
        let archived = db::nominations::archive(&mut tx, nomination_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(archived)
    }
}

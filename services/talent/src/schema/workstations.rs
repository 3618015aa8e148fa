//! Workstations (工作站): 院士专家工作站, 博士创新工作站, 科技专家企业工作站 and 科技小院, hosted by
//! a unit (often for an enterprise), with resident experts; ACTIVE ⇄ SUSPENDED, → CLOSED.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{Duration, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::history::{self, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::workers::worker_to_reference;
use super::{load, pool, refuse_unit_filter, ResidentsOfWorkstation, Unit};
use crate::db;
use crate::db::workers::WorkerRow;
use crate::db::workstations::{WorkstationFields, WorkstationFilter, WorkstationRow};
use crate::domain::{CertificationLevel, WorkstationKind, WorkstationStatus};
use crate::policy::{require_staff, require_write, require_write_to, require_writer};

const MAX_NAME: usize = 100;
const MAX_HOST_ENTERPRISE: usize = 100;

/// A workstation (工作站). Staff only.
#[Object(name = "Workstation")]
impl WorkstationRow {
    async fn id(&self) -> ID {
        ID(self.workstation_id.to_string())
    }
    async fn kind(&self) -> WorkstationKind {
        self.kind
    }
    async fn name(&self) -> &str {
        &self.name
    }
    /// The association the workstation is registered with.
    async fn host_unit(&self) -> Unit {
        Unit {
            id: self.host_unit_id,
        }
    }
    /// The enterprise (or cooperative, school, hospital) it works in.
    async fn host_enterprise(&self) -> Option<&str> {
        self.host_enterprise.as_deref()
    }
    /// Provincial certification (省级认证) is what the targets count.
    async fn certification(&self) -> CertificationLevel {
        self.certification
    }
    async fn founded_on(&self) -> Option<NaiveDate> {
        self.founded_on
    }
    async fn status(&self) -> WorkstationStatus {
        self.status
    }
    /// The statuses `transitionWorkstation` accepts from here (the workflow; whether the viewer may take the step is
    /// `viewer.may(need: WRITE, unitId: …)` on the owning unit).
    async fn allowed_transitions(&self) -> Vec<WorkstationStatus> {
        <WorkstationStatus as async_graphql::EnumType>::items()
            .iter()
            .map(|item| item.value)
            .filter(|to| self.status.can_become(*to))
            .collect()
    }
    /// 入站专家, longest resident first (archived workers left out).
    async fn resident_experts(&self, ctx: &Context<'_>) -> ApiResult<Vec<WorkerRow>> {
        Ok(load::<ResidentsOfWorkstation, _>(ctx, self.workstation_id)
            .await?
            .unwrap_or_default())
    }
    /// Every status change, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        kexie_subgraph_kit::history::of(ctx, self.workstation_id).await
    }
    /// Increases with every change (residents included); send it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.audit.version
    }
    #[graphql(flatten)]
    async fn audit(&self) -> &Audit {
        &self.audit
    }
}

/// Which workstations to list.
#[derive(InputObject, Default)]
#[graphql(name = "WorkstationFilter")]
pub struct WorkstationFilterInput {
    /// Hosted by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: hosted by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub kinds: Option<Vec<WorkstationKind>>,
    pub certifications: Option<Vec<CertificationLevel>>,
    pub statuses: Option<Vec<WorkstationStatus>>,
    /// Founded on or after this day.
    pub founded_from: Option<NaiveDate>,
    /// Founded on or before this day.
    pub founded_to: Option<NaiveDate>,
    /// Part of the name or of the host enterprise.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: workstations written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `workstations` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "WorkstationOrderField")]
pub enum WorkstationOrderField {
    /// 名称
    Name,
    /// 类型
    Kind,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for WorkstationOrderField {
    fn column(self) -> SortColumn {
        match self {
            WorkstationOrderField::Name => SortColumn::text("name"),
            WorkstationOrderField::Kind => SortColumn::code("kind"),
            WorkstationOrderField::Status => SortColumn::code("status"),
            WorkstationOrderField::UpdatedAt => SortColumn::time("updated_at"),
            WorkstationOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(WorkstationOrder, "WorkstationOrder", WorkstationOrderField);

impl WorkstationFilterInput {
    fn parse(self) -> ApiResult<WorkstationFilter> {
        validate::date_order("filter.foundedTo", self.founded_from, self.founded_to)?;
        Ok(WorkstationFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            kinds: self.kinds,
            certifications: self.certifications,
            statuses: self.statuses,
            founded_from: self.founded_from,
            founded_to: self.founded_to,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.workstations`.
    pub(super) fn for_unit(self, include_subtree: bool) -> ApiResult<WorkstationFilter> {
        refuse_sync_below(self.updated_since, "workstations")?;
        refuse_unit_filter(self.unit_id.as_ref(), self.include_subtree)?;
        Ok(WorkstationFilter {
            include_subtree,
            ..self.parse()?
        })
    }
}

/// `Unit.workstations` for a batch of units.
pub struct WorkstationsOfUnit(pub PgPool);

impl PerUnitQuery for WorkstationsOfUnit {
    type Filter = WorkstationFilter;
    type Row = WorkstationRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &WorkstationFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, WorkstationRow)>> {
        Ok(db::workstations::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(
        &self,
        unit_ids: &[Uuid],
        filter: &WorkstationFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::workstations::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct WorkstationQuery;

#[Object]
impl WorkstationQuery {
    /// A workstation by ID (archived ones too); null when there is none. Staff only.
    async fn workstation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<WorkstationRow>> {
        require_staff(ctx, "Workstations")?;
        Ok(db::workstations::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }

    /// Workstations, newest first. Staff only.
    #[allow(clippy::too_many_arguments)]
    async fn workstations(
        &self,
        ctx: &Context<'_>,
        filter: Option<WorkstationFilterInput>,
        order_by: Option<WorkstationOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<WorkstationRow>> {
        require_staff(ctx, "Workstations")?;
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse()?;
        let pool = pool(ctx)?.clone();
        let rows = db::workstations::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::workstations::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// A new workstation; it starts ACTIVE.
#[derive(InputObject)]
pub struct CreateWorkstationInput {
    pub kind: WorkstationKind,
    pub name: String,
    /// The active unit it is registered with.
    pub host_unit_id: ID,
    pub host_enterprise: Option<String>,
    #[graphql(default_with = "CertificationLevel::None")]
    pub certification: CertificationLevel,
    /// Not in the future.
    pub founded_on: Option<NaiveDate>,
    /// A retried create with the same key returns the first workstation and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a workstation; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateWorkstationInput {
    pub kind: Option<WorkstationKind>,
    pub name: Option<String>,
    /// Moves the workstation to another active unit.
    pub host_unit_id: Option<ID>,
    pub host_enterprise: MaybeUndefined<String>,
    pub certification: Option<CertificationLevel>,
    pub founded_on: MaybeUndefined<NaiveDate>,
}

/// Validated workstation fields.
struct ValidWorkstation {
    kind: WorkstationKind,
    name: String,
    host_unit_id: Uuid,
    host_enterprise: Option<String>,
    certification: CertificationLevel,
    founded_on: Option<NaiveDate>,
}

impl ValidWorkstation {
    fn parse(
        kind: WorkstationKind,
        name: &str,
        host_unit_id: Uuid,
        host_enterprise: Option<&str>,
        certification: CertificationLevel,
        founded_on: Option<NaiveDate>,
    ) -> ApiResult<Self> {
        // Today in China, where the associations record their dates.
        let today = (Utc::now() + Duration::hours(8)).date_naive();
        if let Some(founded_on) = founded_on {
            if founded_on > today {
                return Err(ApiError::validation(
                    "foundedOn",
                    kexie_subgraph_kit::text!(
                        "{founded_on} is in the future",
                        "{founded_on} 是将来的日期"
                    ),
                ));
            }
        }
        Ok(ValidWorkstation {
            kind,
            name: validate::text("name", name, MAX_NAME)?,
            host_unit_id,
            host_enterprise: validate::optional_text(
                "hostEnterprise",
                host_enterprise,
                MAX_HOST_ENTERPRISE,
            )?,
            certification,
            founded_on,
        })
    }

    fn fields(&self) -> WorkstationFields<'_> {
        WorkstationFields {
            kind: self.kind,
            name: &self.name,
            host_unit_id: self.host_unit_id,
            host_enterprise: self.host_enterprise.as_deref(),
            certification: self.certification,
            founded_on: self.founded_on,
        }
    }
}

/// Reads a workstation for a change: it must exist and not be archived, the principal must
/// be allowed to change the records of its host unit (as stored), and the client must have
/// read its current version.
async fn workstation_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
) -> ApiResult<WorkstationRow> {
    let row = db::workstations::get_for_update(conn, id).await?;
    let row = validate::live("Workstation", id, row, |row| {
        row.audit.archived_at.is_some()
    })?;
    require_write(ctx, conn, row.host_unit_id).await?;
    validate::expected_version("Workstation", id, expected_version, row.audit.version)?;
    Ok(row)
}

/// Residents come and go only while a workstation has not closed.
fn require_not_closed(workstation: &WorkstationRow) -> ApiResult<()> {
    if workstation.status == WorkstationStatus::Closed {
        return Err(ApiError::validation(
            "workstationId",
            kexie_subgraph_kit::text!(
                "workstation {} is CLOSED",
                "工作站 {} 已关闭",
                workstation.name
            ),
        ));
    }
    Ok(())
}

#[derive(Default)]
pub struct WorkstationMutation;

#[Object]
impl WorkstationMutation {
    /// Registers a workstation with an active host unit; it starts ACTIVE. Needs write
    /// access to the host unit, which owns the record.
    async fn create_workstation(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkstationInput,
    ) -> ApiResult<WorkstationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let workstation = ValidWorkstation::parse(
            input.kind,
            &input.name,
            parse_id("hostUnitId", &input.host_unit_id)?,
            input.host_enterprise.as_deref(),
            input.certification,
            input.founded_on,
        )?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        require_write(ctx, &mut tx, workstation.host_unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createWorkstation",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::workstations::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Workstation", existing));
        }
        require_active_unit(pool, "hostUnitId", workstation.host_unit_id).await?;
        let created =
            db::workstations::insert(&mut tx, id, &workstation.fields(), &actor.subject).await?;
        history::record(
            &mut tx,
            id,
            None,
            WorkstationStatus::Active.as_str(),
            &actor,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Changes a workstation's details (its residents and status have mutations of
    /// their own); needs write access to the host unit, and moving the workstation to
    /// another (active) host unit needs write access to that one too.
    async fn update_workstation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateWorkstationInput,
    ) -> ApiResult<WorkstationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let workstation_id = parse_id("id", &id)?;
        let host_unit_id = parse_optional_id("hostUnitId", input.host_unit_id.as_ref())?;
        let mut tx = pool.begin().await?;
        let current =
            workstation_for_change(ctx, &mut tx, workstation_id, expected_version).await?;
        require_write_to(
            ctx,
            &mut tx,
            current.host_unit_id,
            host_unit_id.unwrap_or(current.host_unit_id),
        )
        .await?;
        let host_enterprise =
            validate::patch(input.host_enterprise, current.host_enterprise.clone());
        let workstation = ValidWorkstation::parse(
            input.kind.unwrap_or(current.kind),
            input.name.as_deref().unwrap_or(&current.name),
            host_unit_id.unwrap_or(current.host_unit_id),
            host_enterprise.as_deref(),
            input.certification.unwrap_or(current.certification),
            validate::patch(input.founded_on, current.founded_on),
        )?;
        if workstation.host_unit_id != current.host_unit_id {
            require_active_unit(pool, "hostUnitId", workstation.host_unit_id).await?;
        }
        let updated = db::workstations::update(
            &mut tx,
            workstation_id,
            &workstation.fields(),
            &actor.subject,
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Suspends, resumes or closes a workstation; CLOSED is final. Needs write access to the
    /// host unit.
    async fn transition_workstation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: WorkstationStatus,
        note: Option<String>,
    ) -> ApiResult<WorkstationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let workstation_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        let mut tx = pool.begin().await?;
        let current =
            workstation_for_change(ctx, &mut tx, workstation_id, expected_version).await?;
        let to = current.status.transition(to)?;
        let updated =
            db::workstations::set_status(&mut tx, workstation_id, to, &actor.subject).await?;
        history::record(
            &mut tx,
            workstation_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Archives a workstation recorded by mistake: left out of lists from now on. Needs
    /// write access to the host unit.
    async fn archive_workstation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<WorkstationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let workstation_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        workstation_for_change(ctx, &mut tx, workstation_id, expected_version).await?;
        let archived = db::workstations::archive(&mut tx, workstation_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(archived)
    }

    /// Makes a worker a resident expert (入站专家) of a workstation that has not closed.
    /// Needs write access to the host unit (experts often come from elsewhere: the worker's
    /// own home unit has no say).
    async fn add_resident_expert(
        &self,
        ctx: &Context<'_>,
        workstation_id: ID,
        expected_version: i32,
        worker_id: ID,
    ) -> ApiResult<WorkstationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let workstation_id = parse_id("workstationId", &workstation_id)?;
        let worker_id = parse_id("workerId", &worker_id)?;
        let mut tx = pool.begin().await?;
        let workstation =
            workstation_for_change(ctx, &mut tx, workstation_id, expected_version).await?;
        require_not_closed(&workstation)?;
        let worker = worker_to_reference(&mut tx, worker_id).await?;
        if !db::workstations::add_resident(&mut tx, workstation_id, worker_id, &actor.subject)
            .await?
        {
            return Err(ApiError::Duplicate(kexie_subgraph_kit::text!(
                "{} is already a resident expert of {}",
                "{} 已是{}的入驻专家",
                worker.name,
                workstation.name
            )));
        }
        let updated = db::workstations::touch(&mut tx, workstation_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Ends a worker's residency in a workstation that has not closed. Needs write access to
    /// the host unit.
    async fn remove_resident_expert(
        &self,
        ctx: &Context<'_>,
        workstation_id: ID,
        expected_version: i32,
        worker_id: ID,
    ) -> ApiResult<WorkstationRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let workstation_id = parse_id("workstationId", &workstation_id)?;
        let worker_id = parse_id("workerId", &worker_id)?;
        let mut tx = pool.begin().await?;
        let workstation =
            workstation_for_change(ctx, &mut tx, workstation_id, expected_version).await?;
        require_not_closed(&workstation)?;
        if !db::workstations::remove_resident(&mut tx, workstation_id, worker_id).await? {
            return Err(ApiError::NotFound {
                entity: "Resident expert",
                id: format!("{worker_id} of workstation {}", workstation.name),
            });
        }
        let updated = db::workstations::touch(&mut tx, workstation_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(updated)
    }
}

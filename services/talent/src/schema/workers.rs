//! S&T workers (科技工作者): the entity this subgraph owns and others (advice's authors)
//! reference.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::access::Need;
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::{
    load, pool, refuse_unit_filter, HonorsOfWorker, NominationsOfWorker, Unit, WorkstationsOfWorker,
};
use crate::db;
use crate::db::honors::HonorRow;
use crate::db::nominations::NominationRow;
use crate::db::workers::{WorkerFields, WorkerFilter, WorkerRow};
use crate::db::workstations::WorkstationRow;
use crate::domain::{self, Gender, ProfessionalTitle};
use crate::policy::{
    allowed_on, require_public_talent, require_staff, require_write, require_write_to,
    require_writer,
};

const MAX_NAME: usize = 50;
const MAX_DISCIPLINE: usize = 50;
const MAX_EMPLOYER: usize = 100;

/// An S&T worker (科技工作者).
///
/// The public sees `id` and `name` (of honorees, through `Honor.worker`); every other field
/// needs staff or a partner key with `talent:read-public` and answers `FORBIDDEN` to anyone
/// else (`createdBy`, `updatedBy`, `nominations` and `workstations` need staff). Personal
/// data (`birthYear`, `phone`, `email`) is null unless the caller may read the
/// subtree-only data of the worker's home unit (staff, admins and leadership of a unit
/// enclosing it, the city admin).
#[Object(name = "Worker")]
impl WorkerRow {
    async fn id(&self) -> ID {
        ID(self.worker_id.to_string())
    }
    /// Public.
    async fn name(&self) -> &str {
        &self.name
    }
    async fn gender(&self, ctx: &Context<'_>) -> ApiResult<Gender> {
        public_data(ctx)?;
        Ok(self.gender)
    }
    /// Personal data: null unless the caller may read the subtree-only data of the home
    /// unit.
    async fn birth_year(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        Ok(self.personal(ctx, self.birth_year).await?)
    }
    /// 学科, as the worker states it.
    async fn discipline(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        public_data(ctx)?;
        Ok(self.discipline.as_deref())
    }
    /// 职称; rural experts often hold none.
    async fn title(&self, ctx: &Context<'_>) -> ApiResult<Option<ProfessionalTitle>> {
        public_data(ctx)?;
        Ok(self.title)
    }
    /// 工作单位
    async fn employer(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        public_data(ctx)?;
        Ok(self.employer.as_deref())
    }
    /// The association the worker belongs to.
    async fn home_unit(&self, ctx: &Context<'_>) -> ApiResult<Unit> {
        public_data(ctx)?;
        Ok(Unit {
            id: self.home_unit_id,
        })
    }
    /// 科技志愿者
    async fn is_volunteer(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        public_data(ctx)?;
        Ok(self.is_volunteer)
    }
    /// 田秀才/土专家: a rural practical expert.
    async fn is_rural_expert(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        public_data(ctx)?;
        Ok(self.is_rural_expert)
    }
    /// 青年科技人才
    async fn is_young_talent(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        public_data(ctx)?;
        Ok(self.is_young_talent)
    }
    /// 院士
    async fn is_academician(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        public_data(ctx)?;
        Ok(self.is_academician)
    }
    /// Personal data: null unless the caller may read the subtree-only data of the home
    /// unit.
    async fn phone(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.personal(ctx, self.phone.as_deref()).await?)
    }
    /// Personal data: null unless the caller may read the subtree-only data of the home
    /// unit.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.personal(ctx, self.email.as_deref()).await?)
    }
    /// The worker's honors (not archived), latest year first.
    async fn honors(&self, ctx: &Context<'_>) -> ApiResult<Vec<HonorRow>> {
        public_data(ctx)?;
        Ok(load::<HonorsOfWorker, _>(ctx, self.worker_id)
            .await?
            .unwrap_or_default())
    }
    /// Nominations of the worker (not archived), newest first; staff only.
    async fn nominations(&self, ctx: &Context<'_>) -> ApiResult<Vec<NominationRow>> {
        require_staff(ctx, "A worker's nominations")?;
        Ok(load::<NominationsOfWorker, _>(ctx, self.worker_id)
            .await?
            .unwrap_or_default())
    }
    /// The workstations the worker is a resident expert of (not archived), newest first;
    /// staff only.
    async fn workstations(&self, ctx: &Context<'_>) -> ApiResult<Vec<WorkstationRow>> {
        require_staff(ctx, "A worker's workstations")?;
        Ok(load::<WorkstationsOfWorker, _>(ctx, self.worker_id)
            .await?
            .unwrap_or_default())
    }
    /// Increases with every change; send it back as `expectedVersion` when changing.
    async fn version(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        public_data(ctx)?;
        Ok(self.audit.version)
    }
    async fn created_at(&self, ctx: &Context<'_>) -> ApiResult<DateTime<Utc>> {
        public_data(ctx)?;
        Ok(self.audit.created_at)
    }
    /// Who recorded the worker: a staff member's subject, for staff only.
    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        require_staff(ctx, "Who recorded a worker")?;
        Ok(&self.audit.created_by)
    }
    async fn updated_at(&self, ctx: &Context<'_>) -> ApiResult<DateTime<Utc>> {
        public_data(ctx)?;
        Ok(self.audit.updated_at)
    }
    /// Who changed the worker last: a staff member's subject, for staff only.
    async fn updated_by(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        require_staff(ctx, "Who changed a worker")?;
        Ok(&self.audit.updated_by)
    }
    async fn archived_at(&self, ctx: &Context<'_>) -> ApiResult<Option<DateTime<Utc>>> {
        public_data(ctx)?;
        Ok(self.audit.archived_at)
    }
}

impl WorkerRow {
    /// `value` when the caller may read the personal data of workers at home in the
    /// worker's unit, else `None`.
    async fn personal<T>(&self, ctx: &Context<'_>, value: Option<T>) -> ApiResult<Option<T>> {
        Ok(
            if allowed_on(ctx, Need::ReadSubtree, self.home_unit_id).await? {
                value
            } else {
                None
            },
        )
    }
}

/// Refuses callers who may not read workers' public data.
fn public_data(ctx: &Context<'_>) -> ApiResult<()> {
    require_public_talent(ctx, "A worker's data beyond the name")
}

/// Which workers to list.
#[derive(InputObject, Default)]
#[graphql(name = "WorkerFilter")]
pub struct WorkerFilterInput {
    /// At home in this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: at home in any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub titles: Option<Vec<ProfessionalTitle>>,
    pub gender: Option<Gender>,
    pub is_volunteer: Option<bool>,
    pub is_rural_expert: Option<bool>,
    pub is_young_talent: Option<bool>,
    pub is_academician: Option<bool>,
    /// Part of the discipline.
    pub discipline: Option<String>,
    /// Part of the name.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: workers written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `workers` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "WorkerOrderField")]
pub enum WorkerOrderField {
    /// 名称
    Name,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for WorkerOrderField {
    fn column(self) -> SortColumn {
        match self {
            WorkerOrderField::Name => SortColumn::text("name"),
            WorkerOrderField::UpdatedAt => SortColumn::time("updated_at"),
            WorkerOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(WorkerOrder, "WorkerOrder", WorkerOrderField);

impl WorkerFilterInput {
    pub(super) fn parse(self) -> ApiResult<WorkerFilter> {
        Ok(WorkerFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            titles: self.titles,
            gender: self.gender,
            is_volunteer: self.is_volunteer,
            is_rural_expert: self.is_rural_expert,
            is_young_talent: self.is_young_talent,
            is_academician: self.is_academician,
            discipline: validate::search_pattern("filter.discipline", self.discipline.as_deref())?,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.workers`.
    pub(super) fn for_unit(self, include_subtree: bool) -> ApiResult<WorkerFilter> {
        refuse_sync_below(self.updated_since, "workers")?;
        refuse_unit_filter(self.unit_id.as_ref(), self.include_subtree)?;
        Ok(WorkerFilter {
            include_subtree,
            ..self.parse()?
        })
    }
}

/// `Unit.workers` for a batch of units.
pub struct WorkersOfUnit(pub PgPool);

impl PerUnitQuery for WorkersOfUnit {
    type Filter = WorkerFilter;
    type Row = WorkerRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &WorkerFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, WorkerRow)>> {
        Ok(db::workers::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(&self, unit_ids: &[Uuid], filter: &WorkerFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::workers::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct WorkerQuery;

#[Object]
impl WorkerQuery {
    /// A worker by ID (archived ones too); null when there is none. Staff and partner keys
    /// with `talent:read-public` only.
    async fn worker(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<WorkerRow>> {
        require_public_talent(ctx, "Workers")?;
        load_by_id::<WorkerRow>(ctx, parse_id("id", &id)?).await
    }

    /// Workers, newest first. Staff and partner keys with `talent:read-public` only.
    #[allow(clippy::too_many_arguments)]
    async fn workers(
        &self,
        ctx: &Context<'_>,
        filter: Option<WorkerFilterInput>,
        order_by: Option<WorkerOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<WorkerRow>> {
        require_public_talent(ctx, "Workers")?;
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse()?;
        let pool = pool(ctx)?.clone();
        let rows = db::workers::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::workers::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }

    /// Resolves workers for the gateway: a whole `_entities` batch in one query. Staff and
    /// partner keys with `talent:read-public` only, as `worker`.
    #[graphql(entity)]
    async fn find_worker_by_id(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<WorkerRow>> {
        require_public_talent(ctx, "Workers")?;
        load_by_id::<WorkerRow>(ctx, parse_id("id", &id)?).await
    }
}

/// A new S&T worker.
#[derive(InputObject)]
pub struct CreateWorkerInput {
    pub name: String,
    pub gender: Gender,
    pub birth_year: Option<i32>,
    pub discipline: Option<String>,
    pub title: Option<ProfessionalTitle>,
    pub employer: Option<String>,
    /// An active unit of the tree.
    pub home_unit_id: ID,
    #[graphql(default)]
    pub is_volunteer: bool,
    #[graphql(default)]
    pub is_rural_expert: bool,
    #[graphql(default)]
    pub is_young_talent: bool,
    #[graphql(default)]
    pub is_academician: bool,
    /// A mobile number (13912345678) or a landline with its area code (0816-2345678).
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A retried create with the same key returns the first worker and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a worker; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateWorkerInput {
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub birth_year: MaybeUndefined<i32>,
    pub discipline: MaybeUndefined<String>,
    pub title: MaybeUndefined<ProfessionalTitle>,
    pub employer: MaybeUndefined<String>,
    /// Moves the worker to another active unit.
    pub home_unit_id: Option<ID>,
    pub is_volunteer: Option<bool>,
    pub is_rural_expert: Option<bool>,
    pub is_young_talent: Option<bool>,
    pub is_academician: Option<bool>,
    pub phone: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
}

/// Validated worker fields.
struct ValidWorker {
    name: String,
    gender: Gender,
    birth_year: Option<i32>,
    discipline: Option<String>,
    title: Option<ProfessionalTitle>,
    employer: Option<String>,
    home_unit_id: Uuid,
    is_volunteer: bool,
    is_rural_expert: bool,
    is_young_talent: bool,
    is_academician: bool,
    phone: Option<String>,
    email: Option<String>,
}

/// The worker's fields as given, before validation.
struct WorkerDraft<'a> {
    name: &'a str,
    gender: Gender,
    birth_year: Option<i32>,
    discipline: Option<&'a str>,
    title: Option<ProfessionalTitle>,
    employer: Option<&'a str>,
    home_unit_id: Uuid,
    flags: [bool; 4],
    phone: Option<&'a str>,
    email: Option<&'a str>,
}

impl ValidWorker {
    fn parse(draft: WorkerDraft<'_>) -> ApiResult<Self> {
        let [is_volunteer, is_rural_expert, is_young_talent, is_academician] = draft.flags;
        let phone = match draft.phone.map(str::trim).filter(|phone| !phone.is_empty()) {
            Some(phone) => Some(domain::phone("phone", phone)?),
            None => None,
        };
        let email = match draft.email.map(str::trim).filter(|email| !email.is_empty()) {
            Some(email) => Some(domain::email("email", email)?),
            None => None,
        };
        Ok(ValidWorker {
            name: validate::text("name", draft.name, MAX_NAME)?,
            gender: draft.gender,
            birth_year: draft
                .birth_year
                .map(|year| domain::birth_year("birthYear", year))
                .transpose()?,
            discipline: validate::optional_text("discipline", draft.discipline, MAX_DISCIPLINE)?,
            title: draft.title,
            employer: validate::optional_text("employer", draft.employer, MAX_EMPLOYER)?,
            home_unit_id: draft.home_unit_id,
            is_volunteer,
            is_rural_expert,
            is_young_talent,
            is_academician,
            phone,
            email,
        })
    }

    fn fields(&self) -> WorkerFields<'_> {
        WorkerFields {
            name: &self.name,
            gender: self.gender,
            birth_year: self.birth_year,
            discipline: self.discipline.as_deref(),
            title: self.title,
            employer: self.employer.as_deref(),
            home_unit_id: self.home_unit_id,
            is_volunteer: self.is_volunteer,
            is_rural_expert: self.is_rural_expert,
            is_young_talent: self.is_young_talent,
            is_academician: self.is_academician,
            phone: self.phone.as_deref(),
            email: self.email.as_deref(),
        }
    }
}

/// Reads a worker for a change: it must exist and not be archived, the principal must be
/// allowed to change the records of its home unit (as stored), and the client must have read
/// its current version.
async fn worker_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
) -> ApiResult<WorkerRow> {
    let row = db::workers::get_for_update(conn, id).await?;
    let row = validate::live("Worker", id, row, |row| row.audit.archived_at.is_some())?;
    require_write(ctx, conn, row.home_unit_id).await?;
    validate::expected_version("Worker", id, expected_version, row.audit.version)?;
    Ok(row)
}

/// Reads a worker that a new record (an honor, a nomination, a residency) is about to
/// reference: it must exist and not be archived.
pub(super) async fn worker_to_reference(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
) -> ApiResult<WorkerRow> {
    db::workers::get_for_reference(conn, id)
        .await?
        .filter(|row| row.audit.archived_at.is_none())
        .ok_or_else(|| ApiError::not_found("Worker", id))
}

#[derive(Default)]
pub struct WorkerMutation;

#[Object]
impl WorkerMutation {
    /// Records an S&T worker at an active unit; needs write access to that unit (the
    /// worker's home unit owns the record).
    async fn create_worker(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkerInput,
    ) -> ApiResult<WorkerRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let worker = ValidWorker::parse(WorkerDraft {
            name: &input.name,
            gender: input.gender,
            birth_year: input.birth_year,
            discipline: input.discipline.as_deref(),
            title: input.title,
            employer: input.employer.as_deref(),
            home_unit_id: parse_id("homeUnitId", &input.home_unit_id)?,
            flags: [
                input.is_volunteer,
                input.is_rural_expert,
                input.is_young_talent,
                input.is_academician,
            ],
            phone: input.phone.as_deref(),
            email: input.email.as_deref(),
        })?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        require_write(ctx, &mut tx, worker.home_unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createWorker",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::workers::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Worker", existing));
        }
        require_active_unit(pool, "homeUnitId", worker.home_unit_id).await?;
        let created = db::workers::insert(&mut tx, id, &worker.fields(), &actor.subject).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Changes a worker's record; needs write access to the home unit, and moving the
    /// worker to another (active) unit needs write access to that one too.
    async fn update_worker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateWorkerInput,
    ) -> ApiResult<WorkerRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let worker_id = parse_id("id", &id)?;
        let home_unit_id = parse_optional_id("homeUnitId", input.home_unit_id.as_ref())?;
        let mut tx = pool.begin().await?;
        let current = worker_for_change(ctx, &mut tx, worker_id, expected_version).await?;
        require_write_to(
            ctx,
            &mut tx,
            current.home_unit_id,
            home_unit_id.unwrap_or(current.home_unit_id),
        )
        .await?;
        let discipline = validate::patch(input.discipline, current.discipline.clone());
        let employer = validate::patch(input.employer, current.employer.clone());
        let phone = validate::patch(input.phone, current.phone.clone());
        let email = validate::patch(input.email, current.email.clone());
        let worker = ValidWorker::parse(WorkerDraft {
            name: input.name.as_deref().unwrap_or(&current.name),
            gender: input.gender.unwrap_or(current.gender),
            birth_year: validate::patch(input.birth_year, current.birth_year),
            discipline: discipline.as_deref(),
            title: validate::patch(input.title, current.title),
            employer: employer.as_deref(),
            home_unit_id: home_unit_id.unwrap_or(current.home_unit_id),
            flags: [
                input.is_volunteer.unwrap_or(current.is_volunteer),
                input.is_rural_expert.unwrap_or(current.is_rural_expert),
                input.is_young_talent.unwrap_or(current.is_young_talent),
                input.is_academician.unwrap_or(current.is_academician),
            ],
            phone: phone.as_deref(),
            email: email.as_deref(),
        })?;
        if worker.home_unit_id != current.home_unit_id {
            require_active_unit(pool, "homeUnitId", worker.home_unit_id).await?;
        }
        let updated =
            db::workers::update(&mut tx, worker_id, &worker.fields(), &actor.subject).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Archives a worker: left out of lists and of workstations' resident experts from now
    /// on; their honors and nominations stay on record. Needs write access to the home unit.
    async fn archive_worker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<WorkerRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let worker_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        worker_for_change(ctx, &mut tx, worker_id, expected_version).await?;
        let archived = db::workers::archive(&mut tx, worker_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(archived)
    }
}

//! Honors (荣誉): 最美科技工作者, 优秀科技工作者, 青年科技人才托举工程 and the like, entered
//! directly as historical records or created by an awarded nomination.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::workers::worker_to_reference;
use super::{pool, refuse_unit_filter, require_known_unit, Unit};
use crate::db;
use crate::db::honors::{HonorFields, HonorFilter, HonorRow};
use crate::db::nominations::NominationRow;
use crate::db::workers::WorkerRow;
use crate::domain::{current_year, HonorLevel};
use crate::policy::{require_staff, require_write, require_writer};

/// The longest honor name.
pub(super) const MAX_HONOR_NAME: usize = 100;

/// An honor (荣誉) a worker received. Public: anyone may read honors and the honored
/// worker's `id` and `name`; who recorded and changed it is for staff only.
#[Object(name = "Honor")]
impl HonorRow {
    async fn id(&self) -> ID {
        ID(self.honor_id.to_string())
    }
    /// The honored worker: the public reads its `id` and `name` only (see `Worker`).
    async fn worker(&self, ctx: &Context<'_>) -> ApiResult<WorkerRow> {
        load_by_id::<WorkerRow>(ctx, self.worker_id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("honor {} names no worker", self.honor_id)))
    }
    /// e.g. 最美科技工作者
    async fn name(&self) -> &str {
        &self.name
    }
    async fn level(&self) -> HonorLevel {
        self.level
    }
    async fn year(&self) -> i32 {
        self.year
    }
    /// The association that conferred it, when it is one of the tree's.
    async fn conferring_unit(&self) -> Option<Unit> {
        self.conferring_unit_id.map(|id| Unit { id })
    }
    /// The nomination whose award created this record; null for records entered directly.
    /// Staff only, as nominations are.
    async fn nomination(&self, ctx: &Context<'_>) -> ApiResult<Option<NominationRow>> {
        require_staff(ctx, "The nomination behind an honor")?;
        match self.nomination_id {
            Some(id) => load_by_id::<NominationRow>(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Increases with every change; send it back as `expectedVersion` when changing.
    async fn version(&self) -> i32 {
        self.audit.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.audit.created_at
    }
    /// Who recorded it: a staff member's subject, for staff only (`FORBIDDEN` otherwise).
    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        require_staff(ctx, "Who recorded an honor")?;
        Ok(&self.audit.created_by)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.audit.updated_at
    }
    /// Who changed it last: a staff member's subject, for staff only (`FORBIDDEN`
    /// otherwise).
    async fn updated_by(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        require_staff(ctx, "Who changed an honor")?;
        Ok(&self.audit.updated_by)
    }
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.audit.archived_at
    }
}

/// Which honors to list.
#[derive(InputObject, Default)]
#[graphql(name = "HonorFilter")]
pub struct HonorFilterInput {
    /// Received by workers at home in this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by workers at home in any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub levels: Option<Vec<HonorLevel>>,
    pub year: Option<i32>,
    pub worker_id: Option<ID>,
    /// Part of the honor's name or of the worker's.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: honors written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `honors` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "HonorOrderField")]
pub enum HonorOrderField {
    /// 名称
    Name,
    /// 年度
    Year,
    /// 级别
    Level,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for HonorOrderField {
    fn column(self) -> SortColumn {
        match self {
            HonorOrderField::Name => SortColumn::text("name"),
            HonorOrderField::Year => SortColumn::int("year"),
            HonorOrderField::Level => SortColumn::code("level"),
            HonorOrderField::UpdatedAt => SortColumn::time("updated_at"),
            HonorOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(HonorOrder, "HonorOrder", HonorOrderField);

impl HonorFilterInput {
    fn parse(self) -> ApiResult<HonorFilter> {
        Ok(HonorFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            levels: self.levels,
            year: self
                .year
                .map(|year| validate::year("filter.year", year))
                .transpose()?,
            worker_id: parse_optional_id("filter.workerId", self.worker_id.as_ref())?,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.honors`.
    pub(super) fn for_unit(self, include_subtree: bool) -> ApiResult<HonorFilter> {
        refuse_sync_below(self.updated_since, "honors")?;
        refuse_unit_filter(self.unit_id.as_ref(), self.include_subtree)?;
        Ok(HonorFilter {
            include_subtree,
            ..self.parse()?
        })
    }
}

/// `Unit.honors` for a batch of units.
pub struct HonorsOfUnit(pub PgPool);

impl PerUnitQuery for HonorsOfUnit {
    type Filter = HonorFilter;
    type Row = HonorRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &HonorFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, HonorRow)>> {
        Ok(db::honors::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(&self, unit_ids: &[Uuid], filter: &HonorFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::honors::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct HonorQuery;

#[Object]
impl HonorQuery {
    /// An honor by ID (archived ones too); null when there is none. Public.
    async fn honor(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<HonorRow>> {
        load_by_id::<HonorRow>(ctx, parse_id("id", &id)?).await
    }

    /// Honors, newest record first. Public.
    #[allow(clippy::too_many_arguments)]
    async fn honors(
        &self,
        ctx: &Context<'_>,
        filter: Option<HonorFilterInput>,
        order_by: Option<HonorOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<HonorRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse()?;
        let pool = pool(ctx)?.clone();
        let rows = db::honors::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::honors::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

/// An honor to record directly (a historical one; awards create theirs).
#[derive(InputObject)]
pub struct CreateHonorInput {
    pub worker_id: ID,
    pub name: String,
    pub level: HonorLevel,
    /// The year it was conferred; not in the future.
    pub year: i32,
    /// The association that conferred it, if it is one of the tree's.
    pub conferring_unit_id: Option<ID>,
    /// A retried create with the same key returns the first honor and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Corrections to an honor; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateHonorInput {
    pub name: Option<String>,
    pub level: Option<HonorLevel>,
    pub year: Option<i32>,
    pub conferring_unit_id: MaybeUndefined<ID>,
}

/// Validated honor fields.
pub(super) struct ValidHonor {
    pub name: String,
    pub level: HonorLevel,
    pub year: i32,
    pub conferring_unit_id: Option<Uuid>,
}

impl ValidHonor {
    pub fn parse(
        name: &str,
        level: HonorLevel,
        year: i32,
        conferring_unit_id: Option<Uuid>,
    ) -> ApiResult<Self> {
        validate::year("year", year)?;
        let this_year = current_year();
        if year > this_year {
            return Err(ApiError::validation(
                "year",
                kexie_subgraph_kit::text!(
                    "an honor is recorded once conferred; {year} is after {this_year}",
                    "荣誉授予后才登记：{year} 晚于 {this_year}"
                ),
            ));
        }
        Ok(ValidHonor {
            name: validate::text("name", name, MAX_HONOR_NAME)?,
            level,
            year,
            conferring_unit_id,
        })
    }

    pub fn fields(&self) -> HonorFields<'_> {
        HonorFields {
            name: &self.name,
            level: self.level,
            year: self.year,
            conferring_unit_id: self.conferring_unit_id,
        }
    }
}

/// Turns the unique key of honors into a client error.
pub(super) fn honor_write_error(err: sqlx::Error, name: &str, year: i32) -> ApiError {
    match kexie_subgraph_kit::error::violated_constraint(&err) {
        Some("honor_worker_name_year_key") => ApiError::Duplicate(kexie_subgraph_kit::text!(
            "the worker already holds {name} for {year}",
            "该科技工作者已获 {year} 年度的{name}"
        )),
        _ => err.into(),
    }
}

/// Reads an honor for a change: it must exist and not be archived, the principal must be
/// allowed to change the records of the honoree's home unit (as stored), and the client
/// must have read its current version.
async fn honor_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
) -> ApiResult<HonorRow> {
    let row = db::honors::get_for_update(conn, id).await?;
    let row = validate::live("Honor", id, row, |row| row.audit.archived_at.is_some())?;
    let owner = honoree_home_unit(conn, &row).await?;
    require_write(ctx, conn, owner).await?;
    validate::expected_version("Honor", id, expected_version, row.audit.version)?;
    Ok(row)
}

/// The unit that owns an honor: the honoree's home unit, as stored now.
async fn honoree_home_unit(conn: &mut sqlx::PgConnection, honor: &HonorRow) -> ApiResult<Uuid> {
    db::workers::get_for_reference(conn, honor.worker_id)
        .await?
        .map(|worker| worker.home_unit_id)
        .ok_or_else(|| ApiError::internal(format!("honor {} names no worker", honor.honor_id)))
}

#[derive(Default)]
pub struct HonorMutation;

#[Object]
impl HonorMutation {
    /// Records an honor conferred in the past directly; the same honor twice in a year
    /// for one worker is a `DUPLICATE`. Needs write access to the honoree's home unit, which
    /// keeps its workers' honors on record.
    async fn create_honor(
        &self,
        ctx: &Context<'_>,
        input: CreateHonorInput,
    ) -> ApiResult<HonorRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let worker_id = parse_id("workerId", &input.worker_id)?;
        let honor = ValidHonor::parse(
            &input.name,
            input.level,
            input.year,
            parse_optional_id("conferringUnitId", input.conferring_unit_id.as_ref())?,
        )?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        let worker = worker_to_reference(&mut tx, worker_id).await?;
        require_write(ctx, &mut tx, worker.home_unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createHonor",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::honors::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Honor", existing));
        }
        if let Some(unit_id) = honor.conferring_unit_id {
            require_known_unit(pool, "conferringUnitId", unit_id).await?;
        }
        let created = db::honors::insert(
            &mut tx,
            id,
            worker_id,
            &honor.fields(),
            None,
            &actor.subject,
        )
        .await
        .map_err(|err| honor_write_error(err, &honor.name, honor.year))?;
        tx.commit().await?;
        Ok(created)
    }

    /// Corrects an honor record; needs write access to the honoree's home unit.
    async fn update_honor(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateHonorInput,
    ) -> ApiResult<HonorRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let honor_id = parse_id("id", &id)?;
        let conferring_unit_id = match input.conferring_unit_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(parse_id("conferringUnitId", &id)?)),
        };
        let mut tx = pool.begin().await?;
        let current = honor_for_change(ctx, &mut tx, honor_id, expected_version).await?;
        let honor = ValidHonor::parse(
            input.name.as_deref().unwrap_or(&current.name),
            input.level.unwrap_or(current.level),
            input.year.unwrap_or(current.year),
            conferring_unit_id.unwrap_or(current.conferring_unit_id),
        )?;
        if let Some(unit_id) = honor.conferring_unit_id {
            if Some(unit_id) != current.conferring_unit_id {
                require_known_unit(pool, "conferringUnitId", unit_id).await?;
            }
        }
        let updated = db::honors::update(&mut tx, honor_id, &honor.fields(), &actor.subject)
            .await
            .map_err(|err| honor_write_error(err, &honor.name, honor.year))?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Archives an honor recorded by mistake: left out of lists from now on. Needs write
    /// access to the honoree's home unit.
    async fn archive_honor(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<HonorRow> {
        require_writer(ctx)?;
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let honor_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        honor_for_change(ctx, &mut tx, honor_id, expected_version).await?;
        let archived = db::honors::archive(&mut tx, honor_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(archived)
    }
}

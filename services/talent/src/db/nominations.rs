//! Nominations (举荐).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_subgraph_kit::page::PageArgs;
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use super::UnitScope;
use crate::domain::{HonorLevel, NominationStatus};

const COLUMNS: &str = "n.nomination_id, n.worker_id, n.honor_name, n.honor_level, n.year,
    n.nominating_unit_id, n.conferring_unit_id, n.reason, n.status, n.honor_id, n.version,
    n.created_at, n.created_by, n.updated_at, n.updated_by, n.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NominationRow {
    pub nomination_id: Uuid,
    /// The candidate.
    pub worker_id: Uuid,
    pub honor_name: String,
    pub honor_level: HonorLevel,
    pub year: i32,
    pub nominating_unit_id: Uuid,
    pub conferring_unit_id: Option<Uuid>,
    pub reason: Option<String>,
    pub status: NominationStatus,
    pub honor_id: Option<Uuid>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for NominationRow {
    fn id(&self) -> Uuid {
        self.nomination_id
    }
}

impl FindById for NominationRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which nominations a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NominationFilter {
    /// The nominating unit.
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub statuses: Option<Vec<NominationStatus>>,
    pub year: Option<i32>,
    pub levels: Option<Vec<HonorLevel>>,
    pub worker_id: Option<Uuid>,
    /// An `ilike` pattern on the honor's name or the candidate's.
    pub search: Option<String>,
    pub include_archived: bool,
}

/// The conditions after the unit scope; parameters `$2`..`$9`.
const FILTER: &str = "($2::text[] is null or n.status = any($2))
    and ($3::int is null or n.year = $3)
    and ($4::text[] is null or n.honor_level = any($4))
    and ($5::uuid is null or n.worker_id = $5)
    and ($6::text is null or n.honor_name ilike $6
         or exists (select 1 from worker w where w.worker_id = n.worker_id and w.name ilike $6))
    and ($7 or n.archived_at is null)
    and ($8::uuid is null or n.nomination_id < $8)
    order by n.nomination_id desc limit $9";

fn statuses(filter: &NominationFilter) -> Option<Vec<&'static str>> {
    filter
        .statuses
        .as_ref()
        .map(|statuses| statuses.iter().map(|status| status.as_str()).collect())
}

fn levels(filter: &NominationFilter) -> Option<Vec<&'static str>> {
    filter
        .levels
        .as_ref()
        .map(|levels| levels.iter().map(|level| level.as_str()).collect())
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<NominationRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from nomination n where n.nomination_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &NominationFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<NominationRow>> {
    let scope = UnitScope::of(filter.unit_id, filter.include_subtree);
    sqlx::query_as(&format!(
        "select {COLUMNS} from nomination n where {} and {FILTER}",
        scope.condition("n.nominating_unit_id", "$1::uuid")
    ))
    .bind(filter.unit_id)
    .bind(statuses(filter))
    .bind(filter.year)
    .bind(levels(filter))
    .bind(filter.worker_id)
    .bind(&filter.search)
    .bind(filter.include_archived)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await
}

/// One page of nominations made by each of `unit_ids` (or by their subtrees), in one
/// statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &NominationFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, NominationRow)>> {
    #[derive(sqlx::FromRow)]
    struct Owned {
        owner_id: Uuid,
        #[sqlx(flatten)]
        row: NominationRow,
    }
    let scope = if filter.include_subtree {
        UnitScope::Subtree
    } else {
        UnitScope::Own
    };
    let rows: Vec<Owned> = sqlx::query_as(&format!(
        "select k.owner_id, r.* from unnest($1::uuid[]) as k(owner_id)
         cross join lateral (
             select {COLUMNS} from nomination n where {} and {FILTER}
         ) r",
        scope.condition("n.nominating_unit_id", "k.owner_id")
    ))
    .bind(unit_ids)
    .bind(statuses(filter))
    .bind(filter.year)
    .bind(levels(filter))
    .bind(filter.worker_id)
    .bind(&filter.search)
    .bind(filter.include_archived)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.owner_id, row.row))
        .collect())
}

/// The nominations of each of `worker_ids` that are not archived, newest first.
pub async fn of_workers(pool: &PgPool, worker_ids: &[Uuid]) -> sqlx::Result<Vec<NominationRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from nomination n
         where n.worker_id = any($1) and n.archived_at is null
         order by n.nomination_id desc"
    ))
    .bind(worker_ids)
    .fetch_all(pool)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<NominationRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from nomination n where n.nomination_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The fields a client sets on a nomination.
pub struct NominationFields<'a> {
    pub honor_name: &'a str,
    pub honor_level: HonorLevel,
    pub year: i32,
    pub nominating_unit_id: Uuid,
    pub conferring_unit_id: Option<Uuid>,
    pub reason: Option<&'a str>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    worker_id: Uuid,
    fields: &NominationFields<'_>,
    actor: &str,
) -> sqlx::Result<NominationRow> {
    sqlx::query_as(&format!(
        "insert into nomination as n (nomination_id, worker_id, honor_name, honor_level, year,
                                      nominating_unit_id, conferring_unit_id, reason, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(worker_id)
    .bind(fields.honor_name)
    .bind(fields.honor_level)
    .bind(fields.year)
    .bind(fields.nominating_unit_id)
    .bind(fields.conferring_unit_id)
    .bind(fields.reason)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &NominationFields<'_>,
    actor: &str,
) -> sqlx::Result<NominationRow> {
    sqlx::query_as(&format!(
        "update nomination n set honor_name = $2, honor_level = $3, year = $4, nominating_unit_id = $5,
                conferring_unit_id = $6, reason = $7, updated_by = $8, version = version + 1
         where n.nomination_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.honor_name)
    .bind(fields.honor_level)
    .bind(fields.year)
    .bind(fields.nominating_unit_id)
    .bind(fields.conferring_unit_id)
    .bind(fields.reason)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// Moves the nomination to `status`, linking the honor an award created.
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: NominationStatus,
    honor_id: Option<Uuid>,
    actor: &str,
) -> sqlx::Result<NominationRow> {
    sqlx::query_as(&format!(
        "update nomination n set status = $2, honor_id = coalesce($3, n.honor_id),
                updated_by = $4, version = version + 1
         where n.nomination_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .bind(honor_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
) -> sqlx::Result<NominationRow> {
    sqlx::query_as(&format!(
        "update nomination n set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where n.nomination_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

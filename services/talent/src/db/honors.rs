//! Honors (荣誉).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_subgraph_kit::page::PageArgs;
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use super::UnitScope;
use crate::domain::HonorLevel;

const COLUMNS: &str = "h.honor_id, h.worker_id, h.name, h.level, h.year, h.conferring_unit_id,
    h.nomination_id, h.version, h.created_at, h.created_by, h.updated_at, h.updated_by,
    h.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HonorRow {
    pub honor_id: Uuid,
    pub worker_id: Uuid,
    pub name: String,
    pub level: HonorLevel,
    pub year: i32,
    pub conferring_unit_id: Option<Uuid>,
    pub nomination_id: Option<Uuid>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for HonorRow {
    fn id(&self) -> Uuid {
        self.honor_id
    }
}

impl FindById for HonorRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which honors a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HonorFilter {
    /// The home unit of the honored worker.
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub levels: Option<Vec<HonorLevel>>,
    pub year: Option<i32>,
    pub worker_id: Option<Uuid>,
    /// An `ilike` pattern on the honor's name or the worker's.
    pub search: Option<String>,
    pub include_archived: bool,
}

/// The conditions after the unit scope; parameters `$2`..`$8`.
const FILTER: &str = "($2::text[] is null or h.level = any($2))
    and ($3::int is null or h.year = $3)
    and ($4::uuid is null or h.worker_id = $4)
    and ($5::text is null or h.name ilike $5 or w.name ilike $5)
    and ($6 or h.archived_at is null)
    and ($7::uuid is null or h.honor_id < $7)
    order by h.honor_id desc limit $8";

fn levels(filter: &HonorFilter) -> Option<Vec<&'static str>> {
    filter
        .levels
        .as_ref()
        .map(|levels| levels.iter().map(|level| level.as_str()).collect())
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<HonorRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from honor h where h.honor_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &HonorFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<HonorRow>> {
    let scope = UnitScope::of(filter.unit_id, filter.include_subtree);
    sqlx::query_as(&format!(
        "select {COLUMNS} from honor h join worker w on w.worker_id = h.worker_id
         where {} and {FILTER}",
        scope.condition("w.home_unit_id", "$1::uuid")
    ))
    .bind(filter.unit_id)
    .bind(levels(filter))
    .bind(filter.year)
    .bind(filter.worker_id)
    .bind(&filter.search)
    .bind(filter.include_archived)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await
}

/// One page of honors for each of `unit_ids` (of the workers at home there, or in their
/// subtrees), in one statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &HonorFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, HonorRow)>> {
    #[derive(sqlx::FromRow)]
    struct Owned {
        owner_id: Uuid,
        #[sqlx(flatten)]
        row: HonorRow,
    }
    let scope = if filter.include_subtree {
        UnitScope::Subtree
    } else {
        UnitScope::Own
    };
    let rows: Vec<Owned> = sqlx::query_as(&format!(
        "select k.owner_id, r.* from unnest($1::uuid[]) as k(owner_id)
         cross join lateral (
             select {COLUMNS} from honor h join worker w on w.worker_id = h.worker_id
             where {} and {FILTER}
         ) r",
        scope.condition("w.home_unit_id", "k.owner_id")
    ))
    .bind(unit_ids)
    .bind(levels(filter))
    .bind(filter.year)
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

/// The honors of each of `worker_ids` that are not archived, latest year first.
pub async fn of_workers(pool: &PgPool, worker_ids: &[Uuid]) -> sqlx::Result<Vec<HonorRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from honor h
         where h.worker_id = any($1) and h.archived_at is null
         order by h.year desc, h.honor_id desc"
    ))
    .bind(worker_ids)
    .fetch_all(pool)
    .await
}

pub async fn get_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<HonorRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from honor h where h.honor_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The fields a client sets on an honor.
pub struct HonorFields<'a> {
    pub name: &'a str,
    pub level: HonorLevel,
    pub year: i32,
    pub conferring_unit_id: Option<Uuid>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    worker_id: Uuid,
    fields: &HonorFields<'_>,
    nomination_id: Option<Uuid>,
    actor: &str,
) -> sqlx::Result<HonorRow> {
    sqlx::query_as(&format!(
        "insert into honor as h (honor_id, worker_id, name, level, year, conferring_unit_id, nomination_id,
                                 created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(worker_id)
    .bind(fields.name)
    .bind(fields.level)
    .bind(fields.year)
    .bind(fields.conferring_unit_id)
    .bind(nomination_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &HonorFields<'_>,
    actor: &str,
) -> sqlx::Result<HonorRow> {
    sqlx::query_as(&format!(
        "update honor h set name = $2, level = $3, year = $4, conferring_unit_id = $5,
                updated_by = $6, version = version + 1
         where h.honor_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.name)
    .bind(fields.level)
    .bind(fields.year)
    .bind(fields.conferring_unit_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(conn: &mut PgConnection, id: Uuid, actor: &str) -> sqlx::Result<HonorRow> {
    sqlx::query_as(&format!(
        "update honor h set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where h.honor_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

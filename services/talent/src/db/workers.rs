//! S&T workers (科技工作者).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_subgraph_kit::page::PageArgs;
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use super::UnitScope;
use crate::domain::{Gender, ProfessionalTitle};

pub(crate) const COLUMNS: &str = "w.worker_id, w.name, w.gender, w.birth_year, w.discipline,
    w.title, w.employer, w.home_unit_id, w.is_volunteer, w.is_rural_expert, w.is_young_talent,
    w.is_academician, w.phone, w.email, w.version, w.created_at, w.created_by, w.updated_at,
    w.updated_by, w.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorkerRow {
    pub worker_id: Uuid,
    pub name: String,
    pub gender: Gender,
    pub birth_year: Option<i32>,
    pub discipline: Option<String>,
    pub title: Option<ProfessionalTitle>,
    pub employer: Option<String>,
    pub home_unit_id: Uuid,
    pub is_volunteer: bool,
    pub is_rural_expert: bool,
    pub is_young_talent: bool,
    pub is_academician: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for WorkerRow {
    fn id(&self) -> Uuid {
        self.worker_id
    }
}

impl FindById for WorkerRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which workers a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WorkerFilter {
    /// The home unit.
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub titles: Option<Vec<ProfessionalTitle>>,
    pub gender: Option<Gender>,
    pub is_volunteer: Option<bool>,
    pub is_rural_expert: Option<bool>,
    pub is_young_talent: Option<bool>,
    pub is_academician: Option<bool>,
    /// An `ilike` pattern on the discipline.
    pub discipline: Option<String>,
    /// An `ilike` pattern on the name.
    pub search: Option<String>,
    pub include_archived: bool,
}

/// The conditions after the unit scope; parameters `$2`..`$12`.
const FILTER: &str = "($2::text[] is null or w.title = any($2))
    and ($3::text is null or w.gender = $3)
    and ($4::boolean is null or w.is_volunteer = $4)
    and ($5::boolean is null or w.is_rural_expert = $5)
    and ($6::boolean is null or w.is_young_talent = $6)
    and ($7::boolean is null or w.is_academician = $7)
    and ($8::text is null or w.discipline ilike $8)
    and ($9::text is null or w.name ilike $9)
    and ($10 or w.archived_at is null)
    and ($11::uuid is null or w.worker_id < $11)
    order by w.worker_id desc limit $12";

fn titles(filter: &WorkerFilter) -> Option<Vec<&'static str>> {
    filter
        .titles
        .as_ref()
        .map(|titles| titles.iter().map(|title| title.as_str()).collect())
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<WorkerRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from worker w where w.worker_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &WorkerFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<WorkerRow>> {
    let scope = UnitScope::of(filter.unit_id, filter.include_subtree);
    sqlx::query_as(&format!(
        "select {COLUMNS} from worker w where {} and {FILTER}",
        scope.condition("w.home_unit_id", "$1::uuid")
    ))
    .bind(filter.unit_id)
    .bind(titles(filter))
    .bind(filter.gender)
    .bind(filter.is_volunteer)
    .bind(filter.is_rural_expert)
    .bind(filter.is_young_talent)
    .bind(filter.is_academician)
    .bind(&filter.discipline)
    .bind(&filter.search)
    .bind(filter.include_archived)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await
}

/// One page of workers for each of `unit_ids` (their own, or their subtrees'), in one
/// statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &WorkerFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, WorkerRow)>> {
    #[derive(sqlx::FromRow)]
    struct Owned {
        owner_id: Uuid,
        #[sqlx(flatten)]
        row: WorkerRow,
    }
    let scope = if filter.include_subtree {
        UnitScope::Subtree
    } else {
        UnitScope::Own
    };
    let rows: Vec<Owned> = sqlx::query_as(&format!(
        "select k.owner_id, r.* from unnest($1::uuid[]) as k(owner_id)
         cross join lateral (
             select {COLUMNS} from worker w where {} and {FILTER}
         ) r",
        scope.condition("w.home_unit_id", "k.owner_id")
    ))
    .bind(unit_ids)
    .bind(titles(filter))
    .bind(filter.gender)
    .bind(filter.is_volunteer)
    .bind(filter.is_rural_expert)
    .bind(filter.is_young_talent)
    .bind(filter.is_academician)
    .bind(&filter.discipline)
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

/// Reads a worker inside a write, locking it until the transaction ends.
pub async fn get_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<WorkerRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from worker w where w.worker_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Reads a worker another record is about to reference, keeping it from being archived
/// meanwhile.
pub async fn get_for_reference(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<WorkerRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from worker w where w.worker_id = $1 for share"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The fields a client sets on a worker.
pub struct WorkerFields<'a> {
    pub name: &'a str,
    pub gender: Gender,
    pub birth_year: Option<i32>,
    pub discipline: Option<&'a str>,
    pub title: Option<ProfessionalTitle>,
    pub employer: Option<&'a str>,
    pub home_unit_id: Uuid,
    pub is_volunteer: bool,
    pub is_rural_expert: bool,
    pub is_young_talent: bool,
    pub is_academician: bool,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &WorkerFields<'_>,
    actor: &str,
) -> sqlx::Result<WorkerRow> {
    sqlx::query_as(&format!(
        "insert into worker as w (worker_id, name, gender, birth_year, discipline, title, employer, home_unit_id,
                               is_volunteer, is_rural_expert, is_young_talent, is_academician, phone, email,
                               created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.name)
    .bind(fields.gender)
    .bind(fields.birth_year)
    .bind(fields.discipline)
    .bind(fields.title)
    .bind(fields.employer)
    .bind(fields.home_unit_id)
    .bind(fields.is_volunteer)
    .bind(fields.is_rural_expert)
    .bind(fields.is_young_talent)
    .bind(fields.is_academician)
    .bind(fields.phone)
    .bind(fields.email)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &WorkerFields<'_>,
    actor: &str,
) -> sqlx::Result<WorkerRow> {
    sqlx::query_as(&format!(
        "update worker w set name = $2, gender = $3, birth_year = $4, discipline = $5, title = $6,
                employer = $7, home_unit_id = $8, is_volunteer = $9, is_rural_expert = $10,
                is_young_talent = $11, is_academician = $12, phone = $13, email = $14,
                updated_by = $15, version = version + 1
         where w.worker_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.name)
    .bind(fields.gender)
    .bind(fields.birth_year)
    .bind(fields.discipline)
    .bind(fields.title)
    .bind(fields.employer)
    .bind(fields.home_unit_id)
    .bind(fields.is_volunteer)
    .bind(fields.is_rural_expert)
    .bind(fields.is_young_talent)
    .bind(fields.is_academician)
    .bind(fields.phone)
    .bind(fields.email)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(conn: &mut PgConnection, id: Uuid, actor: &str) -> sqlx::Result<WorkerRow> {
    sqlx::query_as(&format!(
        "update worker w set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where w.worker_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

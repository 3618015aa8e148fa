//! S&T workers (科技工作者).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use super::texts;
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

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &WorkerFilter, unit: Option<Key>) {
    if let Some(unit) = unit {
        push_unit_scope(qb, "w.home_unit_id", unit, filter.include_subtree);
    }
    push_any_text(
        qb,
        "w.title",
        &texts(&filter.titles, ProfessionalTitle::as_str),
    );
    if let Some(gender) = filter.gender {
        qb.push(" and w.gender = ").push_bind(gender);
    }
    for (column, value) in [
        ("w.is_volunteer", filter.is_volunteer),
        ("w.is_rural_expert", filter.is_rural_expert),
        ("w.is_young_talent", filter.is_young_talent),
        ("w.is_academician", filter.is_academician),
    ] {
        if let Some(value) = value {
            qb.push(" and ").push(column).push(" = ").push_bind(value);
        }
    }
    if let Some(pattern) = &filter.discipline {
        qb.push(" and w.discipline ilike ")
            .push_bind(pattern.clone());
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and w.name ilike ").push_bind(pattern.clone());
    }
    if !filter.include_archived {
        qb.push(" and w.archived_at is null");
    }
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
    page: ListPage,
) -> sqlx::Result<Vec<Changed<WorkerRow>>> {
    let mut qb = QueryBuilder::new(format!(
        "select w.changed_xid::text::bigint as change_seq, {COLUMNS} from worker w where true"
    ));
    push_filter(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("w.changed_xid", "w.worker_id", "w.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many workers `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: WorkerFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "w.updated_at", since, |qb| {
        qb.push("select 1 from worker w where true");
        push_filter(qb, &filter, filter.unit_id.map(Key::Value));
    })
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
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    qb.push(format!("select {COLUMNS} from worker w where true"));
    push_filter(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "w.worker_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<WorkerRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many workers `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &WorkerFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, unit_ids, |qb| {
        qb.push("select 1 from worker w where true");
        push_filter(qb, filter, Some(Key::Lateral));
    })
    .await
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

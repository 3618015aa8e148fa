//! Honors (荣誉).

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

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &HonorFilter, unit: Option<Key>) {
    if let Some(unit) = unit {
        push_unit_scope(qb, "w.home_unit_id", unit, filter.include_subtree);
    }
    push_any_text(qb, "h.level", &texts(&filter.levels, HonorLevel::as_str));
    if let Some(year) = filter.year {
        qb.push(" and h.year = ").push_bind(year);
    }
    if let Some(worker_id) = filter.worker_id {
        qb.push(" and h.worker_id = ").push_bind(worker_id);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (h.name ilike ")
            .push_bind(pattern.clone())
            .push(" or w.name ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and h.archived_at is null");
    }
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
    page: ListPage,
) -> sqlx::Result<Vec<Changed<HonorRow>>> {
    let mut qb = QueryBuilder::new(format!(
        "select h.changed_xid::text::bigint as change_seq, {COLUMNS}
         from honor h join worker w on w.worker_id = h.worker_id where true"
    ));
    push_filter(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("h.changed_xid", "h.honor_id", "h.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many honors `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: HonorFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "h.updated_at", since, |qb| {
        qb.push("select 1 from honor h join worker w on w.worker_id = h.worker_id where true");
        push_filter(qb, &filter, filter.unit_id.map(Key::Value));
    })
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
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    qb.push(format!(
        "select {COLUMNS} from honor h join worker w on w.worker_id = h.worker_id where true"
    ));
    push_filter(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "h.honor_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<HonorRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many honors `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &HonorFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, unit_ids, |qb| {
        qb.push("select 1 from honor h join worker w on w.worker_id = h.worker_id where true");
        push_filter(qb, filter, Some(Key::Lateral));
    })
    .await
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

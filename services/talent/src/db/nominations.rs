//! Nominations (举荐).

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

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &NominationFilter, unit: Option<Key>) {
    if let Some(unit) = unit {
        push_unit_scope(qb, "n.nominating_unit_id", unit, filter.include_subtree);
    }
    push_any_text(
        qb,
        "n.status",
        &texts(&filter.statuses, NominationStatus::as_str),
    );
    if let Some(year) = filter.year {
        qb.push(" and n.year = ").push_bind(year);
    }
    push_any_text(
        qb,
        "n.honor_level",
        &texts(&filter.levels, HonorLevel::as_str),
    );
    if let Some(worker_id) = filter.worker_id {
        qb.push(" and n.worker_id = ").push_bind(worker_id);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (n.honor_name ilike ")
            .push_bind(pattern.clone())
            .push(
                " or exists (select 1 from worker w where w.worker_id = n.worker_id and w.name ilike ",
            )
            .push_bind(pattern.clone())
            .push("))");
    }
    if !filter.include_archived {
        qb.push(" and n.archived_at is null");
    }
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
    page: ListPage,
) -> sqlx::Result<Vec<Changed<NominationRow>>> {
    let mut qb = QueryBuilder::new(format!(
        "select n.changed_xid::text::bigint as change_seq, {COLUMNS} from nomination n where true"
    ));
    push_filter(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("n.changed_xid", "n.nomination_id", "n.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many nominations `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: NominationFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "n.updated_at", since, |qb| {
        qb.push("select 1 from nomination n where true");
        push_filter(qb, &filter, filter.unit_id.map(Key::Value));
    })
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
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    qb.push(format!("select {COLUMNS} from nomination n where true"));
    push_filter(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "n.nomination_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<NominationRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many nominations `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &NominationFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, unit_ids, |qb| {
        qb.push("select 1 from nomination n where true");
        push_filter(qb, filter, Some(Key::Lateral));
    })
    .await
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

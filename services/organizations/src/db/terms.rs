//! Terms of office (换届).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{self, fetch_list, push_list_page};
use kexie_subgraph_kit::page::{Changed, ListPage};
use kexie_subgraph_kit::record::{Audit, Record};

use super::push_unit_scope;

const COLUMNS: &str =
    "term_id, unit_id, number, starts_on, ends_on, version, created_at, created_by,
    updated_at, updated_by, archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TermRow {
    pub term_id: Uuid,
    pub unit_id: Uuid,
    pub number: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for TermRow {
    fn id(&self) -> Uuid {
        self.term_id
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TermFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    /// Only each unit's latest term, and only when it ended before this day without renewal.
    pub overdue_on: Option<NaiveDate>,
    pub include_archived: bool,
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<TermRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from term where term_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

fn push_select(qb: &mut QueryBuilder<'_, Postgres>, filter: &TermFilter) {
    qb.push(format!(
        "select t.changed_xid::text::bigint as change_seq, {COLUMNS} from term t where true"
    ));
    if let Some(unit_id) = filter.unit_id {
        push_unit_scope(qb, "t.unit_id", unit_id, filter.include_subtree);
    }
    if let Some(day) = filter.overdue_on {
        qb.push(" and t.ends_on < ")
            .push_bind(day)
            .push(
                " and not exists (select 1 from term newer where newer.unit_id = t.unit_id
                     and newer.archived_at is null and newer.number > t.number)
                  and exists (select 1 from unit u where u.unit_id = t.unit_id and u.status = 'ACTIVE')",
            );
    }
    if !filter.include_archived {
        qb.push(" and t.archived_at is null");
    }
}

pub async fn list(
    pool: &PgPool,
    filter: &TermFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<TermRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter);
    push_list_page(
        &mut qb,
        ("t.changed_xid", "t.term_id", "t.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many terms `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: TermFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "t.updated_at", since, |qb| push_select(qb, &filter)).await
}

/// The latest live term of each unit.
pub async fn current(pool: &PgPool, unit_ids: &[Uuid]) -> sqlx::Result<Vec<TermRow>> {
    sqlx::query_as(&format!(
        "select distinct on (unit_id) {COLUMNS} from term
         where unit_id = any($1) and archived_at is null
         order by unit_id, number desc"
    ))
    .bind(unit_ids)
    .fetch_all(pool)
    .await
}

/// All live terms of a unit, latest first.
pub async fn of_unit(pool: &PgPool, unit_id: Uuid) -> sqlx::Result<Vec<TermRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from term where unit_id = $1 and archived_at is null order by number desc"
    ))
    .bind(unit_id)
    .fetch_all(pool)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    term_id: Uuid,
) -> sqlx::Result<Option<TermRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from term where term_id = $1 for update"
    ))
    .bind(term_id)
    .fetch_optional(conn)
    .await
}

pub struct TermFields {
    pub number: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub async fn insert(
    conn: &mut PgConnection,
    term_id: Uuid,
    unit_id: Uuid,
    fields: &TermFields,
    actor: &str,
) -> sqlx::Result<TermRow> {
    sqlx::query_as(&format!(
        "insert into term (term_id, unit_id, number, starts_on, ends_on, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $6) returning {COLUMNS}"
    ))
    .bind(term_id)
    .bind(unit_id)
    .bind(fields.number)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    term_id: Uuid,
    fields: &TermFields,
    actor: &str,
) -> sqlx::Result<TermRow> {
    sqlx::query_as(&format!(
        "update term set number = $2, starts_on = $3, ends_on = $4, updated_by = $5, version = version + 1
         where term_id = $1 returning {COLUMNS}"
    ))
    .bind(term_id)
    .bind(fields.number)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(conn: &mut PgConnection, term_id: Uuid, actor: &str) -> sqlx::Result<TermRow> {
    sqlx::query_as(&format!(
        "update term set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where term_id = $1 returning {COLUMNS}"
    ))
    .bind(term_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

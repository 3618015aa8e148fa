//! Enterprises' technology needs (企业技术需求).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use crate::domain::{NeedStatus, TechField};

const COLUMNS: &str = "n.tech_need_id, n.unit_id, n.enterprise_name, n.title, n.field,
    n.problem, n.budget::float8 as budget, n.deadline, n.status, n.published_on, n.ended_on,
    n.version, n.created_at, n.created_by, n.updated_at, n.updated_by, n.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NeedRow {
    pub tech_need_id: Uuid,
    pub unit_id: Uuid,
    pub enterprise_name: Option<String>,
    pub title: String,
    pub field: TechField,
    pub problem: String,
    /// 万元.
    pub budget: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub status: NeedStatus,
    pub published_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for NeedRow {
    fn id(&self) -> Uuid {
        self.tech_need_id
    }
}

impl FindById for NeedRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which needs a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NeedFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub statuses: Option<Vec<String>>,
    pub fields: Option<Vec<String>>,
    /// Published on or after this day.
    pub published_from: Option<NaiveDate>,
    /// Published on or before this day.
    pub published_to: Option<NaiveDate>,
    /// An `ilike` pattern on the title, the problem and the company's name.
    pub search: Option<String>,
    pub include_archived: bool,
}

fn push_select(qb: &mut QueryBuilder<'_, Postgres>, filter: &NeedFilter, unit: Option<Key>) {
    qb.push(format!(
        "select n.changed_xid::text::bigint as change_seq, {COLUMNS} from tech_need n where true"
    ));
    if let Some(unit) = unit {
        push_unit_scope(qb, "n.unit_id", unit, filter.include_subtree);
    }
    push_any_text(qb, "n.status", &filter.statuses);
    push_any_text(qb, "n.field", &filter.fields);
    if let Some(from) = filter.published_from {
        qb.push(" and n.published_on >= ").push_bind(from);
    }
    if let Some(to) = filter.published_to {
        qb.push(" and n.published_on <= ").push_bind(to);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (n.title ilike ")
            .push_bind(pattern.clone())
            .push(" or n.problem ilike ")
            .push_bind(pattern.clone())
            .push(" or n.enterprise_name ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and n.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<NeedRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tech_need n where n.tech_need_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// A page of the needs `filter` shows: newest first, or changed since, in commit order.
pub async fn list(
    pool: &PgPool,
    filter: &NeedFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<NeedRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("n.changed_xid", "n.tech_need_id", "n.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many needs `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: NeedFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "n.updated_at", since, |qb| {
        push_select(qb, &filter, filter.unit_id.map(Key::Value))
    })
    .await
}

/// Each unit's page of the needs it published, in one statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &NeedFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, NeedRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    push_select(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "n.tech_need_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<NeedRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many needs `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    ids: &[Uuid],
    filter: &NeedFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| push_select(qb, filter, Some(Key::Lateral))).await
}

pub async fn get(conn: &mut PgConnection, need_id: Uuid) -> sqlx::Result<NeedRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tech_need n where n.tech_need_id = $1"
    ))
    .bind(need_id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    need_id: Uuid,
) -> sqlx::Result<Option<NeedRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tech_need n where n.tech_need_id = $1 for update of n"
    ))
    .bind(need_id)
    .fetch_optional(conn)
    .await
}

/// Validated need fields.
pub struct NeedFields {
    pub unit_id: Uuid,
    pub enterprise_name: Option<String>,
    pub title: String,
    pub field: TechField,
    pub problem: String,
    pub budget: Option<f64>,
    pub deadline: Option<NaiveDate>,
}

pub async fn insert(
    conn: &mut PgConnection,
    need_id: Uuid,
    fields: &NeedFields,
    published_on: NaiveDate,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into tech_need (tech_need_id, unit_id, enterprise_name, title, field, problem,
             budget, deadline, status, published_on, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7::float8::numeric(14, 2), $8, 'PUBLISHED', $9,
             $10, $10)",
    )
    .bind(need_id)
    .bind(fields.unit_id)
    .bind(&fields.enterprise_name)
    .bind(&fields.title)
    .bind(fields.field)
    .bind(&fields.problem)
    .bind(fields.budget)
    .bind(fields.deadline)
    .bind(published_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut PgConnection,
    need_id: Uuid,
    fields: &NeedFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update tech_need set unit_id = $2, enterprise_name = $3, title = $4, field = $5,
             problem = $6, budget = $7::float8::numeric(14, 2), deadline = $8, updated_by = $9,
             version = version + 1
         where tech_need_id = $1",
    )
    .bind(need_id)
    .bind(fields.unit_id)
    .bind(&fields.enterprise_name)
    .bind(&fields.title)
    .bind(fields.field)
    .bind(&fields.problem)
    .bind(fields.budget)
    .bind(fields.deadline)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the need to `status`; `ended_on` is the day it leaves the open statuses.
pub async fn set_status(
    conn: &mut PgConnection,
    need_id: Uuid,
    status: NeedStatus,
    ended_on: Option<NaiveDate>,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update tech_need set status = $2, ended_on = $3, updated_by = $4,
             version = version + 1
         where tech_need_id = $1",
    )
    .bind(need_id)
    .bind(status)
    .bind(ended_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(conn: &mut PgConnection, need_id: Uuid, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update tech_need set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where tech_need_id = $1",
    )
    .bind(need_id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

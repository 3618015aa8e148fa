//! Targets (工作台账).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{self, fetch_list, push_list_page};
use kexie_subgraph_kit::page::{Changed, ListPage};

use kexie_subgraph_kit::record::{Audit, FindById, Record};
use kexie_subgraph_kit::target::TargetMetric;

use super::push_unit_scope;

const COLUMNS: &str =
    "target_id, unit_id, year, metric, target_value, responsible_person, deadline, note,
    version, created_at, created_by, updated_at, updated_by, archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TargetRow {
    pub target_id: Uuid,
    pub unit_id: Uuid,
    pub year: i32,
    pub metric: TargetMetric,
    pub target_value: i32,
    pub responsible_person: String,
    pub deadline: NaiveDate,
    pub note: Option<String>,
    #[sqlx(flatten)]
    pub audit: Audit,
    /// The actual figures the measuring subgraphs reported for this target when the gateway
    /// resolves it as an entity (`@requires`); empty when read from the table alone.
    #[sqlx(skip)]
    pub reported: ReportedActuals,
}

impl Record for TargetRow {
    fn id(&self) -> Uuid {
        self.target_id
    }
}

impl FindById for TargetRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// What the other subgraphs measured for a target: each reports its own metrics and null
/// for the rest.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportedActuals {
    pub talent: Option<i32>,
    pub popularization: Option<i32>,
    pub advice: Option<i32>,
    pub innovation: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TargetFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub year: Option<i32>,
    pub metric: Option<TargetMetric>,
    pub include_archived: bool,
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<TargetRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from target where target_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// The active targets of each of `unit_ids` (of `year`, or all years), newest first within
/// a unit: one statement for a whole batch of units (`Unit.targets`).
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    year: Option<i32>,
) -> sqlx::Result<Vec<TargetRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from target
         where unit_id = any($1) and ($2::int is null or year = $2) and archived_at is null
         order by unit_id, target_id desc"
    ))
    .bind(unit_ids)
    .bind(year)
    .fetch_all(pool)
    .await
}

fn push_select(qb: &mut QueryBuilder<'_, Postgres>, filter: &TargetFilter) {
    qb.push(format!(
        "select t.changed_xid::text::bigint as change_seq, {COLUMNS} from target t where true"
    ));
    if let Some(unit_id) = filter.unit_id {
        push_unit_scope(qb, "t.unit_id", unit_id, filter.include_subtree);
    }
    if let Some(year) = filter.year {
        qb.push(" and t.year = ").push_bind(year);
    }
    if let Some(metric) = filter.metric {
        qb.push(" and t.metric = ").push_bind(metric);
    }
    if !filter.include_archived {
        qb.push(" and t.archived_at is null");
    }
}

pub async fn list(
    pool: &PgPool,
    filter: &TargetFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<TargetRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter);
    push_list_page(
        &mut qb,
        ("t.changed_xid", "t.target_id", "t.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many targets `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: TargetFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "t.updated_at", since, |qb| push_select(qb, &filter)).await
}

pub async fn get_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<TargetRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from target where target_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct TargetFields<'a> {
    pub year: i32,
    pub metric: TargetMetric,
    pub target_value: i32,
    pub responsible_person: &'a str,
    pub deadline: NaiveDate,
    pub note: Option<&'a str>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    unit_id: Uuid,
    fields: &TargetFields<'_>,
    actor: &str,
) -> sqlx::Result<TargetRow> {
    sqlx::query_as(&format!(
        "insert into target (target_id, unit_id, year, metric, target_value, responsible_person, deadline, note,
                             created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning {COLUMNS}"
    ))
    .bind(id)
    .bind(unit_id)
    .bind(fields.year)
    .bind(fields.metric)
    .bind(fields.target_value)
    .bind(fields.responsible_person)
    .bind(fields.deadline)
    .bind(fields.note)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &TargetFields<'_>,
    actor: &str,
) -> sqlx::Result<TargetRow> {
    sqlx::query_as(&format!(
        "update target set year = $2, metric = $3, target_value = $4, responsible_person = $5, deadline = $6,
                note = $7, updated_by = $8, version = version + 1
         where target_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.year)
    .bind(fields.metric)
    .bind(fields.target_value)
    .bind(fields.responsible_person)
    .bind(fields.deadline)
    .bind(fields.note)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(conn: &mut PgConnection, id: Uuid, actor: &str) -> sqlx::Result<TargetRow> {
    sqlx::query_as(&format!(
        "update target set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where target_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

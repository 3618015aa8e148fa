//! Targets (工作台账).

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_subgraph_kit::page::PageArgs;

use kexie_subgraph_kit::record::{Audit, FindById, Record};
use kexie_subgraph_kit::target::TargetMetric;

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

pub async fn list(
    pool: &PgPool,
    filter: &TargetFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<TargetRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from target t
         where ($1::uuid is null
                or (not $2 and t.unit_id = $1)
                or ($2 and t.unit_id in (select unit_id from unit where path like (select path from unit where unit_id = $1) || '%')))
           and ($3::int is null or t.year = $3)
           and ($4::text is null or t.metric = $4)
           and ($5 or t.archived_at is null)
           and ($6::uuid is null or t.target_id < $6)
         order by t.target_id desc limit $7"
    ))
    .bind(filter.unit_id)
    .bind(filter.include_subtree)
    .bind(filter.year)
    .bind(filter.metric)
    .bind(filter.include_archived)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await
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

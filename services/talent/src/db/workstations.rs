//! Workstations (工作站) and their resident experts.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, Record};

use super::texts;
use super::workers::WorkerRow;
use crate::domain::{CertificationLevel, WorkstationKind, WorkstationStatus};

const COLUMNS: &str = "s.workstation_id, s.kind, s.name, s.host_unit_id, s.host_enterprise,
    s.certification, s.founded_on, s.status, s.version, s.created_at, s.created_by, s.updated_at,
    s.updated_by, s.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorkstationRow {
    pub workstation_id: Uuid,
    pub kind: WorkstationKind,
    pub name: String,
    pub host_unit_id: Uuid,
    pub host_enterprise: Option<String>,
    pub certification: CertificationLevel,
    pub founded_on: Option<NaiveDate>,
    pub status: WorkstationStatus,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for WorkstationRow {
    fn id(&self) -> Uuid {
        self.workstation_id
    }
}

/// Which workstations a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WorkstationFilter {
    /// The host unit.
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub kinds: Option<Vec<WorkstationKind>>,
    pub certifications: Option<Vec<CertificationLevel>>,
    pub statuses: Option<Vec<WorkstationStatus>>,
    pub founded_from: Option<NaiveDate>,
    pub founded_to: Option<NaiveDate>,
    /// An `ilike` pattern on the name or the host enterprise.
    pub search: Option<String>,
    pub include_archived: bool,
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &WorkstationFilter, unit: Option<Key>) {
    if let Some(unit) = unit {
        push_unit_scope(qb, "s.host_unit_id", unit, filter.include_subtree);
    }
    push_any_text(qb, "s.kind", &texts(&filter.kinds, WorkstationKind::as_str));
    push_any_text(
        qb,
        "s.certification",
        &texts(&filter.certifications, CertificationLevel::as_str),
    );
    push_any_text(
        qb,
        "s.status",
        &texts(&filter.statuses, WorkstationStatus::as_str),
    );
    if let Some(day) = filter.founded_from {
        qb.push(" and s.founded_on >= ").push_bind(day);
    }
    if let Some(day) = filter.founded_to {
        qb.push(" and s.founded_on <= ").push_bind(day);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (s.name ilike ")
            .push_bind(pattern.clone())
            .push(" or s.host_enterprise ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and s.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<WorkstationRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from workstation s where s.workstation_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &WorkstationFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<WorkstationRow>>> {
    let mut qb = QueryBuilder::new(format!(
        "select s.changed_xid::text::bigint as change_seq, {COLUMNS} from workstation s where true"
    ));
    push_filter(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("s.changed_xid", "s.workstation_id", "s.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many workstations `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: WorkstationFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "s.updated_at", since, |qb| {
        qb.push("select 1 from workstation s where true");
        push_filter(qb, &filter, filter.unit_id.map(Key::Value));
    })
    .await
}

/// One page of workstations hosted by each of `unit_ids` (or by their subtrees), in one
/// statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &WorkstationFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, WorkstationRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    qb.push(format!("select {COLUMNS} from workstation s where true"));
    push_filter(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "s.workstation_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<WorkstationRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many workstations `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &WorkstationFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, unit_ids, |qb| {
        qb.push("select 1 from workstation s where true");
        push_filter(qb, filter, Some(Key::Lateral));
    })
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<WorkstationRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from workstation s where s.workstation_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The fields a client sets on a workstation.
pub struct WorkstationFields<'a> {
    pub kind: WorkstationKind,
    pub name: &'a str,
    pub host_unit_id: Uuid,
    pub host_enterprise: Option<&'a str>,
    pub certification: CertificationLevel,
    pub founded_on: Option<NaiveDate>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &WorkstationFields<'_>,
    actor: &str,
) -> sqlx::Result<WorkstationRow> {
    sqlx::query_as(&format!(
        "insert into workstation as s (workstation_id, kind, name, host_unit_id, host_enterprise,
                                       certification, founded_on, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.kind)
    .bind(fields.name)
    .bind(fields.host_unit_id)
    .bind(fields.host_enterprise)
    .bind(fields.certification)
    .bind(fields.founded_on)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &WorkstationFields<'_>,
    actor: &str,
) -> sqlx::Result<WorkstationRow> {
    sqlx::query_as(&format!(
        "update workstation s set kind = $2, name = $3, host_unit_id = $4, host_enterprise = $5,
                certification = $6, founded_on = $7, updated_by = $8, version = version + 1
         where s.workstation_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.kind)
    .bind(fields.name)
    .bind(fields.host_unit_id)
    .bind(fields.host_enterprise)
    .bind(fields.certification)
    .bind(fields.founded_on)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: WorkstationStatus,
    actor: &str,
) -> sqlx::Result<WorkstationRow> {
    sqlx::query_as(&format!(
        "update workstation s set status = $2, updated_by = $3, version = version + 1
         where s.workstation_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// Counts a change of the residents as a change of the workstation.
pub async fn touch(conn: &mut PgConnection, id: Uuid, actor: &str) -> sqlx::Result<WorkstationRow> {
    sqlx::query_as(&format!(
        "update workstation s set updated_by = $2, version = version + 1
         where s.workstation_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
) -> sqlx::Result<WorkstationRow> {
    sqlx::query_as(&format!(
        "update workstation s set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where s.workstation_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// Makes `worker_id` a resident expert; false when they already were.
pub async fn add_resident(
    conn: &mut PgConnection,
    workstation_id: Uuid,
    worker_id: Uuid,
    actor: &str,
) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "insert into workstation_resident (workstation_id, worker_id, added_by)
         values ($1, $2, $3) on conflict do nothing",
    )
    .bind(workstation_id)
    .bind(worker_id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(added.rows_affected() == 1)
}

/// Ends `worker_id`'s residency; false when they were not resident.
pub async fn remove_resident(
    conn: &mut PgConnection,
    workstation_id: Uuid,
    worker_id: Uuid,
) -> sqlx::Result<bool> {
    let removed = sqlx::query(
        "delete from workstation_resident where workstation_id = $1 and worker_id = $2",
    )
    .bind(workstation_id)
    .bind(worker_id)
    .execute(conn)
    .await?;
    Ok(removed.rows_affected() == 1)
}

/// The resident experts (not archived) of each of `workstation_ids`, longest resident first.
pub async fn residents(
    pool: &PgPool,
    workstation_ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, WorkerRow)>> {
    #[derive(sqlx::FromRow)]
    struct Resident {
        owner_id: Uuid,
        #[sqlx(flatten)]
        row: WorkerRow,
    }
    let rows: Vec<Resident> = sqlx::query_as(&format!(
        "select r.workstation_id as owner_id, {} from workstation_resident r
         join worker w on w.worker_id = r.worker_id
         where r.workstation_id = any($1) and w.archived_at is null
         order by r.added_at, w.worker_id",
        super::workers::COLUMNS
    ))
    .bind(workstation_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.owner_id, row.row))
        .collect())
}

/// The workstations (not archived) each of `worker_ids` is resident in, newest first.
pub async fn of_residents(
    pool: &PgPool,
    worker_ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, WorkstationRow)>> {
    #[derive(sqlx::FromRow)]
    struct Residence {
        owner_id: Uuid,
        #[sqlx(flatten)]
        row: WorkstationRow,
    }
    let rows: Vec<Residence> = sqlx::query_as(&format!(
        "select r.worker_id as owner_id, {COLUMNS} from workstation_resident r
         join workstation s on s.workstation_id = r.workstation_id
         where r.worker_id = any($1) and s.archived_at is null
         order by s.workstation_id desc"
    ))
    .bind(worker_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.owner_id, row.row))
        .collect())
}

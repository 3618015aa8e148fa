//! Service visits to enterprises (学会服务企业行, 专家服务团) and their experts.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, Record};

use crate::domain::{VisitKind, VisitStatus};

const COLUMNS: &str = "v.service_visit_id, v.unit_id, v.enterprise_unit_id, v.enterprise_name,
    v.kind, v.title, v.visited_on, v.status, v.problems_taken, v.problems_solved, v.summary,
    v.version, v.created_at, v.created_by, v.updated_at, v.updated_by, v.archived_at,
    array(select e.worker_id from service_visit_expert e
          where e.service_visit_id = v.service_visit_id order by e.position) as expert_ids";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VisitRow {
    pub service_visit_id: Uuid,
    pub unit_id: Uuid,
    pub enterprise_unit_id: Option<Uuid>,
    pub enterprise_name: Option<String>,
    pub kind: VisitKind,
    pub title: String,
    pub visited_on: NaiveDate,
    pub status: VisitStatus,
    pub problems_taken: i32,
    pub problems_solved: i32,
    pub summary: Option<String>,
    #[sqlx(flatten)]
    pub audit: Audit,
    /// The experts, in the order given.
    pub expert_ids: Vec<Uuid>,
}

impl Record for VisitRow {
    fn id(&self) -> Uuid {
        self.service_visit_id
    }
}

/// Which visits a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VisitFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub kinds: Option<Vec<String>>,
    pub statuses: Option<Vec<String>>,
    pub visited_from: Option<NaiveDate>,
    pub visited_to: Option<NaiveDate>,
    /// An `ilike` pattern on the title and the company's name.
    pub search: Option<String>,
    pub include_archived: bool,
}

/// Whose visits a per-key list reads: an organizing unit's, or an expert's.
#[derive(Clone, Copy, Debug)]
pub enum Party {
    Organizer,
    Expert,
}

fn push_select(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &VisitFilter,
    party: Option<(Party, Key)>,
) {
    qb.push(format!(
        "select v.changed_xid::text::bigint as change_seq, {COLUMNS}
         from service_visit v where true"
    ));
    match party {
        Some((Party::Organizer, key)) => {
            push_unit_scope(qb, "v.unit_id", key, filter.include_subtree)
        }
        Some((Party::Expert, key)) => {
            qb.push(
                " and exists (select from service_visit_expert e
                              where e.service_visit_id = v.service_visit_id and e.worker_id = ",
            );
            key.push(qb);
            qb.push(")");
        }
        None => {}
    }
    push_any_text(qb, "v.kind", &filter.kinds);
    push_any_text(qb, "v.status", &filter.statuses);
    if let Some(from) = filter.visited_from {
        qb.push(" and v.visited_on >= ").push_bind(from);
    }
    if let Some(to) = filter.visited_to {
        qb.push(" and v.visited_on <= ").push_bind(to);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (v.title ilike ")
            .push_bind(pattern.clone())
            .push(" or v.enterprise_name ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and v.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<VisitRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from service_visit v where v.service_visit_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &VisitFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<VisitRow>>> {
    let mut qb = QueryBuilder::new("");
    let unit = filter
        .unit_id
        .map(|unit| (Party::Organizer, Key::Value(unit)));
    push_select(&mut qb, filter, unit);
    push_list_page(
        &mut qb,
        ("v.changed_xid", "v.service_visit_id", "v.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many visits `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: VisitFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "v.updated_at", since, |qb| {
        push_select(
            qb,
            &filter,
            filter
                .unit_id
                .map(|unit| (Party::Organizer, Key::Value(unit))),
        )
    })
    .await
}

/// Each organizer's or expert's page of visits, in one statement.
pub async fn of_parties(
    pool: &PgPool,
    party: Party,
    ids: &[Uuid],
    filter: &VisitFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, VisitRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, ids);
    push_select(&mut qb, filter, Some((party, Key::Lateral)));
    push_page(&mut qb, "v.service_visit_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<VisitRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many visits `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_parties(
    pool: &PgPool,
    party: Party,
    ids: &[Uuid],
    filter: &VisitFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| {
        push_select(qb, filter, Some((party, Key::Lateral)))
    })
    .await
}

pub async fn get(conn: &mut PgConnection, visit_id: Uuid) -> sqlx::Result<VisitRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from service_visit v where v.service_visit_id = $1"
    ))
    .bind(visit_id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    visit_id: Uuid,
) -> sqlx::Result<Option<VisitRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from service_visit v where v.service_visit_id = $1 for update of v"
    ))
    .bind(visit_id)
    .fetch_optional(conn)
    .await
}

/// Validated visit fields.
pub struct VisitFields {
    pub unit_id: Uuid,
    pub enterprise_unit_id: Option<Uuid>,
    pub enterprise_name: Option<String>,
    pub kind: VisitKind,
    pub title: String,
    pub visited_on: NaiveDate,
    pub expert_ids: Vec<Uuid>,
}

pub async fn insert(
    conn: &mut PgConnection,
    visit_id: Uuid,
    fields: &VisitFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into service_visit (service_visit_id, unit_id, enterprise_unit_id,
             enterprise_name, kind, title, visited_on, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(visit_id)
    .bind(fields.unit_id)
    .bind(fields.enterprise_unit_id)
    .bind(&fields.enterprise_name)
    .bind(fields.kind)
    .bind(&fields.title)
    .bind(fields.visited_on)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_experts(conn, visit_id, &fields.expert_ids).await
}

pub async fn update(
    conn: &mut PgConnection,
    visit_id: Uuid,
    fields: &VisitFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update service_visit set unit_id = $2, enterprise_unit_id = $3, enterprise_name = $4,
             kind = $5, title = $6, visited_on = $7, updated_by = $8, version = version + 1
         where service_visit_id = $1",
    )
    .bind(visit_id)
    .bind(fields.unit_id)
    .bind(fields.enterprise_unit_id)
    .bind(&fields.enterprise_name)
    .bind(fields.kind)
    .bind(&fields.title)
    .bind(fields.visited_on)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_experts(conn, visit_id, &fields.expert_ids).await
}

async fn replace_experts(
    conn: &mut PgConnection,
    visit_id: Uuid,
    expert_ids: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query("delete from service_visit_expert where service_visit_id = $1")
        .bind(visit_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into service_visit_expert (service_visit_id, worker_id, position)
         select $1, worker_id, (ordinality - 1)::int
         from unnest($2::uuid[]) with ordinality as e(worker_id, ordinality)",
    )
    .bind(visit_id)
    .bind(expert_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a held visit achieved.
pub struct OutcomeFields {
    pub problems_taken: i32,
    pub problems_solved: i32,
    pub summary: Option<String>,
}

/// Moves the visit to `status`, storing its outcome when given.
pub async fn set_status(
    conn: &mut PgConnection,
    visit_id: Uuid,
    status: VisitStatus,
    outcome: Option<&OutcomeFields>,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update service_visit set status = $2,
             problems_taken = coalesce($3, problems_taken),
             problems_solved = coalesce($4, problems_solved),
             summary = coalesce($5, summary),
             updated_by = $6, version = version + 1
         where service_visit_id = $1",
    )
    .bind(visit_id)
    .bind(status)
    .bind(outcome.map(|outcome| outcome.problems_taken))
    .bind(outcome.map(|outcome| outcome.problems_solved))
    .bind(outcome.and_then(|outcome| outcome.summary.clone()))
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a held visit's outcome (problems solved later, in the follow-up).
pub async fn set_outcome(
    conn: &mut PgConnection,
    visit_id: Uuid,
    outcome: &OutcomeFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update service_visit set problems_taken = $2, problems_solved = $3, summary = $4,
             updated_by = $5, version = version + 1
         where service_visit_id = $1",
    )
    .bind(visit_id)
    .bind(outcome.problems_taken)
    .bind(outcome.problems_solved)
    .bind(&outcome.summary)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(conn: &mut PgConnection, visit_id: Uuid, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update service_visit set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where service_visit_id = $1",
    )
    .bind(visit_id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

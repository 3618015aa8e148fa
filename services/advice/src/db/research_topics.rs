//! Research topics (调研课题) and their members.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, Record};

use crate::domain::{ResearchAward, ResearchTopicStatus};
use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};

const COLUMNS: &str = "t.research_topic_id, t.lead_unit_id, t.year, t.title, t.status,
    t.report_title, t.report_summary, t.report_submitted_on, t.award, t.awarded_at, t.version,
    t.created_at, t.created_by, t.updated_at, t.updated_by, t.archived_at,
    array(select m.worker_id from research_topic_member m
          where m.research_topic_id = t.research_topic_id order by m.position) as member_ids";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ResearchTopicRow {
    pub research_topic_id: Uuid,
    pub lead_unit_id: Uuid,
    pub year: i32,
    pub title: String,
    pub status: ResearchTopicStatus,
    pub report_title: Option<String>,
    pub report_summary: Option<String>,
    pub report_submitted_on: Option<NaiveDate>,
    pub award: Option<ResearchAward>,
    pub awarded_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    pub audit: Audit,
    /// The team, in the order given.
    pub member_ids: Vec<Uuid>,
}

impl Record for ResearchTopicRow {
    fn id(&self) -> Uuid {
        self.research_topic_id
    }
}

/// Which research topics a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResearchTopicFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub year: Option<i32>,
    pub statuses: Option<Vec<String>>,
    /// Only awarded topics (true) or only the others (false).
    pub awarded: Option<bool>,
    /// An `ilike` pattern on the title and the report's title.
    pub search: Option<String>,
    pub include_archived: bool,
}

fn push_select(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &ResearchTopicFilter,
    unit: Option<Key>,
) {
    qb.push(format!(
        "select t.changed_xid::text::bigint as change_seq, {COLUMNS} from research_topic t where true"
    ));
    if let Some(unit) = unit {
        push_unit_scope(qb, "t.lead_unit_id", unit, filter.include_subtree);
    }
    if let Some(year) = filter.year {
        qb.push(" and t.year = ").push_bind(year);
    }
    push_any_text(qb, "t.status", &filter.statuses);
    match filter.awarded {
        Some(true) => {
            qb.push(" and t.award is not null");
        }
        Some(false) => {
            qb.push(" and t.award is null");
        }
        None => {}
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (t.title ilike ")
            .push_bind(pattern.clone())
            .push(" or t.report_title ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and t.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<ResearchTopicRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from research_topic t where t.research_topic_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &ResearchTopicFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<ResearchTopicRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("t.changed_xid", "t.research_topic_id", "t.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many research topics `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: ResearchTopicFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "t.updated_at", since, |qb| {
        push_select(qb, &filter, filter.unit_id.map(Key::Value))
    })
    .await
}

/// Each unit's page of the topics it leads, in one statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &ResearchTopicFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, ResearchTopicRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    push_select(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "t.research_topic_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<ResearchTopicRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many research topics `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    ids: &[Uuid],
    filter: &ResearchTopicFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| push_select(qb, filter, Some(Key::Lateral))).await
}

pub async fn get(conn: &mut PgConnection, topic_id: Uuid) -> sqlx::Result<ResearchTopicRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from research_topic t where t.research_topic_id = $1"
    ))
    .bind(topic_id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    topic_id: Uuid,
) -> sqlx::Result<Option<ResearchTopicRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from research_topic t where t.research_topic_id = $1 for update of t"
    ))
    .bind(topic_id)
    .fetch_optional(conn)
    .await
}

/// Validated research topic fields.
pub struct ResearchTopicFields {
    pub lead_unit_id: Uuid,
    pub year: i32,
    pub title: String,
    pub member_ids: Vec<Uuid>,
}

pub async fn insert(
    conn: &mut PgConnection,
    topic_id: Uuid,
    fields: &ResearchTopicFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into research_topic (research_topic_id, lead_unit_id, year, title, status,
             created_by, updated_by)
         values ($1, $2, $3, $4, 'PROPOSED', $5, $5)",
    )
    .bind(topic_id)
    .bind(fields.lead_unit_id)
    .bind(fields.year)
    .bind(&fields.title)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_members(conn, topic_id, &fields.member_ids).await
}

pub async fn update(
    conn: &mut PgConnection,
    topic_id: Uuid,
    fields: &ResearchTopicFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update research_topic set lead_unit_id = $2, year = $3, title = $4, updated_by = $5,
             version = version + 1
         where research_topic_id = $1",
    )
    .bind(topic_id)
    .bind(fields.lead_unit_id)
    .bind(fields.year)
    .bind(&fields.title)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_members(conn, topic_id, &fields.member_ids).await
}

async fn replace_members(
    conn: &mut PgConnection,
    topic_id: Uuid,
    member_ids: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query("delete from research_topic_member where research_topic_id = $1")
        .bind(topic_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into research_topic_member (research_topic_id, worker_id, position)
         select $1, worker_id, (ordinality - 1)::int
         from unnest($2::uuid[]) with ordinality as m(worker_id, ordinality)",
    )
    .bind(topic_id)
    .bind(member_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// The consultation report (决策咨询报告) a topic concludes with.
pub struct ReportFields {
    pub title: String,
    pub summary: Option<String>,
    pub submitted_on: NaiveDate,
}

/// Moves the topic to `status`, storing the report when one is given.
pub async fn set_status(
    conn: &mut PgConnection,
    topic_id: Uuid,
    status: ResearchTopicStatus,
    report: Option<&ReportFields>,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update research_topic set status = $2,
             report_title = coalesce($3, report_title),
             report_summary = coalesce($4, report_summary),
             report_submitted_on = coalesce($5, report_submitted_on),
             updated_by = $6, version = version + 1
         where research_topic_id = $1",
    )
    .bind(topic_id)
    .bind(status)
    .bind(report.map(|report| report.title.clone()))
    .bind(report.and_then(|report| report.summary.clone()))
    .bind(report.map(|report| report.submitted_on))
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives the topic its prize (优秀调研成果), replacing an earlier one.
pub async fn award(
    conn: &mut PgConnection,
    topic_id: Uuid,
    award: ResearchAward,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update research_topic set award = $2, awarded_at = now(), updated_by = $3,
             version = version + 1
         where research_topic_id = $1",
    )
    .bind(topic_id)
    .bind(award)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(conn: &mut PgConnection, topic_id: Uuid, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update research_topic set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where research_topic_id = $1",
    )
    .bind(topic_id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

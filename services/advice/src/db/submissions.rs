//! Submissions (建议) and their authors.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, Record};

use crate::domain::{LeaderLevel, SubmissionCategory, SubmissionChannel, SubmissionStatus};
use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};

const COLUMNS: &str = "s.submission_id, s.submitting_unit_id, s.campaign_id, s.title, s.summary,
    s.body, s.category, s.channel, s.status, s.submitted_on, s.instruction_leader_level,
    s.instruction_leader, s.instruction_note, s.instructed_on, s.version, s.created_at,
    s.created_by, s.updated_at, s.updated_by, s.archived_at,
    array(select a.worker_id from submission_author a
          where a.submission_id = s.submission_id order by a.position) as author_ids";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SubmissionRow {
    pub submission_id: Uuid,
    pub submitting_unit_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub category: SubmissionCategory,
    pub channel: SubmissionChannel,
    pub status: SubmissionStatus,
    pub submitted_on: Option<NaiveDate>,
    pub instruction_leader_level: Option<LeaderLevel>,
    pub instruction_leader: Option<String>,
    pub instruction_note: Option<String>,
    pub instructed_on: Option<NaiveDate>,
    #[sqlx(flatten)]
    pub audit: Audit,
    /// The authors, in the order given.
    pub author_ids: Vec<Uuid>,
}

impl Record for SubmissionRow {
    fn id(&self) -> Uuid {
        self.submission_id
    }
}

/// Which submissions a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SubmissionFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub statuses: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    pub campaign_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    /// First submitted on or after this day.
    pub submitted_from: Option<NaiveDate>,
    /// First submitted on or before this day.
    pub submitted_to: Option<NaiveDate>,
    /// An `ilike` pattern on the title and summary.
    pub search: Option<String>,
    pub include_archived: bool,
    /// Only those created by this subject: all a partner key may read.
    pub created_by: Option<String>,
}

/// `select … from submission s [join the author's submissions] where …`.
fn push_select(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &SubmissionFilter,
    unit: Option<Key>,
    author: Option<Key>,
) {
    qb.push(format!(
        "select s.changed_xid::text::bigint as change_seq, {COLUMNS} from submission s"
    ));
    if let Some(author) = author {
        // Driven from the author's index, so a worker's list does not scan every submission.
        qb.push(
            " join submission_author fa on fa.submission_id = s.submission_id and fa.worker_id = ",
        );
        author.push(qb);
    }
    qb.push(" where true");
    if let Some(unit) = unit {
        push_unit_scope(qb, "s.submitting_unit_id", unit, filter.include_subtree);
    }
    push_any_text(qb, "s.status", &filter.statuses);
    push_any_text(qb, "s.category", &filter.categories);
    push_any_text(qb, "s.channel", &filter.channels);
    if let Some(campaign_id) = filter.campaign_id {
        qb.push(" and s.campaign_id = ").push_bind(campaign_id);
    }
    if let Some(from) = filter.submitted_from {
        qb.push(" and s.submitted_on >= ").push_bind(from);
    }
    if let Some(to) = filter.submitted_to {
        qb.push(" and s.submitted_on <= ").push_bind(to);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (s.title ilike ")
            .push_bind(pattern.clone())
            .push(" or s.summary ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and s.archived_at is null");
    }
    if let Some(created_by) = &filter.created_by {
        qb.push(" and s.created_by = ")
            .push_bind(created_by.clone());
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<SubmissionRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from submission s where s.submission_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &SubmissionFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<SubmissionRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(
        &mut qb,
        filter,
        filter.unit_id.map(Key::Value),
        filter.author_id.map(Key::Value),
    );
    push_list_page(
        &mut qb,
        ("s.changed_xid", "s.submission_id", "s.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many submissions `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: SubmissionFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "s.updated_at", since, |qb| {
        push_select(
            qb,
            &filter,
            filter.unit_id.map(Key::Value),
            filter.author_id.map(Key::Value),
        )
    })
    .await
}

/// Each unit's page of submissions, in one statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &SubmissionFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, SubmissionRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    push_select(
        &mut qb,
        filter,
        Some(Key::Lateral),
        filter.author_id.map(Key::Value),
    );
    push_page(&mut qb, "s.submission_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<SubmissionRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many submissions `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    ids: &[Uuid],
    filter: &SubmissionFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| {
        push_select(
            qb,
            filter,
            Some(Key::Lateral),
            filter.author_id.map(Key::Value),
        )
    })
    .await
}

/// Each worker's page of the submissions they wrote, in one statement.
pub async fn of_authors(
    pool: &PgPool,
    worker_ids: &[Uuid],
    filter: &SubmissionFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, SubmissionRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, worker_ids);
    push_select(
        &mut qb,
        filter,
        filter.unit_id.map(Key::Value),
        Some(Key::Lateral),
    );
    push_page(&mut qb, "s.submission_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<SubmissionRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many submissions `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_authors(
    pool: &PgPool,
    ids: &[Uuid],
    filter: &SubmissionFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| {
        push_select(
            qb,
            filter,
            filter.unit_id.map(Key::Value),
            Some(Key::Lateral),
        )
    })
    .await
}

/// Reads one submission inside a transaction (after a write, to return it).
pub async fn get(conn: &mut PgConnection, submission_id: Uuid) -> sqlx::Result<SubmissionRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from submission s where s.submission_id = $1"
    ))
    .bind(submission_id)
    .fetch_one(conn)
    .await
}

/// Locks one submission for a change.
pub async fn get_for_update(
    conn: &mut PgConnection,
    submission_id: Uuid,
) -> sqlx::Result<Option<SubmissionRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from submission s where s.submission_id = $1 for update of s"
    ))
    .bind(submission_id)
    .fetch_optional(conn)
    .await
}

/// Validated submission fields.
pub struct SubmissionFields {
    pub submitting_unit_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub category: SubmissionCategory,
    pub channel: SubmissionChannel,
    pub author_ids: Vec<Uuid>,
}

pub async fn insert(
    conn: &mut PgConnection,
    submission_id: Uuid,
    fields: &SubmissionFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into submission (submission_id, submitting_unit_id, campaign_id, title, summary,
             body, category, channel, status, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 'DRAFT', $9, $9)",
    )
    .bind(submission_id)
    .bind(fields.submitting_unit_id)
    .bind(fields.campaign_id)
    .bind(&fields.title)
    .bind(&fields.summary)
    .bind(&fields.body)
    .bind(fields.category)
    .bind(fields.channel)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_authors(conn, submission_id, &fields.author_ids).await
}

pub async fn update(
    conn: &mut PgConnection,
    submission_id: Uuid,
    fields: &SubmissionFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update submission set submitting_unit_id = $2, campaign_id = $3, title = $4, summary = $5,
             body = $6, category = $7, channel = $8, updated_by = $9, version = version + 1
         where submission_id = $1",
    )
    .bind(submission_id)
    .bind(fields.submitting_unit_id)
    .bind(fields.campaign_id)
    .bind(&fields.title)
    .bind(&fields.summary)
    .bind(&fields.body)
    .bind(fields.category)
    .bind(fields.channel)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_authors(conn, submission_id, &fields.author_ids).await
}

async fn replace_authors(
    conn: &mut PgConnection,
    submission_id: Uuid,
    author_ids: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query("delete from submission_author where submission_id = $1")
        .bind(submission_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into submission_author (submission_id, worker_id, position)
         select $1, worker_id, (ordinality - 1)::int
         from unnest($2::uuid[]) with ordinality as a(worker_id, ordinality)",
    )
    .bind(submission_id)
    .bind(author_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// A leader's written instruction (批示) as stored on the submission.
pub struct InstructionFields {
    pub leader_level: LeaderLevel,
    pub leader: Option<String>,
    pub note: Option<String>,
    pub instructed_on: NaiveDate,
}

/// Moves the submission to `status`. `submitted_on` is kept once set (a resubmission after
/// RETURNED keeps the first day); `instruction` is stored when given.
pub async fn set_status(
    conn: &mut PgConnection,
    submission_id: Uuid,
    status: SubmissionStatus,
    submitted_on: Option<NaiveDate>,
    instruction: Option<&InstructionFields>,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update submission set status = $2, submitted_on = coalesce(submitted_on, $3),
             instruction_leader_level = coalesce($4, instruction_leader_level),
             instruction_leader = case when $4 is null then instruction_leader else $5 end,
             instruction_note = case when $4 is null then instruction_note else $6 end,
             instructed_on = coalesce($7, instructed_on),
             updated_by = $8, version = version + 1
         where submission_id = $1",
    )
    .bind(submission_id)
    .bind(status)
    .bind(submitted_on)
    .bind(instruction.map(|instruction| instruction.leader_level))
    .bind(instruction.and_then(|instruction| instruction.leader.clone()))
    .bind(instruction.and_then(|instruction| instruction.note.clone()))
    .bind(instruction.map(|instruction| instruction.instructed_on))
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(
    conn: &mut PgConnection,
    submission_id: Uuid,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update submission set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where submission_id = $1",
    )
    .bind(submission_id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

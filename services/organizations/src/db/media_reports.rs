//! Reports of the associations' work in the media (宣传报道).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{self, fetch_list, push_any_text, push_list_page};
use kexie_subgraph_kit::page::{Changed, ListPage};
use kexie_subgraph_kit::record::{Audit, Record};

use super::push_unit_scope;
use crate::domain::MediaLevel;

const COLUMNS: &str = "m.media_report_id, m.unit_id, m.title, m.outlet, m.level, m.published_on,
    m.url, m.version, m.created_at, m.created_by, m.updated_at, m.updated_by, m.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MediaReportRow {
    pub media_report_id: Uuid,
    pub unit_id: Uuid,
    pub title: String,
    pub outlet: String,
    pub level: MediaLevel,
    pub published_on: NaiveDate,
    pub url: Option<String>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for MediaReportRow {
    fn id(&self) -> Uuid {
        self.media_report_id
    }
}

/// Which reports a list shows: those of a unit (and its subtree).
#[derive(Clone, Debug)]
pub struct MediaReportFilter {
    pub unit_id: Uuid,
    pub include_subtree: bool,
    pub levels: Option<Vec<String>>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// An `ilike` pattern on the title and the outlet.
    pub search: Option<String>,
    pub include_archived: bool,
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<MediaReportRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from media_report m where m.media_report_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

fn push_select(qb: &mut QueryBuilder<'_, Postgres>, filter: &MediaReportFilter) {
    qb.push(format!("select m.changed_xid::text::bigint as change_seq, {COLUMNS} from media_report m where true"));
    push_any_text(qb, "m.level", &filter.levels);
    if let Some(from) = filter.from {
        qb.push(" and m.published_on >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        qb.push(" and m.published_on <= ").push_bind(to);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (m.title ilike ")
            .push_bind(pattern.clone())
            .push(" or m.outlet ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and m.archived_at is null");
    }
    push_unit_scope(qb, "m.unit_id", filter.unit_id, filter.include_subtree);
}

pub async fn list(
    pool: &PgPool,
    filter: &MediaReportFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<MediaReportRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter);
    push_list_page(
        &mut qb,
        ("m.changed_xid", "m.media_report_id", "m.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many media reports `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: MediaReportFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "m.updated_at", since, |qb| push_select(qb, &filter)).await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<MediaReportRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from media_report m where m.media_report_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Validated fields of a report.
pub struct MediaReportFields {
    pub unit_id: Uuid,
    pub title: String,
    pub outlet: String,
    pub level: MediaLevel,
    pub published_on: NaiveDate,
    pub url: Option<String>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &MediaReportFields,
    actor: &str,
) -> sqlx::Result<MediaReportRow> {
    sqlx::query_as(&format!(
        "insert into media_report as m (media_report_id, unit_id, title, outlet, level,
             published_on, url, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.unit_id)
    .bind(&fields.title)
    .bind(&fields.outlet)
    .bind(fields.level)
    .bind(fields.published_on)
    .bind(&fields.url)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &MediaReportFields,
    actor: &str,
) -> sqlx::Result<MediaReportRow> {
    sqlx::query_as(&format!(
        "update media_report m set unit_id = $2, title = $3, outlet = $4, level = $5,
             published_on = $6, url = $7, updated_by = $8, version = version + 1
         where m.media_report_id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.unit_id)
    .bind(&fields.title)
    .bind(&fields.outlet)
    .bind(fields.level)
    .bind(fields.published_on)
    .bind(&fields.url)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
) -> sqlx::Result<MediaReportRow> {
    sqlx::query_as(&format!(
        "update media_report m set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where m.media_report_id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

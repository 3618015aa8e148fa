//! Campaigns (征集活动).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use crate::domain::CampaignKind;
use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};

const COLUMNS: &str = "c.campaign_id, c.organizer_id, c.title, c.kind, c.opens_on, c.closes_on,
    c.description, c.version, c.created_at, c.created_by, c.updated_at, c.updated_by, c.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CampaignRow {
    pub campaign_id: Uuid,
    pub organizer_id: Uuid,
    pub title: String,
    pub kind: CampaignKind,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub description: Option<String>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for CampaignRow {
    fn id(&self) -> Uuid {
        self.campaign_id
    }
}

impl FindById for CampaignRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which campaigns a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CampaignFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub kinds: Option<Vec<String>>,
    /// Open on this day: `opens_on <= day <= closes_on`.
    pub open_on: Option<NaiveDate>,
    /// An `ilike` pattern on the title.
    pub search: Option<String>,
    pub include_archived: bool,
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &CampaignFilter, unit: Option<Key>) {
    if let Some(unit) = unit {
        push_unit_scope(qb, "c.organizer_id", unit, filter.include_subtree);
    }
    push_any_text(qb, "c.kind", &filter.kinds);
    if let Some(day) = filter.open_on {
        qb.push(" and c.opens_on <= ")
            .push_bind(day)
            .push(" and c.closes_on >= ")
            .push_bind(day);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and c.title ilike ").push_bind(pattern.clone());
    }
    if !filter.include_archived {
        qb.push(" and c.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<CampaignRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from campaign c where c.campaign_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &CampaignFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<CampaignRow>>> {
    let mut qb = QueryBuilder::new(format!(
        "select c.changed_xid::text::bigint as change_seq, {COLUMNS} from campaign c where true"
    ));
    push_filter(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("c.changed_xid", "c.campaign_id", "c.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many campaigns `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: CampaignFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "c.updated_at", since, |qb| {
        qb.push("select 1 from campaign c where true");
        push_filter(qb, &filter, filter.unit_id.map(Key::Value));
    })
    .await
}

/// Each unit's page of campaigns, in one statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &CampaignFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, CampaignRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    qb.push(format!("select {COLUMNS} from campaign c where true"));
    push_filter(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "c.campaign_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<CampaignRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many campaigns `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &CampaignFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, unit_ids, |qb| {
        qb.push("select 1 from campaign c where true");
        push_filter(qb, filter, Some(Key::Lateral));
    })
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    campaign_id: Uuid,
) -> sqlx::Result<Option<CampaignRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from campaign c where c.campaign_id = $1 for update"
    ))
    .bind(campaign_id)
    .fetch_optional(conn)
    .await
}

/// Validated campaign fields.
pub struct CampaignFields {
    pub organizer_id: Uuid,
    pub title: String,
    pub kind: CampaignKind,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub description: Option<String>,
}

pub async fn insert(
    conn: &mut PgConnection,
    campaign_id: Uuid,
    fields: &CampaignFields,
    actor: &str,
) -> sqlx::Result<CampaignRow> {
    sqlx::query_as(&format!(
        "insert into campaign as c (campaign_id, organizer_id, title, kind, opens_on, closes_on,
             description, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning {COLUMNS}"
    ))
    .bind(campaign_id)
    .bind(fields.organizer_id)
    .bind(&fields.title)
    .bind(fields.kind)
    .bind(fields.opens_on)
    .bind(fields.closes_on)
    .bind(&fields.description)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    campaign_id: Uuid,
    fields: &CampaignFields,
    actor: &str,
) -> sqlx::Result<CampaignRow> {
    sqlx::query_as(&format!(
        "update campaign as c set organizer_id = $2, title = $3, kind = $4, opens_on = $5,
             closes_on = $6, description = $7, updated_by = $8, version = c.version + 1
         where c.campaign_id = $1 returning {COLUMNS}"
    ))
    .bind(campaign_id)
    .bind(fields.organizer_id)
    .bind(&fields.title)
    .bind(fields.kind)
    .bind(fields.opens_on)
    .bind(fields.closes_on)
    .bind(&fields.description)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    campaign_id: Uuid,
    actor: &str,
) -> sqlx::Result<CampaignRow> {
    sqlx::query_as(&format!(
        "update campaign as c set archived_at = now(), archived_by = $2, updated_by = $2,
             version = c.version + 1
         where c.campaign_id = $1 returning {COLUMNS}"
    ))
    .bind(campaign_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

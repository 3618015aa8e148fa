//! Party-building activities of the societies (学会党建).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{self, fetch_list, push_any_text, push_list_page};
use kexie_subgraph_kit::page::{Changed, ListPage};
use kexie_subgraph_kit::record::{Audit, Record};

use super::push_unit_scope;
use crate::domain::PartyBuildingKind;

const COLUMNS: &str = "a.party_building_activity_id, a.unit_id, a.kind, a.title, a.held_on,
    a.speaker, a.participants, a.version, a.created_at, a.created_by, a.updated_at,
    a.updated_by, a.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartyBuildingRow {
    pub party_building_activity_id: Uuid,
    pub unit_id: Uuid,
    pub kind: PartyBuildingKind,
    pub title: String,
    pub held_on: NaiveDate,
    pub speaker: Option<String>,
    pub participants: i32,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for PartyBuildingRow {
    fn id(&self) -> Uuid {
        self.party_building_activity_id
    }
}

/// Which activities a list shows: those of a unit (and its subtree).
#[derive(Clone, Debug)]
pub struct PartyBuildingFilter {
    pub unit_id: Uuid,
    pub include_subtree: bool,
    pub kinds: Option<Vec<String>>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub include_archived: bool,
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<PartyBuildingRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from party_building_activity a
         where a.party_building_activity_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

fn push_select(qb: &mut QueryBuilder<'_, Postgres>, filter: &PartyBuildingFilter) {
    qb.push(format!(
        "select a.changed_xid::text::bigint as change_seq, {COLUMNS} from party_building_activity a where true"
    ));
    push_any_text(qb, "a.kind", &filter.kinds);
    if let Some(from) = filter.from {
        qb.push(" and a.held_on >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        qb.push(" and a.held_on <= ").push_bind(to);
    }
    if !filter.include_archived {
        qb.push(" and a.archived_at is null");
    }
    push_unit_scope(qb, "a.unit_id", filter.unit_id, filter.include_subtree);
}

pub async fn list(
    pool: &PgPool,
    filter: &PartyBuildingFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<PartyBuildingRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter);
    push_list_page(
        &mut qb,
        (
            "a.changed_xid",
            "a.party_building_activity_id",
            "a.updated_at",
        ),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many party-building activities `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: PartyBuildingFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "a.updated_at", since, |qb| push_select(qb, &filter)).await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<PartyBuildingRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from party_building_activity a
         where a.party_building_activity_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Validated fields of an activity.
pub struct PartyBuildingFields {
    pub unit_id: Uuid,
    pub kind: PartyBuildingKind,
    pub title: String,
    pub held_on: NaiveDate,
    pub speaker: Option<String>,
    pub participants: i32,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &PartyBuildingFields,
    actor: &str,
) -> sqlx::Result<PartyBuildingRow> {
    sqlx::query_as(&format!(
        "insert into party_building_activity as a (party_building_activity_id, unit_id, kind,
             title, held_on, speaker, participants, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.unit_id)
    .bind(fields.kind)
    .bind(&fields.title)
    .bind(fields.held_on)
    .bind(&fields.speaker)
    .bind(fields.participants)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &PartyBuildingFields,
    actor: &str,
) -> sqlx::Result<PartyBuildingRow> {
    sqlx::query_as(&format!(
        "update party_building_activity a set unit_id = $2, kind = $3, title = $4, held_on = $5,
             speaker = $6, participants = $7, updated_by = $8, version = version + 1
         where a.party_building_activity_id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.unit_id)
    .bind(fields.kind)
    .bind(&fields.title)
    .bind(fields.held_on)
    .bind(&fields.speaker)
    .bind(fields.participants)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
) -> sqlx::Result<PartyBuildingRow> {
    sqlx::query_as(&format!(
        "update party_building_activity a set archived_at = now(), archived_by = $2,
             updated_by = $2, version = version + 1
         where a.party_building_activity_id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

//! Innovation events (创新活动): matchmaking and academic exchange, with the needs and results
//! presented at each.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::bureau::PartnerBureau;
use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use crate::domain::{EventKind, EventStatus};

const COLUMNS: &str = "e.innovation_event_id, e.unit_id, e.kind, e.title, e.place, e.starts_on,
    e.ends_on, e.partner_bureaus, e.status, e.participants, e.enterprises, e.summary,
    e.version, e.created_at, e.created_by, e.updated_at, e.updated_by, e.archived_at,
    array(select n.tech_need_id from innovation_event_need n
          where n.innovation_event_id = e.innovation_event_id order by n.position) as need_ids,
    array(select r.science_result_id from innovation_event_result r
          where r.innovation_event_id = e.innovation_event_id order by r.position) as result_ids";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EventRow {
    pub innovation_event_id: Uuid,
    pub unit_id: Uuid,
    pub kind: EventKind,
    pub title: String,
    pub place: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// `PartnerBureau` texts, in the order given.
    pub partner_bureaus: Vec<String>,
    pub status: EventStatus,
    pub participants: i32,
    pub enterprises: i32,
    pub summary: Option<String>,
    #[sqlx(flatten)]
    pub audit: Audit,
    /// The needs presented, in the order given.
    pub need_ids: Vec<Uuid>,
    /// The results presented, in the order given.
    pub result_ids: Vec<Uuid>,
}

impl EventRow {
    /// The co-organizing bureaus.
    pub fn bureaus(&self) -> Vec<PartnerBureau> {
        self.partner_bureaus
            .iter()
            .filter_map(|text| PartnerBureau::parse(text))
            .collect()
    }
}

impl Record for EventRow {
    fn id(&self) -> Uuid {
        self.innovation_event_id
    }
}

impl FindById for EventRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which events a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub kinds: Option<Vec<String>>,
    pub statuses: Option<Vec<String>>,
    /// Co-organized by any of these bureaus.
    pub partner_bureaus: Option<Vec<String>>,
    /// Only the events this bureau co-organizes: what a co-organizing key sees.
    pub co_organized_by: Option<String>,
    /// Starting on or after this day.
    pub from: Option<NaiveDate>,
    /// Starting on or before this day.
    pub to: Option<NaiveDate>,
    /// An `ilike` pattern on the title and the place.
    pub search: Option<String>,
    pub include_archived: bool,
}

fn push_select(qb: &mut QueryBuilder<'_, Postgres>, filter: &EventFilter, unit: Option<Key>) {
    qb.push(format!(
        "select e.changed_xid::text::bigint as change_seq, {COLUMNS}
         from innovation_event e where true"
    ));
    if let Some(key) = unit {
        push_unit_scope(qb, "e.unit_id", key, filter.include_subtree);
    }
    push_any_text(qb, "e.kind", &filter.kinds);
    push_any_text(qb, "e.status", &filter.statuses);
    if let Some(bureaus) = &filter.partner_bureaus {
        qb.push(" and e.partner_bureaus && ")
            .push_bind(bureaus.clone())
            .push("::text[]");
    }
    if let Some(bureau) = &filter.co_organized_by {
        qb.push(" and e.partner_bureaus @> array[")
            .push_bind(bureau.clone())
            .push("]::text[]");
    }
    if let Some(from) = filter.from {
        qb.push(" and e.starts_on >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        qb.push(" and e.starts_on <= ").push_bind(to);
    }
    if let Some(pattern) = &filter.search {
        qb.push(" and (e.title ilike ")
            .push_bind(pattern.clone())
            .push(" or e.place ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and e.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from innovation_event e where e.innovation_event_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &EventFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<EventRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        ("e.changed_xid", "e.innovation_event_id", "e.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many events `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: EventFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "e.updated_at", since, |qb| {
        push_select(qb, &filter, filter.unit_id.map(Key::Value))
    })
    .await
}

/// Each organizing unit's page of events, in one statement.
pub async fn of_units(
    pool: &PgPool,
    ids: &[Uuid],
    filter: &EventFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, EventRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, ids);
    push_select(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "e.innovation_event_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<EventRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many events `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    ids: &[Uuid],
    filter: &EventFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| push_select(qb, filter, Some(Key::Lateral))).await
}

pub async fn get(conn: &mut PgConnection, event_id: Uuid) -> sqlx::Result<EventRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from innovation_event e where e.innovation_event_id = $1"
    ))
    .bind(event_id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from innovation_event e where e.innovation_event_id = $1
         for update of e"
    ))
    .bind(event_id)
    .fetch_optional(conn)
    .await
}

/// Of `need_ids`, those that are not live needs; of `result_ids`, those that are not live
/// results.
pub async fn missing_presented(
    conn: &mut PgConnection,
    need_ids: &[Uuid],
    result_ids: &[Uuid],
) -> sqlx::Result<(Vec<Uuid>, Vec<Uuid>)> {
    let needs = sqlx::query_scalar(
        "select id from unnest($1::uuid[]) as i(id)
         where not exists (select from tech_need n
                           where n.tech_need_id = i.id and n.archived_at is null)",
    )
    .bind(need_ids)
    .fetch_all(&mut *conn)
    .await?;
    let results = sqlx::query_scalar(
        "select id from unnest($1::uuid[]) as i(id)
         where not exists (select from science_result r
                           where r.science_result_id = i.id and r.archived_at is null)",
    )
    .bind(result_ids)
    .fetch_all(conn)
    .await?;
    Ok((needs, results))
}

/// Validated event fields.
pub struct EventFields {
    pub unit_id: Uuid,
    pub kind: EventKind,
    pub title: String,
    pub place: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub partner_bureaus: Vec<PartnerBureau>,
    pub need_ids: Vec<Uuid>,
    pub result_ids: Vec<Uuid>,
}

impl EventFields {
    fn bureau_texts(&self) -> Vec<&'static str> {
        self.partner_bureaus.iter().map(|b| b.as_str()).collect()
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    event_id: Uuid,
    fields: &EventFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into innovation_event (innovation_event_id, unit_id, kind, title, place,
             starts_on, ends_on, partner_bureaus, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(event_id)
    .bind(fields.unit_id)
    .bind(fields.kind)
    .bind(&fields.title)
    .bind(&fields.place)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(fields.bureau_texts())
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_presented(conn, event_id, fields).await
}

pub async fn update(
    conn: &mut PgConnection,
    event_id: Uuid,
    fields: &EventFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update innovation_event set unit_id = $2, kind = $3, title = $4, place = $5,
             starts_on = $6, ends_on = $7, partner_bureaus = $8, updated_by = $9,
             version = version + 1
         where innovation_event_id = $1",
    )
    .bind(event_id)
    .bind(fields.unit_id)
    .bind(fields.kind)
    .bind(&fields.title)
    .bind(&fields.place)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(fields.bureau_texts())
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    replace_presented(conn, event_id, fields).await
}

/// Replaces the needs and results presented with those of `fields`, in their order.
async fn replace_presented(
    conn: &mut PgConnection,
    event_id: Uuid,
    fields: &EventFields,
) -> sqlx::Result<()> {
    sqlx::query("delete from innovation_event_need where innovation_event_id = $1")
        .bind(event_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from innovation_event_result where innovation_event_id = $1")
        .bind(event_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into innovation_event_need (innovation_event_id, tech_need_id, position)
         select $1, id, (ordinality - 1)::int from unnest($2::uuid[]) with ordinality as i(id, ordinality)",
    )
    .bind(event_id)
    .bind(&fields.need_ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into innovation_event_result (innovation_event_id, science_result_id, position)
         select $1, id, (ordinality - 1)::int from unnest($2::uuid[]) with ordinality as i(id, ordinality)",
    )
    .bind(event_id)
    .bind(&fields.result_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Who came to a held event.
pub struct AttendanceFields {
    pub participants: i32,
    pub enterprises: i32,
    pub summary: Option<String>,
}

/// Moves the event to `status`, storing its attendance when given.
pub async fn set_status(
    conn: &mut PgConnection,
    event_id: Uuid,
    status: EventStatus,
    attendance: Option<&AttendanceFields>,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update innovation_event set status = $2,
             participants = coalesce($3, participants),
             enterprises = coalesce($4, enterprises),
             summary = coalesce($5, summary),
             updated_by = $6, version = version + 1
         where innovation_event_id = $1",
    )
    .bind(event_id)
    .bind(status)
    .bind(attendance.map(|a| a.participants))
    .bind(attendance.map(|a| a.enterprises))
    .bind(attendance.and_then(|a| a.summary.clone()))
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a held event's attendance (counted again after the event).
pub async fn set_attendance(
    conn: &mut PgConnection,
    event_id: Uuid,
    attendance: &AttendanceFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update innovation_event set participants = $2, enterprises = $3, summary = $4,
             updated_by = $5, version = version + 1
         where innovation_event_id = $1",
    )
    .bind(event_id)
    .bind(attendance.participants)
    .bind(attendance.enterprises)
    .bind(&attendance.summary)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(conn: &mut PgConnection, event_id: Uuid, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update innovation_event set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where innovation_event_id = $1",
    )
    .bind(event_id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

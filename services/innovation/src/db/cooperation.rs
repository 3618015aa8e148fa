//! School–enterprise cooperation agreements (校企合作).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, Record};

use crate::domain::TechField;

const COLUMNS: &str = "a.cooperation_agreement_id, a.university_unit_id, a.enterprise_unit_id,
    a.enterprise_name, a.title, a.field, a.signed_on, a.ends_on, a.version, a.created_at,
    a.created_by, a.updated_at, a.updated_by, a.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AgreementRow {
    pub cooperation_agreement_id: Uuid,
    pub university_unit_id: Uuid,
    pub enterprise_unit_id: Option<Uuid>,
    pub enterprise_name: Option<String>,
    pub title: String,
    pub field: TechField,
    pub signed_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for AgreementRow {
    fn id(&self) -> Uuid {
        self.cooperation_agreement_id
    }
}

/// Which agreements a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AgreementFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub fields: Option<Vec<String>>,
    /// In force on this day: signed by then and not ended before it.
    pub in_force_on: Option<NaiveDate>,
    pub include_archived: bool,
}

fn push_select(qb: &mut QueryBuilder<'_, Postgres>, filter: &AgreementFilter, unit: Option<Key>) {
    qb.push(format!(
        "select a.changed_xid::text::bigint as change_seq, {COLUMNS}
         from cooperation_agreement a where true"
    ));
    if let Some(unit) = unit {
        push_unit_scope(qb, "a.university_unit_id", unit, filter.include_subtree);
    }
    push_any_text(qb, "a.field", &filter.fields);
    if let Some(day) = filter.in_force_on {
        qb.push(" and a.signed_on <= ")
            .push_bind(day)
            .push(" and (a.ends_on is null or a.ends_on >= ")
            .push_bind(day)
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and a.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<AgreementRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from cooperation_agreement a where a.cooperation_agreement_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &AgreementFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<AgreementRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter, filter.unit_id.map(Key::Value));
    push_list_page(
        &mut qb,
        (
            "a.changed_xid",
            "a.cooperation_agreement_id",
            "a.updated_at",
        ),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many agreements `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: AgreementFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "a.updated_at", since, |qb| {
        push_select(qb, &filter, filter.unit_id.map(Key::Value))
    })
    .await
}

/// Each unit's page of the agreements its universities signed, in one statement.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &AgreementFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, AgreementRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, unit_ids);
    push_select(&mut qb, filter, Some(Key::Lateral));
    push_page(&mut qb, "a.cooperation_agreement_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<AgreementRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many agreements `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_units(
    pool: &PgPool,
    ids: &[Uuid],
    filter: &AgreementFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| push_select(qb, filter, Some(Key::Lateral))).await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<AgreementRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from cooperation_agreement a where a.cooperation_agreement_id = $1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<AgreementRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from cooperation_agreement a
         where a.cooperation_agreement_id = $1 for update of a"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Validated agreement fields.
pub struct AgreementFields {
    pub university_unit_id: Uuid,
    pub enterprise_unit_id: Option<Uuid>,
    pub enterprise_name: Option<String>,
    pub title: String,
    pub field: TechField,
    pub signed_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &AgreementFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into cooperation_agreement (cooperation_agreement_id, university_unit_id,
             enterprise_unit_id, enterprise_name, title, field, signed_on, ends_on, created_by,
             updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(fields.university_unit_id)
    .bind(fields.enterprise_unit_id)
    .bind(&fields.enterprise_name)
    .bind(&fields.title)
    .bind(fields.field)
    .bind(fields.signed_on)
    .bind(fields.ends_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &AgreementFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update cooperation_agreement set university_unit_id = $2, enterprise_unit_id = $3,
             enterprise_name = $4, title = $5, field = $6, signed_on = $7, ends_on = $8,
             updated_by = $9, version = version + 1
         where cooperation_agreement_id = $1",
    )
    .bind(id)
    .bind(fields.university_unit_id)
    .bind(fields.enterprise_unit_id)
    .bind(&fields.enterprise_name)
    .bind(&fields.title)
    .bind(fields.field)
    .bind(fields.signed_on)
    .bind(fields.ends_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(conn: &mut PgConnection, id: Uuid, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update cooperation_agreement set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where cooperation_agreement_id = $1",
    )
    .bind(id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

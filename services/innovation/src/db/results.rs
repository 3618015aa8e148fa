//! Scientific results on offer (科技成果).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use crate::domain::{Licensing, ResultMaturity, TechField};

const COLUMNS: &str = "r.science_result_id, r.owner_unit_id, r.owner_worker_id, r.title,
    r.field, r.maturity, r.patent_numbers, r.licensing, r.licensing_terms, r.offered_on,
    r.version, r.created_at, r.created_by, r.updated_at, r.updated_by, r.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ResultRow {
    pub science_result_id: Uuid,
    pub owner_unit_id: Uuid,
    pub owner_worker_id: Option<Uuid>,
    pub title: String,
    pub field: TechField,
    pub maturity: ResultMaturity,
    pub patent_numbers: Vec<String>,
    pub licensing: Licensing,
    pub licensing_terms: Option<String>,
    pub offered_on: NaiveDate,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for ResultRow {
    fn id(&self) -> Uuid {
        self.science_result_id
    }
}

impl FindById for ResultRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which results a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResultFilter {
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub fields: Option<Vec<String>>,
    pub maturities: Option<Vec<String>>,
    /// An `ilike` pattern on the title and the licensing terms.
    pub search: Option<String>,
    pub include_archived: bool,
}

/// Whose results a per-key list reads: a unit's (`owner_unit_id`) or a worker's.
#[derive(Clone, Copy, Debug)]
pub enum Owner {
    Unit,
    Worker,
}

fn push_select(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &ResultFilter,
    owner: Option<(Owner, Key)>,
) {
    qb.push(format!(
        "select r.changed_xid::text::bigint as change_seq, {COLUMNS}
         from science_result r where true"
    ));
    match owner {
        Some((Owner::Unit, key)) => {
            push_unit_scope(qb, "r.owner_unit_id", key, filter.include_subtree)
        }
        Some((Owner::Worker, key)) => {
            qb.push(" and r.owner_worker_id = ");
            key.push(qb);
        }
        None => {}
    }
    push_any_text(qb, "r.field", &filter.fields);
    push_any_text(qb, "r.maturity", &filter.maturities);
    if let Some(pattern) = &filter.search {
        qb.push(" and (r.title ilike ")
            .push_bind(pattern.clone())
            .push(" or r.licensing_terms ilike ")
            .push_bind(pattern.clone())
            .push(")");
    }
    if !filter.include_archived {
        qb.push(" and r.archived_at is null");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<ResultRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from science_result r where r.science_result_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &ResultFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<ResultRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(
        &mut qb,
        filter,
        filter.unit_id.map(|unit| (Owner::Unit, Key::Value(unit))),
    );
    push_list_page(
        &mut qb,
        ("r.changed_xid", "r.science_result_id", "r.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many results `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: ResultFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "r.updated_at", since, |qb| {
        push_select(
            qb,
            &filter,
            filter.unit_id.map(|unit| (Owner::Unit, Key::Value(unit))),
        )
    })
    .await
}

/// Each owner's page of results, in one statement.
pub async fn of_owners(
    pool: &PgPool,
    owner: Owner,
    ids: &[Uuid],
    filter: &ResultFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, ResultRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, ids);
    push_select(&mut qb, filter, Some((owner, Key::Lateral)));
    push_page(&mut qb, "r.science_result_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<ResultRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many results `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_owners(
    pool: &PgPool,
    owner: Owner,
    ids: &[Uuid],
    filter: &ResultFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| {
        push_select(qb, filter, Some((owner, Key::Lateral)))
    })
    .await
}

pub async fn get(conn: &mut PgConnection, result_id: Uuid) -> sqlx::Result<ResultRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from science_result r where r.science_result_id = $1"
    ))
    .bind(result_id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    result_id: Uuid,
) -> sqlx::Result<Option<ResultRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from science_result r where r.science_result_id = $1 for update of r"
    ))
    .bind(result_id)
    .fetch_optional(conn)
    .await
}

/// Validated result fields.
pub struct ResultFields {
    pub owner_unit_id: Uuid,
    pub owner_worker_id: Option<Uuid>,
    pub title: String,
    pub field: TechField,
    pub maturity: ResultMaturity,
    pub patent_numbers: Vec<String>,
    pub licensing: Licensing,
    pub licensing_terms: Option<String>,
    pub offered_on: NaiveDate,
}

pub async fn insert(
    conn: &mut PgConnection,
    result_id: Uuid,
    fields: &ResultFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into science_result (science_result_id, owner_unit_id, owner_worker_id, title,
             field, maturity, patent_numbers, licensing, licensing_terms, offered_on,
             created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(result_id)
    .bind(fields.owner_unit_id)
    .bind(fields.owner_worker_id)
    .bind(&fields.title)
    .bind(fields.field)
    .bind(fields.maturity)
    .bind(&fields.patent_numbers)
    .bind(fields.licensing)
    .bind(&fields.licensing_terms)
    .bind(fields.offered_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut PgConnection,
    result_id: Uuid,
    fields: &ResultFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update science_result set owner_unit_id = $2, owner_worker_id = $3, title = $4,
             field = $5, maturity = $6, patent_numbers = $7, licensing = $8,
             licensing_terms = $9, offered_on = $10, updated_by = $11, version = version + 1
         where science_result_id = $1",
    )
    .bind(result_id)
    .bind(fields.owner_unit_id)
    .bind(fields.owner_worker_id)
    .bind(&fields.title)
    .bind(fields.field)
    .bind(fields.maturity)
    .bind(&fields.patent_numbers)
    .bind(fields.licensing)
    .bind(&fields.licensing_terms)
    .bind(fields.offered_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(conn: &mut PgConnection, result_id: Uuid, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update science_result set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where science_result_id = $1",
    )
    .bind(result_id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

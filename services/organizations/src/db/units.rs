//! Units.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page, untag,
    Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{FindById, Record};
use kexie_subgraph_kit::unit_tree::ReplicatedUnit;

use crate::domain::{UnitKind, UnitStatus};

const COLUMNS: &str = "unit_id, parent_id, path, name, short_name, kind, division_code, status,
    merged_into_id, founded_on, exemplary_year, member_count, version, created_at, created_by,
    updated_at, updated_by";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnitRow {
    pub unit_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub path: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: UnitKind,
    pub division_code: Option<String>,
    pub status: UnitStatus,
    pub merged_into_id: Option<Uuid>,
    pub founded_on: Option<NaiveDate>,
    pub exemplary_year: Option<i32>,
    pub member_count: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Record for UnitRow {
    fn id(&self) -> Uuid {
        self.unit_id
    }
}

impl FindById for UnitRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

impl UnitRow {
    /// The unit as the other subgraphs' copies of the tree hold it.
    pub fn replicated(&self) -> ReplicatedUnit {
        ReplicatedUnit {
            id: self.unit_id,
            parent_id: self.parent_id,
            path: self.path.clone(),
            kind: self.kind.as_str().to_string(),
            status: self.status.as_str().to_string(),
            name: self.name.clone(),
            division_code: self.division_code.clone(),
        }
    }
}

/// Which units a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnitFilter {
    pub parent_id: Option<Uuid>,
    /// Units strictly below this one.
    pub under_unit_id: Option<Uuid>,
    pub kinds: Option<Vec<String>>,
    /// Defaults to active units only.
    pub statuses: Option<Vec<String>>,
    pub division_code_prefix: Option<String>,
    pub search: Option<String>,
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &UnitFilter) {
    if let Some(parent_id) = filter.parent_id {
        qb.push(" and u.parent_id = ").push_bind(parent_id);
    }
    if let Some(unit_id) = filter.under_unit_id {
        qb.push(" and u.path like (select p.path from unit p where p.unit_id = ")
            .push_bind(unit_id)
            .push(") || '%' and u.unit_id <> ")
            .push_bind(unit_id);
    }
    push_any_text(qb, "u.kind", &filter.kinds);
    let statuses = filter
        .statuses
        .clone()
        .unwrap_or_else(|| vec![UnitStatus::Active.as_str().to_string()]);
    push_any_text(qb, "u.status", &Some(statuses));
    if let Some(prefix) = &filter.division_code_prefix {
        qb.push(" and u.division_code like ")
            .push_bind(prefix.clone())
            .push(" || '%'");
    }
    if let Some(search) = &filter.search {
        qb.push(" and (u.name ilike '%' || ")
            .push_bind(search.clone())
            .push(" || '%' or u.short_name ilike '%' || ")
            .push_bind(search.clone())
            .push(" || '%')");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<UnitRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from unit where unit_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn find_by_division_code(pool: &PgPool, code: &str) -> sqlx::Result<Option<UnitRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from unit where division_code = $1 and status = 'ACTIVE'"
    ))
    .bind(code)
    .fetch_optional(pool)
    .await
}

/// The root: the city association.
pub async fn root(pool: &PgPool) -> sqlx::Result<Option<UnitRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from unit where parent_id is null"
    ))
    .fetch_optional(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &UnitFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<UnitRow>>> {
    let mut qb = QueryBuilder::new(format!(
        "select u.changed_xid::text::bigint as change_seq, {COLUMNS} from unit u where true"
    ));
    push_filter(&mut qb, filter);
    push_list_page(
        &mut qb,
        ("u.changed_xid", "u.unit_id", "u.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many units `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: UnitFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "u.updated_at", since, |qb| {
        qb.push("select 1 from unit u where true");
        push_filter(qb, &filter);
    })
    .await
}

/// The children of each of `parent_ids` matching `filter`, one page each, in one statement.
pub async fn children(
    pool: &PgPool,
    parent_ids: &[Uuid],
    filter: &UnitFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, UnitRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, parent_ids);
    qb.push(format!(
        "select {COLUMNS} from unit u where u.parent_id = k.key_id"
    ));
    push_filter(&mut qb, filter);
    push_page(&mut qb, "u.unit_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<UnitRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many children `filter` shows for each of `parent_ids`, in one statement.
pub async fn count_children(
    pool: &PgPool,
    parent_ids: &[Uuid],
    filter: &UnitFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, parent_ids, |qb| {
        qb.push("select 1 from unit u where u.parent_id = k.key_id");
        push_filter(qb, filter);
    })
    .await
}

/// The unit's ancestors, root first.
pub async fn ancestors(pool: &PgPool, unit_id: Uuid) -> sqlx::Result<Vec<UnitRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from unit
         where (select path from unit where unit_id = $1) like path || '%' and unit_id <> $1
         order by length(path)"
    ))
    .bind(unit_id)
    .fetch_all(pool)
    .await
}

/// Reads a unit inside a tree-changing transaction (the tree lock is already held).
pub async fn get(conn: &mut PgConnection, unit_id: Uuid) -> sqlx::Result<Option<UnitRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from unit where unit_id = $1"))
        .bind(unit_id)
        .fetch_optional(conn)
        .await
}

/// Where a unit hangs, as an authorization check inside a mutation needs it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Placement {
    pub path: String,
    pub parent_id: Option<Uuid>,
    /// Absent for the root.
    pub parent_path: Option<String>,
    pub status: UnitStatus,
}

/// Where `unit_id` hangs, read in the caller's transaction. The unit's row stays locked
/// (for share) until the transaction ends: a reorganization rewrites the paths of the
/// subtree it moves, so it waits, and the unit cannot move between the check and the write.
pub async fn placement(conn: &mut PgConnection, unit_id: Uuid) -> sqlx::Result<Option<Placement>> {
    sqlx::query_as(
        "select u.path, u.parent_id, p.path as parent_path, u.status
         from unit u left join unit p on p.unit_id = u.parent_id
         where u.unit_id = $1
         for share of u",
    )
    .bind(unit_id)
    .fetch_optional(conn)
    .await
}

/// The fields a client sets on a unit.
pub struct UnitFields<'a> {
    pub name: &'a str,
    pub short_name: Option<&'a str>,
    pub division_code: Option<&'a str>,
    pub founded_on: Option<NaiveDate>,
    pub exemplary_year: Option<i32>,
    pub member_count: i32,
}

pub async fn insert(
    conn: &mut PgConnection,
    unit_id: Uuid,
    parent: Option<&UnitRow>,
    kind: UnitKind,
    fields: &UnitFields<'_>,
    actor: &str,
) -> sqlx::Result<UnitRow> {
    let path = format!(
        "{}{}/",
        parent.map_or("/", |parent| parent.path.as_str()),
        unit_id
    );
    sqlx::query_as(&format!(
        "insert into unit (unit_id, parent_id, path, name, short_name, kind, division_code,
                           founded_on, exemplary_year, member_count, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         returning {COLUMNS}"
    ))
    .bind(unit_id)
    .bind(parent.map(|parent| parent.unit_id))
    .bind(path)
    .bind(fields.name)
    .bind(fields.short_name)
    .bind(kind)
    .bind(fields.division_code)
    .bind(fields.founded_on)
    .bind(fields.exemplary_year)
    .bind(fields.member_count)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    unit_id: Uuid,
    fields: &UnitFields<'_>,
    actor: &str,
) -> sqlx::Result<UnitRow> {
    sqlx::query_as(&format!(
        "update unit set name = $2, short_name = $3, division_code = $4, founded_on = $5,
                         exemplary_year = $6, member_count = $7, updated_by = $8, version = version + 1
         where unit_id = $1 returning {COLUMNS}"
    ))
    .bind(unit_id)
    .bind(fields.name)
    .bind(fields.short_name)
    .bind(fields.division_code)
    .bind(fields.founded_on)
    .bind(fields.exemplary_year)
    .bind(fields.member_count)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// Moves the subtree rooted at `unit` under `new_parent`, optionally giving the unit a new
/// division code; returns every unit whose path changed.
pub async fn move_subtree(
    conn: &mut PgConnection,
    unit: &UnitRow,
    new_parent: &UnitRow,
    division_code: Option<&str>,
    actor: &str,
) -> sqlx::Result<Vec<UnitRow>> {
    let new_path = format!("{}{}/", new_parent.path, unit.unit_id);
    sqlx::query(
        "update unit set parent_id = $2, division_code = $3, version = version + 1, updated_by = $4
         where unit_id = $1",
    )
    .bind(unit.unit_id)
    .bind(new_parent.unit_id)
    .bind(division_code)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    repath(conn, &unit.path, &new_path).await
}

/// Rewrites the paths of a subtree from `old_prefix` to `new_prefix`.
async fn repath(
    conn: &mut PgConnection,
    old_prefix: &str,
    new_prefix: &str,
) -> sqlx::Result<Vec<UnitRow>> {
    sqlx::query_as(&format!(
        "update unit set path = $2 || substr(path, length($1) + 1)
         where path like $1 || '%'
         returning {COLUMNS}"
    ))
    .bind(old_prefix)
    .bind(new_prefix)
    .fetch_all(conn)
    .await
}

/// Merges `unit` into `target`: its children move under the target, and it hangs under the
/// target itself with status MERGED, so its records now roll up into the target's subtree.
/// Returns every unit that changed.
pub async fn merge(
    conn: &mut PgConnection,
    unit: &UnitRow,
    target: &UnitRow,
    actor: &str,
) -> sqlx::Result<Vec<UnitRow>> {
    let children: Vec<UnitRow> =
        sqlx::query_as(&format!("select {COLUMNS} from unit where parent_id = $1"))
            .bind(unit.unit_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut changed = Vec::new();
    for child in &children {
        changed.extend(
            move_subtree(conn, child, target, child.division_code.as_deref(), actor).await?,
        );
    }
    sqlx::query(
        "update unit set status = 'MERGED', merged_into_id = $2, parent_id = $2,
                         version = version + 1, updated_by = $3
         where unit_id = $1",
    )
    .bind(unit.unit_id)
    .bind(target.unit_id)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    changed.extend(
        repath(
            conn,
            &unit.path,
            &format!("{}{}/", target.path, unit.unit_id),
        )
        .await?,
    );
    Ok(changed)
}

pub async fn dissolve(
    conn: &mut PgConnection,
    unit_id: Uuid,
    actor: &str,
) -> sqlx::Result<UnitRow> {
    sqlx::query_as(&format!(
        "update unit set status = 'DISSOLVED', version = version + 1, updated_by = $2
         where unit_id = $1 returning {COLUMNS}"
    ))
    .bind(unit_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// How many active units hang directly under `unit_id`.
pub async fn active_children(conn: &mut PgConnection, unit_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from unit where parent_id = $1 and status = 'ACTIVE'")
        .bind(unit_id)
        .fetch_one(conn)
        .await
}

/// Every unit, for a full publication of the tree.
pub async fn all(conn: &mut PgConnection) -> sqlx::Result<Vec<UnitRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from unit order by path"))
        .fetch_all(conn)
        .await
}

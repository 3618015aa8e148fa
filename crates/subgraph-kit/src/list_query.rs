//! What the subgraphs' list statements are built of, with `QueryBuilder`, so that each
//! statement carries only the conditions a filter sets: a generic plan full of `$n is null
//! or …` would keep PostgreSQL from using the per-filter indexes. The same conditions serve
//! a top-level list (the unit or worker bound as a value) and a per-unit or per-worker list
//! for a whole `_entities` batch (the key taken from a lateral join over all the keys).

use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::page::{Changed, ListPage, PageArgs, SortedPage};

/// What a list condition compares with: a value bound as a parameter, or the key column
/// `k.key_id` of the lateral join that fetches many lists at once.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    Value(Uuid),
    Lateral,
}

impl Key {
    pub fn push(self, qb: &mut QueryBuilder<'_, Postgres>) {
        match self {
            Key::Value(id) => {
                qb.push_bind(id);
            }
            Key::Lateral => {
                qb.push("k.key_id");
            }
        }
    }
}

/// `and <column> = <unit>`, or with `include_subtree` any unit below it in the replicated
/// tree as well.
pub fn push_unit_scope(
    qb: &mut QueryBuilder<'_, Postgres>,
    column: &str,
    unit: Key,
    include_subtree: bool,
) {
    qb.push(" and ").push(column);
    if include_subtree {
        qb.push(
            " in (select r.unit_id from unit_replica r
                  where r.path like (select p.path from unit_replica p where p.unit_id = ",
        );
        unit.push(qb);
        qb.push(") || '%')");
    } else {
        qb.push(" = ");
        unit.push(qb);
    }
}

/// `and <column> = any(<values>)` when the filter names values.
pub fn push_any_text(
    qb: &mut QueryBuilder<'_, Postgres>,
    column: &str,
    values: &Option<Vec<String>>,
) {
    if let Some(values) = values {
        qb.push(" and ")
            .push(column)
            .push(" = any(")
            .push_bind(values.clone())
            .push("::text[])");
    }
}

/// Keyset pagination, newest first; backward (`last`/`before`) the rows just newer than
/// `before`, oldest first, which [`crate::page::connection`] turns around.
pub fn push_page(qb: &mut QueryBuilder<'_, Postgres>, id_column: &str, page: PageArgs) {
    let (bound, comparison, order) = if page.backward {
        (page.before, " > ", " asc limit ")
    } else {
        (page.after, " < ", " desc limit ")
    };
    if let Some(bound) = bound {
        qb.push(" and ")
            .push(id_column)
            .push(comparison)
            .push_bind(bound);
    }
    qb.push(" order by ")
        .push(id_column)
        .push(order)
        .push_bind(page.limit());
}

/// Ends a top-level list's statement with its page: `columns` are its table's
/// `changed_xid`, ID and `updated_at`, qualified with the table's alias.
pub fn push_list_page(
    qb: &mut QueryBuilder<'_, Postgres>,
    columns: (&str, &str, &str),
    page: &ListPage,
) {
    match page {
        ListPage::Newest(page) => push_page(qb, columns.1, *page),
        ListPage::Sorted(page) => push_sorted_page(qb, columns.1, page),
        ListPage::Changes { since, page } => push_change_page(qb, columns, *since, *page),
    }
}

/// Keyset pagination in an `orderBy` order: the rows after the cursor's (sort value, ID),
/// ties by ID in the same direction.
pub fn push_sorted_page(qb: &mut QueryBuilder<'_, Postgres>, id_column: &str, page: &SortedPage) {
    let alias = id_column
        .rsplit_once('.')
        .map(|(alias, _)| format!("{alias}."))
        .unwrap_or_default();
    let column = page.order.by.sql(&alias);
    let (comparison, direction) = if page.descending() {
        (" < ", " desc")
    } else {
        (" > ", " asc")
    };
    if let Some((value, id)) = &page.from {
        qb.push(" and (")
            .push(&column)
            .push(", ")
            .push(id_column)
            .push(")")
            .push(comparison)
            .push("(")
            .push_bind(value.clone())
            .push(page.order.by.cast())
            .push(", ")
            .push_bind(*id)
            .push(")");
    }
    qb.push(" order by ")
        .push(&column)
        .push(direction)
        .push(", ")
        .push(id_column)
        .push(direction)
        .push(" limit ")
        .push_bind(page.limit());
}

/// Runs a top-level list's statement, sent unprepared (each filter makes another statement,
/// planned with its values), and reads its rows with their change and, in an `orderBy`
/// order, their sort value.
pub async fn fetch_list<T>(
    pool: &PgPool,
    mut qb: QueryBuilder<'_, Postgres>,
    page: &ListPage,
) -> sqlx::Result<Vec<Changed<T>>>
where
    T: for<'r> FromRow<'r, PgRow>,
{
    let rows = qb.build().persistent(false).fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            let mut changed = Changed::<T>::from_row(row)?;
            if let ListPage::Sorted(page) = page {
                changed.sort_value = Some(page.order.by.value_of(row)?);
            }
            Ok(changed)
        })
        .collect()
}

/// Ends a sync read (`filter.updatedSince`): rows whose last change committed, after the
/// page's cursor (or, starting, written at `since` or later), in the order the changes
/// were made, one page. Only changes older than every transaction still running are read
/// (`pg_snapshot_xmin`), so a cursor never passes a change that has yet to commit: the
/// reader meets it on a later page instead of missing it.
pub fn push_change_page(
    qb: &mut QueryBuilder<'_, Postgres>,
    (xid_column, id_column, updated_column): (&str, &str, &str),
    since: chrono::DateTime<chrono::Utc>,
    page: crate::page::ChangePage,
) {
    qb.push(" and ")
        .push(xid_column)
        .push(" < pg_snapshot_xmin(pg_current_snapshot())");
    match page.after {
        Some((xid, id)) => {
            qb.push(" and (")
                .push(xid_column)
                .push(", ")
                .push(id_column)
                .push(") > (")
                .push_bind(xid.to_string())
                .push("::xid8, ")
                .push_bind(id)
                .push(")");
        }
        None => {
            qb.push(" and ")
                .push(updated_column)
                .push(" >= ")
                .push_bind(since);
        }
    }
    qb.push(" order by ")
        .push(xid_column)
        .push(", ")
        .push(id_column)
        .push(" limit ")
        .push_bind(page.limit());
}

/// `totalCount` of a top-level list (sent unprepared, as each filter makes another
/// statement): how many rows the statement `push_select` pushes
/// (`select … from … where …`, without page) selects; with `filter.updatedSince`, those
/// written at that time or later (`updated_column`).
pub async fn count(
    pool: &PgPool,
    updated_column: &str,
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
    push_select: impl FnOnce(&mut QueryBuilder<'_, Postgres>),
) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::new("select count(*) from (");
    push_select(&mut qb);
    if let Some(since) = updated_since {
        qb.push(" and ")
            .push(updated_column)
            .push(" >= ")
            .push_bind(since);
    }
    qb.push(") c");
    qb.build_query_scalar()
        .persistent(false)
        .fetch_one(pool)
        .await
}

/// `totalCount` of a per-unit (or per-worker …) list for many keys in one statement:
/// `push_select` pushes the list's select for the key `k.key_id` ([`Key::Lateral`]).
pub async fn count_per_key(
    pool: &PgPool,
    keys: &[Uuid],
    push_select: impl FnOnce(&mut QueryBuilder<'_, Postgres>),
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    let mut qb = QueryBuilder::new("select k.key_id, (select count(*) from (");
    push_select(&mut qb);
    qb.push(") c) from unnest(")
        .push_bind(keys.to_vec())
        .push("::uuid[]) as k(key_id)");
    qb.build_query_as().persistent(false).fetch_all(pool).await
}

/// Opens `select k.key_id, t.* from unnest(<keys>) as k(key_id) cross join lateral (`; the
/// caller pushes the inner query and then [`close_lateral`].
pub fn open_lateral(qb: &mut QueryBuilder<'_, Postgres>, keys: &[Uuid]) {
    qb.push("select k.key_id, t.* from unnest(")
        .push_bind(keys.to_vec())
        .push("::uuid[]) as k(key_id) cross join lateral (");
}

pub fn close_lateral(qb: &mut QueryBuilder<'_, Postgres>) {
    qb.push(") t");
}

/// A row of a per-key list, tagged with its key.
pub struct Keyed<T> {
    pub key_id: Uuid,
    pub row: T,
}

impl<'r, T: FromRow<'r, PgRow>> FromRow<'r, PgRow> for Keyed<T> {
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        Ok(Keyed {
            key_id: row.try_get("key_id")?,
            row: T::from_row(row)?,
        })
    }
}

pub fn untag<T>(rows: Vec<Keyed<T>>) -> Vec<(Uuid, T)> {
    rows.into_iter()
        .map(|keyed| (keyed.key_id, keyed.row))
        .collect()
}

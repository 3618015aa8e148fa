//! SQL: one function per statement. Lists are built with [`sqlx::QueryBuilder`] so that each
//! combination of filters becomes a statement with only the predicates it needs, and they
//! are sent unprepared so that PostgreSQL plans each with its actual values: whether a
//! unit's subtree holds three units or the whole city decides between walking the
//! organizer index and walking the newest-first primary key, and a plan cached for one
//! would be slow for the other.

pub mod activities;
pub mod venues;

use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::push_page;
use kexie_subgraph_kit::page::PageArgs;

/// A unit and every unit below it in the replicated tree. The unit itself is always
/// included, so its own records are found even before the tree has reached this subgraph.
pub async fn subtree(pool: &PgPool, unit_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    let mut units: Vec<Uuid> = sqlx::query_scalar(
        "select unit_id from unit_replica
         where path like (select path from unit_replica where unit_id = $1) || '%'",
    )
    .bind(unit_id)
    .fetch_all(pool)
    .await?;
    if !units.contains(&unit_id) {
        units.push(unit_id);
    }
    Ok(units)
}

/// The units a filter's `unitId` (with `includeSubtree`) stands for, if it names one.
pub async fn units_of(
    pool: &PgPool,
    unit_id: Option<Uuid>,
    include_subtree: bool,
) -> sqlx::Result<Option<Vec<Uuid>>> {
    Ok(match unit_id {
        Some(unit_id) if include_subtree => Some(subtree(pool, unit_id).await?),
        Some(unit_id) => Some(vec![unit_id]),
        None => None,
    })
}

/// A table as its lists read it.
struct Listed {
    /// `activity a`
    from: &'static str,
    columns: &'static str,
    /// The ID column, qualified (`a.activity_id`) and bare (`activity_id`).
    id: &'static str,
    bare_id: &'static str,
    /// The unit a record belongs to (`a.organizer_unit_id`).
    unit: &'static str,
}

/// Whose rows a per-key list statement selects.
#[derive(Clone, Copy, Debug)]
enum Scope {
    /// In a per-key batch: the rows whose `column` is the key.
    KeyColumn(&'static str),
    /// In a per-key batch: the rows of the key unit's whole subtree. Each unit of the
    /// subtree gives its newest page through the unit index and the pages are merged, so
    /// the work is bounded by the subtree's size, whatever the planner guesses.
    KeySubtree,
}

/// Pushes the select of one page of `table` for the batch's key in `scope`; `filter` pushes the filter's
/// predicates (`and …`).
fn push_select(
    qb: &mut QueryBuilder<'_, Postgres>,
    table: &Listed,
    scope: Scope,
    filter: impl FnOnce(&mut QueryBuilder<'_, Postgres>),
    page: PageArgs,
) {
    let Listed {
        from,
        columns,
        id,
        bare_id,
        unit,
    } = table;
    match scope {
        Scope::KeyColumn(column) => {
            qb.push(format!(
                "select {columns} from {from} where {column} = k.unit_id"
            ));
            filter(qb);
            push_page(qb, id, page);
        }
        Scope::KeySubtree => {
            qb.push(
                "select s.* from (select unit_id from unit_replica where path like \
                 (select path from unit_replica where unit_id = k.unit_id) || '%' \
                 union select k.unit_id) u cross join lateral (",
            );
            qb.push(format!(
                "select {columns} from {from} where {unit} = u.unit_id"
            ));
            filter(qb);
            push_page(qb, id, page);
            let order = if page.backward { "asc" } else { "desc" };
            qb.push(format!(") s order by s.{bare_id} {order} limit "))
                .push_bind(page.limit());
        }
    }
}

/// Pushes the select of every row of `table` for the key `k.key_id` in `scope`, as
/// [`kexie_subgraph_kit::list_query::count_per_key`] counts them; `filter` pushes the
/// filter's predicates.
fn push_count_select(
    qb: &mut QueryBuilder<'_, Postgres>,
    table: &Listed,
    scope: Scope,
    filter: impl FnOnce(&mut QueryBuilder<'_, Postgres>),
) {
    let Listed { from, unit, .. } = table;
    match scope {
        Scope::KeyColumn(column) => {
            qb.push(format!("select 1 from {from} where {column} = k.key_id"));
        }
        Scope::KeySubtree => {
            qb.push(format!(
                "select 1 from {from} where {unit} in (select unit_id from unit_replica \
                 where path like (select path from unit_replica where unit_id = k.key_id) || '%' \
                 union select k.key_id)"
            ));
        }
    }
    filter(qb);
}

/// `column = any(units)`: the rows of these units.
fn push_units(qb: &mut QueryBuilder<'_, Postgres>, column: &str, units: Option<Vec<Uuid>>) {
    if let Some(units) = units {
        qb.push(" and ")
            .push(column)
            .push(" = any(")
            .push_bind(units)
            .push("::uuid[])");
    }
}

/// `column = any(values)` for a list filter of enum texts.
fn push_any(qb: &mut QueryBuilder<'_, Postgres>, column: &str, values: Vec<&'static str>) {
    qb.push(" and ")
        .push(column)
        .push(" = any(")
        .push_bind(values)
        .push("::text[])");
}

/// `column` overlaps `values`: the record has any of them.
fn push_overlap(qb: &mut QueryBuilder<'_, Postgres>, column: &str, values: Vec<&'static str>) {
    qb.push(" and ")
        .push(column)
        .push(" && ")
        .push_bind(values)
        .push("::text[]");
}

/// A case-insensitive substring match on `column`; `%`, `_` and `\` in the search are
/// matched literally.
fn push_search(qb: &mut QueryBuilder<'_, Postgres>, column: &str, search: &str) {
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    qb.push(" and ")
        .push(column)
        .push(" ilike ")
        .push_bind(format!("%{escaped}%"));
}

/// Opens a per-key batch: `select k.unit_id as key_id, t.* from unnest($1) as k(unit_id)
/// cross join lateral (`; the caller adds the select and `) t`.
fn lateral_prefix(keys: &[Uuid]) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new("select k.unit_id as key_id, t.* from unnest(");
    qb.push_bind(keys.to_vec())
        .push("::uuid[]) as k(unit_id) cross join lateral (");
    qb
}

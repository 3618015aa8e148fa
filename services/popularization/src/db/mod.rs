//! SQL: one function per statement. Lists are built with [`sqlx::QueryBuilder`] so that each
//! combination of filters becomes a statement with only the predicates it needs, which the
//! planner can match to the indexes (a generic `($1 is null or …)` plan cannot).

pub mod activities;
pub mod history;
pub mod venues;

use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_shared::page::PageArgs;

/// Whose records a list holds.
#[derive(Clone, Copy, Debug)]
pub enum UnitKey {
    /// A unit given by the client.
    Bound(Uuid),
    /// Each unit of an `unnest($1::uuid[]) as k(unit_id)` batch (the per-unit lists).
    Lateral,
}

/// Restricts `column` to the unit, or with `subtree` to every unit below it in the
/// replicated tree (the unit included).
fn push_unit_scope(qb: &mut QueryBuilder<'_, Postgres>, column: &str, key: UnitKey, subtree: bool) {
    qb.push(" and ").push(column);
    if subtree {
        qb.push(
            " in (select unit_id from unit_replica where path like \
             (select path from unit_replica where unit_id = ",
        );
        push_key(qb, key);
        qb.push(") || '%')");
    } else {
        qb.push(" = ");
        push_key(qb, key);
    }
}

fn push_key(qb: &mut QueryBuilder<'_, Postgres>, key: UnitKey) {
    match key {
        UnitKey::Bound(unit_id) => {
            qb.push_bind(unit_id);
        }
        UnitKey::Lateral => {
            qb.push("k.unit_id");
        }
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

/// The keyset page: rows older than the cursor, newest first, one extra to tell whether
/// there is a next page.
fn push_page(qb: &mut QueryBuilder<'_, Postgres>, id_column: &str, page: PageArgs) {
    if let Some(after) = page.after {
        qb.push(" and ")
            .push(id_column)
            .push(" < ")
            .push_bind(after);
    }
    qb.push(" order by ")
        .push(id_column)
        .push(" desc limit ")
        .push_bind(page.limit());
}

/// Opens a per-key lateral list: `select k.unit_id as key_id, t.* from unnest($1) as
/// k(unit_id) cross join lateral (` — the caller adds the inner select and `) t`.
fn lateral_prefix(keys: &[Uuid]) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new("select k.unit_id as key_id, t.* from unnest(");
    qb.push_bind(keys.to_vec())
        .push("::uuid[]) as k(unit_id) cross join lateral (");
    qb
}

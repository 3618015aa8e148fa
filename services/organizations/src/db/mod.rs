//! SQL of the organizations subgraph, one function per statement.

pub mod api_keys;
pub mod leaders;
pub mod media_reports;
pub mod party_building;
pub mod targets;
pub mod terms;
pub mod tree;
pub mod units;

use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::push_page;
use kexie_subgraph_kit::page::PageArgs;

/// Ends a list of a unit's records (party building, media reports): those of `unit` (with
/// `include_subtree`, of every unit below it in the tree as well), newest first, one page.
fn push_records_page(
    qb: &mut QueryBuilder<'_, Postgres>,
    (unit_column, id_column): (&str, &str),
    (unit, include_subtree): (Uuid, bool),
    page: PageArgs,
) {
    qb.push(" and ").push(unit_column);
    if include_subtree {
        qb.push(
            " in (select u.unit_id from unit u
                  where u.path like (select p.path from unit p where p.unit_id = ",
        )
        .push_bind(unit)
        .push(") || '%')");
    } else {
        qb.push(" = ").push_bind(unit);
    }
    push_page(qb, id_column, page);
}

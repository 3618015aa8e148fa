//! SQL of the organizations subgraph, one function per statement.

pub mod api_keys;
pub mod leaders;
pub mod media_reports;
pub mod party_building;
pub mod targets;
pub mod terms;
pub mod tree;
pub mod units;
pub mod webhooks;

use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

/// `and <unit_column>` is `unit` or, with `include_subtree`, any unit below it in the tree.
fn push_unit_scope(
    qb: &mut QueryBuilder<'_, Postgres>,
    unit_column: &str,
    unit: Uuid,
    include_subtree: bool,
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
}

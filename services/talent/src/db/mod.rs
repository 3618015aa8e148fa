//! SQL of the talent subgraph, one function per statement.

pub mod honors;
pub mod nominations;
pub mod workers;
pub mod workstations;

/// Which units' records a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitScope {
    /// Any unit's.
    Any,
    /// The unit's own records.
    Own,
    /// The records of the unit and of every unit below it in the replicated tree.
    Subtree,
}

impl UnitScope {
    /// The scope of a filter naming `unit_id` (or not) with `include_subtree`.
    pub fn of(unit_id: Option<uuid::Uuid>, include_subtree: bool) -> Self {
        match (unit_id, include_subtree) {
            (None, _) => UnitScope::Any,
            (Some(_), false) => UnitScope::Own,
            (Some(_), true) => UnitScope::Subtree,
        }
    }

    /// The SQL condition restricting `column` (a unit ID) to this scope around `unit`, an
    /// SQL expression (a parameter or a lateral join's column). Each scope gets its own
    /// statement so that PostgreSQL plans it with the right index.
    pub fn condition(self, column: &str, unit: &str) -> String {
        match self {
            UnitScope::Any => format!("{unit} is null"),
            UnitScope::Own => format!("{column} = {unit}"),
            UnitScope::Subtree => format!(
                "{column} in (select unit_id from unit_replica
                              where path like (select path from unit_replica where unit_id = {unit}) || '%')"
            ),
        }
    }
}

//! SQL of the talent subgraph, one function per statement.

pub mod honors;
pub mod nominations;
pub mod workers;
pub mod workstations;

/// The stored texts of the enum values a filter names, if it names any.
pub fn texts<T: Copy>(values: &Option<Vec<T>>, text: fn(T) -> &'static str) -> Option<Vec<String>> {
    values.as_ref().map(|values| {
        values
            .iter()
            .map(|&value| text(value).to_string())
            .collect()
    })
}

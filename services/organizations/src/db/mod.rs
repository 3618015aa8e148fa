//! SQL of the organizations subgraph, one function per statement.

pub mod api_keys;
pub mod leaders;
pub mod targets;
pub mod terms;
pub mod tree;
pub mod units;

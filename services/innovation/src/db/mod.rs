//! SQL of the innovation subgraph, one function per statement. Lists are built with
//! `kexie_subgraph_kit::list_query`.

pub mod cooperation;
pub mod events;
pub mod matches;
pub mod needs;
pub mod pilots;
pub mod results;
pub mod visits;

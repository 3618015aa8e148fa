//! SQL of the advice subgraph, one function per statement. Lists are built with
//! `kexie_subgraph_kit::list_query`.

pub mod campaigns;
pub mod research_topics;
pub mod submissions;

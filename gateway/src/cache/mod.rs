//! What the gateway remembers between requests: prepared documents and plans (per loaded
//! supergraph, in memory) and the answers of rollup queries (in Redis, under the data
//! versions they were computed at).

pub(crate) mod documents;
pub(crate) mod plans;
pub(crate) mod responses;

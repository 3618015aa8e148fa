//! How a subgraph of the hub is built: one error type with stable codes, ID parsing, Relay
//! pagination, the acting identity, database and Redis setup, the schema builder and the
//! HTTP surface of a subgraph, and the replicated unit tree.

pub mod access;
pub mod actor;
pub mod bureau;
pub mod config;
pub mod db;
pub mod error;
pub mod figures;
pub mod history;
pub mod http_request;
pub mod id;
pub mod idempotency;
pub mod labels;
pub mod ledger;
pub mod list_query;
pub mod metrics;
pub mod outbox;
pub mod page;
pub mod record;
pub mod rollup;
pub mod schema;
pub mod server;
pub mod storable;
pub mod subgraph;
pub mod target;
pub mod unit_tree;
pub mod validate;

pub use actor::Actor;
pub use error::{ApiError, ApiResult};

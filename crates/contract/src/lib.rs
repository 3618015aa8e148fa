//! What the gateway and the subgraphs agree on, and nothing else: the principal the gateway
//! signs for every request, the Redis keys of the data versions that keep cached rollups
//! fresh, the telemetry both sides set up the same way, and the signals every process stops on. The gateway links only this
//! crate of the hub's own; it knows no database and no GraphQL server.

pub mod data_version;
pub mod language;
pub mod principal;
pub mod shutdown;
pub mod telemetry;
pub mod tls;

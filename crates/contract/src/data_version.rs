//! The data versions in Redis, as both sides see them. Each subgraph advances its version
//! after every write and mirrors it to [`version_key`] with a lease (the subgraph kit's
//! `rollup` module says how); the gateway reads every subgraph's key before it serves a
//! cached rollup, and a missing key means "no cache".

use std::time::Duration;

use anyhow::Context as _;
use redis::aio::ConnectionManager;

/// The Redis of a hub on one machine.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// The prefix of every Redis key, so several hubs can share a Redis.
pub const DEFAULT_REDIS_NAMESPACE: &str = "kexie";

/// The Redis key mirroring the data version of `subgraph`.
pub fn version_key(namespace: &str, subgraph: &str) -> String {
    format!("{namespace}:data-version:{subgraph}")
}

/// Connects to Redis lazily: the process starts even when Redis is down, and every
/// command is bounded by `response_timeout`.
pub fn redis_connection(
    redis_url: &str,
    response_timeout: Duration,
) -> anyhow::Result<ConnectionManager> {
    let client = redis::Client::open(redis_url).context("REDIS_URL is not a valid Redis URL")?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(response_timeout))
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500));
    ConnectionManager::new_lazy_with_config(client, config)
        .context("Failed to set up the Redis connection")
}

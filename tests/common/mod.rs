//! The hub under test: a gateway over running subgraphs that trusts the test kit's
//! principals and staff tokens (`kexie_testkit`).

// Each test file uses part of it.
#![allow(dead_code)]

use std::time::Duration;

use kexie_gateway::{GatewayConfig, GatewayHandle};
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree;
use kexie_testkit::{principal_secret, TestDb, STAFF_TOKEN_SECRET};

use kexie::serve::gateway_config;
use kexie::subgraphs::Subgraph;

/// The configuration of a gateway on a free port over `servers`, accepting the staff tokens
/// of `kexie_testkit::GraphqlClient`.
pub fn gateway_config_for_tests(servers: &[(Subgraph, ServerHandle)]) -> GatewayConfig {
    gateway_config("127.0.0.1:0".parse().unwrap(), servers, principal_secret())
        .expect("the supergraph composes")
        .with_hs256_secret(STAFF_TOKEN_SECRET)
}

/// A gateway on a free port over `servers`, without the response cache.
pub async fn start_gateway(servers: &[(Subgraph, ServerHandle)]) -> GatewayHandle {
    kexie_gateway::build(gateway_config_for_tests(servers))
        .await
        .expect("the gateway starts")
        .spawn()
}

/// Every subgraph on a free port, over the test's database and the Redis at `redis`.
pub async fn start_subgraphs(db: &TestDb, redis: &str) -> Vec<(Subgraph, ServerHandle)> {
    let mut servers = Vec::new();
    for subgraph in Subgraph::ALL {
        let config = SubgraphConfig {
            database_url: db.url.clone(),
            redis_url: redis.to_string(),
            redis_namespace: db.redis_namespace(),
            listen: "127.0.0.1:0".parse().unwrap(),
            principal_secret: principal_secret(),
        };
        servers.push((subgraph, subgraph.build(&config).await.unwrap().spawn()));
    }
    servers
}

/// Waits until every replica of the unit tree holds the published change `seq`.
pub async fn replicas_reach(db: &TestDb, seq: i64) {
    for subgraph in &Subgraph::ALL[1..] {
        let pool = subgraph.connect(&db.url).await.unwrap();
        assert!(
            unit_tree::wait_for_seq(&pool, seq, Duration::from_secs(5)).await,
            "{subgraph} lags"
        );
    }
}

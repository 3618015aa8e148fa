//! The hub under test: a gateway over running subgraphs that trusts the test kit's
//! principals and staff tokens (`kexie_testkit`).

// Each test file uses part of it.
#![allow(dead_code)]

use kexie_gateway::{GatewayConfig, GatewayHandle};
use kexie_subgraph_kit::server::ServerHandle;
use kexie_testkit::{principal_secret, STAFF_TOKEN_SECRET};

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

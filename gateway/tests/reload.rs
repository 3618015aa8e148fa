//! The supergraph file is watched: a valid change is served without dropping requests in
//! flight, an invalid one is refused and the previous supergraph keeps serving.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{eventually, fixture, gated_subgraph, gateway_with, json_subgraph, post};
use serde_json::json;

/// A copy of the hub fixture in a file of its own, removed when dropped.
struct SupergraphFile(PathBuf);

impl SupergraphFile {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "kexie-gateway-reload-{}-{}.graphql",
            std::process::id(),
            fastrand_suffix()
        ));
        std::fs::copy(fixture("hub.graphql"), &path).unwrap();
        SupergraphFile(path)
    }

    /// Replaces the file atomically, as deployment tools do.
    fn write(&self, contents: &str) {
        let staged = self.0.with_extension("staged");
        std::fs::write(&staged, contents).unwrap();
        std::fs::rename(&staged, &self.0).unwrap();
    }
}

impl Drop for SupergraphFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn fastrand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The hub supergraph with one more root field served by organizations.
fn with_city_name() -> String {
    std::fs::read_to_string(fixture("hub.graphql")).unwrap().replace(
        "  units(kind: UnitKind): [Unit!]! @join__field(graph: ORGANIZATIONS)",
        "  units(kind: UnitKind): [Unit!]! @join__field(graph: ORGANIZATIONS)\n  cityName: String @join__field(graph: ORGANIZATIONS)",
    )
}

#[tokio::test]
async fn a_changed_supergraph_is_served_and_a_broken_one_is_refused() {
    let file = SupergraphFile::new();
    let (organizations, _) = json_subgraph(|_| json!({"data": {"cityName": "某市"}})).await;
    let path = file.0.clone();
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations)],
        |mut config| {
            config.supergraph = path;
            config.supergraph_poll_interval = Duration::from_millis(10);
            config
        },
    )
    .await;
    let metrics = gateway.metrics();
    let before = post(&gateway, "{ cityName }", json!({})).await;
    assert_eq!(
        before["errors"][0]["message"],
        "Cannot query field \"cityName\" on type \"Query\"."
    );

    file.write(&with_city_name());
    eventually("the new supergraph", || {
        metrics.snapshot().supergraph_loads == 2
    })
    .await;
    assert_eq!(
        post(&gateway, "{ cityName }", json!({})).await,
        json!({"data": {"cityName": "某市"}})
    );

    file.write("type Query { this is not a supergraph");
    eventually("the broken supergraph to be refused", || {
        metrics.snapshot().supergraph_load_failures == 1
    })
    .await;
    assert_eq!(
        post(&gateway, "{ cityName }", json!({})).await,
        json!({"data": {"cityName": "某市"}})
    );
    assert_eq!(metrics.snapshot().supergraph_loads, 2);
    gateway.stop().await;
}

#[tokio::test]
async fn a_request_in_flight_finishes_on_the_supergraph_it_started_with() {
    let file = SupergraphFile::new();
    let (organizations, received, gate) =
        gated_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let path = file.0.clone();
    let gateway = gateway_with(
        "hub.graphql",
        &[("organizations", &organizations)],
        |mut config| {
            config.supergraph = path;
            config.supergraph_poll_interval = Duration::from_millis(10);
            config
        },
    )
    .await;
    let metrics = gateway.metrics();
    let in_flight = post(&gateway, r#"{ unit(id: "1") { name } }"#, json!({}));
    let reload = async {
        eventually("the request to reach the subgraph", || {
            received.count() == 1
        })
        .await;
        file.write(&with_city_name());
        eventually("the new supergraph", || {
            metrics.snapshot().supergraph_loads == 2
        })
        .await;
        gate.add_permits(10);
    };
    let (response, ()) = tokio::join!(in_flight, reload);
    assert_eq!(response, json!({"data": {"unit": {"name": "市科协"}}}));
    gateway.stop().await;
}

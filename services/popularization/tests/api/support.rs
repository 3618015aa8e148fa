//! Starting the subgraph against a fresh database with the sample unit tree, and the
//! requests the tests share.

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};
use kexie_testkit::{redis_url, GraphqlClient, SampleTree, TestDb};

/// A running popularization subgraph with its own database and Redis namespace, which
/// has replicated the sample tree.
pub struct Hub {
    pub db: TestDb,
    pub server: ServerHandle,
    pub client: GraphqlClient,
    pub pool: PgPool,
    pub tree: SampleTree,
}

pub async fn start() -> Hub {
    let db = TestDb::new().await;
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_popularization::build(&config).await.unwrap().spawn();
    let tree = SampleTree::new();
    tree.publish(&db.redis_namespace()).await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_popularization::NAME)
        .await
        .unwrap();
    assert!(
        unit_tree::wait_for_seq(&pool, 1, Duration::from_secs(5)).await,
        "the subgraph never replicated the sample tree"
    );
    let client = GraphqlClient::new(server.graphql_url());
    Hub {
        db,
        server,
        client,
        pool,
        tree,
    }
}

impl Hub {
    /// Publishes a change of the tree as organizations would (event `seq`) and waits until
    /// the subgraph has it.
    pub async fn publish(&self, seq: i64, units: &[ReplicatedUnit]) {
        let mut redis =
            kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
                .unwrap();
        let keys = TreeKeys::new(&self.db.redis_namespace());
        assert!(unit_tree::publish_event(&mut redis, &keys, seq, units)
            .await
            .unwrap());
        assert!(unit_tree::wait_for_seq(&self.pool, seq, Duration::from_secs(5)).await);
    }

    /// Merges `unit` away, as a reorganization of townships does.
    pub async fn merge(&self, seq: i64, unit: &ReplicatedUnit) {
        let mut merged = unit.clone();
        merged.status = "MERGED".to_string();
        self.publish(seq, &[merged]).await;
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Every row count a write could change.
    pub async fn counts(&self) -> [i64; 4] {
        [
            self.count("venue").await,
            self.count("activity").await,
            self.count("status_change").await,
            self.count("idempotency_key").await,
        ]
    }

    /// Stops serving; the database goes when `db` is dropped.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

pub fn id(unit: &ReplicatedUnit) -> String {
    unit.id.to_string()
}

/// An ID that names nothing.
pub const UNKNOWN_ID: &str = "0190b6a0-0000-7000-8000-000000000000";

pub const VENUE_FIELDS: &str = "id name kind status owner { id } coBuilders address longitude
    latitude floorArea openedOn yearlyVisitors version createdBy updatedBy archivedAt
    history { fromStatus toStatus actor note changedAt }";

pub const ACTIVITY_FIELDS: &str = "id title kind status organizer { id } partnerBureaus
    coOrganized venue { id name } startsOn endsOn audiences topics participants onlineReach mode
    version createdBy updatedBy archivedAt history { fromStatus toStatus actor note changedAt }";

pub async fn create_venue(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(
            &format!("mutation($input: CreateVenueInput!) {{ createVenue(input: $input) {{ {VENUE_FIELDS} }} }}"),
            json!({ "input": input }),
        )
        .await["createVenue"]
        .clone()
}

pub async fn create_activity(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(
            &format!("mutation($input: CreateActivityInput!) {{ createActivity(input: $input) {{ {ACTIVITY_FIELDS} }} }}"),
            json!({ "input": input }),
        )
        .await["createActivity"]
        .clone()
}

/// A museum the district plans, with only the required fields.
pub fn museum(owner: &ReplicatedUnit, name: &str) -> Value {
    json!({ "ownerId": id(owner), "name": name, "kind": "SCIENCE_MUSEUM" })
}

/// A lecture on a past day, with only the required fields.
pub fn lecture(organizer: &ReplicatedUnit, title: &str) -> Value {
    json!({
        "organizerId": id(organizer),
        "title": title,
        "kind": "LECTURE",
        "startsOn": "2025-03-15",
        "audiences": ["ELDERLY"],
    })
}

/// The values of `field` of a connection's nodes, in order.
pub fn nodes<'a>(connection: &'a Value, field: &str) -> Vec<&'a str> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {connection:#}"))
        .iter()
        .map(|edge| edge["node"][field].as_str().unwrap())
        .collect()
}

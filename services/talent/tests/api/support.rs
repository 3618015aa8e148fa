//! Starting the subgraph over a fresh database with the sample unit tree replicated, and
//! small helpers the tests share.

use std::time::Duration;

use serde_json::{json, Value};

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};
use kexie_testkit::{redis_url, GraphqlClient, SampleTree, TestDb};

pub const UNKNOWN_ID: &str = "0190b6a0-0000-7000-8000-000000000000";

pub struct Hub {
    pub db: TestDb,
    /// Held for the test's length: dropping the handle stops the server.
    _server: ServerHandle,
    pub client: GraphqlClient,
    pub pool: sqlx::PgPool,
    pub tree: SampleTree,
}

/// The subgraph serving on a free port, its copy of the sample tree in place.
pub async fn start() -> Hub {
    let db = TestDb::new().await;
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_talent::build(&config).await.unwrap().spawn();
    let client = GraphqlClient::new(server.graphql_url());
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_talent::NAME)
        .await
        .unwrap();
    let tree = SampleTree::new();
    tree.publish(&db.redis_namespace()).await;
    assert!(
        unit_tree::wait_for_seq(&pool, 1, Duration::from_secs(5)).await,
        "the talent subgraph never replicated the sample tree"
    );
    Hub {
        db,
        _server: server,
        client,
        pool,
        tree,
    }
}

impl Hub {
    /// Publishes that `unit` was merged into `into` (as organizations would, event 2) and
    /// waits until the replica has it.
    pub async fn merge(&self, unit: &ReplicatedUnit, into: &ReplicatedUnit) {
        let merged = ReplicatedUnit {
            parent_id: Some(into.id),
            path: format!("{}{}/", into.path, unit.id),
            status: "MERGED".to_string(),
            ..unit.clone()
        };
        let mut redis =
            kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
                .unwrap();
        let keys = TreeKeys::new(&self.db.redis_namespace());
        unit_tree::publish_event(&mut redis, &keys, 2, &[merged])
            .await
            .unwrap();
        assert!(unit_tree::wait_for_seq(&self.pool, 2, Duration::from_secs(5)).await);
    }

    /// How many rows `table` holds.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// The rows of every table a mutation may write, to show that a refused one wrote
    /// nothing.
    pub async fn footprint(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in [
            "worker",
            "honor",
            "nomination",
            "workstation",
            "workstation_resident",
            "status_change",
            "idempotency_key",
        ] {
            counts.push(self.count(table).await);
        }
        let versions: i64 = sqlx::query_scalar(
            "select coalesce(sum(version), 0)::bigint from (
                 select version from worker union all select version from honor
                 union all select version from nomination union all select version from workstation) v",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap();
        counts.push(versions);
        counts
    }

    pub fn unit_id(&self, unit: &ReplicatedUnit) -> String {
        unit.id.to_string()
    }
}

pub const WORKER_FIELDS: &str = "id name gender birthYear discipline title employer
    homeUnit { id } isVolunteer isRuralExpert isYoungTalent isAcademician phone email
    version createdBy updatedBy archivedAt";

/// Creates a worker at `unit` from the given fields over a default profile.
pub async fn create_worker(client: &GraphqlClient, unit: &str, fields: Value) -> Value {
    let mut input = json!({
        "name": "王建国",
        "gender": "MALE",
        "birthYear": 1978,
        "discipline": "农学",
        "title": "INTERMEDIATE",
        "employer": "清江镇农业综合服务站",
        "homeUnitId": unit,
    });
    for (key, value) in fields.as_object().unwrap() {
        input[key] = value.clone();
    }
    client
        .data(
            &format!(
                "mutation($input: CreateWorkerInput!) {{ createWorker(input: $input) {{ {WORKER_FIELDS} }} }}"
            ),
            json!({ "input": input }),
        )
        .await["createWorker"]
        .clone()
}

/// The names in a connection's edges, in order.
pub fn names(connection: &Value, field: &str) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {connection:#}"))
        .iter()
        .map(|edge| edge["node"][field].as_str().unwrap().to_string())
        .collect()
}

/// The IDs in a connection's edges, in order.
pub fn ids(connection: &Value) -> Vec<String> {
    names(connection, "id")
}

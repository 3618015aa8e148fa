//! Starting the subgraph over a fresh database and Redis namespace.

use std::time::Duration;

use serde_json::{json, Value};

use kexie_organizations::webhooks::DeliverySettings;
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_testkit::{redis_url, GraphqlClient, TestDb};

pub struct Hub {
    pub db: TestDb,
    pub server: ServerHandle,
    /// A city admin.
    pub client: GraphqlClient,
    pub pool: sqlx::PgPool,
}

/// The subgraph serving on a free port.
pub async fn start() -> Hub {
    let db = TestDb::new().await;
    let server = serve(&db).await;
    let client = GraphqlClient::new(server.graphql_url());
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_organizations::NAME)
        .await
        .unwrap();
    Hub {
        db,
        server,
        client,
        pool,
    }
}

/// Webhooks as tests want them: retries after 20 ms (doubling up to 200 ms) for an hour,
/// 300 ms to answer, endpoints on this machine allowed.
pub fn fast_delivery() -> DeliverySettings {
    DeliverySettings {
        first_retry: Duration::from_millis(20),
        max_retry: Duration::from_millis(200),
        retry_for: Duration::from_secs(3600),
        timeout: Duration::from_millis(300),
        allow_private_targets: true,
    }
}

/// Starts (or starts again) the subgraph over `db` on a free port.
pub async fn serve(db: &TestDb) -> ServerHandle {
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    kexie_organizations::build_with(&config, fast_delivery())
        .await
        .unwrap()
        .spawn()
}

/// Creates a record with `mutation` (whose input is of `input_type`) and returns its ID.
pub async fn create(
    client: &GraphqlClient,
    mutation: &str,
    input_type: &str,
    input: Value,
) -> Value {
    let data = client
        .data(
            &format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ id }} }}"),
            json!({ "input": input }),
        )
        .await;
    data[mutation]["id"].clone()
}

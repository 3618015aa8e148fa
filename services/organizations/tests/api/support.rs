//! Starting the subgraph over a fresh database and Redis namespace.

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use serde_json::{json, Value};

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
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_organizations::build(&config).await.unwrap().spawn();
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

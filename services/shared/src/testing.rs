//! The test kit: a fresh PostgreSQL database per test, a Redis namespace per test, and a
//! small GraphQL client. Tests talk to the real servers at their default addresses
//! (`TEST_DATABASE_URL`, `REDIS_URL`).

use serde_json::{json, Value};
use uuid::Uuid;

use crate::actor::ACTOR_HEADER;

const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test and dropped when the test ends.
pub struct TestDb {
    /// The URL of the fresh database.
    pub url: String,
    name: String,
    server_url: String,
}

impl TestDb {
    pub async fn new() -> Self {
        crate::telemetry::init_for_tests();
        let server_url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_string());
        let name = format!("kexie_test_{}", Uuid::now_v7().simple());
        let url = match server_url.rfind('/') {
            Some(slash) => format!("{}/{}", &server_url[..slash], name),
            None => panic!("TEST_DATABASE_URL has no database part: {server_url}"),
        };
        TestDb {
            url,
            name,
            server_url,
        }
    }

    /// A Redis key namespace no other test uses.
    pub fn redis_namespace(&self) -> String {
        self.name.clone()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: clean up on a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&server_url).await?;
                sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
                    .execute(&mut conn)
                    .await?;
                anyhow::Ok(())
            })
        });
        let _ = cleanup.join();
    }
}

/// The Redis URL tests use.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| crate::config::DEFAULT_REDIS_URL.to_string())
}

/// A GraphQL client for one endpoint, acting as one subject.
#[derive(Clone)]
pub struct GraphqlClient {
    http: reqwest::Client,
    pub endpoint: String,
    pub actor: String,
}

impl GraphqlClient {
    pub fn new(endpoint: impl Into<String>) -> Self {
        GraphqlClient {
            http: reqwest::Client::new(),
            endpoint: endpoint.into(),
            actor: "test-staff".to_string(),
        }
    }

    /// The same endpoint, acting as someone else.
    pub fn acting_as(&self, actor: &str) -> Self {
        GraphqlClient {
            actor: actor.to_string(),
            ..self.clone()
        }
    }

    /// Sends a query and returns the whole response body.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let response = self
            .http
            .post(&self.endpoint)
            .header(ACTOR_HEADER, &self.actor)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("the subgraph answers");
        response.json().await.expect("the response is JSON")
    }

    /// Sends a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.post(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Sends a query that must fail and returns the `extensions.code` of its first error.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let body = self.post(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code: {body:#}"))
            .to_string()
    }
}

/// A small unit tree for tests of the subgraphs that replicate it:
/// city → two districts → one township each, and an enterprise association under the
/// first district.
#[derive(Clone, Debug)]
pub struct SampleTree {
    pub city: crate::unit_tree::ReplicatedUnit,
    pub district_a: crate::unit_tree::ReplicatedUnit,
    pub district_b: crate::unit_tree::ReplicatedUnit,
    pub township_a: crate::unit_tree::ReplicatedUnit,
    pub township_b: crate::unit_tree::ReplicatedUnit,
    pub enterprise_a: crate::unit_tree::ReplicatedUnit,
}

impl SampleTree {
    pub fn new() -> Self {
        use crate::unit_tree::ReplicatedUnit;
        fn unit(
            parent: Option<&ReplicatedUnit>,
            kind: &str,
            name: &str,
            code: Option<&str>,
        ) -> ReplicatedUnit {
            let id = Uuid::now_v7();
            let path = format!(
                "{}{}/",
                parent.map_or("/", |parent| parent.path.as_str()),
                id
            );
            ReplicatedUnit {
                id,
                parent_id: parent.map(|parent| parent.id),
                path,
                kind: kind.to_string(),
                status: "ACTIVE".to_string(),
                name: name.to_string(),
                division_code: code.map(str::to_string),
            }
        }
        let city = unit(None, "CITY", "巴中市科协", Some("511900"));
        let district_a = unit(Some(&city), "DISTRICT", "巴州区科协", Some("511902"));
        let district_b = unit(Some(&city), "DISTRICT", "恩阳区科协", Some("511903"));
        let township_a = unit(
            Some(&district_a),
            "TOWNSHIP",
            "清江镇科协",
            Some("511902101"),
        );
        let township_b = unit(
            Some(&district_b),
            "TOWNSHIP",
            "柳林镇科协",
            Some("511903101"),
        );
        let enterprise_a = unit(Some(&district_a), "ENTERPRISE", "巴中化工企业科协", None);
        SampleTree {
            city,
            district_a,
            district_b,
            township_a,
            township_b,
            enterprise_a,
        }
    }

    pub fn units(&self) -> Vec<crate::unit_tree::ReplicatedUnit> {
        vec![
            self.city.clone(),
            self.district_a.clone(),
            self.district_b.clone(),
            self.township_a.clone(),
            self.township_b.clone(),
            self.enterprise_a.clone(),
        ]
    }

    /// Publishes the tree to Redis under `namespace` as organizations would, as event 1.
    pub async fn publish(&self, namespace: &str) {
        let mut redis =
            crate::unit_tree::redis_connection(&redis_url(), std::time::Duration::from_secs(2))
                .expect("a Redis URL");
        let keys = crate::unit_tree::TreeKeys::new(namespace);
        crate::unit_tree::publish_event(&mut redis, &keys, 1, &self.units())
            .await
            .expect("Redis takes the sample tree");
    }
}

impl Default for SampleTree {
    fn default() -> Self {
        SampleTree::new()
    }
}

//! Partner bureaus' API keys end to end, over the real subgraphs, PostgreSQL and Redis: a
//! city administrator creates a key through the gateway, the partner calls with it and gets
//! what its scopes allow, a revoked key fails on the very next call, a key over its limit
//! gets 429 until the next window, and every call shows in `partnerCalls`.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use common::gateway_config_for_tests;
use kexie::subgraphs::Subgraph;
use kexie_gateway::{GatewayHandle, API_KEY_HEADER};
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree;
use kexie_testkit::{redis_url, GraphqlClient, TestDb};

/// The rate-limit window of these tests: short, so that a test sees the next one.
const WINDOW: Duration = Duration::from_secs(3);

struct Hub {
    db: TestDb,
    servers: Vec<(Subgraph, ServerHandle)>,
    gateway: GatewayHandle,
    admin: GraphqlClient,
}

async fn start() -> Hub {
    let db = TestDb::new().await;
    let mut servers = Vec::new();
    for subgraph in Subgraph::ALL {
        let config = SubgraphConfig {
            database_url: db.url.clone(),
            redis_url: redis_url(),
            redis_namespace: db.redis_namespace(),
            listen: "127.0.0.1:0".parse().unwrap(),
            principal_secret: kexie_testkit::principal_secret(),
        };
        servers.push((subgraph, subgraph.build(&config).await.unwrap().spawn()));
    }
    // The composed supergraph is written to one file per process: tests of this file take
    // turns writing and loading it, or one could read it half written.
    static SUPERGRAPH_FILE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let gateway = {
        let _turn = SUPERGRAPH_FILE.lock().await;
        let config = gateway_config_for_tests(&servers)
            .with_partner_rate_limit(&redis_url(), &db.redis_namespace())
            .with_partner_rate_window(WINDOW);
        kexie_gateway::build(config).await.unwrap().spawn()
    };
    let admin = GraphqlClient::new(gateway.graphql_url());
    Hub {
        db,
        servers,
        gateway,
        admin,
    }
}

impl Hub {
    async fn stop(self) {
        self.gateway.stop().await;
        for (_, server) in self.servers {
            server.stop().await;
        }
    }

    /// A client of the gateway that sends `key` and nothing else.
    fn partner(&self, key: &str) -> GraphqlClient {
        self.admin
            .without_credentials()
            .with_header(API_KEY_HEADER, key)
    }

    async fn create_key(
        &self,
        bureau: &str,
        scopes: &[&str],
        requests_per_minute: i32,
    ) -> (String, String) {
        let created = self
            .admin
            .data(
                "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }",
                json!({ "input": { "name": format!("{bureau} integration"), "bureau": bureau,
                                   "scopes": scopes, "requestsPerMinute": requests_per_minute } }),
            )
            .await["createApiKey"]
            .clone();
        (
            created["key"].as_str().unwrap().to_string(),
            created["apiKey"]["id"].as_str().unwrap().to_string(),
        )
    }

    /// The calls logged for `key_id`, oldest first, once there are `count` of them.
    async fn calls(&self, key_id: &str, count: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let data = self
                .admin
                .data(
                    "query($keyId: ID) { partnerCalls(keyId: $keyId, first: 100) {
                        edges { node { keyId operation outcome status durationMs calledAt } } } }",
                    json!({ "keyId": key_id }),
                )
                .await;
            let mut calls: Vec<Value> = data["partnerCalls"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"].clone())
                .collect();
            if calls.len() >= count {
                calls.reverse();
                return calls;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {count} calls were logged: {calls:#?}",
                calls.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

const WORKERS: &str = "query PartnerWorkers { workers { edges { node { name } } } }";

fn outcomes(calls: &[Value]) -> Vec<(&str, u64)> {
    calls
        .iter()
        .map(|call| {
            (
                call["outcome"].as_str().unwrap(),
                call["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_key_created_by_a_city_admin_works_for_its_scopes_until_it_is_revoked() {
    let hub = start().await;
    let city = hub
        .admin
        .data(
            "mutation($input: UnitInput!) { createUnit(input: $input) { id } }",
            json!({ "input": { "kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700" } }),
        )
        .await["createUnit"]["id"]
        .clone();
    for subgraph in &Subgraph::ALL[1..] {
        let pool = subgraph.connect(&hub.db.url).await.unwrap();
        assert!(
            unit_tree::wait_for_seq(&pool, 1, Duration::from_secs(5)).await,
            "{subgraph} lags"
        );
    }
    hub.admin
        .data(
            "mutation($input: CreateWorkerInput!) { createWorker(input: $input) { id } }",
            json!({ "input": { "name": "李明", "gender": "MALE", "homeUnitId": city,
                               "isVolunteer": true, "isRuralExpert": true,
                               "isYoungTalent": false, "isAcademician": false } }),
        )
        .await;

    let (key, key_id) = hub
        .create_key("AGRICULTURE", &["talent:read-public"], 600)
        .await;
    let partner = hub.partner(&key);
    let (status, body) = partner.send(WORKERS, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["workers"]["edges"][0]["node"]["name"], "李明");

    // What the scope grants: neither the public nor a key without it reads workers.
    assert_eq!(
        hub.admin.anonymous().error_code(WORKERS, json!({})).await,
        "FORBIDDEN"
    );
    let (other, _) = hub
        .create_key("EDUCATION", &["venues-activities:read"], 600)
        .await;
    assert_eq!(
        hub.partner(&other).error_code(WORKERS, json!({})).await,
        "FORBIDDEN"
    );
    // A partner key manages no keys.
    assert_eq!(
        partner
            .error_code("{ apiKeys { edges { node { id } } } }", json!({}))
            .await,
        "FORBIDDEN"
    );

    hub.admin
        .data(
            "mutation($id: ID!) { revokeApiKey(id: $id) { revoked } }",
            json!({ "id": key_id }),
        )
        .await;
    let (status, body) = partner.send(WORKERS, json!({})).await;
    assert_eq!(status, 401, "the very next call is refused: {body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));

    let calls = hub.calls(&key_id, 3).await;
    assert_eq!(
        outcomes(&calls),
        vec![("OK", 200), ("ERRORS", 200), ("REFUSED", 401)]
    );
    assert_eq!(calls[0]["operation"], "PartnerWorkers");
    assert_eq!(calls[0]["keyId"], key_id);
    assert_eq!(calls[2]["operation"], Value::Null);
    hub.stop().await;
}

#[tokio::test]
async fn a_key_over_its_limit_gets_429_until_the_next_window() {
    let hub = start().await;
    let (key, key_id) = hub
        .create_key("VETERAN_CADRES", &["venues-activities:read"], 3)
        .await;
    let partner = hub.partner(&key);
    let venues = "query Venues { venues { edges { node { id } } } }";

    // Start right after a window begins, so that four calls fall into one.
    let window = WINDOW.as_millis() as u64;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    tokio::time::sleep(Duration::from_millis(window - now % window + 20)).await;
    for _ in 0..3 {
        let (status, body) = partner.send(venues, json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let response = reqwest::Client::new()
        .post(hub.gateway.graphql_url())
        .header(API_KEY_HEADER, &key)
        .json(&json!({ "query": venues }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry_after), "Retry-After: {retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, body) = partner.send(venues, json!({})).await;
    assert_eq!(status, 200, "the next window lets the key through: {body}");

    let calls = hub.calls(&key_id, 5).await;
    assert_eq!(
        outcomes(&calls),
        vec![
            ("OK", 200),
            ("OK", 200),
            ("OK", 200),
            ("RATE_LIMITED", 429),
            ("OK", 200)
        ]
    );
    hub.stop().await;
}

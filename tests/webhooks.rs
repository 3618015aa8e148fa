//! Webhooks across the hub: a city admin subscribes through the gateway, and writes in
//! other subgraphs (a worker in talent, a venue in popularization) reach the endpoint,
//! relayed through Redis to the organizations subgraph, which delivers them signed.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use common::start_gateway;
use kexie::subgraphs::Subgraph;
use kexie_organizations::webhooks::DeliverySettings;
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_testkit::{principal_secret, redis_url, GraphqlClient, TestDb};

type Received = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

async fn receive(State(received): State<Received>, headers: HeaderMap, body: Bytes) -> StatusCode {
    received
        .lock()
        .unwrap()
        .push((headers, serde_json::from_slice(&body).unwrap()));
    StatusCode::OK
}

#[tokio::test]
async fn writes_in_other_subgraphs_reach_a_subscribed_endpoint() {
    let db = TestDb::new().await;
    let mut servers = Vec::new();
    for subgraph in Subgraph::ALL {
        let config = SubgraphConfig {
            database_url: db.url.clone(),
            redis_url: redis_url(),
            redis_namespace: db.redis_namespace(),
            listen: "127.0.0.1:0".parse().unwrap(),
            principal_secret: principal_secret(),
        };
        let app = match subgraph {
            // The endpoint below listens on this machine.
            Subgraph::Organizations => kexie_organizations::build_with(
                &config,
                DeliverySettings {
                    allow_private_targets: true,
                    ..DeliverySettings::default()
                },
            )
            .await
            .unwrap(),
            _ => subgraph.build(&config).await.unwrap(),
        };
        servers.push((subgraph, app.spawn()));
    }
    let gateway = start_gateway(&servers).await;
    let admin = GraphqlClient::new(gateway.graphql_url());

    let received = Received::default();
    let app = axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    admin
        .data(
            "mutation($url: String!) { createWebhookSubscription(input: { url: $url,
                 eventTypes: [\"worker.created\", \"venue.created\"] }) { secret } }",
            json!({ "url": url }),
        )
        .await;
    let city = admin
        .data(
            "mutation { createUnit(input: { kind: CITY, name: \"绵阳市科学技术协会\", divisionCode: \"510700\" }) { id } }",
            json!({}),
        )
        .await["createUnit"]["id"]
        .clone();
    common::replicas_reach(&db, 1).await;
    let worker = admin
        .data(
            "mutation($unit: ID!) { createWorker(input: { name: \"李秀英\", gender: FEMALE,
                 homeUnitId: $unit }) { id } }",
            json!({ "unit": city }),
        )
        .await["createWorker"]["id"]
        .clone();
    let venue = admin
        .data(
            "mutation($unit: ID!) { createVenue(input: { ownerId: $unit, name: \"绵阳科技馆\",
                 kind: SCIENCE_MUSEUM }) { id } }",
            json!({ "unit": city }),
        )
        .await["createVenue"]["id"]
        .clone();

    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "events never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = received.lock().unwrap().clone();
    let mut got: Vec<(Value, Value, Value)> = received
        .iter()
        .map(|(headers, event)| {
            assert!(headers["kexie-webhook-signature"]
                .to_str()
                .unwrap()
                .starts_with("v1="));
            assert_eq!(
                headers["kexie-webhook-id"].to_str().unwrap(),
                event["id"].as_str().unwrap()
            );
            (
                event["type"].clone(),
                event["record"]["id"].clone(),
                event["record"]["version"].clone(),
            )
        })
        .collect();
    got.sort_by_key(|(event_type, ..)| event_type.to_string());
    assert_eq!(
        got,
        vec![
            (json!("venue.created"), venue, json!(1)),
            (json!("worker.created"), worker, json!(1)),
        ]
    );
    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
}

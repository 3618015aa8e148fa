//! Webhooks from the subscriber's side: a local endpoint that fails at random (errors,
//! answers too slow) receives every event at least once, signed, in order per record,
//! while the subgraph is stopped and started again mid-delivery; the delivery log tells
//! what happened and a redelivery sends the same event again. Partners subscribe only to
//! what their key reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use kexie_contract::principal::{Principal, Scope};
use kexie_testkit::GraphqlClient;

use crate::support::*;

/// One request the endpoint accepted (answered 2xx).
#[derive(Clone, Debug)]
struct Received {
    event_id: String,
    record_id: String,
    version: i64,
    event_type: String,
}

#[derive(Default)]
struct Endpoint {
    secret: Mutex<String>,
    accepted: Mutex<Vec<Received>>,
    /// Requests whose signature did not verify.
    forged: Mutex<Vec<String>>,
    /// Answer 2xx from now on (no more random failures).
    reliable: std::sync::atomic::AtomicBool,
}

async fn receive(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    // The signature, checked as a receiver would: HMAC-SHA256 of "<timestamp>.<body>".
    let mut mac =
        Hmac::<Sha256>::new_from_slice(endpoint.secret.lock().unwrap().as_bytes()).unwrap();
    mac.update(format!("{}.", header("Kexie-Webhook-Timestamp")).as_bytes());
    mac.update(&body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    if header("Kexie-Webhook-Signature") != expected {
        endpoint
            .forged
            .lock()
            .unwrap()
            .push(header("Kexie-Webhook-Id"));
        return StatusCode::UNAUTHORIZED;
    }
    if !endpoint.reliable.load(std::sync::atomic::Ordering::Relaxed) {
        match fastrand::u8(0..10) {
            0..=2 => return StatusCode::INTERNAL_SERVER_ERROR,
            3 => {
                // Longer than the hub waits: a timeout.
                tokio::time::sleep(Duration::from_millis(600)).await;
            }
            _ => {}
        }
    }
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["id"], json!(header("Kexie-Webhook-Id")));
    endpoint.accepted.lock().unwrap().push(Received {
        event_id: header("Kexie-Webhook-Id"),
        record_id: event["record"]["id"].as_str().unwrap().to_string(),
        version: event["record"]["version"].as_i64().unwrap(),
        event_type: event["type"].as_str().unwrap().to_string(),
    });
    StatusCode::NO_CONTENT
}

async fn start_endpoint() -> (Arc<Endpoint>, String) {
    let endpoint = Arc::new(Endpoint::default());
    let app = axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(endpoint.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (endpoint, url)
}

const SUBSCRIBE: &str = "mutation($input: WebhookSubscriptionInput!) {
    createWebhookSubscription(input: $input) { secret subscription { id version eventTypes } } }";

/// Writes of a writer: units created, renamed, moved; terms and targets created and
/// archived.
async fn write(client: &GraphqlClient, city: &Value, writer: usize, round: usize) {
    let name = format!("测试{writer}-{round}学会");
    let unit = create(
        client,
        "createUnit",
        "UnitInput",
        json!({ "kind": "SOCIETY", "name": name, "parentId": city }),
    )
    .await;
    for step in 0..fastrand::usize(1..4) {
        let version = client
            .data(
                "query($id: ID!) { unit(id: $id) { version } }",
                json!({ "id": unit }),
            )
            .await["unit"]["version"]
            .clone();
        client
            .data(
                "mutation($id: ID!, $v: Int!, $input: UpdateUnitInput!) {
                     updateUnit(id: $id, expectedVersion: $v, input: $input) { id } }",
                json!({ "id": unit, "v": version,
                        "input": { "name": format!("{name}（第{step}次更名）") } }),
            )
            .await;
    }
    let target = create(
        client,
        "createTarget",
        "TargetInput",
        json!({ "unitId": unit, "year": 2026, "metric": "NEW_ENTERPRISE_ASSOCIATIONS",
                "targetValue": 3, "responsiblePerson": "王芳", "deadline": "2026-12-31" }),
    )
    .await;
    if fastrand::bool() {
        client
            .data(
                "mutation($id: ID!) { archiveTarget(id: $id, expectedVersion: 1) { id } }",
                json!({ "id": target }),
            )
            .await;
    }
}

#[tokio::test]
async fn every_event_reaches_a_failing_endpoint_signed_in_order_through_restarts() {
    let mut hub = start().await;
    let (endpoint, url) = start_endpoint().await;
    let every_type: Vec<String> = serde_json::from_value(
        hub.client
            .data("{ webhookEventTypes { name allowed } }", json!({}))
            .await["webhookEventTypes"]
            .as_array()
            .unwrap()
            .iter()
            .inspect(|event_type| assert_eq!(event_type["allowed"], true, "{event_type}"))
            .map(|event_type| event_type["name"].clone())
            .collect(),
    )
    .unwrap();
    let subscribed = hub
        .client
        .data(
            SUBSCRIBE,
            json!({ "input": { "url": url, "eventTypes": every_type } }),
        )
        .await["createWebhookSubscription"]
        .clone();
    *endpoint.secret.lock().unwrap() = subscribed["secret"].as_str().unwrap().to_string();
    let city = create(
        &hub.client,
        "createUnit",
        "UnitInput",
        json!({ "kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700" }),
    )
    .await;

    // Three rounds of concurrent writers; the subgraph is stopped and started again
    // between rounds, while deliveries are still going out.
    for round in 0..3 {
        let writers: Vec<_> = (0..3)
            .map(|writer| {
                let (client, city) = (hub.client.clone(), city.clone());
                tokio::spawn(async move {
                    for step in 0..4 {
                        write(&client, &city, writer, round * 10 + step).await;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(50..400))).await;
        let server = std::mem::replace(&mut hub.server, serve(&hub.db).await);
        server.stop().await;
        hub.client = GraphqlClient::new(hub.server.graphql_url());
    }

    // Every event the subgraph recorded, with its record and version.
    let written: Vec<(uuid::Uuid, uuid::Uuid, i32)> =
        sqlx::query_as("select event_id, record_id, record_version from outbox_event order by seq")
            .fetch_all(&hub.pool)
            .await
            .unwrap();
    assert!(written.len() > 40, "{} events", written.len());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let accepted = endpoint.accepted.lock().unwrap().clone();
        let missing: Vec<_> = written
            .iter()
            .filter(|(event_id, ..)| {
                !accepted
                    .iter()
                    .any(|got| got.event_id == event_id.to_string())
            })
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} events never arrived, e.g. {:?}",
            missing.len(),
            written.len(),
            missing.first()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(*endpoint.forged.lock().unwrap(), Vec::<String>::new());

    // In order per record: the versions of a record, as first received, only grow, and
    // each is the version the event was written with.
    let accepted = endpoint.accepted.lock().unwrap().clone();
    let mut first_seen: HashMap<String, Vec<i64>> = HashMap::new();
    let mut seen_events: Vec<&str> = Vec::new();
    for got in &accepted {
        if seen_events.contains(&got.event_id.as_str()) {
            continue;
        }
        seen_events.push(&got.event_id);
        first_seen
            .entry(got.record_id.clone())
            .or_default()
            .push(got.version);
        let (.., version) = written
            .iter()
            .find(|(event_id, ..)| event_id.to_string() == got.event_id)
            .unwrap();
        assert_eq!(i64::from(*version), got.version, "{got:?}");
    }
    for (record, versions) in &first_seen {
        assert!(
            versions.windows(2).all(|pair| pair[0] < pair[1]),
            "{record} arrived out of order: {versions:?}"
        );
    }
    assert!(accepted.iter().any(|got| got.event_type == "unit.created"));
    assert!(accepted
        .iter()
        .any(|got| got.event_type == "target.archived"));

    // The log: every delivery DELIVERED, some after several attempts; a redelivery sends
    // the same event again, with its ID.
    endpoint
        .reliable
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let deliveries = hub
        .client
        .data(
            "query($id: ID!) { webhookSubscription(id: $id) {
                 delivered: deliveries(status: DELIVERED, first: 1) { totalCount }
                 deliveries(first: 100) { totalCount
                 edges { node { id status attempts lastError lastStatusCode event { id type recordVersion } } } } } }",
            json!({ "id": subscribed["subscription"]["id"] }),
        )
        .await["webhookSubscription"]
        .clone();
    let log = deliveries["deliveries"]["edges"].as_array().unwrap();
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from webhook_delivery where webhook_subscription_id = $1::text::uuid",
    )
    .bind(subscribed["subscription"]["id"].as_str().unwrap())
    .fetch_one(&hub.pool)
    .await
    .unwrap();
    // Every delivery of the log counted, all of them delivered by now.
    assert_eq!(deliveries["deliveries"]["totalCount"], json!(stored));
    assert_eq!(deliveries["delivered"]["totalCount"], json!(stored));
    assert!(
        log.iter().all(|edge| edge["node"]["status"] == "DELIVERED"),
        "{log:#?}"
    );
    let retried = log
        .iter()
        .find(|edge| edge["node"]["attempts"].as_i64().unwrap() > 1)
        .expect("with 40 % of attempts failing, some delivery took more than one");
    assert!(
        retried["node"]["lastError"].is_null(),
        "cleared once delivered: {retried}"
    );
    let before = endpoint.accepted.lock().unwrap().len();
    let redelivered = hub
        .client
        .data(
            "mutation($id: ID!) { redeliverWebhookDelivery(id: $id) { id status } }",
            json!({ "id": retried["node"]["id"] }),
        )
        .await["redeliverWebhookDelivery"]
        .clone();
    assert_eq!(redelivered["status"], "PENDING");
    let deadline = Instant::now() + Duration::from_secs(30);
    while endpoint.accepted.lock().unwrap().len() == before {
        assert!(Instant::now() < deadline, "the redelivery never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = endpoint.accepted.lock().unwrap().last().unwrap().clone();
    assert_eq!(json!(again.event_id), retried["node"]["event"]["id"]);
}

#[tokio::test]
async fn partners_subscribe_only_to_what_their_key_reads_and_see_only_their_own() {
    let hub = start().await;
    let key = hub
        .client
        .data(
            "mutation { createApiKey(input: { name: \"农业农村局对接\", bureau: \"AGRICULTURE\",
                 scopes: [\"venues-activities:read\"] }) { apiKey { id } } }",
            json!({}),
        )
        .await["createApiKey"]["apiKey"]["id"]
        .clone();
    let partner = hub.client.as_principal(Principal::partner(
        key.as_str().unwrap().parse().unwrap(),
        "AGRICULTURE",
        vec![Scope::ReadVenuesAndActivities],
    ));
    let types = partner
        .data("{ webhookEventTypes { name allowed } }", json!({}))
        .await["webhookEventTypes"]
        .clone();
    let allowed = |name: &str| {
        types
            .as_array()
            .unwrap()
            .iter()
            .find(|event_type| event_type["name"] == name)
            .unwrap()["allowed"]
            .clone()
    };
    assert_eq!(allowed("activity.status_changed"), true);
    assert_eq!(allowed("unit.moved"), true);
    assert_eq!(allowed("worker.created"), false);
    assert_eq!(allowed("submission.status_changed"), false);

    let input = |types: Value| json!({ "input": { "url": "https://hooks.example.cn/kexie", "eventTypes": types } });
    let body = partner
        .post(SUBSCRIBE, input(json!(["worker.created"])))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body:#}"
    );
    let body = partner
        .post(SUBSCRIBE, input(json!(["activity.held"])))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
    let mine = partner
        .data(
            SUBSCRIBE,
            input(json!(["activity.status_changed", "venue.created"])),
        )
        .await["createWebhookSubscription"]["subscription"]
        .clone();
    let theirs = hub
        .client
        .data(SUBSCRIBE, input(json!(["submission.status_changed"])))
        .await["createWebhookSubscription"]["subscription"]
        .clone();

    let listed = partner
        .data("{ webhookSubscriptions { id apiKeyId } }", json!({}))
        .await["webhookSubscriptions"]
        .clone();
    assert_eq!(listed, json!([{ "id": mine["id"], "apiKeyId": key }]));
    let all = hub
        .client
        .data("{ webhookSubscriptions { id } }", json!({}))
        .await["webhookSubscriptions"]
        .clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let body = partner
        .post(
            "mutation($id: ID!) { archiveWebhookSubscription(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": theirs["id"] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body:#}"
    );
    let body = hub
        .client
        .anonymous()
        .post("{ webhookSubscriptions { id } }", json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body:#}"
    );
    for url in [
        "ftp://hooks.example.cn/",
        "not a url",
        "https://user:pw@hooks.example.cn/",
    ] {
        let body = partner
            .post(
                SUBSCRIBE,
                json!({ "input": { "url": url, "eventTypes": ["venue.created"] } }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{url}: {body:#}"
        );
    }
}

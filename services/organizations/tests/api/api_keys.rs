//! Partner bureaus' API keys: created, listed and revoked by city administrators only, the
//! key shown once and only its hash stored; the gateway's internal endpoints that check a
//! key and record its calls, refused to anyone but the gateway.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use kexie_contract::principal::{sign, Principal, Role, Scope, PRINCIPAL_HEADER};
use kexie_testkit::{principal_secret, GraphqlClient};

use crate::support::{start, Hub};

const CREATE: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
    key apiKey { id name bureau scopes requestsPerMinute prefix revoked createdBy revokedAt } } }";
const REVOKE: &str =
    "mutation($id: ID!) { revokeApiKey(id: $id) { id revoked revokedAt revokedBy version } }";
const LIST: &str = "query($all: Boolean) { apiKeys(includeRevoked: $all) {
    totalCount edges { node { id name prefix revoked } } } }";
const CALLS: &str = "query($keyId: ID) { partnerCalls(keyId: $keyId) {
    totalCount edges { node { id keyId operation calledAt outcome status durationMs } } } }";

fn education_key() -> Value {
    json!({ "name": "教育局 研学平台", "bureau": "EDUCATION",
            "scopes": ["venues-activities:read", "activities:co-organize"] })
}

async fn create(client: &GraphqlClient, input: Value) -> Value {
    client.data(CREATE, json!({ "input": input })).await["createApiKey"].clone()
}

async fn key_count(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from api_key")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn listed(data: &Value) -> Vec<Value> {
    data["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// Calls an internal endpoint as `principal` (none: without one); returns status and body.
async fn internal(
    hub: &Hub,
    path: &str,
    principal: Option<Principal>,
    body: Value,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}{path}", hub.server.port))
        .json(&body);
    if let Some(principal) = principal {
        request = request.header(
            PRINCIPAL_HEADER,
            sign(&principal, &principal_secret()).unwrap(),
        );
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn gateway() -> Option<Principal> {
    Some(Principal::issue("kexie-gateway", None, Role::Gateway))
}

async fn verify(hub: &Hub, key: &str) -> (u16, Value) {
    internal(
        hub,
        "/internal/api-keys/verify",
        gateway(),
        json!({ "key": key }),
    )
    .await
}

#[tokio::test]
async fn a_city_admin_creates_a_key_shown_once_and_only_its_hash_is_stored() {
    let hub = start().await;
    let created = create(&hub.client, education_key()).await;
    let key = created["key"].as_str().unwrap().to_string();
    let api_key = &created["apiKey"];
    let id = api_key["id"].as_str().unwrap();
    let hex = Uuid::parse_str(id).unwrap().simple().to_string();

    // kx_<id as 32 hex>_<43 characters of URL-safe base64>
    assert_eq!(key.len(), 3 + 32 + 1 + 43, "{key}");
    assert!(key.starts_with(&format!("kx_{hex}_")));
    assert!(key[36..]
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'));
    assert_eq!(api_key["prefix"], format!("kx_{}…", &hex[..8]));
    assert_eq!(api_key["name"], "教育局 研学平台");
    assert_eq!(api_key["bureau"], "EDUCATION");
    assert_eq!(
        api_key["scopes"],
        json!(["venues-activities:read", "activities:co-organize"])
    );
    assert_eq!(api_key["requestsPerMinute"], 600);
    assert_eq!(api_key["revoked"], false);
    assert_eq!(api_key["createdBy"], "test-staff");

    // The database holds the SHA-256 of the key, and the key nowhere.
    let (hash, row): (Vec<u8>, String) =
        sqlx::query_as("select key_hash, api_key::text from api_key where api_key_id = $1")
            .bind(Uuid::parse_str(id).unwrap())
            .fetch_one(&hub.pool)
            .await
            .unwrap();
    assert_eq!(hash, Sha256::digest(key.as_bytes()).to_vec());
    let secret = &key[36..];
    assert!(!row.contains(secret), "the stored row holds the key: {row}");

    // Nothing reads the key, or its hash, again.
    let fields = hub
        .client
        .data(
            r#"{ __type(name: "ApiKey") { fields { name } } }"#,
            json!({}),
        )
        .await;
    let names: Vec<&str> = fields["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"prefix"));
    assert!(
        !names
            .iter()
            .any(|name| name.contains("hash") || *name == "key"),
        "{names:?}"
    );
    let list = hub.client.data(LIST, json!({})).await;
    assert!(!list.to_string().contains(secret));
    assert_eq!(listed(&list)[0]["id"], id);

    // A second key is another key.
    let other = create(
        &hub.client,
        json!({ "name": "农业农村局", "bureau": "AGRICULTURE", "scopes": ["talent:read-public"],
                "requestsPerMinute": 30 }),
    )
    .await;
    assert_ne!(other["key"], created["key"]);
    assert_eq!(other["apiKey"]["requestsPerMinute"], 30);
    let list = listed(&hub.client.data(LIST, json!({})).await);
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0]["id"], other["apiKey"]["id"],
        "the newest key comes first"
    );
}

#[tokio::test]
async fn a_revoked_key_leaves_the_list_and_fails_the_gateway_check() {
    let hub = start().await;
    let created = create(&hub.client, education_key()).await;
    let key = created["key"].as_str().unwrap();
    let id = created["apiKey"]["id"].as_str().unwrap();

    let (status, body) = verify(&hub, key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["keyId"], id);
    assert_eq!(body["bureau"], "EDUCATION");
    assert_eq!(
        body["scopes"],
        json!(["venues-activities:read", "activities:co-organize"])
    );
    assert_eq!(body["requestsPerMinute"], 600);

    let revoked = hub
        .client
        .acting_as("li.admin")
        .data(REVOKE, json!({ "id": id }))
        .await["revokeApiKey"]
        .clone();
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["revokedBy"], "li.admin");
    assert!(revoked["revokedAt"].is_string());

    let (status, body) = verify(&hub, key).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({ "reason": "revoked", "keyId": id }));

    let live = hub.client.data(LIST, json!({})).await;
    assert!(listed(&live).is_empty());
    assert_eq!(live["apiKeys"]["totalCount"], 0);
    let with_revoked = hub.client.data(LIST, json!({ "all": true })).await;
    assert_eq!(with_revoked["apiKeys"]["totalCount"], 1);
    let all = listed(&with_revoked);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["revoked"], true);

    // Revoking again changes nothing.
    let again = hub
        .client
        .acting_as("wang.admin")
        .data(REVOKE, json!({ "id": id }))
        .await["revokeApiKey"]
        .clone();
    assert_eq!(again["revokedAt"], revoked["revokedAt"]);
    assert_eq!(again["revokedBy"], "li.admin");
    assert_eq!(again["version"], revoked["version"]);

    assert_eq!(
        hub.client
            .error_code(REVOKE, json!({ "id": Uuid::now_v7().to_string() }))
            .await,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn keys_that_were_never_issued_are_unknown() {
    let hub = start().await;
    let created = create(&hub.client, education_key()).await;
    let key = created["key"].as_str().unwrap();
    let unknown = json!({ "reason": "unknown" });

    // The right id with another secret.
    let mut forged = key.to_string();
    let last = if forged.ends_with('A') { "B" } else { "A" };
    forged.replace_range(forged.len() - 1.., last);
    assert_eq!(verify(&hub, &forged).await, (404, unknown.clone()));
    // An id never issued.
    let other = format!("kx_{}_{}", Uuid::now_v7().simple(), &key[36..]);
    assert_eq!(verify(&hub, &other).await, (404, unknown.clone()));
    // Not a key at all.
    assert_eq!(verify(&hub, "hello").await, (404, unknown.clone()));
    assert_eq!(verify(&hub, "").await, (404, unknown));
}

#[tokio::test]
async fn only_city_admins_manage_keys_and_read_the_call_log() {
    let hub = start().await;
    let existing = create(&hub.client, education_key()).await;
    let id = existing["apiKey"]["id"].as_str().unwrap();
    let unit = Uuid::now_v7();
    let others = [
        hub.client.as_staff("wang.unit", Role::UnitAdmin, unit),
        hub.client.as_staff("zhao.staff", Role::UnitStaff, unit),
        hub.client.as_staff("chen.lead", Role::Leadership, unit),
        hub.client.anonymous(),
        hub.client.as_partner("EDUCATION", &Scope::ALL),
    ];
    for client in &others {
        assert_eq!(
            client
                .error_code(CREATE, json!({ "input": education_key() }))
                .await,
            "FORBIDDEN"
        );
        assert_eq!(
            client.error_code(REVOKE, json!({ "id": id })).await,
            "FORBIDDEN"
        );
        assert_eq!(client.error_code(LIST, json!({})).await, "FORBIDDEN");
        assert_eq!(client.error_code(CALLS, json!({})).await, "FORBIDDEN");
    }
    assert_eq!(key_count(&hub.pool).await, 1, "nothing was created");
    let still = listed(&hub.client.data(LIST, json!({})).await);
    assert_eq!(still[0]["revoked"], false, "nothing was revoked");
}

#[tokio::test]
async fn bad_key_settings_are_refused_and_nothing_is_written() {
    let hub = start().await;
    let cases = [
        json!({ "name": "  ", "bureau": "EDUCATION", "scopes": ["talent:read-public"] }),
        json!({ "name": "公安局", "bureau": "POLICE", "scopes": ["talent:read-public"] }),
        json!({ "name": "教育局", "bureau": "EDUCATION", "scopes": ["talent:write"] }),
        json!({ "name": "教育局", "bureau": "EDUCATION", "scopes": [] }),
        json!({ "name": "教育局", "bureau": "EDUCATION", "scopes": ["talent:read-public"],
                "requestsPerMinute": 0 }),
        json!({ "name": "教育局", "bureau": "EDUCATION", "scopes": ["talent:read-public"],
                "requestsPerMinute": 100001 }),
    ];
    let fields = [
        "name",
        "bureau",
        "scopes",
        "scopes",
        "requestsPerMinute",
        "requestsPerMinute",
    ];
    for (input, field) in cases.into_iter().zip(fields) {
        let body = hub.client.post(CREATE, json!({ "input": input })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{input}: {body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    assert_eq!(
        hub.client.error_code(REVOKE, json!({ "id": "nope" })).await,
        "VALIDATION"
    );
    assert_eq!(key_count(&hub.pool).await, 0);
}

#[tokio::test]
async fn the_gateway_records_calls_that_the_log_lists_newest_first() {
    let hub = start().await;
    let first = create(&hub.client, education_key()).await;
    let second = create(
        &hub.client,
        json!({ "name": "妇联", "bureau": "WOMENS_FEDERATION", "scopes": ["advice:submit"] }),
    )
    .await;
    let first_id = first["apiKey"]["id"].as_str().unwrap();
    let second_id = second["apiKey"]["id"].as_str().unwrap();
    let calls = [
        (
            first_id,
            Some("Venues"),
            "2026-11-23T08:00:00Z",
            "ok",
            200,
            12,
        ),
        (first_id, None, "2026-11-23T08:00:01Z", "errors", 200, 30),
        (
            second_id,
            Some("Submit"),
            "2026-11-23T08:00:02Z",
            "rate_limited",
            429,
            1,
        ),
        (
            first_id,
            Some("Venues"),
            "2026-11-23T08:00:03Z",
            "refused",
            401,
            2,
        ),
    ];
    for (key, operation, at, outcome, status, duration) in calls {
        let (code, body) = internal(
            &hub,
            "/internal/partner-calls",
            gateway(),
            json!({ "keyId": key, "operation": operation, "calledAt": at, "outcome": outcome,
                    "status": status, "durationMs": duration }),
        )
        .await;
        assert_eq!(code, 204, "{body}");
    }
    let log = hub.client.data(CALLS, json!({ "keyId": first_id })).await;
    let nodes: Vec<&Value> = log["partnerCalls"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    let outcomes: Vec<&str> = nodes
        .iter()
        .map(|node| node["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["REFUSED", "ERRORS", "OK"]);
    assert_eq!(log["partnerCalls"]["totalCount"], 3);
    assert_eq!(nodes[0]["status"], 401);
    assert_eq!(nodes[0]["operation"], "Venues");
    assert_eq!(nodes[1]["operation"], Value::Null);
    assert_eq!(nodes[2]["durationMs"], 12);
    assert_eq!(nodes[2]["keyId"], first_id);
    assert_eq!(nodes[2]["calledAt"], "2026-11-23T08:00:00+00:00");
    let all = hub.client.data(CALLS, json!({})).await;
    assert_eq!(all["partnerCalls"]["edges"].as_array().unwrap().len(), 4);
    assert_eq!(all["partnerCalls"]["totalCount"], 4);
    assert_eq!(
        all["partnerCalls"]["edges"][1]["node"]["outcome"],
        "RATE_LIMITED"
    );

    // A key that does not exist, an unknown outcome.
    let (code, _) = internal(
        &hub,
        "/internal/partner-calls",
        gateway(),
        json!({ "keyId": Uuid::now_v7(), "operation": null, "calledAt": "2026-11-23T08:00:00Z",
                "outcome": "ok", "status": 200, "durationMs": 1 }),
    )
    .await;
    assert_eq!(code, 404);
    let (code, _) = internal(
        &hub,
        "/internal/partner-calls",
        gateway(),
        json!({ "keyId": first_id, "operation": null, "calledAt": "2026-11-23T08:00:00Z",
                "outcome": "fine", "status": 200, "durationMs": 1 }),
    )
    .await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn a_partner_call_whose_operation_name_holds_a_nul_is_still_recorded() {
    let hub = start().await;
    let key = create(&hub.client, education_key()).await;
    let key_id = key["apiKey"]["id"].as_str().unwrap();
    let (code, body) = internal(
        &hub,
        "/internal/partner-calls",
        gateway(),
        json!({ "keyId": key_id, "operation": "Ven\u{0}ues", "calledAt": "2026-11-23T08:00:00Z",
                "outcome": "refused", "status": 400, "durationMs": 1 }),
    )
    .await;
    assert_eq!(code, 204, "{body}");
    let log = hub.client.data(CALLS, json!({ "keyId": key_id })).await;
    assert_eq!(
        log["partnerCalls"]["edges"][0]["node"]["operation"],
        "Ven\u{FFFD}ues"
    );
}

#[tokio::test]
async fn internal_endpoints_answer_the_gateway_only() {
    let hub = start().await;
    let created = create(&hub.client, education_key()).await;
    let key = created["key"].as_str().unwrap();
    let id = created["apiKey"]["id"].as_str().unwrap();
    let unit = Uuid::now_v7();
    let callers = [
        None,
        Some(Principal::issue("test-staff", Some(unit), Role::CityAdmin)),
        Some(Principal::issue("wang.unit", Some(unit), Role::UnitAdmin)),
        Some(Principal::anonymous()),
        Some(Principal::partner(
            Uuid::parse_str(id).unwrap(),
            "EDUCATION",
            Scope::ALL.to_vec(),
        )),
    ];
    for caller in callers {
        let (status, body) = internal(
            &hub,
            "/internal/api-keys/verify",
            caller.clone(),
            json!({ "key": key }),
        )
        .await;
        assert_eq!(status, 401, "{caller:?}: {body}");
        assert!(body.get("keyId").is_none());
        let (status, _) = internal(
            &hub,
            "/internal/partner-calls",
            caller.clone(),
            json!({ "keyId": id, "operation": "X", "calledAt": "2026-11-23T08:00:00Z",
                    "outcome": "ok", "status": 200, "durationMs": 1 }),
        )
        .await;
        assert_eq!(status, 401, "{caller:?}");
    }
    // A principal signed with another secret is no gateway either.
    let forged = sign(
        &Principal::issue("kexie-gateway", None, Role::Gateway),
        &kexie_contract::principal::PrincipalSecret::generate(),
    )
    .unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/internal/api-keys/verify",
            hub.server.port
        ))
        .header(PRINCIPAL_HEADER, forged)
        .json(&json!({ "key": key }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    let recorded: i64 = sqlx::query_scalar("select count(*) from partner_call")
        .fetch_one(&hub.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 0);
}

//! Honors recorded directly: create, look up, list, update, archive, and refuse bad input.

use serde_json::{json, Value};

use crate::support::{create_worker, ids, start, Hub, UNKNOWN_ID};

const FIELDS: &str = "id name level year worker { id name } conferringUnit { id }
    nomination { id } version createdBy updatedBy archivedAt";

const LIST: &str = "query($filter: HonorFilter, $first: Int, $after: String) {
    honors(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { id name } } } }";

fn create_mutation() -> String {
    format!("mutation($input: CreateHonorInput!) {{ createHonor(input: $input) {{ {FIELDS} }} }}")
}

fn update_mutation() -> String {
    format!(
        "mutation($id: ID!, $version: Int!, $input: UpdateHonorInput!) {{
           updateHonor(id: $id, expectedVersion: $version, input: $input) {{ {FIELDS} }} }}"
    )
}

async fn create_honor(hub: &Hub, input: Value) -> Value {
    hub.client
        .data(&create_mutation(), json!({ "input": input }))
        .await["createHonor"]
        .clone()
}

#[tokio::test]
async fn a_recorded_honor_reads_back_by_id_and_on_its_worker() {
    let hub = start().await;
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let honor = create_honor(
        &hub,
        json!({ "workerId": worker["id"], "name": "最美科技工作者", "level": "CITY", "year": 2023,
                "conferringUnitId": hub.unit_id(&hub.tree.city) }),
    )
    .await;
    assert_eq!(honor["worker"]["name"], worker["name"]);
    assert_eq!(
        honor["conferringUnit"]["id"],
        hub.unit_id(&hub.tree.city).as_str()
    );
    assert_eq!(honor["nomination"], Value::Null);
    assert_eq!(honor["version"], 1);
    assert_eq!(honor["createdBy"], "test-staff");

    let read = hub
        .client
        .data(
            &format!("query($id: ID!) {{ honor(id: $id) {{ {FIELDS} }} }}"),
            json!({ "id": honor["id"] }),
        )
        .await;
    assert_eq!(read["honor"], honor);
    let on_worker = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { honors { name level year } } }",
            json!({ "id": worker["id"] }),
        )
        .await;
    assert_eq!(
        on_worker["worker"]["honors"],
        json!([{ "name": "最美科技工作者", "level": "CITY", "year": 2023 }])
    );
    let unknown = hub
        .client
        .data(
            "query($id: ID!) { honor(id: $id) { id } }",
            json!({ "id": UNKNOWN_ID }),
        )
        .await;
    assert_eq!(unknown["honor"], Value::Null);
}

#[tokio::test]
async fn honor_lists_filter_by_the_workers_unit_level_year_worker_and_search() {
    let hub = start().await;
    let district = hub.unit_id(&hub.tree.district_a);
    let wang = create_worker(
        &hub.client,
        &hub.unit_id(&hub.tree.township_a),
        json!({ "name": "王芳" }),
    )
    .await;
    let li = create_worker(&hub.client, &district, json!({ "name": "李强" })).await;
    let chen = create_worker(
        &hub.client,
        &hub.unit_id(&hub.tree.township_b),
        json!({ "name": "陈静" }),
    )
    .await;
    let a = create_honor(&hub, json!({ "workerId": wang["id"], "name": "优秀科技工作者", "level": "DISTRICT", "year": 2022 })).await;
    let b = create_honor(
        &hub,
        json!({ "workerId": li["id"], "name": "最美科技工作者", "level": "CITY", "year": 2024 }),
    )
    .await;
    let c = create_honor(&hub, json!({ "workerId": chen["id"], "name": "青年科技人才托举工程", "level": "PROVINCIAL", "year": 2024 })).await;
    let d = create_honor(
        &hub,
        json!({ "workerId": wang["id"], "name": "最美科技工作者", "level": "CITY", "year": 2025 }),
    )
    .await;

    let list = |filter: Value| {
        let client = hub.client.clone();
        async move { ids(&client.data(LIST, json!({ "filter": filter })).await["honors"]) }
    };
    let of = |honors: &[&Value]| -> Vec<String> {
        honors
            .iter()
            .map(|honor| honor["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list(json!({})).await, of(&[&d, &c, &b, &a]));
    assert_eq!(list(json!({ "unitId": district })).await, of(&[&b]));
    assert_eq!(
        list(json!({ "unitId": district, "includeSubtree": true })).await,
        of(&[&d, &b, &a])
    );
    assert_eq!(list(json!({ "levels": ["CITY"] })).await, of(&[&d, &b]));
    assert_eq!(
        list(json!({ "levels": ["PROVINCIAL", "DISTRICT"] })).await,
        of(&[&c, &a])
    );
    assert_eq!(list(json!({ "year": 2024 })).await, of(&[&c, &b]));
    assert_eq!(list(json!({ "workerId": wang["id"] })).await, of(&[&d, &a]));
    assert_eq!(list(json!({ "search": "最美" })).await, of(&[&d, &b]));
    assert_eq!(list(json!({ "search": "陈" })).await, of(&[&c]));
    assert_eq!(
        list(json!({ "levels": ["CITY"], "year": 2025 })).await,
        of(&[&d])
    );

    let page = hub.client.data(LIST, json!({ "first": 2 })).await;
    assert_eq!(ids(&page["honors"]), of(&[&d, &c]));
    assert_eq!(page["honors"]["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            LIST,
            json!({ "first": 2, "after": page["honors"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(ids(&next["honors"]), of(&[&b, &a]));
    assert_eq!(next["honors"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn an_honor_is_corrected_with_its_version_and_archived_out_of_the_lists() {
    let hub = start().await;
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let honor = create_honor(
        &hub,
        json!({ "workerId": worker["id"], "name": "优秀科技工作者", "level": "DISTRICT", "year": 2021,
                "conferringUnitId": hub.unit_id(&hub.tree.district_a) }),
    )
    .await;
    let updated = hub
        .client
        .acting_as("city-staff")
        .data(
            &update_mutation(),
            json!({ "id": honor["id"], "version": 1, "input": { "level": "CITY", "conferringUnitId": null } }),
        )
        .await["updateHonor"]
        .clone();
    assert_eq!(updated["level"], "CITY");
    assert_eq!(updated["conferringUnit"], Value::Null);
    assert_eq!(updated["name"], "优秀科技工作者");
    assert_eq!(updated["year"], 2021);
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["updatedBy"], "city-staff");

    let before = hub.footprint().await;
    let stale = hub
        .client
        .error_code(
            &update_mutation(),
            json!({ "id": honor["id"], "version": 1, "input": { "year": 2020 } }),
        )
        .await;
    assert_eq!(stale, "CONFLICT");
    assert_eq!(hub.footprint().await, before);

    hub.client
        .data(
            "mutation($id: ID!) { archiveHonor(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": honor["id"] }),
        )
        .await;
    let list = hub.client.data(LIST, json!({})).await;
    assert_eq!(ids(&list["honors"]), Vec::<String>::new());
    let archived = hub
        .client
        .data(LIST, json!({ "filter": { "includeArchived": true } }))
        .await;
    assert_eq!(ids(&archived["honors"]), [honor["id"].as_str().unwrap()]);
    let on_worker = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { honors { id } } }",
            json!({ "id": worker["id"] }),
        )
        .await;
    assert_eq!(on_worker["worker"]["honors"], json!([]));
}

#[tokio::test]
async fn invalid_honors_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let archived = create_worker(
        &hub.client,
        &hub.unit_id(&hub.tree.township_a),
        json!({ "name": "马丽" }),
    )
    .await;
    hub.client
        .data(
            "mutation($id: ID!) { archiveWorker(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": archived["id"] }),
        )
        .await;
    let honor = create_honor(
        &hub,
        json!({ "workerId": worker["id"], "name": "最美科技工作者", "level": "CITY", "year": 2024 }),
    )
    .await;
    hub.merge(&hub.tree.township_b, &hub.tree.township_a).await;
    let before = hub.footprint().await;

    let base = json!({ "workerId": worker["id"], "name": "优秀科技工作者", "level": "CITY", "year": 2024 });
    let with = |changes: Value| {
        let mut input = base.clone();
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        json!({ "input": input })
    };
    let cases = [
        (with(json!({ "workerId": "bad" })), "VALIDATION"),
        (with(json!({ "workerId": UNKNOWN_ID })), "NOT_FOUND"),
        (with(json!({ "workerId": archived["id"] })), "NOT_FOUND"),
        (with(json!({ "name": "" })), "VALIDATION"),
        (with(json!({ "name": "荣".repeat(101) })), "VALIDATION"),
        (with(json!({ "year": 2999 })), "VALIDATION"),
        (with(json!({ "year": -5 })), "VALIDATION"),
        (with(json!({ "conferringUnitId": UNKNOWN_ID })), "NOT_FOUND"),
        (with(json!({ "conferringUnitId": "x" })), "VALIDATION"),
        (with(json!({ "name": "最美科技工作者" })), "DUPLICATE"),
    ];
    for (variables, code) in cases {
        let got = hub
            .client
            .error_code(&create_mutation(), variables.clone())
            .await;
        assert_eq!(got, code, "{variables}");
    }
    let updates = [
        (
            json!({ "id": UNKNOWN_ID, "version": 1, "input": {} }),
            "NOT_FOUND",
        ),
        (
            json!({ "id": honor["id"], "version": 1, "input": { "year": 3000 } }),
            "VALIDATION",
        ),
        (
            json!({ "id": honor["id"], "version": 1, "input": { "conferringUnitId": UNKNOWN_ID } }),
            "NOT_FOUND",
        ),
    ];
    for (variables, code) in updates {
        let got = hub
            .client
            .error_code(&update_mutation(), variables.clone())
            .await;
        assert_eq!(got, code, "{variables}");
    }
    let got = hub
        .client
        .error_code(LIST, json!({ "filter": { "year": 99999 } }))
        .await;
    assert_eq!(got, "VALIDATION");
    assert_eq!(hub.footprint().await, before);

    // An honor conferred long ago by a unit that has since merged away is still history.
    let old = create_honor(
        &hub,
        json!({ "workerId": worker["id"], "name": "科普工作先进个人", "level": "DISTRICT", "year": 2019,
                "conferringUnitId": hub.unit_id(&hub.tree.township_b) }),
    )
    .await;
    assert_eq!(
        old["conferringUnit"]["id"],
        hub.unit_id(&hub.tree.township_b).as_str()
    );
}

#[tokio::test]
async fn a_retried_honor_create_with_the_same_key_returns_the_first_record() {
    let hub = start().await;
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let input = json!({ "workerId": worker["id"], "name": "最美科技工作者", "level": "CITY", "year": 2024,
                        "idempotencyKey": "honor-1" });
    let first = create_honor(&hub, input.clone()).await;
    let before = hub.footprint().await;
    let again = create_honor(&hub, input).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(hub.footprint().await, before);
}

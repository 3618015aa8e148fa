//! Technology needs (企业技术需求): publication, every step of the workflow, edits, lists,
//! idempotent creates and bad input that writes nothing.

use serde_json::{json, Value};

use crate::support::*;

const LIST: &str = "query($filter: TechNeedFilter, $first: Int, $after: String) {
    techNeeds(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { title } } } }";

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $input: UpdateTechNeedInput!) {{
           updateTechNeed(id: $id, expectedVersion: $v, input: $input) {{ {NEED_FIELDS} }} }}"
    )
}

fn archive_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!) {{ archiveTechNeed(id: $id, expectedVersion: $v) {{ {NEED_FIELDS} }} }}"
    )
}

async fn titles(hub: &Hub, filter: Value) -> Vec<Value> {
    let data = hub.client.data(LIST, json!({ "filter": filter })).await;
    column(&data["techNeeds"], "title")
}

#[tokio::test]
async fn a_need_is_published_matched_contracted_and_resolved_with_its_history() {
    let hub = start().await;
    let client = hub.client.acting_as("district-secretary");
    let need = create_need(&client, need_input(hub.tree.enterprise_a.id, json!({}))).await;
    assert_eq!(need["status"], "PUBLISHED");
    assert_eq!(need["publishedOn"], today().to_string());
    assert_eq!(need["budget"], 80.5);
    assert_eq!(need["allowedTransitions"], json!(["MATCHING", "CLOSED"]));
    assert_eq!(
        need["history"][0]["toStatus"], "PUBLISHED",
        "the publication is the first step"
    );
    assert_eq!(need["history"][0]["actor"], "district-secretary");

    // MATCHED needs a signed contract: none yet.
    let matching = step_need(&client, &need, "MATCHING", None).await;
    refused(
        &hub,
        &transition_need_query(),
        json!({ "id": need["id"], "v": matching["version"], "to": "MATCHED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition_need_query(),
        json!({ "id": need["id"], "v": matching["version"], "to": "RESOLVED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;

    let result = create_result(&client, result_input(hub.tree.district_a.id, json!({}))).await;
    let proposed = propose(
        &client,
        json!({ "needId": need["id"], "scienceResultId": result["id"] }),
    )
    .await;
    let talking = step_match(&client, &proposed, "NEGOTIATING", None, None).await;
    let contracted = step_match(
        &client,
        &talking,
        "CONTRACTED",
        Some(json!({ "signedOn": today().to_string(), "amount": 120.0 })),
        None,
    )
    .await;
    assert_eq!(
        contracted["need"]["status"], "MATCHED",
        "signing matches the need"
    );

    let matched = need_of(&hub, &need).await;
    assert_eq!(
        matched["allowedTransitions"],
        json!(["MATCHING", "RESOLVED", "CLOSED"])
    );
    let resolved = step_need(&client, &matched, "RESOLVED", None).await;
    assert_eq!(resolved["status"], "RESOLVED");
    assert_eq!(resolved["endedOn"], today().to_string());
    assert_eq!(resolved["allowedTransitions"], json!([]));
    let steps: Vec<(Value, Value)> = resolved["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| (step["fromStatus"].clone(), step["toStatus"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("PUBLISHED")),
            (json!("PUBLISHED"), json!("MATCHING")),
            (json!("MATCHING"), json!("MATCHED")),
            (json!("MATCHED"), json!("RESOLVED")),
        ]
    );

    // A resolved need is a closed record.
    refused(
        &hub,
        &update_query(),
        json!({ "id": need["id"], "v": resolved["version"], "input": { "title": "改" } }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition_need_query(),
        json!({ "id": need["id"], "v": resolved["version"], "to": "CLOSED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
}

async fn need_of(hub: &Hub, found: &Value) -> Value {
    need(&hub.client, &found["id"]).await
}

#[tokio::test]
async fn a_need_is_closed_on_a_day_that_is_neither_future_nor_before_publication() {
    let hub = start().await;
    let need = create_need(
        &hub.client,
        need_input(
            hub.tree.enterprise_a.id,
            json!({ "publishedOn": "2025-03-10" }),
        ),
    )
    .await;
    assert_eq!(need["publishedOn"], "2025-03-10");
    let transition = transition_need_query();
    let tomorrow = (today() + chrono::Duration::days(1)).to_string();
    for on in ["2025-03-09", tomorrow.as_str()] {
        refused(
            &hub,
            &transition,
            json!({ "id": need["id"], "v": 1, "to": "CLOSED", "on": on }),
            "VALIDATION",
        )
        .await;
    }
    refused(
        &hub,
        &transition,
        json!({ "id": need["id"], "v": 1, "to": "MATCHING", "on": "2025-04-01" }),
        "VALIDATION",
    )
    .await;
    let closed = step_need(&hub.client, &need, "CLOSED", Some("2025-09-30")).await;
    assert_eq!(closed["status"], "CLOSED");
    assert_eq!(closed["endedOn"], "2025-09-30");
}

#[tokio::test]
async fn an_open_need_is_edited_and_a_stale_version_is_a_conflict() {
    let hub = start().await;
    let need = create_need(
        &hub.client,
        need_input(
            hub.tree.district_a.id,
            json!({ "enterpriseName": "恒通机械制造有限公司" }),
        ),
    )
    .await;
    assert_eq!(need["enterpriseName"], "恒通机械制造有限公司");
    let updated = hub
        .client
        .data(
            &update_query(),
            json!({ "id": need["id"], "v": 1, "input": {
                "title": "焊接机器人视觉纠偏", "budget": null, "field": "ELECTRONIC_INFORMATION" } }),
        )
        .await["updateTechNeed"]
        .clone();
    assert_eq!(updated["title"], "焊接机器人视觉纠偏");
    assert_eq!(updated["budget"], Value::Null);
    assert_eq!(updated["field"], "ELECTRONIC_INFORMATION");
    assert_eq!(
        updated["enterpriseName"], "恒通机械制造有限公司",
        "absent fields stay"
    );
    assert_eq!(updated["version"], 2);
    refused(
        &hub,
        &update_query(),
        json!({ "id": need["id"], "v": 1, "input": { "title": "旧版本" } }),
        "CONFLICT",
    )
    .await;
    // Moving it to a merged unit is refused.
    refused(
        &hub,
        &update_query(),
        json!({ "id": need["id"], "v": 2, "input": { "unitId": hub.merged.id.to_string() } }),
        "VALIDATION",
    )
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field_and_writes_nothing() {
    let hub = start().await;
    let create = create_need_query();
    let unit = hub.tree.enterprise_a.id;
    for (overrides, field) in [
        (json!({ "title": "   " }), "title"),
        (json!({ "problem": "" }), "problem"),
        (json!({ "budget": -1.0 }), "budget"),
        (json!({ "budget": 2_000_000.0 }), "budget"),
        (json!({ "publishedOn": "2999-01-01" }), "publishedOn"),
        (json!({ "unitId": "not-an-id" }), "unitId"),
        (json!({ "title": "字".repeat(201) }), "title"),
        (json!({ "title": "含\u{0}字符" }), "title"),
    ] {
        let variables = json!({ "input": need_input(unit, overrides) });
        let before = fingerprint(&hub.pool).await;
        let body = hub.client.post(&create, variables.clone()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{variables:#}: {body:#}"
        );
        assert!(
            body["errors"][0]["extensions"]["field"]
                .as_str()
                .is_some_and(|named| named.contains(field)),
            "{field}: {body:#}"
        );
        assert_eq!(fingerprint(&hub.pool).await, before);
    }
    refused(
        &hub,
        &create,
        json!({ "input": need_input(hub.merged.id, json!({})) }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &create,
        json!({ "input": need_input(uuid::Uuid::now_v7(), json!({})) }),
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_retried_create_returns_the_first_need_and_another_input_under_the_key_is_refused() {
    let hub = start().await;
    let input = need_input(
        hub.tree.enterprise_a.id,
        json!({ "idempotencyKey": "need-1" }),
    );
    let first = create_need(&hub.client, input.clone()).await;
    let again = create_need(&hub.client, input.clone()).await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(count(&hub.pool, "tech_need").await, 1);
    let mut other = input.clone();
    other["title"] = json!("另一个需求");
    refused(
        &hub,
        &create_need_query(),
        json!({ "input": other }),
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
    // The same key of another caller is another key.
    let theirs = create_need(&hub.client.acting_as("someone-else"), input).await;
    assert_ne!(theirs["id"], first["id"]);
}

#[tokio::test]
async fn lists_filter_by_unit_subtree_status_field_dates_and_text_and_archived_needs_leave_them() {
    let hub = start().await;
    let tree = &hub.tree;
    let a = create_need(
        &hub.client,
        need_input(
            tree.enterprise_a.id,
            json!({ "title": "甲", "publishedOn": "2025-01-05" }),
        ),
    )
    .await;
    create_need(
        &hub.client,
        need_input(
            tree.district_a.id,
            json!({ "title": "乙", "field": "BIOMEDICINE",
            "enterpriseName": "瑞丰生物科技有限公司" }),
        ),
    )
    .await;
    create_need(
        &hub.client,
        need_input(tree.township_b.id, json!({ "title": "丙" })),
    )
    .await;
    step_need(&hub.client, &a, "CLOSED", Some("2025-02-01")).await;

    assert_eq!(
        titles(&hub, json!({})).await,
        json!(["丙", "乙", "甲"]).as_array().unwrap().clone()
    );
    let district_a = tree.district_a.id.to_string();
    assert_eq!(
        titles(&hub, json!({ "unitId": district_a })).await,
        vec![json!("乙")]
    );
    assert_eq!(
        titles(
            &hub,
            json!({ "unitId": district_a, "includeSubtree": true })
        )
        .await,
        vec![json!("乙"), json!("甲")]
    );
    assert_eq!(
        titles(&hub, json!({ "statuses": ["CLOSED"] })).await,
        vec![json!("甲")]
    );
    assert_eq!(
        titles(&hub, json!({ "fields": ["BIOMEDICINE"] })).await,
        vec![json!("乙")]
    );
    assert_eq!(
        titles(&hub, json!({ "search": "瑞丰" })).await,
        vec![json!("乙")]
    );
    assert_eq!(
        titles(&hub, json!({ "publishedTo": "2025-12-31" })).await,
        vec![json!("甲")]
    );
    refused(
        &hub,
        LIST,
        json!({ "filter": { "publishedFrom": "2025-12-01", "publishedTo": "2025-01-01" } }),
        "VALIDATION",
    )
    .await;

    let closed = need_of(&hub, &a).await;
    hub.client
        .data(
            &archive_query(),
            json!({ "id": a["id"], "v": closed["version"] }),
        )
        .await;
    assert_eq!(
        titles(&hub, json!({})).await,
        vec![json!("丙"), json!("乙")]
    );
    assert_eq!(
        titles(&hub, json!({ "includeArchived": true })).await,
        vec![json!("丙"), json!("乙"), json!("甲")]
    );
    let archived = need_of(&hub, &a).await;
    assert!(archived["archivedAt"].is_string(), "still looked up by ID");
    refused(
        &hub,
        &transition_need_query(),
        json!({ "id": a["id"], "v": archived["version"], "to": "CLOSED" }),
        "NOT_FOUND",
    )
    .await;

    // Pages of one.
    let first = hub.client.data(LIST, json!({ "first": 1 })).await;
    assert_eq!(first["techNeeds"]["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            LIST,
            json!({ "first": 1, "after": first["techNeeds"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(column(&next["techNeeds"], "title"), vec![json!("乙")]);
}

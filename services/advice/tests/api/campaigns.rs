//! Campaigns (征集活动): create, look up, list, update, archive, and bad input.

use serde_json::{json, Value};

use crate::support::*;

const LIST: &str = "query($filter: CampaignFilter, $first: Int, $after: String) {
    campaigns(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { title } } } }";

async fn titles(hub: &Hub, filter: Value) -> Vec<Value> {
    let data = hub.client.data(LIST, json!({ "filter": filter })).await;
    column(&data["campaigns"], "title")
}

#[tokio::test]
async fn a_campaign_is_created_looked_up_updated_and_archived() {
    let hub = start().await;
    let district = hub.tree.district_a.id.to_string();
    let days = |n: i64| (today() + chrono::Duration::days(n)).to_string();
    let campaign = create_campaign(
        &hub.client,
        json!({ "organizerId": district, "title": "“我为巴州发展献一计”活动",
                "kind": "IDEA_SOLICITATION", "opensOn": days(-90), "closesOn": days(-1),
                "description": "面向全区科技工作者征集意见建议" }),
    )
    .await;
    assert_eq!(campaign["organizer"]["id"], district);
    assert_eq!(campaign["kind"], "IDEA_SOLICITATION");
    assert_eq!(campaign["version"], 1);
    assert_eq!(campaign["createdBy"], "test-staff");
    assert_eq!(campaign["isOpen"], false, "it closed yesterday");

    let looked_up = hub
        .client
        .data(
            "query($id: ID!, $during: NaiveDate, $before: NaiveDate) { campaign(id: $id) { title
                 openDuring: isOpen(on: $during) openBefore: isOpen(on: $before) } }",
            json!({ "id": campaign["id"], "during": days(-1), "before": days(-91) }),
        )
        .await;
    assert_eq!(looked_up["campaign"]["title"], campaign["title"]);
    assert_eq!(
        looked_up["campaign"]["openDuring"], true,
        "the closing day is open"
    );
    assert_eq!(looked_up["campaign"]["openBefore"], false);
    let unknown = hub
        .client
        .data(
            "{ campaign(id: \"0190b6a0-0000-7000-8000-000000000000\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown["campaign"], Value::Null);

    let updated = hub
        .client
        .acting_as("district-a-staff")
        .data(
            &format!(
                "mutation($id: ID!, $closes: NaiveDate) {{ updateCampaign(id: $id, expectedVersion: 1,
                   input: {{ closesOn: $closes, description: null }}) {{ {CAMPAIGN_FIELDS} }} }}"
            ),
            json!({ "id": campaign["id"], "closes": days(30) }),
        )
        .await["updateCampaign"]
        .clone();
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["closesOn"], days(30));
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["title"], campaign["title"], "absent fields stay");
    assert_eq!(updated["updatedBy"], "district-a-staff");
    assert_eq!(updated["isOpen"], true, "it now runs for another month");

    let archived = hub
        .client
        .data(
            &format!(
                "mutation($id: ID!) {{ archiveCampaign(id: $id, expectedVersion: 2) {{ {CAMPAIGN_FIELDS} }} }}"
            ),
            json!({ "id": campaign["id"] }),
        )
        .await["archiveCampaign"]
        .clone();
    assert_eq!(archived["version"], 3);
    assert!(archived["archivedAt"].is_string());
    assert!(
        titles(&hub, json!({})).await.is_empty(),
        "archived campaigns leave lists"
    );
    assert_eq!(
        titles(&hub, json!({ "includeArchived": true })).await,
        vec![campaign["title"].clone()]
    );
    let still_there = hub
        .client
        .data(
            "query($id: ID!) { campaign(id: $id) { archivedAt } }",
            json!({ "id": campaign["id"] }),
        )
        .await;
    assert!(still_there["campaign"]["archivedAt"].is_string());
}

#[tokio::test]
async fn campaign_lists_filter_by_unit_subtree_kind_open_day_and_search_and_page() {
    let hub = start().await;
    let city = hub.tree.city.id.to_string();
    let district = hub.tree.district_a.id.to_string();
    let township = hub.tree.township_a.id.to_string();
    let other = hub.tree.district_b.id.to_string();
    for (unit, title, kind, opens, closes) in [
        (
            &city,
            "2026年度巴中市科协优秀调研课题征集",
            "RESEARCH_TOPIC_CALL",
            "2026-01-10",
            "2026-02-28",
        ),
        (
            &district,
            "2026年“我为巴州发展献一计”活动",
            "IDEA_SOLICITATION",
            "2026-03-01",
            "2026-05-31",
        ),
        (
            &township,
            "清江镇“金点子”征集",
            "IDEA_SOLICITATION",
            "2026-04-01",
            "2026-04-30",
        ),
        (
            &other,
            "2025年恩阳区产业发展“卡脖子”问题征集",
            "KEY_TECH_BOTTLENECK",
            "2025-06-01",
            "2025-09-30",
        ),
    ] {
        create_campaign(
            &hub.client,
            json!({ "organizerId": unit, "title": title, "kind": kind, "opensOn": opens, "closesOn": closes }),
        )
        .await;
    }

    assert_eq!(
        titles(&hub, json!({ "unitId": district })).await,
        vec![json!("2026年“我为巴州发展献一计”活动")]
    );
    assert_eq!(
        titles(&hub, json!({ "unitId": district, "includeSubtree": true })).await,
        vec![
            json!("清江镇“金点子”征集"),
            json!("2026年“我为巴州发展献一计”活动")
        ]
    );
    assert_eq!(
        titles(&hub, json!({ "unitId": city, "includeSubtree": true }))
            .await
            .len(),
        4
    );
    assert_eq!(
        titles(
            &hub,
            json!({ "kinds": ["KEY_TECH_BOTTLENECK", "RESEARCH_TOPIC_CALL"] })
        )
        .await,
        vec![
            json!("2025年恩阳区产业发展“卡脖子”问题征集"),
            json!("2026年度巴中市科协优秀调研课题征集")
        ]
    );
    assert_eq!(
        titles(&hub, json!({ "openOn": "2026-04-15" })).await,
        vec![
            json!("清江镇“金点子”征集"),
            json!("2026年“我为巴州发展献一计”活动")
        ]
    );
    assert_eq!(
        titles(&hub, json!({ "openOn": "2026-05-31" })).await,
        vec![json!("2026年“我为巴州发展献一计”活动")],
        "the closing day is still open"
    );
    assert_eq!(
        titles(&hub, json!({ "search": "卡脖子" })).await,
        vec![json!("2025年恩阳区产业发展“卡脖子”问题征集")]
    );
    assert!(
        titles(&hub, json!({ "search": "%" })).await.is_empty(),
        "wildcards in the search are literal"
    );

    let first = hub.client.data(LIST, json!({ "first": 3 })).await["campaigns"].clone();
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(column(&first, "title").len(), 3);
    let rest = hub
        .client
        .data(
            LIST,
            json!({ "first": 3, "after": first["pageInfo"]["endCursor"] }),
        )
        .await["campaigns"]
        .clone();
    assert_eq!(
        column(&rest, "title"),
        vec![json!("2026年度巴中市科协优秀调研课题征集")],
        "the oldest comes last"
    );
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn invalid_campaigns_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    let district = hub.tree.district_a.id.to_string();
    let valid = json!({ "organizerId": district, "title": "征集", "kind": "IDEA_SOLICITATION",
                        "opensOn": "2026-03-01", "closesOn": "2026-06-30" });
    let with = |key: &str, value: Value| {
        let mut input = valid.clone();
        input[key] = value;
        json!({ "input": input })
    };
    let cases = [
        (with("organizerId", json!("not-an-id")), "VALIDATION"),
        (
            with("organizerId", json!("0190b6a0-0000-7000-8000-000000000000")),
            "NOT_FOUND",
        ),
        (
            with("organizerId", json!(hub.merged.id.to_string())),
            "VALIDATION",
        ),
        (with("title", json!("   ")), "VALIDATION"),
        (with("title", json!("征".repeat(201))), "VALIDATION"),
        (with("description", json!("说".repeat(5001))), "VALIDATION"),
        (with("closesOn", json!("2026-02-28")), "VALIDATION"),
        (with("opensOn", json!("0001-01-01")), "VALIDATION"),
        (with("idempotencyKey", json!("")), "VALIDATION"),
    ];
    for (variables, code) in cases {
        refused(&hub, CREATE_CAMPAIGN, variables, code).await;
    }

    let campaign = create_campaign(&hub.client, valid.clone()).await;
    let update = format!(
        "mutation($id: ID!, $v: Int!, $input: UpdateCampaignInput!) {{
           updateCampaign(id: $id, expectedVersion: $v, input: $input) {{ {CAMPAIGN_FIELDS} }} }}"
    );
    let cases = [
        (
            json!({ "id": campaign["id"], "v": 7, "input": { "title": "新标题" } }),
            "CONFLICT",
        ),
        (
            json!({ "id": campaign["id"], "v": 1, "input": { "closesOn": "2026-01-01" } }),
            "VALIDATION",
        ),
        (
            json!({ "id": campaign["id"], "v": 1, "input": { "title": "" } }),
            "VALIDATION",
        ),
        (
            json!({ "id": campaign["id"], "v": 1, "input": { "organizerId": hub.merged.id.to_string() } }),
            "VALIDATION",
        ),
        (
            json!({ "id": "0190b6a0-0000-7000-8000-000000000000", "v": 1, "input": {} }),
            "NOT_FOUND",
        ),
        (json!({ "id": "nope", "v": 1, "input": {} }), "VALIDATION"),
    ];
    for (variables, code) in cases {
        refused(&hub, &update, variables, code).await;
    }
    refused(
        &hub,
        "mutation($id: ID!) { archiveCampaign(id: $id, expectedVersion: 5) { id } }",
        json!({ "id": campaign["id"] }),
        "CONFLICT",
    )
    .await;
    refused(&hub, LIST, json!({ "first": -1 }), "VALIDATION").await;
    refused(&hub, LIST, json!({ "first": 101 }), "VALIDATION").await;
    refused(&hub, LIST, json!({ "after": "not-a-cursor" }), "VALIDATION").await;
    refused(
        &hub,
        LIST,
        json!({ "filter": { "unitId": "x" } }),
        "VALIDATION",
    )
    .await;
}

#[tokio::test]
async fn a_retried_campaign_create_with_the_same_idempotency_key_returns_the_first_campaign() {
    let hub = start().await;
    let input = json!({ "organizerId": hub.tree.city.id.to_string(), "title": "2026年巴中市“卡脖子”问题征集",
                        "kind": "KEY_TECH_BOTTLENECK", "opensOn": "2026-05-15", "closesOn": "2026-09-30",
                        "idempotencyKey": "bureau-2026-0001" });
    let first = create_campaign(&hub.client, input.clone()).await;
    let before = fingerprint(&hub.pool).await;
    let retried = create_campaign(&hub.client, input.clone()).await;
    assert_eq!(retried["id"], first["id"]);
    assert_eq!(
        fingerprint(&hub.pool).await,
        before,
        "the retry wrote nothing"
    );
    let another_partner = create_campaign(&hub.client.acting_as("partner-b"), input).await;
    assert_ne!(
        another_partner["id"], first["id"],
        "keys are scoped per actor"
    );
    assert_eq!(count(&hub.pool, "campaign").await, 2);
}

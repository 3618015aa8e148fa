//! Research topics (调研课题): proposal to consultation report, awards, lists, bad input.

use serde_json::{json, Value};

use crate::support::*;

const LIST: &str = "query($filter: ResearchTopicFilter, $first: Int, $after: String) {
    researchTopics(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { title } } } }";

async fn titles(hub: &Hub, filter: Value) -> Vec<Value> {
    let data = hub.client.data(LIST, json!({ "filter": filter })).await;
    column(&data["researchTopics"], "title")
}

fn award_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $award: ResearchAward!) {{
           awardResearchTopic(id: $id, expectedVersion: $v, award: $award) {{ {TOPIC_FIELDS} }} }}"
    )
}

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $input: UpdateResearchTopicInput!) {{
           updateResearchTopic(id: $id, expectedVersion: $v, input: $input) {{ {TOPIC_FIELDS} }} }}"
    )
}

#[tokio::test]
async fn a_research_topic_is_proposed_approved_researched_concluded_with_its_report_and_awarded() {
    let hub = start().await;
    let society = hub.tree.enterprise_a.id.to_string();
    let members = [worker(), worker()];
    let topic = create_topic(
        &hub.client.acting_as("society-secretary"),
        json!({ "leadUnitId": society, "year": 2025, "title": "基层科普阵地建设现状与对策研究",
                "memberIds": members }),
    )
    .await;
    assert_eq!(topic["status"], "PROPOSED");
    assert_eq!(
        topic["members"],
        json!([{ "id": members[0] }, { "id": members[1] }])
    );
    assert_eq!(topic["allowedTransitions"], json!(["APPROVED", "REJECTED"]));
    assert_eq!(topic["report"], Value::Null);
    let looked_up = hub
        .client
        .data(
            "query($id: ID!) { researchTopic(id: $id) { title year leadUnit { id } }
               unknown: researchTopic(id: \"0190b6a0-0000-7000-8000-000000000000\") { id } }",
            json!({ "id": topic["id"] }),
        )
        .await;
    assert_eq!(looked_up["researchTopic"]["title"], topic["title"]);
    assert_eq!(looked_up["researchTopic"]["leadUnit"]["id"], society);
    assert_eq!(looked_up["unknown"], Value::Null);

    let transition = transition_topic_query();
    refused(
        &hub,
        &transition,
        json!({ "id": topic["id"], "v": 1, "to": "IN_PROGRESS" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": topic["id"], "v": 1, "to": "CONCLUDED", "report": report(2025) }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &award_query(),
        json!({ "id": topic["id"], "v": 1, "award": "FIRST" }),
        "ILLEGAL_TRANSITION",
    )
    .await;

    let staff = hub.client.acting_as("city-staff-zhao");
    let approved = step_topic(
        &staff,
        &topic,
        "APPROVED",
        Some("经专家评审，同意立项"),
        None,
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": topic["id"], "v": 2, "to": "REJECTED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    let third = worker();
    let widened = hub
        .client
        .data(
            &update_query(),
            json!({ "id": approved["id"], "v": 2, "input": { "memberIds": [members[0], members[1], third] } }),
        )
        .await["updateResearchTopic"]
        .clone();
    assert_eq!(widened["members"].as_array().unwrap().len(), 3);
    assert_eq!(widened["title"], topic["title"]);
    let researching = step_topic(&staff, &widened, "IN_PROGRESS", None, None).await;
    refused(
        &hub,
        &transition,
        json!({ "id": topic["id"], "v": 4, "to": "CONCLUDED" }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": topic["id"], "v": 4, "to": "CONCLUDED",
                "report": { "title": "报告", "submittedOn": "2024-12-31" } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": topic["id"], "v": 4, "to": "CONCLUDED",
                "report": { "title": "报告", "submittedOn": (today() + chrono::Duration::days(1)).to_string() } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": topic["id"], "v": 4, "to": "CONCLUDED",
                "report": { "title": "", "submittedOn": "2025-11-20" } }),
        "VALIDATION",
    )
    .await;
    let concluded = step_topic(
        &staff,
        &researching,
        "CONCLUDED",
        Some("通过结题验收"),
        Some(report(2025)),
    )
    .await;
    assert_eq!(concluded["report"], report(2025));
    assert_eq!(concluded["award"], Value::Null);
    refused(
        &hub,
        &update_query(),
        json!({ "id": concluded["id"], "v": concluded["version"], "input": { "title": "改" } }),
        "ILLEGAL_TRANSITION",
    )
    .await;

    let awarded = staff
        .data(
            &award_query(),
            json!({ "id": concluded["id"], "v": concluded["version"], "award": "SECOND" }),
        )
        .await["awardResearchTopic"]
        .clone();
    // The whole awarded topic: its second award with the time it was given, the report,
    // the members, who changed it last, and every step with who took it and the note.
    insta::assert_json_snapshot!("awarded_research_topic", kexie_testkit::redacted(&awarded));
    refused(
        &hub,
        &award_query(),
        json!({ "id": concluded["id"], "v": concluded["version"], "award": "FIRST" }),
        "CONFLICT",
    )
    .await;

    let archived = hub
        .client
        .data(
            &format!(
                "mutation($id: ID!, $v: Int!) {{ archiveResearchTopic(id: $id, expectedVersion: $v) {{ {TOPIC_FIELDS} }} }}"
            ),
            json!({ "id": awarded["id"], "v": awarded["version"] }),
        )
        .await["archiveResearchTopic"]
        .clone();
    assert!(archived["archivedAt"].is_string());
    assert!(titles(&hub, json!({})).await.is_empty());
    assert_eq!(
        titles(&hub, json!({ "includeArchived": true })).await.len(),
        1
    );
}

#[tokio::test]
async fn research_topic_lists_filter_by_unit_year_status_award_and_search_and_page() {
    let hub = start().await;
    let tree = &hub.tree;
    let old = create_topic(
        &hub.client,
        json!({ "leadUnitId": tree.township_a.id.to_string(), "year": 2024, "title": "茶叶加工工艺优化研究" }),
    )
    .await;
    let rejected = create_topic(
        &hub.client,
        json!({ "leadUnitId": tree.district_a.id.to_string(), "year": 2025, "title": "老年人数字素养提升调研" }),
    )
    .await;
    let current = create_topic(
        &hub.client,
        json!({ "leadUnitId": tree.district_b.id.to_string(), "year": 2025, "title": "县域医共体建设路径研究" }),
    )
    .await;
    let mut concluded = old.clone();
    for to in ["APPROVED", "IN_PROGRESS", "CONCLUDED"] {
        let report = (to == "CONCLUDED").then(|| report(2024));
        concluded = step_topic(&hub.client, &concluded, to, None, report).await;
    }
    hub.client
        .data(
            &award_query(),
            json!({ "id": concluded["id"], "v": concluded["version"], "award": "FIRST" }),
        )
        .await;
    step_topic(
        &hub.client,
        &rejected,
        "REJECTED",
        Some("与已立项课题重复"),
        None,
    )
    .await;
    let title = |record: &Value| record["title"].clone();

    assert_eq!(
        titles(&hub, json!({})).await,
        vec![title(&current), title(&rejected), title(&old)]
    );
    let district_a = tree.district_a.id.to_string();
    assert_eq!(
        titles(&hub, json!({ "unitId": district_a })).await,
        vec![title(&rejected)]
    );
    assert_eq!(
        titles(
            &hub,
            json!({ "unitId": district_a, "includeSubtree": true })
        )
        .await,
        vec![title(&rejected), title(&old)]
    );
    assert_eq!(
        titles(&hub, json!({ "year": 2025 })).await,
        vec![title(&current), title(&rejected)]
    );
    assert_eq!(
        titles(&hub, json!({ "statuses": ["REJECTED", "CONCLUDED"] })).await,
        vec![title(&rejected), title(&old)]
    );
    assert_eq!(
        titles(&hub, json!({ "awarded": true })).await,
        vec![title(&old)]
    );
    assert_eq!(
        titles(&hub, json!({ "awarded": false })).await,
        vec![title(&current), title(&rejected)]
    );
    assert_eq!(
        titles(&hub, json!({ "search": "医共体" })).await,
        vec![title(&current)]
    );
    assert_eq!(
        titles(&hub, json!({ "search": "阵地建设的调研报告" })).await,
        vec![title(&old)],
        "the report's title is searched"
    );

    let page = hub.client.data(LIST, json!({ "first": 1 })).await["researchTopics"].clone();
    assert_eq!(column(&page, "title"), vec![title(&current)]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            LIST,
            json!({ "first": 5, "after": page["pageInfo"]["endCursor"] }),
        )
        .await["researchTopics"]
        .clone();
    assert_eq!(column(&next, "title"), vec![title(&rejected), title(&old)]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn invalid_research_topics_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    let create = create_topic_query();
    let unit = hub.tree.district_a.id.to_string();
    let valid = json!({ "leadUnitId": unit, "year": 2026, "title": "科技成果转化研究" });
    let with = |key: &str, value: Value| {
        let mut input = valid.clone();
        input[key] = value;
        json!({ "input": input })
    };
    let one = worker();
    let thirty_one: Vec<String> = (0..31).map(|_| worker()).collect();
    let cases = [
        (with("year", json!(-5)), "VALIDATION"),
        (with("year", json!(3000)), "VALIDATION"),
        (with("title", json!("")), "VALIDATION"),
        (with("title", json!("题".repeat(201))), "VALIDATION"),
        (with("memberIds", json!([one, one])), "VALIDATION"),
        (with("memberIds", json!(["member-1"])), "VALIDATION"),
        (with("memberIds", json!(thirty_one)), "VALIDATION"),
        (
            with("leadUnitId", json!("0190b6a0-0000-7000-8000-000000000000")),
            "NOT_FOUND",
        ),
        (
            with("leadUnitId", json!(hub.merged.id.to_string())),
            "VALIDATION",
        ),
        (with("leadUnitId", json!("")), "VALIDATION"),
    ];
    for (variables, code) in cases {
        refused(&hub, &create, variables, code).await;
    }
    let topic = create_topic(&hub.client, valid.clone()).await;
    let update = update_query();
    for (variables, code) in [
        (
            json!({ "id": topic["id"], "v": 2, "input": { "title": "新" } }),
            "CONFLICT",
        ),
        (
            json!({ "id": topic["id"], "v": 1, "input": { "year": 0 } }),
            "VALIDATION",
        ),
        (
            json!({ "id": topic["id"], "v": 1, "input": { "leadUnitId": hub.merged.id.to_string() } }),
            "VALIDATION",
        ),
        (
            json!({ "id": "0190b6a0-0000-7000-8000-000000000000", "v": 1, "input": {} }),
            "NOT_FOUND",
        ),
    ] {
        refused(&hub, &update, variables, code).await;
    }
    refused(
        &hub,
        LIST,
        json!({ "filter": { "year": -1 } }),
        "VALIDATION",
    )
    .await;
    refused(&hub, LIST, json!({ "first": -3 }), "VALIDATION").await;

    let input = json!({ "leadUnitId": unit, "year": 2026, "title": "重试的课题", "idempotencyKey": "topic-1" });
    let first = create_topic(&hub.client, input.clone()).await;
    let before = fingerprint(&hub.pool).await;
    assert_eq!(create_topic(&hub.client, input).await["id"], first["id"]);
    assert_eq!(fingerprint(&hub.pool).await, before);
}

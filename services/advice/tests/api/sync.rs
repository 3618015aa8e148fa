//! Incremental sync (`filter.updatedSince`) of campaigns, submissions and research topics:
//! each top-level list reads the records changed since, in commit order, from a cursor of
//! its own; a record changed again comes again; archived ones come with includeArchived.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn every_top_level_list_syncs_in_commit_order_from_a_cursor() {
    let hub = start().await;
    let unit = hub.tree.district_a.id;
    create_campaign(
        &hub.client,
        json!({ "organizerId": unit.to_string(), "title": "“我为发展献一计”活动",
                "kind": "IDEA_SOLICITATION", "opensOn": "2025-03-01", "closesOn": "2025-06-30" }),
    )
    .await;
    let submission = create_submission(&hub.client, submission_input(unit, json!({}))).await;
    create_topic(
        &hub.client,
        json!({ "leadUnitId": unit.to_string(), "year": 2025, "title": "基层科普阵地建设现状与对策研究" }),
    )
    .await;

    for list in ["campaigns", "submissions", "researchTopics"] {
        let query = format!(
            "query($since: DateTime!, $after: String) {{
               {list}(filter: {{ updatedSince: $since, includeArchived: true }}, first: 5, after: $after) {{
                 edges {{ node {{ id version archivedAt }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let read = |since: &str, after: Option<String>| {
            let (client, query) = (hub.client.clone(), query.clone());
            let since = since.to_string();
            async move {
                client
                    .data(&query, json!({ "since": since, "after": after }))
                    .await[list]
                    .clone()
            }
        };
        // Sync reads hold back changes newer than the oldest transaction still running
        // anywhere on the server: poll, as a mirror does.
        let settled = |after: Option<String>| {
            let read = &read;
            async move {
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let page: Value = read("1970-01-01T00:00:00Z", after.clone()).await;
                    if page["edges"] != json!([]) || Instant::now() > deadline {
                        return page;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let first = settled(None).await;
        assert_eq!(
            first["edges"].as_array().unwrap().len(),
            1,
            "{list}: {first}"
        );
        let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_string();
        assert!(cursor.starts_with("s1:"), "{list}: {cursor}");
        assert_eq!(
            read("1970-01-01T00:00:00Z", Some(cursor.clone())).await["edges"],
            json!([]),
            "{list}"
        );
        assert_eq!(
            read("2999-01-01T00:00:00Z", None).await["edges"],
            json!([]),
            "{list}"
        );
        if list == "submissions" {
            // Archived, it comes again after the cursor, archived.
            hub.client
                .data(
                    "mutation($id: ID!, $v: Int!) { archiveSubmission(id: $id, expectedVersion: $v) { id } }",
                    json!({ "id": submission["id"], "v": submission["version"] }),
                )
                .await;
            let again = settled(Some(cursor)).await;
            assert_eq!(again["edges"][0]["node"]["id"], submission["id"]);
            assert!(again["edges"][0]["node"]["archivedAt"].is_string());
        }
    }
    // Per-unit lists do not sync.
    refused(
        &hub,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
             submissions(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }) { edges { node { id } } } } } }",
        json!({ "r": [{ "__typename": "Unit", "id": unit.to_string() }] }),
        "VALIDATION",
    )
    .await;
}

#[tokio::test]
async fn lists_page_backward_as_well_as_forward() {
    let hub = start().await;
    for _ in 0..4 {
        create_submission(
            &hub.client,
            submission_input(hub.tree.district_a.id, json!({})),
        )
        .await;
    }
    let all = kexie_testkit::assert_pages_both_ways(
        &hub.client,
        "query($cursor: String) { submissions(PAGE) { SELECTION } }",
        json!({}),
        "/submissions",
    )
    .await;
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn every_top_level_list_sorts_in_each_order() {
    let hub = start().await;
    let unit = hub.tree.district_a.id;
    for (title, kind, opens, closes) in [
        (
            "“我为发展献一计”活动",
            "IDEA_SOLICITATION",
            "2025-03-01",
            "2025-06-30",
        ),
        (
            "年度调研课题征集",
            "RESEARCH_TOPIC_CALL",
            "2025-01-10",
            "2025-02-28",
        ),
        (
            "关键核心技术难题征集",
            "KEY_TECH_BOTTLENECK",
            "2025-03-01",
            "2025-09-30",
        ),
    ] {
        create_campaign(
            &hub.client,
            json!({ "organizerId": unit.to_string(), "title": title, "kind": kind,
                    "opensOn": opens, "closesOn": closes }),
        )
        .await;
    }
    let mut submissions = Vec::new();
    for title in [
        "关于推动电子信息产业高质量发展的建议",
        "关于加强基层科普阵地建设的建议",
        "关于培育青年科技人才的建议",
    ] {
        submissions.push(
            create_submission(
                &hub.client,
                submission_input(unit, json!({ "title": title })),
            )
            .await,
        );
    }
    hub.client
        .data(
            "mutation($id: ID!, $v: Int!) { transitionSubmission(id: $id, expectedVersion: $v, to: SUBMITTED) { id } }",
            json!({ "id": submissions[1]["id"], "v": submissions[1]["version"] }),
        )
        .await;
    for (year, title) in [
        (2025, "基层科普阵地建设现状与对策研究"),
        (2024, "科技人才评价机制改革研究"),
        (2025, "产业链关键技术攻关路径研究"),
    ] {
        create_topic(
            &hub.client,
            json!({ "leadUnitId": unit.to_string(), "year": year, "title": title }),
        )
        .await;
    }
    for (list, order_field) in [
        ("campaigns", "CampaignOrderField"),
        ("submissions", "SubmissionOrderField"),
        ("researchTopics", "ResearchTopicOrderField"),
    ] {
        kexie_testkit::assert_every_order(
            &hub.client,
            &hub.pool,
            &format!("query($cursor: String) {{ {list}(ORDER PAGE) {{ SELECTION }} }}"),
            json!({}),
            &format!("/{list}"),
            order_field,
        )
        .await;
    }
}

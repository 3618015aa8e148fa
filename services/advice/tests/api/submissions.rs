//! Submissions (建议): the workflow "征集、提炼、报送" with its history, edits, lists, and bad
//! input.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::support::*;

const LIST: &str = "query($filter: SubmissionFilter, $first: Int, $after: String) {
    submissions(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { title } } } }";

async fn titles(hub: &Hub, filter: Value) -> Vec<Value> {
    let data = hub.client.data(LIST, json!({ "filter": filter })).await;
    column(&data["submissions"], "title")
}

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $input: UpdateSubmissionInput!) {{
           updateSubmission(id: $id, expectedVersion: $v, input: $input) {{ {SUBMISSION_FIELDS} }} }}"
    )
}

#[tokio::test]
async fn a_submission_goes_from_draft_to_adoption_and_its_history_records_who_when_and_the_note() {
    let hub = start().await;
    let started = Utc::now() - Duration::seconds(5);
    let first_author = worker();
    let second_author = worker();
    let author = hub.client.acting_as("worker-liu");
    let submission = create_submission(
        &author,
        submission_input(
            hub.tree.enterprise_a.id,
            json!({ "authorIds": [first_author, second_author] }),
        ),
    )
    .await;
    assert_eq!(submission["status"], "DRAFT");
    assert_eq!(submission["version"], 1);
    assert_eq!(submission["submittedOn"], Value::Null);
    assert_eq!(
        submission["authors"],
        json!([{ "id": first_author }, { "id": second_author }]),
        "authors keep their order"
    );
    assert_eq!(
        submission["submittingUnit"]["id"],
        hub.tree.enterprise_a.id.to_string()
    );
    assert_eq!(submission["allowedTransitions"], json!(["SUBMITTED"]));
    let looked_up = hub
        .client
        .data(
            "query($id: ID!) { submission(id: $id) { title authors { id } history { toStatus actor } }
               unknown: submission(id: \"0190b6a0-0000-7000-8000-000000000000\") { id } }",
            json!({ "id": submission["id"] }),
        )
        .await;
    assert_eq!(looked_up["submission"]["title"], submission["title"]);
    assert_eq!(looked_up["submission"]["authors"], submission["authors"]);
    assert_eq!(
        looked_up["submission"]["history"],
        json!([{ "toStatus": "DRAFT", "actor": "worker-liu" }])
    );
    assert_eq!(looked_up["unknown"], Value::Null);
    assert_eq!(
        hub.client
            .error_code("{ submission(id: \"not-an-id\") { id } }", json!({}))
            .await,
        "VALIDATION"
    );

    let submitted = step(&author, &submission, "SUBMITTED", Some("请审阅"), None).await;
    assert_eq!(submitted["submittedOn"], today().to_string());
    let staff = hub.client.acting_as("city-staff-wang");
    let reviewing = step(&staff, &submitted, "UNDER_REVIEW", None, None).await;
    assert_eq!(
        reviewing["allowedTransitions"],
        json!(["REFINED", "RETURNED", "CLOSED"])
    );
    let refined = step(&staff, &reviewing, "REFINED", Some("已提炼成专报"), None).await;
    let forwarded = step(
        &staff,
        &refined,
        "FORWARDED",
        Some("报送市委、市政府"),
        None,
    )
    .await;
    let instructed = step(
        &staff,
        &forwarded,
        "INSTRUCTED",
        Some("市长批示"),
        Some(
            json!({ "leaderLevel": "CITY", "leader": "市长", "note": "请市经信局研究吸收。",
                     "instructedOn": today().to_string() }),
        ),
    )
    .await;
    assert_eq!(
        instructed["instruction"],
        json!({ "leaderLevel": "CITY", "leader": "市长", "note": "请市经信局研究吸收。",
                "instructedOn": today().to_string() })
    );
    let adopted = step(&staff, &instructed, "ADOPTED", Some("已写入工作方案"), None).await;
    // The whole adopted submission: ADOPTED at version 7 with no step left, written by its
    // author and last changed by the reviewer, the instruction kept, and every step of the
    // history with who took it and the note, oldest first.
    insta::assert_json_snapshot!("adopted_submission", kexie_testkit::redacted(&adopted));
    let history = adopted["history"].as_array().unwrap();
    let times: Vec<DateTime<Utc>> = history
        .iter()
        .map(|change| change["changedAt"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|pair| pair[0] <= pair[1]),
        "oldest first: {times:?}"
    );
    assert!(times[0] >= started && *times.last().unwrap() <= Utc::now() + Duration::seconds(5));

    for to in ["SUBMITTED", "CLOSED", "RETURNED", "DRAFT"] {
        refused(
            &hub,
            &transition_submission_query(),
            json!({ "id": adopted["id"], "v": 7, "to": to }),
            "ILLEGAL_TRANSITION",
        )
        .await;
    }
}

#[tokio::test]
async fn a_returned_submission_is_revised_and_submitted_again_keeping_its_first_submission_day() {
    let hub = start().await;
    let draft = create_submission(
        &hub.client,
        submission_input(hub.tree.township_a.id, json!({})),
    )
    .await;
    let new_author = worker();
    let edited = hub
        .client
        .data(
            &update_query(),
            json!({ "id": draft["id"], "v": 1,
                    "input": { "title": "关于做大做强茶叶特色产业的建议", "category": "AGRICULTURE",
                               "authorIds": [new_author] } }),
        )
        .await["updateSubmission"]
        .clone();
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["category"], "AGRICULTURE");
    assert_eq!(edited["summary"], draft["summary"], "absent fields stay");
    assert_eq!(edited["authors"], json!([{ "id": new_author }]));

    let reviewing = walk(&hub.client, edited, &["SUBMITTED", "UNDER_REVIEW"]).await;
    let first_day = reviewing["submittedOn"].clone();
    refused(
        &hub,
        &update_query(),
        json!({ "id": reviewing["id"], "v": reviewing["version"], "input": { "title": "改" } }),
        "ILLEGAL_TRANSITION",
    )
    .await;

    let returned = step(
        &hub.client,
        &reviewing,
        "RETURNED",
        Some("请补充调研数据"),
        None,
    )
    .await;
    assert_eq!(returned["allowedTransitions"], json!(["SUBMITTED"]));
    let revised = hub
        .client
        .data(
            &update_query(),
            json!({ "id": returned["id"], "v": returned["version"],
                    "input": { "body": "一、基本情况（补充了调研数据）" } }),
        )
        .await["updateSubmission"]
        .clone();
    assert_eq!(revised["body"], "一、基本情况（补充了调研数据）");
    let resubmitted = step(&hub.client, &revised, "SUBMITTED", None, None).await;
    assert_eq!(resubmitted["submittedOn"], first_day);
    let closed = walk(
        &hub.client,
        resubmitted,
        &["UNDER_REVIEW", "REFINED", "CLOSED"],
    )
    .await;
    assert_eq!(closed["status"], "CLOSED");
    let statuses: Vec<Value> = closed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["toStatus"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            "DRAFT",
            "SUBMITTED",
            "UNDER_REVIEW",
            "RETURNED",
            "SUBMITTED",
            "UNDER_REVIEW",
            "REFINED",
            "CLOSED"
        ]
        .map(Value::from)
        .to_vec()
    );
}

#[tokio::test]
async fn illegal_submission_transitions_are_refused_and_change_nothing() {
    let hub = start().await;
    let transition = transition_submission_query();
    let draft = create_submission(
        &hub.client,
        submission_input(hub.tree.district_a.id, json!({})),
    )
    .await;
    for to in [
        "FORWARDED",
        "ADOPTED",
        "UNDER_REVIEW",
        "CLOSED",
        "RETURNED",
        "DRAFT",
    ] {
        refused(
            &hub,
            &transition,
            json!({ "id": draft["id"], "v": 1, "to": to }),
            "ILLEGAL_TRANSITION",
        )
        .await;
    }
    let submitted = step(&hub.client, &draft, "SUBMITTED", None, None).await;
    refused(
        &hub,
        &transition,
        json!({ "id": submitted["id"], "v": 2, "to": "CLOSED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": submitted["id"], "v": 1, "to": "UNDER_REVIEW" }),
        "CONFLICT",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": submitted["id"], "v": 2, "to": "UNDER_REVIEW", "note": "注".repeat(1001) }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": submitted["id"], "v": 2, "to": "UNDER_REVIEW",
                "instruction": { "leaderLevel": "CITY", "instructedOn": today().to_string() } }),
        "VALIDATION",
    )
    .await;

    let forwarded = walk(
        &hub.client,
        submitted,
        &["UNDER_REVIEW", "REFINED", "FORWARDED"],
    )
    .await;
    let v = forwarded["version"].clone();
    refused(
        &hub,
        &transition,
        json!({ "id": forwarded["id"], "v": v, "to": "CLOSED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": forwarded["id"], "v": v, "to": "ADOPTED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": forwarded["id"], "v": v, "to": "INSTRUCTED" }),
        "VALIDATION",
    )
    .await;
    let tomorrow = (today() + Duration::days(1)).to_string();
    refused(
        &hub,
        &transition,
        json!({ "id": forwarded["id"], "v": v, "to": "INSTRUCTED",
                "instruction": { "leaderLevel": "PROVINCIAL", "instructedOn": tomorrow } }),
        "VALIDATION",
    )
    .await;
    let before_submission = (today() - Duration::days(1)).to_string();
    refused(
        &hub,
        &transition,
        json!({ "id": forwarded["id"], "v": v, "to": "INSTRUCTED",
                "instruction": { "leaderLevel": "PROVINCIAL", "instructedOn": before_submission } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": forwarded["id"], "v": v, "to": "INSTRUCTED",
                "instruction": { "leaderLevel": "PROVINCIAL", "leader": "长".repeat(101),
                                 "instructedOn": today().to_string() } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": "0190b6a0-0000-7000-8000-000000000000", "v": 1, "to": "SUBMITTED" }),
        "NOT_FOUND",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": "12345", "v": 1, "to": "SUBMITTED" }),
        "VALIDATION",
    )
    .await;
}

#[tokio::test]
async fn invalid_submissions_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    let create = create_submission_query();
    let unit = hub.tree.district_a.id;
    let campaign = create_campaign(
        &hub.client,
        json!({ "organizerId": unit.to_string(), "title": "献一计", "kind": "IDEA_SOLICITATION",
                "opensOn": "2026-03-01", "closesOn": "2026-06-30" }),
    )
    .await;
    let archived_campaign = create_campaign(
        &hub.client,
        json!({ "organizerId": unit.to_string(), "title": "旧征集", "kind": "IDEA_SOLICITATION",
                "opensOn": "2025-03-01", "closesOn": "2025-06-30" }),
    )
    .await;
    hub.client
        .data(
            "mutation($id: ID!) { archiveCampaign(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": archived_campaign["id"] }),
        )
        .await;
    let one = worker();
    let twenty_one: Vec<String> = (0..21).map(|_| worker()).collect();
    let cases = [
        (json!({ "authorIds": [] }), "VALIDATION"),
        (json!({ "authorIds": twenty_one }), "VALIDATION"),
        (json!({ "authorIds": [one, one] }), "VALIDATION"),
        (json!({ "authorIds": ["not-a-worker-id"] }), "VALIDATION"),
        (json!({ "submittingUnitId": "bad" }), "VALIDATION"),
        (
            json!({ "submittingUnitId": "0190b6a0-0000-7000-8000-000000000000" }),
            "NOT_FOUND",
        ),
        (
            json!({ "submittingUnitId": hub.merged.id.to_string() }),
            "VALIDATION",
        ),
        (json!({ "title": "" }), "VALIDATION"),
        (json!({ "title": "题".repeat(201) }), "VALIDATION"),
        (json!({ "summary": " \n " }), "VALIDATION"),
        (json!({ "body": "文".repeat(20_001) }), "VALIDATION"),
        (json!({ "channel": "CAMPAIGN" }), "VALIDATION"),
        (
            json!({ "channel": "CAMPAIGN", "campaignId": "0190b6a0-0000-7000-8000-000000000000" }),
            "NOT_FOUND",
        ),
        (
            json!({ "channel": "CAMPAIGN", "campaignId": "x" }),
            "VALIDATION",
        ),
        (
            json!({ "channel": "CAMPAIGN", "campaignId": archived_campaign["id"] }),
            "VALIDATION",
        ),
    ];
    for (overrides, code) in cases {
        refused(
            &hub,
            &create,
            json!({ "input": submission_input(unit, overrides) }),
            code,
        )
        .await;
    }

    let accepted = create_submission(
        &hub.client,
        submission_input(
            unit,
            json!({ "channel": "CAMPAIGN", "campaignId": campaign["id"],
                                       "body": "文".repeat(20_000) }),
        ),
    )
    .await;
    assert_eq!(accepted["campaign"]["title"], "献一计");
    let update = update_query();
    let cases = [
        (json!({ "campaignId": null }), "VALIDATION"),
        (json!({ "authorIds": [] }), "VALIDATION"),
        (
            json!({ "submittingUnitId": hub.merged.id.to_string() }),
            "VALIDATION",
        ),
        (
            json!({ "campaignId": archived_campaign["id"] }),
            "VALIDATION",
        ),
        (json!({ "body": "" }), "VALIDATION"),
    ];
    for (input, code) in cases {
        refused(
            &hub,
            &update,
            json!({ "id": accepted["id"], "v": 1, "input": input }),
            code,
        )
        .await;
    }
    refused(
        &hub,
        &update,
        json!({ "id": accepted["id"], "v": 2, "input": {} }),
        "CONFLICT",
    )
    .await;
    let detached = hub
        .client
        .data(
            &update,
            json!({ "id": accepted["id"], "v": 1, "input": { "channel": "DIRECT", "campaignId": null } }),
        )
        .await["updateSubmission"]
        .clone();
    assert_eq!(detached["campaign"], Value::Null);
    refused(
        &hub,
        LIST,
        json!({ "filter": { "submittedFrom": "2026-05-01", "submittedTo": "2026-04-01" } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        LIST,
        json!({ "filter": { "search": "搜".repeat(101) } }),
        "VALIDATION",
    )
    .await;
}

#[tokio::test]
async fn a_partner_bureau_retrying_a_create_with_the_same_idempotency_key_gets_the_first_submission(
) {
    let hub = start().await;
    let bureau = hub.client.acting_as("partner:agriculture-bureau");
    let input = submission_input(
        hub.tree.township_b.id,
        json!({ "submit": true, "idempotencyKey": "nyj-2026-11-0042", "category": "AGRICULTURE" }),
    );
    let first = create_submission(&bureau, input.clone()).await;
    assert_eq!(first["status"], "SUBMITTED", "submitted in the same write");
    assert_eq!(first["version"], 2);
    assert_eq!(first["submittedOn"], today().to_string());
    assert_eq!(first["history"].as_array().unwrap().len(), 2);
    let before = fingerprint(&hub.pool).await;
    let retried = create_submission(&bureau, input).await;
    assert_eq!(retried["id"], first["id"]);
    assert_eq!(retried["history"], first["history"]);
    assert_eq!(
        fingerprint(&hub.pool).await,
        before,
        "the retry wrote nothing"
    );
    assert_eq!(count(&hub.pool, "submission").await, 1);
}

#[tokio::test]
async fn submission_lists_filter_by_every_field_and_page_and_leave_archived_ones_out() {
    let hub = start().await;
    let tree = &hub.tree;
    let campaign = create_campaign(
        &hub.client,
        json!({ "organizerId": tree.city.id.to_string(), "title": "我为巴中发展献一计", "kind": "IDEA_SOLICITATION",
                "opensOn": "2026-03-01", "closesOn": "2026-12-31" }),
    )
    .await;
    let shared_author = worker();
    let a = create_submission(
        &hub.client,
        submission_input(
            tree.district_a.id,
            json!({ "title": "甲：关于电子信息产业的建议", "authorIds": [shared_author] }),
        ),
    )
    .await;
    let b = create_submission(
        &hub.client,
        submission_input(tree.township_a.id, json!({ "title": "乙：关于茶叶加工的建议", "category": "AGRICULTURE",
            "channel": "CAMPAIGN", "campaignId": campaign["id"], "authorIds": [worker(), shared_author] })),
    )
    .await;
    let c = create_submission(
        &hub.client,
        submission_input(
            tree.district_b.id,
            json!({ "title": "丙：关于县域医共体的建议", "category": "HEALTH",
            "channel": "SOCIETY_RESEARCH", "summary": "完善100%覆盖的医共体" }),
        ),
    )
    .await;
    let d = create_submission(
        &hub.client,
        submission_input(
            tree.enterprise_a.id,
            json!({ "title": "丁：关于工业软件卡脖子问题的建议",
            "category": "KEY_TECH_BOTTLENECK" }),
        ),
    )
    .await;
    walk(&hub.client, b.clone(), &["SUBMITTED", "UNDER_REVIEW"]).await;
    walk(&hub.client, c.clone(), &["SUBMITTED"]).await;
    let archived = walk(&hub.client, d.clone(), &["SUBMITTED"]).await;
    hub.client
        .data(
            "mutation($id: ID!, $v: Int!) { archiveSubmission(id: $id, expectedVersion: $v) { archivedAt } }",
            json!({ "id": archived["id"], "v": archived["version"] }),
        )
        .await;
    let title = |record: &Value| record["title"].clone();

    assert_eq!(
        titles(&hub, json!({})).await,
        vec![title(&c), title(&b), title(&a)]
    );
    assert_eq!(
        titles(&hub, json!({ "includeArchived": true })).await,
        vec![title(&d), title(&c), title(&b), title(&a)]
    );
    let district_a = tree.district_a.id.to_string();
    assert_eq!(
        titles(&hub, json!({ "unitId": district_a })).await,
        vec![title(&a)]
    );
    assert_eq!(
        titles(
            &hub,
            json!({ "unitId": district_a, "includeSubtree": true })
        )
        .await,
        vec![title(&b), title(&a)]
    );
    assert_eq!(
        titles(
            &hub,
            json!({ "unitId": district_a, "includeSubtree": true, "includeArchived": true })
        )
        .await,
        vec![title(&d), title(&b), title(&a)]
    );
    assert_eq!(
        titles(&hub, json!({ "statuses": ["UNDER_REVIEW", "DRAFT"] })).await,
        vec![title(&b), title(&a)]
    );
    assert_eq!(
        titles(&hub, json!({ "categories": ["HEALTH"] })).await,
        vec![title(&c)]
    );
    assert_eq!(
        titles(
            &hub,
            json!({ "channels": ["CAMPAIGN", "SOCIETY_RESEARCH"] })
        )
        .await,
        vec![title(&c), title(&b)]
    );
    assert_eq!(
        titles(&hub, json!({ "campaignId": campaign["id"] })).await,
        vec![title(&b)]
    );
    assert_eq!(
        titles(&hub, json!({ "authorId": shared_author })).await,
        vec![title(&b), title(&a)]
    );
    let day = today().to_string();
    assert_eq!(
        titles(&hub, json!({ "submittedFrom": day, "submittedTo": day })).await,
        vec![title(&c), title(&b)],
        "drafts have no submission day"
    );
    assert!(titles(
        &hub,
        json!({ "submittedTo": (today() - Duration::days(1)).to_string() })
    )
    .await
    .is_empty());
    assert_eq!(
        titles(&hub, json!({ "search": "茶叶" })).await,
        vec![title(&b)]
    );
    assert_eq!(
        titles(&hub, json!({ "search": "100%" })).await,
        vec![title(&c)],
        "the summary is searched"
    );

    let page = hub.client.data(LIST, json!({ "first": 2 })).await["submissions"].clone();
    assert_eq!(column(&page, "title"), vec![title(&c), title(&b)]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            LIST,
            json!({ "first": 2, "after": page["pageInfo"]["endCursor"] }),
        )
        .await["submissions"]
        .clone();
    assert_eq!(column(&next, "title"), vec![title(&a)]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);

    let looked_up = hub
        .client
        .data(
            "query($id: ID!) { submission(id: $id) { archivedAt status } }",
            json!({ "id": d["id"] }),
        )
        .await;
    assert!(
        looked_up["submission"]["archivedAt"].is_string(),
        "archived ones can still be looked up"
    );
    refused(
        &hub,
        &transition_submission_query(),
        json!({ "id": archived["id"], "v": archived["version"].as_i64().unwrap() + 1, "to": "UNDER_REVIEW" }),
        "NOT_FOUND",
    )
    .await;
}

//! Who may change and read advice: staff within their subtree, the review of a submission
//! by the association above its submitting unit, partner keys that submit advice within
//! their own submissions, reads for staff, figures for the unit's own subtree.

use chrono::Datelike;
use serde_json::{json, Value};

use kexie_contract::principal::{Role, Scope};
use kexie_subgraph_kit::unit_tree::ReplicatedUnit;
use kexie_testkit::GraphqlClient;

use crate::support::*;

const UPDATE_SUBMISSION: &str = "mutation($id: ID!, $v: Int!, $input: UpdateSubmissionInput!) {
    updateSubmission(id: $id, expectedVersion: $v, input: $input) {
      id title status version submittingUnit { id } updatedBy } }";
const TRANSITION_SUBMISSION: &str =
    "mutation($id: ID!, $v: Int!, $to: SubmissionStatus!, $instruction: InstructionInput) {
    transitionSubmission(id: $id, expectedVersion: $v, to: $to, instruction: $instruction) {
      id status version updatedBy } }";
const ARCHIVE_SUBMISSION: &str = "mutation($id: ID!, $v: Int!) {
    archiveSubmission(id: $id, expectedVersion: $v) { id archivedAt version } }";
const UPDATE_CAMPAIGN: &str = "mutation($id: ID!, $v: Int!, $input: UpdateCampaignInput!) {
    updateCampaign(id: $id, expectedVersion: $v, input: $input) { id title version organizer { id } } }";
const ARCHIVE_CAMPAIGN: &str = "mutation($id: ID!, $v: Int!) {
    archiveCampaign(id: $id, expectedVersion: $v) { id archivedAt version } }";
const UPDATE_TOPIC: &str = "mutation($id: ID!, $v: Int!, $input: UpdateResearchTopicInput!) {
    updateResearchTopic(id: $id, expectedVersion: $v, input: $input) { id title version } }";
const TRANSITION_TOPIC: &str = "mutation($id: ID!, $v: Int!, $to: ResearchTopicStatus!) {
    transitionResearchTopic(id: $id, expectedVersion: $v, to: $to) { id status version } }";
const AWARD_TOPIC: &str = "mutation($id: ID!, $v: Int!, $award: ResearchAward!) {
    awardResearchTopic(id: $id, expectedVersion: $v, award: $award) { id award version } }";
const ARCHIVE_TOPIC: &str = "mutation($id: ID!, $v: Int!) {
    archiveResearchTopic(id: $id, expectedVersion: $v) { id archivedAt version } }";

const SUBMISSION: &str = "query($id: ID!) { submission(id: $id) { id title status version } }";
const SUBMISSIONS: &str = "query($filter: SubmissionFilter) {
    submissions(filter: $filter) { edges { node { title } } } }";

fn campaign_input(unit: &ReplicatedUnit, title: &str) -> Value {
    json!({ "organizerId": unit.id.to_string(), "title": title, "kind": "IDEA_SOLICITATION",
            "opensOn": "2026-03-01", "closesOn": "2026-06-30" })
}

fn topic_input(unit: &ReplicatedUnit, title: &str) -> Value {
    json!({ "leadUnitId": unit.id.to_string(), "year": today().year(), "title": title })
}

/// The records of district A's subtree the mutations are tried on, as the city's
/// administrators made them: one for each mutation that changes a record, so that a client
/// allowed everything can make them all in a row.
struct Records {
    /// Township A's drafts: to update, to submit, to archive.
    draft: Value,
    to_submit: Value,
    to_archive: Value,
    /// A submitted one of township A, to review.
    submitted: Value,
    /// District A's campaigns: to update, to archive.
    campaign: Value,
    campaign_to_archive: Value,
    /// Topics led by district A: proposed (to update, to approve, to archive) and one
    /// concluded (to award).
    topic: Value,
    topic_to_approve: Value,
    topic_to_archive: Value,
    concluded: Value,
}

async fn district_a_records(hub: &Hub) -> Records {
    let township = hub.tree.township_a.id;
    let draft = |title: &str| submission_input(township, json!({ "title": title }));
    let district = &hub.tree.district_a;
    let mut concluded =
        create_topic(&hub.client, topic_input(district, "巴州区科技人才调研")).await;
    for to in ["APPROVED", "IN_PROGRESS"] {
        concluded = step_topic(&hub.client, &concluded, to, None, None).await;
    }
    concluded = step_topic(
        &hub.client,
        &concluded,
        "CONCLUDED",
        None,
        Some(json!({ "title": "调研报告", "submittedOn": today().to_string() })),
    )
    .await;
    Records {
        draft: create_submission(&hub.client, draft("关于推动电子信息产业发展的建议")).await,
        to_submit: create_submission(&hub.client, draft("关于完善科普设施的建议")).await,
        to_archive: create_submission(&hub.client, draft("一份重复的建议")).await,
        submitted: create_submission(
            &hub.client,
            submission_input(
                township,
                json!({ "title": "关于发展特色农业的建议", "submit": true }),
            ),
        )
        .await,
        campaign: create_campaign(&hub.client, campaign_input(district, "我为巴州发展献一计"))
            .await,
        campaign_to_archive: create_campaign(
            &hub.client,
            campaign_input(district, "卡脖子问题征集"),
        )
        .await,
        topic: create_topic(&hub.client, topic_input(district, "巴州区科普阵地建设调研")).await,
        topic_to_approve: create_topic(&hub.client, topic_input(district, "巴州区企业科协调研"))
            .await,
        topic_to_archive: create_topic(&hub.client, topic_input(district, "一个重复的课题")).await,
        concluded,
    }
}

/// The `extensions.code` of the first error of `query` sent by `client`; empty when it
/// succeeds.
async fn code(client: &GraphqlClient, query: &str, variables: Value) -> String {
    let body = client.post(query, variables).await;
    match body.get("errors") {
        Some(errors) => errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error without a code: {body:#}"))
            .to_string(),
        None => String::new(),
    }
}

/// Tries every mutation on `records` as `client`, with inputs that succeed for the city's
/// administrators; the code of each (empty for success), by mutation.
async fn every_mutation(
    hub: &Hub,
    client: &GraphqlClient,
    records: &Records,
) -> Vec<(&'static str, String)> {
    let r = records;
    let attempts: Vec<(&str, String, Value)> = vec![
        (
            "createSubmission",
            create_submission_query(),
            json!({ "input": submission_input(hub.tree.township_a.id, json!({})) }),
        ),
        (
            "updateSubmission",
            UPDATE_SUBMISSION.to_string(),
            json!({ "id": r.draft["id"], "v": 1, "input": { "title": "改过的建议" } }),
        ),
        (
            "transitionSubmission (submit)",
            TRANSITION_SUBMISSION.to_string(),
            json!({ "id": r.to_submit["id"], "v": 1, "to": "SUBMITTED" }),
        ),
        (
            "transitionSubmission (review)",
            TRANSITION_SUBMISSION.to_string(),
            json!({ "id": r.submitted["id"], "v": r.submitted["version"], "to": "UNDER_REVIEW" }),
        ),
        (
            "archiveSubmission",
            ARCHIVE_SUBMISSION.to_string(),
            json!({ "id": r.to_archive["id"], "v": 1 }),
        ),
        (
            "createCampaign",
            CREATE_CAMPAIGN.to_string(),
            json!({ "input": campaign_input(&hub.tree.township_a, "清江镇献一计") }),
        ),
        (
            "updateCampaign",
            UPDATE_CAMPAIGN.to_string(),
            json!({ "id": r.campaign["id"], "v": 1, "input": { "title": "改过的征集" } }),
        ),
        (
            "archiveCampaign",
            ARCHIVE_CAMPAIGN.to_string(),
            json!({ "id": r.campaign_to_archive["id"], "v": 1 }),
        ),
        (
            "createResearchTopic",
            create_topic_query(),
            json!({ "input": topic_input(&hub.tree.district_a, "新课题") }),
        ),
        (
            "updateResearchTopic",
            UPDATE_TOPIC.to_string(),
            json!({ "id": r.topic["id"], "v": 1, "input": { "title": "改过的课题" } }),
        ),
        (
            "transitionResearchTopic",
            TRANSITION_TOPIC.to_string(),
            json!({ "id": r.topic_to_approve["id"], "v": 1, "to": "APPROVED" }),
        ),
        (
            "awardResearchTopic",
            AWARD_TOPIC.to_string(),
            json!({ "id": r.concluded["id"], "v": r.concluded["version"], "award": "FIRST" }),
        ),
        (
            "archiveResearchTopic",
            ARCHIVE_TOPIC.to_string(),
            json!({ "id": r.topic_to_archive["id"], "v": 1 }),
        ),
    ];
    let mut codes = Vec::new();
    for (name, mutation, variables) in attempts {
        codes.push((name, code(client, &mutation, variables).await));
    }
    codes
}

/// Every changed record as the city's administrators read it back.
async fn read_back(hub: &Hub, records: &Records) -> Value {
    let r = records;
    hub.client
        .data(
            "query($s1: ID!, $s2: ID!, $s3: ID!, $s4: ID!, $c1: ID!, $c2: ID!,
                   $t1: ID!, $t2: ID!, $t3: ID!, $t4: ID!) {
               draft: submission(id: $s1) { title status version archivedAt }
               toSubmit: submission(id: $s2) { status version }
               toArchive: submission(id: $s3) { version archivedAt }
               submitted: submission(id: $s4) { status version }
               campaign(id: $c1) { title version }
               campaignToArchive: campaign(id: $c2) { version archivedAt }
               topic: researchTopic(id: $t1) { title version }
               topicToApprove: researchTopic(id: $t2) { status version }
               topicToArchive: researchTopic(id: $t3) { version archivedAt }
               concluded: researchTopic(id: $t4) { award version } }",
            json!({ "s1": r.draft["id"], "s2": r.to_submit["id"], "s3": r.to_archive["id"],
                    "s4": r.submitted["id"], "c1": r.campaign["id"],
                    "c2": r.campaign_to_archive["id"], "t1": r.topic["id"],
                    "t2": r.topic_to_approve["id"], "t3": r.topic_to_archive["id"],
                    "t4": r.concluded["id"] }),
        )
        .await
}

/// Requires every mutation to be refused with `FORBIDDEN` for `client`, and nothing to be
/// written: no new row, every record as it was, at its version.
async fn assert_every_mutation_forbidden(hub: &Hub, client: &GraphqlClient, who: &str) {
    let records = district_a_records(hub).await;
    let before = fingerprint(&hub.pool).await;
    let records_before = read_back(hub, &records).await;
    for (mutation, code) in every_mutation(hub, client, &records).await {
        assert_eq!(code, "FORBIDDEN", "{mutation} by {who}");
    }
    assert_eq!(
        fingerprint(&hub.pool).await,
        before,
        "{who} wrote something"
    );
    assert_eq!(read_back(hub, &records).await, records_before);
}

#[tokio::test]
async fn staff_of_the_other_district_are_refused_every_mutation_and_nothing_is_written() {
    let hub = start().await;
    let enyang = hub
        .client
        .as_staff("enyang-staff", Role::UnitStaff, hub.tree.district_b.id);
    assert_every_mutation_forbidden(&hub, &enyang, "district B's staff").await;
    let enyang_admin = hub
        .client
        .as_staff("enyang-admin", Role::UnitAdmin, hub.tree.district_b.id);
    assert_every_mutation_forbidden(&hub, &enyang_admin, "district B's admin").await;
}

#[tokio::test]
async fn leadership_the_public_and_partners_without_the_scope_are_refused_every_mutation() {
    let hub = start().await;
    let leadership = hub
        .client
        .as_staff("bazhou-leader", Role::Leadership, hub.tree.district_a.id);
    assert_every_mutation_forbidden(&hub, &leadership, "district A's leadership").await;
    let city_leadership = hub
        .client
        .as_staff("city-leader", Role::Leadership, hub.tree.city.id);
    assert_every_mutation_forbidden(&hub, &city_leadership, "the city's leadership").await;
    assert_every_mutation_forbidden(&hub, &hub.client.anonymous(), "the public").await;
    let other_scopes = hub.client.as_partner(
        "AGRICULTURE",
        &[Scope::ReadVenuesAndActivities, Scope::CoOrganizeActivities],
    );
    assert_every_mutation_forbidden(&hub, &other_scopes, "a partner without advice:submit").await;
}

#[tokio::test]
async fn a_partner_that_submits_advice_is_refused_everything_but_creating_a_submission() {
    let hub = start().await;
    let partner = hub.client.as_partner("AGRICULTURE", &[Scope::SubmitAdvice]);
    let records = district_a_records(&hub).await;
    let records_before = read_back(&hub, &records).await;
    let submissions = count(&hub.pool, "submission").await;
    for (mutation, code) in every_mutation(&hub, &partner, &records).await {
        let expected = if mutation == "createSubmission" {
            ""
        } else {
            "FORBIDDEN"
        };
        assert_eq!(code, expected, "{mutation} by the partner");
    }
    assert_eq!(read_back(&hub, &records).await, records_before);
    assert_eq!(count(&hub.pool, "submission").await, submissions + 1);
    assert_eq!(count(&hub.pool, "campaign").await, 2);
    assert_eq!(count(&hub.pool, "research_topic").await, 4);
}

#[tokio::test]
async fn staff_of_the_owning_district_make_every_change_in_its_subtree() {
    let hub = start().await;
    let tree = &hub.tree;
    let bazhou = hub
        .client
        .as_staff("bazhou-staff", Role::UnitStaff, tree.district_a.id);
    let records = district_a_records(&hub).await;
    let results = every_mutation(&hub, &bazhou, &records).await;
    assert!(
        results.iter().all(|(_, code)| code.is_empty()),
        "refused: {results:?}"
    );
    let after = read_back(&hub, &records).await;
    assert_eq!(after["draft"]["title"], "改过的建议", "{after:#}");
    assert_eq!(after["toSubmit"]["status"], "SUBMITTED");
    assert!(after["toArchive"]["archivedAt"].is_string());
    assert_eq!(after["submitted"]["status"], "UNDER_REVIEW");
    assert_eq!(after["campaign"]["title"], "改过的征集");
    assert!(after["campaignToArchive"]["archivedAt"].is_string());
    assert_eq!(after["topic"]["title"], "改过的课题");
    assert_eq!(after["topicToApprove"]["status"], "APPROVED");
    assert!(after["topicToArchive"]["archivedAt"].is_string());
    assert_eq!(after["concluded"]["award"], "FIRST");
    assert_eq!(count(&hub.pool, "submission").await, 5);
    assert_eq!(count(&hub.pool, "campaign").await, 3);
    assert_eq!(count(&hub.pool, "research_topic").await, 5);

    // Within the subtree a campaign moves; to another district it needs both.
    let campaign = create_campaign(&bazhou, campaign_input(&tree.township_a, "清江镇献一计")).await;
    let moved = bazhou
        .data(
            UPDATE_CAMPAIGN,
            json!({ "id": campaign["id"], "v": 1,
                    "input": { "organizerId": tree.enterprise_a.id.to_string() } }),
        )
        .await["updateCampaign"]
        .clone();
    assert_eq!(moved["organizer"]["id"], tree.enterprise_a.id.to_string());
    let before = fingerprint(&hub.pool).await;
    for (mutation, variables) in [
        (
            UPDATE_CAMPAIGN,
            json!({ "id": campaign["id"], "v": 2,
                    "input": { "organizerId": tree.district_b.id.to_string() } }),
        ),
        (
            UPDATE_SUBMISSION,
            json!({ "id": records.draft["id"], "v": 2,
                    "input": { "submittingUnitId": tree.township_b.id.to_string() } }),
        ),
    ] {
        assert_eq!(
            bazhou.error_code(mutation, variables.clone()).await,
            "FORBIDDEN",
            "{variables}"
        );
    }
    assert_eq!(fingerprint(&hub.pool).await, before);
}

#[tokio::test]
async fn a_submission_is_reviewed_by_a_unit_above_it_and_never_by_its_own() {
    let hub = start().await;
    let tree = &hub.tree;
    let bazhou = hub
        .client
        .as_staff("bazhou-staff", Role::UnitStaff, tree.district_a.id);
    let bazhou_admin = hub
        .client
        .as_staff("bazhou-admin", Role::UnitAdmin, tree.district_a.id);
    let city = hub
        .client
        .as_staff("city-staff", Role::UnitStaff, tree.city.id);

    // The district's own proposal: its staff write and submit it, but do not review it.
    let own = create_submission(
        &bazhou,
        submission_input(tree.district_a.id, json!({ "submit": true })),
    )
    .await;
    assert_eq!(own["status"], "SUBMITTED");
    let before = fingerprint(&hub.pool).await;
    for client in [&bazhou, &bazhou_admin] {
        let code = client
            .error_code(
                TRANSITION_SUBMISSION,
                json!({ "id": own["id"], "v": own["version"], "to": "UNDER_REVIEW" }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
    assert_eq!(fingerprint(&hub.pool).await, before);
    // The city reviews it up to the leader's instruction; the district still may not adopt it.
    let instructed = walk(
        &city,
        own,
        &["UNDER_REVIEW", "REFINED", "FORWARDED", "INSTRUCTED"],
    )
    .await;
    assert_eq!(instructed["status"], "INSTRUCTED");
    let before = fingerprint(&hub.pool).await;
    let code = bazhou
        .error_code(
            TRANSITION_SUBMISSION,
            json!({ "id": instructed["id"], "v": instructed["version"], "to": "ADOPTED" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(fingerprint(&hub.pool).await, before);
    let adopted = step(&city, &instructed, "ADOPTED", None, None).await;
    assert_eq!(adopted["status"], "ADOPTED");
    assert_eq!(adopted["updatedBy"], "city-staff");

    // A township's proposal is the district's to review, and to return.
    let township = create_submission(
        &bazhou,
        submission_input(tree.township_a.id, json!({ "submit": true })),
    )
    .await;
    let returned = walk(&bazhou, township, &["UNDER_REVIEW", "RETURNED"]).await;
    assert_eq!(returned["status"], "RETURNED");
    // The township's staff resubmit it, but review nothing.
    let qingjiang = hub
        .client
        .as_staff("qingjiang-staff", Role::UnitStaff, tree.township_a.id);
    let resubmitted = step(&qingjiang, &returned, "SUBMITTED", None, None).await;
    assert_eq!(resubmitted["status"], "SUBMITTED");
    let code = qingjiang
        .error_code(
            TRANSITION_SUBMISSION,
            json!({ "id": resubmitted["id"], "v": resubmitted["version"], "to": "UNDER_REVIEW" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    // Another district's staff review nothing of district A.
    let enyang = hub
        .client
        .as_staff("enyang-staff", Role::UnitStaff, tree.district_b.id);
    let code = enyang
        .error_code(
            TRANSITION_SUBMISSION,
            json!({ "id": resubmitted["id"], "v": resubmitted["version"], "to": "UNDER_REVIEW" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    // The city's own proposals are for the city's administrators to review.
    let city_own = create_submission(
        &city,
        submission_input(tree.city.id, json!({ "submit": true })),
    )
    .await;
    let code = city
        .error_code(
            TRANSITION_SUBMISSION,
            json!({ "id": city_own["id"], "v": city_own["version"], "to": "UNDER_REVIEW" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let reviewing = step(&hub.client, &city_own, "UNDER_REVIEW", None, None).await;
    assert_eq!(reviewing["status"], "UNDER_REVIEW");
}

#[tokio::test]
async fn a_partner_submits_advice_and_follows_only_its_own_submissions_but_never_adopts_one() {
    let hub = start().await;
    let tree = &hub.tree;
    let agriculture = hub.client.as_partner("AGRICULTURE", &[Scope::SubmitAdvice]);
    let education = hub.client.as_partner("EDUCATION", &[Scope::SubmitAdvice]);

    // For any submitting unit: a draft, changed, then submitted.
    let draft = create_submission(
        &agriculture,
        submission_input(
            tree.township_b.id,
            json!({ "title": "关于发展柳林镇茶叶产业的建议", "category": "AGRICULTURE" }),
        ),
    )
    .await;
    assert_eq!(draft["createdBy"], "partner:AGRICULTURE");
    let changed = agriculture
        .data(
            UPDATE_SUBMISSION,
            json!({ "id": draft["id"], "v": 1, "input": { "summary": "建议扶持茶叶合作社。" } }),
        )
        .await["updateSubmission"]
        .clone();
    assert_eq!(changed["version"], 2);
    let submitted = agriculture
        .data(
            TRANSITION_SUBMISSION,
            json!({ "id": draft["id"], "v": 2, "to": "SUBMITTED" }),
        )
        .await["transitionSubmission"]
        .clone();
    assert_eq!(submitted["status"], "SUBMITTED");

    // It takes no step of review.
    let before = fingerprint(&hub.pool).await;
    let code = agriculture
        .error_code(
            TRANSITION_SUBMISSION,
            json!({ "id": draft["id"], "v": 3, "to": "UNDER_REVIEW" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(fingerprint(&hub.pool).await, before);
    // Returned for revision, it resubmits.
    let returned = walk(
        &hub.client,
        hub.client
            .data(
                &format!("query($id: ID!) {{ submission(id: $id) {{ {SUBMISSION_FIELDS} }} }}"),
                json!({ "id": draft["id"] }),
            )
            .await["submission"]
            .clone(),
        &["UNDER_REVIEW", "RETURNED"],
    )
    .await;
    let resubmitted = agriculture
        .data(
            TRANSITION_SUBMISSION,
            json!({ "id": draft["id"], "v": returned["version"], "to": "SUBMITTED" }),
        )
        .await["transitionSubmission"]
        .clone();
    assert_eq!(resubmitted["status"], "SUBMITTED");
    // The association takes it to the leader's instruction; the partner may not adopt it.
    let current = hub
        .client
        .data(
            &format!("query($id: ID!) {{ submission(id: $id) {{ {SUBMISSION_FIELDS} }} }}"),
            json!({ "id": draft["id"] }),
        )
        .await["submission"]
        .clone();
    let instructed = walk(
        &hub.client,
        current,
        &["UNDER_REVIEW", "REFINED", "FORWARDED", "INSTRUCTED"],
    )
    .await;
    let before = fingerprint(&hub.pool).await;
    for (to, instruction) in [("ADOPTED", Value::Null), ("CLOSED", Value::Null)] {
        let code = agriculture
            .error_code(
                TRANSITION_SUBMISSION,
                json!({ "id": draft["id"], "v": instructed["version"], "to": to,
                        "instruction": instruction }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN", "{to}");
    }
    let code = agriculture
        .error_code(
            ARCHIVE_SUBMISSION,
            json!({ "id": draft["id"], "v": instructed["version"] }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(fingerprint(&hub.pool).await, before);

    // It reads its own submissions only; another bureau's key sees none of them.
    let own = agriculture
        .data(SUBMISSION, json!({ "id": draft["id"] }))
        .await;
    assert_eq!(own["submission"]["status"], "INSTRUCTED");
    let staff_made = create_submission(
        &hub.client,
        submission_input(tree.township_b.id, json!({ "title": "协会自己的建议" })),
    )
    .await;
    let theirs = education
        .data(
            "query($a: ID!, $b: ID!) { a: submission(id: $a) { id } b: submission(id: $b) { id } }",
            json!({ "a": draft["id"], "b": staff_made["id"] }),
        )
        .await;
    assert_eq!(theirs, json!({ "a": null, "b": null }));
    let listed = agriculture.data(SUBMISSIONS, json!({})).await;
    assert_eq!(
        column(&listed["submissions"], "title"),
        [json!("关于发展柳林镇茶叶产业的建议")]
    );
    let per_unit = agriculture
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 submissions(includeSubtree: true) { edges { node { title } } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": tree.city.id.to_string() }] }),
        )
        .await;
    assert_eq!(
        column(&per_unit["_entities"][0]["submissions"], "title"),
        [json!("关于发展柳林镇茶叶产业的建议")]
    );
    assert_eq!(
        column(
            &education.data(SUBMISSIONS, json!({})).await["submissions"],
            "title"
        ),
        Vec::<Value>::new()
    );
    // Nor may it change or submit a submission it did not create.
    let before = fingerprint(&hub.pool).await;
    for (mutation, variables) in [
        (
            UPDATE_SUBMISSION,
            json!({ "id": staff_made["id"], "v": 1, "input": { "title": "改" } }),
        ),
        (
            TRANSITION_SUBMISSION,
            json!({ "id": staff_made["id"], "v": 1, "to": "SUBMITTED" }),
        ),
    ] {
        assert_eq!(
            agriculture.error_code(mutation, variables.clone()).await,
            "FORBIDDEN",
            "{variables}"
        );
    }
    assert_eq!(fingerprint(&hub.pool).await, before);
    // Campaigns and research topics are the staff's to read.
    for query in [
        "{ campaigns { edges { node { id } } } }",
        "{ researchTopics { edges { node { id } } } }",
    ] {
        assert_eq!(agriculture.error_code(query, json!({})).await, "FORBIDDEN");
    }
}

#[tokio::test]
async fn advice_is_read_by_staff_only() {
    let hub = start().await;
    let records = district_a_records(&hub).await;
    let reads = [
        (SUBMISSION, json!({ "id": records.draft["id"] })),
        (SUBMISSIONS, json!({})),
        (
            "query($id: ID!) { campaign(id: $id) { id } }",
            json!({ "id": records.campaign["id"] }),
        ),
        ("{ campaigns { edges { node { id } } } }", json!({})),
        (
            "query($id: ID!) { researchTopic(id: $id) { id } }",
            json!({ "id": records.topic["id"] }),
        ),
        ("{ researchTopics { edges { node { id } } } }", json!({})),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 campaigns { edges { node { id } } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": hub.tree.district_a.id.to_string() }] }),
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Worker {
                 submissions { edges { node { id } } } } } }",
            json!({ "r": [{ "__typename": "Worker", "id": worker() }] }),
        ),
    ];
    let public = hub.client.anonymous();
    let reader = hub
        .client
        .as_partner("EDUCATION", &[Scope::ReadVenuesAndActivities]);
    for client in [&public, &reader] {
        for (query, variables) in &reads {
            assert_eq!(
                client.error_code(query, variables.clone()).await,
                "FORBIDDEN",
                "{query}"
            );
        }
    }
    // Staff of any unit and leadership read it all, the other district's included.
    for client in [
        hub.client
            .as_staff("enyang-staff", Role::UnitStaff, hub.tree.district_b.id),
        hub.client
            .as_staff("enyang-leader", Role::Leadership, hub.tree.district_b.id),
    ] {
        for (query, variables) in &reads {
            let body = client.post(query, variables.clone()).await;
            assert!(body.get("errors").is_none(), "{query}: {body:#}");
        }
        let found = client
            .data(SUBMISSION, json!({ "id": records.draft["id"] }))
            .await;
        assert_eq!(found["submission"]["title"], records.draft["title"]);
    }
}

#[tokio::test]
async fn figures_and_target_actuals_are_for_the_units_own_subtree() {
    let hub = start().await;
    let tree = &hub.tree;
    let topic = create_topic(&hub.client, topic_input(&tree.township_a, "清江镇课题")).await;
    step_topic(&hub.client, &topic, "APPROVED", None, None).await;
    let year = topic["year"].clone();
    let figures =
        "query($r: [_Any!]!, $year: Int!) { _entities(representations: $r) { ... on Unit {
        adviceFigures(period: { year: $year }) { researchTopics } } } }";
    let by_child =
        "query($r: [_Any!]!, $year: Int!) { _entities(representations: $r) { ... on Unit {
        adviceFiguresByChild(period: { year: $year }, orderBy: RESEARCH_TOPICS) { rank } } } }";
    let actual = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target {
        adviceActual } } }";
    let unit = |unit: &ReplicatedUnit| json!({ "r": [{ "__typename": "Unit", "id": unit.id.to_string() }], "year": year });
    let target = |unit: &ReplicatedUnit| {
        json!({ "r": [{ "__typename": "Target", "id": "0190b6a0-0000-7000-8000-0000000000aa",
                        "unitId": unit.id.to_string(), "year": year, "metric": "RESEARCH_TOPICS" }] })
    };
    let bazhou = hub
        .client
        .as_staff("bazhou-leader", Role::Leadership, tree.district_a.id);
    let enyang = hub
        .client
        .as_staff("enyang-leader", Role::Leadership, tree.district_b.id);

    let own = bazhou.data(figures, unit(&tree.district_a)).await;
    assert_eq!(own["_entities"][0]["adviceFigures"]["researchTopics"], 1);
    let ranked = bazhou.data(by_child, unit(&tree.district_a)).await;
    assert!(ranked["_entities"][0]["adviceFiguresByChild"].is_array());
    let measured = bazhou.data(actual, target(&tree.district_a)).await;
    assert_eq!(measured["_entities"][0]["adviceActual"], 1);

    for (query, variables) in [
        (figures, unit(&tree.district_a)),
        (by_child, unit(&tree.district_a)),
        (actual, target(&tree.district_a)),
        (figures, unit(&tree.city)),
    ] {
        assert_eq!(
            enyang.error_code(query, variables.clone()).await,
            "FORBIDDEN",
            "{query} {variables}"
        );
    }
    for client in [
        hub.client.anonymous(),
        hub.client.as_partner("AGRICULTURE", &[Scope::SubmitAdvice]),
    ] {
        assert_eq!(
            client.error_code(figures, unit(&tree.district_a)).await,
            "FORBIDDEN"
        );
        assert_eq!(
            client.error_code(actual, target(&tree.district_a)).await,
            "FORBIDDEN"
        );
    }
}

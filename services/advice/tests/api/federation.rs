//! The entities the gateway resolves here: each unit's campaigns, submissions and research
//! topics, and each worker's submissions, for a whole `_entities` batch.

use serde_json::{json, Value};

use crate::support::*;

const UNIT_LISTS: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
    id
    campaigns { edges { node { title organizer { id } } } }
    submissions { edges { node { title } } }
    researchTopics { edges { node { title } } }
    allCampaigns: campaigns(includeSubtree: true) { edges { node { title } } }
    allSubmissions: submissions(includeSubtree: true, first: 2) { pageInfo { hasNextPage } edges { node { title } } }
    drafts: submissions(includeSubtree: true, filter: { statuses: [DRAFT] }) { edges { node { title } } }
    allTopics: researchTopics(includeSubtree: true, filter: { year: 2026 }) { edges { node { title } } }
} } }";

fn representation(unit: uuid::Uuid) -> Value {
    json!({ "__typename": "Unit", "id": unit.to_string() })
}

fn titles_of(list: &Value) -> Vec<String> {
    column(list, "title")
        .into_iter()
        .map(|title| title.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn per_unit_lists_resolve_for_several_units_in_one_entities_request() {
    let hub = start().await;
    let tree = &hub.tree;
    for (unit, title) in [
        (tree.district_a.id, "巴州区献一计"),
        (tree.township_a.id, "清江镇金点子"),
        (tree.district_b.id, "恩阳区献一计"),
    ] {
        create_campaign(
            &hub.client,
            json!({ "organizerId": unit.to_string(), "title": title, "kind": "IDEA_SOLICITATION",
                    "opensOn": "2026-03-01", "closesOn": "2026-05-31" }),
        )
        .await;
    }
    for (unit, title) in [
        (tree.district_a.id, "巴州区的建议"),
        (tree.enterprise_a.id, "化工企业的建议"),
        (tree.township_a.id, "清江镇的建议"),
        (tree.district_b.id, "恩阳区的建议"),
    ] {
        let submission = create_submission(
            &hub.client,
            submission_input(unit, json!({ "title": title })),
        )
        .await;
        if unit == tree.township_a.id {
            walk(&hub.client, submission, &["SUBMITTED"]).await;
        }
    }
    for (unit, title, year) in [
        (tree.district_a.id, "巴州区课题", 2026),
        (tree.township_a.id, "清江镇课题", 2025),
        (tree.township_b.id, "柳林镇课题", 2026),
    ] {
        create_topic(
            &hub.client,
            json!({ "leadUnitId": unit.to_string(), "year": year, "title": title }),
        )
        .await;
    }

    let data = hub
        .client
        .data(
            UNIT_LISTS,
            json!({ "r": [representation(tree.district_a.id), representation(tree.district_b.id),
                          representation(tree.township_b.id)] }),
        )
        .await;
    let units = data["_entities"].as_array().unwrap();
    assert_eq!(units.len(), 3);
    let (a, b, township_b) = (&units[0], &units[1], &units[2]);
    assert_eq!(a["id"], tree.district_a.id.to_string());
    assert_eq!(titles_of(&a["campaigns"]), ["巴州区献一计"]);
    assert_eq!(
        a["campaigns"]["edges"][0]["node"]["organizer"]["id"],
        tree.district_a.id.to_string()
    );
    assert_eq!(
        titles_of(&a["allCampaigns"]),
        ["清江镇金点子", "巴州区献一计"]
    );
    assert_eq!(titles_of(&a["submissions"]), ["巴州区的建议"]);
    assert_eq!(
        titles_of(&a["allSubmissions"]),
        ["清江镇的建议", "化工企业的建议"]
    );
    assert_eq!(a["allSubmissions"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(titles_of(&a["drafts"]), ["化工企业的建议", "巴州区的建议"]);
    assert_eq!(titles_of(&a["researchTopics"]), ["巴州区课题"]);
    assert_eq!(
        titles_of(&a["allTopics"]),
        ["巴州区课题"],
        "the township's topic is of 2025"
    );

    assert_eq!(titles_of(&b["campaigns"]), ["恩阳区献一计"]);
    assert_eq!(titles_of(&b["submissions"]), ["恩阳区的建议"]);
    assert!(titles_of(&b["researchTopics"]).is_empty());
    assert_eq!(titles_of(&b["allTopics"]), ["柳林镇课题"]);
    assert_eq!(b["allSubmissions"]["pageInfo"]["hasNextPage"], false);

    assert!(titles_of(&township_b["campaigns"]).is_empty());
    assert_eq!(titles_of(&township_b["researchTopics"]), ["柳林镇课题"]);

    let city = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                submissions(includeSubtree: true, first: 10) { edges { node { title } } } } } }",
            json!({ "r": [representation(tree.city.id)] }),
        )
        .await;
    assert_eq!(titles_of(&city["_entities"][0]["submissions"]).len(), 4);
}

#[tokio::test]
async fn a_workers_submissions_resolve_through_the_worker_entity() {
    let hub = start().await;
    let (liu, chen, idle) = (worker(), worker(), worker());
    for (title, authors) in [
        ("刘的第一条建议", json!([liu])),
        ("刘和陈的联名建议", json!([chen, liu])),
        ("陈的建议", json!([chen])),
    ] {
        create_submission(
            &hub.client,
            submission_input(
                hub.tree.district_a.id,
                json!({ "title": title, "authorIds": authors }),
            ),
        )
        .await;
    }
    let data = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Worker {
                id submissions { edges { node { title authors { id } } } }
                firstOnly: submissions(first: 1) { pageInfo { hasNextPage } } } } }",
            json!({ "r": [
                { "__typename": "Worker", "id": liu },
                { "__typename": "Worker", "id": chen },
                { "__typename": "Worker", "id": idle },
            ] }),
        )
        .await;
    let workers = data["_entities"].as_array().unwrap();
    assert_eq!(
        titles_of(&workers[0]["submissions"]),
        ["刘和陈的联名建议", "刘的第一条建议"]
    );
    assert_eq!(
        workers[0]["submissions"]["edges"][0]["node"]["authors"],
        json!([{ "id": chen }, { "id": liu }])
    );
    assert_eq!(
        titles_of(&workers[1]["submissions"]),
        ["陈的建议", "刘和陈的联名建议"]
    );
    assert_eq!(workers[1]["firstOnly"]["pageInfo"]["hasNextPage"], true);
    assert!(titles_of(&workers[2]["submissions"]).is_empty());
}

#[tokio::test]
async fn entity_lists_refuse_contradicting_filters_and_malformed_keys() {
    let hub = start().await;
    let code = hub
        .client
        .error_code(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                submissions(filter: { unitId: $other }) { edges { node { id } } } } } }"
                .replace("$other", &format!("\"{}\"", hub.tree.city.id))
                .as_str(),
            json!({ "r": [representation(hub.tree.district_a.id)] }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    let code = hub
        .client
        .error_code(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Worker {
                submissions(filter: { authorId: \"0190b6a0-0000-7000-8000-000000000000\" }) { edges { node { id } } } } } }",
            json!({ "r": [{ "__typename": "Worker", "id": worker() }] }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    let code = hub
        .client
        .error_code(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { id } } }",
            json!({ "r": [{ "__typename": "Unit", "id": "not-a-uuid" }] }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
}

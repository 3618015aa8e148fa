//! Nominations: the workflow from NOMINATED to AWARDED (which creates the honor) or
//! NOT_SELECTED, its history, lists, corrections and bad input.

use serde_json::{json, Value};

use crate::support::{create_worker, ids, start, Hub, UNKNOWN_ID};

const FIELDS: &str = "id honorName honorLevel year status reason candidate { id name }
    nominatingUnit { id } conferringUnit { id } honor { id name level year nomination { id } }
    history { fromStatus toStatus actor note changedAt } version createdBy updatedBy archivedAt";

const LIST: &str = "query($filter: NominationFilter, $first: Int, $after: String) {
    nominations(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { id } } } }";

fn create_mutation() -> String {
    format!(
        "mutation($input: CreateNominationInput!) {{ createNomination(input: $input) {{ {FIELDS} }} }}"
    )
}

fn transition_mutation() -> String {
    format!(
        "mutation($id: ID!, $version: Int!, $to: NominationStatus!, $note: String) {{
           transitionNomination(id: $id, expectedVersion: $version, to: $to, note: $note) {{ {FIELDS} }} }}"
    )
}

fn update_mutation() -> String {
    format!(
        "mutation($id: ID!, $version: Int!, $input: UpdateNominationInput!) {{
           updateNomination(id: $id, expectedVersion: $version, input: $input) {{ {FIELDS} }} }}"
    )
}

async fn nominate(hub: &Hub, candidate: &Value, unit: &str, changes: Value) -> Value {
    let mut input = json!({
        "candidateId": candidate["id"], "honorName": "优秀科技工作者", "honorLevel": "CITY",
        "year": 2026, "nominatingUnitId": unit, "reason": "扎根基层二十年，推广食用菌栽培技术",
    });
    for (key, value) in changes.as_object().unwrap() {
        input[key] = value.clone();
    }
    hub.client
        .data(&create_mutation(), json!({ "input": input }))
        .await["createNomination"]
        .clone()
}

async fn step(hub: &Hub, nomination: &Value, to: &str, note: Option<&str>) -> Value {
    hub.client
        .data(
            &transition_mutation(),
            json!({ "id": nomination["id"], "version": nomination["version"], "to": to, "note": note }),
        )
        .await["transitionNomination"]
        .clone()
}

#[tokio::test]
async fn an_awarded_nomination_creates_the_honor_and_links_both_ways() {
    let hub = start().await;
    let district = hub.unit_id(&hub.tree.district_a);
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let nominated = nominate(
        &hub,
        &worker,
        &district,
        json!({ "conferringUnitId": hub.unit_id(&hub.tree.city) }),
    )
    .await;
    assert_eq!(nominated["status"], "NOMINATED");
    assert_eq!(nominated["candidate"]["id"], worker["id"]);
    assert_eq!(nominated["nominatingUnit"]["id"], district.as_str());
    assert_eq!(nominated["honor"], Value::Null);
    assert_eq!(nominated["version"], 1);
    assert_eq!(nominated["history"][0]["fromStatus"], Value::Null);
    assert_eq!(nominated["history"][0]["toStatus"], "NOMINATED");

    let shortlisted = step(&hub, &nominated, "SHORTLISTED", None).await;
    assert_eq!(shortlisted["status"], "SHORTLISTED");
    assert_eq!(shortlisted["version"], 2);
    let awarded = step(&hub, &shortlisted, "AWARDED", Some("市委市政府表彰")).await;
    assert_eq!(awarded["status"], "AWARDED");
    assert_eq!(awarded["version"], 3);
    let honor = &awarded["honor"];
    assert_eq!(honor["name"], "优秀科技工作者");
    assert_eq!(honor["level"], "CITY");
    assert_eq!(honor["year"], 2026);
    assert_eq!(honor["nomination"]["id"], nominated["id"]);

    let on_worker = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { honors { id conferringUnit { id } }
                 nominations { id status } } }",
            json!({ "id": worker["id"] }),
        )
        .await;
    assert_eq!(on_worker["worker"]["honors"][0]["id"], honor["id"]);
    assert_eq!(
        on_worker["worker"]["honors"][0]["conferringUnit"]["id"],
        hub.unit_id(&hub.tree.city).as_str()
    );
    assert_eq!(
        on_worker["worker"]["nominations"],
        json!([{ "id": nominated["id"], "status": "AWARDED" }])
    );
    assert_eq!(hub.count("honor").await, 1);
}

#[tokio::test]
async fn a_nomination_can_end_not_selected_from_either_open_step() {
    let hub = start().await;
    let unit = hub.unit_id(&hub.tree.district_a);
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let early = nominate(
        &hub,
        &worker,
        &unit,
        json!({ "honorName": "最美科技工作者" }),
    )
    .await;
    let early = step(&hub, &early, "NOT_SELECTED", Some("名额已满")).await;
    assert_eq!(early["status"], "NOT_SELECTED");
    assert_eq!(early["honor"], Value::Null);
    let late = nominate(&hub, &worker, &unit, json!({})).await;
    let late = step(&hub, &late, "SHORTLISTED", None).await;
    let late = step(&hub, &late, "NOT_SELECTED", None).await;
    assert_eq!(late["status"], "NOT_SELECTED");
    assert_eq!(hub.count("honor").await, 0);
}

#[tokio::test]
async fn illegal_steps_and_stale_versions_are_refused_and_change_nothing() {
    let hub = start().await;
    let unit = hub.unit_id(&hub.tree.district_a);
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let open = nominate(&hub, &worker, &unit, json!({})).await;
    let decided = nominate(
        &hub,
        &worker,
        &unit,
        json!({ "honorName": "最美科技工作者" }),
    )
    .await;
    let decided = step(&hub, &decided, "NOT_SELECTED", None).await;
    let before = hub.footprint().await;

    let cases = [
        (
            json!({ "id": open["id"], "version": 1, "to": "AWARDED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": open["id"], "version": 1, "to": "NOMINATED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": decided["id"], "version": 2, "to": "SHORTLISTED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": decided["id"], "version": 2, "to": "AWARDED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": open["id"], "version": 5, "to": "SHORTLISTED" }),
            "CONFLICT",
        ),
        (
            json!({ "id": UNKNOWN_ID, "version": 1, "to": "SHORTLISTED" }),
            "NOT_FOUND",
        ),
        (
            json!({ "id": "nope", "version": 1, "to": "SHORTLISTED" }),
            "VALIDATION",
        ),
        (
            json!({ "id": open["id"], "version": 1, "to": "SHORTLISTED", "note": "注".repeat(1001) }),
            "VALIDATION",
        ),
    ];
    for (variables, code) in cases {
        let got = hub
            .client
            .error_code(&transition_mutation(), variables.clone())
            .await;
        assert_eq!(got, code, "{variables}");
    }
    let unknown_status = hub
        .client
        .post(
            &transition_mutation(),
            json!({ "id": open["id"], "version": 1, "to": "WITHDRAWN" }),
        )
        .await;
    assert!(unknown_status["errors"].is_array());
    assert_eq!(hub.footprint().await, before);
}

#[tokio::test]
async fn the_history_records_who_moved_a_nomination_when_and_why() {
    let hub = start().await;
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let started = chrono::Utc::now();
    let nominated = hub
        .client
        .acting_as("township-a-staff")
        .data(
            &create_mutation(),
            json!({ "input": { "candidateId": worker["id"], "honorName": "最美科技工作者",
                               "honorLevel": "DISTRICT", "year": 2026,
                               "nominatingUnitId": hub.unit_id(&hub.tree.township_a) } }),
        )
        .await["createNomination"]
        .clone();
    let reviewer = hub.client.acting_as("district-a-reviewer");
    let shortlisted = reviewer
        .data(
            &transition_mutation(),
            json!({ "id": nominated["id"], "version": 1, "to": "SHORTLISTED", "note": "材料齐全，进入评审" }),
        )
        .await["transitionNomination"]
        .clone();
    let awarded = hub
        .client
        .acting_as("district-a-committee")
        .data(
            &transition_mutation(),
            json!({ "id": nominated["id"], "version": shortlisted["version"], "to": "AWARDED", "note": "评审委员会表决通过" }),
        )
        .await["transitionNomination"]
        .clone();
    // The whole awarded nomination: the honor its award created (which names the
    // nomination back), and every step with who took it and why, oldest first.
    insta::assert_json_snapshot!("awarded_nomination", kexie_testkit::redacted(&awarded));
    let history = awarded["history"].as_array().unwrap();
    let mut previous = started - chrono::Duration::seconds(1);
    for change in history {
        let at: chrono::DateTime<chrono::Utc> =
            change["changedAt"].as_str().unwrap().parse().unwrap();
        assert!(at >= previous && at <= chrono::Utc::now(), "{change}");
        previous = at;
    }
    assert_eq!(awarded["updatedBy"], "district-a-committee");
    assert_eq!(awarded["createdBy"], "township-a-staff");
}

#[tokio::test]
async fn nomination_lists_filter_by_nominating_unit_status_year_level_candidate_and_search() {
    let hub = start().await;
    let district = hub.unit_id(&hub.tree.district_a);
    let township = hub.unit_id(&hub.tree.township_a);
    let other = hub.unit_id(&hub.tree.district_b);
    let wang = create_worker(&hub.client, &township, json!({ "name": "王芳" })).await;
    let zhao = create_worker(&hub.client, &other, json!({ "name": "赵磊" })).await;
    let a = nominate(
        &hub,
        &wang,
        &district,
        json!({ "year": 2025, "honorLevel": "PROVINCIAL" }),
    )
    .await;
    let b = nominate(
        &hub,
        &wang,
        &township,
        json!({ "honorName": "最美科技工作者", "honorLevel": "DISTRICT" }),
    )
    .await;
    let c = nominate(
        &hub,
        &zhao,
        &other,
        json!({ "honorName": "青年科技人才托举工程" }),
    )
    .await;
    let b = step(&hub, &b, "SHORTLISTED", None).await;

    let list = |filter: Value| {
        let client = hub.client.clone();
        async move { ids(&client.data(LIST, json!({ "filter": filter })).await["nominations"]) }
    };
    let of = |rows: &[&Value]| -> Vec<String> {
        rows.iter()
            .map(|row| row["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list(json!({})).await, of(&[&c, &b, &a]));
    assert_eq!(list(json!({ "unitId": district })).await, of(&[&a]));
    assert_eq!(
        list(json!({ "unitId": district, "includeSubtree": true })).await,
        of(&[&b, &a])
    );
    assert_eq!(
        list(json!({ "statuses": ["SHORTLISTED"] })).await,
        of(&[&b])
    );
    assert_eq!(
        list(json!({ "statuses": ["NOMINATED"] })).await,
        of(&[&c, &a])
    );
    assert_eq!(list(json!({ "year": 2025 })).await, of(&[&a]));
    assert_eq!(
        list(json!({ "levels": ["DISTRICT", "PROVINCIAL"] })).await,
        of(&[&b, &a])
    );
    assert_eq!(list(json!({ "workerId": zhao["id"] })).await, of(&[&c]));
    assert_eq!(list(json!({ "search": "托举" })).await, of(&[&c]));
    assert_eq!(list(json!({ "search": "王" })).await, of(&[&b, &a]));

    let page = hub.client.data(LIST, json!({ "first": 2 })).await;
    assert_eq!(ids(&page["nominations"]), of(&[&c, &b]));
    assert_eq!(page["nominations"]["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            LIST,
            json!({ "first": 2, "after": page["nominations"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(ids(&next["nominations"]), of(&[&a]));
    assert_eq!(next["nominations"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn open_nominations_are_corrected_decided_ones_are_not_and_archived_ones_leave_the_lists() {
    let hub = start().await;
    let unit = hub.unit_id(&hub.tree.district_a);
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let nomination = nominate(&hub, &worker, &unit, json!({})).await;
    let updated = hub
        .client
        .data(
            &update_mutation(),
            json!({ "id": nomination["id"], "version": 1, "input": {
                "honorLevel": "PROVINCIAL", "reason": null, "nominatingUnitId": hub.unit_id(&hub.tree.city)
            } }),
        )
        .await["updateNomination"]
        .clone();
    assert_eq!(updated["honorLevel"], "PROVINCIAL");
    assert_eq!(updated["reason"], Value::Null);
    assert_eq!(
        updated["nominatingUnit"]["id"],
        hub.unit_id(&hub.tree.city).as_str()
    );
    assert_eq!(updated["honorName"], "优秀科技工作者");
    assert_eq!(updated["status"], "NOMINATED");
    assert_eq!(updated["version"], 2);
    let stale = hub
        .client
        .error_code(
            &update_mutation(),
            json!({ "id": nomination["id"], "version": 1, "input": { "year": 2025 } }),
        )
        .await;
    assert_eq!(stale, "CONFLICT");

    let decided = step(&hub, &updated, "NOT_SELECTED", None).await;
    let before = hub.footprint().await;
    let refused = hub
        .client
        .error_code(
            &update_mutation(),
            json!({ "id": decided["id"], "version": 3, "input": { "year": 2025 } }),
        )
        .await;
    assert_eq!(refused, "VALIDATION");
    assert_eq!(hub.footprint().await, before);

    let archived = hub
        .client
        .data(
            "mutation($id: ID!) { archiveNomination(id: $id, expectedVersion: 3) { archivedAt version } }",
            json!({ "id": decided["id"] }),
        )
        .await;
    assert!(archived["archiveNomination"]["archivedAt"].is_string());
    assert_eq!(
        ids(&hub.client.data(LIST, json!({})).await["nominations"]),
        Vec::<String>::new()
    );
    let with_archived = hub
        .client
        .data(LIST, json!({ "filter": { "includeArchived": true } }))
        .await;
    assert_eq!(ids(&with_archived["nominations"]).len(), 1);
    let again = hub
        .client
        .error_code(
            &transition_mutation(),
            json!({ "id": decided["id"], "version": 4, "to": "SHORTLISTED" }),
        )
        .await;
    assert_eq!(again, "NOT_FOUND");
}

#[tokio::test]
async fn invalid_nominations_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    let unit = hub.unit_id(&hub.tree.district_a);
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    nominate(&hub, &worker, &unit, json!({})).await;
    hub.merge(&hub.tree.township_b, &hub.tree.township_a).await;
    let before = hub.footprint().await;

    let base = json!({ "candidateId": worker["id"], "honorName": "最美科技工作者", "honorLevel": "CITY",
                       "year": 2026, "nominatingUnitId": unit });
    let with = |changes: Value| {
        let mut input = base.clone();
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        json!({ "input": input })
    };
    let cases = [
        (with(json!({ "candidateId": "x" })), "VALIDATION"),
        (with(json!({ "candidateId": UNKNOWN_ID })), "NOT_FOUND"),
        (with(json!({ "nominatingUnitId": UNKNOWN_ID })), "NOT_FOUND"),
        (
            with(json!({ "nominatingUnitId": hub.unit_id(&hub.tree.township_b) })),
            "VALIDATION",
        ),
        (with(json!({ "conferringUnitId": UNKNOWN_ID })), "NOT_FOUND"),
        (with(json!({ "honorName": " " })), "VALIDATION"),
        (with(json!({ "honorName": "奖".repeat(101) })), "VALIDATION"),
        (with(json!({ "reason": "因".repeat(2001) })), "VALIDATION"),
        (with(json!({ "year": 2090 })), "VALIDATION"),
        (with(json!({ "year": 1800 })), "VALIDATION"),
        (with(json!({ "honorName": "优秀科技工作者" })), "DUPLICATE"),
    ];
    for (variables, code) in cases {
        let got = hub
            .client
            .error_code(&create_mutation(), variables.clone())
            .await;
        assert_eq!(got, code, "{variables}");
    }
    assert_eq!(hub.footprint().await, before);
}

#[tokio::test]
async fn an_award_the_candidate_already_holds_is_refused_and_leaves_the_nomination_shortlisted() {
    let hub = start().await;
    let unit = hub.unit_id(&hub.tree.district_a);
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    hub.client
        .data(
            "mutation($input: CreateHonorInput!) { createHonor(input: $input) { id } }",
            json!({ "input": { "workerId": worker["id"], "name": "优秀科技工作者", "level": "CITY", "year": 2025 } }),
        )
        .await;
    let nomination = nominate(&hub, &worker, &unit, json!({ "year": 2025 })).await;
    let shortlisted = step(&hub, &nomination, "SHORTLISTED", None).await;
    let before = hub.footprint().await;
    let refused = hub
        .client
        .error_code(
            &transition_mutation(),
            json!({ "id": shortlisted["id"], "version": 2, "to": "AWARDED" }),
        )
        .await;
    assert_eq!(refused, "DUPLICATE");
    assert_eq!(hub.footprint().await, before);
    let read = hub
        .client
        .data(
            "query($id: ID!) { nomination(id: $id) { status honor { id } } }",
            json!({ "id": nomination["id"] }),
        )
        .await;
    assert_eq!(
        read["nomination"],
        json!({ "status": "SHORTLISTED", "honor": null })
    );
}

#[tokio::test]
async fn a_retried_nomination_with_the_same_key_returns_the_first_one() {
    let hub = start().await;
    let unit = hub.unit_id(&hub.tree.district_a);
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.township_a), json!({})).await;
    let first = nominate(&hub, &worker, &unit, json!({ "idempotencyKey": "nom-7" })).await;
    let before = hub.footprint().await;
    let again = nominate(&hub, &worker, &unit, json!({ "idempotencyKey": "nom-7" })).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(hub.footprint().await, before);
}

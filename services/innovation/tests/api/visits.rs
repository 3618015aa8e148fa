//! Service visits to enterprises (学会服务企业行, 专家服务团): planning, holding with the
//! problems taken up and solved, follow-up outcomes, cancellation, lists and bad input.

use serde_json::{json, Value};

use kexie_contract::principal::{Role, Scope};

use crate::support::*;

const LIST: &str = "query($filter: ServiceVisitFilter) {
    serviceVisits(filter: $filter) { edges { node { title } } } }";

fn outcome_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $outcome: VisitOutcomeInput!) {{
           recordVisitOutcome(id: $id, expectedVersion: $v, outcome: $outcome) {{ {VISIT_FIELDS} }} }}"
    )
}

async fn titles(hub: &Hub, filter: Value) -> Vec<Value> {
    let data = hub.client.data(LIST, json!({ "filter": filter })).await;
    column(&data["serviceVisits"], "title")
}

#[tokio::test]
async fn a_visit_is_planned_held_with_its_outcome_and_followed_up() {
    let hub = start().await;
    let society = hub.tree.district_a.id;
    let experts = [worker(), worker()];
    let visit = create_visit(
        &hub.client.acting_as("society-secretary"),
        visit_input(
            society,
            json!({ "expertIds": experts,
            "enterpriseUnitId": hub.tree.enterprise_a.id.to_string(), "enterpriseName": null }),
        ),
    )
    .await;
    assert_eq!(visit["status"], "PLANNED");
    assert_eq!(
        visit["enterprise"]["id"],
        hub.tree.enterprise_a.id.to_string()
    );
    assert_eq!(
        visit["experts"],
        json!([{ "id": experts[0] }, { "id": experts[1] }])
    );
    assert_eq!(visit["allowedTransitions"], json!(["HELD", "CANCELLED"]));

    let transition = transition_visit_query();
    refused(
        &hub,
        &transition,
        json!({ "id": visit["id"], "v": 1, "to": "HELD" }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": visit["id"], "v": 1, "to": "HELD",
                "outcome": { "problemsTaken": 2, "problemsSolved": 3 } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": visit["id"], "v": 1, "to": "CANCELLED",
                "outcome": { "problemsTaken": 2, "problemsSolved": 1 } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &outcome_query(),
        json!({ "id": visit["id"], "v": 1, "outcome": { "problemsTaken": 2, "problemsSolved": 1 } }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    let held = hub
        .client
        .data(
            &transition,
            json!({ "id": visit["id"], "v": 1, "to": "HELD", "note": "现场诊断",
                    "outcome": { "problemsTaken": 4, "problemsSolved": 1, "summary": "解决焊接变形问题" } }),
        )
        .await["transitionServiceVisit"]
        .clone();
    assert_eq!(held["status"], "HELD");
    assert_eq!(
        (
            held["problemsTaken"].clone(),
            held["problemsSolved"].clone()
        ),
        (json!(4), json!(1))
    );
    assert_eq!(held["history"][1]["note"], "现场诊断");
    // Solved in the follow-up.
    let followed = hub
        .client
        .data(
            &outcome_query(),
            json!({ "id": visit["id"], "v": held["version"],
                    "outcome": { "problemsTaken": 4, "problemsSolved": 3, "summary": "跟踪服务" } }),
        )
        .await["recordVisitOutcome"]
        .clone();
    assert_eq!(followed["problemsSolved"], 3);
    // A held visit is no longer edited or moved.
    refused(
        &hub,
        "mutation($id: ID!, $v: Int!) { updateServiceVisit(id: $id, expectedVersion: $v, input: { title: \"改\" }) { id } }",
        json!({ "id": visit["id"], "v": followed["version"] }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": visit["id"], "v": followed["version"], "to": "CANCELLED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;

    // The expert's and the unit's lists show it.
    let lists = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) {
               ... on Worker { serviceVisits { edges { node { id } } } }
               ... on Unit { serviceVisits(includeSubtree: true) { edges { node { id } } } } } }",
            json!({ "r": [{ "__typename": "Worker", "id": experts[1] },
                          { "__typename": "Unit", "id": hub.tree.city.id.to_string() }] }),
        )
        .await;
    for entity in lists["_entities"].as_array().unwrap() {
        assert_eq!(
            column(&entity["serviceVisits"], "id"),
            vec![visit["id"].clone()]
        );
    }
}

#[tokio::test]
async fn a_visit_in_the_future_is_not_held_and_bad_visits_write_nothing() {
    let hub = start().await;
    let unit = hub.tree.district_a.id;
    let future = (today() + chrono::Duration::days(3)).to_string();
    let planned = create_visit(
        &hub.client,
        visit_input(unit, json!({ "visitedOn": future })),
    )
    .await;
    refused(
        &hub,
        &transition_visit_query(),
        json!({ "id": planned["id"], "v": 1, "to": "HELD",
                "outcome": { "problemsTaken": 1, "problemsSolved": 1 } }),
        "VALIDATION",
    )
    .await;
    let cancelled = hub
        .client
        .data(
            &transition_visit_query(),
            json!({ "id": planned["id"], "v": 1, "to": "CANCELLED", "note": "企业停产" }),
        )
        .await["transitionServiceVisit"]
        .clone();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["allowedTransitions"], json!([]));

    let create = create_visit_query();
    let expert = worker();
    for overrides in [
        json!({ "enterpriseName": null }),
        json!({ "title": " " }),
        json!({ "expertIds": [expert, expert] }),
        json!({ "expertIds": ["nope"] }),
        json!({ "visitedOn": "1800-01-01" }),
        json!({ "enterpriseUnitId": hub.merged.id.to_string() }),
    ] {
        refused(
            &hub,
            &create,
            json!({ "input": visit_input(unit, overrides) }),
            "VALIDATION",
        )
        .await;
    }
    let keyed = visit_input(unit, json!({ "idempotencyKey": "visit-1" }));
    let once = create_visit(&hub.client, keyed.clone()).await;
    let twice = create_visit(&hub.client, keyed.clone()).await;
    assert_eq!(once["id"], twice["id"]);
    let mut other = keyed;
    other["title"] = json!("另一场");
    refused(
        &hub,
        &create,
        json!({ "input": other }),
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
}

#[tokio::test]
async fn visits_are_listed_by_kind_status_and_day_and_written_by_their_subtree_only() {
    let hub = start().await;
    let tree = &hub.tree;
    let a = create_visit(
        &hub.client,
        visit_input(
            tree.township_a.id,
            json!({ "title": "甲", "visitedOn": "2025-04-02" }),
        ),
    )
    .await;
    create_visit(
        &hub.client,
        visit_input(
            tree.district_b.id,
            json!({ "title": "乙", "kind": "EXPERT_TEAM" }),
        ),
    )
    .await;
    hub.client
        .data(
            &transition_visit_query(),
            json!({ "id": a["id"], "v": 1, "to": "HELD", "outcome": { "problemsTaken": 1, "problemsSolved": 0 } }),
        )
        .await;
    assert_eq!(
        titles(&hub, json!({ "kinds": ["EXPERT_TEAM"] })).await,
        vec![json!("乙")]
    );
    assert_eq!(
        titles(&hub, json!({ "statuses": ["HELD"] })).await,
        vec![json!("甲")]
    );
    assert_eq!(
        titles(&hub, json!({ "visitedTo": "2025-12-31" })).await,
        vec![json!("甲")]
    );
    assert_eq!(
        titles(
            &hub,
            json!({ "unitId": tree.district_a.id.to_string(), "includeSubtree": true })
        )
        .await,
        vec![json!("甲")]
    );

    let create = create_visit_query();
    let staff_b = hub
        .client
        .as_staff("b", Role::UnitStaff, tree.district_b.id);
    for client in [
        staff_b.clone(),
        hub.client.as_staff("lead", Role::Leadership, tree.city.id),
        hub.client
            .as_partner("SCIENCE_TECHNOLOGY", &[Scope::ReadInnovation]),
    ] {
        let before = fingerprint(&hub.pool).await;
        let code = client
            .error_code(
                &create,
                json!({ "input": visit_input(tree.township_a.id, json!({})) }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN");
        assert_eq!(fingerprint(&hub.pool).await, before);
    }
    let partner = hub
        .client
        .as_partner("INDUSTRY_IT", &[Scope::ReadInnovation]);
    assert_eq!(
        partner.data(LIST, json!({})).await["serviceVisits"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        hub.client.anonymous().error_code(LIST, json!({})).await,
        "FORBIDDEN"
    );
}

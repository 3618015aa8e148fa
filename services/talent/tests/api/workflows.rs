//! `allowedTransitions` of nominations and workstations, proved against what the transition
//! mutations then accept and refuse, on every status a record can reach.

use serde_json::json;

use kexie_testkit::assert_allowed_transitions_are_what_the_mutation_accepts;

use crate::support::*;

#[tokio::test]
async fn a_nominations_allowed_transitions_are_what_transition_nomination_accepts() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let create = || async {
        // A candidate of its own for each nomination: one per candidate, honor and year.
        let worker = create_worker(&hub.client, &township, json!({ "name": "刘芳" })).await;
        hub.client
            .data(
                "mutation($input: CreateNominationInput!) { createNomination(input: $input) {
                     id status allowedTransitions version } }",
                json!({ "input": { "candidateId": worker["id"], "honorName": "优秀科技工作者",
                                   "honorLevel": "CITY", "year": 2026, "nominatingUnitId": township } }),
            )
            .await["createNomination"]
            .clone()
    };
    let reached = assert_allowed_transitions_are_what_the_mutation_accepts(
        &hub.client,
        create,
        "mutation($id: ID!, $v: Int!, $to: NominationStatus!) {
             transitionNomination(id: $id, expectedVersion: $v, to: $to) { id status allowedTransitions version } }",
        &["NOMINATED", "SHORTLISTED", "AWARDED", "NOT_SELECTED"],
    )
    .await;
    assert_eq!(
        reached,
        ["NOMINATED", "SHORTLISTED", "NOT_SELECTED", "AWARDED"]
    );
}

#[tokio::test]
async fn a_workstations_allowed_transitions_are_what_transition_workstation_accepts() {
    let hub = start().await;
    let host = hub.unit_id(&hub.tree.township_a);
    let create = || async {
        hub.client
            .data(
                "mutation($input: CreateWorkstationInput!) { createWorkstation(input: $input) {
                     id status allowedTransitions version } }",
                json!({ "input": { "kind": "SCIENCE_BACKYARD", "name": "清江镇食用菌科技小院",
                                   "hostUnitId": host, "certification": "CITY" } }),
            )
            .await["createWorkstation"]
            .clone()
    };
    let reached = assert_allowed_transitions_are_what_the_mutation_accepts(
        &hub.client,
        create,
        "mutation($id: ID!, $v: Int!, $to: WorkstationStatus!) {
             transitionWorkstation(id: $id, expectedVersion: $v, to: $to) { id status allowedTransitions version } }",
        &["ACTIVE", "SUSPENDED", "CLOSED"],
    )
    .await;
    assert_eq!(reached, ["ACTIVE", "SUSPENDED", "CLOSED"]);
}

//! `allowedTransitions` of venues and activities, proved against what the transition
//! mutations then accept and refuse, on every status a record can reach.

use serde_json::json;

use kexie_testkit::assert_allowed_transitions_are_what_the_mutation_accepts;

use crate::support::*;

#[tokio::test]
async fn a_venues_allowed_transitions_are_what_transition_venue_accepts() {
    let hub = start().await;
    let create = || async {
        hub.client
            .data(
                "mutation($input: CreateVenueInput!) { createVenue(input: $input) {
                     id status allowedTransitions version } }",
                json!({ "input": museum(&hub.tree.district_a, "巴州区科技馆") }),
            )
            .await["createVenue"]
            .clone()
    };
    let reached = assert_allowed_transitions_are_what_the_mutation_accepts(
        &hub.client,
        create,
        "mutation($id: ID!, $v: Int!, $to: VenueStatus!) {
             transitionVenue(id: $id, expectedVersion: $v, to: $to) { id status allowedTransitions version } }",
        &["PLANNED", "UNDER_CONSTRUCTION", "OPEN", "CLOSED"],
    )
    .await;
    assert_eq!(reached, ["PLANNED", "UNDER_CONSTRUCTION", "CLOSED", "OPEN"]);
}

#[tokio::test]
async fn an_activitys_allowed_transitions_are_what_transition_activity_accepts() {
    let hub = start().await;
    let create = || async {
        hub.client
            .data(
                "mutation($input: CreateActivityInput!) { createActivity(input: $input) {
                     id status allowedTransitions version } }",
                json!({ "input": lecture(&hub.tree.township_a, "老年人防诈骗科普讲座") }),
            )
            .await["createActivity"]
            .clone()
    };
    let reached = assert_allowed_transitions_are_what_the_mutation_accepts(
        &hub.client,
        create,
        "mutation($id: ID!, $v: Int!, $to: ActivityStatus!) {
             transitionActivity(id: $id, expectedVersion: $v, to: $to) { id status allowedTransitions version } }",
        &["PLANNED", "HELD", "CANCELLED"],
    )
    .await;
    assert_eq!(reached, ["PLANNED", "HELD", "CANCELLED"]);
}

//! Matches (供需对接): proposals of results and experts, every step to the contract and the
//! result put to use (成果转化), what they do to their need, and what is refused.

use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn a_match_runs_from_proposal_to_contract_and_transfer_and_moves_its_need() {
    let hub = start().await;
    let need = create_need(&hub.client, need_input(hub.tree.enterprise_a.id, json!({}))).await;
    let result = create_result(&hub.client, result_input(hub.tree.district_b.id, json!({}))).await;
    let expert = worker();
    let proposed = propose(
        &hub.client.acting_as("broker"),
        json!({ "needId": need["id"], "scienceResultId": result["id"], "expertId": expert,
                "note": "科创会·市州行现场对接" }),
    )
    .await;
    assert_eq!(proposed["status"], "PROPOSED");
    assert_eq!(proposed["scienceResult"]["id"], result["id"]);
    assert_eq!(proposed["expert"]["id"], expert);
    assert_eq!(
        proposed["need"]["status"], "MATCHING",
        "a proposal opens the talks"
    );
    assert_eq!(
        proposed["allowedTransitions"],
        json!(["NEGOTIATING", "FAILED"])
    );
    assert_eq!(proposed["history"][0]["note"], "科创会·市州行现场对接");
    assert_eq!(proposed["history"][0]["actor"], "broker");

    let transition = transition_match_query();
    // Signing needs the contract, and only signing takes one.
    let talking = step_match(&hub.client, &proposed, "NEGOTIATING", None, None).await;
    refused(
        &hub,
        &transition,
        json!({ "id": talking["id"], "v": talking["version"], "to": "CONTRACTED" }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": talking["id"], "v": talking["version"], "to": "FAILED",
                "contract": { "signedOn": today().to_string(), "amount": 1.0 } }),
        "VALIDATION",
    )
    .await;
    for (contract, why) in [
        (
            json!({ "signedOn": "2020-01-01", "amount": 10.0 }),
            "before the proposal",
        ),
        (
            json!({ "signedOn": today().to_string(), "amount": -5.0 }),
            "negative",
        ),
    ] {
        let before = fingerprint(&hub.pool).await;
        let body = hub
            .client
            .post(
                &transition,
                json!({ "id": talking["id"], "v": talking["version"], "to": "CONTRACTED",
                        "contract": contract }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{why}"
        );
        assert_eq!(fingerprint(&hub.pool).await, before, "{why}");
    }
    let contracted = step_match(
        &hub.client,
        &talking,
        "CONTRACTED",
        Some(json!({ "signedOn": today().to_string(), "amount": 256.75 })),
        None,
    )
    .await;
    assert_eq!(
        contracted["contract"],
        json!({ "signedOn": today().to_string(), "amount": 256.75 })
    );
    assert_eq!(contracted["need"]["status"], "MATCHED");

    // The need resolved, the result is still put to use afterwards.
    let matched = crate::support::need(&hub.client, &need["id"]).await;
    step_need(&hub.client, &matched, "RESOLVED", None).await;
    let transferred = step_match(&hub.client, &contracted, "TRANSFERRED", None, None).await;
    assert_eq!(transferred["status"], "TRANSFERRED");
    assert_eq!(transferred["transferredOn"], today().to_string());
    assert_eq!(transferred["allowedTransitions"], json!([]));
    let steps: Vec<Value> = transferred["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["toStatus"].clone())
        .collect();
    assert_eq!(
        steps,
        vec![
            json!("PROPOSED"),
            json!("NEGOTIATING"),
            json!("CONTRACTED"),
            json!("TRANSFERRED")
        ]
    );

    // The lists of the result, the expert and the need show it.
    let lists = hub
        .client
        .data(
            "query($need: ID!, $result: ID!, $r: [_Any!]!) {
               techNeed(id: $need) { matches { edges { node { id } } } }
               scienceResult(id: $result) { matches { edges { node { id } } } }
               _entities(representations: $r) { ... on Worker { expertMatches { edges { node { id } } } } }
               contracted: needMatches(filter: { statuses: [TRANSFERRED], signedFrom: \"2000-01-01\" }) { edges { node { id } } } }",
            json!({ "need": need["id"], "result": result["id"],
                    "r": [{ "__typename": "Worker", "id": expert }] }),
        )
        .await;
    for list in [
        &lists["techNeed"]["matches"],
        &lists["scienceResult"]["matches"],
        &lists["_entities"][0]["expertMatches"],
        &lists["contracted"],
    ] {
        assert_eq!(
            column(list, "id"),
            vec![contracted["id"].clone()],
            "{lists:#}"
        );
    }
}

#[tokio::test]
async fn the_same_partner_is_proposed_once_while_live_and_a_proposal_needs_one() {
    let hub = start().await;
    let need = create_need(&hub.client, need_input(hub.tree.enterprise_a.id, json!({}))).await;
    let result = create_result(&hub.client, result_input(hub.tree.district_a.id, json!({}))).await;
    let expert = worker();
    let first = propose(
        &hub.client,
        json!({ "needId": need["id"], "scienceResultId": result["id"] }),
    )
    .await;
    let alone = propose(
        &hub.client,
        json!({ "needId": need["id"], "expertId": expert }),
    )
    .await;
    let propose_query = propose_query();
    for input in [
        json!({ "needId": need["id"], "scienceResultId": result["id"] }),
        json!({ "needId": need["id"], "expertId": expert }),
    ] {
        refused(&hub, &propose_query, json!({ "input": input }), "DUPLICATE").await;
    }
    refused(
        &hub,
        &propose_query,
        json!({ "input": { "needId": need["id"] } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &propose_query,
        json!({ "input": { "needId": need["id"], "scienceResultId": uuid::Uuid::now_v7().to_string() } }),
        "NOT_FOUND",
    )
    .await;
    refused(
        &hub,
        &propose_query,
        json!({ "input": { "needId": need["id"], "expertId": expert, "proposedOn": "2001-01-01" } }),
        "VALIDATION",
    )
    .await;
    // Once failed, the same result may be proposed again.
    step_match(&hub.client, &first, "FAILED", None, None).await;
    let again = propose(
        &hub.client,
        json!({ "needId": need["id"], "scienceResultId": result["id"] }),
    )
    .await;
    assert_ne!(again["id"], first["id"]);
    // A retried proposal with its key returns the first.
    let keyed = json!({ "needId": need["id"], "expertId": worker(), "idempotencyKey": "p-1" });
    let once = propose(&hub.client, keyed.clone()).await;
    let twice = propose(&hub.client, keyed).await;
    assert_eq!(once["id"], twice["id"]);
    assert_eq!(alone["status"], "PROPOSED");
}

#[tokio::test]
async fn closing_a_need_fails_its_open_matches_and_a_closed_need_takes_no_proposal() {
    let hub = start().await;
    let need = create_need(&hub.client, need_input(hub.tree.enterprise_a.id, json!({}))).await;
    let proposed = propose(
        &hub.client,
        json!({ "needId": need["id"], "expertId": worker() }),
    )
    .await;
    let talking = propose(
        &hub.client,
        json!({ "needId": need["id"], "expertId": worker() }),
    )
    .await;
    let talking = step_match(&hub.client, &talking, "NEGOTIATING", None, None).await;
    let matching = need_of_match(&hub, &proposed).await;
    let closed = step_need(&hub.client, &matching, "CLOSED", None).await;
    assert_eq!(closed["status"], "CLOSED");
    for found in [&proposed, &talking] {
        let now = hub
            .client
            .data(
                "query($id: ID!) { needMatch(id: $id) { status history { fromStatus toStatus note } } }",
                json!({ "id": found["id"] }),
            )
            .await["needMatch"]
            .clone();
        assert_eq!(now["status"], "FAILED");
        let last = now["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["toStatus"], "FAILED");
        assert_eq!(last["note"], "需求已关闭");
    }
    refused(
        &hub,
        &propose_query(),
        json!({ "input": { "needId": need["id"], "expertId": worker() } }),
        "ILLEGAL_TRANSITION",
    )
    .await;
}

async fn need_of_match(hub: &Hub, found: &Value) -> Value {
    need(&hub.client, &found["need"]["id"]).await
}

#[tokio::test]
async fn matches_of_an_archived_need_are_not_found_and_steps_are_checked() {
    let hub = start().await;
    let need = create_need(&hub.client, need_input(hub.tree.enterprise_a.id, json!({}))).await;
    let proposed = propose(
        &hub.client,
        json!({ "needId": need["id"], "expertId": worker() }),
    )
    .await;
    let transition = transition_match_query();
    refused(
        &hub,
        &transition,
        json!({ "id": proposed["id"], "v": proposed["version"], "to": "TRANSFERRED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": proposed["id"], "v": 99, "to": "NEGOTIATING" }),
        "CONFLICT",
    )
    .await;
    let current = need_of_match(&hub, &proposed).await;
    hub.client
        .data(
            "mutation($id: ID!, $v: Int!) { archiveTechNeed(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": need["id"], "v": current["version"] }),
        )
        .await;
    refused(
        &hub,
        &transition,
        json!({ "id": proposed["id"], "v": proposed["version"], "to": "NEGOTIATING" }),
        "NOT_FOUND",
    )
    .await;
}

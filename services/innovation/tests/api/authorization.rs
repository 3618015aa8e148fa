//! Who may read and write what: staff write the records of their subtree (the associations
//! above an enterprise broker its needs), leadership and partners write nothing, partner
//! keys with `innovation:read` read, the public reads nothing.

use serde_json::json;

use kexie_contract::principal::{Role, Scope};

use crate::support::*;

#[tokio::test]
async fn staff_write_their_subtree_and_nobody_else_writes() {
    let hub = start().await;
    let tree = &hub.tree;
    let district_a = hub
        .client
        .as_staff("a-staff", Role::UnitStaff, tree.district_a.id);
    let district_b = hub
        .client
        .as_staff("b-staff", Role::UnitStaff, tree.district_b.id);
    let enterprise = hub
        .client
        .as_staff("e-staff", Role::UnitStaff, tree.enterprise_a.id);
    let city = hub
        .client
        .as_staff("c-staff", Role::UnitStaff, tree.city.id);

    // The enterprise's own staff and every association above it publish its needs.
    for client in [&enterprise, &district_a, &city] {
        create_need(client, need_input(tree.enterprise_a.id, json!({}))).await;
    }
    let create = create_need_query();
    for client in [
        district_b.clone(),
        hub.client.as_staff("lead", Role::Leadership, tree.city.id),
        hub.client.as_partner("SCIENCE_TECHNOLOGY", &Scope::ALL),
        hub.client.anonymous(),
    ] {
        let before = fingerprint(&hub.pool).await;
        let code = client
            .error_code(
                &create,
                json!({ "input": need_input(tree.enterprise_a.id, json!({})) }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN");
        assert_eq!(fingerprint(&hub.pool).await, before);
    }

    // Brokering is work on the need's unit: district B may not propose for district A's need.
    let need = create_need(&enterprise, need_input(tree.enterprise_a.id, json!({}))).await;
    let code = district_b
        .error_code(
            &propose_query(),
            json!({ "input": { "needId": need["id"], "expertId": worker() } }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let proposed = propose(&city, json!({ "needId": need["id"], "expertId": worker() })).await;
    let code = district_b
        .error_code(
            &transition_match_query(),
            json!({ "id": proposed["id"], "v": proposed["version"], "to": "NEGOTIATING" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    // Moving a need out of one's subtree needs both ends.
    let code = enterprise
        .error_code(
            "mutation($id: ID!, $v: Int!, $unit: ID!) { updateTechNeed(id: $id, expectedVersion: $v, input: { unitId: $unit }) { id } }",
            json!({ "id": need["id"], "v": 2, "unit": tree.district_b.id.to_string() }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    // A refused caller learns nothing of the record's version.
    let code = district_b
        .error_code(
            &transition_need_query(),
            json!({ "id": need["id"], "v": 999, "to": "CLOSED" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn staff_and_keys_with_innovation_read_read_and_the_rest_are_refused() {
    let hub = start().await;
    let need = create_need(&hub.client, need_input(hub.tree.enterprise_a.id, json!({}))).await;
    create_result(&hub.client, result_input(hub.tree.district_a.id, json!({}))).await;
    let reads = "query($id: ID!) { techNeed(id: $id) { id } techNeeds { edges { node { id } } }
        scienceResults { edges { node { id } } } needMatches { edges { node { id } } } }";
    for client in [
        hub.client
            .as_partner("SCIENCE_TECHNOLOGY", &[Scope::ReadInnovation]),
        hub.client
            .as_partner("INDUSTRY_IT", &[Scope::ReadInnovation]),
        hub.client
            .as_staff("b-staff", Role::UnitStaff, hub.tree.district_b.id),
    ] {
        let data = client.data(reads, json!({ "id": need["id"] })).await;
        assert_eq!(data["techNeed"]["id"], need["id"]);
        assert_eq!(data["scienceResults"]["edges"].as_array().unwrap().len(), 1);
    }
    for client in [
        hub.client.anonymous(),
        hub.client.as_partner(
            "EDUCATION",
            &[Scope::ReadVenuesAndActivities, Scope::SubmitAdvice],
        ),
    ] {
        let code = client.error_code(reads, json!({ "id": need["id"] })).await;
        assert_eq!(code, "FORBIDDEN");
    }
    // Figures are for those who may read the unit's subtree.
    let figures = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
        innovationFigures(period: { year: 2026 }) { techNeeds } } } }";
    let r = json!({ "r": [{ "__typename": "Unit", "id": hub.tree.district_a.id.to_string() }] });
    let leadership = hub
        .client
        .as_staff("lead", Role::Leadership, hub.tree.district_a.id);
    assert!(
        leadership.data(figures, r.clone()).await["_entities"][0]["innovationFigures"]["techNeeds"]
            .is_number()
    );
    let other = hub
        .client
        .as_staff("lead-b", Role::Leadership, hub.tree.district_b.id);
    assert_eq!(other.error_code(figures, r).await, "FORBIDDEN");
}

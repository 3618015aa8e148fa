//! 科创中国 pilot designations: recorded from above (never by the designated unit), read by
//! anyone, ended by their last year.

use serde_json::json;

use kexie_contract::principal::Role;

use crate::support::*;

const CREATE: &str = "mutation($input: CreatePilotDesignationInput!) {
    createPilotDesignation(input: $input) { id kind name fromYear toYear version unit { id } } }";

#[tokio::test]
async fn designations_are_recorded_from_above_and_read_by_anyone() {
    let hub = start().await;
    let tree = &hub.tree;
    let district_input = json!({ "input": { "unitId": tree.district_a.id.to_string(),
        "kind": "PILOT_PARK", "name": "“科创中国”试点园区", "fromYear": 2024 } });
    // The district's own staff may not designate the district; the city's staff may.
    let own = hub
        .client
        .as_staff("a", Role::UnitStaff, tree.district_a.id);
    let before = fingerprint(&hub.pool).await;
    assert_eq!(
        own.error_code(CREATE, district_input.clone()).await,
        "FORBIDDEN"
    );
    assert_eq!(fingerprint(&hub.pool).await, before);
    let city_staff = hub.client.as_staff("c", Role::UnitStaff, tree.city.id);
    let park = city_staff.data(CREATE, district_input).await["createPilotDesignation"].clone();
    assert_eq!(park["fromYear"], 2024);
    // The city itself only by its administrators.
    let city_input = json!({ "input": { "unitId": tree.city.id.to_string(), "kind": "PILOT_CITY",
        "name": "“科创中国”试点城市", "fromYear": 2023, "toYear": 2025 } });
    assert_eq!(
        city_staff.error_code(CREATE, city_input.clone()).await,
        "FORBIDDEN"
    );
    hub.client.data(CREATE, city_input).await;
    refused(
        &hub,
        CREATE,
        json!({ "input": { "unitId": tree.city.id.to_string(), "kind": "HUB_CITY", "name": "枢纽",
                           "fromYear": 2025, "toYear": 2024 } }),
        "VALIDATION",
    )
    .await;

    let read = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
        pilotDesignations { kind name fromYear toYear } } } }";
    let r = json!({ "r": [{ "__typename": "Unit", "id": tree.district_a.id.to_string() },
                          { "__typename": "Unit", "id": tree.city.id.to_string() }] });
    let data = hub.client.anonymous().data(read, r).await;
    assert_eq!(
        data["_entities"][0]["pilotDesignations"][0]["kind"],
        "PILOT_PARK"
    );
    assert_eq!(data["_entities"][1]["pilotDesignations"][0]["toYear"], 2025);

    // Ended: in force through its last year only.
    let figures = "query($r: [_Any!]!, $p: PeriodInput!) { _entities(representations: $r) { ... on Unit {
        innovationFigures(period: $p) { pilotDesignations pilotDesignationsByKind { kind count } } } } }";
    let city = json!([{ "__typename": "Unit", "id": tree.city.id.to_string() }]);
    let in_2025 = hub
        .client
        .data(figures, json!({ "r": city, "p": { "year": 2025 } }))
        .await;
    assert_eq!(
        in_2025["_entities"][0]["innovationFigures"]["pilotDesignations"],
        2
    );
    let in_2026 = hub
        .client
        .data(figures, json!({ "r": city, "p": { "year": 2026 } }))
        .await;
    assert_eq!(
        in_2026["_entities"][0]["innovationFigures"]["pilotDesignationsByKind"],
        json!([{ "kind": "PILOT_CITY", "count": 0 }, { "kind": "HUB_CITY", "count": 0 },
               { "kind": "PILOT_PARK", "count": 1 }])
    );
}

//! Incremental sync (`filter.updatedSince`) of units, terms, targets, party-building
//! activities and media reports: each top-level list reads the records changed since, in
//! commit order, from a cursor of its own. A unit moved comes again with every unit below
//! it (their place in the tree changed); merged units come with `statuses` naming them; `Unit.children`
//! refuses it.

use serde_json::json;

use kexie_testkit::{assert_list_syncs, sync_edges_after};

use crate::support::*;

const ALL_UNITS: &str = "statuses: [ACTIVE, MERGED, DISSOLVED]";

#[tokio::test]
async fn every_top_level_list_syncs_and_a_move_resends_the_subtree() {
    let hub = start().await;
    let client = &hub.client;
    let city = create(
        client,
        "createUnit",
        "UnitInput",
        json!({ "kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700" }),
    )
    .await
    .as_str()
    .unwrap()
    .to_string();
    let district_a = create(client, "createUnit", "UnitInput",
        json!({ "kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city })).await.as_str().unwrap().to_string();
    let district_b = create(client, "createUnit", "UnitInput",
        json!({ "kind": "DISTRICT", "name": "游仙区科协", "divisionCode": "510704", "parentId": city })).await.as_str().unwrap().to_string();
    let society = create(
        client,
        "createUnit",
        "UnitInput",
        json!({ "kind": "SOCIETY", "name": "涪城区农学会", "parentId": district_a }),
    )
    .await
    .as_str()
    .unwrap()
    .to_string();
    let merged = create(client, "createUnit", "UnitInput",
        json!({ "kind": "TOWNSHIP", "name": "龙门镇科协", "divisionCode": "510703103", "parentId": district_a })).await.as_str().unwrap().to_string();
    let into = create(client, "createUnit", "UnitInput",
        json!({ "kind": "TOWNSHIP", "name": "青义镇科协", "divisionCode": "510703101", "parentId": district_a })).await.as_str().unwrap().to_string();
    client
        .data(
            "mutation($id: ID!, $into: ID!) { mergeUnit(id: $id, expectedVersion: 1, intoUnitId: $into) { id } }",
            json!({ "id": merged, "into": into }),
        )
        .await;
    let term = create(client, "createTerm", "TermInput",
        json!({ "unitId": district_a, "number": 1, "startsOn": "2021-01-01", "endsOn": "2026-01-01" })).await.as_str().unwrap().to_string();
    let target = create(
        client,
        "createTarget",
        "TargetInput",
        json!({ "unitId": district_a, "year": 2026, "metric": "NEW_ENTERPRISE_ASSOCIATIONS",
                "targetValue": 5, "responsiblePerson": "王芳", "deadline": "2026-12-31" }),
    )
    .await
    .as_str()
    .unwrap()
    .to_string();
    let lecture = create(
        client,
        "recordPartyBuildingActivity",
        "RecordPartyBuildingActivityInput",
        json!({ "unitId": society, "kind": "LECTURE", "title": "党的二十大精神宣讲报告会",
                "heldOn": "2025-03-12", "participants": 86 }),
    )
    .await
    .as_str()
    .unwrap()
    .to_string();
    let report = create(
        client,
        "recordMediaReport",
        "RecordMediaReportInput",
        json!({ "unitId": district_a, "title": "涪城区科协开展科技下乡", "outlet": "四川日报",
                "level": "PROVINCIAL", "publishedOn": "2025-05-01" }),
    )
    .await
    .as_str()
    .unwrap()
    .to_string();

    let units = [&city, &district_a, &district_b, &society, &merged, &into];
    let cursor = assert_list_syncs(
        client,
        ("units", "", ALL_UNITS),
        &units.map(|id| id.as_str()),
    )
    .await;
    // Without `statuses`, the merged unit is left out, as in any unit list.
    let active: Vec<&str> = units
        .iter()
        .filter(|id| ***id != merged)
        .map(|id| id.as_str())
        .collect();
    assert_list_syncs(client, ("units", "", ""), &active).await;
    assert_list_syncs(client, ("terms", "", "includeArchived: true"), &[&term]).await;
    assert_list_syncs(client, ("targets", "", "includeArchived: true"), &[&target]).await;
    let in_city = format!("unitId: \"{city}\",");
    assert_list_syncs(
        client,
        ("partyBuildingActivities", &in_city, "includeArchived: true"),
        &[&lecture],
    )
    .await;
    assert_list_syncs(
        client,
        ("mediaReports", &in_city, "includeArchived: true"),
        &[&report],
    )
    .await;

    // A township moved to district B: it and the unit merged into it (which hangs under it)
    // come again, and nothing else does.
    let version = client
        .data(
            "query($id: ID!) { unit(id: $id) { version } }",
            json!({ "id": into }),
        )
        .await["unit"]["version"]
        .clone();
    client
        .data(
            "mutation($id: ID!, $v: Int!, $to: ID!) {
                 moveUnit(id: $id, expectedVersion: $v, newParentId: $to, divisionCode: \"510704101\") { id } }",
            json!({ "id": into, "v": version, "to": district_b }),
        )
        .await;
    let again = sync_edges_after(
        client,
        ("units", "", ALL_UNITS),
        &cursor,
        "id ancestors { id }",
    )
    .await;
    let mut moved: Vec<&str> = again
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap())
        .collect();
    moved.sort();
    let mut expected = vec![merged.as_str(), into.as_str()];
    expected.sort();
    assert_eq!(moved, expected, "{again:#}");
    for edge in again.as_array().unwrap() {
        assert!(
            edge["node"]["ancestors"]
                .as_array()
                .unwrap()
                .contains(&json!({ "id": district_b })),
            "{edge}"
        );
    }

    let body = client
        .post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 children(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }) { edges { node { id } } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": city }] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
}

#[tokio::test]
async fn lists_page_backward_as_well_as_forward() {
    let hub = start().await;
    let client = &hub.client;
    let city = create(
        client,
        "createUnit",
        "UnitInput",
        json!({ "kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700" }),
    )
    .await;
    for (name, code) in [
        ("涪城区科协", "510703"),
        ("游仙区科协", "510704"),
        ("安州区科协", "510705"),
        ("江油市科协", "510781"),
    ] {
        create(
            client,
            "createUnit",
            "UnitInput",
            json!({ "kind": "DISTRICT", "name": name, "divisionCode": code, "parentId": city }),
        )
        .await;
    }
    let all = kexie_testkit::assert_pages_both_ways(
        client,
        "query($cursor: String) { units(PAGE) { SELECTION } }",
        json!({}),
        "/units",
    )
    .await;
    assert_eq!(all.len(), 5);
    let children = kexie_testkit::assert_pages_both_ways(
        client,
        "query($cursor: String, $id: ID!) { unit(id: $id) { children(PAGE) { SELECTION } } }",
        json!({ "id": city }),
        "/unit/children",
    )
    .await;
    assert_eq!(children.len(), 4);
}

#[tokio::test]
async fn every_top_level_list_sorts_in_each_order() {
    let hub = start().await;
    let client = &hub.client;
    let id = |value: serde_json::Value| value.as_str().unwrap().to_string();
    let city = id(create(
        client,
        "createUnit",
        "UnitInput",
        json!({ "kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700" }),
    )
    .await);
    let mut districts = Vec::new();
    for (name, code) in [
        ("涪城区科协", "510703"),
        ("游仙区科协", "510704"),
        ("安州区科协", "510705"),
    ] {
        districts.push(id(create(
            client,
            "createUnit",
            "UnitInput",
            json!({ "kind": "DISTRICT", "name": name, "divisionCode": code, "parentId": city }),
        )
        .await));
    }
    create(
        client,
        "createUnit",
        "UnitInput",
        json!({ "kind": "SOCIETY", "name": "安州区农学会", "parentId": districts[2] }),
    )
    .await;
    for (number, (starts, ends)) in [
        ("2016-03-01", "2021-03-01"),
        ("2021-03-01", "2026-03-01"),
        ("2026-03-01", "2031-03-01"),
    ]
    .into_iter()
    .enumerate()
    {
        create(client, "createTerm", "TermInput",
            json!({ "unitId": districts[number % 2], "number": number + 1, "startsOn": starts, "endsOn": ends })).await;
    }
    for (year, metric) in [
        (2026, "NEW_ENTERPRISE_ASSOCIATIONS"),
        (2025, "COUNTY_SCIENCE_MUSEUMS"),
        (2026, "VOLUNTEER_SERVICES"),
    ] {
        create(
            client,
            "createTarget",
            "TargetInput",
            json!({ "unitId": districts[0], "year": year, "metric": metric, "targetValue": 5,
                    "responsiblePerson": "王芳", "deadline": format!("{year}-12-31") }),
        )
        .await;
    }
    for (kind, title, day) in [
        ("LECTURE", "党的二十大精神宣讲报告会", "2025-03-12"),
        ("TRAINING", "基层党务干部培训班", "2025-06-01"),
        ("LECTURE", "学习贯彻全会精神专题党课", "2025-03-12"),
    ] {
        create(client, "recordPartyBuildingActivity", "RecordPartyBuildingActivityInput",
            json!({ "unitId": districts[1], "kind": kind, "title": title, "heldOn": day, "participants": 40 })).await;
    }
    for (title, level, day) in [
        ("涪城区科协开展科技下乡", "PROVINCIAL", "2025-05-01"),
        ("游仙区科普日活动综述", "CITY", "2025-09-20"),
        ("安州区院士专家工作站揭牌", "CENTRAL", "2025-05-01"),
    ] {
        create(client, "recordMediaReport", "RecordMediaReportInput",
            json!({ "unitId": districts[0], "title": title, "outlet": "四川日报", "level": level, "publishedOn": day })).await;
    }
    for (list, arguments, order_field) in [
        ("units", "", "UnitOrderField"),
        ("terms", "", "TermOrderField"),
        ("targets", "", "TargetOrderField"),
        (
            "partyBuildingActivities",
            "unitId: $city, includeSubtree: true,",
            "PartyBuildingActivityOrderField",
        ),
        (
            "mediaReports",
            "unitId: $city, includeSubtree: true,",
            "MediaReportOrderField",
        ),
    ] {
        let city_variable = if arguments.is_empty() {
            ""
        } else {
            ", $city: ID!"
        };
        kexie_testkit::assert_every_order(
            client,
            &hub.pool,
            &format!("query($cursor: String{city_variable}) {{ {list}({arguments} ORDER PAGE) {{ SELECTION }} }}"),
            if arguments.is_empty() { json!({}) } else { json!({ "city": city }) },
            &format!("/{list}"),
            order_field,
        )
        .await;
    }
    // A sync reads in commit order: no orderBy beside filter.updatedSince.
    let body = client
        .post(
            "{ units(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }, orderBy: { field: NAME }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
}

//! `Unit` as the gateway resolves it here: several units in one `_entities` call, each
//! with its own workers, honors, nominations and workstations, or its subtree's.

use serde_json::{json, Value};

use crate::support::{create_worker, start, Hub};

const ENTITIES: &str =
    "query($r: [_Any!]!, $subtree: Boolean, $first: Int, $filter: WorkerFilter) {
    _entities(representations: $r) { ... on Unit { id
      workers(includeSubtree: $subtree, first: $first, filter: $filter) {
        pageInfo { hasNextPage } edges { node { name } } }
      honors(includeSubtree: $subtree) { edges { node { name worker { name } } } }
      nominations(includeSubtree: $subtree) { edges { node { honorName } } }
      workstations(includeSubtree: $subtree) { edges { node { name } } }
    } } }";

fn representations(hub: &Hub) -> Value {
    json!([
        { "__typename": "Unit", "id": hub.unit_id(&hub.tree.district_a) },
        { "__typename": "Unit", "id": hub.unit_id(&hub.tree.township_a) },
        { "__typename": "Unit", "id": hub.unit_id(&hub.tree.district_b) },
        { "__typename": "Unit", "id": hub.unit_id(&hub.tree.enterprise_a) },
    ])
}

fn node_names(connection: &Value, path: &[&str]) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let mut value = &edge["node"];
            for key in path {
                value = &value[*key];
            }
            value.as_str().unwrap().to_string()
        })
        .collect()
}

/// Two workers in township A, one in district A, one at the enterprise, one in district B;
/// an honor, a nomination and a workstation at several of those units.
async fn populate(hub: &Hub) {
    let district_a = hub.unit_id(&hub.tree.district_a);
    let township_a = hub.unit_id(&hub.tree.township_a);
    let district_b = hub.unit_id(&hub.tree.district_b);
    let enterprise = hub.unit_id(&hub.tree.enterprise_a);
    let farmer = create_worker(
        &hub.client,
        &township_a,
        json!({ "name": "乡甲", "isRuralExpert": true }),
    )
    .await;
    create_worker(&hub.client, &township_a, json!({ "name": "乡乙" })).await;
    let official = create_worker(&hub.client, &district_a, json!({ "name": "区甲" })).await;
    create_worker(&hub.client, &enterprise, json!({ "name": "企甲" })).await;
    let other = create_worker(&hub.client, &district_b, json!({ "name": "区乙" })).await;

    let honor = "mutation($input: CreateHonorInput!) { createHonor(input: $input) { id } }";
    for (worker, name) in [(&farmer, "优秀农村实用人才"), (&other, "最美科技工作者")]
    {
        hub.client
            .data(
                honor,
                json!({ "input": { "workerId": worker["id"], "name": name, "level": "DISTRICT", "year": 2024 } }),
            )
            .await;
    }
    let nomination =
        "mutation($input: CreateNominationInput!) { createNomination(input: $input) { id } }";
    for (worker, unit, name) in [
        (&official, &district_a, "优秀科技工作者"),
        (&farmer, &township_a, "乡村振兴科技带头人"),
        (&other, &district_b, "青年科技人才托举工程"),
    ] {
        hub.client
            .data(
                nomination,
                json!({ "input": { "candidateId": worker["id"], "honorName": name, "honorLevel": "CITY",
                                   "year": 2026, "nominatingUnitId": unit } }),
            )
            .await;
    }
    let workstation =
        "mutation($input: CreateWorkstationInput!) { createWorkstation(input: $input) { id } }";
    for (unit, kind, name) in [
        (&enterprise, "EXPERT_ENTERPRISE", "企业专家工作站"),
        (&township_a, "SCIENCE_BACKYARD", "乡科技小院"),
    ] {
        hub.client
            .data(
                workstation,
                json!({ "input": { "kind": kind, "name": name, "hostUnitId": unit } }),
            )
            .await;
    }
}

#[tokio::test]
async fn each_unit_of_an_entities_batch_gets_its_own_lists() {
    let hub = start().await;
    populate(&hub).await;
    let data = hub
        .client
        .data(ENTITIES, json!({ "r": representations(&hub) }))
        .await;
    let units = data["_entities"].as_array().unwrap();
    assert_eq!(units.len(), 4);
    let [district_a, township_a, district_b, enterprise] =
        [&units[0], &units[1], &units[2], &units[3]];
    assert_eq!(district_a["id"], hub.unit_id(&hub.tree.district_a).as_str());

    assert_eq!(node_names(&district_a["workers"], &["name"]), ["区甲"]);
    assert_eq!(
        node_names(&township_a["workers"], &["name"]),
        ["乡乙", "乡甲"]
    );
    assert_eq!(node_names(&district_b["workers"], &["name"]), ["区乙"]);
    assert_eq!(node_names(&enterprise["workers"], &["name"]), ["企甲"]);

    assert_eq!(
        node_names(&district_a["honors"], &["name"]),
        Vec::<String>::new()
    );
    assert_eq!(
        node_names(&township_a["honors"], &["worker", "name"]),
        ["乡甲"]
    );
    assert_eq!(
        node_names(&district_b["honors"], &["name"]),
        ["最美科技工作者"]
    );

    assert_eq!(
        node_names(&district_a["nominations"], &["honorName"]),
        ["优秀科技工作者"]
    );
    assert_eq!(
        node_names(&township_a["nominations"], &["honorName"]),
        ["乡村振兴科技带头人"]
    );
    assert_eq!(
        node_names(&district_b["nominations"], &["honorName"]),
        ["青年科技人才托举工程"]
    );
    assert_eq!(
        node_names(&enterprise["nominations"], &["honorName"]),
        Vec::<String>::new()
    );

    assert_eq!(
        node_names(&township_a["workstations"], &["name"]),
        ["乡科技小院"]
    );
    assert_eq!(
        node_names(&enterprise["workstations"], &["name"]),
        ["企业专家工作站"]
    );
    assert_eq!(
        node_names(&district_a["workstations"], &["name"]),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn with_include_subtree_each_unit_of_a_batch_gets_its_whole_subtrees_lists() {
    let hub = start().await;
    populate(&hub).await;
    let mut representations = representations(&hub);
    representations
        .as_array_mut()
        .unwrap()
        .push(json!({ "__typename": "Unit", "id": hub.unit_id(&hub.tree.city) }));
    let data = hub
        .client
        .data(ENTITIES, json!({ "r": representations, "subtree": true }))
        .await;
    let units = data["_entities"].as_array().unwrap();
    let (district_a, township_a, district_b, city) = (&units[0], &units[1], &units[2], &units[4]);
    assert_eq!(
        node_names(&district_a["workers"], &["name"]),
        ["企甲", "区甲", "乡乙", "乡甲"]
    );
    assert_eq!(
        node_names(&township_a["workers"], &["name"]),
        ["乡乙", "乡甲"]
    );
    assert_eq!(node_names(&district_b["workers"], &["name"]), ["区乙"]);
    assert_eq!(node_names(&city["workers"], &["name"]).len(), 5);
    assert_eq!(
        node_names(&district_a["honors"], &["worker", "name"]),
        ["乡甲"]
    );
    assert_eq!(node_names(&city["honors"], &["name"]).len(), 2);
    assert_eq!(
        node_names(&district_a["nominations"], &["honorName"]),
        ["乡村振兴科技带头人", "优秀科技工作者"]
    );
    assert_eq!(
        node_names(&district_a["workstations"], &["name"]),
        ["乡科技小院", "企业专家工作站"]
    );
    assert_eq!(
        node_names(&district_b["workstations"], &["name"]),
        Vec::<String>::new()
    );
    assert_eq!(node_names(&city["nominations"], &["honorName"]).len(), 3);
}

#[tokio::test]
async fn per_unit_lists_page_and_filter_each_unit_separately() {
    let hub = start().await;
    populate(&hub).await;
    let data = hub
        .client
        .data(
            ENTITIES,
            json!({ "r": representations(&hub), "subtree": true, "first": 1 }),
        )
        .await;
    let units = data["_entities"].as_array().unwrap();
    assert_eq!(node_names(&units[0]["workers"], &["name"]), ["企甲"]);
    assert_eq!(units[0]["workers"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(node_names(&units[2]["workers"], &["name"]), ["区乙"]);
    assert_eq!(units[2]["workers"]["pageInfo"]["hasNextPage"], false);

    let filtered = hub
        .client
        .data(
            ENTITIES,
            json!({ "r": representations(&hub), "subtree": true, "filter": { "isRuralExpert": true } }),
        )
        .await;
    let units = filtered["_entities"].as_array().unwrap();
    assert_eq!(node_names(&units[0]["workers"], &["name"]), ["乡甲"]);
    assert_eq!(
        node_names(&units[2]["workers"], &["name"]),
        Vec::<String>::new()
    );

    let contradicting = hub
        .client
        .error_code(
            ENTITIES,
            json!({ "r": representations(&hub), "filter": { "unitId": hub.unit_id(&hub.tree.city) } }),
        )
        .await;
    assert_eq!(contradicting, "VALIDATION");
    let malformed = hub
        .client
        .error_code(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { id } } }",
            json!({ "r": [{ "__typename": "Unit", "id": "not-a-uuid" }] }),
        )
        .await;
    assert_eq!(malformed, "VALIDATION");
}

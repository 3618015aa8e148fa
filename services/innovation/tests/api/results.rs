//! Scientific results (科技成果): offering, editing, withdrawing, lists and bad input.

use serde_json::{json, Value};

use crate::support::*;

const LIST: &str = "query($filter: ScienceResultFilter) {
    scienceResults(filter: $filter) { edges { node { title } } } }";

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $input: UpdateScienceResultInput!) {{
           updateScienceResult(id: $id, expectedVersion: $v, input: $input) {{ {RESULT_FIELDS} }} }}"
    )
}

async fn titles(hub: &Hub, filter: Value) -> Vec<Value> {
    let data = hub.client.data(LIST, json!({ "filter": filter })).await;
    column(&data["scienceResults"], "title")
}

#[tokio::test]
async fn a_result_is_offered_edited_listed_and_withdrawn() {
    let hub = start().await;
    let holder = worker();
    let result = create_result(
        &hub.client,
        result_input(
            hub.tree.district_a.id,
            json!({ "ownerWorkerId": holder, "offeredOn": "2025-05-20" }),
        ),
    )
    .await;
    assert_eq!(result["ownerWorker"]["id"], holder);
    assert_eq!(result["patentNumbers"], json!(["ZL2023 1 0123456.7"]));
    assert_eq!(result["offeredOn"], "2025-05-20");
    let updated = hub
        .client
        .data(
            &update_query(),
            json!({ "id": result["id"], "v": 1, "input": {
                "maturity": "INDUSTRIALIZED", "ownerWorkerId": null, "licensingTerms": null,
                "patentNumbers": ["ZL2024 1 0000001.1", "ZL2024 1 0000002.2"] } }),
        )
        .await["updateScienceResult"]
        .clone();
    assert_eq!(updated["maturity"], "INDUSTRIALIZED");
    assert_eq!(updated["ownerWorker"], Value::Null);
    assert_eq!(updated["licensingTerms"], Value::Null);
    assert_eq!(updated["patentNumbers"].as_array().unwrap().len(), 2);
    assert_eq!(updated["title"], result["title"], "absent fields stay");

    create_result(
        &hub.client,
        result_input(
            hub.tree.township_b.id,
            json!({ "title": "光储一体化能量管理系统", "field": "NEW_ENERGY" }),
        ),
    )
    .await;
    assert_eq!(
        titles(&hub, json!({ "fields": ["NEW_ENERGY"] })).await,
        vec![json!("光储一体化能量管理系统")]
    );
    assert_eq!(
        titles(&hub, json!({ "maturities": ["INDUSTRIALIZED"] })).await,
        vec![result["title"].clone()]
    );
    let district_b = hub.tree.district_b.id.to_string();
    assert_eq!(
        titles(
            &hub,
            json!({ "unitId": district_b, "includeSubtree": true })
        )
        .await,
        vec![json!("光储一体化能量管理系统")]
    );
    hub.client
        .data(
            "mutation($id: ID!) { archiveScienceResult(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": result["id"] }),
        )
        .await;
    assert_eq!(
        titles(&hub, json!({})).await,
        vec![json!("光储一体化能量管理系统")]
    );
}

#[tokio::test]
async fn bad_results_are_refused_and_write_nothing() {
    let hub = start().await;
    let create = create_result_query();
    let unit = hub.tree.district_a.id;
    for overrides in [
        json!({ "patentNumbers": ["ZL1", "ZL1"] }),
        json!({ "patentNumbers": (0..51).map(|n| format!("ZL{n}")).collect::<Vec<_>>() }),
        json!({ "patentNumbers": ["号".repeat(41)] }),
        json!({ "ownerWorkerId": "nope" }),
        json!({ "offeredOn": "2999-12-31" }),
        json!({ "title": "" }),
    ] {
        refused(
            &hub,
            &create,
            json!({ "input": result_input(unit, overrides) }),
            "VALIDATION",
        )
        .await;
    }
    refused(
        &hub,
        &create,
        json!({ "input": result_input(hub.merged.id, json!({})) }),
        "VALIDATION",
    )
    .await;
}

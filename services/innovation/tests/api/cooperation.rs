//! School–enterprise cooperation agreements (校企合作): recorded by the university's side,
//! listed by the day they are in force, ended early, and bad input refused.

use serde_json::{json, Value};

use kexie_contract::principal::Role;

use crate::support::*;

const FIELDS: &str =
    "id title university { id } enterprise { id } enterpriseName field signedOn endsOn version";

fn create_query() -> String {
    format!("mutation($input: CreateCooperationAgreementInput!) {{ createCooperationAgreement(input: $input) {{ {FIELDS} }} }}")
}

fn input(university: uuid::Uuid, overrides: Value) -> Value {
    let mut input = json!({
        "universityUnitId": university.to_string(),
        "enterpriseName": "绵阳金松电子科技有限公司",
        "title": "嵌入式控制器联合研发协议",
        "field": "ELECTRONIC_INFORMATION",
        "signedOn": "2025-03-01",
        "endsOn": "2028-02-29",
    });
    for (key, value) in overrides.as_object().unwrap() {
        input[key] = value.clone();
    }
    input
}

#[tokio::test]
async fn agreements_are_recorded_listed_in_force_and_ended_early() {
    let hub = start().await;
    let university = hub.tree.district_a.id;
    let created = hub
        .client
        .data(
            &create_query(),
            json!({ "input": input(university, json!({})) }),
        )
        .await["createCooperationAgreement"]
        .clone();
    assert_eq!(created["endsOn"], "2028-02-29");
    let in_force = "query($day: NaiveDate) { cooperationAgreements(filter: { inForceOn: $day }) { edges { node { id } } } }";
    let on = |day: &str| json!({ "day": day });
    assert_eq!(
        column(
            &hub.client.data(in_force, on("2026-06-01")).await["cooperationAgreements"],
            "id"
        ),
        vec![created["id"].clone()]
    );
    assert!(column(
        &hub.client.data(in_force, on("2025-02-28")).await["cooperationAgreements"],
        "id"
    )
    .is_empty());
    let ended = hub
        .client
        .data(
            &format!("mutation($id: ID!) {{ updateCooperationAgreement(id: $id, expectedVersion: 1, input: {{ endsOn: \"2025-12-31\" }}) {{ {FIELDS} }} }}"),
            json!({ "id": created["id"] }),
        )
        .await["updateCooperationAgreement"]
        .clone();
    assert_eq!(ended["endsOn"], "2025-12-31");
    assert!(column(
        &hub.client.data(in_force, on("2026-06-01")).await["cooperationAgreements"],
        "id"
    )
    .is_empty());

    let create = create_query();
    for overrides in [
        json!({ "enterpriseName": null }),
        json!({ "endsOn": "2024-01-01" }),
        json!({ "signedOn": "2999-01-01" }),
        json!({ "title": "" }),
    ] {
        refused(
            &hub,
            &create,
            json!({ "input": input(university, overrides) }),
            "VALIDATION",
        )
        .await;
    }
    let other = hub
        .client
        .as_staff("b", Role::UnitStaff, hub.tree.district_b.id);
    let before = fingerprint(&hub.pool).await;
    assert_eq!(
        other
            .error_code(&create, json!({ "input": input(university, json!({})) }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(fingerprint(&hub.pool).await, before);
}

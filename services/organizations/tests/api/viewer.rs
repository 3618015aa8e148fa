//! `viewer`: who is signed in and what they may do, for every kind of principal, and
//! `Viewer.may` answering as the mutations then decide.

use serde_json::{json, Value};
use uuid::Uuid;

use kexie_contract::principal::{Role, Scope};
use kexie_testkit::GraphqlClient;

use crate::support::start;

const VIEWER: &str = "{ viewer { subject role reach unit { id name } bureau scopes permissions } }";

async fn unit(client: &GraphqlClient, input: Value) -> Uuid {
    let id = client
        .data(
            "mutation($input: UnitInput!) { createUnit(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await["createUnit"]["id"]
        .clone();
    id.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn every_principal_reads_who_it_is_and_what_it_may_do() {
    let hub = start().await;
    let city = unit(
        &hub.client,
        json!({ "kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700" }),
    )
    .await;
    let district = unit(
        &hub.client,
        json!({ "kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city }),
    )
    .await;

    let viewer = |client: GraphqlClient| async move {
        client.data(VIEWER, json!({})).await["viewer"].clone()
    };
    assert_eq!(
        viewer(hub.client.anonymous()).await,
        json!({ "subject": "anonymous", "role": "ANONYMOUS", "reach": "PUBLIC", "unit": null,
                "bureau": null, "scopes": [], "permissions": [] })
    );
    let staff = viewer(hub.client.as_staff("wang", Role::UnitStaff, district)).await;
    assert_eq!(
        staff,
        json!({ "subject": "wang", "role": "UNIT_STAFF", "reach": "SUBTREE",
                "unit": { "id": district.to_string(), "name": "涪城区科协" }, "bureau": null, "scopes": [],
                "permissions": ["READ_STAFF_DATA", "READ_SUBTREE", "WRITE_RECORDS"] })
    );
    let admin = viewer(hub.client.as_staff("li", Role::UnitAdmin, district)).await;
    assert_eq!(
        admin["permissions"],
        json!([
            "READ_STAFF_DATA",
            "READ_SUBTREE",
            "WRITE_RECORDS",
            "ADMINISTER_UNITS"
        ])
    );
    let leader = viewer(hub.client.as_staff("zhao", Role::Leadership, city)).await;
    assert_eq!(
        (leader["role"].clone(), leader["permissions"].clone()),
        (
            json!("LEADERSHIP"),
            json!(["READ_STAFF_DATA", "READ_SUBTREE"])
        )
    );
    let city_admin = viewer(hub.client.as_staff("chen", Role::CityAdmin, city)).await;
    assert_eq!(city_admin["reach"], "CITY");
    assert_eq!(
        city_admin["permissions"],
        json!([
            "READ_STAFF_DATA",
            "READ_SUBTREE",
            "WRITE_RECORDS",
            "ADMINISTER_UNITS",
            "MANAGE_API_KEYS"
        ])
    );
    let partner = viewer(hub.client.as_partner(
        "INDUSTRY_IT",
        &[Scope::ReadInnovation, Scope::CoOrganizeInnovationEvents],
    ))
    .await;
    assert_eq!(
        partner,
        json!({ "subject": "partner:INDUSTRY_IT", "role": "PARTNER", "reach": "SCOPES", "unit": null,
                "bureau": "INDUSTRY_IT", "scopes": ["innovation:read", "innovation-events:co-organize"],
                "permissions": ["READ_INNOVATION", "CO_ORGANIZE_INNOVATION_EVENTS"] })
    );
}

#[tokio::test]
async fn may_answers_as_the_mutations_then_decide() {
    let hub = start().await;
    let city = unit(
        &hub.client,
        json!({ "kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700" }),
    )
    .await;
    let district_a = unit(
        &hub.client,
        json!({ "kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city }),
    )
    .await;
    let district_b = unit(
        &hub.client,
        json!({ "kind": "DISTRICT", "name": "游仙区科协", "divisionCode": "510704", "parentId": city }),
    )
    .await;
    let society = unit(
        &hub.client,
        json!({ "kind": "SOCIETY", "name": "涪城区农学会", "parentId": district_a }),
    )
    .await;

    let may = "query($unit: ID!) { viewer {
        read: may(need: READ_SUBTREE, unitId: $unit) write: may(need: WRITE, unitId: $unit)
        administer: may(need: ADMINISTER, unitId: $unit) } }";
    let write = "mutation($unit: ID!) { recordMediaReport(input: { unitId: $unit, title: \"报道\",
        outlet: \"绵阳日报\", level: CITY, publishedOn: \"2025-05-01\" }) { id } }";
    let administer = "mutation($unit: ID!) { createLeadershipRole(input: { unitId: $unit,
        personName: \"张伟\", role: VICE_CHAIR }) { id } }";
    let read = "query($unit: ID!) { unit(id: $unit) { organizationFigures(period: { year: 2025 }) { units } } }";
    let principals = [
        (
            "staff",
            hub.client.as_staff("staff", Role::UnitStaff, district_a),
        ),
        (
            "admin",
            hub.client.as_staff("admin", Role::UnitAdmin, district_a),
        ),
        (
            "leadership",
            hub.client.as_staff("leader", Role::Leadership, district_a),
        ),
        ("partner", hub.client.as_partner("EDUCATION", &Scope::ALL)),
        ("anonymous", hub.client.anonymous()),
    ];
    for (who, client) in principals {
        for target in [society, district_b] {
            let answers = client.data(may, json!({ "unit": target })).await["viewer"].clone();
            for (key, query) in [("read", read), ("write", write), ("administer", administer)] {
                let body = client.post(query, json!({ "unit": target })).await;
                let accepted = body.get("errors").is_none();
                assert_eq!(
                    answers[key].as_bool().unwrap(),
                    accepted,
                    "may {key} on {target} as {who}: {body}"
                );
            }
        }
    }
    let unknown = hub
        .client
        .data(may, json!({ "unit": Uuid::now_v7() }))
        .await;
    assert_eq!(
        unknown["viewer"],
        json!({ "read": false, "write": false, "administer": false })
    );
}

//! The associations' own work: party building in the societies (学会党建) and reports in the
//! media (宣传报道) — recorded, changed, archived and listed by the staff of the unit's
//! subtree, refused with clear errors and no write otherwise.

use serde_json::{json, Value};

use kexie_contract::principal::{Role, Scope};
use kexie_testkit::GraphqlClient;

use crate::support::{start, Hub};

const ACTIVITY: &str =
    "id unit { id } kind title heldOn speaker participants version createdBy archivedAt";
const REPORT: &str =
    "id unit { id } title outlet level publishedOn url version createdBy archivedAt";

fn record_activity() -> String {
    format!("mutation($input: RecordPartyBuildingActivityInput!) {{ recordPartyBuildingActivity(input: $input) {{ {ACTIVITY} }} }}")
}

fn record_report() -> String {
    format!("mutation($input: RecordMediaReportInput!) {{ recordMediaReport(input: $input) {{ {REPORT} }} }}")
}

/// A city with two districts; district A has a society and a township merged away.
struct Tree {
    city: Value,
    district_a: Value,
    district_b: Value,
    society: Value,
    merged: Value,
}

async fn unit(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(
            "mutation($input: UnitInput!) { createUnit(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await["createUnit"]["id"]
        .clone()
}

async fn tree(client: &GraphqlClient) -> Tree {
    let city = unit(
        client,
        json!({ "kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700" }),
    )
    .await;
    let district_a = unit(
        client,
        json!({ "kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city }),
    )
    .await;
    let district_b = unit(
        client,
        json!({ "kind": "DISTRICT", "name": "游仙区科协", "divisionCode": "510704", "parentId": city }),
    )
    .await;
    let society = unit(
        client,
        json!({ "kind": "SOCIETY", "name": "涪城区农学会", "parentId": district_a }),
    )
    .await;
    let merged = unit(
        client,
        json!({ "kind": "TOWNSHIP", "name": "龙门镇科协", "divisionCode": "510703103", "parentId": district_a }),
    )
    .await;
    let into = unit(
        client,
        json!({ "kind": "TOWNSHIP", "name": "青义镇科协", "divisionCode": "510703101", "parentId": district_a }),
    )
    .await;
    client
        .data(
            "mutation($id: ID!, $into: ID!) { mergeUnit(id: $id, expectedVersion: 1, intoUnitId: $into) { id } }",
            json!({ "id": merged, "into": into }),
        )
        .await;
    Tree {
        city,
        district_a,
        district_b,
        society,
        merged,
    }
}

async fn fingerprint(hub: &Hub) -> (i64, i64, i64) {
    sqlx::query_as(
        "select (select count(*) + coalesce(sum(version), 0) from party_building_activity),
                (select count(*) + coalesce(sum(version), 0) from media_report),
                (select count(*) from idempotency_key)",
    )
    .fetch_one(&hub.pool)
    .await
    .unwrap()
}

/// Sends `query` as `client`, expecting `code`, and checks nothing was written.
async fn refused(hub: &Hub, client: &GraphqlClient, query: &str, variables: Value, code: &str) {
    let before = fingerprint(hub).await;
    assert_eq!(
        client.error_code(query, variables.clone()).await,
        code,
        "{variables:#}"
    );
    assert_eq!(
        fingerprint(hub).await,
        before,
        "a refused request wrote: {variables:#}"
    );
}

fn column(connection: &Value, field: &str) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"][field].clone())
        .collect()
}

#[tokio::test]
async fn party_building_is_recorded_changed_listed_and_archived_within_the_subtree() {
    let hub = start().await;
    let tree = tree(&hub.client).await;
    let staff_a = hub.client.as_staff(
        "a-secretary",
        Role::UnitStaff,
        tree.district_a.as_str().unwrap().parse().unwrap(),
    );
    let lecture = json!({ "unitId": tree.society, "kind": "LECTURE", "title": "党的二十大精神宣讲报告会",
                          "heldOn": "2025-03-12", "speaker": "市委党校 王教授", "participants": 86,
                          "idempotencyKey": "lecture-1" });
    let recorded = staff_a
        .data(&record_activity(), json!({ "input": lecture }))
        .await["recordPartyBuildingActivity"]
        .clone();
    assert_eq!(recorded["unit"]["id"], tree.society);
    assert_eq!(
        (recorded["kind"].clone(), recorded["participants"].clone()),
        (json!("LECTURE"), json!(86))
    );
    assert_eq!(recorded["createdBy"], "a-secretary");
    // Retried: the same record, nothing written twice; another input under the key: refused.
    let again = staff_a
        .data(&record_activity(), json!({ "input": lecture }))
        .await["recordPartyBuildingActivity"]
        .clone();
    assert_eq!(again["id"], recorded["id"]);
    let mut other = lecture.clone();
    other["title"] = json!("另一场");
    refused(
        &hub,
        &staff_a,
        &record_activity(),
        json!({ "input": other }),
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;

    // Bad input writes nothing.
    let future =
        (kexie_subgraph_kit::figures::china_today() + chrono::Duration::days(2)).to_string();
    for (overrides, code) in [
        (json!({ "title": " " }), "VALIDATION"),
        (json!({ "heldOn": future }), "VALIDATION"),
        (json!({ "participants": -3 }), "VALIDATION"),
        (json!({ "unitId": tree.merged }), "VALIDATION"),
        (json!({ "unitId": "nope" }), "VALIDATION"),
    ] {
        let mut input = json!({ "unitId": tree.society, "kind": "TRAINING", "title": "党员骨干培训班",
                                "heldOn": "2025-04-01" });
        for (key, value) in overrides.as_object().unwrap() {
            input[key] = value.clone();
        }
        refused(
            &hub,
            &hub.client,
            &record_activity(),
            json!({ "input": input }),
            code,
        )
        .await;
    }

    // Staff of another district, leadership, partners and the public write nothing here.
    let district_b: uuid::Uuid = tree.district_b.as_str().unwrap().parse().unwrap();
    let input = json!({ "input": { "unitId": tree.society, "kind": "TRAINING", "title": "培训", "heldOn": "2025-04-01" } });
    for client in [
        hub.client.as_staff("b", Role::UnitStaff, district_b),
        hub.client.as_staff(
            "lead",
            Role::Leadership,
            tree.city.as_str().unwrap().parse().unwrap(),
        ),
        hub.client
            .as_partner("ORGANIZATION_DEPARTMENT", &Scope::ALL),
        hub.client.anonymous(),
    ] {
        refused(
            &hub,
            &client,
            &record_activity(),
            input.clone(),
            "FORBIDDEN",
        )
        .await;
    }

    // Changed (the speaker cleared), then archived; version conflicts are refused.
    let update = format!("mutation($id: ID!, $v: Int!, $input: UpdatePartyBuildingActivityInput!) {{
        updatePartyBuildingActivity(id: $id, expectedVersion: $v, input: $input) {{ {ACTIVITY} }} }}");
    refused(
        &hub,
        &hub.client,
        &update,
        json!({ "id": recorded["id"], "v": 9, "input": { "participants": 90 } }),
        "CONFLICT",
    )
    .await;
    refused(
        &hub,
        &hub.client.as_staff("b", Role::UnitStaff, district_b),
        &update,
        json!({ "id": recorded["id"], "v": 1, "input": { "participants": 90 } }),
        "FORBIDDEN",
    )
    .await;
    let changed = staff_a
        .data(&update, json!({ "id": recorded["id"], "v": 1, "input": { "participants": 92, "speaker": null } }))
        .await["updatePartyBuildingActivity"]
        .clone();
    assert_eq!(
        (changed["participants"].clone(), changed["speaker"].clone()),
        (json!(92), Value::Null)
    );
    staff_a
        .data(&record_activity(), json!({ "input": { "unitId": tree.district_a, "kind": "WORK_MEETING",
                                                      "title": "学会党建科普工作会", "heldOn": "2026-01-08" } }))
        .await;

    // Listed for the district's subtree, by kind and day; read only within the subtree.
    let list = "query($unit: ID!, $filter: PartyBuildingFilterInput) {
        partyBuildingActivities(unitId: $unit, filter: $filter) { edges { node { title kind } } } }";
    let titles = |data: &Value| column(&data["partyBuildingActivities"], "title");
    let all = staff_a.data(list, json!({ "unit": tree.district_a })).await;
    assert_eq!(
        titles(&all),
        vec![
            json!("学会党建科普工作会"),
            json!("党的二十大精神宣讲报告会")
        ]
    );
    let lectures = staff_a
        .data(
            list,
            json!({ "unit": tree.district_a, "filter": { "kinds": ["LECTURE"] } }),
        )
        .await;
    assert_eq!(titles(&lectures), vec![json!("党的二十大精神宣讲报告会")]);
    // The city's staff read the whole city's; district A's staff only their subtree's.
    let in_2026 = hub
        .client
        .data(
            list,
            json!({ "unit": tree.city, "filter": { "from": "2026-01-01" } }),
        )
        .await;
    assert_eq!(titles(&in_2026), vec![json!("学会党建科普工作会")]);
    refused(
        &hub,
        &staff_a,
        list,
        json!({ "unit": tree.city }),
        "FORBIDDEN",
    )
    .await;
    refused(
        &hub,
        &hub.client.as_staff("b", Role::UnitStaff, district_b),
        list,
        json!({ "unit": tree.district_a }),
        "FORBIDDEN",
    )
    .await;

    let archive = "mutation($id: ID!, $v: Int!) { archivePartyBuildingActivity(id: $id, expectedVersion: $v) { archivedAt } }";
    let archived = staff_a
        .data(
            archive,
            json!({ "id": recorded["id"], "v": changed["version"] }),
        )
        .await;
    assert!(archived["archivePartyBuildingActivity"]["archivedAt"].is_string());
    let after = staff_a.data(list, json!({ "unit": tree.district_a })).await;
    assert_eq!(titles(&after), vec![json!("学会党建科普工作会")]);
    refused(
        &hub,
        &staff_a,
        archive,
        json!({ "id": recorded["id"], "v": 3 }),
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn media_reports_are_recorded_listed_and_counted_in_the_figures_and_targets() {
    let hub = start().await;
    let tree = tree(&hub.client).await;
    let reports = [
        (
            &tree.city,
            "绵阳市科协：开展全国科普日系列活动",
            "人民日报",
            "CENTRAL",
            "2025-09-22",
        ),
        (
            &tree.city,
            "绵阳市科协：推进科技成果转化",
            "四川日报",
            "PROVINCIAL",
            "2025-06-02",
        ),
        (
            &tree.district_a,
            "涪城区：科技志愿者服务走进乡村",
            "绵阳日报",
            "CITY",
            "2025-05-20",
        ),
        (
            &tree.district_a,
            "涪城区：学会服务企业行取得实效",
            "四川科技报",
            "PROVINCIAL",
            "2026-02-11",
        ),
    ];
    let mut ids = Vec::new();
    for (unit, title, outlet, level, day) in reports {
        let data = hub
            .client
            .data(
                &record_report(),
                json!({ "input": { "unitId": unit, "title": title, "outlet": outlet, "level": level,
                                   "publishedOn": day, "url": "https://example.cn/news/1" } }),
            )
            .await;
        ids.push(data["recordMediaReport"].clone());
    }
    for (overrides, code) in [
        (json!({ "url": "ftp://example.cn" }), "VALIDATION"),
        (json!({ "outlet": "" }), "VALIDATION"),
        (json!({ "publishedOn": "2999-01-01" }), "VALIDATION"),
    ] {
        let mut input = json!({ "unitId": tree.city, "title": "标题", "outlet": "四川日报",
                                "level": "PROVINCIAL", "publishedOn": "2025-01-01" });
        for (key, value) in overrides.as_object().unwrap() {
            input[key] = value.clone();
        }
        refused(
            &hub,
            &hub.client,
            &record_report(),
            json!({ "input": input }),
            code,
        )
        .await;
    }
    // Moving a report to the other district needs that district too.
    let staff_a = hub.client.as_staff(
        "a",
        Role::UnitStaff,
        tree.district_a.as_str().unwrap().parse().unwrap(),
    );
    let update = "mutation($id: ID!, $input: UpdateMediaReportInput!) {
        updateMediaReport(id: $id, expectedVersion: 1, input: $input) { unit { id } url } }";
    refused(
        &hub,
        &staff_a,
        update,
        json!({ "id": ids[2]["id"], "input": { "unitId": tree.district_b } }),
        "FORBIDDEN",
    )
    .await;
    let moved = hub
        .client
        .data(
            update,
            json!({ "id": ids[2]["id"], "input": { "unitId": tree.district_b, "url": null } }),
        )
        .await;
    assert_eq!(moved["updateMediaReport"]["unit"]["id"], tree.district_b);
    assert_eq!(moved["updateMediaReport"]["url"], Value::Null);

    let list = "query($unit: ID!, $filter: MediaReportFilterInput) {
        mediaReports(unitId: $unit, filter: $filter) { edges { node { outlet } } } }";
    let outlets = hub
        .client
        .data(list, json!({ "unit": tree.city, "filter": { "levels": ["CENTRAL", "PROVINCIAL"], "to": "2025-12-31" } }))
        .await;
    assert_eq!(
        column(&outlets["mediaReports"], "outlet"),
        vec![json!("四川日报"), json!("人民日报")]
    );
    let searched = hub
        .client
        .data(
            list,
            json!({ "unit": tree.city, "filter": { "search": "科技报" } }),
        )
        .await;
    assert_eq!(
        column(&searched["mediaReports"], "outlet"),
        vec![json!("四川科技报")]
    );

    // The figures and the target count them: two central or provincial reports in 2025.
    hub.client
        .data(
            "mutation($unit: ID!) { createTarget(input: { unitId: $unit, year: 2025,
                 metric: MAINSTREAM_MEDIA_REPORTS, targetValue: 53, responsiblePerson: \"李明\",
                 deadline: \"2025-12-31\" }) { id } }",
            json!({ "unit": tree.city }),
        )
        .await;
    let figures = hub
        .client
        .data(
            "query($unit: ID!) { unit(id: $unit) {
                 organizationFigures(period: { year: 2025 }) { mediaReports mediaReportsByLevel { level count } }
                 targets(year: 2025) { metric actual } } }",
            json!({ "unit": tree.city }),
        )
        .await;
    let unit = &figures["unit"];
    assert_eq!(unit["organizationFigures"]["mediaReports"], 3);
    assert_eq!(
        unit["organizationFigures"]["mediaReportsByLevel"],
        json!([{ "level": "CENTRAL", "count": 1 }, { "level": "PROVINCIAL", "count": 1 },
               { "level": "CITY", "count": 1 }, { "level": "COUNTY", "count": 0 }])
    );
    assert_eq!(
        unit["targets"],
        json!([{ "metric": "MAINSTREAM_MEDIA_REPORTS", "actual": 2 }])
    );
}

//! Workstations: create, list, residents, suspend/resume/close, history and bad input.

use serde_json::{json, Value};

use crate::support::{create_worker, ids, start, Hub, UNKNOWN_ID};

const FIELDS: &str = "id kind name hostUnit { id } hostEnterprise certification foundedOn status
    residentExperts { id name } history { fromStatus toStatus actor note }
    version createdBy updatedBy archivedAt";

const LIST: &str = "query($filter: WorkstationFilter, $first: Int, $after: String) {
    workstations(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { id name } } } }";

fn create_mutation() -> String {
    format!(
        "mutation($input: CreateWorkstationInput!) {{ createWorkstation(input: $input) {{ {FIELDS} }} }}"
    )
}

fn transition_mutation() -> String {
    format!(
        "mutation($id: ID!, $version: Int!, $to: WorkstationStatus!, $note: String) {{
           transitionWorkstation(id: $id, expectedVersion: $version, to: $to, note: $note) {{ {FIELDS} }} }}"
    )
}

fn residents_mutation(add: bool) -> String {
    let name = if add {
        "addResidentExpert"
    } else {
        "removeResidentExpert"
    };
    format!(
        "mutation($id: ID!, $version: Int!, $worker: ID!) {{
           {name}(workstationId: $id, expectedVersion: $version, workerId: $worker) {{ {FIELDS} }} }}"
    )
}

async fn create_workstation(hub: &Hub, changes: Value) -> Value {
    let mut input = json!({
        "kind": "ACADEMICIAN_EXPERT", "name": "四川清江电子科技有限公司院士（专家）工作站",
        "hostUnitId": hub.unit_id(&hub.tree.enterprise_a), "hostEnterprise": "四川清江电子科技有限公司",
        "certification": "PROVINCIAL", "foundedOn": "2021-06-18",
    });
    for (key, value) in changes.as_object().unwrap() {
        input[key] = value.clone();
    }
    hub.client
        .data(&create_mutation(), json!({ "input": input }))
        .await["createWorkstation"]
        .clone()
}

async fn resident(hub: &Hub, add: bool, workstation: &Value, worker: &Value) -> Value {
    let field = if add {
        "addResidentExpert"
    } else {
        "removeResidentExpert"
    };
    hub.client
        .data(
            &residents_mutation(add),
            json!({ "id": workstation["id"], "version": workstation["version"], "worker": worker["id"] }),
        )
        .await[field]
        .clone()
}

#[tokio::test]
async fn a_workstation_takes_resident_experts_who_see_it_among_their_workstations() {
    let hub = start().await;
    let station = create_workstation(&hub, json!({})).await;
    assert_eq!(station["status"], "ACTIVE");
    assert_eq!(station["certification"], "PROVINCIAL");
    assert_eq!(station["foundedOn"], "2021-06-18");
    assert_eq!(station["history"][0]["toStatus"], "ACTIVE");
    assert_eq!(station["residentExperts"], json!([]));

    let unit = hub.unit_id(&hub.tree.enterprise_a);
    let academician = create_worker(
        &hub.client,
        &unit,
        json!({ "name": "李院士", "isAcademician": true, "title": "SENIOR" }),
    )
    .await;
    let engineer = create_worker(
        &hub.client,
        &unit,
        json!({ "name": "陈工", "title": "ASSOCIATE_SENIOR" }),
    )
    .await;
    let with_one = resident(&hub, true, &station, &academician).await;
    assert_eq!(with_one["version"], 2);
    let with_two = resident(&hub, true, &with_one, &engineer).await;
    assert_eq!(
        with_two["residentExperts"],
        json!([
            { "id": academician["id"], "name": "李院士" },
            { "id": engineer["id"], "name": "陈工" },
        ])
    );
    assert_eq!(with_two["version"], 3);

    let on_worker = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { workstations { id name } } }",
            json!({ "id": academician["id"] }),
        )
        .await;
    assert_eq!(on_worker["worker"]["workstations"][0]["id"], station["id"]);

    let before = hub.footprint().await;
    let twice = hub
        .client
        .error_code(
            &residents_mutation(true),
            json!({ "id": station["id"], "version": 3, "worker": engineer["id"] }),
        )
        .await;
    assert_eq!(twice, "DUPLICATE");
    let stale = hub
        .client
        .error_code(
            &residents_mutation(true),
            json!({ "id": station["id"], "version": 2, "worker": UNKNOWN_ID }),
        )
        .await;
    assert_eq!(stale, "CONFLICT");
    let unknown_worker = hub
        .client
        .error_code(
            &residents_mutation(true),
            json!({ "id": station["id"], "version": 3, "worker": UNKNOWN_ID }),
        )
        .await;
    assert_eq!(unknown_worker, "NOT_FOUND");
    let unknown_station = hub
        .client
        .error_code(
            &residents_mutation(true),
            json!({ "id": UNKNOWN_ID, "version": 1, "worker": engineer["id"] }),
        )
        .await;
    assert_eq!(unknown_station, "NOT_FOUND");
    assert_eq!(hub.footprint().await, before);

    let with_one = resident(&hub, false, &with_two, &academician).await;
    assert_eq!(
        with_one["residentExperts"],
        json!([{ "id": engineer["id"], "name": "陈工" }])
    );
    assert_eq!(with_one["version"], 4);
    let before = hub.footprint().await;
    let not_resident = hub
        .client
        .error_code(
            &residents_mutation(false),
            json!({ "id": station["id"], "version": 4, "worker": academician["id"] }),
        )
        .await;
    assert_eq!(not_resident, "NOT_FOUND");
    assert_eq!(hub.footprint().await, before);

    // An archived worker no longer shows as a resident and cannot become one.
    hub.client
        .data(
            "mutation($id: ID!) { archiveWorker(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": engineer["id"] }),
        )
        .await;
    let read = hub
        .client
        .data(
            "query($id: ID!) { workstation(id: $id) { residentExperts { id } } }",
            json!({ "id": station["id"] }),
        )
        .await;
    assert_eq!(read["workstation"]["residentExperts"], json!([]));
    let archived = hub
        .client
        .error_code(
            &residents_mutation(true),
            json!({ "id": station["id"], "version": 4, "worker": engineer["id"] }),
        )
        .await;
    assert_eq!(archived, "NOT_FOUND");
}

#[tokio::test]
async fn a_workstation_suspends_resumes_and_closes_for_good_with_its_history() {
    let hub = start().await;
    let station = create_workstation(&hub, json!({})).await;
    let worker = create_worker(&hub.client, &hub.unit_id(&hub.tree.enterprise_a), json!({})).await;
    let step = |station: Value,
                to: &'static str,
                note: Option<&'static str>,
                actor: &'static str| {
        let client = hub.client.acting_as(actor);
        async move {
            client
                .data(
                    &transition_mutation(),
                    json!({ "id": station["id"], "version": station["version"], "to": to, "note": note }),
                )
                .await["transitionWorkstation"]
                .clone()
        }
    };
    let suspended = step(
        station,
        "SUSPENDED",
        Some("企业停产整顿"),
        "district-a-staff",
    )
    .await;
    assert_eq!(suspended["status"], "SUSPENDED");
    let active = step(suspended, "ACTIVE", Some("恢复运行"), "district-a-staff").await;
    assert_eq!(active["status"], "ACTIVE");
    let closed = step(active, "CLOSED", Some("合作期满"), "city-staff").await;
    // The whole closed workstation: CLOSED at version 4, and every step with who took it
    // and why, oldest first.
    insta::assert_json_snapshot!("closed_workstation", kexie_testkit::redacted(&closed));

    let before = hub.footprint().await;
    for to in ["ACTIVE", "SUSPENDED", "CLOSED"] {
        let got = hub
            .client
            .error_code(
                &transition_mutation(),
                json!({ "id": closed["id"], "version": 4, "to": to }),
            )
            .await;
        assert_eq!(got, "ILLEGAL_TRANSITION", "CLOSED → {to}");
    }
    let residents = hub
        .client
        .error_code(
            &residents_mutation(true),
            json!({ "id": closed["id"], "version": 4, "worker": worker["id"] }),
        )
        .await;
    assert_eq!(residents, "VALIDATION");
    assert_eq!(hub.footprint().await, before);

    let fresh = create_workstation(&hub, json!({ "name": "另一工作站" })).await;
    let same = hub
        .client
        .error_code(
            &transition_mutation(),
            json!({ "id": fresh["id"], "version": 1, "to": "ACTIVE" }),
        )
        .await;
    assert_eq!(same, "ILLEGAL_TRANSITION");
}

#[tokio::test]
async fn workstation_lists_filter_by_host_unit_kind_certification_status_founding_and_search() {
    let hub = start().await;
    let district = hub.unit_id(&hub.tree.district_a);
    let a = create_workstation(&hub, json!({})).await;
    let b = create_workstation(
        &hub,
        json!({ "kind": "SCIENCE_BACKYARD", "name": "清江镇猕猴桃科技小院", "hostUnitId": hub.unit_id(&hub.tree.township_a),
                "hostEnterprise": "清江猕猴桃专业合作社", "certification": "CITY", "foundedOn": "2024-04-01" }),
    )
    .await;
    let c = create_workstation(
        &hub,
        json!({ "kind": "DOCTORAL_INNOVATION", "name": "恩阳博士创新工作站", "hostUnitId": hub.unit_id(&hub.tree.district_b),
                "hostEnterprise": null, "certification": "NONE", "foundedOn": "2025-09-10" }),
    )
    .await;
    hub.client
        .data(
            "mutation($id: ID!) { transitionWorkstation(id: $id, expectedVersion: 1, to: SUSPENDED) { id } }",
            json!({ "id": c["id"] }),
        )
        .await;

    let list = |filter: Value| {
        let client = hub.client.clone();
        async move { ids(&client.data(LIST, json!({ "filter": filter })).await["workstations"]) }
    };
    let of = |rows: &[&Value]| -> Vec<String> {
        rows.iter()
            .map(|row| row["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list(json!({})).await, of(&[&c, &b, &a]));
    assert_eq!(
        list(json!({ "unitId": district })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(json!({ "unitId": district, "includeSubtree": true })).await,
        of(&[&b, &a])
    );
    assert_eq!(
        list(json!({ "kinds": ["SCIENCE_BACKYARD", "DOCTORAL_INNOVATION"] })).await,
        of(&[&c, &b])
    );
    assert_eq!(
        list(json!({ "certifications": ["PROVINCIAL", "NATIONAL"] })).await,
        of(&[&a])
    );
    assert_eq!(list(json!({ "statuses": ["SUSPENDED"] })).await, of(&[&c]));
    assert_eq!(
        list(json!({ "foundedFrom": "2024-01-01" })).await,
        of(&[&c, &b])
    );
    assert_eq!(
        list(json!({ "foundedFrom": "2024-01-01", "foundedTo": "2024-12-31" })).await,
        of(&[&b])
    );
    assert_eq!(list(json!({ "search": "猕猴桃" })).await, of(&[&b]));
    assert_eq!(list(json!({ "search": "清江电子" })).await, of(&[&a]));

    let page = hub.client.data(LIST, json!({ "first": 1 })).await;
    assert_eq!(ids(&page["workstations"]), of(&[&c]));
    assert_eq!(page["workstations"]["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            LIST,
            json!({ "first": 5, "after": page["workstations"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(ids(&next["workstations"]), of(&[&b, &a]));
    assert_eq!(next["workstations"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn a_workstation_is_updated_with_its_version_and_archived_out_of_the_lists() {
    let hub = start().await;
    let station = create_workstation(&hub, json!({})).await;
    let update = format!(
        "mutation($id: ID!, $version: Int!, $input: UpdateWorkstationInput!) {{
           updateWorkstation(id: $id, expectedVersion: $version, input: $input) {{ {FIELDS} }} }}"
    );
    let updated = hub
        .client
        .data(
            &update,
            json!({ "id": station["id"], "version": 1, "input": {
                "certification": "NATIONAL", "hostEnterprise": null, "foundedOn": null,
                "hostUnitId": hub.unit_id(&hub.tree.district_a)
            } }),
        )
        .await["updateWorkstation"]
        .clone();
    assert_eq!(updated["certification"], "NATIONAL");
    assert_eq!(updated["hostEnterprise"], Value::Null);
    assert_eq!(updated["foundedOn"], Value::Null);
    assert_eq!(
        updated["hostUnit"]["id"],
        hub.unit_id(&hub.tree.district_a).as_str()
    );
    assert_eq!(updated["name"], station["name"]);
    assert_eq!(updated["version"], 2);

    let before = hub.footprint().await;
    let stale = hub
        .client
        .error_code(
            &update,
            json!({ "id": station["id"], "version": 1, "input": { "name": "x" } }),
        )
        .await;
    assert_eq!(stale, "CONFLICT");
    hub.merge(&hub.tree.township_b, &hub.tree.township_a).await;
    let merged = hub
        .client
        .error_code(
            &update,
            json!({ "id": station["id"], "version": 2, "input": { "hostUnitId": hub.unit_id(&hub.tree.township_b) } }),
        )
        .await;
    assert_eq!(merged, "VALIDATION");
    assert_eq!(hub.footprint().await, before);

    hub.client
        .data(
            "mutation($id: ID!) { archiveWorkstation(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": station["id"] }),
        )
        .await;
    assert_eq!(
        ids(&hub.client.data(LIST, json!({})).await["workstations"]),
        Vec::<String>::new()
    );
    let with_archived = hub
        .client
        .data(LIST, json!({ "filter": { "includeArchived": true } }))
        .await;
    assert_eq!(
        ids(&with_archived["workstations"]),
        [station["id"].as_str().unwrap()]
    );
}

#[tokio::test]
async fn invalid_workstations_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    create_workstation(&hub, json!({ "idempotencyKey": "ws-1" })).await;
    hub.merge(&hub.tree.township_b, &hub.tree.township_a).await;
    let before = hub.footprint().await;

    let base = json!({ "kind": "EXPERT_ENTERPRISE", "name": "专家企业工作站", "hostUnitId": hub.unit_id(&hub.tree.enterprise_a) });
    let with = |changes: Value| {
        let mut input = base.clone();
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        json!({ "input": input })
    };
    let cases = [
        (with(json!({ "name": "" })), "VALIDATION"),
        (with(json!({ "name": "站".repeat(101) })), "VALIDATION"),
        (
            with(json!({ "hostEnterprise": "企".repeat(101) })),
            "VALIDATION",
        ),
        (with(json!({ "hostUnitId": "?" })), "VALIDATION"),
        (with(json!({ "hostUnitId": UNKNOWN_ID })), "NOT_FOUND"),
        (
            with(json!({ "hostUnitId": hub.unit_id(&hub.tree.township_b) })),
            "VALIDATION",
        ),
        (with(json!({ "foundedOn": "2999-01-01" })), "VALIDATION"),
    ];
    for (variables, code) in cases {
        let got = hub
            .client
            .error_code(&create_mutation(), variables.clone())
            .await;
        assert_eq!(got, code, "{variables}");
    }
    let bad_range = hub
        .client
        .error_code(
            LIST,
            json!({ "filter": { "foundedFrom": "2025-01-01", "foundedTo": "2024-12-31" } }),
        )
        .await;
    assert_eq!(bad_range, "VALIDATION");
    assert_eq!(hub.footprint().await, before);

    let retried = create_workstation(&hub, json!({ "idempotencyKey": "ws-1" })).await;
    assert_eq!(
        retried["name"],
        "四川清江电子科技有限公司院士（专家）工作站"
    );
    // The key reused for another workstation is refused, not answered with the first one.
    let mut reused = base.clone();
    reused["name"] = json!("重试");
    reused["idempotencyKey"] = json!("ws-1");
    let code = hub
        .client
        .error_code(&create_mutation(), json!({ "input": reused }))
        .await;
    assert_eq!(code, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(hub.footprint().await, before);
}

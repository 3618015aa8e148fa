//! Who may change and read talent records: staff within the subtree of the record's owning
//! unit (a worker's and an honor's home unit, a workstation's host unit, the nominating
//! unit), reviewers strictly above the nominating unit, nobody else; personal data only
//! within the home unit's subtree; honors and honorees' names for everyone; figures and
//! targets for the unit's own subtree.

use serde_json::{json, Value};

use kexie_contract::principal::{Role, Scope};
use kexie_subgraph_kit::unit_tree::ReplicatedUnit;
use kexie_testkit::GraphqlClient;

use crate::support::{create_worker, ids, start, Hub};

const CREATE_WORKER: &str =
    "mutation($input: CreateWorkerInput!) { createWorker(input: $input) { id version } }";
const UPDATE_WORKER: &str = "mutation($id: ID!, $version: Int!, $input: UpdateWorkerInput!) {
    updateWorker(id: $id, expectedVersion: $version, input: $input) { id name version homeUnit { id } } }";
const ARCHIVE_WORKER: &str = "mutation($id: ID!, $version: Int!) {
    archiveWorker(id: $id, expectedVersion: $version) { id version archivedAt } }";
const CREATE_HONOR: &str =
    "mutation($input: CreateHonorInput!) { createHonor(input: $input) { id version } }";
const UPDATE_HONOR: &str = "mutation($id: ID!, $version: Int!, $input: UpdateHonorInput!) {
    updateHonor(id: $id, expectedVersion: $version, input: $input) { id name version } }";
const ARCHIVE_HONOR: &str = "mutation($id: ID!, $version: Int!) {
    archiveHonor(id: $id, expectedVersion: $version) { id version archivedAt } }";
const CREATE_WORKSTATION: &str = "mutation($input: CreateWorkstationInput!) {
    createWorkstation(input: $input) { id version } }";
const UPDATE_WORKSTATION: &str = "mutation($id: ID!, $version: Int!, $input: UpdateWorkstationInput!) {
    updateWorkstation(id: $id, expectedVersion: $version, input: $input) { id name version hostUnit { id } } }";
const TRANSITION_WORKSTATION: &str = "mutation($id: ID!, $version: Int!, $to: WorkstationStatus!) {
    transitionWorkstation(id: $id, expectedVersion: $version, to: $to) { id status version } }";
const ARCHIVE_WORKSTATION: &str = "mutation($id: ID!, $version: Int!) {
    archiveWorkstation(id: $id, expectedVersion: $version) { id version archivedAt } }";
const ADD_RESIDENT: &str = "mutation($id: ID!, $version: Int!, $worker: ID!) {
    addResidentExpert(workstationId: $id, expectedVersion: $version, workerId: $worker) {
        id version residentExperts { id } } }";
const REMOVE_RESIDENT: &str = "mutation($id: ID!, $version: Int!, $worker: ID!) {
    removeResidentExpert(workstationId: $id, expectedVersion: $version, workerId: $worker) {
        id version residentExperts { id } } }";
const CREATE_NOMINATION: &str = "mutation($input: CreateNominationInput!) {
    createNomination(input: $input) { id version } }";
const UPDATE_NOMINATION: &str =
    "mutation($id: ID!, $version: Int!, $input: UpdateNominationInput!) {
    updateNomination(id: $id, expectedVersion: $version, input: $input) {
        id honorName version nominatingUnit { id } } }";
const TRANSITION_NOMINATION: &str = "mutation($id: ID!, $version: Int!, $to: NominationStatus!) {
    transitionNomination(id: $id, expectedVersion: $version, to: $to) {
        id status version honor { id } } }";
const ARCHIVE_NOMINATION: &str = "mutation($id: ID!, $version: Int!) {
    archiveNomination(id: $id, expectedVersion: $version) { id version archivedAt } }";

/// The records of township A (in district A's subtree) every test works on, as the city's
/// administrators record them: a worker with personal data, another worker, an honor of the
/// first, a workstation with the first as resident expert, and a nomination of the first
/// made by the township.
struct Records {
    worker: Value,
    other_worker: Value,
    honor: Value,
    workstation: Value,
    nomination: Value,
}

impl Records {
    async fn of_township_a(hub: &Hub) -> Records {
        let township = hub.unit_id(&hub.tree.township_a);
        let worker = create_worker(
            &hub.client,
            &township,
            json!({ "name": "李秀英", "birthYear": 1986, "phone": "13912345678",
                    "email": "li.xiuying@example.cn" }),
        )
        .await;
        let other_worker = create_worker(&hub.client, &township, json!({ "name": "张伟" })).await;
        let honor = hub
            .client
            .data(CREATE_HONOR, json!({ "input": honor_input(&worker) }))
            .await["createHonor"]
            .clone();
        let created = hub
            .client
            .data(
                CREATE_WORKSTATION,
                json!({ "input": workstation_input(&hub.tree.township_a) }),
            )
            .await["createWorkstation"]
            .clone();
        let workstation = hub
            .client
            .data(
                ADD_RESIDENT,
                json!({ "id": created["id"], "version": created["version"], "worker": worker["id"] }),
            )
            .await["addResidentExpert"]
            .clone();
        let nomination = hub
            .client
            .data(
                CREATE_NOMINATION,
                json!({ "input": nomination_input(&worker, &hub.tree.township_a) }),
            )
            .await["createNomination"]
            .clone();
        Records {
            worker,
            other_worker,
            honor,
            workstation,
            nomination,
        }
    }

    /// Every record as the city's administrators read it now: what a refused mutation must
    /// leave as it was.
    async fn read_back(&self, hub: &Hub) -> Value {
        hub.client
            .data(
                "query($worker: ID!, $other: ID!, $honor: ID!, $workstation: ID!, $nomination: ID!) {
                   worker(id: $worker) { name version homeUnit { id } archivedAt }
                   other: worker(id: $other) { name version homeUnit { id } archivedAt }
                   honor(id: $honor) { name version archivedAt }
                   workstation(id: $workstation) {
                     name status version hostUnit { id } archivedAt residentExperts { id } }
                   nomination(id: $nomination) {
                     honorName status version nominatingUnit { id } archivedAt honor { id } } }",
                json!({ "worker": self.worker["id"], "other": self.other_worker["id"],
                        "honor": self.honor["id"], "workstation": self.workstation["id"],
                        "nomination": self.nomination["id"] }),
            )
            .await
    }
}

fn honor_input(worker: &Value) -> Value {
    json!({ "workerId": worker["id"], "name": "最美科技工作者", "level": "CITY", "year": 2026 })
}

fn workstation_input(host: &ReplicatedUnit) -> Value {
    json!({ "kind": "SCIENCE_BACKYARD", "name": "清江镇食用菌科技小院",
            "hostUnitId": host.id.to_string(), "certification": "CITY" })
}

fn nomination_input(worker: &Value, unit: &ReplicatedUnit) -> Value {
    json!({ "candidateId": worker["id"], "honorName": "优秀科技工作者", "honorLevel": "CITY",
            "year": 2026, "nominatingUnitId": unit.id.to_string() })
}

/// Every mutation of the subgraph, against `records` at their current versions, with
/// inputs that succeed for the city's administrators: (name, mutation, variables).
fn every_mutation(hub: &Hub, records: &Records) -> Vec<(&'static str, &'static str, Value)> {
    let (worker, honor, station, nomination) = (
        &records.worker,
        &records.honor,
        &records.workstation,
        &records.nomination,
    );
    let township = &hub.tree.township_a;
    vec![
        (
            "createWorker",
            CREATE_WORKER,
            json!({ "input": { "name": "赵磊", "gender": "MALE",
                               "homeUnitId": township.id.to_string() } }),
        ),
        (
            "updateWorker",
            UPDATE_WORKER,
            json!({ "id": worker["id"], "version": worker["version"],
                    "input": { "name": "李秀兰" } }),
        ),
        (
            "archiveWorker",
            ARCHIVE_WORKER,
            json!({ "id": worker["id"], "version": worker["version"] }),
        ),
        (
            "createHonor",
            CREATE_HONOR,
            json!({ "input": { "workerId": worker["id"], "name": "优秀科技工作者",
                               "level": "DISTRICT", "year": 2025 } }),
        ),
        (
            "updateHonor",
            UPDATE_HONOR,
            json!({ "id": honor["id"], "version": honor["version"],
                    "input": { "name": "优秀科技工作者" } }),
        ),
        (
            "archiveHonor",
            ARCHIVE_HONOR,
            json!({ "id": honor["id"], "version": honor["version"] }),
        ),
        (
            "createWorkstation",
            CREATE_WORKSTATION,
            json!({ "input": { "kind": "EXPERT_ENTERPRISE", "name": "清江镇茶叶专家工作站",
                               "hostUnitId": township.id.to_string() } }),
        ),
        (
            "updateWorkstation",
            UPDATE_WORKSTATION,
            json!({ "id": station["id"], "version": station["version"],
                    "input": { "name": "清江镇中药材科技小院" } }),
        ),
        (
            "transitionWorkstation",
            TRANSITION_WORKSTATION,
            json!({ "id": station["id"], "version": station["version"], "to": "SUSPENDED" }),
        ),
        (
            "archiveWorkstation",
            ARCHIVE_WORKSTATION,
            json!({ "id": station["id"], "version": station["version"] }),
        ),
        (
            "addResidentExpert",
            ADD_RESIDENT,
            json!({ "id": station["id"], "version": station["version"],
                    "worker": records.other_worker["id"] }),
        ),
        (
            "removeResidentExpert",
            REMOVE_RESIDENT,
            json!({ "id": station["id"], "version": station["version"], "worker": worker["id"] }),
        ),
        (
            "createNomination",
            CREATE_NOMINATION,
            json!({ "input": nomination_input(&records.other_worker, township) }),
        ),
        (
            "updateNomination",
            UPDATE_NOMINATION,
            json!({ "id": nomination["id"], "version": nomination["version"],
                    "input": { "honorName": "最美科技工作者" } }),
        ),
        (
            "transitionNomination",
            TRANSITION_NOMINATION,
            json!({ "id": nomination["id"], "version": nomination["version"],
                    "to": "SHORTLISTED" }),
        ),
        (
            "archiveNomination",
            ARCHIVE_NOMINATION,
            json!({ "id": nomination["id"], "version": nomination["version"] }),
        ),
    ]
}

/// Requires every mutation to be refused with `FORBIDDEN` for `client`, and nothing to have
/// been written: no new row in any table, no version bumped, every record as it was.
async fn assert_every_mutation_forbidden(hub: &Hub, client: &GraphqlClient, who: &str) {
    let records = Records::of_township_a(hub).await;
    let footprint = hub.footprint().await;
    let before = records.read_back(hub).await;
    let attempts = every_mutation(hub, &records);
    assert_eq!(attempts.len(), 16);
    for (name, mutation, variables) in attempts {
        let (status, body) = client.send(mutation, variables).await;
        assert_eq!(status, 200, "{name} by {who}: {body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{name} by {who}: {body:#}"
        );
        assert_eq!(body["data"], Value::Null, "{name} by {who}: {body:#}");
        assert_eq!(hub.footprint().await, footprint, "{name} by {who} wrote");
    }
    assert_eq!(
        records.read_back(hub).await,
        before,
        "{who} changed a record"
    );
}

#[tokio::test]
async fn staff_of_the_other_district_may_change_nothing_of_this_one() {
    let hub = start().await;
    let staff = hub
        .client
        .as_staff("chen.gang", Role::UnitStaff, hub.tree.district_b.id);
    assert_every_mutation_forbidden(&hub, &staff, "staff of district B").await;
}

#[tokio::test]
async fn administrators_of_the_other_district_may_change_nothing_of_this_one() {
    let hub = start().await;
    let admin = hub
        .client
        .as_staff("zhou.min", Role::UnitAdmin, hub.tree.district_b.id);
    assert_every_mutation_forbidden(&hub, &admin, "the admin of district B").await;
}

#[tokio::test]
async fn leadership_writes_nothing_even_in_its_own_subtree() {
    let hub = start().await;
    let leadership = hub
        .client
        .as_staff("wang.shuji", Role::Leadership, hub.tree.city.id);
    assert_every_mutation_forbidden(&hub, &leadership, "the city's leadership").await;
}

#[tokio::test]
async fn anonymous_callers_write_nothing() {
    let hub = start().await;
    let anonymous = hub.client.anonymous();
    assert_every_mutation_forbidden(&hub, &anonymous, "an anonymous caller").await;
}

#[tokio::test]
async fn partner_keys_write_nothing_whatever_their_scopes() {
    let hub = start().await;
    let partner = hub.client.as_partner("EDUCATION", &Scope::ALL);
    assert_every_mutation_forbidden(&hub, &partner, "a partner key").await;
}

#[tokio::test]
async fn a_mutation_refused_before_its_record_is_read_reveals_nothing_about_it() {
    let hub = start().await;
    // Principals that write nothing are refused before the ID is looked up: an unknown ID
    // answers FORBIDDEN too, not NOT_FOUND.
    let leadership = hub
        .client
        .as_staff("wang.shuji", Role::Leadership, hub.tree.city.id);
    let code = leadership
        .error_code(
            ARCHIVE_WORKER,
            json!({ "id": crate::support::UNKNOWN_ID, "version": 1 }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn a_refused_caller_learns_nothing_of_a_records_version() {
    let hub = start().await;
    let records = Records::of_township_a(&hub).await;
    let stranger = hub
        .client
        .as_staff("chen.gang", Role::UnitStaff, hub.tree.district_b.id);
    let stale = [
        (
            ARCHIVE_WORKER,
            json!({ "id": records.worker["id"], "version": 99 }),
        ),
        (
            ARCHIVE_HONOR,
            json!({ "id": records.honor["id"], "version": 99 }),
        ),
        (
            ARCHIVE_WORKSTATION,
            json!({ "id": records.workstation["id"], "version": 99 }),
        ),
        (
            ARCHIVE_NOMINATION,
            json!({ "id": records.nomination["id"], "version": 99 }),
        ),
        (
            TRANSITION_NOMINATION,
            json!({ "id": records.nomination["id"], "version": 99, "to": "SHORTLISTED" }),
        ),
    ];
    for (mutation, variables) in &stale {
        assert_eq!(
            stranger.error_code(mutation, variables.clone()).await,
            "FORBIDDEN",
            "{mutation}"
        );
        // Those allowed the change hear that the record moved on.
        assert_eq!(
            hub.client.error_code(mutation, variables.clone()).await,
            "CONFLICT",
            "{mutation}"
        );
    }
}

/// Runs `mutation` as `client` and returns its data, failing the test on any error.
async fn run(client: &GraphqlClient, mutation: &str, variables: Value) -> Value {
    let body = client.post(mutation, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn staff_of_the_owning_district_change_every_record_below_it() {
    let hub = start().await;
    let records = Records::of_township_a(&hub).await;
    let (worker, honor, station, nomination) = (
        records.worker["id"].clone(),
        records.honor["id"].clone(),
        records.workstation["id"].clone(),
        records.nomination["id"].clone(),
    );
    let staff = hub
        .client
        .as_staff("li.na", Role::UnitStaff, hub.tree.district_a.id);
    let mut succeeded = Vec::new();
    // Each mutation on the version the one before it left.
    let mut current = records;
    for name in [
        "createWorker",
        "updateWorker",
        "createHonor",
        "updateHonor",
        "archiveHonor",
        "createWorkstation",
        "updateWorkstation",
        "addResidentExpert",
        "removeResidentExpert",
        "transitionWorkstation",
        "archiveWorkstation",
        "createNomination",
        "updateNomination",
        "transitionNomination",
        "archiveNomination",
        "archiveWorker",
    ] {
        let (_, mutation, variables) = every_mutation(&hub, &current)
            .into_iter()
            .find(|(candidate, _, _)| *candidate == name)
            .unwrap();
        let result = run(&staff, mutation, variables).await;
        match name {
            "updateWorker" => current.worker = result.clone(),
            "updateHonor" => current.honor = result.clone(),
            "updateWorkstation"
            | "addResidentExpert"
            | "removeResidentExpert"
            | "transitionWorkstation" => current.workstation = result.clone(),
            "updateNomination" | "transitionNomination" => current.nomination = result.clone(),
            _ => {}
        }
        succeeded.push((name, result));
    }
    assert_eq!(succeeded.len(), 16);
    let last = |name: &str| {
        succeeded
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(last("updateWorker")["name"], "李秀兰");
    assert_ne!(last("archiveHonor")["archivedAt"], Value::Null);
    assert_eq!(last("transitionWorkstation")["status"], "SUSPENDED");
    assert_ne!(last("archiveWorkstation")["archivedAt"], Value::Null);
    assert_eq!(last("transitionNomination")["status"], "SHORTLISTED");
    assert_ne!(last("archiveNomination")["archivedAt"], Value::Null);
    assert_ne!(last("archiveWorker")["archivedAt"], Value::Null);
    // The city's administrators read the records as the district's staff left them.
    let read = hub
        .client
        .data(
            "query($worker: ID!, $honor: ID!, $station: ID!, $nomination: ID!) {
               worker(id: $worker) { updatedBy version }
               honor(id: $honor) { updatedBy version }
               workstation(id: $station) { updatedBy version residentExperts { name } }
               nomination(id: $nomination) { updatedBy version } }",
            json!({ "worker": worker, "honor": honor, "station": station,
                    "nomination": nomination }),
        )
        .await;
    assert_eq!(
        read,
        json!({
            "worker": { "updatedBy": "li.na", "version": 3 },
            "honor": { "updatedBy": "li.na", "version": 3 },
            "workstation": { "updatedBy": "li.na", "version": 7,
                             "residentExperts": [{ "name": "张伟" }] },
            "nomination": { "updatedBy": "li.na", "version": 4 },
        })
    );
}

#[tokio::test]
async fn staff_of_the_owning_unit_itself_record_its_workers_honors_and_workstations() {
    let hub = start().await;
    let staff = hub
        .client
        .as_staff("zhao.li", Role::UnitStaff, hub.tree.township_a.id);
    let township = hub.unit_id(&hub.tree.township_a);
    let worker = create_worker(&staff, &township, json!({})).await;
    assert_eq!(worker["birthYear"], 1978, "its own worker's personal data");
    let honor = run(
        &staff,
        CREATE_HONOR,
        json!({ "input": honor_input(&worker) }),
    )
    .await;
    assert_eq!(honor["version"], 1);
    let station = run(
        &staff,
        CREATE_WORKSTATION,
        json!({ "input": workstation_input(&hub.tree.township_a) }),
    )
    .await;
    assert_eq!(station["version"], 1);
    let nomination = run(
        &staff,
        CREATE_NOMINATION,
        json!({ "input": nomination_input(&worker, &hub.tree.township_a) }),
    )
    .await;
    assert_eq!(nomination["version"], 1);
    // The city's administrators see the same, recorded by the township's staff.
    let read = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { createdBy honors { id createdBy } } }",
            json!({ "id": worker["id"] }),
        )
        .await;
    assert_eq!(read["worker"]["createdBy"], "zhao.li");
    assert_eq!(read["worker"]["honors"][0]["createdBy"], "zhao.li");
}

#[tokio::test]
async fn a_nomination_is_reviewed_above_the_nominating_unit_never_by_it() {
    let hub = start().await;
    let records = Records::of_township_a(&hub).await;
    let nomination = &records.nomination;
    let step =
        |to: &str, version: &Value| json!({ "id": nomination["id"], "version": version, "to": to });
    let footprint = hub.footprint().await;
    for (who, client) in [
        (
            "the nominating township's staff",
            hub.client
                .as_staff("zhao.li", Role::UnitStaff, hub.tree.township_a.id),
        ),
        (
            "the nominating township's admin",
            hub.client
                .as_staff("qian.fang", Role::UnitAdmin, hub.tree.township_a.id),
        ),
        (
            "the other district's staff",
            hub.client
                .as_staff("chen.gang", Role::UnitStaff, hub.tree.district_b.id),
        ),
        (
            "the city's leadership",
            hub.client
                .as_staff("wang.shuji", Role::Leadership, hub.tree.city.id),
        ),
    ] {
        let code = client
            .error_code(
                TRANSITION_NOMINATION,
                step("SHORTLISTED", &nomination["version"]),
            )
            .await;
        assert_eq!(code, "FORBIDDEN", "{who} shortlisted");
    }
    assert_eq!(hub.footprint().await, footprint);

    // The district above the township shortlists; the city above both awards, which
    // creates the honor.
    let district = hub
        .client
        .as_staff("li.na", Role::UnitStaff, hub.tree.district_a.id);
    let shortlisted = run(
        &district,
        TRANSITION_NOMINATION,
        step("SHORTLISTED", &nomination["version"]),
    )
    .await;
    assert_eq!(shortlisted["status"], "SHORTLISTED");
    let city = hub
        .client
        .as_staff("sun.hua", Role::UnitStaff, hub.tree.city.id);
    let honors_before = hub.count("honor").await;
    let awarded = run(
        &city,
        TRANSITION_NOMINATION,
        step("AWARDED", &shortlisted["version"]),
    )
    .await;
    assert_eq!(awarded["status"], "AWARDED");
    assert_ne!(awarded["honor"], Value::Null);
    assert_eq!(hub.count("honor").await, honors_before + 1);
}

#[tokio::test]
async fn moving_a_record_needs_write_access_to_both_units() {
    let hub = start().await;
    let records = Records::of_township_a(&hub).await;
    let staff = hub
        .client
        .as_staff("li.na", Role::UnitStaff, hub.tree.district_a.id);
    let township_b = hub.unit_id(&hub.tree.township_b);
    let enterprise_a = hub.unit_id(&hub.tree.enterprise_a);
    let moves = |to: &str| {
        [
            (
                UPDATE_WORKER,
                json!({ "id": records.worker["id"], "version": records.worker["version"],
                        "input": { "homeUnitId": to } }),
            ),
            (
                UPDATE_WORKSTATION,
                json!({ "id": records.workstation["id"], "version": records.workstation["version"],
                        "input": { "hostUnitId": to } }),
            ),
            (
                UPDATE_NOMINATION,
                json!({ "id": records.nomination["id"], "version": records.nomination["version"],
                        "input": { "nominatingUnitId": to } }),
            ),
        ]
    };
    // Out of district A into district B: its staff may give records away to no one.
    let footprint = hub.footprint().await;
    let before = records.read_back(&hub).await;
    for (mutation, variables) in moves(&township_b) {
        assert_eq!(
            staff.error_code(mutation, variables.clone()).await,
            "FORBIDDEN",
            "{variables}"
        );
    }
    assert_eq!(hub.footprint().await, footprint);
    assert_eq!(records.read_back(&hub).await, before);
    // Nor may district B's staff take them in.
    let other = hub
        .client
        .as_staff("chen.gang", Role::UnitStaff, hub.tree.district_b.id);
    for (mutation, variables) in moves(&township_b) {
        assert_eq!(other.error_code(mutation, variables).await, "FORBIDDEN");
    }
    assert_eq!(records.read_back(&hub).await, before);
    // Within district A they move.
    for (mutation, variables) in moves(&enterprise_a) {
        let version = variables["version"].as_i64().unwrap();
        let moved = run(&staff, mutation, variables).await;
        let unit = ["homeUnit", "hostUnit", "nominatingUnit"]
            .iter()
            .find_map(|field| moved.get(*field))
            .unwrap();
        assert_eq!(unit["id"], enterprise_a.as_str());
        assert_eq!(moved["version"], version + 1);
    }
    // The city's administrators move anything anywhere.
    let moved = run(
        &hub.client,
        UPDATE_WORKER,
        json!({ "id": records.worker["id"], "version": 2, "input": { "homeUnitId": township_b } }),
    )
    .await;
    assert_eq!(moved["homeUnit"]["id"], township_b.as_str());
}

const PERSONAL: &str = "query($id: ID!) {
    worker(id: $id) { id name gender title birthYear phone email } }";

#[tokio::test]
async fn personal_data_is_for_the_home_units_subtree_only() {
    let hub = start().await;
    let records = Records::of_township_a(&hub).await;
    let id = json!({ "id": records.worker["id"] });
    let full = json!({ "id": records.worker["id"], "name": "李秀英", "gender": "MALE",
                       "title": "INTERMEDIATE", "birthYear": 1986, "phone": "13912345678",
                       "email": "li.xiuying@example.cn" });
    let without_personal = json!({ "id": records.worker["id"], "name": "李秀英", "gender": "MALE",
                                   "title": "INTERMEDIATE", "birthYear": null, "phone": null,
                                   "email": null });
    let tree = &hub.tree;
    for (who, client, expected) in [
        (
            "the township's staff",
            hub.client
                .as_staff("zhao.li", Role::UnitStaff, tree.township_a.id),
            &full,
        ),
        (
            "the district's staff",
            hub.client
                .as_staff("li.na", Role::UnitStaff, tree.district_a.id),
            &full,
        ),
        (
            "the district's leadership",
            hub.client
                .as_staff("liu.qiang", Role::Leadership, tree.district_a.id),
            &full,
        ),
        (
            "the city's leadership",
            hub.client
                .as_staff("wang.shuji", Role::Leadership, tree.city.id),
            &full,
        ),
        ("the city's administrators", hub.client.clone(), &full),
        (
            "the other district's staff",
            hub.client
                .as_staff("chen.gang", Role::UnitStaff, tree.district_b.id),
            &without_personal,
        ),
        (
            "the other district's leadership",
            hub.client
                .as_staff("he.ping", Role::Leadership, tree.district_b.id),
            &without_personal,
        ),
        (
            "staff of a sibling unit in the same district",
            hub.client
                .as_staff("wu.jie", Role::UnitStaff, tree.enterprise_a.id),
            &without_personal,
        ),
        (
            "a partner key reading public talent",
            hub.client
                .as_partner("EDUCATION", &[Scope::ReadPublicTalent]),
            &without_personal,
        ),
    ] {
        let data = client.data(PERSONAL, id.clone()).await;
        assert_eq!(&data["worker"], expected, "as {who}");
    }

    // Lists and federation entities answer the same, worker by worker.
    let other = hub
        .client
        .as_staff("chen.gang", Role::UnitStaff, tree.district_b.id);
    let mixed = create_worker(
        &hub.client,
        &hub.unit_id(&tree.township_b),
        json!({ "name": "柳林镇王芳", "phone": "13800001111" }),
    )
    .await;
    let list = other
        .data(
            "{ workers(first: 10) { edges { node { name birthYear phone } } } }",
            json!({}),
        )
        .await;
    let rows: Vec<Value> = list["workers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect();
    assert_eq!(
        rows,
        [
            json!({ "name": "柳林镇王芳", "birthYear": 1978, "phone": "13800001111" }),
            json!({ "name": "张伟", "birthYear": null, "phone": null }),
            json!({ "name": "李秀英", "birthYear": null, "phone": null }),
        ]
    );
    let entities = other
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Worker { name phone } } }",
            json!({ "r": [{ "__typename": "Worker", "id": records.worker["id"] },
                          { "__typename": "Worker", "id": mixed["id"] }] }),
        )
        .await;
    assert_eq!(
        entities["_entities"],
        json!([{ "name": "李秀英", "phone": null }, { "name": "柳林镇王芳", "phone": "13800001111" }])
    );
}

#[tokio::test]
async fn the_public_reads_honors_with_the_honorees_names_but_not_the_workers() {
    let hub = start().await;
    let records = Records::of_township_a(&hub).await;
    let anonymous = hub.client.anonymous();
    let honors = anonymous
        .data(
            "{ honors { edges { node { id name level year worker { id name } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        honors["honors"]["edges"],
        json!([{ "node": { "id": records.honor["id"], "name": "最美科技工作者", "level": "CITY",
                           "year": 2026,
                           "worker": { "id": records.worker["id"], "name": "李秀英" } } }])
    );
    let one = anonymous
        .data(
            "query($id: ID!) { honor(id: $id) { name worker { name } } }",
            json!({ "id": records.honor["id"] }),
        )
        .await;
    assert_eq!(one["honor"]["worker"]["name"], "李秀英");
    let on_unit = anonymous
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 honors(includeSubtree: true) { edges { node { name worker { name } } } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": hub.unit_id(&hub.tree.district_a) }] }),
        )
        .await;
    assert_eq!(
        on_unit["_entities"][0]["honors"]["edges"][0]["node"]["worker"]["name"],
        "李秀英"
    );

    // Beyond the honoree's name, nothing of the worker.
    let worker = json!({ "id": records.worker["id"] });
    for (what, query, variables) in [
        ("the workers list", "{ workers { edges { node { id name } } } }", json!({})),
        ("a worker", "query($id: ID!) { worker(id: $id) { name } }", worker.clone()),
        (
            "a worker as an entity",
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Worker { name } } }",
            json!({ "r": [{ "__typename": "Worker", "id": records.worker["id"] }] }),
        ),
        (
            "the honoree's other fields",
            "{ honors { edges { node { worker { name gender homeUnit { id } } } } } }",
            json!({}),
        ),
        (
            "the honoree's other honors",
            "{ honors { edges { node { worker { honors { name } } } } } }",
            json!({}),
        ),
        (
            "who recorded an honor",
            "{ honors { edges { node { name createdBy } } } }",
            json!({}),
        ),
        (
            "the nomination behind an honor",
            "{ honors { edges { node { name nomination { id } } } } }",
            json!({}),
        ),
        (
            "a unit's workers",
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { workers { edges { node { name } } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": hub.unit_id(&hub.tree.township_a) }] }),
        ),
        ("the nominations list", "{ nominations { edges { node { id } } } }", json!({})),
        ("the workstations list", "{ workstations { edges { node { id } } } }", json!({})),
        (
            "a nomination",
            "query($id: ID!) { nomination(id: $id) { id } }",
            json!({ "id": records.nomination["id"] }),
        ),
        (
            "a workstation",
            "query($id: ID!) { workstation(id: $id) { id } }",
            json!({ "id": records.workstation["id"] }),
        ),
    ] {
        assert_eq!(
            anonymous.error_code(query, variables).await,
            "FORBIDDEN",
            "{what}"
        );
    }
    // The honoree's personal data is simply not there.
    let personal = anonymous
        .data(
            "{ honors { edges { node { worker { name birthYear phone email } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        personal["honors"]["edges"][0]["node"]["worker"],
        json!({ "name": "李秀英", "birthYear": null, "phone": null, "email": null })
    );
}

#[tokio::test]
async fn partners_read_workers_public_data_only_with_their_scope_and_never_nominations() {
    let hub = start().await;
    let records = Records::of_township_a(&hub).await;
    let reader = hub
        .client
        .as_partner("AGRICULTURE", &[Scope::ReadPublicTalent]);
    let list = reader
        .data(
            "{ workers { edges { node { id name gender title isVolunteer homeUnit { id }
                 honors { name } email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        ids(&list["workers"]),
        [
            records.other_worker["id"].as_str().unwrap(),
            records.worker["id"].as_str().unwrap()
        ]
    );
    let first = &list["workers"]["edges"][1]["node"];
    assert_eq!(first["honors"], json!([{ "name": "最美科技工作者" }]));
    assert_eq!(first["email"], Value::Null);

    for (query, variables) in [
        (
            "query($id: ID!) { worker(id: $id) { createdBy } }",
            json!({ "id": records.worker["id"] }),
        ),
        ("{ honors { edges { node { updatedBy } } } }", json!({})),
        (
            "query($id: ID!) { worker(id: $id) { nominations { id } } }",
            json!({ "id": records.worker["id"] }),
        ),
        (
            "query($id: ID!) { worker(id: $id) { workstations { id } } }",
            json!({ "id": records.worker["id"] }),
        ),
        ("{ nominations { edges { node { id } } } }", json!({})),
        ("{ workstations { edges { node { id } } } }", json!({})),
    ] {
        assert_eq!(
            reader.error_code(query, variables).await,
            "FORBIDDEN",
            "{query}"
        );
    }

    // A key without the scope reads no more than the public.
    let other = hub
        .client
        .as_partner("EDUCATION", &[Scope::ReadVenuesAndActivities]);
    assert_eq!(
        other
            .error_code("{ workers { edges { node { id } } } }", json!({}))
            .await,
        "FORBIDDEN"
    );
    // Staff of any unit read the staff lists (personal data aside).
    let staff = hub
        .client
        .as_staff("chen.gang", Role::UnitStaff, hub.tree.district_b.id);
    let lists = staff
        .data(
            "{ nominations { edges { node { id } } } workstations { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        ids(&lists["nominations"]),
        [records.nomination["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&lists["workstations"]),
        [records.workstation["id"].as_str().unwrap()]
    );
}

const FIGURES: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
    talentFigures(period: { year: 2026 }) { workers honors nominations workstations } } } }";
const FIGURES_BY_CHILD: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
    talentFiguresByChild(period: { year: 2026 }, orderBy: WORKERS) { rank unit { id } figures { workers } } } } }";
const ACTUAL: &str =
    "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target { talentActual } } }";

#[tokio::test]
async fn figures_and_targets_are_for_the_units_own_subtree() {
    let hub = start().await;
    Records::of_township_a(&hub).await;
    let tree = &hub.tree;
    let district_a =
        json!({ "r": [{ "__typename": "Unit", "id": hub.unit_id(&tree.district_a) }] });
    let target = json!({ "r": [{ "__typename": "Target", "id": kexie_subgraph_kit::id::new_id(),
        "unitId": hub.unit_id(&tree.district_a), "year": 2026, "metric": "CERTIFIED_WORKSTATIONS" }] });

    for (who, client) in [
        (
            "the other district's leadership",
            hub.client
                .as_staff("he.ping", Role::Leadership, tree.district_b.id),
        ),
        (
            "the other district's staff",
            hub.client
                .as_staff("chen.gang", Role::UnitStaff, tree.district_b.id),
        ),
        (
            "the township's leadership, below the district",
            hub.client
                .as_staff("zhao.li", Role::Leadership, tree.township_a.id),
        ),
        ("an anonymous caller", hub.client.anonymous()),
        (
            "a partner key",
            hub.client.as_partner("EDUCATION", &Scope::ALL),
        ),
    ] {
        for (what, query, variables) in [
            ("talentFigures", FIGURES, &district_a),
            ("talentFiguresByChild", FIGURES_BY_CHILD, &district_a),
            ("talentActual", ACTUAL, &target),
        ] {
            assert_eq!(
                client.error_code(query, variables.clone()).await,
                "FORBIDDEN",
                "{what} as {who}"
            );
        }
    }

    for (who, client) in [
        (
            "the district's leadership",
            hub.client
                .as_staff("liu.qiang", Role::Leadership, tree.district_a.id),
        ),
        (
            "the city's leadership",
            hub.client
                .as_staff("wang.shuji", Role::Leadership, tree.city.id),
        ),
        (
            "the district's staff",
            hub.client
                .as_staff("li.na", Role::UnitStaff, tree.district_a.id),
        ),
    ] {
        let figures = client.data(FIGURES, district_a.clone()).await;
        assert_eq!(
            figures["_entities"][0]["talentFigures"],
            json!({ "workers": 2, "honors": 1, "nominations": 1, "workstations": 1 }),
            "as {who}"
        );
        let by_child = client.data(FIGURES_BY_CHILD, district_a.clone()).await;
        let rows = by_child["_entities"][0]["talentFiguresByChild"]
            .as_array()
            .unwrap();
        assert_eq!(rows.len(), 2, "as {who}");
        assert_eq!(
            rows[0]["unit"]["id"],
            hub.unit_id(&tree.township_a).as_str()
        );
        assert_eq!(rows[0]["figures"]["workers"], 2);
        let actual = client.data(ACTUAL, target.clone()).await;
        // The workstation is certified by the city, not the province.
        assert_eq!(actual["_entities"][0]["talentActual"], 0, "as {who}");
    }
}

/// The rule is the kit's, the same in every measuring subgraph: a metric another subgraph
/// measures has nothing here to protect, so its actual is null before any access check.
#[tokio::test]
async fn talent_actual_is_null_for_a_metric_talent_does_not_measure_even_to_those_who_may_not_read_the_unit(
) {
    let hub = start().await;
    let tree = &hub.tree;
    let target = json!({ "r": [{ "__typename": "Target", "id": kexie_subgraph_kit::id::new_id(),
        "unitId": hub.unit_id(&tree.district_a), "year": 2026, "metric": "VOLUNTEER_SERVICES" }] });
    for (who, client) in [
        (
            "the other district's staff",
            hub.client
                .as_staff("chen.gang", Role::UnitStaff, tree.district_b.id),
        ),
        ("an anonymous caller", hub.client.anonymous()),
        (
            "a partner key",
            hub.client.as_partner("EDUCATION", &Scope::ALL),
        ),
        (
            "the district's staff",
            hub.client
                .as_staff("li.na", Role::UnitStaff, tree.district_a.id),
        ),
    ] {
        let actual = client.data(ACTUAL, target.clone()).await;
        assert_eq!(
            actual["_entities"][0]["talentActual"],
            Value::Null,
            "as {who}"
        );
    }
}

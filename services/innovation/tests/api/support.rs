//! The test kit of this subgraph: the app on a fresh database with a replicated sample
//! tree, and helpers to create records and to prove that bad input wrote nothing.

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};
use kexie_testkit::{redis_url, GraphqlClient, SampleTree, TestDb};

pub struct Hub {
    pub client: GraphqlClient,
    pub pool: PgPool,
    pub tree: SampleTree,
    /// A township of district B that was merged away: it takes no new records.
    pub merged: ReplicatedUnit,
    /// Kept for the test's length: the server stops and the database is dropped with it
    /// (declared last, so dropped after the server and the pool).
    _server: ServerHandle,
    _db: TestDb,
}

/// Starts the subgraph on a fresh database and waits until it holds the sample tree and a
/// merged township.
pub async fn start() -> Hub {
    let db = TestDb::new().await;
    let namespace = db.redis_namespace();
    let tree = SampleTree::new();
    tree.publish(&namespace).await;
    let merged_id = Uuid::now_v7();
    let merged = ReplicatedUnit {
        id: merged_id,
        parent_id: Some(tree.district_b.id),
        path: format!("{}{merged_id}/", tree.district_b.path),
        kind: "TOWNSHIP".to_string(),
        status: "MERGED".to_string(),
        name: "渔溪镇科协".to_string(),
        division_code: Some("511903102".to_string()),
    };
    let mut redis =
        kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
            .unwrap();
    unit_tree::publish_event(
        &mut redis,
        &TreeKeys::new(&namespace),
        2,
        std::slice::from_ref(&merged),
    )
    .await
    .unwrap();

    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: namespace,
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_innovation::build(&config).await.unwrap().spawn();
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_innovation::NAME)
        .await
        .unwrap();
    assert!(
        unit_tree::wait_for_seq(&pool, 2, Duration::from_secs(5)).await,
        "the unit tree reaches the replica"
    );
    let client = GraphqlClient::new(server.graphql_url());
    Hub {
        client,
        pool,
        tree,
        merged,
        _server: server,
        _db: db,
    }
}

/// A digest of every table this subgraph writes: equal before and after means nothing
/// was written.
pub async fn fingerprint(pool: &PgPool) -> String {
    let mut digest = String::new();
    for table in [
        "tech_need",
        "science_result",
        "need_match",
        "service_visit",
        "service_visit_expert",
        "cooperation_agreement",
        "pilot_designation",
        "status_change",
        "idempotency_key",
        "figure_ledger",
    ] {
        let table_digest: String = sqlx::query_scalar(&format!(
            "select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '')
             from {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        digest.push_str(&format!("{table}={table_digest};"));
    }
    digest
}

pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Sends `query` expecting it to fail with `code`, and checks nothing was written.
pub async fn refused(hub: &Hub, query: &str, variables: Value, code: &str) {
    let before = fingerprint(&hub.pool).await;
    let body = hub.client.post(query, variables.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], code,
        "expected {code} for {variables:#}, got {body:#}"
    );
    assert_eq!(
        fingerprint(&hub.pool).await,
        before,
        "a refused request wrote something: {variables:#}"
    );
}

pub fn worker() -> String {
    Uuid::now_v7().to_string()
}

pub fn today() -> chrono::NaiveDate {
    kexie_subgraph_kit::figures::china_today()
}

/// The nodes' values of `field` in a connection, in order.
pub fn column(connection: &Value, field: &str) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .expect("a connection")
        .iter()
        .map(|edge| edge["node"][field].clone())
        .collect()
}

/// `input` with `overrides` merged in.
fn merged(mut input: Value, overrides: Value) -> Value {
    if let (Some(input), Some(overrides)) = (input.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            input.insert(key.clone(), value.clone());
        }
    }
    input
}

pub const NEED_FIELDS: &str = "id title unit { id } enterpriseName field problem budget deadline
    status allowedTransitions publishedOn endedOn
    history { fromStatus toStatus actor note changedAt } version createdBy updatedBy archivedAt";

pub fn create_need_query() -> String {
    format!("mutation($input: CreateTechNeedInput!) {{ createTechNeed(input: $input) {{ {NEED_FIELDS} }} }}")
}

pub fn transition_need_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $to: NeedStatus!, $note: String, $on: NaiveDate) {{
           transitionTechNeed(id: $id, expectedVersion: $v, to: $to, note: $note, on: $on) {{
             {NEED_FIELDS} }} }}"
    )
}

/// A valid need of `unit`, with overrides merged in.
pub fn need_input(unit: Uuid, overrides: Value) -> Value {
    merged(
        json!({
            "unitId": unit.to_string(),
            "title": "数控机床主轴热变形补偿",
            "field": "ADVANCED_MANUFACTURING",
            "problem": "高速加工时主轴温升导致定位误差超过 0.02 毫米",
            "budget": 80.5,
            "deadline": "2027-06-30",
        }),
        overrides,
    )
}

pub async fn create_need(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(&create_need_query(), json!({ "input": input }))
        .await["createTechNeed"]
        .clone()
}

/// Looks a need up again (after its matches moved it).
pub async fn need(client: &GraphqlClient, id: &Value) -> Value {
    client
        .data(
            &format!("query($id: ID!) {{ techNeed(id: $id) {{ {NEED_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await["techNeed"]
        .clone()
}

pub async fn step_need(client: &GraphqlClient, need: &Value, to: &str, on: Option<&str>) -> Value {
    client
        .data(
            &transition_need_query(),
            json!({ "id": need["id"], "v": need["version"], "to": to, "on": on }),
        )
        .await["transitionTechNeed"]
        .clone()
}

pub const RESULT_FIELDS: &str = "id title ownerUnit { id } ownerWorker { id } field maturity
    patentNumbers licensing licensingTerms offeredOn version createdBy updatedBy archivedAt";

pub fn create_result_query() -> String {
    format!("mutation($input: CreateScienceResultInput!) {{ createScienceResult(input: $input) {{ {RESULT_FIELDS} }} }}")
}

/// A valid result of `unit`, with overrides merged in.
pub fn result_input(unit: Uuid, overrides: Value) -> Value {
    merged(
        json!({
            "ownerUnitId": unit.to_string(),
            "title": "基于数字孪生的机床热误差补偿技术",
            "field": "ADVANCED_MANUFACTURING",
            "maturity": "PILOT",
            "patentNumbers": ["ZL2023 1 0123456.7"],
            "licensing": "LICENSE",
            "licensingTerms": "普通许可，五年",
        }),
        overrides,
    )
}

pub async fn create_result(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(&create_result_query(), json!({ "input": input }))
        .await["createScienceResult"]
        .clone()
}

pub const MATCH_FIELDS: &str = "id need { id status } scienceResult { id } expert { id } status
    allowedTransitions proposedOn contract { signedOn amount } transferredOn
    history { fromStatus toStatus actor note } version createdBy updatedBy";

pub fn propose_query() -> String {
    format!("mutation($input: ProposeNeedMatchInput!) {{ proposeNeedMatch(input: $input) {{ {MATCH_FIELDS} }} }}")
}

pub fn transition_match_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $to: MatchStatus!, $note: String, $contract: ContractInput, $transferredOn: NaiveDate) {{
           transitionNeedMatch(id: $id, expectedVersion: $v, to: $to, note: $note, contract: $contract,
                               transferredOn: $transferredOn) {{ {MATCH_FIELDS} }} }}"
    )
}

pub async fn propose(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(&propose_query(), json!({ "input": input }))
        .await["proposeNeedMatch"]
        .clone()
}

pub async fn step_match(
    client: &GraphqlClient,
    found: &Value,
    to: &str,
    contract: Option<Value>,
    transferred_on: Option<&str>,
) -> Value {
    client
        .data(
            &transition_match_query(),
            json!({ "id": found["id"], "v": found["version"], "to": to, "contract": contract,
                    "transferredOn": transferred_on }),
        )
        .await["transitionNeedMatch"]
        .clone()
}

pub const VISIT_FIELDS: &str = "id title kind unit { id } enterprise { id } enterpriseName
    visitedOn status allowedTransitions experts { id } problemsTaken problemsSolved summary
    history { fromStatus toStatus actor note } version createdBy updatedBy archivedAt";

pub fn create_visit_query() -> String {
    format!("mutation($input: CreateServiceVisitInput!) {{ createServiceVisit(input: $input) {{ {VISIT_FIELDS} }} }}")
}

pub fn transition_visit_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $to: VisitStatus!, $note: String, $outcome: VisitOutcomeInput) {{
           transitionServiceVisit(id: $id, expectedVersion: $v, to: $to, note: $note, outcome: $outcome) {{
             {VISIT_FIELDS} }} }}"
    )
}

/// A valid visit organized by `unit`, with overrides merged in.
pub fn visit_input(unit: Uuid, overrides: Value) -> Value {
    merged(
        json!({
            "unitId": unit.to_string(),
            "enterpriseName": "恒通机械制造有限公司",
            "kind": "SOCIETY_VISIT",
            "title": "机械工程学会企业行",
            "visitedOn": "2026-06-18",
            "expertIds": [worker(), worker()],
        }),
        overrides,
    )
}

pub async fn create_visit(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(&create_visit_query(), json!({ "input": input }))
        .await["createServiceVisit"]
        .clone()
}

pub const EVENT_FIELDS: &str = "id title kind unit { id } partnerBureaus place startsOn endsOn
    status allowedTransitions techNeeds { id } scienceResults { id } participants enterprises
    summary history { fromStatus toStatus actor note } version createdBy updatedBy archivedAt";

pub fn create_event_query() -> String {
    format!("mutation($input: CreateInnovationEventInput!) {{ createInnovationEvent(input: $input) {{ {EVENT_FIELDS} }} }}")
}

pub fn transition_event_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $to: EventStatus!, $note: String, $attendance: EventAttendanceInput) {{
           transitionInnovationEvent(id: $id, expectedVersion: $v, to: $to, note: $note, attendance: $attendance) {{
             {EVENT_FIELDS} }} }}"
    )
}

/// A valid event organized by `unit`, with overrides merged in.
pub fn event_input(unit: Uuid, overrides: Value) -> Value {
    merged(
        json!({
            "unitId": unit.to_string(),
            "kind": "MATCHMAKING",
            "title": "科创会·市州行 先进制造专场",
            "place": "市科技馆报告厅",
            "startsOn": "2026-05-20",
            "partnerBureaus": ["SCIENCE_TECHNOLOGY", "INDUSTRY_IT"],
        }),
        overrides,
    )
}

pub async fn create_event(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(&create_event_query(), json!({ "input": input }))
        .await["createInnovationEvent"]
        .clone()
}

/// Holds a planned event with `participants` people, of whom a tenth are enterprises.
pub async fn hold_event(client: &GraphqlClient, event: &Value, participants: i32) -> Value {
    client
        .data(
            &transition_event_query(),
            json!({ "id": event["id"], "v": event["version"], "to": "HELD",
                    "attendance": { "participants": participants, "enterprises": participants / 10 } }),
        )
        .await["transitionInnovationEvent"]
        .clone()
}

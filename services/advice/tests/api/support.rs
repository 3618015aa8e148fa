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
    let server = kexie_advice::build(&config).await.unwrap().spawn();
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_advice::NAME)
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
        "campaign",
        "submission",
        "submission_author",
        "research_topic",
        "research_topic_member",
        "status_change",
        "idempotency_key",
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
    kexie_advice::domain::china_today()
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

pub const CAMPAIGN_FIELDS: &str = "id title kind organizer { id } opensOn closesOn description
    isOpen version createdBy updatedBy archivedAt";

pub const CREATE_CAMPAIGN: &str = "mutation($input: CreateCampaignInput!) {
    createCampaign(input: $input) { id title kind organizer { id } opensOn closesOn description
      isOpen version createdBy updatedBy archivedAt } }";

pub async fn create_campaign(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(CREATE_CAMPAIGN, json!({ "input": input }))
        .await["createCampaign"]
        .clone()
}

pub const SUBMISSION_FIELDS: &str = "id title summary body category channel status version
    submittedOn submittingUnit { id } campaign { id title } authors { id }
    instruction { leaderLevel leader note instructedOn }
    history { fromStatus toStatus actor note changedAt } allowedTransitions
    createdBy updatedBy archivedAt";

pub fn create_submission_query() -> String {
    format!(
        "mutation($input: CreateSubmissionInput!) {{ createSubmission(input: $input) {{ {SUBMISSION_FIELDS} }} }}"
    )
}

pub fn transition_submission_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $to: SubmissionStatus!, $note: String, $instruction: InstructionInput) {{
           transitionSubmission(id: $id, expectedVersion: $v, to: $to, note: $note, instruction: $instruction) {{
             {SUBMISSION_FIELDS} }} }}"
    )
}

/// A valid submission input from `unit`, with overrides merged in.
pub fn submission_input(unit: Uuid, overrides: Value) -> Value {
    let mut input = json!({
        "submittingUnitId": unit.to_string(),
        "title": "关于推动电子信息产业高质量发展的建议",
        "summary": "针对产业链配套不足等问题，建议完善配套政策。",
        "body": "一、基本情况\n二、存在的问题\n三、对策建议",
        "category": "INDUSTRY",
        "channel": "DIRECT",
        "authorIds": [worker()],
    });
    if let (Some(input), Some(overrides)) = (input.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            input.insert(key.clone(), value.clone());
        }
    }
    input
}

pub async fn create_submission(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(&create_submission_query(), json!({ "input": input }))
        .await["createSubmission"]
        .clone()
}

/// Moves a submission one step and returns it.
pub async fn step(
    client: &GraphqlClient,
    submission: &Value,
    to: &str,
    note: Option<&str>,
    instruction: Option<Value>,
) -> Value {
    client
        .data(
            &transition_submission_query(),
            json!({ "id": submission["id"], "v": submission["version"], "to": to,
                    "note": note, "instruction": instruction }),
        )
        .await["transitionSubmission"]
        .clone()
}

/// Moves a submission through `statuses` in order.
pub async fn walk(client: &GraphqlClient, mut submission: Value, statuses: &[&str]) -> Value {
    for to in statuses {
        let instruction = (*to == "INSTRUCTED").then(|| {
            json!({ "leaderLevel": "CITY", "leader": "市长", "note": "请研究吸收",
                    "instructedOn": today().to_string() })
        });
        submission = step(client, &submission, to, None, instruction).await;
    }
    submission
}

pub const TOPIC_FIELDS: &str = "id year title status version leadUnit { id } members { id }
    report { title summary submittedOn } award awardedAt allowedTransitions
    history { fromStatus toStatus actor note changedAt } createdBy updatedBy archivedAt";

pub fn create_topic_query() -> String {
    format!(
        "mutation($input: CreateResearchTopicInput!) {{ createResearchTopic(input: $input) {{ {TOPIC_FIELDS} }} }}"
    )
}

pub fn transition_topic_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $to: ResearchTopicStatus!, $note: String, $report: ConsultationReportInput) {{
           transitionResearchTopic(id: $id, expectedVersion: $v, to: $to, note: $note, report: $report) {{
             {TOPIC_FIELDS} }} }}"
    )
}

pub async fn create_topic(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(&create_topic_query(), json!({ "input": input }))
        .await["createResearchTopic"]
        .clone()
}

pub async fn step_topic(
    client: &GraphqlClient,
    topic: &Value,
    to: &str,
    note: Option<&str>,
    report: Option<Value>,
) -> Value {
    client
        .data(
            &transition_topic_query(),
            json!({ "id": topic["id"], "v": topic["version"], "to": to, "note": note, "report": report }),
        )
        .await["transitionResearchTopic"]
        .clone()
}

/// The report that concludes a topic of `year`.
pub fn report(year: i32) -> Value {
    json!({
        "title": "关于基层科普阵地建设的调研报告",
        "summary": "课题组深入12个单位开展实地调研，提出6条对策建议。",
        "submittedOn": format!("{year}-11-20"),
    })
}

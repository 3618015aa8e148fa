//! The city-wide overview through the gateway with its Redis response cache: repeated reads
//! come from Redis, yet the read right after an acknowledged write shows it — a record
//! created, a unit added, a unit moved — and with Redis unreachable the answers are the
//! same, without errors.

mod common;

use std::time::Duration;

use serde_json::{json, Value};

use common::{gateway_config_for_tests, replicas_reach, start_subgraphs};
use kexie::subgraphs::Subgraph;
use kexie_gateway::GatewayHandle;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_testkit::{redis_url, ClosedPort, GraphqlClient, TestDb};

const OVERVIEW: &str = include_str!("../schema/queries/city_overview.graphql");
const SERIES: &str = include_str!("../schema/queries/city_series.graphql");

async fn cached_gateway(
    db: &TestDb,
    servers: &[(Subgraph, ServerHandle)],
    redis: &str,
) -> GatewayHandle {
    let config =
        gateway_config_for_tests(servers).with_response_cache(redis, &db.redis_namespace());
    kexie_gateway::build(config).await.unwrap().spawn()
}

async fn overview(hub: &GraphqlClient) -> Value {
    hub.data(
        OVERVIEW,
        json!({ "period": { "year": 2026 }, "year": 2026 }),
    )
    .await
}

/// The row of the district named `name`.
fn district<'a>(overview: &'a Value, name: &str) -> &'a Value {
    overview["city"]["districts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .find(|node| node["name"] == name)
        .unwrap_or_else(|| panic!("no district {name} in {overview}"))
}

async fn create_unit(hub: &GraphqlClient, input: Value) -> Value {
    hub.data(
        "mutation($input: UnitInput!) { createUnit(input: $input) { id version } }",
        json!({ "input": input }),
    )
    .await["createUnit"]
        .clone()
}

async fn create_worker(hub: &GraphqlClient, name: &str, home: &Value) -> Value {
    hub.data(
        "mutation($input: CreateWorkerInput!) { createWorker(input: $input) { id } }",
        json!({ "input": { "name": name, "gender": "FEMALE", "homeUnitId": home, "isVolunteer": true,
                           "isRuralExpert": false, "isYoungTalent": false, "isAcademician": false } }),
    )
    .await["createWorker"]["id"]
        .clone()
}

#[tokio::test]
async fn the_read_after_an_acknowledged_write_shows_it_though_reads_come_from_redis() {
    let db = TestDb::new().await;
    let servers = start_subgraphs(&db, &redis_url()).await;
    let gateway = cached_gateway(&db, &servers, &redis_url()).await;
    let hub = GraphqlClient::new(gateway.graphql_url());

    let city = create_unit(
        &hub,
        json!({ "kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700" }),
    )
    .await["id"]
        .clone();
    let fucheng = create_unit(
        &hub,
        json!({ "kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city }),
    )
    .await["id"]
        .clone();
    let youxian = create_unit(
        &hub,
        json!({ "kind": "DISTRICT", "name": "游仙区科协", "divisionCode": "510704", "parentId": city }),
    )
    .await["id"]
        .clone();
    replicas_reach(&db, 3).await;

    // Repeated reads come from Redis.
    let first = overview(&hub).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let hits_before = gateway.metrics().snapshot().response_cache_hits;
    assert_eq!(overview(&hub).await, first);
    assert_eq!(
        gateway.metrics().snapshot().response_cache_hits,
        hits_before + 1,
        "the second read was not served from Redis"
    );
    assert_eq!(
        district(&first, "涪城区科协")["talentFigures"]["workers"],
        0
    );
    assert_eq!(
        district(&first, "涪城区科协")["organizationFigures"]["units"],
        1
    );

    // talent: a worker registered in 涪城区.
    let worker = create_worker(&hub, "李秀英", &fucheng).await;
    let after_worker = overview(&hub).await;
    assert_eq!(
        district(&after_worker, "涪城区科协")["talentFigures"]["workers"],
        1
    );
    assert_eq!(after_worker["city"]["talentFigures"]["workers"], 1);
    assert_eq!(after_worker["city"]["talentFigures"]["volunteers"], 1);

    // popularization: a lecture planned, then held — counted once it is held.
    let lecture = hub
        .data(
            "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id version } }",
            json!({ "input": { "organizerId": fucheng, "title": "涪城区老年人防诈骗科普讲座", "kind": "LECTURE",
                               "startsOn": "2026-03-15", "audiences": ["ELDERLY"] } }),
        )
        .await["createActivity"]
        .clone();
    let planned = overview(&hub).await;
    assert_eq!(
        district(&planned, "涪城区科协")["popularizationFigures"]["activities"],
        0
    );
    hub.data(
        "mutation($id: ID!, $version: Int!) {
           transitionActivity(id: $id, expectedVersion: $version, to: HELD, participants: 120) { id }
         }",
        json!({ "id": lecture["id"], "version": lecture["version"] }),
    )
    .await;
    let after_lecture = overview(&hub).await;
    let popularization = &district(&after_lecture, "涪城区科协")["popularizationFigures"];
    assert_eq!(popularization["activities"], 1);
    assert_eq!(popularization["participants"], 120);
    assert_eq!(
        after_lecture["city"]["popularizationFigures"]["participants"],
        120
    );

    // advice: a submission from 涪城区, counted once it is submitted.
    let submission = hub.data(
        "mutation($input: CreateSubmissionInput!) { createSubmission(input: $input) { id version } }",
        json!({ "input": { "submittingUnitId": fucheng, "title": "关于完善基层科普阵地运营机制的建议",
                           "summary": "建议建立运营经费保障机制。", "body": "一、现状\n二、建议",
                           "category": "EDUCATION", "channel": "DIRECT", "authorIds": [worker] } }),
    )
    .await["createSubmission"]
        .clone();
    let drafted = overview(&hub).await;
    assert_eq!(
        district(&drafted, "涪城区科协")["adviceFigures"]["submissions"],
        0
    );
    hub.data(
        "mutation($id: ID!, $version: Int!) {
           transitionSubmission(id: $id, expectedVersion: $version, to: SUBMITTED) { id }
         }",
        json!({ "id": submission["id"], "version": submission["version"] }),
    )
    .await;
    let after_submission = overview(&hub).await;
    assert_eq!(
        district(&after_submission, "涪城区科协")["adviceFigures"]["submissions"],
        1
    );
    assert_eq!(after_submission["city"]["adviceFigures"]["submissions"], 1);

    // organizations: a township added under 涪城区, with a worker of its own.
    let township = create_unit(
        &hub,
        json!({ "kind": "TOWNSHIP", "name": "青义镇科协", "divisionCode": "510703101", "parentId": fucheng }),
    )
    .await;
    let after_township = overview(&hub).await;
    assert_eq!(
        district(&after_township, "涪城区科协")["organizationFigures"]["units"],
        2
    );
    create_worker(&hub, "张国强", &township["id"]).await;
    let before_move = overview(&hub).await;
    assert_eq!(
        district(&before_move, "涪城区科协")["talentFigures"]["workers"],
        2
    );
    assert_eq!(
        district(&before_move, "游仙区科协")["talentFigures"]["workers"],
        0
    );

    // A unit moved: the township and its worker now count under 游仙区, in every subgraph.
    hub.data(
        "mutation($id: ID!, $version: Int!, $parent: ID!) {
           moveUnit(id: $id, expectedVersion: $version, newParentId: $parent, divisionCode: \"510704101\") { id }
         }",
        json!({ "id": township["id"], "version": township["version"], "parent": youxian }),
    )
    .await;
    let after_move = overview(&hub).await;
    assert_eq!(
        district(&after_move, "涪城区科协")["talentFigures"]["workers"],
        1
    );
    assert_eq!(
        district(&after_move, "游仙区科协")["talentFigures"]["workers"],
        1
    );
    assert_eq!(
        district(&after_move, "游仙区科协")["organizationFigures"]["units"],
        2
    );

    // Series of figures obey the same rule: cached, and fresh right after a write.
    let series = || async {
        hub.data(
            SERIES,
            json!({ "series": { "from": "2026-01-01", "to": "2026-12-31", "every": "MONTH" } }),
        )
        .await
    };
    let workers_of_youxian = |series: &Value| {
        let child = series["city"]["talentFiguresSeriesByChild"]
            .as_array()
            .unwrap()
            .iter()
            .find(|child| child["unit"]["id"] == youxian)
            .unwrap();
        child["points"][11]["figures"]["workers"].clone()
    };
    let before = series().await;
    assert_eq!(
        before["city"]["talentFiguresSeries"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    assert_eq!(
        before["city"]["talentFiguresSeries"][11]["figures"]["workers"],
        2
    );
    assert_eq!(workers_of_youxian(&before), 1);
    let hits_before = gateway.metrics().snapshot().response_cache_hits;
    assert_eq!(series().await, before);
    assert_eq!(
        gateway.metrics().snapshot().response_cache_hits,
        hits_before + 1,
        "the second read of the series was not served from Redis"
    );
    create_worker(&hub, "王芳", &youxian).await;
    let after = series().await;
    assert_eq!(workers_of_youxian(&after), 2);
    assert_eq!(
        after["city"]["talentFiguresSeries"][11]["figures"]["workers"],
        3
    );
    assert_eq!(
        after["city"]["talentFiguresSeries"][11]["yearEarlier"]["workers"],
        0
    );
    let after_move = overview(&hub).await;

    // With Redis unreachable, a gateway over subgraphs that cannot reach it either answers
    // the same.
    let closed_port = ClosedPort::new();
    let closed = closed_port.redis_url();
    let cut_off_servers = start_subgraphs(&db, &closed).await;
    let cut_off = cached_gateway(&db, &cut_off_servers, &closed).await;
    let cut_off_hub = GraphqlClient::new(cut_off.graphql_url());
    assert_eq!(overview(&cut_off_hub).await, after_move);
    assert!(cut_off.metrics().snapshot().response_cache_failures > 0);

    cut_off.stop().await;
    gateway.stop().await;
    for (_, server) in servers.into_iter().chain(cut_off_servers) {
        server.stop().await;
    }
}

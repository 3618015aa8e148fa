//! The whole hub — four real subgraphs behind the gateway — answering what a front-end team
//! asks of its one endpoint.

mod common;

use serde_json::json;

use common::{replicas_reach, start_gateway, start_subgraphs};
use kexie_testkit::{redis_url, GraphqlClient, TestDb};

#[tokio::test]
async fn one_query_through_the_gateway_gathers_a_districts_records_from_all_four_subgraphs() {
    let db = TestDb::new().await;
    let servers = start_subgraphs(&db, &redis_url()).await;
    let gateway = start_gateway(&servers).await;
    let hub = GraphqlClient::new(gateway.graphql_url());

    let create_unit = "mutation($input: UnitInput!) { createUnit(input: $input) { id } }";
    let city = hub
        .data(
            create_unit,
            json!({ "input": { "kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700" } }),
        )
        .await["createUnit"]["id"]
        .clone();
    let district = hub
        .data(
            create_unit,
            json!({ "input": { "kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city } }),
        )
        .await["createUnit"]["id"]
        .clone();
    replicas_reach(&db, 2).await;

    let worker = hub
        .data(
            "mutation($input: CreateWorkerInput!) { createWorker(input: $input) { id } }",
            json!({ "input": { "name": "王建华", "gender": "MALE", "homeUnitId": district, "isVolunteer": true,
                               "isRuralExpert": false, "isYoungTalent": false, "isAcademician": false } }),
        )
        .await["createWorker"]["id"]
        .clone();
    hub.data(
        "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }",
        json!({ "input": { "organizerId": district, "title": "涪城区全国科普日主场活动", "kind": "SCIENCE_DAY",
                           "startsOn": "2026-09-20", "audiences": ["YOUTH", "GENERAL_PUBLIC"], "mode": "OFFLINE" } }),
    )
    .await;
    hub.data(
        "mutation($input: CreateSubmissionInput!) { createSubmission(input: $input) { id } }",
        json!({ "input": { "submittingUnitId": district, "title": "关于建设涪城区科技馆的建议",
                           "summary": "建议与区图书馆共同建设科技馆", "body": "正文", "category": "EDUCATION",
                           "channel": "DIRECT", "authorIds": [worker], "submit": true } }),
    )
    .await;

    let data = hub
        .data(
            "{ city { name children { edges { node { name
                 workers { edges { node { name isVolunteer } } }
                 activities { edges { node { title kind organizer { name } } } }
                 submissions { edges { node { title status authors { name homeUnit { name } } } } }
               } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({ "city": { "name": "绵阳市科协", "children": { "edges": [ { "node": {
            "name": "涪城区科协",
            "workers": { "edges": [ { "node": { "name": "王建华", "isVolunteer": true } } ] },
            "activities": { "edges": [ { "node": { "title": "涪城区全国科普日主场活动", "kind": "SCIENCE_DAY",
                                                   "organizer": { "name": "涪城区科协" } } } ] },
            "submissions": { "edges": [ { "node": { "title": "关于建设涪城区科技馆的建议", "status": "SUBMITTED",
                                                    "authors": [ { "name": "王建华", "homeUnit": { "name": "涪城区科协" } } ] } } ] }
        } } ] } } })
    );

    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
}

#[tokio::test]
async fn bad_input_through_the_gateway_keeps_the_subgraphs_error_code() {
    let db = TestDb::new().await;
    let servers = start_subgraphs(&db, &redis_url()).await;
    let gateway = start_gateway(&servers).await;
    let hub = GraphqlClient::new(gateway.graphql_url());
    let code = hub
        .error_code(
            "mutation { createUnit(input: { kind: DISTRICT, name: \"x\", divisionCode: \"510703\", parentId: \"not-an-id\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
}

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

#[tokio::test]
async fn errors_are_in_chinese_when_the_client_prefers_it_with_the_same_codes() {
    let db = TestDb::new().await;
    let servers = start_subgraphs(&db, &redis_url()).await;
    let gateway = start_gateway(&servers).await;
    let english = GraphqlClient::new(gateway.graphql_url());
    let chinese = english.with_header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8");
    let city = english
        .data(
            "mutation { createUnit(input: { kind: CITY, name: \"巴中市科学技术协会\", divisionCode: \"511900\" }) { id } }",
            json!({}),
        )
        .await["createUnit"]["id"]
        .clone();
    let unknown = uuid::Uuid::now_v7().to_string();
    // (query, code, English message, Chinese message or, for the gateway's own errors, the
    // Chinese it starts with)
    let cases = [
        (
            "mutation { createUnit(input: { kind: DISTRICT, name: \"x\", divisionCode: \"511902\", parentId: \"not-an-id\" }) { id } }"
                .to_string(),
            "VALIDATION",
            "parentId: is not a valid ID".to_string(),
            "parentId：不是有效的 ID".to_string(),
        ),
        (
            "{ units(first: 500) { totalCount } }".to_string(),
            "VALIDATION",
            "first: must be between 0 and 100".to_string(),
            "first：须在 0 到 100 之间".to_string(),
        ),
        (
            format!("mutation {{ archiveTerm(id: \"{unknown}\", expectedVersion: 1) {{ id }} }}"),
            "NOT_FOUND",
            format!("Term {unknown} was not found"),
            format!("未找到换届 {unknown}"),
        ),
        (
            format!("mutation {{ updateUnit(id: {city}, expectedVersion: 7, input: {{ name: \"巴中市科协\" }}) {{ id }} }}"),
            "CONFLICT",
            format!("Unit {} was changed by someone else: expected version 7, it is now 1", city.as_str().unwrap()),
            format!("组织 {} 已被他人修改：提交的版本为 7，现为 1，请重新读取后再改", city.as_str().unwrap()),
        ),
        (
            "{ unitz { id } }".to_string(),
            "GRAPHQL_VALIDATION_FAILED",
            String::new(),
            "查询不符合接口定义（".to_string(),
        ),
    ];
    for (query, code, in_english, in_chinese) in cases {
        let answered_in_english = english.post(&query, json!({})).await;
        let answered_in_chinese = chinese.post(&query, json!({})).await;
        for body in [&answered_in_english, &answered_in_chinese] {
            assert_eq!(
                body["errors"][0]["extensions"]["code"], code,
                "{query}: {body:#}"
            );
        }
        let english_message = answered_in_english["errors"][0]["message"]
            .as_str()
            .unwrap();
        let chinese_message = answered_in_chinese["errors"][0]["message"]
            .as_str()
            .unwrap();
        if in_english.is_empty() {
            // The gateway's own: the code's Chinese, the English detail in brackets.
            assert!(
                chinese_message.starts_with(&in_chinese),
                "{chinese_message}"
            );
            assert!(
                chinese_message.contains(english_message),
                "{chinese_message}"
            );
        } else {
            assert_eq!(english_message, in_english, "{query}");
            assert_eq!(chinese_message, in_chinese, "{query}");
        }
    }
    // English stays the default for a client that names neither language.
    let french = english.with_header("accept-language", "fr-FR");
    let body = french
        .post("{ units(first: 500) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["message"],
        "first: must be between 0 and 100"
    );
    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
}

//! The organizations subgraph as a front-end team uses it, against real PostgreSQL and Redis.

use std::time::Duration;

use serde_json::{json, Value};

use kexie_subgraph_kit::unit_tree::{self, TreeKeys};
use kexie_testkit::{redis_url, GraphqlClient};

use crate::support::start;

const CREATE_UNIT: &str = "mutation($input: UnitInput!) { createUnit(input: $input) {
    id name shortName kind divisionCode status version memberCount createdBy updatedBy } }";

async fn create_unit(client: &GraphqlClient, input: Value) -> Value {
    client.data(CREATE_UNIT, json!({ "input": input })).await["createUnit"].clone()
}

/// A city with two districts and a township under the first.
async fn small_tree(client: &GraphqlClient) -> (Value, Value, Value, Value) {
    let city = create_unit(
        client,
        json!({"kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700"}),
    )
    .await;
    let fucheng = create_unit(
        client,
        json!({"kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city["id"]}),
    )
    .await;
    let youxian = create_unit(
        client,
        json!({"kind": "DISTRICT", "name": "游仙区科协", "divisionCode": "510704", "parentId": city["id"]}),
    )
    .await;
    let township = create_unit(
        client,
        json!({"kind": "TOWNSHIP", "name": "青义镇科协", "divisionCode": "510703101", "parentId": fucheng["id"]}),
    )
    .await;
    (city, fucheng, youxian, township)
}

async fn unit_count(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from unit")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_tree_built_through_the_api_reads_back_with_parents_children_and_ancestors() {
    let hub = start().await;
    let (city, fucheng, youxian, township) = small_tree(&hub.client).await;
    // The whole new township as createUnit answers it.
    insta::assert_json_snapshot!("created_township", kexie_testkit::redacted(&township));

    let data = hub
        .client
        .data(
            "query($id: ID!) { unit(id: $id) { name parent { name } ancestors { name }
                 children { edges { node { name } } } } }",
            json!({ "id": fucheng["id"] }),
        )
        .await;
    // The district with its parent, its ancestors and its children.
    insta::assert_json_snapshot!("district_in_its_tree", kexie_testkit::redacted(&data));

    let data = hub
        .client
        .data(
            "query($id: ID!) { unit(id: $id) { ancestors { name } } city { name }
               unitByDivisionCode(divisionCode: \"510704\") { id } }",
            json!({ "id": township["id"] }),
        )
        .await;
    assert_eq!(
        data["unit"]["ancestors"],
        json!([{ "name": "绵阳市科学技术协会" }, { "name": "涪城区科协" }])
    );
    assert_eq!(data["city"]["name"], city["name"]);
    assert_eq!(data["unitByDivisionCode"]["id"], youxian["id"]);

    let unknown = hub
        .client
        .data(
            "{ unit(id: \"0190b6a0-0000-7000-8000-000000000000\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown["unit"], Value::Null);
}

#[tokio::test]
async fn unit_lists_filter_and_page_newest_first() {
    let hub = start().await;
    let (city, fucheng, _youxian, _township) = small_tree(&hub.client).await;
    for index in 0..3 {
        create_unit(
            &hub.client,
            json!({"kind": "ENTERPRISE", "name": format!("绵阳电子{index}有限公司科协"), "parentId": fucheng["id"]}),
        )
        .await;
    }
    let list = "query($filter: UnitFilterInput, $after: String) {
        units(filter: $filter, first: 2, after: $after) {
          pageInfo { hasNextPage endCursor } edges { node { name kind } } } }";
    let page = hub
        .client
        .data(list, json!({ "filter": { "kinds": ["ENTERPRISE"] } }))
        .await;
    let names: Vec<&str> = page["units"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["绵阳电子2有限公司科协", "绵阳电子1有限公司科协"]);
    assert_eq!(page["units"]["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            list,
            json!({ "filter": { "kinds": ["ENTERPRISE"] }, "after": page["units"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        next["units"]["edges"],
        json!([{ "node": { "name": "绵阳电子0有限公司科协", "kind": "ENTERPRISE" } }])
    );
    assert_eq!(next["units"]["pageInfo"]["hasNextPage"], false);

    let under_city = hub
        .client
        .data(
            "query($id: ID!) { units(filter: { underUnitId: $id, search: \"区\" }) { edges { node { name } } } }",
            json!({ "id": city["id"] }),
        )
        .await;
    assert_eq!(under_city["units"]["edges"].as_array().unwrap().len(), 2);

    let by_code = hub
        .client
        .data(
            "{ units(filter: { divisionCodePrefix: \"510703\" }) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(by_code["units"]["edges"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn invalid_units_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    let (city, fucheng, _youxian, township) = small_tree(&hub.client).await;
    let before = unit_count(&hub.pool).await;
    let cases = [
        (
            json!({"kind": "TOWNSHIP", "name": "x", "divisionCode": "510703102", "parentId": "not-an-id"}),
            "VALIDATION",
        ),
        (
            json!({"kind": "TOWNSHIP", "name": "x", "divisionCode": "510703102", "parentId": "0190b6a0-0000-7000-8000-000000000000"}),
            "NOT_FOUND",
        ),
        (
            json!({"kind": "TOWNSHIP", "name": "  ", "divisionCode": "510703102", "parentId": fucheng["id"]}),
            "VALIDATION",
        ),
        (
            json!({"kind": "TOWNSHIP", "name": "长".repeat(101), "divisionCode": "510703102", "parentId": fucheng["id"]}),
            "VALIDATION",
        ),
        (
            json!({"kind": "TOWNSHIP", "name": "x", "divisionCode": "51070310", "parentId": fucheng["id"]}),
            "VALIDATION",
        ),
        (
            json!({"kind": "TOWNSHIP", "name": "x", "divisionCode": "510704102", "parentId": fucheng["id"]}),
            "VALIDATION",
        ),
        (
            json!({"kind": "TOWNSHIP", "name": "x", "divisionCode": "510703101", "parentId": fucheng["id"]}),
            "DUPLICATE",
        ),
        (
            json!({"kind": "TOWNSHIP", "name": "x", "divisionCode": "510703102", "parentId": city["id"]}),
            "VALIDATION",
        ),
        (
            json!({"kind": "CITY", "name": "another city", "divisionCode": "510800"}),
            "DUPLICATE",
        ),
        (
            json!({"kind": "SOCIETY", "name": "x", "divisionCode": "510703", "parentId": city["id"]}),
            "VALIDATION",
        ),
        (
            json!({"kind": "SOCIETY", "name": "x", "memberCount": -1, "parentId": city["id"]}),
            "VALIDATION",
        ),
        (
            json!({"kind": "ENTERPRISE", "name": "x", "parentId": township["id"], "exemplaryYear": 3000}),
            "VALIDATION",
        ),
    ];
    for (input, code) in cases {
        let got = hub
            .client
            .error_code(CREATE_UNIT, json!({ "input": input }))
            .await;
        assert_eq!(got, code, "for {input}");
    }
    assert_eq!(unit_count(&hub.pool).await, before);
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_a_fresh_one_updates() {
    let hub = start().await;
    let (_city, fucheng, _youxian, _township) = small_tree(&hub.client).await;
    let update = "mutation($id: ID!, $version: Int!, $input: UpdateUnitInput!) {
        updateUnit(id: $id, expectedVersion: $version, input: $input) { name shortName version updatedBy } }";
    let updated = hub
        .client
        .acting_as("district-admin")
        .data(update, json!({ "id": fucheng["id"], "version": 1, "input": { "shortName": "涪城科协", "memberCount": 80 } }))
        .await;
    assert_eq!(
        updated["updateUnit"],
        json!({ "name": "涪城区科协", "shortName": "涪城科协", "version": 2, "updatedBy": "district-admin" })
    );
    let stale = hub
        .client
        .error_code(
            update,
            json!({ "id": fucheng["id"], "version": 1, "input": { "name": "改名" } }),
        )
        .await;
    assert_eq!(stale, "CONFLICT");
    let cleared = hub
        .client
        .data(
            update,
            json!({ "id": fucheng["id"], "version": 2, "input": { "shortName": null } }),
        )
        .await;
    assert_eq!(cleared["updateUnit"]["shortName"], Value::Null);
    assert_eq!(cleared["updateUnit"]["name"], "涪城区科协");
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_returns_the_first_unit() {
    let hub = start().await;
    let (city, _, _, _) = small_tree(&hub.client).await;
    let input = json!({"kind": "SOCIETY", "name": "绵阳市农学会", "parentId": city["id"], "idempotencyKey": "bureau-42"});
    let first = create_unit(&hub.client, input.clone()).await;
    let before = unit_count(&hub.pool).await;
    let again = create_unit(&hub.client, input).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(unit_count(&hub.pool).await, before);
    // Another actor's key space is its own.
    let other = create_unit(
        &hub.client.acting_as("another-bureau"),
        json!({"kind": "SOCIETY", "name": "绵阳市医学会", "parentId": city["id"], "idempotencyKey": "bureau-42"}),
    )
    .await;
    assert_ne!(other["id"], first["id"]);
}

#[tokio::test]
async fn moving_a_unit_carries_its_subtree_and_refuses_cycles() {
    let hub = start().await;
    let (city, fucheng, youxian, township) = small_tree(&hub.client).await;
    let enterprise = create_unit(
        &hub.client,
        json!({"kind": "ENTERPRISE", "name": "青义镇企业科协", "parentId": township["id"]}),
    )
    .await;
    let move_unit = "mutation($id: ID!, $version: Int!, $parent: ID!, $code: String) {
        moveUnit(id: $id, expectedVersion: $version, newParentId: $parent, divisionCode: $code) {
          divisionCode version parent { name } } }";
    // A township moving to another district needs a code inside that district.
    let wrong_code = hub
        .client
        .error_code(
            move_unit,
            json!({ "id": township["id"], "version": 1, "parent": youxian["id"] }),
        )
        .await;
    assert_eq!(wrong_code, "VALIDATION");
    let moved = hub
        .client
        .data(
            move_unit,
            json!({ "id": township["id"], "version": 1, "parent": youxian["id"], "code": "510704101" }),
        )
        .await;
    assert_eq!(moved["moveUnit"]["parent"]["name"], "游仙区科协");
    assert_eq!(moved["moveUnit"]["divisionCode"], "510704101");
    let ancestors = hub
        .client
        .data(
            "query($id: ID!) { unit(id: $id) { ancestors { name } } }",
            json!({ "id": enterprise["id"] }),
        )
        .await;
    assert_eq!(
        ancestors["unit"]["ancestors"],
        json!([{ "name": "绵阳市科学技术协会" }, { "name": "游仙区科协" }, { "name": "青义镇科协" }])
    );
    // A unit made its own ancestor.
    let city_under_itself = hub
        .client
        .error_code(
            move_unit,
            json!({ "id": fucheng["id"], "version": 1, "parent": fucheng["id"] }),
        )
        .await;
    assert_eq!(city_under_itself, "VALIDATION");
    let society = create_unit(
        &hub.client,
        json!({"kind": "SOCIETY", "name": "学会", "parentId": city["id"]}),
    )
    .await;
    let cycle = hub
        .client
        .error_code(
            move_unit,
            json!({ "id": society["id"], "version": 1, "parent": society["id"] }),
        )
        .await;
    assert_eq!(cycle, "VALIDATION");
    let township_path: String =
        sqlx::query_scalar("select path from unit where name = '青义镇企业科协'")
            .fetch_one(&hub.pool)
            .await
            .unwrap();
    assert!(township_path.contains(youxian["id"].as_str().unwrap()));
}

#[tokio::test]
async fn merging_townships_moves_children_and_records_who_and_why() {
    let hub = start().await;
    let (_city, fucheng, _youxian, township) = small_tree(&hub.client).await;
    let neighbour = create_unit(
        &hub.client,
        json!({"kind": "TOWNSHIP", "name": "新皂镇科协", "divisionCode": "510703102", "parentId": fucheng["id"]}),
    )
    .await;
    let association = create_unit(
        &hub.client,
        json!({"kind": "RURAL_TECH", "name": "新皂镇蔬菜专业技术协会", "parentId": neighbour["id"]}),
    )
    .await;
    let merge = "mutation($id: ID!, $into: ID!) {
        mergeUnit(id: $id, expectedVersion: 1, intoUnitId: $into, note: \"乡镇区划调整\") {
          status mergedInto { name } parent { name }
          history { fromStatus toStatus actor note } } }";
    let merged = hub
        .client
        .acting_as("city-admin")
        .data(
            merge,
            json!({ "id": neighbour["id"], "into": township["id"] }),
        )
        .await;
    // The whole answer: MERGED into the township, now hanging under it, and the merge in
    // its history with who made it and why.
    insta::assert_json_snapshot!("merged_township", kexie_testkit::redacted(&merged));
    let moved = hub
        .client
        .data(
            "query($id: ID!) { unit(id: $id) { parent { name } } }",
            json!({ "id": association["id"] }),
        )
        .await;
    assert_eq!(moved["unit"]["parent"]["name"], "青义镇科协");
    // A merged unit cannot merge again, and its code is free for reuse.
    let again = hub
        .client
        .error_code(
            "mutation($id: ID!, $into: ID!) { mergeUnit(id: $id, expectedVersion: 2, intoUnitId: $into) { id } }",
            json!({ "id": neighbour["id"], "into": township["id"] }),
        )
        .await;
    assert_eq!(again, "ILLEGAL_TRANSITION");
    create_unit(
        &hub.client,
        json!({"kind": "TOWNSHIP", "name": "新设镇科协", "divisionCode": "510703102", "parentId": fucheng["id"]}),
    )
    .await;
}

#[tokio::test]
async fn a_unit_with_active_units_below_cannot_be_dissolved() {
    let hub = start().await;
    let (_city, fucheng, _youxian, township) = small_tree(&hub.client).await;
    let dissolve = "mutation($id: ID!, $version: Int!) { dissolveUnit(id: $id, expectedVersion: $version) { status } }";
    let refused = hub
        .client
        .error_code(dissolve, json!({ "id": fucheng["id"], "version": 1 }))
        .await;
    assert_eq!(refused, "VALIDATION");
    let dissolved = hub
        .client
        .data(dissolve, json!({ "id": township["id"], "version": 1 }))
        .await;
    assert_eq!(dissolved["dissolveUnit"]["status"], "DISSOLVED");
    let listed = hub
        .client
        .data(
            "query($id: ID!) { unit(id: $id) { children { edges { node { id } } } } }",
            json!({ "id": fucheng["id"] }),
        )
        .await;
    assert_eq!(listed["unit"]["children"]["edges"], json!([]));
}

#[tokio::test]
async fn overdue_terms_are_listed_for_leadership() {
    let hub = start().await;
    let (city, fucheng, youxian, _township) = small_tree(&hub.client).await;
    let create = "mutation($input: TermInput!) { createTerm(input: $input) { id number } }";
    for (unit, number, starts, ends) in [
        (&fucheng, 1, "2016-03-01", "2021-03-01"),
        (&fucheng, 2, "2021-03-01", "2026-03-01"),
        (&youxian, 3, "2019-05-01", "2024-05-01"),
    ] {
        hub.client
            .data(create, json!({ "input": { "unitId": unit["id"], "number": number, "startsOn": starts, "endsOn": ends } }))
            .await;
    }
    let overdue = hub
        .client
        .data(
            "query($id: ID!) { terms(filter: { unitId: $id, includeSubtree: true, overdueOn: \"2025-01-01\" }) {
                edges { node { number unit { name } daysOverdue(asOf: \"2025-01-01\") } } } }",
            json!({ "id": city["id"] }),
        )
        .await;
    assert_eq!(
        overdue["terms"]["edges"],
        json!([{ "node": { "number": 3, "unit": { "name": "游仙区科协" }, "daysOverdue": 245 } }])
    );
    let bad_dates = hub
        .client
        .error_code(
            create,
            json!({ "input": { "unitId": fucheng["id"], "number": 3, "startsOn": "2026-03-01", "endsOn": "2025-03-01" } }),
        )
        .await;
    assert_eq!(bad_dates, "VALIDATION");
    let duplicate = hub
        .client
        .error_code(
            create,
            json!({ "input": { "unitId": fucheng["id"], "number": 2, "startsOn": "2026-03-01", "endsOn": "2031-03-01" } }),
        )
        .await;
    assert_eq!(duplicate, "DUPLICATE");
}

#[tokio::test]
async fn township_vice_chairs_may_be_the_three_heads_and_nobody_else_is() {
    let hub = start().await;
    let (_city, fucheng, _youxian, township) = small_tree(&hub.client).await;
    let appoint = "mutation($input: LeadershipRoleInput!) { createLeadershipRole(input: $input) { personName role threeHeadsPost } }";
    let head = hub
        .client
        .data(
            appoint,
            json!({ "input": { "unitId": township["id"], "personName": "张建国", "role": "VICE_CHAIR",
                               "threeHeadsPost": "HOSPITAL_DIRECTOR", "post": "青义镇卫生院院长" } }),
        )
        .await;
    assert_eq!(
        head["createLeadershipRole"]["threeHeadsPost"],
        "HOSPITAL_DIRECTOR"
    );
    let refused = hub
        .client
        .error_code(
            appoint,
            json!({ "input": { "unitId": fucheng["id"], "personName": "李明", "role": "VICE_CHAIR",
                               "threeHeadsPost": "SCHOOL_PRINCIPAL" } }),
        )
        .await;
    assert_eq!(refused, "VALIDATION");
    let roles = hub
        .client
        .data(
            "query($id: ID!) { unit(id: $id) { leadershipRoles { personName post } } }",
            json!({ "id": township["id"] }),
        )
        .await;
    assert_eq!(
        roles["unit"]["leadershipRoles"],
        json!([{ "personName": "张建国", "post": "青义镇卫生院院长" }])
    );
}

#[tokio::test]
async fn targets_are_one_per_unit_metric_and_year_and_reject_negative_values() {
    let hub = start().await;
    let (city, _, _, _) = small_tree(&hub.client).await;
    let create = "mutation($input: TargetInput!) { createTarget(input: $input) { id year metric targetValue version } }";
    let input = json!({ "unitId": city["id"], "year": 2026, "metric": "SCIENCE_DAY_EVENTS", "targetValue": 200,
                        "responsiblePerson": "王芳", "deadline": "2026-09-30" });
    let created = hub.client.data(create, json!({ "input": input })).await;
    assert_eq!(created["createTarget"]["targetValue"], 200);
    assert_eq!(
        hub.client
            .error_code(create, json!({ "input": input }))
            .await,
        "DUPLICATE"
    );
    let mut negative = input.clone();
    negative["metric"] = json!("ELDERLY_LECTURES");
    negative["targetValue"] = json!(-5);
    assert_eq!(
        hub.client
            .error_code(create, json!({ "input": negative }))
            .await,
        "VALIDATION"
    );
    let mut early = input.clone();
    early["metric"] = json!("ELDERLY_LECTURES");
    early["deadline"] = json!("2025-12-31");
    assert_eq!(
        hub.client
            .error_code(create, json!({ "input": early }))
            .await,
        "VALIDATION"
    );

    let update = "mutation($id: ID!) { updateTarget(id: $id, expectedVersion: 1, input: { targetValue: 220 }) { targetValue version } }";
    let updated = hub
        .client
        .data(update, json!({ "id": created["createTarget"]["id"] }))
        .await;
    assert_eq!(
        updated["updateTarget"],
        json!({ "targetValue": 220, "version": 2 })
    );
    let listed = hub
        .client
        .data(
            "query($id: ID!) { unit(id: $id) { targets(year: 2026) { metric targetValue } } }",
            json!({ "id": city["id"] }),
        )
        .await;
    assert_eq!(
        listed["unit"]["targets"],
        json!([{ "metric": "SCIENCE_DAY_EVENTS", "targetValue": 220 }])
    );
}

#[tokio::test]
async fn an_entities_batch_resolves_every_unit_in_one_request() {
    let hub = start().await;
    let (city, fucheng, youxian, _township) = small_tree(&hub.client).await;
    let data = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { id name } } }",
            json!({ "r": [
                { "__typename": "Unit", "id": youxian["id"] },
                { "__typename": "Unit", "id": city["id"] },
                { "__typename": "Unit", "id": fucheng["id"] }
            ] }),
        )
        .await;
    let names: Vec<&str> = data["_entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|unit| unit["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["游仙区科协", "绵阳市科学技术协会", "涪城区科协"]);
}

#[tokio::test]
async fn every_tree_change_is_numbered_and_reaches_redis() {
    let hub = start().await;
    small_tree(&hub.client).await;
    let mut redis =
        kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
            .unwrap();
    let keys = TreeKeys::new(&hub.db.redis_namespace());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let published = unit_tree::published_seq(&mut redis, &keys).await.unwrap();
        if published == Some(4) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "published {published:?}, expected 4"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events: i64 = sqlx::query_scalar("select count(*) from unit_event")
        .fetch_one(&hub.pool)
        .await
        .unwrap();
    assert_eq!(events, 4);
    hub.server.stop().await;
}

/// The first error of a response, which must be the only one.
fn only_error(body: &Value) -> &Value {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {body:#}"));
    assert_eq!(errors.len(), 1, "{body:#}");
    &errors[0]
}

/// The names of every unit, archived or not, as the list shows them.
async fn listed_names(client: &GraphqlClient) -> Value {
    client
        .data(
            "{ units(first: 100, filter: { statuses: [ACTIVE, MERGED, DISSOLVED] }) { edges { node { name } } } }",
            json!({}),
        )
        .await["units"]["edges"]
        .clone()
}

#[tokio::test]
async fn a_nul_character_in_a_create_is_refused_as_validation_naming_the_field_and_writes_nothing()
{
    let hub = start().await;
    let (city, _, _, _) = small_tree(&hub.client).await;
    let units_before = listed_names(&hub.client).await;
    let rows_before = unit_count(&hub.pool).await;

    let in_variables = hub
        .client
        .post(
            CREATE_UNIT,
            json!({ "input": { "kind": "SOCIETY", "name": "绵阳市\u{0}农学会", "parentId": city["id"] } }),
        )
        .await;
    let error = only_error(&in_variables);
    assert_eq!(
        error["extensions"]["code"], "VALIDATION",
        "{in_variables:#}"
    );
    assert_eq!(error["extensions"]["field"], "input.name");

    // The same written inline in the document, with GraphQL's own escape.
    let inline = hub
        .client
        .post(
            "mutation($parent: ID!) { createUnit(input: { kind: SOCIETY, name: \"绵阳市\\u0000农学会\", parentId: $parent }) { id } }",
            json!({ "parent": city["id"] }),
        )
        .await;
    let error = only_error(&inline);
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{inline:#}");
    assert_eq!(error["extensions"]["field"], "input.name");
    assert!(
        error["locations"].is_array(),
        "a literal has a location: {inline:#}"
    );

    let in_key = hub
        .client
        .post(
            CREATE_UNIT,
            json!({ "input": { "kind": "SOCIETY", "name": "绵阳市农学会", "parentId": city["id"],
                               "idempotencyKey": "bureau\u{0}42" } }),
        )
        .await;
    let error = only_error(&in_key);
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{in_key:#}");
    assert_eq!(error["extensions"]["field"], "input.idempotencyKey");

    assert_eq!(listed_names(&hub.client).await, units_before);
    assert_eq!(unit_count(&hub.pool).await, rows_before);
    let claims: i64 = sqlx::query_scalar("select count(*) from idempotency_key")
        .fetch_one(&hub.pool)
        .await
        .unwrap();
    assert_eq!(claims, 0);
}

#[tokio::test]
async fn a_nul_character_in_a_search_filter_is_refused_as_validation_not_internal() {
    let hub = start().await;
    small_tree(&hub.client).await;
    let list =
        "query($filter: UnitFilterInput) { units(filter: $filter) { edges { node { name } } } }";
    let in_variables = hub
        .client
        .post(list, json!({ "filter": { "search": "区\u{0}" } }))
        .await;
    let error = only_error(&in_variables);
    assert_eq!(
        error["extensions"]["code"], "VALIDATION",
        "{in_variables:#}"
    );
    assert_eq!(error["extensions"]["field"], "filter.search");

    let inline = hub
        .client
        .post(
            "{ units(filter: { search: \"\\u0000\" }) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    let error = only_error(&inline);
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{inline:#}");
    assert_eq!(error["extensions"]["field"], "filter.search");

    // Other control characters are text PostgreSQL keeps: they are searched for as usual.
    let control = hub
        .client
        .data(list, json!({ "filter": { "search": "区\u{1}" } }))
        .await;
    assert_eq!(control["units"]["edges"], json!([]));
}

#[tokio::test]
async fn reusing_an_idempotency_key_for_a_different_unit_is_refused_and_writes_nothing() {
    let hub = start().await;
    let (city, _, _, _) = small_tree(&hub.client).await;
    let input = json!({"kind": "SOCIETY", "name": "绵阳市农学会", "parentId": city["id"],
                       "idempotencyKey": "bureau-7"});
    let first = create_unit(&hub.client, input.clone()).await;
    let rows = unit_count(&hub.pool).await;

    // The same request again, its fields in another order and an absent field spelled as
    // null, is the same request: the first unit, nothing written.
    let same = json!({"idempotencyKey": "bureau-7", "shortName": null, "parentId": city["id"],
                      "name": "绵阳市农学会", "kind": "SOCIETY"});
    assert_eq!(create_unit(&hub.client, same).await["id"], first["id"]);
    assert_eq!(unit_count(&hub.pool).await, rows);

    for changed in [
        json!({"kind": "SOCIETY", "name": "绵阳市医学会", "parentId": city["id"], "idempotencyKey": "bureau-7"}),
        json!({"kind": "SOCIETY", "name": "绵阳市农学会", "shortName": "农学会", "parentId": city["id"],
               "idempotencyKey": "bureau-7"}),
    ] {
        let body = hub
            .client
            .post(CREATE_UNIT, json!({ "input": changed }))
            .await;
        let error = only_error(&body);
        assert_eq!(
            error["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED",
            "{body:#}"
        );
        assert!(body["data"].is_null(), "{body:#}");
    }
    assert_eq!(unit_count(&hub.pool).await, rows);
    let claims: Vec<(String, uuid::Uuid)> =
        sqlx::query_as("select key, record_id from idempotency_key")
            .fetch_all(&hub.pool)
            .await
            .unwrap();
    assert_eq!(
        claims,
        [(
            "bureau-7".to_string(),
            first["id"].as_str().unwrap().parse().unwrap()
        )]
    );
}

#[tokio::test]
async fn a_key_claimed_before_fingerprints_were_kept_returns_its_unit_for_any_input() {
    let hub = start().await;
    let (city, _, _, _) = small_tree(&hub.client).await;
    let first = create_unit(
        &hub.client,
        json!({"kind": "SOCIETY", "name": "绵阳市农学会", "parentId": city["id"], "idempotencyKey": "old-key"}),
    )
    .await;
    sqlx::query("update idempotency_key set fingerprint = null")
        .execute(&hub.pool)
        .await
        .unwrap();
    let rows = unit_count(&hub.pool).await;
    let again = create_unit(
        &hub.client,
        json!({"kind": "SOCIETY", "name": "绵阳市医学会", "parentId": city["id"], "idempotencyKey": "old-key"}),
    )
    .await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(unit_count(&hub.pool).await, rows);
}

#[tokio::test]
async fn concurrent_creates_with_the_same_idempotency_key_make_one_unit() {
    let hub = start().await;
    let (city, _, _, _) = small_tree(&hub.client).await;
    let rows = unit_count(&hub.pool).await;
    let input = json!({"kind": "SOCIETY", "name": "绵阳市农学会", "parentId": city["id"],
                       "idempotencyKey": "burst-1"});
    let created =
        futures::future::join_all((0..8).map(|_| create_unit(&hub.client, input.clone()))).await;
    let first = &created[0]["id"];
    assert!(
        created.iter().all(|unit| &unit["id"] == first),
        "{created:#?}"
    );
    assert_eq!(unit_count(&hub.pool).await, rows + 1);
}

//! Who may change and read what in the organizations subgraph: units, leaders and terms are
//! administered within a unit admin's subtree, targets by the level above, and targets and
//! figures are read only within the subtree; the unit directory, leaders and terms are public.

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use kexie_contract::principal::{Role, Scope};
use kexie_subgraph_kit::unit_tree::{self, TreeKeys};
use kexie_testkit::{redis_url, GraphqlClient};

use crate::support::{create, start, Hub};

/// Runs `mutation` (a field taking `input: <input_type>!`) and returns the record's ID.
/// A city with two districts; district A has three townships and an enterprise association
/// under its first township, district B one township. Township A1 has leaders, terms and
/// targets; district A has a target of its own, set by the city.
struct City {
    city: Value,
    district_a: Value,
    district_b: Value,
    township_a1: Value,
    township_a2: Value,
    township_a3: Value,
    township_b1: Value,
    enterprise_a1: Value,
    /// Two of each on township A1: one to update, one to archive.
    leaders: [Value; 2],
    terms: [Value; 2],
    targets: [Value; 2],
    /// District A's own target.
    district_target: Value,
    /// Township B1's target.
    target_b1: Value,
}

async fn unit(client: &GraphqlClient, input: Value) -> Value {
    create(client, "createUnit", "UnitInput", input).await
}

async fn city(client: &GraphqlClient) -> City {
    let city = unit(
        client,
        json!({"kind": "CITY", "name": "绵阳市科学技术协会", "divisionCode": "510700"}),
    )
    .await;
    let district_a = unit(
        client,
        json!({"kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city}),
    )
    .await;
    let district_b = unit(
        client,
        json!({"kind": "DISTRICT", "name": "游仙区科协", "divisionCode": "510704", "parentId": city}),
    )
    .await;
    let township_a1 = unit(
        client,
        json!({"kind": "TOWNSHIP", "name": "青义镇科协", "divisionCode": "510703101", "parentId": district_a}),
    )
    .await;
    let township_a2 = unit(
        client,
        json!({"kind": "TOWNSHIP", "name": "新皂镇科协", "divisionCode": "510703102", "parentId": district_a}),
    )
    .await;
    let township_a3 = unit(
        client,
        json!({"kind": "TOWNSHIP", "name": "龙门镇科协", "divisionCode": "510703103", "parentId": district_a}),
    )
    .await;
    let township_b1 = unit(
        client,
        json!({"kind": "TOWNSHIP", "name": "魏城镇科协", "divisionCode": "510704101", "parentId": district_b}),
    )
    .await;
    let enterprise_a1 = unit(
        client,
        json!({"kind": "ENTERPRISE", "name": "青义镇电子企业科协", "parentId": township_a1, "foundedOn": "2026-03-01"}),
    )
    .await;
    let mut leaders = Vec::new();
    let mut terms = Vec::new();
    let mut targets = Vec::new();
    for (index, (person, metric)) in [
        ("张建国", "NEW_ENTERPRISE_ASSOCIATIONS"),
        ("李秀英", "EXEMPLARY_GRASSROOTS_ASSOCIATIONS"),
    ]
    .into_iter()
    .enumerate()
    {
        leaders.push(
            create(
                client,
                "createLeadershipRole",
                "LeadershipRoleInput",
                json!({ "unitId": township_a1, "personName": person, "role": "VICE_CHAIR" }),
            )
            .await,
        );
        let number = index as i32 + 1;
        terms.push(
            create(
                client,
                "createTerm",
                "TermInput",
                json!({ "unitId": township_a1, "number": number,
                        "startsOn": format!("{}-01-01", 2015 + 5 * number),
                        "endsOn": format!("{}-01-01", 2020 + 5 * number) }),
            )
            .await,
        );
        targets.push(
            create(
                client,
                "createTarget",
                "TargetInput",
                json!({ "unitId": township_a1, "year": 2026, "metric": metric, "targetValue": 2,
                        "responsiblePerson": person, "deadline": "2026-12-31" }),
            )
            .await,
        );
    }
    let district_target = create(
        client,
        "createTarget",
        "TargetInput",
        json!({ "unitId": district_a, "year": 2026, "metric": "NEW_ENTERPRISE_ASSOCIATIONS",
                "targetValue": 5, "responsiblePerson": "王芳", "deadline": "2026-12-31" }),
    )
    .await;
    let target_b1 = create(
        client,
        "createTarget",
        "TargetInput",
        json!({ "unitId": township_b1, "year": 2026, "metric": "NEW_ENTERPRISE_ASSOCIATIONS",
                "targetValue": 1, "responsiblePerson": "赵强", "deadline": "2026-12-31" }),
    )
    .await;
    let [leader_0, leader_1]: [Value; 2] = leaders.try_into().unwrap();
    let [term_0, term_1]: [Value; 2] = terms.try_into().unwrap();
    let [target_0, target_1]: [Value; 2] = targets.try_into().unwrap();
    City {
        city,
        district_a,
        district_b,
        township_a1,
        township_a2,
        township_a3,
        township_b1,
        enterprise_a1,
        leaders: [leader_0, leader_1],
        terms: [term_0, term_1],
        targets: [target_0, target_1],
        district_target,
        target_b1,
    }
}

fn id(value: &Value) -> Uuid {
    value.as_str().unwrap().parse().unwrap()
}

/// Everything the mutations write, as it stands: every unit with its place, status and
/// version, every leader, term and target with its version and archival, the numbered tree
/// changes, the history and the idempotency claims.
async fn everything(pool: &sqlx::PgPool) -> Value {
    sqlx::query_scalar(
        "select jsonb_build_object(
             'units', (select jsonb_agg(jsonb_build_array(unit_id, parent_id, path, status, version,
                                                         name, member_count) order by unit_id) from unit),
             'leaders', (select jsonb_agg(jsonb_build_array(leadership_role_id, version, person_name,
                                                           archived_at) order by leadership_role_id)
                         from leadership_role),
             'terms', (select jsonb_agg(jsonb_build_array(term_id, version, number, archived_at)
                                        order by term_id) from term),
             'targets', (select jsonb_agg(jsonb_build_array(target_id, unit_id, version, target_value,
                                                           archived_at) order by target_id) from target),
             'tree_events', (select coalesce(max(seq), 0) from unit_event),
             'history', (select count(*) from status_change),
             'claims', (select count(*) from idempotency_key))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The sequence of the unit tree published to Redis, once the publisher has caught up with
/// every tree change numbered so far.
async fn published_seq(hub: &Hub) -> i64 {
    let last: i64 = sqlx::query_scalar("select coalesce(max(seq), 0) from unit_event")
        .fetch_one(&hub.pool)
        .await
        .unwrap();
    let mut redis =
        kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
            .unwrap();
    let keys = TreeKeys::new(&hub.db.redis_namespace());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let published = unit_tree::published_seq(&mut redis, &keys).await.unwrap();
        if published == Some(last) {
            return last;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "published {published:?}, expected {last}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every mutation of the subgraph, each aimed at district A's subtree and valid for its
/// administrator: (name, document, variables).
fn mutations_in_district_a(city: &City) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "createUnit",
            "mutation($input: UnitInput!) { createUnit(input: $input) { id } }",
            json!({ "input": { "kind": "TOWNSHIP", "name": "丰谷镇科协", "divisionCode": "510703104",
                               "parentId": city.district_a, "idempotencyKey": "new-township" } }),
        ),
        (
            "updateUnit",
            "mutation($id: ID!) { updateUnit(id: $id, expectedVersion: 1, input: { memberCount: 50 }) { id } }",
            json!({ "id": city.township_a1 }),
        ),
        (
            "moveUnit",
            "mutation($id: ID!, $parent: ID!) { moveUnit(id: $id, expectedVersion: 1, newParentId: $parent) { id } }",
            json!({ "id": city.enterprise_a1, "parent": city.township_a2 }),
        ),
        (
            "mergeUnit",
            "mutation($id: ID!, $into: ID!) { mergeUnit(id: $id, expectedVersion: 1, intoUnitId: $into) { id } }",
            json!({ "id": city.township_a2, "into": city.township_a1 }),
        ),
        (
            "dissolveUnit",
            "mutation($id: ID!) { dissolveUnit(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": city.township_a3 }),
        ),
        (
            "createLeadershipRole",
            "mutation($input: LeadershipRoleInput!) { createLeadershipRole(input: $input) { id } }",
            json!({ "input": { "unitId": city.township_a1, "personName": "陈志远", "role": "CHAIR",
                               "idempotencyKey": "new-chair" } }),
        ),
        (
            "updateLeadershipRole",
            "mutation($id: ID!) { updateLeadershipRole(id: $id, expectedVersion: 1, input: { post: \"镇中心学校校长\" }) { id } }",
            json!({ "id": city.leaders[0] }),
        ),
        (
            "archiveLeadershipRole",
            "mutation($id: ID!) { archiveLeadershipRole(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": city.leaders[1] }),
        ),
        (
            "createTerm",
            "mutation($input: TermInput!) { createTerm(input: $input) { id } }",
            json!({ "input": { "unitId": city.township_a1, "number": 3, "startsOn": "2030-01-01",
                               "endsOn": "2035-01-01", "idempotencyKey": "new-term" } }),
        ),
        (
            "updateTerm",
            "mutation($id: ID!) { updateTerm(id: $id, expectedVersion: 1, input: { endsOn: \"2026-01-01\" }) { id } }",
            json!({ "id": city.terms[0] }),
        ),
        (
            "archiveTerm",
            "mutation($id: ID!) { archiveTerm(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": city.terms[1] }),
        ),
        (
            "createTarget",
            "mutation($input: TargetInput!) { createTarget(input: $input) { id } }",
            json!({ "input": { "unitId": city.township_a1, "year": 2026, "metric": "ELDERLY_LECTURES",
                               "targetValue": 5, "responsiblePerson": "陈志远", "deadline": "2026-12-31",
                               "idempotencyKey": "new-target" } }),
        ),
        (
            "updateTarget",
            "mutation($id: ID!) { updateTarget(id: $id, expectedVersion: 1, input: { targetValue: 3 }) { id } }",
            json!({ "id": city.targets[0] }),
        ),
        (
            "archiveTarget",
            "mutation($id: ID!) { archiveTarget(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": city.targets[1] }),
        ),
    ]
}

#[tokio::test]
async fn every_mutation_is_forbidden_outside_the_callers_reach_and_writes_nothing() {
    let hub = start().await;
    let city = city(&hub.client).await;
    let district_a = id(&city.district_a);
    let district_b = id(&city.district_b);
    let outsiders = [
        (
            "the admin of another district",
            hub.client.as_staff("admin-b", Role::UnitAdmin, district_b),
        ),
        (
            "staff of the same district",
            hub.client.as_staff("staff-a", Role::UnitStaff, district_a),
        ),
        (
            "leadership of the same district",
            hub.client
                .as_staff("leader-a", Role::Leadership, district_a),
        ),
        (
            "the admin of a township beside",
            hub.client
                .as_staff("admin-b1", Role::UnitAdmin, id(&city.township_b1)),
        ),
        ("an anonymous caller", hub.client.anonymous()),
        (
            "a partner bureau",
            hub.client.as_partner("EDUCATION", &Scope::ALL),
        ),
    ];
    let before = everything(&hub.pool).await;
    let published_before = published_seq(&hub).await;
    let mutations = mutations_in_district_a(&city);
    for (who, client) in &outsiders {
        for (name, document, variables) in &mutations {
            let code = client.error_code(document, variables.clone()).await;
            assert_eq!(code, "FORBIDDEN", "{name} by {who}");
        }
    }
    assert_eq!(everything(&hub.pool).await, before);
    assert_eq!(published_seq(&hub).await, published_before);
    let mut redis =
        kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
            .unwrap();
    let keys = TreeKeys::new(&hub.db.redis_namespace());
    assert_eq!(
        unit_tree::published_seq(&mut redis, &keys).await.unwrap(),
        Some(published_before)
    );

    // The same requests by district A's admin go through, one after the other: they were
    // refused for who sent them, not for what they asked.
    let admin_a = hub.client.as_staff("admin-a", Role::UnitAdmin, district_a);
    for (name, document, variables) in &mutations {
        let body = admin_a.post(document, variables.clone()).await;
        assert!(body.get("errors").is_none(), "{name}: {body:#}");
    }
    assert!(published_seq(&hub).await > published_before);
}

#[tokio::test]
async fn a_district_admin_administers_its_townships_but_not_its_own_district() {
    let hub = start().await;
    let city = city(&hub.client).await;
    let admin_a = hub
        .client
        .as_staff("admin-a", Role::UnitAdmin, id(&city.district_a));

    // Its own townships: created, changed, reorganized, staffed, given targets.
    let created = admin_a
        .data(
            "mutation($input: UnitInput!) { createUnit(input: $input) { name createdBy parent { name } } }",
            json!({ "input": { "kind": "TOWNSHIP", "name": "丰谷镇科协", "divisionCode": "510703104",
                               "parentId": city.district_a } }),
        )
        .await;
    assert_eq!(
        created["createUnit"],
        json!({ "name": "丰谷镇科协", "createdBy": "admin-a", "parent": { "name": "涪城区科协" } })
    );
    let moved = admin_a
        .data(
            "mutation($id: ID!, $parent: ID!) { moveUnit(id: $id, expectedVersion: 1, newParentId: $parent) {
                 parent { name } } }",
            json!({ "id": city.enterprise_a1, "parent": city.township_a2 }),
        )
        .await;
    assert_eq!(moved["moveUnit"]["parent"]["name"], "新皂镇科协");
    let merged = admin_a
        .data(
            "mutation($id: ID!, $into: ID!) { mergeUnit(id: $id, expectedVersion: 1, intoUnitId: $into) {
                 status mergedInto { name } } }",
            json!({ "id": city.township_a2, "into": city.township_a1 }),
        )
        .await;
    assert_eq!(
        merged["mergeUnit"],
        json!({ "status": "MERGED", "mergedInto": { "name": "青义镇科协" } })
    );
    let target = admin_a
        .data(
            "mutation($input: TargetInput!) { createTarget(input: $input) { targetValue createdBy } }",
            json!({ "input": { "unitId": city.township_a3, "year": 2026, "metric": "NEW_ENTERPRISE_ASSOCIATIONS",
                               "targetValue": 1, "responsiblePerson": "陈志远", "deadline": "2026-12-31" } }),
        )
        .await;
    assert_eq!(
        target["createTarget"],
        json!({ "targetValue": 1, "createdBy": "admin-a" })
    );
    // Its own district's fields, too.
    let updated = admin_a
        .data(
            "mutation($id: ID!) { updateUnit(id: $id, expectedVersion: 1, input: { memberCount: 120 }) {
                 memberCount updatedBy } }",
            json!({ "id": city.district_a }),
        )
        .await;
    assert_eq!(
        updated["updateUnit"],
        json!({ "memberCount": 120, "updatedBy": "admin-a" })
    );

    // Not its own district's place in the tree, nor its targets: the city decides those.
    let before = everything(&hub.pool).await;
    let move_district = "mutation($id: ID!, $parent: ID!) {
        moveUnit(id: $id, expectedVersion: 2, newParentId: $parent) { parent { name } } }";
    let refused = [
        (
            move_district,
            json!({ "id": city.district_a, "parent": city.city }),
        ),
        (
            "mutation($id: ID!, $into: ID!) { mergeUnit(id: $id, expectedVersion: 2, intoUnitId: $into) { id } }",
            json!({ "id": city.district_a, "into": city.district_b }),
        ),
        (
            "mutation($id: ID!) { dissolveUnit(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": city.district_a }),
        ),
        (
            "mutation($input: TargetInput!) { createTarget(input: $input) { id } }",
            json!({ "input": { "unitId": city.district_a, "year": 2026, "metric": "SCIENCE_DAY_EVENTS",
                               "targetValue": 200, "responsiblePerson": "王芳", "deadline": "2026-12-31" } }),
        ),
        (
            "mutation($id: ID!) { updateTarget(id: $id, expectedVersion: 1, input: { targetValue: 1 }) { id } }",
            json!({ "id": city.district_target }),
        ),
        (
            "mutation($id: ID!) { archiveTarget(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": city.district_target }),
        ),
        (
            "mutation($input: UnitInput!) { createUnit(input: $input) { id } }",
            json!({ "input": { "kind": "DISTRICT", "name": "安州区科协", "divisionCode": "510705",
                               "parentId": city.city } }),
        ),
    ];
    for (document, variables) in &refused {
        assert_eq!(
            admin_a.error_code(document, variables.clone()).await,
            "FORBIDDEN",
            "{document}"
        );
    }
    assert_eq!(everything(&hub.pool).await, before);
    // The city admin may make that move.
    let moved = hub
        .client
        .data(
            move_district,
            json!({ "id": city.district_a, "parent": city.city }),
        )
        .await;
    assert_eq!(moved["moveUnit"]["parent"]["name"], "绵阳市科学技术协会");
}

#[tokio::test]
async fn a_unit_admin_keeps_its_own_terms_but_does_not_dissolve_its_own_unit() {
    let hub = start().await;
    let city = city(&hub.client).await;
    let township_admin = hub
        .client
        .as_staff("admin-a3", Role::UnitAdmin, id(&city.township_a3));
    let before = everything(&hub.pool).await;
    let dissolve = "mutation($id: ID!) { dissolveUnit(id: $id, expectedVersion: 1) { status } }";
    assert_eq!(
        township_admin
            .error_code(dissolve, json!({ "id": city.township_a3 }))
            .await,
        "FORBIDDEN"
    );
    let body = township_admin
        .post(dissolve, json!({ "id": city.township_a3 }))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("its own unit"),
        "{body:#}"
    );
    // Yet it manages its own leaders and terms.
    let term = township_admin
        .data(
            "mutation($input: TermInput!) { createTerm(input: $input) { number createdBy } }",
            json!({ "input": { "unitId": city.township_a3, "number": 1, "startsOn": "2024-01-01",
                               "endsOn": "2029-01-01" } }),
        )
        .await;
    assert_eq!(
        term["createTerm"],
        json!({ "number": 1, "createdBy": "admin-a3" })
    );
    assert_ne!(everything(&hub.pool).await, before);
    // The district above dissolves it.
    let dissolved = hub
        .client
        .as_staff("admin-a", Role::UnitAdmin, id(&city.district_a))
        .data(dissolve, json!({ "id": city.township_a3 }))
        .await;
    assert_eq!(dissolved["dissolveUnit"]["status"], "DISSOLVED");
}

const FIGURES: &str = "query($id: ID!) { unit(id: $id) {
    organizationFigures(period: { year: 2026 }) { units newUnits }
    organizationFiguresByChild(period: { year: 2026 }, orderBy: UNITS) { unit { name } figures { units } } } }";

const TARGETS: &str = "query($id: ID!) { unit(id: $id) {
    targets(year: 2026) { metric targetValue actual attainment onTrack(asOf: \"2026-06-30\") } } }";

#[tokio::test]
async fn leadership_reads_the_figures_and_targets_of_its_subtree_only_and_writes_nothing() {
    let hub = start().await;
    let city = city(&hub.client).await;
    let leadership = hub
        .client
        .as_staff("leader-a", Role::Leadership, id(&city.district_a));

    let figures = leadership
        .data(FIGURES, json!({ "id": city.district_a }))
        .await;
    assert_eq!(
        figures["unit"]["organizationFigures"],
        json!({ "units": 5, "newUnits": 5 })
    );
    assert_eq!(
        figures["unit"]["organizationFiguresByChild"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let township = leadership
        .data(FIGURES, json!({ "id": city.township_a1 }))
        .await;
    assert_eq!(
        township["unit"]["organizationFigures"],
        json!({ "units": 2, "newUnits": 2 })
    );

    let targets = leadership
        .data(TARGETS, json!({ "id": city.district_a }))
        .await;
    assert_eq!(
        targets["unit"]["targets"],
        json!([{ "metric": "NEW_ENTERPRISE_ASSOCIATIONS", "targetValue": 5, "actual": 1,
                 "attainment": 0.2, "onTrack": false }])
    );
    let township_targets = leadership
        .data(TARGETS, json!({ "id": city.township_a1 }))
        .await;
    assert_eq!(
        township_targets["unit"]["targets"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let one = leadership
        .data(
            "query($id: ID!) { target(id: $id) { targetValue actual } }",
            json!({ "id": city.targets[0] }),
        )
        .await;
    assert_eq!(one["target"], json!({ "targetValue": 2, "actual": 1 }));
    // Without a unit, the targets of its own subtree.
    let listed = leadership
        .data(
            "{ targets(first: 100) { edges { node { unit { name } } } } }",
            json!({}),
        )
        .await;
    let mut units: Vec<&str> = listed["targets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["unit"]["name"].as_str().unwrap())
        .collect();
    units.sort();
    assert_eq!(units, ["涪城区科协", "青义镇科协", "青义镇科协"]);

    // Not another district's, nor the city's.
    for unit in [&city.district_b, &city.township_b1, &city.city] {
        assert_eq!(
            leadership.error_code(FIGURES, json!({ "id": unit })).await,
            "FORBIDDEN"
        );
        assert_eq!(
            leadership.error_code(TARGETS, json!({ "id": unit })).await,
            "FORBIDDEN"
        );
    }
    for (document, variables) in [
        (
            "query($id: ID!) { target(id: $id) { targetValue } }",
            json!({ "id": city.target_b1 }),
        ),
        (
            "query($id: ID!) { targets(filter: { unitId: $id, includeSubtree: true }) { edges { node { id } } } }",
            json!({ "id": city.district_b }),
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target { targetValue } } }",
            json!({ "r": [{ "__typename": "Target", "id": city.target_b1 }] }),
        ),
    ] {
        assert_eq!(
            leadership.error_code(document, variables).await,
            "FORBIDDEN"
        );
    }

    // And it writes nothing, not even in its own subtree.
    let before = everything(&hub.pool).await;
    for (name, document, variables) in mutations_in_district_a(&city) {
        assert_eq!(
            leadership.error_code(document, variables).await,
            "FORBIDDEN",
            "{name}"
        );
    }
    assert_eq!(everything(&hub.pool).await, before);
}

#[tokio::test]
async fn staff_of_a_district_read_its_targets_and_not_another_districts() {
    let hub = start().await;
    let city = city(&hub.client).await;
    let staff_b = hub
        .client
        .as_staff("staff-b", Role::UnitStaff, id(&city.district_b));
    let own = staff_b
        .data(TARGETS, json!({ "id": city.township_b1 }))
        .await;
    assert_eq!(own["unit"]["targets"][0]["targetValue"], 1);
    assert_eq!(
        staff_b
            .error_code(TARGETS, json!({ "id": city.township_a1 }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        staff_b
            .error_code(FIGURES, json!({ "id": city.district_a }))
            .await,
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn anonymous_callers_read_the_directory_leaders_and_terms_but_not_figures_or_targets() {
    let hub = start().await;
    let city = city(&hub.client).await;
    let anonymous = hub.client.anonymous();

    let directory = anonymous
        .data(
            "query($id: ID!) {
               city { name children { edges { node { name } } } }
               unit(id: $id) { name kind parent { name } ancestors { name }
                               children { edges { node { name } } }
                               leadershipRoles { personName }
                               terms { number }
                               currentTerm { number } }
               units(filter: { kinds: [TOWNSHIP] }) { edges { node { name } } }
               unitByDivisionCode(divisionCode: \"510704\") { name } }",
            json!({ "id": city.township_a1 }),
        )
        .await;
    assert_eq!(directory["city"]["name"], "绵阳市科学技术协会");
    assert_eq!(
        directory["city"]["children"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(directory["unit"]["name"], "青义镇科协");
    assert_eq!(directory["unit"]["kind"], "TOWNSHIP");
    assert_eq!(directory["unit"]["parent"]["name"], "涪城区科协");
    assert_eq!(
        directory["unit"]["children"]["edges"],
        json!([{ "node": { "name": "青义镇电子企业科协" } }])
    );
    assert_eq!(
        directory["unit"]["leadershipRoles"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        directory["unit"]["terms"],
        json!([{ "number": 2 }, { "number": 1 }])
    );
    assert_eq!(directory["unit"]["currentTerm"]["number"], 2);
    assert_eq!(directory["units"]["edges"].as_array().unwrap().len(), 4);
    assert_eq!(directory["unitByDivisionCode"]["name"], "游仙区科协");
    let entities = anonymous
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { name } } }",
            json!({ "r": [{ "__typename": "Unit", "id": city.district_b }] }),
        )
        .await;
    assert_eq!(entities["_entities"], json!([{ "name": "游仙区科协" }]));
    let terms = anonymous
        .data(
            "query($id: ID!) { terms(filter: { unitId: $id, includeSubtree: true }) { edges { node { number } } }
                               term(id: $id) { number } }",
            json!({ "id": city.city }),
        )
        .await;
    assert_eq!(terms["terms"]["edges"].as_array().unwrap().len(), 2);

    for (document, variables) in [
        (FIGURES, json!({ "id": city.city })),
        (FIGURES, json!({ "id": city.township_a1 })),
        (TARGETS, json!({ "id": city.township_a1 })),
        (
            "query($id: ID!) { target(id: $id) { targetValue } }",
            json!({ "id": city.targets[0] }),
        ),
        ("{ targets { edges { node { id } } } }", json!({})),
        (
            "query($id: ID!) { targets(filter: { unitId: $id }) { edges { node { id } } } }",
            json!({ "id": city.township_a1 }),
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target { targetValue } } }",
            json!({ "r": [{ "__typename": "Target", "id": city.targets[0] }] }),
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 organizationFigures(period: { year: 2026 }) { units } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": city.district_a }] }),
        ),
    ] {
        assert_eq!(
            anonymous.error_code(document, variables.clone()).await,
            "FORBIDDEN",
            "{document}"
        );
    }
}

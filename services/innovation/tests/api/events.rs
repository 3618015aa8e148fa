//! Innovation events (创新活动): matchmaking such as 科创会·市州行 and academic exchange —
//! planning with the needs and results presented, holding with the attendance, the matches
//! brokered there, the bureaus co-organizing them, lists and bad input.

use serde_json::{json, Value};

use kexie_contract::principal::{Role, Scope};

use crate::support::*;

const LIST: &str = "query($filter: InnovationEventFilter) {
    innovationEvents(filter: $filter) { edges { node { title } } } }";

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $input: UpdateInnovationEventInput!) {{
           updateInnovationEvent(id: $id, expectedVersion: $v, input: $input) {{ {EVENT_FIELDS} }} }}"
    )
}

fn attendance_query() -> String {
    format!(
        "mutation($id: ID!, $v: Int!, $attendance: EventAttendanceInput!) {{
           recordEventAttendance(id: $id, expectedVersion: $v, attendance: $attendance) {{ {EVENT_FIELDS} }} }}"
    )
}

const ARCHIVE: &str = "mutation($id: ID!, $v: Int!) {
    archiveInnovationEvent(id: $id, expectedVersion: $v) { id archivedAt } }";

async fn titles(client: &kexie_testkit::GraphqlClient, filter: Value) -> Vec<Value> {
    let data = client.data(LIST, json!({ "filter": filter })).await;
    column(&data["innovationEvents"], "title")
}

#[tokio::test]
async fn a_matchmaking_event_presents_needs_and_results_is_held_and_brokers_matches() {
    let hub = start().await;
    let city = hub.tree.city.id;
    let need = create_need(
        &hub.client,
        need_input(
            hub.tree.enterprise_a.id,
            json!({ "publishedOn": "2026-03-01" }),
        ),
    )
    .await;
    let result = create_result(&hub.client, result_input(hub.tree.district_a.id, json!({}))).await;
    let event = create_event(
        &hub.client.acting_as("city-secretary"),
        event_input(
            city,
            json!({ "techNeedIds": [need["id"]], "scienceResultIds": [result["id"]],
                    "endsOn": "2026-05-21" }),
        ),
    )
    .await;
    assert_eq!(event["status"], "PLANNED");
    assert_eq!(
        event["partnerBureaus"],
        json!(["SCIENCE_TECHNOLOGY", "INDUSTRY_IT"])
    );
    assert_eq!(event["techNeeds"], json!([{ "id": need["id"] }]));
    assert_eq!(event["scienceResults"], json!([{ "id": result["id"] }]));
    assert_eq!(
        (event["startsOn"].clone(), event["endsOn"].clone()),
        (json!("2026-05-20"), json!("2026-05-21"))
    );
    assert_eq!(event["allowedTransitions"], json!(["HELD", "CANCELLED"]));
    assert_eq!(event["history"][0]["actor"], "city-secretary");

    // Holding needs the attendance, consistent.
    let transition = transition_event_query();
    for (attendance, code) in [
        (Value::Null, "VALIDATION"),
        (
            json!({ "participants": 10, "enterprises": 11 }),
            "VALIDATION",
        ),
        (
            json!({ "participants": -1, "enterprises": 0 }),
            "VALIDATION",
        ),
    ] {
        refused(
            &hub,
            &transition,
            json!({ "id": event["id"], "v": 1, "to": "HELD", "attendance": attendance }),
            code,
        )
        .await;
    }
    refused(
        &hub,
        &attendance_query(),
        json!({ "id": event["id"], "v": 1, "attendance": { "participants": 10, "enterprises": 1 } }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    let held = hub
        .client
        .data(
            &transition,
            json!({ "id": event["id"], "v": 1, "to": "HELD", "note": "现场签约",
                    "attendance": { "participants": 320, "enterprises": 86, "summary": "发布需求 1 项" } }),
        )
        .await["transitionInnovationEvent"]
        .clone();
    assert_eq!(
        (held["participants"].clone(), held["enterprises"].clone()),
        (json!(320), json!(86))
    );
    assert_eq!(held["history"][1]["note"], "现场签约");
    let recounted = hub
        .client
        .data(
            &attendance_query(),
            json!({ "id": event["id"], "v": held["version"],
                    "attendance": { "participants": 350, "enterprises": 90 } }),
        )
        .await["recordEventAttendance"]
        .clone();
    assert_eq!(recounted["participants"], 350);
    // A held event is no longer edited or moved.
    refused(
        &hub,
        &update_query(),
        json!({ "id": event["id"], "v": recounted["version"], "input": { "title": "改" } }),
        "ILLEGAL_TRANSITION",
    )
    .await;
    refused(
        &hub,
        &transition,
        json!({ "id": event["id"], "v": recounted["version"], "to": "CANCELLED" }),
        "ILLEGAL_TRANSITION",
    )
    .await;

    // A match brokered there, not before its first day.
    let at_event = |on: &str| {
        json!({ "needId": need["id"], "scienceResultId": result["id"], "eventId": event["id"],
                "proposedOn": on })
    };
    refused(
        &hub,
        &propose_query(),
        json!({ "input": at_event("2026-05-19") }),
        "VALIDATION",
    )
    .await;
    let brokered = hub
        .client
        .data(
            "mutation($input: ProposeNeedMatchInput!) {
                proposeNeedMatch(input: $input) { id event { id title } } }",
            json!({ "input": at_event("2026-05-20") }),
        )
        .await["proposeNeedMatch"]
        .clone();
    assert_eq!(brokered["event"]["id"], event["id"]);
    let found = hub
        .client
        .data(
            "query($id: ID!) { innovationEvent(id: $id) { matches { edges { node { id } } } } }",
            json!({ "id": event["id"] }),
        )
        .await;
    assert_eq!(
        column(&found["innovationEvent"]["matches"], "id"),
        vec![brokered["id"].clone()]
    );

    // A cancelled event brokers nothing.
    let cancelled = create_event(
        &hub.client,
        event_input(city, json!({ "title": "取消的对接会" })),
    )
    .await;
    hub.client
        .data(
            &transition,
            json!({ "id": cancelled["id"], "v": 1, "to": "CANCELLED" }),
        )
        .await;
    let expert = worker();
    refused(
        &hub,
        &propose_query(),
        json!({ "input": { "needId": need["id"], "expertId": expert, "eventId": cancelled["id"] } }),
        "VALIDATION",
    )
    .await;

    // The organizer's list, its subtree's and the figures show the held event.
    let lists = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) {
               ... on Unit { innovationEvents(includeSubtree: true, filter: { statuses: [HELD] }) {
                 edges { node { id } } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": city.to_string() }] }),
        )
        .await;
    assert_eq!(
        column(&lists["_entities"][0]["innovationEvents"], "id"),
        vec![event["id"].clone()]
    );
}

#[tokio::test]
async fn bad_events_write_nothing_and_a_retried_create_writes_once() {
    let hub = start().await;
    let unit = hub.tree.district_a.id;
    let need = create_need(&hub.client, need_input(unit, json!({}))).await;
    let archived = create_result(&hub.client, result_input(unit, json!({}))).await;
    hub.client
        .data(
            "mutation($id: ID!) { archiveScienceResult(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": archived["id"] }),
        )
        .await;
    let create = create_event_query();
    for overrides in [
        json!({ "title": " " }),
        json!({ "endsOn": "2026-05-19" }),
        json!({ "endsOn": "2026-07-01" }),
        json!({ "startsOn": "1800-01-01" }),
        json!({ "techNeedIds": [need["id"], need["id"]] }),
        json!({ "techNeedIds": [worker()] }),
        json!({ "techNeedIds": ["nope"] }),
        json!({ "scienceResultIds": [archived["id"]] }),
        json!({ "unitId": hub.merged.id.to_string() }),
    ] {
        refused(
            &hub,
            &create,
            json!({ "input": event_input(unit, overrides) }),
            "VALIDATION",
        )
        .await;
    }
    // A planned event in the future is not held.
    let future = (today() + chrono::Duration::days(3)).to_string();
    let planned = create_event(
        &hub.client,
        event_input(unit, json!({ "startsOn": future })),
    )
    .await;
    refused(
        &hub,
        &transition_event_query(),
        json!({ "id": planned["id"], "v": 1, "to": "HELD",
                "attendance": { "participants": 1, "enterprises": 0 } }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        &update_query(),
        json!({ "id": planned["id"], "v": 7, "input": { "title": "新" } }),
        "CONFLICT",
    )
    .await;
    // Bureaus named twice are kept once.
    let updated = hub
        .client
        .data(
            &update_query(),
            json!({ "id": planned["id"], "v": 1,
                    "input": { "partnerBureaus": ["INDUSTRY_IT", "INDUSTRY_IT"], "place": null,
                               "techNeedIds": [need["id"]] } }),
        )
        .await["updateInnovationEvent"]
        .clone();
    assert_eq!(updated["partnerBureaus"], json!(["INDUSTRY_IT"]));
    assert_eq!(updated["place"], Value::Null);
    assert_eq!(updated["techNeeds"], json!([{ "id": need["id"] }]));

    let keyed = event_input(unit, json!({ "idempotencyKey": "event-1" }));
    let once = create_event(&hub.client, keyed.clone()).await;
    let twice = create_event(&hub.client, keyed.clone()).await;
    assert_eq!(once["id"], twice["id"]);
    let mut other = keyed;
    other["title"] = json!("另一场");
    refused(
        &hub,
        &create,
        json!({ "input": other }),
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
}

#[tokio::test]
async fn events_are_listed_by_kind_status_bureau_and_day() {
    let hub = start().await;
    let tree = &hub.tree;
    let salon = create_event(
        &hub.client,
        event_input(
            tree.township_a.id,
            json!({ "title": "特色产业高端沙龙", "kind": "SALON", "startsOn": "2025-04-02",
                    "partnerBureaus": ["AGRICULTURE"], "place": "茶叶产业园" }),
        ),
    )
    .await;
    create_event(
        &hub.client,
        event_input(
            tree.district_b.id,
            json!({ "title": "十字花科蔬菜年会", "kind": "CONFERENCE" }),
        ),
    )
    .await;
    hold_event(&hub.client, &salon, 60).await;
    assert_eq!(
        titles(&hub.client, json!({ "kinds": ["CONFERENCE"] })).await,
        vec![json!("十字花科蔬菜年会")]
    );
    assert_eq!(
        titles(&hub.client, json!({ "statuses": ["HELD"] })).await,
        vec![json!("特色产业高端沙龙")]
    );
    assert_eq!(
        titles(
            &hub.client,
            json!({ "partnerBureaus": ["AGRICULTURE", "HEALTH"] })
        )
        .await,
        vec![json!("特色产业高端沙龙")]
    );
    assert_eq!(
        titles(&hub.client, json!({ "to": "2025-12-31" })).await,
        vec![json!("特色产业高端沙龙")]
    );
    assert_eq!(
        titles(&hub.client, json!({ "search": "产业园" })).await,
        vec![json!("特色产业高端沙龙")]
    );
    assert_eq!(
        titles(
            &hub.client,
            json!({ "unitId": tree.district_a.id.to_string(), "includeSubtree": true })
        )
        .await,
        vec![json!("特色产业高端沙龙")]
    );
    refused(
        &hub,
        LIST,
        json!({ "filter": { "from": "2026-02-01", "to": "2026-01-01" } }),
        "VALIDATION",
    )
    .await;
}

#[tokio::test]
async fn bureaus_co_organize_the_events_naming_them_and_staff_write_their_subtree() {
    let hub = start().await;
    let tree = &hub.tree;
    let industry = hub
        .client
        .as_partner("INDUSTRY_IT", &[Scope::CoOrganizeInnovationEvents]);
    let create = create_event_query();

    // A co-organizing key plans events naming its bureau, for any organizer.
    let refused_plan = industry
        .error_code(
            &create,
            json!({ "input": event_input(tree.district_a.id, json!({ "partnerBureaus": ["AGRICULTURE"] })) }),
        )
        .await;
    assert_eq!(refused_plan, "FORBIDDEN");
    let theirs = create_event(
        &industry,
        event_input(
            tree.district_a.id,
            json!({ "title": "工信专场", "partnerBureaus": ["INDUSTRY_IT"] }),
        ),
    )
    .await;
    let other = create_event(
        &hub.client,
        event_input(
            tree.district_a.id,
            json!({ "title": "农业专场", "partnerBureaus": ["AGRICULTURE"] }),
        ),
    )
    .await;

    // It sees its events only, and not the matches brokered there.
    assert_eq!(titles(&industry, json!({})).await, vec![json!("工信专场")]);
    let lookup = "query($id: ID!) { innovationEvent(id: $id) { id } }";
    assert_eq!(
        industry.data(lookup, json!({ "id": other["id"] })).await["innovationEvent"],
        Value::Null
    );
    assert_eq!(
        industry
            .error_code(
                "query($id: ID!) { innovationEvent(id: $id) { matches { edges { node { id } } } } }",
                json!({ "id": theirs["id"] })
            )
            .await,
        "FORBIDDEN"
    );

    // It changes and moves along its events, keeping itself named and the organizer as is.
    let changed = industry
        .data(
            &update_query(),
            json!({ "id": theirs["id"], "v": 1, "input": { "title": "工信专场（二）" } }),
        )
        .await["updateInnovationEvent"]
        .clone();
    assert_eq!(changed["partnerBureaus"], json!(["INDUSTRY_IT"]));
    let v = changed["version"].clone();
    for (query, variables) in [
        (
            update_query(),
            json!({ "id": theirs["id"], "v": v, "input": { "partnerBureaus": ["AGRICULTURE"] } }),
        ),
        (
            update_query(),
            json!({ "id": theirs["id"], "v": v, "input": { "unitId": tree.district_b.id.to_string() } }),
        ),
        (
            update_query(),
            json!({ "id": other["id"], "v": 1, "input": { "title": "抢" } }),
        ),
        (
            transition_event_query(),
            json!({ "id": other["id"], "v": 1, "to": "CANCELLED" }),
        ),
        (ARCHIVE.to_string(), json!({ "id": theirs["id"], "v": v })),
    ] {
        let before = fingerprint(&hub.pool).await;
        assert_eq!(
            industry.error_code(&query, variables.clone()).await,
            "FORBIDDEN",
            "{variables}"
        );
        assert_eq!(fingerprint(&hub.pool).await, before);
    }
    let held = hold_event(&industry, &changed, 40).await;
    assert_eq!(held["status"], "HELD");

    // Staff write their subtree's events only; leadership and readers write none.
    let staff_b = hub
        .client
        .as_staff("b", Role::UnitStaff, tree.district_b.id);
    for client in [
        staff_b.clone(),
        hub.client.as_staff("lead", Role::Leadership, tree.city.id),
        hub.client
            .as_partner("SCIENCE_TECHNOLOGY", &[Scope::ReadInnovation]),
    ] {
        let before = fingerprint(&hub.pool).await;
        let code = client
            .error_code(
                &create,
                json!({ "input": event_input(tree.township_a.id, json!({})) }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN");
        assert_eq!(
            client
                .error_code(ARCHIVE, json!({ "id": other["id"], "v": 1 }))
                .await,
            "FORBIDDEN"
        );
        assert_eq!(fingerprint(&hub.pool).await, before);
    }
    let staff_a = hub
        .client
        .as_staff("a", Role::UnitStaff, tree.district_a.id);
    let archived = staff_a
        .data(ARCHIVE, json!({ "id": other["id"], "v": 1 }))
        .await;
    assert!(archived["archiveInnovationEvent"]["archivedAt"].is_string());

    // Readers see every event; the public none.
    let reader = hub
        .client
        .as_partner("SCIENCE_TECHNOLOGY", &[Scope::ReadInnovation]);
    assert_eq!(
        titles(&reader, json!({ "includeArchived": true }))
            .await
            .len(),
        2
    );
    assert_eq!(
        hub.client.anonymous().error_code(LIST, json!({})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        hub.client
            .as_partner("EDUCATION", &[Scope::CoOrganizeActivities])
            .error_code(LIST, json!({}))
            .await,
        "FORBIDDEN"
    );
}

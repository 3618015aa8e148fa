//! 科普阵地: venues through the API.

use serde_json::{json, Value};

use crate::support::{create_venue, id, museum, nodes, start, UNKNOWN_ID, VENUE_FIELDS};

const UPDATE: &str = "mutation($id: ID!, $version: Int!, $input: UpdateVenueInput!) {
    updateVenue(id: $id, expectedVersion: $version, input: $input) {
        id name kind address longitude latitude floorArea coBuilders yearlyVisitors openedOn owner { id } version updatedBy } }";

const TRANSITION: &str =
    "mutation($id: ID!, $version: Int!, $to: VenueStatus!, $note: String, $openedOn: NaiveDate) {
    transitionVenue(id: $id, expectedVersion: $version, to: $to, note: $note, openedOn: $openedOn) {
        status openedOn version history { fromStatus toStatus actor note changedAt } } }";

const ARCHIVE: &str = "mutation($id: ID!, $version: Int!) {
    archiveVenue(id: $id, expectedVersion: $version) { id archivedAt version } }";

const LIST: &str = "query($filter: VenueFilter, $first: Int, $after: String) {
    venues(filter: $filter, first: $first, after: $after) {
        pageInfo { hasNextPage endCursor } edges { cursor node { id name status } } } }";

#[tokio::test]
async fn a_venue_is_created_and_read_back_with_its_owner_and_history() {
    let hub = start().await;
    let district = &hub.tree.district_a;
    let created = create_venue(
        &hub.client,
        json!({
            "ownerId": id(district),
            "name": "  巴州区科技馆 ",
            "kind": "SCIENCE_MUSEUM",
            "coBuilders": ["巴州区图书馆", "巴州区图书馆", "巴州区文化馆"],
            "address": "巴州区江北大道118号",
            "longitude": 106.77,
            "latitude": 31.86,
            "floorArea": 4200.5,
        }),
    )
    .await;
    assert_eq!(created["name"], "巴州区科技馆");
    assert_eq!(created["status"], "PLANNED");
    assert_eq!(created["owner"]["id"], id(district));
    assert_eq!(
        created["coBuilders"],
        json!(["巴州区图书馆", "巴州区文化馆"])
    );
    assert_eq!(created["floorArea"], 4200.5);
    assert_eq!(created["openedOn"], Value::Null);
    assert_eq!(created["version"], 1);
    assert_eq!(created["createdBy"], "test-staff");
    assert_eq!(created["history"][0]["toStatus"], "PLANNED", "{created:#}");
    assert_eq!(created["history"][0]["fromStatus"], Value::Null);

    let found = hub
        .client
        .data(
            &format!("query($id: ID!) {{ venue(id: $id) {{ {VENUE_FIELDS} }} }}"),
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(found["venue"], created);

    let unknown = hub
        .client
        .data(
            "query($id: ID!) { venue(id: $id) { id } }",
            json!({ "id": UNKNOWN_ID }),
        )
        .await;
    assert_eq!(unknown["venue"], Value::Null);

    // A venue already open when it is entered into the hub opens today unless told.
    let open = create_venue(
        &hub.client,
        json!({ "ownerId": id(&hub.tree.township_a), "name": "清江镇社区科普馆",
                "kind": "COMMUNITY_HALL", "status": "OPEN", "yearlyVisitors": 5200 }),
    )
    .await;
    assert_eq!(open["status"], "OPEN");
    assert!(open["openedOn"].is_string(), "{open:#}");
    assert_eq!(open["history"][0]["toStatus"], "OPEN");
    hub.stop().await;
}

#[tokio::test]
async fn venue_lists_filter_by_unit_subtree_kind_status_and_search_and_page_newest_first() {
    let hub = start().await;
    let tree = hub.tree.clone();
    create_venue(&hub.client, museum(&tree.district_a, "巴州区科技馆")).await;
    create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.township_a), "name": "清江镇农村中学科技馆",
                "kind": "CAMPUS_MUSEUM", "status": "OPEN", "openedOn": "2023-09-01" }),
    )
    .await;
    create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.enterprise_a), "name": "巴中化工科普教育基地",
                "kind": "POPULARIZATION_BASE", "status": "OPEN", "openedOn": "2020-05-01" }),
    )
    .await;
    create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.district_b), "name": "恩阳区科技馆",
                "kind": "SCIENCE_MUSEUM", "status": "UNDER_CONSTRUCTION" }),
    )
    .await;
    create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.city), "name": "“科普巴中”微信公众号", "kind": "ONLINE",
                "status": "OPEN", "openedOn": "2019-01-01" }),
    )
    .await;

    let names = |data: &Value| -> Vec<String> {
        nodes(&data["venues"], "name")
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    let list = |filter: Value| {
        let client = hub.client.clone();
        async move { client.data(LIST, json!({ "filter": filter })).await }
    };

    let own = list(json!({ "unitId": id(&tree.district_a) })).await;
    assert_eq!(names(&own), ["巴州区科技馆"]);
    let subtree = list(json!({ "unitId": id(&tree.district_a), "includeSubtree": true })).await;
    assert_eq!(
        names(&subtree),
        [
            "巴中化工科普教育基地",
            "清江镇农村中学科技馆",
            "巴州区科技馆"
        ]
    );
    let whole_city = list(json!({ "unitId": id(&tree.city), "includeSubtree": true })).await;
    assert_eq!(names(&whole_city).len(), 5);
    let museums = list(json!({ "kinds": ["SCIENCE_MUSEUM"] })).await;
    assert_eq!(names(&museums), ["恩阳区科技馆", "巴州区科技馆"]);
    let being_built = list(json!({ "statuses": ["PLANNED", "UNDER_CONSTRUCTION"] })).await;
    assert_eq!(names(&being_built), ["恩阳区科技馆", "巴州区科技馆"]);
    let search = list(json!({ "search": "科普" })).await;
    assert_eq!(
        names(&search),
        ["“科普巴中”微信公众号", "巴中化工科普教育基地"]
    );
    let nothing = list(json!({ "search": "100%" })).await;
    assert_eq!(names(&nothing), Vec::<String>::new());
    let combined = list(json!({ "unitId": id(&tree.city), "includeSubtree": true,
                                 "kinds": ["SCIENCE_MUSEUM", "CAMPUS_MUSEUM"], "statuses": ["OPEN"] }))
    .await;
    assert_eq!(names(&combined), ["清江镇农村中学科技馆"]);

    let first = hub.client.data(LIST, json!({ "first": 2 })).await;
    assert_eq!(names(&first), ["“科普巴中”微信公众号", "恩阳区科技馆"]);
    assert_eq!(first["venues"]["pageInfo"]["hasNextPage"], true);
    let second = hub
        .client
        .data(
            LIST,
            json!({ "first": 2, "after": first["venues"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        names(&second),
        ["巴中化工科普教育基地", "清江镇农村中学科技馆"]
    );
    assert_eq!(second["venues"]["pageInfo"]["hasNextPage"], true);
    let last = hub
        .client
        .data(
            LIST,
            json!({ "first": 2, "after": second["venues"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(names(&last), ["巴州区科技馆"]);
    assert_eq!(last["venues"]["pageInfo"]["hasNextPage"], false);
    hub.stop().await;
}

#[tokio::test]
async fn a_venue_update_changes_only_the_given_fields_and_a_stale_version_conflicts() {
    let hub = start().await;
    let created = create_venue(
        &hub.client,
        json!({ "ownerId": id(&hub.tree.district_a), "name": "巴州区科技馆", "kind": "SCIENCE_MUSEUM",
                "address": "巴州区江北大道118号", "floorArea": 3000.0 }),
    )
    .await;
    let updated = hub
        .client
        .data(
            UPDATE,
            json!({ "id": created["id"], "version": 1, "input": {
                "name": "巴州区青少年科技馆", "address": null, "longitude": 106.7, "latitude": 31.8,
                "coBuilders": ["巴州区图书馆"], "ownerId": id(&hub.tree.township_a) } }),
        )
        .await["updateVenue"]
        .clone();
    assert_eq!(updated["name"], "巴州区青少年科技馆");
    assert_eq!(updated["address"], Value::Null);
    assert_eq!(updated["floorArea"], 3000.0);
    assert_eq!(updated["longitude"], 106.7);
    assert_eq!(updated["coBuilders"], json!(["巴州区图书馆"]));
    assert_eq!(updated["owner"]["id"], id(&hub.tree.township_a));
    assert_eq!(updated["kind"], "SCIENCE_MUSEUM");
    assert_eq!(updated["version"], 2);

    let before = hub.counts().await;
    let code = hub
        .client
        .error_code(
            UPDATE,
            json!({ "id": created["id"], "version": 1, "input": { "name": "别的名字" } }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    let after = hub
        .client
        .data(
            "query($id: ID!) { venue(id: $id) { name version } }",
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(
        after["venue"],
        json!({ "name": "巴州区青少年科技馆", "version": 2 })
    );
    assert_eq!(hub.counts().await, before);
    hub.stop().await;
}

#[tokio::test]
async fn a_county_museum_goes_from_plan_to_opening_and_closing_with_who_when_and_why() {
    let hub = start().await;
    let created = create_venue(&hub.client, museum(&hub.tree.district_b, "恩阳区科技馆")).await;
    let director = hub.client.acting_as("enyang-director");
    let step = |version: i64, to: &str, note: Option<&str>, opened_on: Option<&str>| {
        let director = director.clone();
        let variables = json!({ "id": created["id"], "version": version, "to": to, "note": note, "openedOn": opened_on });
        async move { director.data(TRANSITION, variables).await["transitionVenue"].clone() }
    };
    let building = step(
        1,
        "UNDER_CONSTRUCTION",
        Some("与区图书馆共同建设，开工"),
        None,
    )
    .await;
    assert_eq!(building["status"], "UNDER_CONSTRUCTION");
    assert_eq!(building["openedOn"], Value::Null);
    let open = step(2, "OPEN", Some("建成开放"), Some("2026-05-18")).await;
    assert_eq!(open["status"], "OPEN");
    assert_eq!(open["openedOn"], "2026-05-18");
    let closed = step(3, "CLOSED", None, None).await;
    // The whole closed museum: CLOSED at version 4, still opened on the day it opened, and
    // every step with who took it and why, oldest first.
    insta::assert_json_snapshot!("closed_county_museum", kexie_testkit::redacted(&closed));
    let history = closed["history"].as_array().unwrap();
    let now = chrono::Utc::now();
    for change in history {
        let at: chrono::DateTime<chrono::Utc> =
            change["changedAt"].as_str().unwrap().parse().unwrap();
        assert!((now - at).num_seconds().abs() < 60, "{change:#}");
    }

    // A plan given up goes straight to CLOSED.
    let plan = create_venue(
        &hub.client,
        museum(&hub.tree.district_a, "巴州区第二科技馆"),
    )
    .await;
    let given_up = hub
        .client
        .data(
            TRANSITION,
            json!({ "id": plan["id"], "version": 1, "to": "CLOSED", "note": "选址调整" }),
        )
        .await;
    assert_eq!(given_up["transitionVenue"]["status"], "CLOSED");
    assert_eq!(given_up["transitionVenue"]["openedOn"], Value::Null);
    hub.stop().await;
}

#[tokio::test]
async fn illegal_venue_transitions_are_refused_and_change_nothing() {
    let hub = start().await;
    let planned = create_venue(&hub.client, museum(&hub.tree.district_a, "巴州区科技馆")).await;
    let open = create_venue(
        &hub.client,
        json!({ "ownerId": id(&hub.tree.district_b), "name": "恩阳区青少年科技馆",
                "kind": "SCIENCE_MUSEUM", "status": "OPEN", "openedOn": "2018-06-01" }),
    )
    .await;
    let before = hub.counts().await;
    let cases = [
        (
            json!({ "id": planned["id"], "version": 1, "to": "OPEN" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": planned["id"], "version": 1, "to": "PLANNED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": open["id"], "version": 1, "to": "UNDER_CONSTRUCTION" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": open["id"], "version": 1, "to": "OPEN" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": planned["id"], "version": 1, "to": "UNDER_CONSTRUCTION", "openedOn": "2025-01-01" }),
            "VALIDATION",
        ),
        (
            json!({ "id": planned["id"], "version": 2, "to": "UNDER_CONSTRUCTION" }),
            "CONFLICT",
        ),
        (
            json!({ "id": open["id"], "version": 1, "to": "CLOSED", "openedOn": "2018-06-01" }),
            "VALIDATION",
        ),
        (
            json!({ "id": planned["id"], "version": 1, "to": "UNDER_CONSTRUCTION", "note": "字".repeat(501) }),
            "VALIDATION",
        ),
        (
            json!({ "id": UNKNOWN_ID, "version": 1, "to": "CLOSED" }),
            "NOT_FOUND",
        ),
        (
            json!({ "id": "not-an-id", "version": 1, "to": "CLOSED" }),
            "VALIDATION",
        ),
    ];
    for (variables, expected) in cases {
        let code = hub.client.error_code(TRANSITION, variables.clone()).await;
        assert_eq!(code, expected, "{variables}");
    }
    // Once closed, a venue stays closed.
    let closed = hub
        .client
        .data(
            TRANSITION,
            json!({ "id": open["id"], "version": 1, "to": "CLOSED" }),
        )
        .await;
    assert_eq!(closed["transitionVenue"]["status"], "CLOSED");
    let code = hub
        .client
        .error_code(
            TRANSITION,
            json!({ "id": open["id"], "version": 2, "to": "OPEN" }),
        )
        .await;
    assert_eq!(code, "ILLEGAL_TRANSITION");

    let statuses = hub
        .client
        .data(
            "query($a: ID!, $b: ID!) { a: venue(id: $a) { status version } b: venue(id: $b) { status version } }",
            json!({ "a": planned["id"], "b": open["id"] }),
        )
        .await;
    assert_eq!(statuses["a"], json!({ "status": "PLANNED", "version": 1 }));
    assert_eq!(statuses["b"], json!({ "status": "CLOSED", "version": 2 }));
    let [venues, activities, changes, keys] = before;
    assert_eq!(hub.counts().await, [venues, activities, changes + 1, keys]);
    hub.stop().await;
}

#[tokio::test]
async fn an_archived_venue_leaves_the_lists_but_can_still_be_looked_up() {
    let hub = start().await;
    let kept = create_venue(&hub.client, museum(&hub.tree.district_a, "巴州区科技馆")).await;
    let archived = create_venue(&hub.client, museum(&hub.tree.district_a, "巴州区旧科技馆")).await;
    let result = hub
        .client
        .data(ARCHIVE, json!({ "id": archived["id"], "version": 1 }))
        .await;
    assert!(result["archiveVenue"]["archivedAt"].is_string());
    assert_eq!(result["archiveVenue"]["version"], 2);

    let live = hub.client.data(LIST, json!({})).await;
    assert_eq!(nodes(&live["venues"], "id"), [kept["id"].as_str().unwrap()]);
    let all = hub
        .client
        .data(LIST, json!({ "filter": { "includeArchived": true } }))
        .await;
    assert_eq!(nodes(&all["venues"], "id").len(), 2);
    let found = hub
        .client
        .data(
            "query($id: ID!) { venue(id: $id) { name archivedAt } }",
            json!({ "id": archived["id"] }),
        )
        .await;
    assert_eq!(found["venue"]["name"], "巴州区旧科技馆");

    // An archived venue takes no more changes.
    let code = hub
        .client
        .error_code(
            UPDATE,
            json!({ "id": archived["id"], "version": 2, "input": { "name": "x" } }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let code = hub
        .client
        .error_code(ARCHIVE, json!({ "id": archived["id"], "version": 2 }))
        .await;
    assert_eq!(code, "NOT_FOUND");
    hub.stop().await;
}

#[tokio::test]
async fn invalid_venues_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    hub.merge(2, &hub.tree.township_b).await;
    let district = id(&hub.tree.district_a);
    let valid = |changes: Value| {
        let mut input =
            json!({ "ownerId": district, "name": "巴州区科技馆", "kind": "SCIENCE_MUSEUM" });
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        input
    };
    let cases = [
        (valid(json!({ "ownerId": "not-an-id" })), "VALIDATION"),
        (valid(json!({ "ownerId": UNKNOWN_ID })), "NOT_FOUND"),
        (
            valid(json!({ "ownerId": id(&hub.tree.township_b) })),
            "VALIDATION",
        ),
        (valid(json!({ "name": "   " })), "VALIDATION"),
        (valid(json!({ "name": "馆".repeat(101) })), "VALIDATION"),
        (valid(json!({ "address": "路".repeat(201) })), "VALIDATION"),
        (valid(json!({ "floorArea": -1.0 })), "VALIDATION"),
        (valid(json!({ "yearlyVisitors": -10 })), "VALIDATION"),
        (valid(json!({ "longitude": 106.7 })), "VALIDATION"),
        (valid(json!({ "latitude": 31.8 })), "VALIDATION"),
        (
            valid(json!({ "longitude": 180.5, "latitude": 31.8 })),
            "VALIDATION",
        ),
        (
            valid(json!({ "longitude": 106.7, "latitude": -91.0 })),
            "VALIDATION",
        ),
        (valid(json!({ "status": "CLOSED" })), "VALIDATION"),
        (valid(json!({ "openedOn": "2020-01-01" })), "VALIDATION"),
        (
            valid(json!({ "status": "OPEN", "openedOn": "2999-01-01" })),
            "VALIDATION",
        ),
        (valid(json!({ "coBuilders": [""] })), "VALIDATION"),
        (
            valid(
                json!({ "coBuilders": (0..21).map(|n| format!("共建单位{n}")).collect::<Vec<_>>() }),
            ),
            "VALIDATION",
        ),
        (valid(json!({ "idempotencyKey": "  " })), "VALIDATION"),
    ];
    let before = hub.counts().await;
    for (input, expected) in cases {
        let code = hub
            .client
            .error_code(
                "mutation($input: CreateVenueInput!) { createVenue(input: $input) { id } }",
                json!({ "input": input.clone() }),
            )
            .await;
        assert_eq!(code, expected, "{input}");
    }
    assert_eq!(hub.counts().await, before);

    let venue = create_venue(
        &hub.client,
        valid(json!({ "address": "巴州区江北大道1号" })),
    )
    .await;
    let updates = [
        (json!({ "name": "" }), "VALIDATION"),
        (json!({ "longitude": 106.7 }), "VALIDATION"),
        (json!({ "openedOn": "2024-01-01" }), "VALIDATION"),
        (json!({ "floorArea": -5.0 }), "VALIDATION"),
        (json!({ "ownerId": UNKNOWN_ID }), "NOT_FOUND"),
        (json!({ "ownerId": id(&hub.tree.township_b) }), "VALIDATION"),
    ];
    let before = hub.counts().await;
    for (input, expected) in updates {
        let code = hub
            .client
            .error_code(
                UPDATE,
                json!({ "id": venue["id"], "version": 1, "input": input.clone() }),
            )
            .await;
        assert_eq!(code, expected, "{input}");
    }
    let code = hub
        .client
        .error_code(
            UPDATE,
            json!({ "id": UNKNOWN_ID, "version": 1, "input": { "name": "x" } }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let unchanged = hub
        .client
        .data(
            "query($id: ID!) { venue(id: $id) { name address version } }",
            json!({ "id": venue["id"] }),
        )
        .await;
    assert_eq!(
        unchanged["venue"],
        json!({ "name": "巴州区科技馆", "address": "巴州区江北大道1号", "version": 1 })
    );
    assert_eq!(hub.counts().await, before);

    for (query, variables) in [
        (
            "query { venues(first: 101) { edges { cursor } } }",
            json!({}),
        ),
        (
            "query { venues(first: -1) { edges { cursor } } }",
            json!({}),
        ),
        (
            "query { venues(after: \"somewhere\") { edges { cursor } } }",
            json!({}),
        ),
        (
            "query { venues(filter: { unitId: \"nope\" }) { edges { cursor } } }",
            json!({}),
        ),
        ("query { venue(id: \"nope\") { id } }", json!({})),
    ] {
        assert_eq!(
            hub.client.error_code(query, variables).await,
            "VALIDATION",
            "{query}"
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_retried_venue_create_with_the_same_idempotency_key_returns_the_first_venue() {
    let hub = start().await;
    let input = json!({ "ownerId": id(&hub.tree.district_a), "name": "巴州区科技工作者之家",
                        "kind": "WORKERS_HOME", "idempotencyKey": "venue-2026-0001" });
    let first = create_venue(&hub.client, input.clone()).await;
    let before = hub.counts().await;
    let retried = create_venue(&hub.client, input.clone()).await;
    assert_eq!(retried["id"], first["id"]);
    assert_eq!(hub.counts().await, before);
    // Keys belong to whoever sent them.
    let other = create_venue(&hub.client.acting_as("another-office"), input).await;
    assert_ne!(other["id"], first["id"]);
    hub.stop().await;
}

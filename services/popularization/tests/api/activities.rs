//! 科普活动: activities through the API, as staff and partner bureaus use it.

use serde_json::{json, Value};

use crate::support::{
    create_activity, create_venue, id, lecture, museum, nodes, start, ACTIVITY_FIELDS, UNKNOWN_ID,
};

const CREATE: &str =
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }";

const UPDATE: &str = "mutation($id: ID!, $version: Int!, $input: UpdateActivityInput!) {
    updateActivity(id: $id, expectedVersion: $version, input: $input) {
        id title kind startsOn endsOn audiences topics partnerBureaus venue { id } organizer { id }
        participants onlineReach mode version updatedBy } }";

const TRANSITION: &str = "mutation($id: ID!, $version: Int!, $to: ActivityStatus!, $note: String,
                                   $participants: Int, $onlineReach: Int) {
    transitionActivity(id: $id, expectedVersion: $version, to: $to, note: $note,
                       participants: $participants, onlineReach: $onlineReach) {
        status participants onlineReach version updatedBy
        history { fromStatus toStatus actor note changedAt } } }";

const ARCHIVE: &str = "mutation($id: ID!, $version: Int!) {
    archiveActivity(id: $id, expectedVersion: $version) { id archivedAt version } }";

const LIST: &str = "query($filter: ActivityFilter, $first: Int, $after: String) {
    activities(filter: $filter, first: $first, after: $after) {
        pageInfo { hasNextPage endCursor } edges { node { id title } } } }";

fn titles(data: &Value) -> Vec<String> {
    nodes(&data["activities"], "title")
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn an_activity_is_planned_and_read_back_with_its_organizer_venue_and_partners() {
    let hub = start().await;
    let venue = create_venue(
        &hub.client,
        json!({ "ownerId": id(&hub.tree.district_a), "name": "巴州区科技馆", "kind": "SCIENCE_MUSEUM",
                "status": "OPEN", "openedOn": "2019-09-01" }),
    )
    .await;
    let created = create_activity(
        &hub.client,
        json!({
            "organizerId": id(&hub.tree.district_a),
            "title": " 2025年全国科普日巴州区主场活动 ",
            "kind": "SCIENCE_DAY",
            "partnerBureaus": ["EDUCATION", "SCIENCE_TECHNOLOGY", "EDUCATION"],
            "venueId": venue["id"],
            "startsOn": "2025-09-20",
            "endsOn": "2025-09-21",
            "audiences": ["YOUTH", "GENERAL_PUBLIC"],
            "topics": ["DISASTER_PREVENTION", "ECOLOGY", "DISASTER_PREVENTION"],
            "participants": 1200,
            "onlineReach": 30000,
            "mode": "HYBRID",
        }),
    )
    .await;
    assert_eq!(created["title"], "2025年全国科普日巴州区主场活动");
    assert_eq!(created["status"], "PLANNED");
    assert_eq!(created["organizer"]["id"], id(&hub.tree.district_a));
    assert_eq!(
        created["partnerBureaus"],
        json!(["EDUCATION", "SCIENCE_TECHNOLOGY"])
    );
    assert_eq!(created["coOrganized"], true);
    assert_eq!(
        created["venue"],
        json!({ "id": venue["id"], "name": "巴州区科技馆" })
    );
    assert_eq!(created["audiences"], json!(["YOUTH", "GENERAL_PUBLIC"]));
    assert_eq!(created["topics"], json!(["DISASTER_PREVENTION", "ECOLOGY"]));
    assert_eq!(created["participants"], 1200);
    assert_eq!(created["onlineReach"], 30000);
    assert_eq!(created["mode"], "HYBRID");
    assert_eq!(created["version"], 1);
    assert_eq!(created["history"][0]["toStatus"], "PLANNED");

    let found = hub
        .client
        .data(
            &format!("query($id: ID!) {{ activity(id: $id) {{ {ACTIVITY_FIELDS} }} }}"),
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(found["activity"], created);

    // The smallest activity: one day, in person, organized alone, nobody counted yet.
    let minimal = create_activity(
        &hub.client,
        lecture(&hub.tree.township_a, "老年人防范电信诈骗科普讲座"),
    )
    .await;
    assert_eq!(minimal["endsOn"], "2025-03-15");
    assert_eq!(minimal["mode"], "OFFLINE");
    assert_eq!(minimal["partnerBureaus"], json!([]));
    assert_eq!(minimal["coOrganized"], false);
    assert_eq!(minimal["venue"], Value::Null);
    assert_eq!(minimal["participants"], 0);

    let unknown = hub
        .client
        .data(
            "query($id: ID!) { activity(id: $id) { id } }",
            json!({ "id": UNKNOWN_ID }),
        )
        .await;
    assert_eq!(unknown["activity"], Value::Null);
    hub.stop().await;
}

#[tokio::test]
async fn activity_lists_filter_by_every_criterion_and_page_newest_first() {
    let hub = start().await;
    let tree = hub.tree.clone();
    let venue = create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.district_a), "name": "巴州区科技馆", "kind": "SCIENCE_MUSEUM",
                "status": "OPEN", "openedOn": "2019-09-01" }),
    )
    .await;
    let plan = [
        json!({ "organizerId": id(&tree.city), "title": "院士专家巴中行报告会", "kind": "ACADEMICIAN_REPORT",
                "startsOn": "2024-05-10", "audiences": ["CIVIL_SERVANTS", "YOUTH"], "mode": "HYBRID",
                "partnerBureaus": ["ORGANIZATION_DEPARTMENT"] }),
        json!({ "organizerId": id(&tree.district_a), "title": "2025年全国科普日巴州区主场活动", "kind": "SCIENCE_DAY",
                "startsOn": "2025-09-20", "audiences": ["YOUTH", "GENERAL_PUBLIC"], "venueId": venue["id"],
                "partnerBureaus": ["EDUCATION"] }),
        json!({ "organizerId": id(&tree.township_a), "title": "清江镇农村科普大喇叭·春耕备耕", "kind": "BROADCAST",
                "startsOn": "2025-03-02", "audiences": ["FARMERS"],
                "topics": ["AGRICULTURAL_TECHNOLOGY", "FOOD_SAFETY"] }),
        json!({ "organizerId": id(&tree.enterprise_a), "title": "巴中化工产业工人创新方法大赛", "kind": "COMPETITION",
                "startsOn": "2025-11-05", "endsOn": "2025-11-06", "audiences": ["INDUSTRIAL_WORKERS"],
                "partnerBureaus": ["INDUSTRY_IT"], "mode": "ONLINE" }),
        json!({ "organizerId": id(&tree.township_b), "title": "科技之冬·柳林镇茶叶种植技术培训", "kind": "TRAINING",
                "startsOn": "2026-01-12", "endsOn": "2026-01-14", "audiences": ["FARMERS", "ELDERLY"],
                "partnerBureaus": ["AGRICULTURE", "WOMENS_FEDERATION"] }),
        json!({ "organizerId": id(&tree.district_b), "title": "恩阳区老年人智能手机使用科普讲座", "kind": "LECTURE",
                "startsOn": "2026-03-08", "audiences": ["ELDERLY"], "partnerBureaus": ["VETERAN_CADRES"],
                "topics": ["DIGITAL_LITERACY"] }),
    ];
    let mut created = Vec::new();
    for input in plan {
        created.push(create_activity(&hub.client, input).await);
    }
    // The broadcast was held, the competition cancelled.
    hub.client
        .data(
            TRANSITION,
            json!({ "id": created[2]["id"], "version": 1, "to": "HELD" }),
        )
        .await;
    hub.client
        .data(
            TRANSITION,
            json!({ "id": created[3]["id"], "version": 1, "to": "CANCELLED" }),
        )
        .await;

    let list = |filter: Value| {
        let client = hub.client.clone();
        async move { titles(&client.data(LIST, json!({ "filter": filter })).await) }
    };
    assert_eq!(
        list(json!({ "unitId": id(&tree.district_a) })).await,
        ["2025年全国科普日巴州区主场活动"]
    );
    assert_eq!(
        list(json!({ "topics": ["FOOD_SAFETY", "DISASTER_PREVENTION"] })).await,
        ["清江镇农村科普大喇叭·春耕备耕"]
    );
    assert_eq!(
        list(json!({ "unitId": id(&tree.district_a), "includeSubtree": true })).await,
        [
            "巴中化工产业工人创新方法大赛",
            "清江镇农村科普大喇叭·春耕备耕",
            "2025年全国科普日巴州区主场活动"
        ]
    );
    assert_eq!(
        list(json!({ "unitId": id(&tree.city), "includeSubtree": true }))
            .await
            .len(),
        6
    );
    assert_eq!(
        list(json!({ "kinds": ["LECTURE", "TRAINING"] })).await,
        [
            "恩阳区老年人智能手机使用科普讲座",
            "科技之冬·柳林镇茶叶种植技术培训"
        ]
    );
    assert_eq!(
        list(json!({ "statuses": ["HELD"] })).await,
        ["清江镇农村科普大喇叭·春耕备耕"]
    );
    assert_eq!(
        list(json!({ "statuses": ["CANCELLED"] })).await,
        ["巴中化工产业工人创新方法大赛"]
    );
    assert_eq!(
        list(json!({ "audiences": ["ELDERLY", "CIVIL_SERVANTS"] })).await,
        [
            "恩阳区老年人智能手机使用科普讲座",
            "科技之冬·柳林镇茶叶种植技术培训",
            "院士专家巴中行报告会"
        ]
    );
    assert_eq!(
        list(json!({ "partnerBureaus": ["AGRICULTURE", "EDUCATION"] })).await,
        [
            "科技之冬·柳林镇茶叶种植技术培训",
            "2025年全国科普日巴州区主场活动"
        ]
    );
    assert_eq!(
        list(json!({ "coOrganized": false })).await,
        ["清江镇农村科普大喇叭·春耕备耕"]
    );
    assert_eq!(list(json!({ "coOrganized": true })).await.len(), 5);
    assert_eq!(
        list(json!({ "venueId": venue["id"] })).await,
        ["2025年全国科普日巴州区主场活动"]
    );
    assert_eq!(
        list(json!({ "startsFrom": "2025-03-02", "startsTo": "2025-11-05" })).await,
        [
            "巴中化工产业工人创新方法大赛",
            "清江镇农村科普大喇叭·春耕备耕",
            "2025年全国科普日巴州区主场活动"
        ]
    );
    assert_eq!(
        list(json!({ "startsFrom": "2026-01-01" })).await,
        [
            "恩阳区老年人智能手机使用科普讲座",
            "科技之冬·柳林镇茶叶种植技术培训"
        ]
    );
    assert_eq!(
        list(json!({ "startsTo": "2024-12-31" })).await,
        ["院士专家巴中行报告会"]
    );
    assert_eq!(
        list(json!({ "modes": ["ONLINE", "HYBRID"] })).await,
        ["巴中化工产业工人创新方法大赛", "院士专家巴中行报告会"]
    );
    assert_eq!(
        list(json!({ "search": "科普" })).await,
        [
            "恩阳区老年人智能手机使用科普讲座",
            "清江镇农村科普大喇叭·春耕备耕",
            "2025年全国科普日巴州区主场活动"
        ]
    );
    assert_eq!(
        list(
            json!({ "unitId": id(&tree.city), "includeSubtree": true, "audiences": ["FARMERS"],
                     "statuses": ["PLANNED"] })
        )
        .await,
        ["科技之冬·柳林镇茶叶种植技术培训"]
    );

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = hub
            .client
            .data(LIST, json!({ "first": 4, "after": after }))
            .await;
        seen.extend(titles(&page));
        if page["activities"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["activities"]["pageInfo"]["endCursor"].clone();
    }
    let newest_first: Vec<String> = created
        .iter()
        .rev()
        .map(|activity| activity["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, newest_first);

    // A venue's own activities.
    let at_venue = hub
        .client
        .data(
            "query($id: ID!) { venue(id: $id) { activities { edges { node { title venue { name } } } } } }",
            json!({ "id": venue["id"] }),
        )
        .await;
    assert_eq!(
        at_venue["venue"]["activities"]["edges"],
        json!([{ "node": { "title": "2025年全国科普日巴州区主场活动", "venue": { "name": "巴州区科技馆" } } }])
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_activity_update_changes_only_the_given_fields_and_a_stale_version_conflicts() {
    let hub = start().await;
    let venue = create_venue(&hub.client, museum(&hub.tree.district_a, "巴州区科技馆")).await;
    let created = create_activity(
        &hub.client,
        lecture(&hub.tree.township_a, "健康养生科普讲座"),
    )
    .await;
    let updated = hub
        .client
        .data(
            UPDATE,
            json!({ "id": created["id"], "version": 1, "input": {
                "title": "老年人健康养生科普讲座", "startsOn": "2025-03-20", "venueId": venue["id"],
                "partnerBureaus": ["VETERAN_CADRES"], "participants": 80, "mode": "HYBRID",
                "organizerId": id(&hub.tree.district_a), "topics": ["HEALTH", "FOOD_SAFETY"] } }),
        )
        .await["updateActivity"]
        .clone();
    assert_eq!(updated["title"], "老年人健康养生科普讲座");
    assert_eq!(updated["topics"], json!(["HEALTH", "FOOD_SAFETY"]));
    // A one-day activity moved to another day stays a one-day activity.
    assert_eq!(updated["startsOn"], "2025-03-20");
    assert_eq!(updated["endsOn"], "2025-03-20");
    assert_eq!(updated["venue"]["id"], venue["id"]);
    assert_eq!(updated["partnerBureaus"], json!(["VETERAN_CADRES"]));
    assert_eq!(updated["audiences"], json!(["ELDERLY"]));
    assert_eq!(updated["organizer"]["id"], id(&hub.tree.district_a));
    assert_eq!(updated["participants"], 80);
    assert_eq!(updated["kind"], "LECTURE");
    assert_eq!(updated["version"], 2);

    let cleared = hub
        .client
        .data(
            UPDATE,
            json!({ "id": created["id"], "version": 2, "input": { "venueId": null } }),
        )
        .await;
    assert_eq!(cleared["updateActivity"]["venue"], Value::Null);
    assert_eq!(cleared["updateActivity"]["version"], 3);

    let before = hub.counts().await;
    let code = hub
        .client
        .error_code(
            UPDATE,
            json!({ "id": created["id"], "version": 2, "input": { "title": "另一个标题" } }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    let after = hub
        .client
        .data(
            "query($id: ID!) { activity(id: $id) { title version } }",
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(
        after["activity"],
        json!({ "title": "老年人健康养生科普讲座", "version": 3 })
    );
    assert_eq!(hub.counts().await, before);
    hub.stop().await;
}

#[tokio::test]
async fn a_held_activity_keeps_its_final_counts_and_who_held_it_when_and_why() {
    let hub = start().await;
    let created = create_activity(
        &hub.client,
        json!({ "organizerId": id(&hub.tree.township_a), "title": "科技志愿者下基层·清江镇农技指导服务",
                "kind": "VOLUNTEER_SERVICE", "startsOn": "2025-04-10", "audiences": ["FARMERS"],
                "participants": 100, "partnerBureaus": ["AGRICULTURE"] }),
    )
    .await;
    let partner = hub.client.acting_as("partner-agriculture-bureau");
    let held = partner
        .data(
            TRANSITION,
            json!({ "id": created["id"], "version": 1, "to": "HELD", "note": "农技专家12名参加",
                    "participants": 136, "onlineReach": 2400 }),
        )
        .await["transitionActivity"]
        .clone();
    // The whole held activity: its final counts, version 2, last changed by the bureau
    // that held it, and both steps with who took them and the note.
    insta::assert_json_snapshot!("held_activity", kexie_testkit::redacted(&held));
    let history = held["history"].as_array().unwrap();
    let created_at: chrono::DateTime<chrono::Utc> =
        history[0]["changedAt"].as_str().unwrap().parse().unwrap();
    let held_at: chrono::DateTime<chrono::Utc> =
        history[1]["changedAt"].as_str().unwrap().parse().unwrap();
    assert!(created_at <= held_at);
    assert!((chrono::Utc::now() - held_at).num_seconds().abs() < 60);

    // Cancelling keeps the planned counts.
    let other = create_activity(
        &hub.client,
        lecture(&hub.tree.township_b, "防灾减灾科普讲座"),
    )
    .await;
    let cancelled = hub
        .client
        .data(
            TRANSITION,
            json!({ "id": other["id"], "version": 1, "to": "CANCELLED", "note": "因天气原因取消" }),
        )
        .await["transitionActivity"]
        .clone();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["history"][1]["note"], "因天气原因取消");
    hub.stop().await;
}

#[tokio::test]
async fn illegal_activity_transitions_are_refused_and_change_nothing() {
    let hub = start().await;
    let held = create_activity(
        &hub.client,
        lecture(&hub.tree.township_a, "应急救护科普讲座"),
    )
    .await;
    hub.client
        .data(
            TRANSITION,
            json!({ "id": held["id"], "version": 1, "to": "HELD" }),
        )
        .await;
    let cancelled = create_activity(
        &hub.client,
        lecture(&hub.tree.township_a, "心理健康科普讲座"),
    )
    .await;
    hub.client
        .data(
            TRANSITION,
            json!({ "id": cancelled["id"], "version": 1, "to": "CANCELLED" }),
        )
        .await;
    let planned = create_activity(
        &hub.client,
        lecture(&hub.tree.township_b, "合理膳食科普讲座"),
    )
    .await;
    let future = create_activity(
        &hub.client,
        json!({ "organizerId": id(&hub.tree.district_b), "title": "2031年全国科普日恩阳区主场活动",
                "kind": "SCIENCE_DAY", "startsOn": "2031-09-20", "audiences": ["YOUTH"] }),
    )
    .await;
    let before = hub.counts().await;
    let cases = [
        (
            json!({ "id": held["id"], "version": 2, "to": "CANCELLED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": held["id"], "version": 2, "to": "PLANNED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": held["id"], "version": 2, "to": "HELD" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": cancelled["id"], "version": 2, "to": "HELD" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": planned["id"], "version": 1, "to": "PLANNED" }),
            "ILLEGAL_TRANSITION",
        ),
        (
            json!({ "id": planned["id"], "version": 1, "to": "CANCELLED", "participants": 10 }),
            "VALIDATION",
        ),
        (
            json!({ "id": planned["id"], "version": 1, "to": "HELD", "participants": -1 }),
            "VALIDATION",
        ),
        (
            json!({ "id": planned["id"], "version": 1, "to": "HELD", "onlineReach": -1 }),
            "VALIDATION",
        ),
        (
            json!({ "id": planned["id"], "version": 7, "to": "HELD" }),
            "CONFLICT",
        ),
        (
            json!({ "id": future["id"], "version": 1, "to": "HELD" }),
            "VALIDATION",
        ),
        (
            json!({ "id": UNKNOWN_ID, "version": 1, "to": "HELD" }),
            "NOT_FOUND",
        ),
        (
            json!({ "id": "nope", "version": 1, "to": "HELD" }),
            "VALIDATION",
        ),
    ];
    for (variables, expected) in cases {
        let code = hub.client.error_code(TRANSITION, variables.clone()).await;
        assert_eq!(code, expected, "{variables}");
    }
    assert_eq!(hub.counts().await, before);
    let statuses = hub
        .client
        .data(
            "query($a: ID!, $b: ID!, $c: ID!) { a: activity(id: $a) { status version }
               b: activity(id: $b) { status version } c: activity(id: $c) { status version } }",
            json!({ "a": held["id"], "b": cancelled["id"], "c": planned["id"] }),
        )
        .await;
    assert_eq!(
        statuses,
        json!({ "a": { "status": "HELD", "version": 2 }, "b": { "status": "CANCELLED", "version": 2 },
                "c": { "status": "PLANNED", "version": 1 } })
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_archived_activity_leaves_the_lists_and_takes_no_more_changes() {
    let hub = start().await;
    let kept = create_activity(
        &hub.client,
        lecture(&hub.tree.township_a, "食品安全科普讲座"),
    )
    .await;
    let archived =
        create_activity(&hub.client, lecture(&hub.tree.township_a, "重复录入的讲座")).await;
    let result = hub
        .client
        .data(ARCHIVE, json!({ "id": archived["id"], "version": 1 }))
        .await;
    assert!(result["archiveActivity"]["archivedAt"].is_string());
    let live = hub.client.data(LIST, json!({})).await;
    assert_eq!(titles(&live), ["食品安全科普讲座"]);
    let all = hub
        .client
        .data(LIST, json!({ "filter": { "includeArchived": true } }))
        .await;
    assert_eq!(titles(&all), ["重复录入的讲座", "食品安全科普讲座"]);
    let found = hub
        .client
        .data(
            "query($id: ID!) { activity(id: $id) { title archivedAt } }",
            json!({ "id": archived["id"] }),
        )
        .await;
    assert_eq!(found["activity"]["title"], "重复录入的讲座");
    for (query, variables) in [
        (
            TRANSITION,
            json!({ "id": archived["id"], "version": 2, "to": "HELD" }),
        ),
        (
            UPDATE,
            json!({ "id": archived["id"], "version": 2, "input": { "title": "x" } }),
        ),
        (ARCHIVE, json!({ "id": archived["id"], "version": 2 })),
    ] {
        assert_eq!(hub.client.error_code(query, variables).await, "NOT_FOUND");
    }
    assert_eq!(kept["status"], "PLANNED");
    hub.stop().await;
}

#[tokio::test]
async fn invalid_activities_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    hub.merge(2, &hub.tree.township_b).await;
    let closed_venue = create_venue(
        &hub.client,
        json!({ "ownerId": id(&hub.tree.district_a), "name": "巴州区旧科技馆", "kind": "SCIENCE_MUSEUM" }),
    )
    .await;
    hub.client
        .data(
            "mutation($id: ID!) { transitionVenue(id: $id, expectedVersion: 1, to: CLOSED) { status } }",
            json!({ "id": closed_venue["id"] }),
        )
        .await;
    let archived_venue = create_venue(
        &hub.client,
        museum(&hub.tree.district_a, "巴州区撤销的科技馆"),
    )
    .await;
    hub.client
        .data(
            "mutation($id: ID!) { archiveVenue(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": archived_venue["id"] }),
        )
        .await;
    let township = hub.tree.township_a.clone();
    let valid = |changes: Value| {
        let mut input = lecture(&township, "防灾减灾科普讲座");
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        input
    };
    let cases = [
        (valid(json!({ "organizerId": "nope" })), "VALIDATION"),
        (valid(json!({ "organizerId": UNKNOWN_ID })), "NOT_FOUND"),
        (
            valid(json!({ "organizerId": id(&hub.tree.township_b) })),
            "VALIDATION",
        ),
        (valid(json!({ "venueId": "nope" })), "VALIDATION"),
        (valid(json!({ "venueId": UNKNOWN_ID })), "NOT_FOUND"),
        (
            valid(json!({ "venueId": archived_venue["id"] })),
            "NOT_FOUND",
        ),
        (
            valid(json!({ "venueId": closed_venue["id"] })),
            "VALIDATION",
        ),
        (valid(json!({ "title": "" })), "VALIDATION"),
        (valid(json!({ "title": "讲".repeat(201) })), "VALIDATION"),
        (valid(json!({ "endsOn": "2025-03-14" })), "VALIDATION"),
        (valid(json!({ "startsOn": "1800-01-01" })), "VALIDATION"),
        (valid(json!({ "audiences": [] })), "VALIDATION"),
        (valid(json!({ "participants": -1 })), "VALIDATION"),
        (valid(json!({ "onlineReach": -100 })), "VALIDATION"),
        (
            valid(json!({ "idempotencyKey": "k".repeat(201) })),
            "VALIDATION",
        ),
    ];
    let before = hub.counts().await;
    for (input, expected) in cases {
        let code = hub
            .client
            .error_code(CREATE, json!({ "input": input.clone() }))
            .await;
        assert_eq!(code, expected, "{input}");
    }
    assert_eq!(hub.counts().await, before);

    let activity = create_activity(&hub.client, valid(json!({}))).await;
    let before = hub.counts().await;
    let updates = [
        (json!({ "title": "  " }), "VALIDATION"),
        (json!({ "endsOn": "2025-03-01" }), "VALIDATION"),
        (json!({ "audiences": [] }), "VALIDATION"),
        (json!({ "participants": -5 }), "VALIDATION"),
        (json!({ "venueId": closed_venue["id"] }), "VALIDATION"),
        (json!({ "venueId": UNKNOWN_ID }), "NOT_FOUND"),
        (json!({ "organizerId": UNKNOWN_ID }), "NOT_FOUND"),
        (
            json!({ "organizerId": id(&hub.tree.township_b) }),
            "VALIDATION",
        ),
    ];
    for (input, expected) in updates {
        let code = hub
            .client
            .error_code(
                UPDATE,
                json!({ "id": activity["id"], "version": 1, "input": input.clone() }),
            )
            .await;
        assert_eq!(code, expected, "{input}");
    }
    assert_eq!(
        hub.client
            .error_code(
                UPDATE,
                json!({ "id": UNKNOWN_ID, "version": 1, "input": { "title": "x" } })
            )
            .await,
        "NOT_FOUND"
    );
    assert_eq!(hub.counts().await, before);
    let unchanged = hub
        .client
        .data(
            "query($id: ID!) { activity(id: $id) { title endsOn version } }",
            json!({ "id": activity["id"] }),
        )
        .await;
    assert_eq!(
        unchanged["activity"],
        json!({ "title": "防灾减灾科普讲座", "endsOn": "2025-03-15", "version": 1 })
    );

    for filter in [
        json!({ "startsFrom": "2025-02-01", "startsTo": "2025-01-01" }),
        json!({ "venueId": "nope" }),
        json!({ "unitId": "nope" }),
        json!({ "search": "字".repeat(201) }),
    ] {
        let code = hub
            .client
            .error_code(LIST, json!({ "filter": filter.clone() }))
            .await;
        assert_eq!(code, "VALIDATION", "{filter}");
    }
    // An empty search is no search.
    let everything = hub
        .client
        .data(LIST, json!({ "filter": { "search": "  " } }))
        .await;
    assert_eq!(titles(&everything), ["防灾减灾科普讲座"]);
    hub.stop().await;
}

#[tokio::test]
async fn a_partner_bureau_retrying_a_create_with_the_same_key_gets_the_first_activity() {
    let hub = start().await;
    let bureau = hub.client.acting_as("partner-education-bureau");
    let input = json!({
        "organizerId": id(&hub.tree.district_a), "title": "巴州区青少年科技创新大赛", "kind": "COMPETITION",
        "startsOn": "2026-04-18", "audiences": ["YOUTH"], "partnerBureaus": ["EDUCATION"],
        "idempotencyKey": "edu-2026-contest-17",
    });
    let first = create_activity(&bureau, input.clone()).await;
    assert_eq!(first["createdBy"], "partner-education-bureau");
    let before = hub.counts().await;
    let retried = create_activity(&bureau, input.clone()).await;
    assert_eq!(retried["id"], first["id"]);
    assert_eq!(retried["title"], "巴州区青少年科技创新大赛");
    assert_eq!(hub.counts().await, before);

    // A body that changed is another request: the key may not stand for both.
    let mut changed = input.clone();
    changed["title"] = json!("a retry whose body changed in transit");
    let body = bureau
        .post(
            "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }",
            json!({ "input": changed }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED",
        "{body:#}"
    );
    assert_eq!(hub.counts().await, before);

    // Another partner's key of the same text is another key.
    let other = create_activity(&hub.client.acting_as("partner-agriculture-bureau"), input).await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(hub.count("activity").await, 2);
    hub.stop().await;
}

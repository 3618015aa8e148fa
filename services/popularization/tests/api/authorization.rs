//! Who may change and read venues and activities: staff within their subtree, co-organizing
//! partner bureaus within their own activities, the public only open venues and held
//! activities, leadership the figures of its subtree.

use serde_json::{json, Value};

use kexie_contract::principal::{Role, Scope};
use kexie_testkit::GraphqlClient;

use crate::support::{
    create_activity, create_venue, id, lecture, museum, nodes, start, Hub, ACTIVITY_FIELDS,
    VENUE_FIELDS,
};

const CREATE_VENUE: &str =
    "mutation($input: CreateVenueInput!) { createVenue(input: $input) { id version } }";
const UPDATE_VENUE: &str = "mutation($id: ID!, $version: Int!, $input: UpdateVenueInput!) {
    updateVenue(id: $id, expectedVersion: $version, input: $input) { id version owner { id } updatedBy } }";
const TRANSITION_VENUE: &str = "mutation($id: ID!, $version: Int!, $to: VenueStatus!) {
    transitionVenue(id: $id, expectedVersion: $version, to: $to) { id status version } }";
const ARCHIVE_VENUE: &str = "mutation($id: ID!, $version: Int!) {
    archiveVenue(id: $id, expectedVersion: $version) { id archivedAt version } }";
const CREATE_ACTIVITY: &str =
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id version } }";
const UPDATE_ACTIVITY: &str = "mutation($id: ID!, $version: Int!, $input: UpdateActivityInput!) {
    updateActivity(id: $id, expectedVersion: $version, input: $input) {
        id title version organizer { id } partnerBureaus } }";
const TRANSITION_ACTIVITY: &str = "mutation($id: ID!, $version: Int!, $to: ActivityStatus!) {
    transitionActivity(id: $id, expectedVersion: $version, to: $to) { id status version } }";
const ARCHIVE_ACTIVITY: &str = "mutation($id: ID!, $version: Int!) {
    archiveActivity(id: $id, expectedVersion: $version) { id archivedAt version } }";

const VENUE: &str = "query($id: ID!) { venue(id: $id) { id name status } }";
const ACTIVITY: &str = "query($id: ID!) { activity(id: $id) { id title status } }";
const VENUES: &str = "query($filter: VenueFilter) {
    venues(filter: $filter) { edges { node { id name status } } } }";
const ACTIVITIES: &str = "query($filter: ActivityFilter) {
    activities(filter: $filter) { edges { node { id title status } } } }";

/// A venue and an activity of township A (in district A's subtree), planned, as the city's
/// administrators record them.
async fn township_a_records(hub: &Hub) -> (Value, Value) {
    let venue = create_venue(&hub.client, museum(&hub.tree.township_a, "清江镇科普馆")).await;
    let activity = create_activity(
        &hub.client,
        lecture(&hub.tree.township_a, "清江镇老年人健康科普讲座"),
    )
    .await;
    (venue, activity)
}

/// Tries every mutation against `venue` and `activity` (at version 1) as `client`, with
/// inputs that would succeed for the city's administrators; the code of each, by mutation.
async fn every_mutation(
    hub: &Hub,
    client: &GraphqlClient,
    venue: &Value,
    activity: &Value,
) -> Vec<(&'static str, String)> {
    let township = &hub.tree.township_a;
    let attempts: [(&str, &str, Value); 8] = [
        (
            "createVenue",
            CREATE_VENUE,
            json!({ "input": museum(township, "清江镇第二科普馆") }),
        ),
        (
            "updateVenue",
            UPDATE_VENUE,
            json!({ "id": venue["id"], "version": 1, "input": { "name": "改名的科普馆" } }),
        ),
        (
            "transitionVenue",
            TRANSITION_VENUE,
            json!({ "id": venue["id"], "version": 1, "to": "UNDER_CONSTRUCTION" }),
        ),
        (
            "archiveVenue",
            ARCHIVE_VENUE,
            json!({ "id": venue["id"], "version": 1 }),
        ),
        (
            "createActivity",
            CREATE_ACTIVITY,
            json!({ "input": lecture(township, "清江镇防灾减灾讲座") }),
        ),
        (
            "updateActivity",
            UPDATE_ACTIVITY,
            json!({ "id": activity["id"], "version": 1, "input": { "title": "改名的讲座" } }),
        ),
        (
            "transitionActivity",
            TRANSITION_ACTIVITY,
            json!({ "id": activity["id"], "version": 1, "to": "HELD" }),
        ),
        (
            "archiveActivity",
            ARCHIVE_ACTIVITY,
            json!({ "id": activity["id"], "version": 1 }),
        ),
    ];
    let mut codes = Vec::new();
    for (name, mutation, variables) in attempts {
        codes.push((name, client.error_code(mutation, variables).await));
    }
    codes
}

/// Requires every mutation to be refused with `FORBIDDEN` for `client`, and nothing to have
/// changed, read back by the city's administrators.
async fn assert_every_mutation_forbidden(hub: &Hub, client: &GraphqlClient, who: &str) {
    let (venue, activity) = township_a_records(hub).await;
    let before = hub.counts().await;
    for (mutation, code) in every_mutation(hub, client, &venue, &activity).await {
        assert_eq!(code, "FORBIDDEN", "{mutation} by {who}");
    }
    assert_eq!(hub.counts().await, before, "{who} wrote something");
    let venue_now = hub
        .client
        .data(
            &format!("query($id: ID!) {{ venue(id: $id) {{ {VENUE_FIELDS} }} }}"),
            json!({ "id": venue["id"] }),
        )
        .await["venue"]
        .clone();
    assert_eq!(venue_now, venue, "{who} changed the venue");
    let activity_now = hub
        .client
        .data(
            &format!("query($id: ID!) {{ activity(id: $id) {{ {ACTIVITY_FIELDS} }} }}"),
            json!({ "id": activity["id"] }),
        )
        .await["activity"]
        .clone();
    assert_eq!(activity_now, activity, "{who} changed the activity");
}

#[tokio::test]
async fn staff_of_the_other_district_are_refused_every_mutation_and_nothing_is_written() {
    let hub = start().await;
    let enyang = hub
        .client
        .as_staff("enyang-staff", Role::UnitStaff, hub.tree.district_b.id);
    assert_every_mutation_forbidden(&hub, &enyang, "district B's staff").await;
    // An administrator of district B may not either: the records are not its subtree's.
    let enyang_admin = hub
        .client
        .as_staff("enyang-admin", Role::UnitAdmin, hub.tree.district_b.id);
    assert_every_mutation_forbidden(&hub, &enyang_admin, "district B's admin").await;
    hub.stop().await;
}

#[tokio::test]
async fn leadership_the_public_and_partners_without_a_write_scope_are_refused_every_mutation() {
    let hub = start().await;
    let leadership = hub
        .client
        .as_staff("bazhou-leader", Role::Leadership, hub.tree.district_a.id);
    assert_every_mutation_forbidden(&hub, &leadership, "district A's leadership").await;
    assert_every_mutation_forbidden(&hub, &hub.client.anonymous(), "the public").await;
    let reader = hub
        .client
        .as_partner("EDUCATION", &[Scope::ReadVenuesAndActivities]);
    assert_every_mutation_forbidden(&hub, &reader, "a reading partner").await;
    // Staff of a township may not change what its district owns.
    let township_b = hub
        .client
        .as_staff("liulin-staff", Role::UnitStaff, hub.tree.township_b.id);
    assert_every_mutation_forbidden(&hub, &township_b, "township B's staff").await;
    hub.stop().await;
}

#[tokio::test]
async fn staff_of_the_owning_district_make_every_change_in_its_subtree() {
    let hub = start().await;
    let tree = &hub.tree;
    let bazhou = hub
        .client
        .as_staff("bazhou-staff", Role::UnitStaff, tree.district_a.id);
    let (venue, activity) = township_a_records(&hub).await;

    let created_venue = bazhou
        .data(
            CREATE_VENUE,
            json!({ "input": museum(&tree.township_a, "清江镇第二科普馆") }),
        )
        .await["createVenue"]
        .clone();
    assert_eq!(created_venue["version"], 1);
    // Within the district's subtree a venue moves from the township to the enterprise.
    let moved = bazhou
        .data(
            UPDATE_VENUE,
            json!({ "id": venue["id"], "version": 1,
                    "input": { "ownerId": id(&tree.enterprise_a) } }),
        )
        .await["updateVenue"]
        .clone();
    assert_eq!(moved["owner"]["id"], id(&tree.enterprise_a));
    assert_eq!(moved["updatedBy"], "bazhou-staff");
    let building = bazhou
        .data(
            TRANSITION_VENUE,
            json!({ "id": venue["id"], "version": 2, "to": "UNDER_CONSTRUCTION" }),
        )
        .await["transitionVenue"]
        .clone();
    assert_eq!(building["status"], "UNDER_CONSTRUCTION");
    let archived = bazhou
        .data(ARCHIVE_VENUE, json!({ "id": venue["id"], "version": 3 }))
        .await["archiveVenue"]
        .clone();
    assert!(archived["archivedAt"].is_string());

    let created_activity = bazhou
        .data(
            CREATE_ACTIVITY,
            json!({ "input": lecture(&tree.district_a, "巴州区科普讲座") }),
        )
        .await["createActivity"]
        .clone();
    assert_eq!(
        bazhou
            .data(
                "query($id: ID!) { activity(id: $id) { createdBy } }",
                json!({ "id": created_activity["id"] })
            )
            .await["activity"]["createdBy"],
        "bazhou-staff"
    );
    let updated = bazhou
        .data(
            UPDATE_ACTIVITY,
            json!({ "id": activity["id"], "version": 1, "input": { "title": "清江镇健康讲座" } }),
        )
        .await["updateActivity"]
        .clone();
    assert_eq!(updated["title"], "清江镇健康讲座");
    let held = bazhou
        .data(
            TRANSITION_ACTIVITY,
            json!({ "id": activity["id"], "version": 2, "to": "HELD" }),
        )
        .await["transitionActivity"]
        .clone();
    assert_eq!(held["status"], "HELD");
    let archived = bazhou
        .data(
            ARCHIVE_ACTIVITY,
            json!({ "id": activity["id"], "version": 3 }),
        )
        .await["archiveActivity"]
        .clone();
    assert!(archived["archivedAt"].is_string());

    // A township's staff manage their own township's records too.
    let qingjiang = hub
        .client
        .as_staff("qingjiang-staff", Role::UnitStaff, tree.township_a.id);
    let own = qingjiang
        .data(
            CREATE_ACTIVITY,
            json!({ "input": lecture(&tree.township_a, "清江镇农技培训") }),
        )
        .await["createActivity"]
        .clone();
    assert_eq!(own["version"], 1);
    hub.stop().await;
}

#[tokio::test]
async fn moving_a_record_to_another_district_needs_both_districts() {
    let hub = start().await;
    let tree = &hub.tree;
    let (venue, activity) = township_a_records(&hub).await;
    let before = hub.counts().await;
    let bazhou = hub
        .client
        .as_staff("bazhou-staff", Role::UnitStaff, tree.district_a.id);
    let code = bazhou
        .error_code(
            UPDATE_VENUE,
            json!({ "id": venue["id"], "version": 1,
                    "input": { "ownerId": id(&tree.township_b) } }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let code = bazhou
        .error_code(
            UPDATE_ACTIVITY,
            json!({ "id": activity["id"], "version": 1,
                    "input": { "organizerId": id(&tree.district_b) } }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(hub.counts().await, before);
    let venue_now = hub.client.data(VENUE, json!({ "id": venue["id"] })).await;
    assert_eq!(venue_now["venue"]["name"], venue["name"]);
    let owner = hub
        .client
        .data(
            "query($id: ID!) { venue(id: $id) { owner { id } version } }",
            json!({ "id": venue["id"] }),
        )
        .await;
    assert_eq!(owner["venue"]["owner"]["id"], id(&tree.township_a));
    assert_eq!(owner["venue"]["version"], 1);

    // The city's staff hold both districts.
    let city = hub
        .client
        .as_staff("city-staff", Role::UnitStaff, tree.city.id);
    let moved = city
        .data(
            UPDATE_ACTIVITY,
            json!({ "id": activity["id"], "version": 1,
                    "input": { "organizerId": id(&tree.district_b) } }),
        )
        .await["updateActivity"]
        .clone();
    assert_eq!(moved["organizer"]["id"], id(&tree.district_b));
    hub.stop().await;
}

/// Every name of a connection's nodes, in order.
fn names<'a>(data: &'a Value, list: &str, field: &str) -> Vec<&'a str> {
    nodes(&data[list], field)
}

#[tokio::test]
async fn the_public_sees_only_open_venues_and_held_activities() {
    let hub = start().await;
    let tree = &hub.tree;
    let planned = create_venue(&hub.client, museum(&tree.district_a, "巴州区科技馆(规划)")).await;
    let open = create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.township_a), "name": "清江镇社区科普馆",
                "kind": "COMMUNITY_HALL", "status": "OPEN" }),
    )
    .await;
    let archived_open = create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.township_a), "name": "清江镇旧科普馆",
                "kind": "COMMUNITY_HALL", "status": "OPEN" }),
    )
    .await;
    hub.client
        .data(
            ARCHIVE_VENUE,
            json!({ "id": archived_open["id"], "version": 1 }),
        )
        .await;
    let mut at_planned_venue = lecture(&tree.township_a, "规划馆里的讲座");
    at_planned_venue["venueId"] = planned["id"].clone();
    let held = create_activity(&hub.client, at_planned_venue).await;
    hub.client
        .data(
            TRANSITION_ACTIVITY,
            json!({ "id": held["id"], "version": 1, "to": "HELD" }),
        )
        .await;
    let mut at_open_venue = lecture(&tree.township_a, "社区馆里的讲座(计划中)");
    at_open_venue["venueId"] = open["id"].clone();
    let planned_activity = create_activity(&hub.client, at_open_venue).await;
    let mut cancelled = lecture(&tree.township_a, "取消的讲座");
    cancelled["venueId"] = open["id"].clone();
    let cancelled = create_activity(&hub.client, cancelled).await;
    hub.client
        .data(
            TRANSITION_ACTIVITY,
            json!({ "id": cancelled["id"], "version": 1, "to": "CANCELLED" }),
        )
        .await;

    let public = hub.client.anonymous();
    let venues = public.data(VENUES, json!({})).await;
    assert_eq!(names(&venues, "venues", "name"), ["清江镇社区科普馆"]);
    // Asking for other statuses or archived venues quietly finds nothing more.
    let asked = public
        .data(
            VENUES,
            json!({ "filter": { "statuses": ["PLANNED", "OPEN"], "includeArchived": true } }),
        )
        .await;
    assert_eq!(names(&asked, "venues", "name"), ["清江镇社区科普馆"]);
    let none = public
        .data(VENUES, json!({ "filter": { "statuses": ["PLANNED"] } }))
        .await;
    assert_eq!(names(&none, "venues", "name"), Vec::<&str>::new());
    let activities = public
        .data(ACTIVITIES, json!({ "filter": { "includeArchived": true } }))
        .await;
    assert_eq!(
        names(&activities, "activities", "title"),
        ["规划馆里的讲座"]
    );

    // Lookups and entity resolution answer null for what the public may not see.
    for (venue, visible) in [(&planned, false), (&open, true), (&archived_open, false)] {
        let found = public.data(VENUE, json!({ "id": venue["id"] })).await;
        assert_eq!(found["venue"].is_object(), visible, "{venue}");
    }
    for (activity, visible) in [
        (&held, true),
        (&planned_activity, false),
        (&cancelled, false),
    ] {
        let found = public.data(ACTIVITY, json!({ "id": activity["id"] })).await;
        assert_eq!(found["activity"].is_object(), visible, "{activity}");
    }
    let entities = public
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) {
                 ... on Venue { name } ... on Activity { title } } }",
            json!({ "r": [
                { "__typename": "Venue", "id": planned["id"] },
                { "__typename": "Venue", "id": open["id"] },
                { "__typename": "Activity", "id": planned_activity["id"] },
                { "__typename": "Activity", "id": held["id"] },
            ] }),
        )
        .await;
    assert_eq!(
        entities["_entities"],
        json!([null, { "name": "清江镇社区科普馆" }, null, { "title": "规划馆里的讲座" }])
    );

    // The same holds in the lists of units and venues, and for an activity's venue.
    let nested = public
        .data(
            "query($r: [_Any!]!, $venue: ID!) {
                 _entities(representations: $r) { ... on Unit {
                     venues(includeSubtree: true) { edges { node { name } } }
                     activities(includeSubtree: true) { edges { node { title } } } } }
                 venue(id: $venue) { activities { edges { node { title } } } }
                 activities { edges { node { title venue { id } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": id(&tree.city) }], "venue": open["id"] }),
        )
        .await;
    assert_eq!(
        names(&nested["_entities"][0], "venues", "name"),
        ["清江镇社区科普馆"]
    );
    assert_eq!(
        names(&nested["_entities"][0], "activities", "title"),
        ["规划馆里的讲座"]
    );
    assert_eq!(
        names(&nested["venue"], "activities", "title"),
        Vec::<&str>::new()
    );
    assert_eq!(
        nested["activities"]["edges"][0]["node"]["venue"],
        Value::Null
    );

    // Staff of any unit and partners reading venues and activities see everything.
    let enyang = hub
        .client
        .as_staff("enyang-staff", Role::UnitStaff, tree.district_b.id);
    let reader = hub
        .client
        .as_partner("EDUCATION", &[Scope::ReadVenuesAndActivities]);
    for client in [&enyang, &reader] {
        let venues = client.data(VENUES, json!({})).await;
        assert_eq!(
            names(&venues, "venues", "name"),
            ["清江镇社区科普馆", "巴州区科技馆(规划)"]
        );
        let activities = client.data(ACTIVITIES, json!({})).await;
        assert_eq!(names(&activities, "activities", "title").len(), 3);
        let found = client.data(VENUE, json!({ "id": planned["id"] })).await;
        assert_eq!(found["venue"]["name"], "巴州区科技馆(规划)");
        let found = client
            .data(ACTIVITY, json!({ "id": cancelled["id"] }))
            .await;
        assert_eq!(found["activity"]["status"], "CANCELLED");
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_co_organizing_partner_plans_and_runs_only_the_activities_of_its_bureau() {
    let hub = start().await;
    let tree = &hub.tree;
    let agriculture = hub
        .client
        .as_partner("AGRICULTURE", &[Scope::CoOrganizeActivities]);
    let training = |title: &str, bureaus: Value| {
        let mut input = lecture(&tree.township_b, title);
        input["kind"] = json!("TRAINING");
        input["audiences"] = json!(["FARMERS"]);
        input["partnerBureaus"] = bureaus;
        input
    };

    // With its bureau among the co-organizers, for any organizer.
    let own = agriculture
        .data(
            CREATE_ACTIVITY,
            json!({ "input": training("柳林镇新型职业农民培训", json!(["AGRICULTURE", "EDUCATION"])) }),
        )
        .await["createActivity"]
        .clone();
    // Recorded as the partner's key; who recorded a record is for staff to read.
    let recorded = "query($id: ID!) { activity(id: $id) { createdBy updatedBy } }";
    assert_eq!(
        hub.client.data(recorded, json!({ "id": own["id"] })).await["activity"]["createdBy"],
        "partner:AGRICULTURE"
    );
    assert_eq!(
        agriculture
            .error_code(recorded, json!({ "id": own["id"] }))
            .await,
        "FORBIDDEN"
    );

    // Without its bureau, or without partners at all, it may not.
    let before = hub.counts().await;
    for bureaus in [json!(["EDUCATION"]), json!([]), Value::Null] {
        let code = agriculture
            .error_code(
                CREATE_ACTIVITY,
                json!({ "input": training("别人的培训", bureaus.clone()) }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN", "{bureaus}");
    }
    assert_eq!(hub.counts().await, before);

    // It changes and holds its own activity.
    let updated = agriculture
        .data(
            UPDATE_ACTIVITY,
            json!({ "id": own["id"], "version": 1, "input": { "title": "柳林镇高素质农民培训" } }),
        )
        .await["updateActivity"]
        .clone();
    assert_eq!(updated["title"], "柳林镇高素质农民培训");
    assert_eq!(
        hub.client.data(recorded, json!({ "id": own["id"] })).await["activity"]["updatedBy"],
        "partner:AGRICULTURE"
    );
    // But it may not drop its bureau, move the activity to another organizer or archive it.
    for (mutation, variables) in [
        (
            UPDATE_ACTIVITY,
            json!({ "id": own["id"], "version": 2, "input": { "partnerBureaus": ["EDUCATION"] } }),
        ),
        (
            UPDATE_ACTIVITY,
            json!({ "id": own["id"], "version": 2, "input": { "organizerId": id(&tree.township_a) } }),
        ),
        (ARCHIVE_ACTIVITY, json!({ "id": own["id"], "version": 2 })),
    ] {
        assert_eq!(
            agriculture.error_code(mutation, variables.clone()).await,
            "FORBIDDEN",
            "{variables}"
        );
    }
    let held = agriculture
        .data(
            TRANSITION_ACTIVITY,
            json!({ "id": own["id"], "version": 2, "to": "HELD" }),
        )
        .await["transitionActivity"]
        .clone();
    assert_eq!(held["status"], "HELD");
    assert_eq!(held["version"], 3);

    // Another bureau's activity is out of its reach, to change and to see while planned.
    let education_only = create_activity(
        &hub.client,
        training("柳林镇青少年科技营", json!(["EDUCATION"])),
    )
    .await;
    let before = hub.counts().await;
    for (mutation, variables) in [
        (
            UPDATE_ACTIVITY,
            json!({ "id": education_only["id"], "version": 1,
                    "input": { "partnerBureaus": ["EDUCATION", "AGRICULTURE"] } }),
        ),
        (
            TRANSITION_ACTIVITY,
            json!({ "id": education_only["id"], "version": 1, "to": "CANCELLED" }),
        ),
        (
            ARCHIVE_ACTIVITY,
            json!({ "id": education_only["id"], "version": 1 }),
        ),
    ] {
        assert_eq!(
            agriculture.error_code(mutation, variables.clone()).await,
            "FORBIDDEN",
            "{variables}"
        );
    }
    assert_eq!(hub.counts().await, before);
    let unchanged = hub
        .client
        .data(
            "query($id: ID!) { activity(id: $id) { status version partnerBureaus } }",
            json!({ "id": education_only["id"] }),
        )
        .await;
    assert_eq!(
        unchanged["activity"],
        json!({ "status": "PLANNED", "version": 1, "partnerBureaus": ["EDUCATION"] })
    );
    let seen = agriculture
        .data(ACTIVITY, json!({ "id": education_only["id"] }))
        .await;
    assert_eq!(seen["activity"], Value::Null);
    let second = agriculture
        .data(
            CREATE_ACTIVITY,
            json!({ "input": training("柳林镇春耕技术培训", json!(["AGRICULTURE"])) }),
        )
        .await["createActivity"]
        .clone();
    let listed = agriculture.data(ACTIVITIES, json!({})).await;
    assert_eq!(
        names(&listed, "activities", "title"),
        ["柳林镇春耕技术培训", "柳林镇高素质农民培训"]
    );
    let found = agriculture
        .data(ACTIVITY, json!({ "id": second["id"] }))
        .await;
    assert_eq!(found["activity"]["status"], "PLANNED");

    // Venues are the associations' own.
    let code = agriculture
        .error_code(
            CREATE_VENUE,
            json!({ "input": museum(&tree.township_b, "柳林镇农业科普基地") }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");

    // A key without the scope may not co-organize, even naming its bureau.
    let reader = hub
        .client
        .as_partner("AGRICULTURE", &[Scope::ReadVenuesAndActivities]);
    let code = reader
        .error_code(
            CREATE_ACTIVITY,
            json!({ "input": training("读者的培训", json!(["AGRICULTURE"])) }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    hub.stop().await;
}

#[tokio::test]
async fn figures_and_target_actuals_are_for_the_units_own_subtree() {
    let hub = start().await;
    let tree = &hub.tree;
    let figures = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
        popularizationFigures(period: { year: 2025 }) { activities } } } }";
    let by_child = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
        popularizationFiguresByChild(period: { year: 2025 }, orderBy: ACTIVITIES) { rank } } } }";
    let actual = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target {
        popularizationActual } } }";
    let unit = |unit: &kexie_subgraph_kit::unit_tree::ReplicatedUnit| json!({ "r": [{ "__typename": "Unit", "id": id(unit) }] });
    let target = |unit: &kexie_subgraph_kit::unit_tree::ReplicatedUnit| {
        json!({ "r": [{ "__typename": "Target", "id": "0190b6a0-0000-7000-8000-0000000000aa",
                        "unitId": id(unit), "year": 2025, "metric": "ELDERLY_LECTURES" }] })
    };
    let lecture_id =
        create_activity(&hub.client, lecture(&tree.township_a, "清江镇老年讲座")).await;
    hub.client
        .data(
            TRANSITION_ACTIVITY,
            json!({ "id": lecture_id["id"], "version": 1, "to": "HELD" }),
        )
        .await;

    let bazhou = hub
        .client
        .as_staff("bazhou-leader", Role::Leadership, tree.district_a.id);
    let enyang = hub
        .client
        .as_staff("enyang-leader", Role::Leadership, tree.district_b.id);
    // Its own district, and a township below it.
    let own = bazhou.data(figures, unit(&tree.district_a)).await;
    assert_eq!(
        own["_entities"][0]["popularizationFigures"]["activities"],
        1
    );
    let township = bazhou.data(figures, unit(&tree.township_a)).await;
    assert_eq!(
        township["_entities"][0]["popularizationFigures"]["activities"],
        1
    );
    let ranked = bazhou.data(by_child, unit(&tree.district_a)).await;
    assert!(ranked["_entities"][0]["popularizationFiguresByChild"].is_array());
    let measured = bazhou.data(actual, target(&tree.district_a)).await;
    assert_eq!(measured["_entities"][0]["popularizationActual"], 1);

    // Another district, or the city above it, are not its to read.
    for (query, variables) in [
        (figures, unit(&tree.district_a)),
        (by_child, unit(&tree.district_a)),
        (actual, target(&tree.district_a)),
        (figures, unit(&tree.city)),
    ] {
        assert_eq!(
            enyang.error_code(query, variables.clone()).await,
            "FORBIDDEN",
            "{query} {variables}"
        );
    }
    for client in [
        hub.client.anonymous(),
        hub.client
            .as_partner("EDUCATION", &[Scope::ReadVenuesAndActivities]),
    ] {
        assert_eq!(
            client.error_code(figures, unit(&tree.district_a)).await,
            "FORBIDDEN"
        );
        assert_eq!(
            client.error_code(actual, target(&tree.district_a)).await,
            "FORBIDDEN"
        );
    }
    hub.stop().await;
}

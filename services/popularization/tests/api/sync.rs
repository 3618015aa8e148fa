//! Incremental sync (`filter.updatedSince`) of venues and activities: each top-level list
//! reads the records changed since, in commit order, from a cursor of its own; what the
//! public may read of them stays what it may read (held activities only); lists that hang
//! on a unit or a venue refuse it.

use serde_json::json;

use kexie_testkit::{assert_list_syncs, sync_edges_after};

use crate::support::*;

#[tokio::test]
async fn every_top_level_list_syncs_and_the_public_syncs_only_what_it_may_read() {
    let hub = start().await;
    let district = &hub.tree.district_a;
    let venue = create_venue(&hub.client, museum(district, "巴州区科技馆")).await;
    let planned = create_activity(&hub.client, lecture(district, "老年人防诈骗科普讲座")).await;
    let held = create_activity(&hub.client, lecture(district, "食品安全进社区")).await;
    let key = |record: &serde_json::Value| record["id"].as_str().unwrap().to_string();

    assert_list_syncs(
        &hub.client,
        ("venues", "", "includeArchived: true"),
        &[&key(&venue)],
    )
    .await;
    let cursor = assert_list_syncs(
        &hub.client,
        ("activities", "", "includeArchived: true"),
        &[&key(&planned), &key(&held)],
    )
    .await;

    // Held, the activity comes again after the cursor — and now the public's sync shows it,
    // and only it.
    hub.client
        .data(
            "mutation($id: ID!, $v: Int!) { transitionActivity(id: $id, expectedVersion: $v,
                 to: HELD, participants: 80) { id } }",
            json!({ "id": held["id"], "v": held["version"] }),
        )
        .await;
    let again = sync_edges_after(&hub.client, ("activities", "", ""), &cursor, "id status").await;
    assert_eq!(
        again,
        json!([{ "node": { "id": held["id"], "status": "HELD" } }])
    );
    assert_list_syncs(
        &hub.client.anonymous(),
        ("activities", "", "includeArchived: true"),
        &[&key(&held)],
    )
    .await;

    for query in [
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
             activities(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }) { edges { node { id } } } } } }",
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
             venues(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }) { edges { node { id } } } } } }",
    ] {
        let body = hub
            .client
            .post(query, json!({ "r": [{ "__typename": "Unit", "id": id(district) }] }))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
    }
    let body = hub
        .client
        .post(
            "query($id: ID!) { venue(id: $id) {
                 activities(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }) { edges { node { id } } } } }",
            json!({ "id": venue["id"] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
}

#[tokio::test]
async fn lists_page_backward_as_well_as_forward() {
    let hub = start().await;
    let mut created = Vec::new();
    for title in [
        "老年人防诈骗科普讲座",
        "食品安全进社区",
        "青少年科学营",
        "农技培训",
    ] {
        created.push(create_activity(&hub.client, lecture(&hub.tree.township_a, title)).await);
    }
    let top = kexie_testkit::assert_pages_both_ways(
        &hub.client,
        "query($cursor: String) { activities(PAGE) { SELECTION } }",
        json!({}),
        "/activities",
    )
    .await;
    assert_eq!(top.len(), 4);
    // The city's list over its whole subtree (one page per unit below, merged).
    let below = kexie_testkit::assert_pages_both_ways(
        &hub.client,
        "query($cursor: String, $r: [_Any!]!) { _entities(representations: $r) {
             ... on Unit { activities(includeSubtree: true, PAGE) { SELECTION } } } }",
        json!({ "r": [{ "__typename": "Unit", "id": id(&hub.tree.city) }] }),
        "/_entities/0/activities",
    )
    .await;
    assert_eq!(below, top);
    // A sync reads forward only.
    let body = hub
        .client
        .post(
            "{ activities(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }, last: 2) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
}

#[tokio::test]
async fn every_top_level_list_sorts_in_each_order() {
    let hub = start().await;
    let district = &hub.tree.district_a;
    for (name, kind) in [
        ("巴州区科技馆", "SCIENCE_MUSEUM"),
        ("巴州中学校园科技馆", "CAMPUS_MUSEUM"),
        ("江北社区科普活动室", "COMMUNITY_HALL"),
    ] {
        let mut venue = museum(district, name);
        venue["kind"] = json!(kind);
        create_venue(&hub.client, venue).await;
    }
    let mut activities = Vec::new();
    for (title, starts) in [
        ("老年人防诈骗科普讲座", "2025-03-15"),
        ("食品安全进社区", "2025-05-20"),
        ("青少年科学营", "2025-03-15"),
    ] {
        let mut activity = lecture(district, title);
        activity["startsOn"] = json!(starts);
        activities.push(create_activity(&hub.client, activity).await);
    }
    hub.client
        .data(
            "mutation($id: ID!, $v: Int!) { transitionActivity(id: $id, expectedVersion: $v,
                 to: HELD, participants: 80) { id } }",
            json!({ "id": activities[0]["id"], "v": activities[0]["version"] }),
        )
        .await;
    for (list, order_field) in [
        ("venues", "VenueOrderField"),
        ("activities", "ActivityOrderField"),
    ] {
        kexie_testkit::assert_every_order(
            &hub.client,
            &hub.pool,
            &format!("query($cursor: String) {{ {list}(ORDER PAGE) {{ SELECTION }} }}"),
            json!({}),
            &format!("/{list}"),
            order_field,
        )
        .await;
    }
}

//! Incremental sync (`filter.updatedSince`) of workers, honors, nominations and
//! workstations: each top-level list reads the records changed since, in commit order, from
//! a cursor of its own; a record changed again comes again, archived ones with
//! `includeArchived`; lists that hang on a unit refuse it.

use serde_json::json;

use kexie_testkit::{assert_list_syncs, sync_edges_after};

use crate::support::*;

#[tokio::test]
async fn every_top_level_list_syncs_in_commit_order_from_a_cursor() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let worker = create_worker(&hub.client, &township, json!({ "name": "李秀英" })).await;
    let other = create_worker(&hub.client, &township, json!({ "name": "张伟" })).await;
    let created = |mutation: &'static str, field: &'static str, input: serde_json::Value| {
        let client = hub.client.clone();
        async move { client.data(mutation, json!({ "input": input })).await[field].clone() }
    };
    let honor = created(
        "mutation($input: CreateHonorInput!) { createHonor(input: $input) { id version } }",
        "createHonor",
        json!({ "workerId": worker["id"], "name": "最美科技工作者", "level": "CITY", "year": 2026 }),
    )
    .await;
    let nomination = created(
        "mutation($input: CreateNominationInput!) { createNomination(input: $input) { id version } }",
        "createNomination",
        json!({ "candidateId": worker["id"], "honorName": "优秀科技工作者", "honorLevel": "CITY",
                "year": 2026, "nominatingUnitId": township }),
    )
    .await;
    let workstation = created(
        "mutation($input: CreateWorkstationInput!) { createWorkstation(input: $input) { id version } }",
        "createWorkstation",
        json!({ "kind": "SCIENCE_BACKYARD", "name": "清江镇食用菌科技小院",
                "hostUnitId": township, "certification": "CITY" }),
    )
    .await;
    let id = |record: &serde_json::Value| record["id"].as_str().unwrap().to_string();

    let workers_cursor = assert_list_syncs(
        &hub.client,
        ("workers", "", "includeArchived: true"),
        &[&id(&worker), &id(&other)],
    )
    .await;
    assert_list_syncs(
        &hub.client,
        ("honors", "", "includeArchived: true"),
        &[&id(&honor)],
    )
    .await;
    assert_list_syncs(
        &hub.client,
        ("nominations", "", "includeArchived: true"),
        &[&id(&nomination)],
    )
    .await;
    assert_list_syncs(
        &hub.client,
        ("workstations", "", "includeArchived: true"),
        &[&id(&workstation)],
    )
    .await;

    // Archived, a worker comes again after the cursor, archived; the other does not.
    hub.client
        .data(
            "mutation($id: ID!, $v: Int!) { archiveWorker(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": other["id"], "v": other["version"] }),
        )
        .await;
    let again = sync_edges_after(
        &hub.client,
        ("workers", "", "includeArchived: true"),
        &workers_cursor,
        "id archivedAt",
    )
    .await;
    assert_eq!(again.as_array().unwrap().len(), 1, "{again}");
    assert_eq!(again[0]["node"]["id"], other["id"]);
    assert!(again[0]["node"]["archivedAt"].is_string());

    // Lists that hang on a unit do not sync.
    let body = hub
        .client
        .post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 workers(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }) { edges { node { id } } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": township }] }),
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
    let township = hub.unit_id(&hub.tree.township_a);
    for name in ["李秀英", "张伟", "王芳", "刘洋", "陈静"] {
        create_worker(&hub.client, &township, json!({ "name": name })).await;
    }
    let top = kexie_testkit::assert_pages_both_ways(
        &hub.client,
        "query($cursor: String) { workers(PAGE) { SELECTION } }",
        json!({}),
        "/workers",
    )
    .await;
    assert_eq!(top.len(), 5);
    // A unit's list, over its subtree, the same way.
    let below = kexie_testkit::assert_pages_both_ways(
        &hub.client,
        "query($cursor: String, $r: [_Any!]!) { _entities(representations: $r) {
             ... on Unit { workers(includeSubtree: true, PAGE) { SELECTION } } } }",
        json!({ "r": [{ "__typename": "Unit", "id": hub.unit_id(&hub.tree.district_a) }] }),
        "/_entities/0/workers",
    )
    .await;
    assert_eq!(below, top);
}

#[tokio::test]
async fn total_count_counts_each_units_filtered_list_in_one_batch() {
    let hub = start().await;
    let township_a = hub.unit_id(&hub.tree.township_a);
    let township_b = hub.unit_id(&hub.tree.township_b);
    let district_a = hub.unit_id(&hub.tree.district_a);
    for (unit, title) in [
        (&township_a, "SENIOR"),
        (&township_a, "SENIOR"),
        (&township_a, "INTERMEDIATE"),
        (&township_b, "SENIOR"),
        (&township_b, "JUNIOR"),
    ] {
        create_worker(&hub.client, unit, json!({ "title": title })).await;
    }
    let archived = create_worker(&hub.client, &township_b, json!({ "title": "SENIOR" })).await;
    hub.client
        .data(
            "mutation($id: ID!, $v: Int!) { archiveWorker(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": archived["id"], "v": archived["version"] }),
        )
        .await;
    // Three units' counts in one request, with a filter and without: the archived worker
    // is counted only when asked for, and a unit without workers counts 0.
    let data = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 senior: workers(includeSubtree: true, filter: { titles: [SENIOR] }, first: 1) { totalCount }
                 all: workers(includeSubtree: true, filter: { includeArchived: true }, first: 0) { totalCount edges { node { id } } }
             } } }",
            json!({ "r": [
                { "__typename": "Unit", "id": township_a },
                { "__typename": "Unit", "id": township_b },
                { "__typename": "Unit", "id": hub.unit_id(&hub.tree.enterprise_a) },
            ] }),
        )
        .await;
    let counts: Vec<(i64, i64)> = data["_entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|unit| {
            assert_eq!(unit["all"]["edges"], json!([]), "first: 0 reads no rows");
            (
                unit["senior"]["totalCount"].as_i64().unwrap(),
                unit["all"]["totalCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(2, 3), (1, 3), (0, 0)]);
    // The top-level list counts the same way, over a subtree, and only when selected.
    let top = hub
        .client
        .data(
            "query($unit: ID!) {
                 senior: workers(filter: { unitId: $unit, includeSubtree: true, titles: [SENIOR] }) { totalCount }
                 live: workers(filter: { unitId: $unit, includeSubtree: true }, first: 2) { totalCount pageInfo { hasNextPage } }
             }",
            json!({ "unit": district_a }),
        )
        .await;
    assert_eq!(top["senior"]["totalCount"], 2, "{top}");
    assert_eq!(top["live"]["totalCount"], 3, "{top}");
    assert_eq!(top["live"]["pageInfo"]["hasNextPage"], true, "{top}");
}

#[tokio::test]
async fn every_top_level_list_sorts_in_each_order() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let mut workers = Vec::new();
    for name in ["张伟", "李秀英", "王芳", "陈静"] {
        workers.push(create_worker(&hub.client, &township, json!({ "name": name })).await);
    }
    let created = |mutation: &'static str, input: serde_json::Value| {
        let client = hub.client.clone();
        async move { client.data(mutation, json!({ "input": input })).await }
    };
    for (worker, name, level, year) in [
        (0, "最美科技工作者", "CITY", 2026),
        (1, "全国五一劳动奖章", "NATIONAL", 2024),
        (2, "四川省杰出青年科技人才", "PROVINCIAL", 2026),
    ] {
        created(
            "mutation($input: CreateHonorInput!) { createHonor(input: $input) { id } }",
            json!({ "workerId": workers[worker]["id"], "name": name, "level": level, "year": year }),
        )
        .await;
    }
    for (worker, honor, year) in [
        (0, "优秀科技工作者", 2026),
        (1, "科普先进个人", 2025),
        (3, "优秀科技工作者", 2026),
    ] {
        created(
            "mutation($input: CreateNominationInput!) { createNomination(input: $input) { id } }",
            json!({ "candidateId": workers[worker]["id"], "honorName": honor, "honorLevel": "CITY",
                    "year": year, "nominatingUnitId": township }),
        )
        .await;
    }
    for (kind, name) in [
        ("SCIENCE_BACKYARD", "清江镇食用菌科技小院"),
        ("ACADEMICIAN_EXPERT", "巴中化工院士专家工作站"),
        ("EXPERT_ENTERPRISE", "银耳专家服务站"),
    ] {
        created(
            "mutation($input: CreateWorkstationInput!) { createWorkstation(input: $input) { id } }",
            json!({ "kind": kind, "name": name, "hostUnitId": township, "certification": "CITY" }),
        )
        .await;
    }
    for (list, order_field) in [
        ("workers", "WorkerOrderField"),
        ("honors", "HonorOrderField"),
        ("nominations", "NominationOrderField"),
        ("workstations", "WorkstationOrderField"),
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

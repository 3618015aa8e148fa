//! Incremental sync (`filter.updatedSince`): a partner's mirror, kept only by reading the
//! pages after its last cursor while writers change needs concurrently — some through the
//! API, some in transactions held open while others commit — ends equal to the source.
//!
//! A sync read holds back changes newer than the oldest transaction still running anywhere
//! on the server (other tests' included), so readers here poll until what they wait for
//! shows, as a partner's mirror does: a change comes late, never goes missing.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use kexie_testkit::{test_seed, GraphqlClient};

use crate::support::*;

const SYNC: &str = "query($after: String) {
    techNeeds(filter: { updatedSince: \"1970-01-01T00:00:00Z\", includeArchived: true },
              first: 7, after: $after) {
      edges { node { id title status version archivedAt } }
      pageInfo { hasNextPage endCursor } } }";

/// What a mirror keeps of a need.
type Kept = (String, String, i64, bool);

#[derive(Default)]
struct Mirror {
    cursor: Option<String>,
    needs: HashMap<String, Kept>,
}

impl Mirror {
    /// Reads every page after the cursor; returns how many needs came.
    async fn catch_up(&mut self, client: &GraphqlClient) -> usize {
        let mut came = 0;
        loop {
            let data = client.data(SYNC, json!({ "after": self.cursor })).await;
            let page = &data["techNeeds"];
            for edge in page["edges"].as_array().unwrap() {
                let node = &edge["node"];
                self.needs.insert(
                    node["id"].as_str().unwrap().to_string(),
                    (
                        node["title"].as_str().unwrap().to_string(),
                        node["status"].as_str().unwrap().to_string(),
                        node["version"].as_i64().unwrap(),
                        !node["archivedAt"].is_null(),
                    ),
                );
                came += 1;
            }
            if let Some(cursor) = page["pageInfo"]["endCursor"].as_str() {
                self.cursor = Some(cursor.to_string());
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                return came;
            }
        }
    }
}

/// Creates, retitles, closes and archives needs through the API, at random.
async fn api_writer(client: GraphqlClient, unit: Uuid, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut mine: Vec<Value> = Vec::new();
    for round in 0..30 {
        if mine.is_empty() || rng.u8(..10) < 4 {
            let created = create_need(
                &client,
                need_input(unit, json!({ "title": format!("需求{seed}-{round}") })),
            )
            .await;
            mine.push(created);
            continue;
        }
        let id = mine[rng.usize(..mine.len())]["id"].clone();
        let current = need(&client, &id).await;
        let (query, variables) = match rng.u8(..10) {
            0..=5 => (
                "mutation($id: ID!, $v: Int!, $title: String!) {
                     updateTechNeed(id: $id, expectedVersion: $v, input: { title: $title }) { id } }",
                json!({ "id": id, "v": current["version"], "title": format!("改{seed}-{round}") }),
            ),
            6..=7 => (
                "mutation($id: ID!, $v: Int!) { transitionTechNeed(id: $id, expectedVersion: $v, to: CLOSED) { id } }",
                json!({ "id": id, "v": current["version"] }),
            ),
            _ => (
                "mutation($id: ID!, $v: Int!) { archiveTechNeed(id: $id, expectedVersion: $v) { id } }",
                json!({ "id": id, "v": current["version"] }),
            ),
        };
        // Refusals (a need closed or archived meanwhile) are part of the game.
        client.post(query, variables).await;
    }
}

/// Retitles needs in transactions held open while the API writers commit theirs: a change
/// that starts early and commits late.
async fn slow_writer(pool: sqlx::PgPool, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    for round in 0..12 {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(
            "update tech_need set title = title || '·慢', version = version + 1
             where tech_need_id = (select tech_need_id from tech_need order by tech_need_id
                                   offset $1 limit 1)",
        )
        .bind(rng.i64(0..4) + round % 3)
        .execute(&mut *tx)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_mirror_kept_by_sync_pages_ends_equal_to_the_source_through_concurrent_writes() {
    let hub = start().await;
    let seed = test_seed();
    for unit in [hub.tree.district_a.id, hub.tree.enterprise_a.id] {
        create_need(&hub.client, need_input(unit, json!({}))).await;
    }
    let mut writers = Vec::new();
    for (n, unit) in [
        hub.tree.district_a.id,
        hub.tree.township_a.id,
        hub.tree.enterprise_a.id,
    ]
    .into_iter()
    .enumerate()
    {
        writers.push(tokio::spawn(api_writer(
            hub.client.clone(),
            unit,
            seed + n as u64,
        )));
    }
    writers.push(tokio::spawn(slow_writer(hub.pool.clone(), seed)));

    let mut mirror = Mirror::default();
    while writers.iter().any(|writer| !writer.is_finished()) {
        mirror.catch_up(&hub.client).await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let source: Vec<(Uuid, String, String, i32, bool)> = sqlx::query_as(
        "select tech_need_id, title, status, version, archived_at is not null from tech_need",
    )
    .fetch_all(&hub.pool)
    .await
    .unwrap();
    let source: HashMap<String, Kept> = source
        .into_iter()
        .map(|(id, title, status, version, archived)| {
            (
                id.to_string(),
                (title, status, i64::from(version), archived),
            )
        })
        .collect();
    // Changes held back behind transactions still running arrive once those end.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        mirror.catch_up(&hub.client).await;
        if mirror.needs == source || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(source.len() > 20, "the writers wrote: {}", source.len());
    assert!(
        source.values().any(|need| need.3),
        "some needs were archived"
    );
    let differing: Vec<_> = source
        .iter()
        .filter(|(id, need)| mirror.needs.get(*id) != Some(need))
        .map(|(id, need)| (id, need, mirror.needs.get(id)))
        .collect();
    assert!(
        differing.is_empty(),
        "the mirror differs (seed {seed}): {differing:#?}"
    );
    assert_eq!(mirror.needs.len(), source.len());
    // Caught up, it reads nothing more.
    assert_eq!(mirror.catch_up(&hub.client).await, 0);
}

#[tokio::test]
async fn a_sync_read_takes_only_its_own_cursors_and_lives_on_the_top_level_list() {
    let hub = start().await;
    create_need(&hub.client, need_input(hub.tree.district_a.id, json!({}))).await;
    let plain = hub
        .client
        .data(
            "{ techNeeds(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    refused(
        &hub,
        SYNC,
        json!({ "after": plain["techNeeds"]["pageInfo"]["endCursor"] }),
        "VALIDATION",
    )
    .await;
    refused(
        &hub,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
             techNeeds(filter: { updatedSince: \"2026-01-01T00:00:00Z\" }) { edges { node { id } } } } } }",
        json!({ "r": [{ "__typename": "Unit", "id": hub.tree.district_a.id.to_string() }] }),
        "VALIDATION",
    )
    .await;
}

#[tokio::test]
async fn every_top_level_list_syncs_in_commit_order_from_a_cursor() {
    let hub = start().await;
    let unit = hub.tree.district_a.id;
    let need_record = create_need(&hub.client, need_input(unit, json!({}))).await;
    let result = create_result(&hub.client, result_input(unit, json!({}))).await;
    propose(
        &hub.client,
        json!({ "needId": need_record["id"], "scienceResultId": result["id"] }),
    )
    .await;
    create_visit(&hub.client, visit_input(unit, json!({}))).await;
    create_event(&hub.client, event_input(unit, json!({}))).await;
    hub.client
        .data(
            "mutation($unit: ID!) { createCooperationAgreement(input: { universityUnitId: $unit,
                 enterpriseName: \"绵阳金松电子科技有限公司\", title: \"联合研发协议\",
                 field: ELECTRONIC_INFORMATION, signedOn: \"2025-03-01\" }) { id } }",
            json!({ "unit": unit.to_string() }),
        )
        .await;

    for list in [
        "techNeeds",
        "scienceResults",
        "needMatches",
        "serviceVisits",
        "innovationEvents",
        "cooperationAgreements",
    ] {
        let query = format!(
            "query($since: DateTime!, $after: String) {{
               {list}(filter: {{ updatedSince: $since }}, first: 1, after: $after) {{
                 edges {{ node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let read = |since: &str, after: Option<String>| {
            let (client, query) = (hub.client.clone(), query.clone());
            let since = since.to_string();
            async move {
                client
                    .data(&query, json!({ "since": since, "after": after }))
                    .await[list]
                    .clone()
            }
        };
        // From the epoch: the one record, then nothing after its cursor.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut first = read("1970-01-01T00:00:00Z", None).await;
        while first["edges"] == json!([]) && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            first = read("1970-01-01T00:00:00Z", None).await;
        }
        assert_eq!(
            first["edges"].as_array().unwrap().len(),
            1,
            "{list}: {first}"
        );
        let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_string();
        assert!(cursor.starts_with("s1:"), "{list}: {cursor}");
        let after = read("1970-01-01T00:00:00Z", Some(cursor.clone())).await;
        assert_eq!(after["edges"], json!([]), "{list}");
        // Written before `since`: not read.
        let later = read("2999-01-01T00:00:00Z", None).await;
        assert_eq!(later["edges"], json!([]), "{list}");
    }
}

#[tokio::test]
async fn lists_page_backward_as_well_as_forward() {
    let hub = start().await;
    for _ in 0..4 {
        create_need(&hub.client, need_input(hub.tree.enterprise_a.id, json!({}))).await;
    }
    let all = kexie_testkit::assert_pages_both_ways(
        &hub.client,
        "query($cursor: String) { techNeeds(PAGE) { SELECTION } }",
        json!({}),
        "/techNeeds",
    )
    .await;
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn every_top_level_list_sorts_in_each_order() {
    let hub = start().await;
    let unit = hub.tree.district_a.id;
    let mut needs = Vec::new();
    let mut results = Vec::new();
    for (title, day) in [
        ("数控机床主轴热变形补偿", "2025-03-01"),
        ("锂电池极片涂布均匀性控制", "2025-06-12"),
        ("茶叶加工废水处理", "2025-03-01"),
    ] {
        needs.push(
            create_need(
                &hub.client,
                need_input(unit, json!({ "title": title, "publishedOn": day })),
            )
            .await,
        );
        results.push(
            create_result(
                &hub.client,
                result_input(unit, json!({ "title": title, "offeredOn": day })),
            )
            .await,
        );
    }
    step_need(&hub.client, &needs[1], "MATCHING", None).await;
    for (need, result, day) in [
        (0, 0, "2025-04-01"),
        (1, 2, "2025-07-01"),
        (2, 1, "2025-04-01"),
    ] {
        propose(
            &hub.client,
            json!({ "needId": needs[need]["id"], "scienceResultId": results[result]["id"],
                    "proposedOn": day }),
        )
        .await;
    }
    for (title, day) in [
        ("机械工程学会企业行", "2026-06-18"),
        ("农学会专家服务团进园区", "2026-04-02"),
        ("电子学会企业行", "2026-06-18"),
    ] {
        create_visit(
            &hub.client,
            visit_input(unit, json!({ "title": title, "visitedOn": day })),
        )
        .await;
    }
    for (title, day) in [
        ("科创会·市州行 先进制造专场", "2026-05-20"),
        ("海智计划项目对接会", "2026-03-08"),
        ("学会服务企业成果发布会", "2026-05-20"),
    ] {
        create_event(
            &hub.client,
            event_input(unit, json!({ "title": title, "startsOn": day })),
        )
        .await;
    }
    for (title, day) in [
        ("联合研发协议", "2025-03-01"),
        ("共建实习基地协议", "2024-09-01"),
        ("技术服务协议", "2025-03-01"),
    ] {
        hub.client
            .data(
                "mutation($unit: ID!, $title: String!, $day: NaiveDate!) { createCooperationAgreement(input: {
                     universityUnitId: $unit, enterpriseName: \"绵阳金松电子科技有限公司\", title: $title,
                     field: ELECTRONIC_INFORMATION, signedOn: $day }) { id } }",
                json!({ "unit": unit.to_string(), "title": title, "day": day }),
            )
            .await;
    }
    for (list, order_field) in [
        ("techNeeds", "TechNeedOrderField"),
        ("scienceResults", "ScienceResultOrderField"),
        ("needMatches", "NeedMatchOrderField"),
        ("serviceVisits", "ServiceVisitOrderField"),
        ("innovationEvents", "InnovationEventOrderField"),
        ("cooperationAgreements", "CooperationAgreementOrderField"),
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

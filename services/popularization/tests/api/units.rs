//! Federation: `Unit` extended with its venues and activities, and the entities this
//! subgraph owns, as the gateway asks for them.

use serde_json::{json, Value};

use crate::support::{create_activity, create_venue, id, lecture, museum, nodes, start};

const UNIT_LISTS: &str = "query($r: [_Any!]!, $subtree: Boolean, $filter: ActivityFilter) {
    _entities(representations: $r) {
        ... on Unit {
            id
            venues(includeSubtree: $subtree) { edges { node { name owner { id } } } }
            activities(includeSubtree: $subtree, filter: $filter, first: 10) {
                pageInfo { hasNextPage } edges { node { title organizer { id } } } }
        } } }";

fn representations(ids: &[String]) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| json!({ "__typename": "Unit", "id": id }))
            .collect(),
    )
}

fn names(entity: &Value, list: &str, field: &str) -> Vec<String> {
    nodes(&entity[list], field)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn each_unit_of_an_entities_batch_gets_its_own_venues_and_activities() {
    let hub = start().await;
    let tree = hub.tree.clone();
    create_venue(&hub.client, museum(&tree.district_a, "巴州区科技馆")).await;
    create_venue(
        &hub.client,
        json!({ "ownerId": id(&tree.township_a), "name": "清江镇农村中学科技馆", "kind": "CAMPUS_MUSEUM" }),
    )
    .await;
    create_venue(&hub.client, museum(&tree.district_b, "恩阳区科技馆")).await;
    create_activity(
        &hub.client,
        lecture(&tree.district_a, "巴州区防灾减灾科普讲座"),
    )
    .await;
    create_activity(
        &hub.client,
        lecture(&tree.township_a, "清江镇老年人健康科普讲座"),
    )
    .await;
    create_activity(
        &hub.client,
        lecture(&tree.enterprise_a, "巴中化工安全生产科普讲座"),
    )
    .await;
    create_activity(
        &hub.client,
        lecture(&tree.township_b, "柳林镇食品安全科普讲座"),
    )
    .await;

    let batch = [
        id(&tree.district_a),
        id(&tree.township_a),
        id(&tree.district_b),
        id(&tree.city),
    ];
    let own = hub
        .client
        .data(
            UNIT_LISTS,
            json!({ "r": representations(&batch), "subtree": false }),
        )
        .await;
    let entities = own["_entities"].as_array().unwrap();
    assert_eq!(entities.len(), 4);
    for (entity, unit_id) in entities.iter().zip(&batch) {
        assert_eq!(&entity["id"], unit_id);
        for edge in entity["activities"]["edges"].as_array().unwrap() {
            assert_eq!(&edge["node"]["organizer"]["id"], unit_id);
        }
    }
    assert_eq!(names(&entities[0], "venues", "name"), ["巴州区科技馆"]);
    assert_eq!(
        names(&entities[0], "activities", "title"),
        ["巴州区防灾减灾科普讲座"]
    );
    assert_eq!(
        names(&entities[1], "venues", "name"),
        ["清江镇农村中学科技馆"]
    );
    assert_eq!(
        names(&entities[1], "activities", "title"),
        ["清江镇老年人健康科普讲座"]
    );
    assert_eq!(names(&entities[2], "venues", "name"), ["恩阳区科技馆"]);
    assert!(names(&entities[2], "activities", "title").is_empty());
    assert!(names(&entities[3], "venues", "name").is_empty());
    assert!(names(&entities[3], "activities", "title").is_empty());

    let subtree = hub
        .client
        .data(
            UNIT_LISTS,
            json!({ "r": representations(&batch), "subtree": true }),
        )
        .await;
    let entities = subtree["_entities"].as_array().unwrap();
    assert_eq!(
        names(&entities[0], "venues", "name"),
        ["清江镇农村中学科技馆", "巴州区科技馆"]
    );
    assert_eq!(
        names(&entities[0], "activities", "title"),
        [
            "巴中化工安全生产科普讲座",
            "清江镇老年人健康科普讲座",
            "巴州区防灾减灾科普讲座"
        ]
    );
    assert_eq!(
        names(&entities[1], "activities", "title"),
        ["清江镇老年人健康科普讲座"]
    );
    assert_eq!(
        names(&entities[2], "activities", "title"),
        ["柳林镇食品安全科普讲座"]
    );
    assert_eq!(names(&entities[3], "venues", "name").len(), 3);
    assert_eq!(names(&entities[3], "activities", "title").len(), 4);

    // The lists take the same filters as the top-level ones.
    let filtered = hub
        .client
        .data(
            UNIT_LISTS,
            json!({ "r": representations(&batch[3..]), "subtree": true,
                    "filter": { "search": "食品安全" } }),
        )
        .await;
    assert_eq!(
        names(&filtered["_entities"][0], "activities", "title"),
        ["柳林镇食品安全科普讲座"]
    );
    // A unit's own list cannot be pointed at another unit.
    let code = hub
        .client
        .error_code(
            UNIT_LISTS,
            json!({ "r": representations(&batch[..1]), "filter": { "unitId": id(&tree.district_b) } }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    hub.stop().await;
}

#[tokio::test]
async fn per_unit_lists_page_each_unit_separately() {
    let hub = start().await;
    let tree = hub.tree.clone();
    for n in 0..3 {
        create_activity(
            &hub.client,
            lecture(&tree.township_a, &format!("清江镇科普讲座{n}")),
        )
        .await;
        create_activity(
            &hub.client,
            lecture(&tree.township_b, &format!("柳林镇科普讲座{n}")),
        )
        .await;
    }
    let page = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                activities(first: 2) { pageInfo { hasNextPage endCursor } edges { node { title } } } } } }",
            json!({ "r": representations(&[id(&tree.township_a), id(&tree.township_b)]) }),
        )
        .await;
    let entities = page["_entities"].as_array().unwrap();
    assert_eq!(
        names(&entities[0], "activities", "title"),
        ["清江镇科普讲座2", "清江镇科普讲座1"]
    );
    assert_eq!(
        names(&entities[1], "activities", "title"),
        ["柳林镇科普讲座2", "柳林镇科普讲座1"]
    );
    assert_eq!(entities[0]["activities"]["pageInfo"]["hasNextPage"], true);
    let next = hub
        .client
        .data(
            "query($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Unit {
                activities(first: 2, after: $after) { pageInfo { hasNextPage } edges { node { title } } } } } }",
            json!({ "r": representations(&[id(&tree.township_a)]),
                    "after": entities[0]["activities"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        names(&next["_entities"][0], "activities", "title"),
        ["清江镇科普讲座0"]
    );
    assert_eq!(
        next["_entities"][0]["activities"]["pageInfo"]["hasNextPage"],
        false
    );

    // A subtree pages the same way: each page the newest of the whole subtree.
    let subtree_page =
        "query($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Unit {
        activities(includeSubtree: true, first: 4, after: $after) {
            pageInfo { hasNextPage endCursor } edges { node { title } } } } } }";
    let first = hub
        .client
        .data(
            subtree_page,
            json!({ "r": representations(&[id(&tree.city), id(&tree.district_b)]) }),
        )
        .await;
    let city = &first["_entities"][0];
    assert_eq!(
        names(city, "activities", "title"),
        [
            "柳林镇科普讲座2",
            "清江镇科普讲座2",
            "柳林镇科普讲座1",
            "清江镇科普讲座1"
        ]
    );
    assert_eq!(city["activities"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        names(&first["_entities"][1], "activities", "title"),
        ["柳林镇科普讲座2", "柳林镇科普讲座1", "柳林镇科普讲座0"]
    );
    assert_eq!(
        first["_entities"][1]["activities"]["pageInfo"]["hasNextPage"],
        false
    );
    let rest = hub
        .client
        .data(
            subtree_page,
            json!({ "r": representations(&[id(&tree.city)]),
                    "after": city["activities"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        names(&rest["_entities"][0], "activities", "title"),
        ["柳林镇科普讲座0", "清江镇科普讲座0"]
    );
    assert_eq!(
        rest["_entities"][0]["activities"]["pageInfo"]["hasNextPage"],
        false
    );
    hub.stop().await;
}

#[tokio::test]
async fn venues_and_activities_resolve_as_entities_by_id() {
    let hub = start().await;
    let venue = create_venue(&hub.client, museum(&hub.tree.district_a, "巴州区科技馆")).await;
    let activity =
        create_activity(&hub.client, lecture(&hub.tree.township_a, "清江镇科普讲座")).await;
    let data = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) {
                ... on Venue { id name } ... on Activity { id title } } }",
            json!({ "r": [
                { "__typename": "Venue", "id": venue["id"] },
                { "__typename": "Activity", "id": activity["id"] },
                { "__typename": "Venue", "id": "0190b6a0-0000-7000-8000-000000000000" },
            ] }),
        )
        .await;
    assert_eq!(
        data["_entities"],
        json!([
            { "id": venue["id"], "name": "巴州区科技馆" },
            { "id": activity["id"], "title": "清江镇科普讲座" },
            null,
        ])
    );
    hub.stop().await;
}

//! The entities the gateway resolves here: each unit's needs and results, each worker's
//! results and expert matches, for a whole `_entities` batch in one request.

use serde_json::{json, Value};

use crate::support::*;

const UNIT_LISTS: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
    id
    techNeeds { edges { node { title } } }
    allNeeds: techNeeds(includeSubtree: true) { edges { node { title } } }
    scienceResults(includeSubtree: true) { edges { node { title } } }
} } }";

fn representation(unit: uuid::Uuid) -> Value {
    json!({ "__typename": "Unit", "id": unit.to_string() })
}

#[tokio::test]
async fn per_unit_lists_resolve_for_several_units_in_one_entities_request() {
    let hub = start().await;
    let tree = &hub.tree;
    for (unit, title) in [
        (tree.district_a.id, "巴州区的需求"),
        (tree.enterprise_a.id, "化工企业的需求"),
        (tree.district_b.id, "恩阳区的需求"),
    ] {
        create_need(&hub.client, need_input(unit, json!({ "title": title }))).await;
    }
    create_result(
        &hub.client,
        result_input(tree.township_b.id, json!({ "title": "柳林镇的成果" })),
    )
    .await;
    let data = hub
        .client
        .data(
            UNIT_LISTS,
            json!({ "r": [representation(tree.district_a.id), representation(tree.district_b.id),
                          representation(tree.township_b.id)] }),
        )
        .await;
    let entities = data["_entities"].as_array().unwrap();
    assert_eq!(
        column(&entities[0]["techNeeds"], "title"),
        vec![json!("巴州区的需求")]
    );
    assert_eq!(
        column(&entities[0]["allNeeds"], "title"),
        vec![json!("化工企业的需求"), json!("巴州区的需求")]
    );
    assert_eq!(
        column(&entities[1]["techNeeds"], "title"),
        vec![json!("恩阳区的需求")]
    );
    assert_eq!(
        column(&entities[1]["scienceResults"], "title"),
        vec![json!("柳林镇的成果")]
    );
    assert_eq!(
        column(&entities[2]["allNeeds"], "title"),
        Vec::<Value>::new()
    );
}

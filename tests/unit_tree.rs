//! The unit tree replicated from organizations into the other three subgraphs, as the
//! whole hub runs it: real subgraphs, real PostgreSQL and Redis.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use kexie::subgraphs::Subgraph;
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree;
use kexie_testkit::{redis_url, GraphqlClient, TestDb};

/// How soon every copy must show a change.
const WITHIN: Duration = Duration::from_secs(1);

fn config(db: &TestDb) -> SubgraphConfig {
    SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    }
}

async fn start(subgraph: Subgraph, db: &TestDb) -> ServerHandle {
    subgraph.build(&config(db)).await.unwrap().spawn()
}

const REPLICAS: [Subgraph; 3] = [Subgraph::Talent, Subgraph::Popularization, Subgraph::Advice];

/// Waits until `subgraph`'s copy of `unit_id` satisfies `check`; returns how long it took.
async fn seen_by(
    subgraph: Subgraph,
    db: &TestDb,
    unit_id: &str,
    check: impl Fn(&unit_tree::ReplicatedUnit) -> bool,
) -> Duration {
    let pool = subgraph.connect(&db.url).await.unwrap();
    let id = uuid::Uuid::parse_str(unit_id).unwrap();
    let started = Instant::now();
    loop {
        let units = unit_tree::replicated_units(&pool, &[id]).await.unwrap();
        if units.get(&id).is_some_and(&check) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{subgraph} never saw unit {unit_id} as expected"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn create_unit(client: &GraphqlClient, input: Value) -> Value {
    client
        .data(
            "mutation($input: UnitInput!) { createUnit(input: $input) { id name version } }",
            json!({ "input": input }),
        )
        .await["createUnit"]
        .clone()
}

#[tokio::test]
async fn created_moved_and_merged_units_reach_every_subgraph_within_a_second() {
    let db = TestDb::new().await;
    let organizations = start(Subgraph::Organizations, &db).await;
    let mut replicas = Vec::new();
    for subgraph in REPLICAS {
        replicas.push(start(subgraph, &db).await);
    }
    let client = GraphqlClient::new(organizations.graphql_url());
    let city = create_unit(
        &client,
        json!({"kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700"}),
    )
    .await;
    let fucheng = create_unit(&client, json!({"kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city["id"]})).await;
    let youxian = create_unit(&client, json!({"kind": "DISTRICT", "name": "游仙区科协", "divisionCode": "510704", "parentId": city["id"]})).await;
    let township = create_unit(&client, json!({"kind": "TOWNSHIP", "name": "青义镇科协", "divisionCode": "510703101", "parentId": fucheng["id"]})).await;
    let id = township["id"].as_str().unwrap();
    for subgraph in REPLICAS {
        let took = seen_by(subgraph, &db, id, |unit| unit.name == "青义镇科协").await;
        assert!(took < WITHIN, "{subgraph} saw the new unit after {took:?}");
    }

    client
        .data(
            "mutation($id: ID!, $parent: ID!) { moveUnit(id: $id, expectedVersion: 1, newParentId: $parent, divisionCode: \"510704101\") { id } }",
            json!({ "id": id, "parent": youxian["id"] }),
        )
        .await;
    let under_youxian = format!(
        "/{}/{}/{}/",
        city["id"].as_str().unwrap(),
        youxian["id"].as_str().unwrap(),
        id
    );
    for subgraph in REPLICAS {
        let took = seen_by(subgraph, &db, id, |unit| unit.path == under_youxian).await;
        assert!(took < WITHIN, "{subgraph} saw the move after {took:?}");
    }

    let neighbour = create_unit(&client, json!({"kind": "TOWNSHIP", "name": "新桥镇科协", "divisionCode": "510704102", "parentId": youxian["id"]})).await;
    client
        .data(
            "mutation($id: ID!, $into: ID!) { mergeUnit(id: $id, expectedVersion: 1, intoUnitId: $into) { id } }",
            json!({ "id": neighbour["id"], "into": id }),
        )
        .await;
    for subgraph in REPLICAS {
        let took = seen_by(subgraph, &db, neighbour["id"].as_str().unwrap(), |unit| {
            unit.status == "MERGED"
                && unit.parent_id.map(|parent| parent.to_string()).as_deref() == Some(id)
        })
        .await;
        assert!(took < WITHIN, "{subgraph} saw the merger after {took:?}");
    }
    for replica in replicas {
        replica.stop().await;
    }
    organizations.stop().await;
}

#[tokio::test]
async fn a_subgraph_that_was_down_while_units_changed_catches_up_when_it_starts() {
    let db = TestDb::new().await;
    let organizations = start(Subgraph::Organizations, &db).await;
    let talent = start(Subgraph::Talent, &db).await;
    let client = GraphqlClient::new(organizations.graphql_url());
    let city = create_unit(
        &client,
        json!({"kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700"}),
    )
    .await;
    seen_by(Subgraph::Talent, &db, city["id"].as_str().unwrap(), |_| {
        true
    })
    .await;
    talent.stop().await;

    let district = create_unit(&client, json!({"kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city["id"]})).await;
    client
        .data(
            "mutation($id: ID!) { updateUnit(id: $id, expectedVersion: 1, input: { name: \"涪城区科学技术协会\" }) { id } }",
            json!({ "id": district["id"] }),
        )
        .await;

    let talent = start(Subgraph::Talent, &db).await;
    seen_by(
        Subgraph::Talent,
        &db,
        district["id"].as_str().unwrap(),
        |unit| unit.name == "涪城区科学技术协会",
    )
    .await;
    talent.stop().await;
    organizations.stop().await;
}

#[tokio::test]
async fn a_redis_that_lost_the_tree_gets_it_published_again() {
    let db = TestDb::new().await;
    let organizations = start(Subgraph::Organizations, &db).await;
    let client = GraphqlClient::new(organizations.graphql_url());
    create_unit(
        &client,
        json!({"kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700"}),
    )
    .await;
    let redis =
        kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
            .unwrap();
    let keys = unit_tree::TreeKeys::new(&db.redis_namespace());
    let wait_for_seq = |seq: i64| {
        let mut redis = redis.clone();
        let keys = keys.clone();
        async move {
            let started = Instant::now();
            while unit_tree::published_seq(&mut redis, &keys).await.unwrap() != Some(seq) {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "the tree was not published again"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for_seq(1).await;
    unit_tree::clear_published(&mut redis.clone(), &keys)
        .await
        .unwrap();
    wait_for_seq(1).await;

    // A subgraph starting now finds the whole tree.
    let advice = start(Subgraph::Advice, &db).await;
    let pool = Subgraph::Advice.connect(&db.url).await.unwrap();
    assert!(unit_tree::wait_for_seq(&pool, 1, Duration::from_secs(5)).await);
    advice.stop().await;
    organizations.stop().await;
}

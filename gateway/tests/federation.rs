//! Federation v2 semantics through hand-written supergraphs and stub subgraphs that record
//! what the gateway asked them: keys of every shape, entity chains, `@requires`,
//! `@provides`, `@external`, `@shareable`, `@override`, `@interfaceObject`, interfaces
//! and unions across subgraphs.

mod common;

use common::{entity_subgraph, gateway, json_subgraph, post, query_of, representations};
use serde_json::{json, Value};

fn unit(id: &str) -> Value {
    let (code, name) = match id {
        "2" => ("D-EAST", "东区科协"),
        _ => ("D-WEST", "西区科协"),
    };
    json!({"__typename": "Unit", "id": id, "code": code, "name": name})
}

#[tokio::test]
async fn compound_keys_are_represented_with_every_field() {
    let (organizations, _) = entity_subgraph(
        json!({"terms": [
            {"__typename": "Term", "unitId": "2", "number": 3, "endsOn": "2027-06-30"},
            {"__typename": "Term", "unitId": "3", "number": 1, "endsOn": null}
        ]}),
        |_| Value::Null,
    )
    .await;
    let (talent, received) = entity_subgraph(
        json!({}),
        |term| json!({"nominees": if term["unitId"] == "2" { 4 } else { 0 }}),
    )
    .await;
    let gateway = gateway(
        "keys.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
    )
    .await;
    let response = post(&gateway, "{ terms { number endsOn nominees } }", json!({})).await;
    assert_eq!(
        response,
        json!({"data": {"terms": [
            {"number": 3, "endsOn": "2027-06-30", "nominees": 4},
            {"number": 1, "endsOn": null, "nominees": 0}
        ]}})
    );
    assert_eq!(
        representations(&received.all()[0]),
        vec![
            json!({"__typename": "Term", "unitId": "2", "number": 3}),
            json!({"__typename": "Term", "unitId": "3", "number": 1})
        ]
    );
    gateway.stop().await;
}

#[tokio::test]
async fn nested_keys_are_represented_with_their_sub_selection() {
    let (talent, _) = entity_subgraph(
        json!({"workers": [{
            "__typename": "Worker", "id": "w1", "name": "张三",
            "memberships": [
                {"__typename": "Membership", "worker": {"id": "w1"}, "year": 2025, "since": "2020"},
                {"__typename": "Membership", "worker": {"id": "w1"}, "year": 2026, "since": "2020"}
            ]
        }]}),
        |_| Value::Null,
    )
    .await;
    let (advice, received) = entity_subgraph(
        json!({}),
        |membership| json!({"submissions": membership["year"].as_i64().unwrap() - 2020}),
    )
    .await;
    let gateway = gateway("keys.graphql", &[("talent", &talent), ("advice", &advice)]).await;
    let response = post(
        &gateway,
        "{ workers { name memberships { year since submissions } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"workers": [{"name": "张三", "memberships": [
            {"year": 2025, "since": "2020", "submissions": 5},
            {"year": 2026, "since": "2020", "submissions": 6}
        ]}]}})
    );
    assert_eq!(
        representations(&received.all()[0]),
        vec![
            json!({"__typename": "Membership", "worker": {"id": "w1"}, "year": 2025}),
            json!({"__typename": "Membership", "worker": {"id": "w1"}, "year": 2026})
        ]
    );
    gateway.stop().await;
}

#[tokio::test]
async fn a_subgraph_known_by_another_key_is_reached_through_a_chain() {
    let (talent, _) = entity_subgraph(
        json!({"workers": [
            {"__typename": "Worker", "id": "w1", "unit": {"__typename": "Unit", "id": "2"}},
            {"__typename": "Worker", "id": "w3", "unit": {"__typename": "Unit", "id": "3"}}
        ]}),
        |_| Value::Null,
    )
    .await;
    let (organizations, by_id) =
        entity_subgraph(json!({}), |rep| unit(rep["id"].as_str().unwrap())).await;
    let (advice, by_code) = entity_subgraph(
        json!({}),
        |rep| json!({"submissionCount": if rep["code"] == "D-EAST" { 12 } else { 5 }}),
    )
    .await;
    let gateway = gateway(
        "keys.graphql",
        &[
            ("talent", &talent),
            ("organizations", &organizations),
            ("advice", &advice),
        ],
    )
    .await;
    let response = post(
        &gateway,
        "{ workers { id unit { name submissionCount } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"workers": [
            {"id": "w1", "unit": {"name": "东区科协", "submissionCount": 12}},
            {"id": "w3", "unit": {"name": "西区科协", "submissionCount": 5}}
        ]}})
    );
    assert_eq!(
        representations(&by_id.all()[0]),
        vec![
            json!({"__typename": "Unit", "id": "2"}),
            json!({"__typename": "Unit", "id": "3"})
        ]
    );
    assert_eq!(
        representations(&by_code.all()[0]),
        vec![
            json!({"__typename": "Unit", "code": "D-EAST"}),
            json!({"__typename": "Unit", "code": "D-WEST"})
        ]
    );
    assert!(query_of(&by_code.all()[0]).contains("submissionCount"));
    gateway.stop().await;
}

#[tokio::test]
async fn requires_sends_the_required_fields_and_arguments_reach_the_subgraph() {
    let (organizations, _) = entity_subgraph(
        json!({"units": [
            {"__typename": "Unit", "id": "2", "name": "东区科协", "memberCount": 40},
            {"__typename": "Unit", "id": "3", "name": "西区科协", "memberCount": 10}
        ]}),
        |_| Value::Null,
    )
    .await;
    let (popularization, received) = entity_subgraph(json!({}), |unit| {
        let members = unit["memberCount"].as_i64().unwrap();
        json!({"activitiesPerMember": 20.0 / members as f64, "reach": members * 2})
    })
    .await;
    let gateway = gateway(
        "directives.graphql",
        &[
            ("organizations", &organizations),
            ("popularization", &popularization),
        ],
    )
    .await;
    let response = post(
        &gateway,
        "query($factor: Int!) { units { name activitiesPerMember reach(factor: $factor) } }",
        json!({"factor": 2}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"units": [
            {"name": "东区科协", "activitiesPerMember": 0.5, "reach": 80},
            {"name": "西区科协", "activitiesPerMember": 2.0, "reach": 20}
        ]}})
    );
    let request = &received.all()[0];
    assert_eq!(
        representations(request),
        vec![
            json!({"__typename": "Unit", "id": "2", "memberCount": 40}),
            json!({"__typename": "Unit", "id": "3", "memberCount": 10})
        ]
    );
    assert_eq!(request["variables"]["factor"], 2);
    assert!(
        query_of(request).contains("reach(factor: $factor)"),
        "{request}"
    );
    gateway.stop().await;
}

/// The `members(year: N)` fields a query selects, each with its response key (its alias,
/// or `members`).
fn members_selected(query: &str) -> Vec<(String, i64)> {
    let mut selected = Vec::new();
    let mut rest = query;
    while let Some(at) = rest.find("members(year: ") {
        let before = rest[..at].trim_end();
        let key = match before.strip_suffix(':') {
            Some(aliased) => aliased
                .rsplit(|c: char| c.is_whitespace() || c == '{')
                .next()
                .unwrap_or_default()
                .to_string(),
            None => "members".to_string(),
        };
        let year = &rest[at + "members(year: ".len()..];
        let digits: String = year.chars().take_while(char::is_ascii_digit).collect();
        selected.push((key, digits.parse().unwrap()));
        rest = year;
    }
    selected
}

#[tokio::test]
async fn a_required_field_asked_for_with_other_arguments_is_sent_under_its_own_name() {
    // Organizations answers every `members(year: N)` it is asked for under the key it was
    // asked under: the gateway may alias the required one, since the client also asks for
    // `members` with another year.
    let (organizations, _) = common::json_subgraph(|body| {
        let units = [("2", 10), ("3", 40)].map(|(id, base)| {
            let mut unit = json!({"__typename": "Unit", "id": id, "name": "科协"});
            for (key, year) in members_selected(query_of(body)) {
                unit[key] = json!(base + (year - 2024));
            }
            unit
        });
        json!({"data": {"units": units}})
    })
    .await;
    let (popularization, received) = entity_subgraph(json!({}), |unit| {
        json!({"activitiesPerMember2024": 20.0 / unit["members"].as_f64().unwrap_or(f64::NAN)})
    })
    .await;
    let gateway = gateway(
        "directives.graphql",
        &[
            ("organizations", &organizations),
            ("popularization", &popularization),
        ],
    )
    .await;
    let response = post(
        &gateway,
        "{ units { id members(year: 2025) activitiesPerMember2024 } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"units": [
            {"id": "2", "members": 11, "activitiesPerMember2024": 2.0},
            {"id": "3", "members": 41, "activitiesPerMember2024": 0.5}
        ]}})
    );
    assert_eq!(
        representations(&received.all()[0]),
        vec![
            json!({"__typename": "Unit", "id": "2", "members": 10}),
            json!({"__typename": "Unit", "id": "3", "members": 40})
        ]
    );
    gateway.stop().await;
}

#[tokio::test]
async fn provided_and_shareable_fields_are_taken_where_they_already_are() {
    let (talent, _) = entity_subgraph(
        json!({"workers": [{
            "__typename": "Worker", "id": "w1", "name": "张三",
            "homeUnit": {"__typename": "Unit", "id": "2", "name": "东区科协", "region": "东区"}
        }]}),
        |_| Value::Null,
    )
    .await;
    // Organizations must not be asked: talent provides the name and shares the region.
    let (organizations, asked) = entity_subgraph(json!({}), |_| Value::Null).await;
    let gateway = gateway(
        "directives.graphql",
        &[("talent", &talent), ("organizations", &organizations)],
    )
    .await;
    let response = post(
        &gateway,
        "{ workers { name homeUnit { name region } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"workers": [{"name": "张三", "homeUnit": {"name": "东区科协", "region": "东区"}}]}})
    );
    assert_eq!(asked.count(), 0);
    gateway.stop().await;
}

#[tokio::test]
async fn an_overridden_field_comes_from_the_subgraph_that_took_it_over() {
    let (organizations, root) = entity_subgraph(
        json!({"units": [{"__typename": "Unit", "id": "2", "region": "东区", "workerCount": -1}]}),
        |_| Value::Null,
    )
    .await;
    let (talent, entities) = entity_subgraph(json!({}), |_| json!({"workerCount": 12})).await;
    let gateway = gateway(
        "directives.graphql",
        &[("organizations", &organizations), ("talent", &talent)],
    )
    .await;
    let response = post(&gateway, "{ units { region workerCount } }", json!({})).await;
    assert_eq!(
        response,
        json!({"data": {"units": [{"region": "东区", "workerCount": 12}]}})
    );
    assert!(!query_of(&root.all()[0]).contains("workerCount"));
    assert_eq!(entities.count(), 1);
    gateway.stop().await;
}

fn venue(id: &str) -> Value {
    match id {
        "v1" => json!({"__typename": "Museum", "id": "v1", "name": "市科技馆", "floorArea": 12000}),
        _ => json!({"__typename": "CommunityHall", "id": "v2", "name": "社区科普馆", "seats": 80}),
    }
}

#[tokio::test]
async fn an_interface_object_extends_every_implementation() {
    let (popularization, _) =
        entity_subgraph(json!({"venues": [venue("v1"), venue("v2")]}), |_| {
            Value::Null
        })
        .await;
    let (advice, received) = entity_subgraph(json!({}), |venue| {
        json!({"suggestions": [format!("more benches at {}", venue["id"].as_str().unwrap())]})
    })
    .await;
    let gateway = gateway(
        "interface_object.graphql",
        &[("popularization", &popularization), ("advice", &advice)],
    )
    .await;
    let response = post(
        &gateway,
        "{ venues { name suggestions ... on Museum { floorArea } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"venues": [
            {"name": "市科技馆", "suggestions": ["more benches at v1"], "floorArea": 12000},
            {"name": "社区科普馆", "suggestions": ["more benches at v2"]}
        ]}})
    );
    // The interface object knows no Museum or CommunityHall: it is asked about Venues.
    assert_eq!(
        representations(&received.all()[0]),
        vec![
            json!({"__typename": "Venue", "id": "v1"}),
            json!({"__typename": "Venue", "id": "v2"})
        ]
    );
    gateway.stop().await;
}

#[tokio::test]
async fn an_interface_object_result_learns_its_concrete_type_from_the_owner() {
    let (advice, _) = entity_subgraph(
        json!({"mostDiscussedVenue": {"__typename": "Venue", "id": "v1", "suggestions": ["open on Mondays"]}}),
        |_| Value::Null,
    )
    .await;
    let (popularization, received) =
        entity_subgraph(json!({}), |rep| venue(rep["id"].as_str().unwrap())).await;
    let gateway = gateway(
        "interface_object.graphql",
        &[("popularization", &popularization), ("advice", &advice)],
    )
    .await;
    let response = post(
        &gateway,
        "{ mostDiscussedVenue { __typename name suggestions } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {"mostDiscussedVenue": {
            "__typename": "Museum",
            "name": "市科技馆",
            "suggestions": ["open on Mondays"]
        }}})
    );
    assert_eq!(
        representations(&received.all()[0]),
        vec![json!({"__typename": "Venue", "id": "v1"})]
    );
    gateway.stop().await;
}

/// The `path` of every error of a response, in order.
fn error_paths(response: &Value) -> Vec<Value> {
    response["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["path"].clone())
        .collect()
}

/// The same products under two users' reviews: the gateway merges what one fetch brings for
/// a product into its first place and copies it to the other at the end, so what later
/// fetches bring below it (a shipping estimate that needs the price and weight first
/// fetched), and their errors, must show at both places as if each had been fetched alone.
#[tokio::test]
async fn entities_standing_at_two_places_show_all_fetched_later_and_its_errors_at_both() {
    let (accounts, _) = entity_subgraph(
        json!({"users": [
            {"__typename": "User", "id": "u1"},
            {"__typename": "User", "id": "u2"}
        ]}),
        |_| Value::Null,
    )
    .await;
    let (reviews, _) = entity_subgraph(json!({}), |user| {
        let product = |upc: &str| json!({"__typename": "Product", "upc": upc});
        json!({"reviews": [
            {"body": format!("{}的评价", user["id"].as_str().unwrap()), "product": product("p1")},
            {"body": "再评", "product": product("p2")}
        ]})
    })
    .await;
    let (products, products_received) = entity_subgraph(json!({}), |product| {
        json!({"name": format!("读本{}", product["upc"].as_str().unwrap()), "price": 30, "weight": 2})
    })
    .await;
    // p2's estimate fails, at its index.
    let (inventory, inventory_received) = json_subgraph(|body| {
        let products = representations(body);
        let entities: Vec<Value> = products
            .iter()
            .map(|product| match product["upc"].as_str() {
                Some("p1") => json!({"shippingEstimate": 15}),
                _ => json!({"shippingEstimate": null}),
            })
            .collect();
        let failed = products.iter().position(|product| product["upc"] == "p2").unwrap();
        json!({
            "data": {"_entities": entities},
            "errors": [{"message": "no estimate", "path": ["_entities", failed, "shippingEstimate"]}]
        })
    })
    .await;
    // The users' reviewed products, through a gateway with the inventory at `inventory`.
    let ask = |inventory: String| {
        let subgraphs = [
            ("accounts", accounts.clone()),
            ("reviews", reviews.clone()),
            ("products", products.clone()),
            ("inventory", inventory),
        ];
        async move {
            let urls: Vec<(&str, &str)> = subgraphs
                .iter()
                .map(|(name, url)| (*name, url.as_str()))
                .collect();
            let gateway = gateway("reviews.graphql", &urls).await;
            let query = "{ users { id reviews { body product { upc name shippingEstimate } } } }";
            post(&gateway, query, json!({})).await
        }
    };
    let response = ask(inventory).await;
    let p1 = json!({"upc": "p1", "name": "读本p1", "shippingEstimate": 15});
    let p2 = json!({"upc": "p2", "name": "读本p2", "shippingEstimate": null});
    assert_eq!(
        response["data"],
        json!({"users": [
            {"id": "u1", "reviews": [{"body": "u1的评价", "product": p1}, {"body": "再评", "product": p2}]},
            {"id": "u2", "reviews": [{"body": "u2的评价", "product": p1}, {"body": "再评", "product": p2}]}
        ]}),
        "{response}"
    );
    assert_eq!(
        error_paths(&response),
        [
            json!(["users", 0, "reviews", 1, "product", "shippingEstimate"]),
            json!(["users", 1, "reviews", 1, "product", "shippingEstimate"]),
        ],
        "{response}"
    );
    // With the inventory down, its one error stands where both users' products are.
    let down = kexie_testkit::ClosedPort::new();
    let response = ask(down.graphql_url()).await;
    assert_eq!(error_paths(&response), [json!(["users"])], "{response}");
    assert_eq!(
        response["data"]["users"][1]["reviews"][0]["product"],
        json!({"upc": "p1", "name": "读本p1", "shippingEstimate": null})
    );
    // Each product was asked for once, by each subgraph (the first gateway's requests).
    let products_received = products_received.all()[..1].to_vec();
    for received in [products_received, inventory_received.all()] {
        let upcs: Vec<Value> = received
            .iter()
            .flat_map(representations)
            .map(|product| product["upc"].clone())
            .collect();
        assert_eq!(upcs, [json!("p1"), json!("p2")]);
    }
}

/// The same speaker for two lectures, its home unit fetched once for both places: a null
/// where the schema allows none (no subgraph error explains it) is an error at each place,
/// and the nearest nullable position, the home unit's parent, turns null at both.
#[tokio::test]
async fn a_null_below_an_entity_standing_at_two_places_is_an_error_at_each() {
    let lecture = |id: &str| json!({"__typename": "Lecture", "id": id, "speaker": {"__typename": "Worker", "id": "w1"}});
    let (popularization, _) = entity_subgraph(
        json!({"activities": [lecture("a1"), lecture("a2")]}),
        |_| Value::Null,
    )
    .await;
    let (talent, _) = entity_subgraph(
        json!({}),
        |_| json!({"name": "张三", "homeUnit": {"__typename": "Unit", "id": "u1"}}),
    )
    .await;
    let (organizations, organizations_received) =
        entity_subgraph(json!({}), |_| json!({"parent": {"name": null}})).await;
    let gateway = gateway(
        "hub.graphql",
        &[
            ("organizations", organizations.as_str()),
            ("talent", talent.as_str()),
            ("popularization", popularization.as_str()),
        ],
    )
    .await;
    let query =
        "{ activities { id ... on Lecture { speaker { name homeUnit { parent { name } } } } } }";
    let response = post(&gateway, query, json!({})).await;
    assert_eq!(
        response["data"],
        json!({"activities": [
            {"id": "a1", "speaker": {"name": "张三", "homeUnit": {"parent": null}}},
            {"id": "a2", "speaker": {"name": "张三", "homeUnit": {"parent": null}}}
        ]}),
        "{response}"
    );
    assert_eq!(
        error_paths(&response),
        [
            json!(["activities", 0, "speaker", "homeUnit", "parent", "name"]),
            json!(["activities", 1, "speaker", "homeUnit", "parent", "name"]),
        ],
        "{response}"
    );
    // The home unit was asked for once.
    let asked: Vec<Value> = organizations_received
        .all()
        .iter()
        .flat_map(representations)
        .collect();
    assert_eq!(asked, [json!({"__typename": "Unit", "id": "u1"})]);
}

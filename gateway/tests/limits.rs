//! Abuse limits: each refuses an operation over it with `OPERATION_LIMIT`, naming itself and
//! the measured value, before the operation is planned or any subgraph asked; operations
//! within the limits run as before, and introspection can be switched off.

mod common;

use std::path::PathBuf;

use common::{gateway_with, json_subgraph, post_with, Received};
use kexie_gateway::{GatewayConfig, GatewayHandle};
use kexie_testkit::ClosedPort;
use serde_json::{json, Value};

async fn organizations() -> (String, Received) {
    json_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}, "units": []}})).await
}

async fn limited(url: &str, adjust: impl FnOnce(GatewayConfig) -> GatewayConfig) -> GatewayHandle {
    gateway_with("hub.graphql", &[("organizations", url)], adjust).await
}

/// Posts `query`; returns the status and body, asking for application/json.
async fn ask(gateway: &GatewayHandle, query: &str) -> (u16, Value) {
    let (status, _, body) = post_with(gateway, json!({ "query": query }), &[]).await;
    (status, body)
}

/// Asserts that `query` is refused by the limit `limit`, measured at `measured` against
/// `maximum`.
async fn refused(gateway: &GatewayHandle, query: &str, limit: &str, measured: u64, maximum: u64) {
    let plans_before = gateway.metrics().snapshot().plan_cache_misses;
    let (status, body) = ask(gateway, query).await;
    assert_eq!(status, 200, "{body}");
    let error = &body["errors"][0];
    assert_eq!(
        error["extensions"],
        json!({"code": "OPERATION_LIMIT", "limit": limit, "measured": measured, "maximum": maximum}),
        "{body}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&measured.to_string()),
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        gateway.metrics().snapshot().plan_cache_misses,
        plans_before,
        "it was planned"
    );
}

fn nested(levels: usize) -> String {
    format!(
        r#"{{ unit(id: "1") {{ {}name{} }} }}"#,
        "parent { ".repeat(levels),
        " }".repeat(levels)
    )
}

#[tokio::test]
async fn an_operation_nesting_deeper_than_the_limit_is_refused() {
    let (url, received) = organizations().await;
    let gateway = limited(&url, |config| config).await;
    // unit, 13 parents, name: 15 levels, the default limit.
    let (status, body) = ask(&gateway, &nested(13)).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    refused(&gateway, &nested(14), "depth", 16, 15).await;
    // Fragments count where they are spread.
    refused(
        &gateway,
        &format!(
            r#"{{ unit(id: "1") {{ ...Deep }} }} fragment Deep on Unit {{ {}name{} }}"#,
            "parent { ".repeat(14),
            " }".repeat(14)
        ),
        "depth",
        16,
        15,
    )
    .await;
    assert_eq!(
        received.count(),
        1,
        "only the query within the limit reached the subgraph"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let (url, _) = organizations().await;
    let gateway = limited(&url, |config| config).await;
    let aliases = |count: usize| {
        let names: String = (0..count).map(|i| format!(" n{i}: name")).collect();
        format!(r#"{{ unit(id: "1") {{{names} }} }}"#)
    };
    let (_, body) = ask(&gateway, &aliases(30)).await;
    // It runs (the stub answers no aliases, hence the nulls).
    assert!(body.get("data").is_some(), "{body}");
    refused(&gateway, &aliases(31), "aliases", 31, 30).await;
    // A fragment's aliases count once per spread.
    refused(
        &gateway,
        r#"{ unit(id: "1") { ...A parent { ...A parent { ...A parent { ...A } } } } }
           fragment A on Unit { a: name b: name c: name d: name e: name f: name g: name h: name }"#,
        "aliases",
        32,
        30,
    )
    .await;
    gateway.stop().await;
}

#[tokio::test]
async fn too_many_root_fields_are_refused() {
    let (url, _) = organizations().await;
    let gateway = limited(&url, |mut config| {
        config.limits.max_root_fields = 3;
        config
    })
    .await;
    let (_, body) = ask(&gateway, "{ units { id } units { name } __typename }").await;
    assert!(body.get("errors").is_none(), "{body}");
    refused(&gateway, "{ units { id } units { name } __typename ...More } fragment More on Query { units { kind } }", "rootFields", 4, 3).await;
    gateway.stop().await;
}

#[tokio::test]
async fn documents_with_too_many_tokens_are_refused_before_they_are_parsed() {
    let (url, _) = organizations().await;
    let gateway = limited(&url, |config| config).await;
    // Even one that would not parse: 6 000 tokens against the default 5 000.
    refused(&gateway, &"{ ".repeat(6000), "tokens", 6000, 5000).await;
    gateway.stop().await;

    let gateway = limited(&url, |mut config| {
        config.limits.max_tokens = 50;
        config
    })
    .await;
    // `{ unit ( id : "1" ) {` and `} }` are 10 tokens; each `name` one more.
    let document = |names: usize| format!(r#"{{ unit(id: "1") {{ {} }} }}"#, "name ".repeat(names));
    let (_, body) = ask(&gateway, &document(40)).await;
    assert!(body.get("errors").is_none(), "{body}");
    refused(&gateway, &document(41), "tokens", 51, 50).await;
    // Commas, whitespace and comments are not tokens.
    let padded = format!(
        "# {}\n{}",
        "x ".repeat(100),
        document(40).replace(' ', " ,,  ")
    );
    let (_, body) = ask(&gateway, &padded).await;
    assert!(body.get("errors").is_none(), "{body}");
    gateway.stop().await;
}

#[tokio::test]
async fn an_operation_costing_more_than_the_limit_is_refused() {
    let (url, _) = organizations().await;
    let gateway = limited(&url, |config| config).await;
    // An object costs 1, a scalar 0; lists nothing sizes are assumed to hold 10 items:
    // 10 × (1 + 10 × (1 + 10 × (1 + 10 × (1 + 10 × 1)))).
    refused(
        &gateway,
        "{ units { children { children { children { children { name } } } } } }",
        "cost",
        111_110,
        50_000,
    )
    .await;
    // One level less is an ordinary query.
    let (_, body) = ask(
        &gateway,
        "{ units { children { children { children { name } } } } }",
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    // `first` sizes a list; a variable counts as the largest page, 100.
    let (_, body) = ask(
        &gateway,
        "{ units { children { children { workers(first: 2) { name } } } } }",
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    refused(
        &gateway,
        "query($n: Int) { units { children { children { workers(first: $n) { name } } } } }",
        "cost",
        10 * (1 + 10 * (1 + 10 * (1 + 100))),
        50_000,
    )
    .await;
    gateway.stop().await;

    let gateway = limited(&url, |mut config| {
        config.limits.max_cost = 10;
        config
    })
    .await;
    // `name` (a string) and `kind` (an enum) cost nothing.
    refused(
        &gateway,
        r#"{ unit(id: "1") { name kind children { name } } }"#,
        "cost",
        1 + 10,
        10,
    )
    .await;
    gateway.stop().await;

    // The assumed size of unsized lists is configurable.
    let gateway = limited(&url, |mut config| {
        config.limits.max_cost = 10;
        config.limits.assumed_list_size = 3;
        config
    })
    .await;
    let (_, body) = ask(
        &gateway,
        r#"{ unit(id: "1") { name kind children { name } } }"#,
    )
    .await;
    assert_ne!(
        body["errors"][0]["extensions"]["code"], "OPERATION_LIMIT",
        "1 + 3 is within 10: {body}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn connections_cost_their_page_size_once() {
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.supergraph =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/supergraph.graphql");
        config.limits.max_cost = 1;
        config
    })
    .await;
    // activities(first: 10): the connection 1, pageInfo 1, edges 10 × (edge 1 + node 1).
    refused(
        &gateway,
        "{ activities(first: 10) { pageInfo { hasNextPage } edges { node { title } } } }",
        "cost",
        1 + 1 + 10 * (1 + 1),
        1,
    )
    .await;
    // Without `first`, the schema's default page (20) counts.
    refused(
        &gateway,
        "{ activities { nodes { title } } }",
        "cost",
        1 + 20,
        1,
    )
    .await;
    gateway.stop().await;
}

/// The public gateway benchmark's query: fragments, seven levels of users, reviews,
/// products, reviews, authors, reviews and products, lists without page arguments.
const BENCHMARK_QUERY: &str = "
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
      }
    }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}";

#[tokio::test]
async fn the_public_benchmark_query_passes_the_default_limits() {
    let subgraphs: Vec<(&str, ClosedPort)> = ["accounts", "inventory", "products", "reviews"]
        .into_iter()
        .map(|name| (name, ClosedPort::new()))
        .collect();
    let urls: Vec<(&str, String)> = subgraphs
        .iter()
        .map(|(name, port)| (*name, port.graphql_url()))
        .collect();
    let urls: Vec<(&str, &str)> = urls
        .iter()
        .map(|(name, url)| (*name, url.as_str()))
        .collect();
    let gateway = gateway_with("reviews.graphql", &urls, |config| config).await;
    let plans_before = gateway.metrics().snapshot().plan_cache_misses;
    let (_, body) = ask(&gateway, BENCHMARK_QUERY).await;
    // Planned and sent: the subgraphs are not there, so the errors are theirs.
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "SUBGRAPH_REQUEST_FAILED",
        "{body}"
    );
    assert_eq!(
        gateway.metrics().snapshot().plan_cache_misses,
        plans_before + 1
    );
    gateway.stop().await;

    // What it costs: users 10 × (1 + reviews 10 × (1 + product (1 + reviews 10 × (1 +
    // author (1 + reviews 10 × (1 + product 1)))))), topProducts (first: 5 by default)
    // 5 × (1 + reviews 10 × (1 + author (1 + reviews 10 × (1 + product 1)))).
    let gateway = gateway_with("reviews.graphql", &urls, |mut config| {
        config.limits.max_cost = 1;
        config
    })
    .await;
    let reviews_of_author = 10 * (1 + 1);
    let reviews_of_product = 10 * (1 + 1 + reviews_of_author);
    let users = 10 * (1 + 10 * (1 + 1 + reviews_of_product));
    let top_products = 5 * (1 + reviews_of_product);
    refused(&gateway, BENCHMARK_QUERY, "cost", users + top_products, 1).await;
    gateway.stop().await;
}

#[tokio::test]
async fn costs_and_list_sizes_declared_in_the_schema_count() {
    let gateway = gateway_with("demand_control.graphql", &[], |mut config| {
        config.limits.max_cost = 1;
        config
    })
    .await;
    // A slicing argument sizes the list; a type's @cost is what its fields cost.
    refused(
        &gateway,
        "{ books(limit: 3) { title cover { url } } }",
        "cost",
        3 * (1 + 7),
        1,
    )
    .await;
    // An assumed size; lists inside it that nothing sizes get the default, 10.
    refused(
        &gateway,
        "{ shelves { books { title } } }",
        "cost",
        3 * (1 + 10),
        1,
    )
    .await;
    // The connection's slicing argument sizes its sized fields only.
    refused(
        &gateway,
        "{ search(first: 4) { total hits { title } suggestions { title } } }",
        "cost",
        1 + 4 + 10,
        1,
    )
    .await;
    // A field's @cost; a list of scalars with a weight counts it per item.
    refused(&gateway, "{ report { rows } }", "cost", 50 + 4 * 2, 1).await;
    gateway.stop().await;
}

#[tokio::test]
async fn a_series_costs_its_points_counted_from_its_range_or_its_variables() {
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.supergraph =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/supergraph.graphql");
        config.limits.max_cost = 20;
        config
    })
    .await;
    // 36 months: unit 1 + 36 × (point 1 + from 0).
    refused(
        &gateway,
        r#"{ unit(id: "1") { talentFiguresSeries(series: { from: "2024-01-15", to: "2026-12-01" }) { from } } }"#,
        "cost",
        1 + 36,
        20,
    )
    .await;
    // 4 quarters a child, 10 children (a list nothing sizes): the points are the series
    // of the enclosing field's argument.
    refused(
        &gateway,
        r#"{ unit(id: "1") { adviceFiguresSeriesByChild(series: { from: "2025-01-01", to: "2025-12-31", every: QUARTER }) { points { from } } } }"#,
        "cost",
        1 + 10 * (1 + 4),
        20,
    )
    .await;
    // Sized by variables: measured for each request with its own.
    let query = "query($s: SeriesInput!) { unit(id: \"1\") { talentFiguresSeries(series: $s) { from figures { workers } } } }";
    let ask_with = |series: Value| {
        let gateway = &gateway;
        async move {
            post_with(
                gateway,
                json!({ "query": query, "variables": { "s": series } }),
                &[],
            )
            .await
            .2
        }
    };
    let body = ask_with(json!({ "from": "2023-01-01", "to": "2025-12-31", "every": "YEAR" })).await;
    assert_ne!(
        body["errors"][0]["extensions"]["code"], "OPERATION_LIMIT",
        "3 years cost 1 + 3 × (1 + 1): {body}"
    );
    let body = ask_with(json!({ "from": "2023-01-01", "to": "2025-12-31" })).await;
    assert_eq!(
        body["errors"][0]["extensions"],
        json!({"code": "OPERATION_LIMIT", "limit": "cost", "measured": 1 + 36 * 2, "maximum": 20}),
        "{body}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn limits_answer_400_to_clients_accepting_graphql_response_json() {
    let (url, _) = organizations().await;
    let gateway = limited(&url, |mut config| {
        config.limits.max_depth = 2;
        config
    })
    .await;
    let (status, headers, body) = post_with(
        &gateway,
        json!({ "query": nested(2) }),
        &[("accept", "application/graphql-response+json")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/graphql-response+json"));
    assert_eq!(body["errors"][0]["extensions"]["limit"], "depth");
    gateway.stop().await;
}

#[tokio::test]
async fn a_document_within_the_limits_is_measured_once() {
    let (url, _) = organizations().await;
    let gateway = limited(&url, |config| config).await;
    for _ in 0..3 {
        let (_, body) = ask(&gateway, &nested(5)).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let metrics = gateway.metrics().snapshot();
    assert_eq!(
        (metrics.document_cache_misses, metrics.document_cache_hits),
        (1, 2)
    );
    gateway.stop().await;
}

#[tokio::test]
async fn without_introspection_typename_is_still_answered() {
    let (url, _) = organizations().await;
    let gateway = limited(&url, |mut config| {
        config.introspection = false;
        config
    })
    .await;
    let (_, body) = ask(
        &gateway,
        r#"{ __typename unit(id: "1") { __typename name } }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"__typename": "Query", "unit": {"__typename": "Unit", "name": "市科协"}}})
    );
    let (_, body) = ask(&gateway, r#"{ __type(name: "Unit") { name } }"#).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTROSPECTION_DISABLED",
        "{body}"
    );
    gateway.stop().await;
}

//! The HTTP surface of a subgraph: GraphQL over GET never changes anything, and nothing
//! runs without a principal signed by the gateway.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Object, Schema};
use sqlx::PgPool;

use kexie_contract::principal::{sign, Principal, PrincipalSecret, Role, PRINCIPAL_HEADER};
use kexie_subgraph_kit::server::{router, ServerHandle, SubgraphApp, SubgraphRouter};
use kexie_subgraph_kit::unit_tree::{TreeCatchUp, TreeKeys};
use kexie_testkit::{principal_secret, redis_url, TestDb};

/// A principal signed as the gateway signs it.
fn signed() -> String {
    sign(
        &Principal::issue("li.na", Some(uuid::Uuid::now_v7()), Role::UnitStaff),
        &principal_secret(),
    )
    .unwrap()
}

#[derive(Default)]
struct Touches(AtomicI64);

struct Query;

#[Object]
impl Query {
    async fn touches(&self, ctx: &Context<'_>) -> i64 {
        ctx.data_opt::<Arc<Touches>>()
            .map_or(0, |touches| touches.0.load(Ordering::SeqCst))
    }
}

struct Mutation;

#[Object]
impl Mutation {
    async fn touch(&self, ctx: &Context<'_>) -> i64 {
        ctx.data_opt::<Arc<Touches>>()
            .map_or(0, |touches| touches.0.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

async fn start(touches: Arc<Touches>) -> ServerHandle {
    let schema = Schema::build(Query, Mutation, EmptySubscription)
        .data(touches)
        .finish();
    // Nothing here reads the database; the pool only answers /ready.
    let pool = PgPool::connect_lazy("postgres://postgres@127.0.0.1:5432/postgres").unwrap();
    SubgraphApp::bind(
        "127.0.0.1:0".parse().unwrap(),
        router("test", schema, pool, principal_secret()),
        Vec::new(),
    )
    .await
    .unwrap()
    .spawn()
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_and_changes_nothing() {
    let touches = Arc::new(Touches::default());
    let server = start(touches.clone()).await;
    let http = reqwest::Client::new();
    let url = server.graphql_url();

    for query in [
        vec![("query", "mutation { touch }")],
        vec![
            ("query", "query Read { touches } mutation Write { touch }"),
            ("operationName", "Write"),
        ],
    ] {
        let refused = http
            .get(&url)
            .header(PRINCIPAL_HEADER, signed())
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 405, "{query:?}");
        assert_eq!(refused.headers()["allow"], "POST");
        let head = http
            .head(&url)
            .header(PRINCIPAL_HEADER, signed())
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 405, "{query:?}");
    }
    assert_eq!(touches.0.load(Ordering::SeqCst), 0);

    let read: serde_json::Value = http
        .get(&url)
        .header(PRINCIPAL_HEADER, signed())
        .query(&[
            ("query", "query Read { touches } mutation Write { touch }"),
            ("operationName", "Read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["data"]["touches"], 0, "{read:#}");

    let written: serde_json::Value = http
        .post(&url)
        .header(PRINCIPAL_HEADER, signed())
        .json(&serde_json::json!({ "query": "mutation { touch }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(written["data"]["touch"], 1, "{written:#}");
    server.stop().await;
}

#[tokio::test]
async fn requests_without_a_valid_principal_are_refused_and_change_nothing() {
    let touches = Arc::new(Touches::default());
    let server = start(touches.clone()).await;
    let http = reqwest::Client::new();
    let url = server.graphql_url();
    let forged = sign(
        &Principal::issue("intruder", None, Role::CityAdmin),
        &PrincipalSecret::generate(),
    )
    .unwrap();
    let expired = sign(
        &Principal {
            issued_at: 1_000,
            expires_at: 1_060,
            ..Principal::issue("li.na", None, Role::CityAdmin)
        },
        &principal_secret(),
    )
    .unwrap();
    for (header, reason) in [
        (None, "no kexie-principal header"),
        (Some(forged.as_str()), "signature is not valid"),
        (Some(expired.as_str()), "expired"),
        (Some("kexie-actor: city-admin"), "malformed"),
    ] {
        let mut request = http
            .post(&url)
            .json(&serde_json::json!({ "query": "mutation { touch }" }));
        if let Some(header) = header {
            request = request.header(PRINCIPAL_HEADER, header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{reason}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{message}");

        let read = http
            .get(&url)
            .query(&[("query", "{ touches }")])
            .header("accept", "application/json");
        let read = match header {
            Some(header) => read.header(PRINCIPAL_HEADER, header),
            None => read,
        };
        assert_eq!(read.send().await.unwrap().status(), 401, "{reason}");
    }
    assert_eq!(touches.0.load(Ordering::SeqCst), 0);
    server.stop().await;
}

/// Checks that `response` refuses a request the way a client can rely on: `status`, a JSON
/// body of GraphQL's error shape with `code`, and a message in plain words (no Rust debug
/// text, no JSON echoed back). Returns the message.
async fn assert_refused(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.expect("the refusal is JSON");
    let errors = body["errors"].as_array().expect("an errors list");
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(errors[0]["extensions"]["code"], code, "{body:#}");
    assert!(body.get("data").is_none(), "{body:#}");
    let message = errors[0]["message"]
        .as_str()
        .expect("a message")
        .to_string();
    assert!(message.ends_with('.'), "a sentence: {message}");
    for debug in ["{", "}", "Error(", "Error {", "\\\"", "Some(", "kind:"] {
        assert!(!message.contains(debug), "{debug} in {message}");
    }
    message
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_400_bad_request_in_graphql_shape() {
    let touches = Arc::new(Touches::default());
    let server = start(touches.clone()).await;
    let http = reqwest::Client::new();
    for body in [
        "{\"query\": ",
        "query { touches }",
        "{\"query\": \"mutation { touch }\",}",
        "\u{feff}{\"query\": \"mutation { touch }\"}",
    ] {
        let response = http
            .post(server.graphql_url())
            .header(PRINCIPAL_HEADER, signed())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let message = assert_refused(response, 400, "BAD_REQUEST").await;
        assert!(message.contains("not valid JSON"), "{body}: {message}");
    }
    assert_eq!(touches.0.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_json_body_that_is_not_a_graphql_request_is_a_400_bad_request() {
    let touches = Arc::new(Touches::default());
    let server = start(touches.clone()).await;
    let http = reqwest::Client::new();
    for (body, says) in [
        (serde_json::json!({}), "`query` is missing"),
        (serde_json::json!({ "query": "" }), "`query` is missing"),
        (
            serde_json::json!({ "query": 1 }),
            "`query` must be a string",
        ),
        (
            serde_json::json!("mutation { touch }"),
            "must be a JSON object",
        ),
        (serde_json::json!(null), "must be a JSON object"),
        (
            serde_json::json!({ "query": "mutation { touch }", "variables": [1] }),
            "`variables` must be a JSON object",
        ),
        (
            serde_json::json!({ "query": "mutation { touch }", "variables": "{}" }),
            "`variables` must be a JSON object",
        ),
        (
            serde_json::json!({ "query": "mutation { touch }", "operationName": 5 }),
            "`operationName` must be a string",
        ),
        (
            serde_json::json!({ "query": "mutation { touch }", "extensions": true }),
            "`extensions` must be a JSON object",
        ),
    ] {
        let response = http
            .post(server.graphql_url())
            .header(PRINCIPAL_HEADER, signed())
            .json(&body)
            .send()
            .await
            .unwrap();
        let message = assert_refused(response, 400, "BAD_REQUEST").await;
        assert!(message.contains(says), "{body}: {message}");
    }
    assert_eq!(touches.0.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test]
async fn an_empty_body_is_a_400_bad_request() {
    let server = start(Arc::new(Touches::default())).await;
    let http = reqwest::Client::new();
    for body in ["", "  \n"] {
        let response = http
            .post(server.graphql_url())
            .header(PRINCIPAL_HEADER, signed())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let message = assert_refused(response, 400, "BAD_REQUEST").await;
        assert!(message.contains("empty"), "{message}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_batch_of_requests_is_refused_with_a_400_and_runs_nothing() {
    let touches = Arc::new(Touches::default());
    let server = start(touches.clone()).await;
    let response = reqwest::Client::new()
        .post(server.graphql_url())
        .header(PRINCIPAL_HEADER, signed())
        .json(&serde_json::json!([
            { "query": "mutation { touch }" },
            { "query": "{ touches }" },
        ]))
        .send()
        .await
        .unwrap();
    let message = assert_refused(response, 400, "BAD_REQUEST").await;
    assert!(message.contains("Batched requests"), "{message}");
    assert_eq!(touches.0.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_post_that_is_not_application_json_is_a_415_and_runs_nothing() {
    let touches = Arc::new(Touches::default());
    let server = start(touches.clone()).await;
    let http = reqwest::Client::new();
    let body = serde_json::json!({ "query": "mutation { touch }" }).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/graphql"),
    ] {
        let mut request = http
            .post(server.graphql_url())
            .header(PRINCIPAL_HEADER, signed())
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        let message = assert_refused(response, 415, "UNSUPPORTED_MEDIA_TYPE").await;
        assert!(
            message.contains("application/json"),
            "{content_type:?}: {message}"
        );
    }
    assert_eq!(touches.0.load(Ordering::SeqCst), 0);

    // Parameters and case do not matter.
    let written: serde_json::Value = http
        .post(server.graphql_url())
        .header(PRINCIPAL_HEADER, signed())
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(written["data"]["touch"], 1, "{written:#}");
    server.stop().await;
}

#[tokio::test]
async fn a_get_with_a_malformed_query_string_is_a_400_bad_request() {
    let server = start(Arc::new(Touches::default())).await;
    let http = reqwest::Client::new();
    for (query, says) in [
        (
            vec![("query", "{ touches }"), ("variables", "{\"a\": ")],
            "not valid JSON",
        ),
        (
            vec![("query", "{ touches }"), ("variables", "[1]")],
            "must be a JSON object",
        ),
        (
            vec![("query", "{ touches }"), ("extensions", "7")],
            "must be a JSON object",
        ),
        (vec![("operationName", "Read")], "`query` parameter"),
        (vec![("query", "")], "`query` parameter"),
    ] {
        let response = http
            .get(server.graphql_url())
            .header(PRINCIPAL_HEADER, signed())
            .header("accept", "application/json")
            .query(&query)
            .send()
            .await
            .unwrap();
        let message = assert_refused(response, 400, "BAD_REQUEST").await;
        assert!(message.contains(says), "{query:?}: {message}");
    }
    let read: serde_json::Value = http
        .get(server.graphql_url())
        .header(PRINCIPAL_HEADER, signed())
        .query(&[
            ("query", "query Read { touches }"),
            ("variables", "{\"n\": 1}"),
            ("operationName", "Read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["data"]["touches"], 0, "{read:#}");
    server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_in_graphql_shape() {
    let server = start(Arc::new(Touches::default())).await;
    let limit = kexie_subgraph_kit::http_request::MAX_BODY_BYTES;
    let response = reqwest::Client::new()
        .post(server.graphql_url())
        .header(PRINCIPAL_HEADER, signed())
        .header("content-type", "application/json")
        .body(vec![b' '; limit + 1])
        .send()
        .await
        .unwrap();
    assert_refused(response, 413, "PAYLOAD_TOO_LARGE").await;
    server.stop().await;
}

#[tokio::test]
async fn a_replica_behind_the_published_tree_is_not_ready() {
    let db = TestDb::new().await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, "replica")
        .await
        .unwrap();
    sqlx::query(
        "create table unit_replica_state (singleton boolean primary key, seq bigint not null)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let keys = TreeKeys::new(&db.redis_namespace());
    let schema = Schema::build(Query, Mutation, EmptySubscription).finish();
    let catch_up = TreeCatchUp::new(pool.clone(), &redis_url(), keys.clone()).unwrap();
    let server = SubgraphApp::bind(
        "127.0.0.1:0".parse().unwrap(),
        SubgraphRouter::new(schema, pool.clone(), principal_secret())
            .tree_catch_up(catch_up)
            .build(),
        Vec::new(),
    )
    .await
    .unwrap()
    .spawn();
    let ready_url = server.graphql_url().replace("/graphql", "/ready");
    let ready = || async {
        let response = reqwest::get(&ready_url).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    // Nothing published yet: nothing to wait for.
    assert_eq!(ready().await.0, 200);

    let mut redis = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(&keys.seq)
        .arg(3)
        .query_async(&mut redis)
        .await
        .unwrap();
    let (status, body) = ready().await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("change 0 of 3"), "{body}");

    sqlx::query("insert into unit_replica_state (singleton, seq) values (true, 3)")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(ready().await, (200, "ready".to_string()));
    let _: () = redis::cmd("DEL")
        .arg(&keys.seq)
        .query_async(&mut redis)
        .await
        .unwrap();
}

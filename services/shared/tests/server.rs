//! The HTTP surface of a subgraph: GraphQL over GET never changes anything, and nothing
//! runs without a principal signed by the gateway.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Object, Schema};
use sqlx::PgPool;

use kexie_shared::principal::{sign, Principal, PrincipalSecret, Role, PRINCIPAL_HEADER};
use kexie_shared::server::{router, ServerHandle, SubgraphApp};
use kexie_shared::testing::principal_secret;

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

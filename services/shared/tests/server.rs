//! The HTTP surface of a subgraph: GraphQL over GET never changes anything.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Object, Schema};
use sqlx::PgPool;

use kexie_shared::server::{router, ServerHandle, SubgraphApp};

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
        router("test", schema, pool),
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
        let refused = http.get(&url).query(&query).send().await.unwrap();
        assert_eq!(refused.status(), 405, "{query:?}");
        assert_eq!(refused.headers()["allow"], "POST");
        let head = http.head(&url).query(&query).send().await.unwrap();
        assert_eq!(head.status(), 405, "{query:?}");
    }
    assert_eq!(touches.0.load(Ordering::SeqCst), 0);

    let read: serde_json::Value = http
        .get(&url)
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

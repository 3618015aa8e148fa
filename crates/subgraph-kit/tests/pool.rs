//! The subgraphs' connection pool hands out working connections: one the server closed
//! while it sat idle (a restart, an idle timeout, an administrator) is tested on its way
//! out, found closed and replaced, so the statement that asked for it does not fail.

use std::time::Duration;

use sqlx::Connection as _;

use kexie_testkit::TestDb;

#[tokio::test]
async fn a_connection_closed_while_idle_is_replaced_before_it_is_used() {
    let db = TestDb::new().await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, "pool_check")
        .await
        .expect("connect");
    let first: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .expect("a first statement");

    // The server ends every session of the database but this one.
    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("admin");
    let closed: Vec<bool> = sqlx::query_scalar(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .expect("terminate");
    assert!(!closed.is_empty(), "the pool held no session to close");

    // Idle for longer than the pool lets a connection go untested.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let second: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .expect("the pool replaced the closed connection instead of handing it out");
    assert_ne!(first, second, "the same session cannot have survived");
}

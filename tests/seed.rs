//! `kexie seed`: one generated city across the four subgraphs.

use sqlx::PgPool;

use kexie::seed::{self, SeedArgs};
use kexie::subgraphs::Subgraph;
use kexie_testkit::{redis_url, TestDb};

fn args(reset: bool, if_empty: bool) -> SeedArgs {
    SeedArgs {
        scale: 1,
        seed: 7,
        reset,
        if_empty,
    }
}

async fn count(db: &TestDb, subgraph: Subgraph, table: &str) -> i64 {
    let pool: PgPool = subgraph.connect(&db.url).await.unwrap();
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn scale_one_is_one_city_and_seeding_again_needs_reset() {
    let db = TestDb::new().await;
    let namespace = db.redis_namespace();
    seed::run(&args(false, false), &db.url, &redis_url(), &namespace)
        .await
        .unwrap();

    let units = count(&db, Subgraph::Organizations, "unit").await;
    let districts = count(&db, Subgraph::Organizations, "unit where kind = 'DISTRICT'").await;
    let townships = count(&db, Subgraph::Organizations, "unit where kind = 'TOWNSHIP'").await;
    let workers = count(&db, Subgraph::Talent, "worker").await;
    let activities = count(&db, Subgraph::Popularization, "activity").await;
    let submissions = count(&db, Subgraph::Advice, "submission").await;
    assert_eq!(districts, 8);
    assert_eq!(townships, 150);
    assert!((700..=900).contains(&units), "{units} units");
    assert_eq!(workers, 20_000);
    assert_eq!(activities, 50_000);
    assert_eq!(submissions, 5_000);

    let refused = seed::run(&args(false, false), &db.url, &redis_url(), &namespace).await;
    let message = format!("{:#}", refused.unwrap_err());
    assert!(message.contains("--reset"), "{message}");
    seed::run(&args(false, true), &db.url, &redis_url(), &namespace)
        .await
        .unwrap();
    assert_eq!(count(&db, Subgraph::Talent, "worker").await, 20_000);

    seed::run(&args(true, false), &db.url, &redis_url(), &namespace)
        .await
        .unwrap();
    assert_eq!(count(&db, Subgraph::Talent, "worker").await, 20_000);
    assert_eq!(count(&db, Subgraph::Organizations, "unit").await, units);
}

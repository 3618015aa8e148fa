//! `kexie seed`: one generated city across the four subgraphs.

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

use kexie::seed::{self, SeedArgs};
use kexie::subgraphs::Subgraph;
use kexie_subgraph_kit::target::{TargetKey, TargetMetric};
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
    assert_eq!(districts, 9);
    assert_eq!(townships, 150);
    assert!((700..=900).contains(&units), "{units} units");
    assert_eq!(workers, 20_000);
    assert_eq!(activities, 50_000);
    assert_eq!(submissions, 5_000);

    // The work ledger reads like a real one: attainments spread around the mark, a good
    // share lagging, a few far ahead, none absurd; exemplary associations in every year.
    let organizations = Subgraph::Organizations.connect(&db.url).await.unwrap();
    let keys = kexie_seed::organizations::targets(&organizations)
        .await
        .unwrap();
    let mut actuals = HashMap::new();
    for subgraph in Subgraph::ALL {
        let pool = subgraph.connect(&db.url).await.unwrap();
        actuals.extend(subgraph.target_actuals(&pool, &keys).await.unwrap());
    }
    let values: Vec<(Uuid, i32, TargetMetric, i32)> =
        sqlx::query_as("select unit_id, year, metric, target_value from target")
            .fetch_all(&organizations)
            .await
            .unwrap();
    let mut attainments: Vec<f64> = values
        .iter()
        .map(|(unit_id, year, metric, value)| {
            let key = TargetKey {
                unit_id: *unit_id,
                year: *year,
                metric: *metric,
            };
            actuals[&key] as f64 / f64::from(*value)
        })
        .collect();
    attainments.sort_by(f64::total_cmp);
    let median = attainments[attainments.len() / 2];
    let lagging = attainments.iter().filter(|a| **a < 0.8).count();
    let far_ahead = attainments.iter().filter(|a| **a > 1.5).count();
    assert!((0.8..=1.0).contains(&median), "median attainment {median}");
    assert!(
        lagging * 100 >= attainments.len() * 15,
        "{lagging} of {} lagging",
        attainments.len()
    );
    assert!(
        far_ahead > 0 && *attainments.last().unwrap() < 3.0,
        "{attainments:?}"
    );
    // The texts' own values stay on the city's targets wherever the city's actual fits them.
    let city: Uuid = sqlx::query_scalar("select unit_id from unit where parent_id is null")
        .fetch_one(&organizations)
        .await
        .unwrap();
    let mut kept = 0;
    for (unit_id, year, metric, value) in values.iter().filter(|(unit, ..)| *unit == city) {
        let (_, seed_value) = kexie_seed::organizations::SEED_CITY_TARGETS
            .iter()
            .find(|(seeded, _)| seeded == metric)
            .unwrap();
        let key = TargetKey {
            unit_id: *unit_id,
            year: *year,
            metric: *metric,
        };
        let fits = (0.4..=2.5).contains(&(actuals[&key] as f64 / f64::from(*seed_value)));
        if fits {
            assert_eq!(value, seed_value, "{metric:?} {year}");
            kept += 1;
        }
    }
    assert!(kept > 0, "no city target keeps the texts' value");
    let exemplary_years = count(
        &db,
        Subgraph::Organizations,
        "(select distinct exemplary_year from unit where exemplary_year is not null) y",
    )
    .await;
    assert!(exemplary_years >= 10, "{exemplary_years} years");

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

//! The leadership cockpit (`/cockpit`) end to end in headless Chromium: the demo city seeded,
//! the hub running with its response cache, and `tests/cockpit/cockpit.test.mjs` driving
//! the browser as the city's leadership, a district's leadership, on a phone and from a
//! front end on another origin (CORS). Screenshots
//! and the exported workbook are kept in `target/cockpit-artifacts/`.
//!
//! `tests/cockpit/setup.sh` installs what is missing first: Debian's `chromium`, Node.js and
//! the test's npm packages (`playwright-core`, `read-excel-file`).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use uuid::Uuid;

use common::{gateway_config_for_tests, start_subgraphs};
use kexie::seed::{self, SeedArgs};
use kexie::subgraphs::Subgraph;
use kexie_contract::principal::{staff_token, Role};
use kexie_gateway::cockpit::{CockpitConfig, DemoSignIn};
use kexie_gateway::cors::CorsConfig;
use kexie_testkit::{redis_url, TestDb, STAFF_TOKEN_AUDIENCE, STAFF_TOKEN_SECRET};

fn token(subject: &str, unit: Uuid, role: Role) -> String {
    staff_token(
        STAFF_TOKEN_SECRET.as_bytes(),
        STAFF_TOKEN_AUDIENCE,
        subject,
        unit,
        role,
        Duration::from_secs(3600),
    )
    .unwrap()
}

/// The city, its districts in name order, and the first township of the first district.
async fn demo_units(db: &TestDb) -> (Uuid, Vec<(Uuid, String)>, (Uuid, String)) {
    let pool = Subgraph::Organizations.connect(&db.url).await.unwrap();
    let city: Uuid = sqlx::query_scalar("select unit_id from unit where parent_id is null")
        .fetch_one(&pool)
        .await
        .unwrap();
    let districts: Vec<(Uuid, String)> = sqlx::query_as(
        "select unit_id, name from unit where parent_id = $1 and kind = 'DISTRICT' order by name",
    )
    .bind(city)
    .fetch_all(&pool)
    .await
    .unwrap();
    let township: (Uuid, String) = sqlx::query_as(
        "select unit_id, name from unit where parent_id = $1 and kind = 'TOWNSHIP' order by name limit 1",
    )
    .bind(districts[0].0)
    .fetch_one(&pool)
    .await
    .unwrap();
    (city, districts, township)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaders_read_their_subtree_in_the_cockpit() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let setup = Command::new(root.join("tests/cockpit/setup.sh"))
        .status()
        .expect("tests/cockpit/setup.sh runs");
    assert!(setup.success(), "tests/cockpit/setup.sh failed");

    let db = TestDb::new().await;
    let namespace = db.redis_namespace();
    let args = SeedArgs {
        scale: 1,
        seed: 2026,
        reset: false,
        if_empty: false,
    };
    seed::run(&args, &db.url, &redis_url(), &namespace)
        .await
        .expect("the demo city is seeded");
    let (city, districts, township) = demo_units(&db).await;
    let city_token = token("cockpit-city-leader", city, Role::Leadership);
    let district_token = token("cockpit-district-leader", districts[0].0, Role::Leadership);

    // A front end on another origin (served by the browser test), allowed by CORS.
    let front_end_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let servers = start_subgraphs(&db, &redis_url()).await;
    let mut config = gateway_config_for_tests(&servers)
        .with_response_cache(&redis_url(), &namespace)
        .with_cockpit(CockpitConfig {
            maps_dir: None,
            demo_sign_ins: vec![
                DemoSignIn {
                    label: "市科协领导".into(),
                    unit_name: "市科协".into(),
                    token: city_token.clone(),
                },
                DemoSignIn {
                    label: "区县科协领导".into(),
                    unit_name: districts[0].1.clone(),
                    token: district_token.clone(),
                },
                DemoSignIn {
                    label: "乡镇科协工作人员".into(),
                    unit_name: township.1.clone(),
                    token: token("cockpit-township-staff", township.0, Role::UnitStaff),
                },
            ],
        });
    config.cors = CorsConfig {
        origins: vec![format!("http://127.0.0.1:{front_end_port}")
            .parse()
            .unwrap()],
        ..CorsConfig::default()
    };
    let gateway = kexie_gateway::build(config).await.unwrap().spawn();
    let origin = gateway
        .graphql_url()
        .trim_end_matches("/graphql")
        .to_string();

    let artifacts = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("cockpit-artifacts");
    let browser = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("tests/cockpit/cockpit.test.mjs")
            .current_dir(&root)
            .env("COCKPIT_URL", &origin)
            .env("CITY_TOKEN", &city_token)
            .env("DISTRICT_TOKEN", &district_token)
            .env("OTHER_DISTRICT_ID", districts[1].0.to_string())
            .env("ARTIFACTS", &artifacts)
            .env("FRONT_END_PORT", front_end_port.to_string())
            .status()
            .expect("node runs")
    })
    .await
    .unwrap();
    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
    assert!(
        browser.success(),
        "the browser test failed (its output is above)"
    );
}

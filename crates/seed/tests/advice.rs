//! The demo-data generator: volumes, a plausible funnel, whole histories, determinism.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::{DemoCity, DemoUnit, DemoWorker};
use kexie_testkit::TestDb;

/// A small city built by hand, as organizations and talent would have generated it.
fn small_city(seed: u64) -> DemoCity {
    let mut city = DemoCity::new(seed, 1);
    let founded = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
    let mut unit = |parent: Option<Uuid>, kind: &'static str, name: &str, code: Option<&str>| {
        // Fixed IDs, so two cities of the same seed are the same city.
        let id =
            Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + city.units.len() as u128);
        city.units.push(DemoUnit {
            id,
            parent_id: parent,
            kind,
            name: name.to_string(),
            division_code: code.map(str::to_string),
            founded_on: founded,
        });
        id
    };
    let root = unit(None, "CITY", "绵阳市科学技术协会", Some("510700"));
    let fucheng = unit(Some(root), "DISTRICT", "涪城区科学技术协会", Some("510703"));
    let santai = unit(Some(root), "DISTRICT", "三台县科学技术协会", Some("510722"));
    let township = unit(Some(fucheng), "TOWNSHIP", "青义镇科协", Some("510703101"));
    let rural = unit(Some(santai), "RURAL_TECH", "三台县蚕桑农技协", None);
    let enterprise = unit(
        Some(fucheng),
        "ENTERPRISE",
        "绵阳电子科技有限公司科协",
        None,
    );
    let society = unit(Some(root), "SOCIETY", "绵阳市医学会", None);
    let university = unit(Some(root), "UNIVERSITY", "西南科技大学科协", None);
    let homes = [
        root, fucheng, santai, township, rural, enterprise, society, university,
    ];
    city.workers = (0..80u128)
        .map(|index| DemoWorker {
            id: Uuid::from_u128(0x0191_0000_0000_7000_8000_0000_0000_0000 + index),
            home_unit_id: homes[index as usize % homes.len()],
            name: format!("科技工作者{index}"),
        })
        .collect();
    city
}

async fn seeded(seed: u64) -> (TestDb, PgPool) {
    let db = TestDb::new().await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_advice::NAME)
        .await
        .unwrap();
    kexie_advice::SUBGRAPH.migrate(&pool).await.unwrap();
    assert!(kexie_seed::advice::is_empty(&pool).await.unwrap());
    let mut city = small_city(seed);
    kexie_seed::advice::seed(&pool, &mut city).await.unwrap();
    (db, pool)
}

async fn checksum(pool: &PgPool) -> String {
    let mut sums = String::new();
    for (table, order) in [
        ("campaign", "campaign_id"),
        ("submission", "submission_id"),
        ("submission_author", "submission_id, position"),
        ("research_topic", "research_topic_id"),
        ("research_topic_member", "research_topic_id, position"),
        ("status_change", "status_change_id"),
    ] {
        let sum: String = sqlx::query_scalar(&format!(
            // Without the writing transaction's ID, which differs between databases.
            "select coalesce(md5(string_agg((to_jsonb(t) - 'changed_xid')::text, '|'
                                            order by {order})), '') from {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        sums.push_str(&sum);
    }
    sums
}

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn the_demo_data_is_deterministic_for_a_seed_and_differs_for_another() {
    let (_first_db, first) = seeded(2026).await;
    let (_second_db, second) = seeded(2026).await;
    let (_other_db, other) = seeded(7).await;
    let sum = checksum(&first).await;
    assert_eq!(sum, checksum(&second).await);
    assert_ne!(sum, checksum(&other).await);
}

#[tokio::test]
async fn the_demo_data_has_the_expected_volumes_a_plausible_funnel_and_whole_histories() {
    let (_db, pool) = seeded(2026).await;
    assert!(!kexie_seed::advice::is_empty(&pool).await.unwrap());
    // The city's call for topics and its "献一计" each year, two 卡脖子 collections, and
    // each of the two districts' "献一计" in two of the three years.
    assert_eq!(
        scalar(&pool, "select count(*) from campaign").await,
        3 + 3 + 2 + 2 * 2
    );
    assert_eq!(
        scalar(&pool, "select count(*) from submission").await,
        5_000
    );
    assert_eq!(
        scalar(&pool, "select count(*) from research_topic").await,
        180
    );
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from research_topic where year = 2025"
        )
        .await,
        60
    );

    let share = |status: &'static str| {
        let pool = pool.clone();
        async move {
            scalar(
                &pool,
                &format!("select count(*) from submission where status = '{status}'"),
            )
            .await as f64
                / 5_000.0
        }
    };
    let forwarded = share("FORWARDED").await;
    let instructed = share("INSTRUCTED").await;
    let adopted = share("ADOPTED").await;
    assert!((0.12..0.18).contains(&forwarded), "FORWARDED {forwarded}");
    assert!(
        (0.035..0.065).contains(&instructed),
        "INSTRUCTED {instructed}"
    );
    assert!((0.02..0.04).contains(&adopted), "ADOPTED {adopted}");
    let common = share("SUBMITTED").await + share("UNDER_REVIEW").await + share("CLOSED").await;
    assert!(
        common > 0.5,
        "most are SUBMITTED, UNDER_REVIEW or CLOSED: {common}"
    );

    for (what, sql) in [
        ("authors outside 1..=3", "select count(*) from submission s where (select count(*) from submission_author a where a.submission_id = s.submission_id) not between 1 and 3"),
        ("campaign submissions without a campaign", "select count(*) from submission where channel = 'CAMPAIGN' and campaign_id is null"),
        ("campaign submissions outside the campaign's window", "select count(*) from submission s join campaign c using (campaign_id) where (s.created_at at time zone 'Asia/Shanghai')::date not between c.opens_on and c.closes_on"),
        ("instructed without an instruction", "select count(*) from submission where status in ('INSTRUCTED', 'ADOPTED') and instructed_on is null"),
        ("submitted without a day", "select count(*) from submission where status <> 'DRAFT' and submitted_on is null"),
        ("histories not ending at the status", "select count(*) from submission s where s.status <> (select to_status from status_change c where c.entity_id = s.submission_id order by changed_at desc, status_change_id desc limit 1)"),
        ("histories not starting with creation", "select count(*) from submission s where (select from_status from status_change c where c.entity_id = s.submission_id order by changed_at, status_change_id limit 1) is not null"),
        ("versions not counting the steps", "select count(*) from submission s where s.version <> (select count(*) from status_change c where c.entity_id = s.submission_id)"),
        ("steps out of order", "select count(*) from (select changed_at < lag(changed_at) over (partition by entity_id order by status_change_id) as backwards from status_change) steps where backwards"),
        ("records outside the history", "select count(*) from status_change where changed_at < '2023-12-01' or changed_at > '2027-01-01'"),
        ("authors who are not the city's workers", "select count(*) from submission_author where worker_id::text not like '01910000-%'"),
        ("awards on unconcluded topics", "select count(*) from research_topic where award is not null and status <> 'CONCLUDED'"),
        ("concluded topics without a report", "select count(*) from research_topic where status = 'CONCLUDED' and report_title is null"),
        ("topics without members", "select count(*) from research_topic t where not exists (select 1 from research_topic_member m where m.research_topic_id = t.research_topic_id)"),
    ] {
        assert_eq!(scalar(&pool, sql).await, 0, "{what}");
    }
    assert!(
        scalar(
            &pool,
            "select count(*) from research_topic where award is not null"
        )
        .await
            > 10
    );
    assert!(
        scalar(&pool, "select count(distinct category) from submission").await == 8,
        "every category occurs"
    );

    kexie_seed::advice::reset(&pool).await.unwrap();
    assert!(kexie_seed::advice::is_empty(&pool).await.unwrap());
    assert_eq!(scalar(&pool, "select count(*) from status_change").await, 0);
}

#[tokio::test]
async fn the_generator_refuses_a_city_without_workers() {
    let db = TestDb::new().await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_advice::NAME)
        .await
        .unwrap();
    kexie_advice::SUBGRAPH.migrate(&pool).await.unwrap();
    let mut city = small_city(1);
    city.workers.clear();
    assert!(kexie_seed::advice::seed(&pool, &mut city).await.is_err());
    assert!(kexie_seed::advice::is_empty(&pool).await.unwrap());
}

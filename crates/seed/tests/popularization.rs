//! The demo-data generator: deterministic, at the volumes and with the distributions the
//! work reports describe.

use std::time::Instant;

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::{DemoCity, DemoUnit};
use kexie_seed::popularization as seed;
use kexie_testkit::TestDb;

/// A city shaped like the one organizations generates at scale 1: `districts` districts
/// with `townships` townships each, most townships with a rural professional technical
/// association and an enterprise association, a dozen enterprises and ten societies per
/// district, and the city's own societies, universities and retired scientists.
fn city(seed: u64, districts: usize, townships: usize) -> DemoCity {
    let mut city = DemoCity::new(seed, 1);
    let founded_on = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let mut add = |parent: Option<Uuid>, kind: &'static str, name: String, code: Option<String>| {
        let unit = DemoUnit {
            id: Uuid::now_v7(),
            parent_id: parent,
            kind,
            name,
            division_code: code,
            founded_on,
        };
        let id = unit.id;
        city.units.push(unit);
        id
    };
    const DISTRICTS: [&str; 8] = [
        "涪城区",
        "游仙区",
        "安州区",
        "三台县",
        "盐亭县",
        "梓潼县",
        "北川羌族自治县",
        "平武县",
    ];
    const PLACES: [&str; 6] = ["青义", "石马", "城南", "柏林", "永兴", "新桥"];
    const SUFFIXES: [&str; 4] = ["镇", "镇", "街道", "乡"];
    let root = add(
        None,
        "CITY",
        "绵阳市科学技术协会".into(),
        Some("510700".into()),
    );
    for n in 0..20 {
        add(Some(root), "SOCIETY", format!("绵阳市第{n}学会"), None);
    }
    for n in 0..4 {
        add(Some(root), "UNIVERSITY", format!("绵阳第{n}大学科协"), None);
    }
    add(Some(root), "SENIOR", "绵阳市老科技工作者协会".into(), None);
    for d in 0..districts {
        let district = DISTRICTS[d % DISTRICTS.len()];
        let code = format!("5107{:02}", d + 3);
        let district_id = add(
            Some(root),
            "DISTRICT",
            format!("{district}科学技术协会"),
            Some(code.clone()),
        );
        add(
            Some(district_id),
            "SENIOR",
            format!("{district}老科协"),
            None,
        );
        for n in 0..10 {
            add(
                Some(district_id),
                "SOCIETY",
                format!("{district}第{n}学会"),
                None,
            );
        }
        for n in 0..12 {
            add(
                Some(district_id),
                "ENTERPRISE",
                format!("绵阳{district}{n}股份有限公司科协"),
                None,
            );
        }
        for t in 0..townships {
            let place = format!("{}{}", PLACES[t % PLACES.len()], t);
            let suffix = SUFFIXES[t % SUFFIXES.len()];
            let township_id = add(
                Some(district_id),
                "TOWNSHIP",
                format!("{place}{suffix}科协"),
                Some(format!("{code}{:03}", 100 + t)),
            );
            if t % 7 != 0 {
                add(
                    Some(township_id),
                    "RURAL_TECH",
                    format!("{place}猕猴桃专业技术协会"),
                    None,
                );
            }
            add(
                Some(township_id),
                "ENTERPRISE",
                format!("四川{place}电子科技有限公司科协"),
                None,
            );
        }
    }
    city
}

/// A small city, quick to generate into.
fn small_city(seed: u64) -> DemoCity {
    city(seed, 3, 4)
}

async fn seeded(city: &DemoCity) -> (TestDb, PgPool) {
    let db = TestDb::new().await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_popularization::NAME)
        .await
        .unwrap();
    kexie_popularization::SUBGRAPH.migrate(&pool).await.unwrap();
    assert!(seed::is_empty(&pool).await.unwrap());
    let started = Instant::now();
    seed::seed(&pool, &mut city.clone()).await.unwrap();
    eprintln!("seeded in {:.1}s", started.elapsed().as_secs_f64());
    assert!(!seed::is_empty(&pool).await.unwrap());
    (db, pool)
}

/// A digest of every row of a table, in key order.
async fn checksum(pool: &PgPool, table: &str, key: &str) -> String {
    sqlx::query_scalar(&format!(
        "select md5(coalesce(string_agg((to_jsonb(t) - 'changed_xid')::text, '|' order by {key}), ''))
         from {table} t"
    ))
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn scalar<T>(pool: &PgPool, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_rows_and_reset_empties_everything() {
    let city = small_city(2026);
    let (_first_db, first) = seeded(&city).await;
    let (_second_db, second) = seeded(&city).await;
    for (table, key) in [
        ("venue", "venue_id"),
        ("activity", "activity_id"),
        ("status_change", "status_change_id"),
    ] {
        assert_eq!(
            checksum(&first, table, key).await,
            checksum(&second, table, key).await,
            "{table} differs between two runs of the same seed"
        );
    }

    let (_other_db, other) = seeded(&small_city(7)).await;
    assert_ne!(
        checksum(&first, "activity", "activity_id").await,
        checksum(&other, "activity", "activity_id").await
    );

    seed::reset(&first).await.unwrap();
    assert!(seed::is_empty(&first).await.unwrap());
    for table in [
        "venue",
        "activity",
        "status_change",
        "idempotency_key",
        "unit_replica",
    ] {
        let rows: i64 = scalar(&first, &format!("select count(*) from {table}")).await;
        assert_eq!(rows, 0, "{table}");
    }
}

#[tokio::test]
async fn a_seeded_city_has_the_volumes_and_distributions_the_reports_describe() {
    let city = city(2026, 8, 19);
    let (_db, pool) = seeded(&city).await;

    let activities: i64 = scalar(&pool, "select count(*) from activity").await;
    assert_eq!(activities, 50_000);
    // About 500: 4 city venues, 5–6 in each district, up to 3 per township and one per
    // rural association, a few in enterprises and universities.
    let venues: i64 = scalar(&pool, "select count(*) from venue").await;
    assert!((400..=600).contains(&venues), "{venues} venues");
    let museums: i64 = scalar(
        &pool,
        "select count(*) from venue where kind = 'SCIENCE_MUSEUM'",
    )
    .await;
    assert!(museums >= 16, "{museums} science museums");
    // Some county museums are still being planned or built ("力争建成6家县级科技馆").
    let unfinished: i64 = scalar(
        &pool,
        "select count(*) from venue where kind = 'SCIENCE_MUSEUM' and status in ('PLANNED', 'UNDER_CONSTRUCTION')",
    )
    .await;
    assert!(
        unfinished >= 1,
        "{unfinished} museums planned or being built"
    );
    let kinds: i64 = scalar(&pool, "select count(distinct kind) from venue").await;
    assert_eq!(kinds, 8, "every kind of venue");

    // Every record's organizer or owner is a unit of the city.
    let ids: Vec<Uuid> = city.units.iter().map(|unit| unit.id).collect();
    let strangers: i64 = sqlx::query_scalar(
        "select (select count(*) from activity where organizer_unit_id <> all($1))
              + (select count(*) from venue where owner_unit_id <> all($1))",
    )
    .bind(&ids)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(strangers, 0);

    // Dates within the history; 全国科普日 in September; 科技之冬 in winter.
    let outside: i64 = scalar(
        &pool,
        "select count(*) from activity where starts_on < '2024-01-01' or ends_on > '2026-12-31' or ends_on < starts_on",
    )
    .await;
    assert_eq!(outside, 0);
    let september: f64 = scalar(
        &pool,
        "select avg((extract(month from starts_on) = 9)::int)::float8 from activity where kind = 'SCIENCE_DAY'",
    )
    .await;
    assert!(september > 0.85, "{september}");
    let winter: f64 = scalar(
        &pool,
        "select avg((extract(month from starts_on) in (11, 12, 1, 2))::int)::float8 from activity where kind = 'TRAINING'",
    )
    .await;
    assert!(winter > 0.6, "{winter}");

    // Loudspeakers are a township (and village) matter.
    let unit_kinds: Vec<(Uuid, &str)> =
        city.units.iter().map(|unit| (unit.id, unit.kind)).collect();
    let broadcasters: Vec<Uuid> = sqlx::query_scalar(
        "select distinct organizer_unit_id from activity where kind = 'BROADCAST'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for organizer in broadcasters {
        let kind = unit_kinds
            .iter()
            .find(|(id, _)| *id == organizer)
            .map(|(_, kind)| *kind)
            .unwrap();
        assert!(
            matches!(kind, "TOWNSHIP" | "DISTRICT" | "RURAL_TECH"),
            "a {kind} broadcasts"
        );
    }

    // Youth and farmers are the largest audiences.
    let audiences: Vec<(String, i64)> = sqlx::query_as(
        "select audience, count(*) from activity, unnest(audiences) as audience
         group by audience order by count(*) desc, audience",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let top: Vec<&str> = audiences
        .iter()
        .take(2)
        .map(|(audience, _)| audience.as_str())
        .collect();
    assert!(
        top.contains(&"YOUTH") && top.contains(&"FARMERS"),
        "{audiences:?}"
    );
    assert_eq!(audiences.len(), 6);

    let co_organized: f64 = scalar(
        &pool,
        "select avg((cardinality(partner_bureaus) > 0)::int)::float8 from activity",
    )
    .await;
    assert!((0.27..=0.33).contains(&co_organized), "{co_organized}");

    // Past activities were held, a few cancelled; future ones are planned.
    let as_of = seed::as_of();
    let (held, cancelled, planned_past): (i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where status = 'HELD'), count(*) filter (where status = 'CANCELLED'),
                count(*) filter (where status = 'PLANNED')
         from activity where ends_on < $1",
    )
    .bind(as_of)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(planned_past, 0);
    assert!(
        cancelled > 0 && cancelled * 10 < held,
        "{held} held, {cancelled} cancelled"
    );
    let decided_future: i64 = sqlx::query_scalar(
        "select count(*) from activity where starts_on > $1 and status <> 'PLANNED'",
    )
    .bind(as_of)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(decided_future, 0);

    let (fewest, most): (i32, i32) = scalar_pair(
        &pool,
        "select min(participants), max(participants) from activity where mode <> 'ONLINE'",
    )
    .await;
    assert!(fewest >= 20 && most <= 2_000, "{fewest}..{most}");

    // Activities are held only in venues that were open at the time.
    let misplaced: i64 = scalar(
        &pool,
        "select count(*) from activity a join venue v using (venue_id)
         where v.opened_on is null or v.opened_on > a.starts_on",
    )
    .await;
    assert_eq!(misplaced, 0);
    let at_venues: i64 = scalar(
        &pool,
        "select count(*) from activity where venue_id is not null",
    )
    .await;
    assert!(at_venues > 5_000, "{at_venues}");

    // Every record has the history its status implies, and its version counts the steps.
    let inconsistent: i64 = scalar(
        &pool,
        "select count(*) from (
             select a.activity_id as id, a.version, a.status from activity a
             union all select v.venue_id, v.version, v.status from venue v) r
         where r.version <> (select count(*) from status_change s where s.entity_id = r.id)
            or r.status <> (select s.to_status from status_change s where s.entity_id = r.id
                            order by s.changed_at desc, s.status_change_id desc limit 1)",
    )
    .await;
    assert_eq!(inconsistent, 0);
}

async fn scalar_pair(pool: &PgPool, sql: &str) -> (i32, i32) {
    sqlx::query_as(sql).fetch_one(pool).await.unwrap()
}

//! The demo-data generator: volumes and shares at scale 1, determinism, reset.

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::{DemoCity, DemoUnit};
use kexie_testkit::{ledger_differences, TestDb};

/// A city shaped like the one organizations generates, smaller: two districts with
/// townships, rural technical associations, enterprises, societies and a retired
/// scientists' association, and a university and societies under the city.
fn demo_city(seed: u64) -> DemoCity {
    let mut next = 0u128;
    let mut id = || {
        next += 1;
        Uuid::from_u128(0x0180_0000_0000_7000_8000_0000_0000_0000 + next)
    };
    let founded = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let mut units = Vec::new();
    let mut unit = |id: Uuid, parent: Option<Uuid>, kind: &'static str, name: String| {
        units.push(DemoUnit {
            id,
            parent_id: parent,
            kind,
            name,
            division_code: None,
            founded_on: founded,
        });
        id
    };
    let city = unit(id(), None, "CITY", "绵阳市科学技术协会".into());
    unit(id(), Some(city), "UNIVERSITY", "西南科技大学科协".into());
    unit(id(), Some(city), "SOCIETY", "绵阳市医学会".into());
    unit(id(), Some(city), "SOCIETY", "绵阳市农学会".into());
    unit(id(), Some(city), "SENIOR", "绵阳市老科技工作者协会".into());
    for (district_name, townships) in [
        ("涪城区", ["青义镇", "丰谷镇", "杨家镇"]),
        ("游仙区", ["新桥镇", "魏城镇", "沉抗镇"]),
    ] {
        let district = unit(
            id(),
            Some(city),
            "DISTRICT",
            format!("{district_name}科学技术协会"),
        );
        unit(
            id(),
            Some(district),
            "SOCIETY",
            format!("{district_name}计算机学会"),
        );
        unit(
            id(),
            Some(district),
            "SENIOR",
            format!("{district_name}老科协"),
        );
        unit(
            id(),
            Some(district),
            "ENTERPRISE",
            "绵阳金松电子科技股份有限公司科协".into(),
        );
        for township in townships {
            let township_id = unit(id(), Some(district), "TOWNSHIP", format!("{township}科协"));
            unit(
                id(),
                Some(township_id),
                "RURAL_TECH",
                format!("{}猕猴桃专业技术协会", &township[..6]),
            );
            unit(
                id(),
                Some(township_id),
                "ENTERPRISE",
                format!("四川{}食品有限公司科协", &township[..6]),
            );
        }
    }
    let mut city_data = DemoCity::new(seed, 1);
    city_data.units = units;
    city_data
}

async fn fresh_pool(db: &TestDb) -> PgPool {
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_talent::NAME)
        .await
        .unwrap();
    kexie_talent::SUBGRAPH.migrate(&pool).await.unwrap();
    pool
}

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A digest of everything the generator writes.
async fn checksum(pool: &PgPool) -> String {
    let mut digests = Vec::new();
    for table in [
        "worker",
        "honor",
        "nomination",
        "workstation",
        "workstation_resident",
        "status_change",
    ] {
        let digest: Option<String> = sqlx::query_scalar(&format!(
            "select md5(string_agg((to_jsonb(x) - 'changed_xid')::text, '|'
                order by (to_jsonb(x) - 'changed_xid')::text)) from {table} x"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        digests.push(digest.unwrap_or_default());
    }
    digests.join(",")
}

#[tokio::test]
async fn the_seeder_fills_a_city_with_the_volumes_and_shares_the_texts_describe() {
    let db = TestDb::new().await;
    let pool = fresh_pool(&db).await;
    assert!(kexie_seed::talent::is_empty(&pool).await.unwrap());
    let mut city = demo_city(7);
    let kinds: HashMap<Uuid, &str> = city.units.iter().map(|unit| (unit.id, unit.kind)).collect();
    let started = Instant::now();
    kexie_seed::talent::seed(&pool, &mut city).await.unwrap();
    let took = started.elapsed();
    assert!(took.as_secs() < 30, "seeding took {took:?}");
    assert!(!kexie_seed::talent::is_empty(&pool).await.unwrap());

    // Workers: 20,000, handed on to the subgraphs seeded next.
    assert_eq!(scalar(&pool, "select count(*) from worker").await, 20_000);
    assert_eq!(city.workers.len(), 20_000);
    let stored: i64 = sqlx::query_scalar("select count(*) from worker where worker_id = any($1)")
        .bind(
            city.workers
                .iter()
                .map(|worker| worker.id)
                .collect::<Vec<_>>(),
        )
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 20_000);
    assert!(city
        .workers
        .iter()
        .all(|worker| kinds.contains_key(&worker.home_unit_id)));

    let share = |count: i64| count as f64 / 20_000.0;
    let volunteers = share(scalar(&pool, "select count(*) from worker where is_volunteer").await);
    assert!(
        (0.07..=0.14).contains(&volunteers),
        "volunteers {volunteers}"
    );
    let young = share(scalar(&pool, "select count(*) from worker where is_young_talent").await);
    assert!((0.11..=0.19).contains(&young), "young talent {young}");
    assert_eq!(
        scalar(&pool, "select count(*) from worker where is_academician").await,
        5
    );
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from worker where birth_year < 1950 or birth_year > 2000"
        )
        .await,
        0
    );
    let retired_born: Vec<i32> =
        sqlx::query_scalar("select birth_year from worker where home_unit_id = any($1)")
            .bind(
                city.units
                    .iter()
                    .filter(|unit| unit.kind == "SENIOR")
                    .map(|unit| unit.id)
                    .collect::<Vec<_>>(),
            )
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(!retired_born.is_empty() && retired_born.iter().all(|year| *year <= 1965));

    // Rural experts live mostly in rural technical associations and townships.
    let rural: Vec<(Uuid, i64)> = sqlx::query_as(
        "select home_unit_id, count(*) from worker where is_rural_expert group by home_unit_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let total: i64 = rural.iter().map(|(_, count)| count).sum();
    let rural_places: i64 = rural
        .iter()
        .filter(|(unit, _)| matches!(kinds[unit], "RURAL_TECH" | "TOWNSHIP"))
        .map(|(_, count)| count)
        .sum();
    assert!(
        total > 500 && rural_places as f64 / total as f64 > 0.85,
        "{rural_places}/{total}"
    );

    // Titles form a pyramid.
    let titles: Vec<i64> = sqlx::query_scalar(
        "select count(*) from worker w join unnest(array['JUNIOR', 'INTERMEDIATE', 'ASSOCIATE_SENIOR', 'SENIOR'])
             with ordinality as t(title, rank) on w.title = t.title
         group by t.rank order by t.rank",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        titles.windows(2).all(|pair| pair[0] > pair[1]),
        "{titles:?}"
    );

    // Most workers are in base organizations and townships.
    let administrative: i64 =
        sqlx::query_scalar("select count(*) from worker where home_unit_id = any($1)")
            .bind(
                city.units
                    .iter()
                    .filter(|unit| matches!(unit.kind, "CITY" | "DISTRICT"))
                    .map(|unit| unit.id)
                    .collect::<Vec<_>>(),
            )
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(share(administrative) < 0.05, "{administrative}");

    // Honors: about 2,500, mostly city and district ones.
    let honors = scalar(&pool, "select count(*) from honor").await;
    assert!((2_300..=2_500).contains(&honors), "{honors} honors");
    let local = scalar(
        &pool,
        "select count(*) from honor where level in ('CITY', 'DISTRICT')",
    )
    .await;
    assert!(local as f64 / honors as f64 > 0.65, "{local}/{honors}");

    // Nominations: about 1,200 over three years, the earlier ones decided, this year's open.
    let nominations = scalar(&pool, "select count(*) from nomination").await;
    assert!(
        (1_100..=1_200).contains(&nominations),
        "{nominations} nominations"
    );
    let by_year: Vec<(i32, i64, i64)> = sqlx::query_as(
        "select year, count(*), count(*) filter (where status in ('NOMINATED', 'SHORTLISTED'))
         from nomination group by year order by year",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        by_year.iter().map(|row| row.0).collect::<Vec<_>>(),
        [2024, 2025, 2026]
    );
    for (year, count, open) in &by_year {
        let open = *open as f64 / *count as f64;
        if *year < 2026 {
            assert!(open < 0.05, "{year}: {open} still open");
        } else {
            assert!(open > 0.6, "{year}: only {open} open");
        }
    }
    // Every award created its honor, linked both ways; every step is in the history.
    assert_eq!(
        scalar(&pool, "select count(*) from nomination n join honor h on h.honor_id = n.honor_id and h.nomination_id = n.nomination_id where n.status = 'AWARDED'").await,
        scalar(&pool, "select count(*) from nomination where status = 'AWARDED'").await,
    );
    assert_eq!(
        scalar(&pool, "select count(*) from nomination n where version <> (select count(*) from status_change s where s.entity_id = n.nomination_id)").await,
        0
    );

    // Workstations: about 150, some 40 provincially certified, one to five residents each.
    let workstations = scalar(&pool, "select count(*) from workstation").await;
    assert!(
        (130..=150).contains(&workstations),
        "{workstations} workstations"
    );
    let provincial = scalar(
        &pool,
        "select count(*) from workstation where certification = 'PROVINCIAL'",
    )
    .await;
    assert!(
        (25..=60).contains(&provincial),
        "{provincial} provincially certified"
    );
    assert_eq!(
        scalar(&pool, "select count(*) from workstation s where (select count(*) from workstation_resident r where r.workstation_id = s.workstation_id) not between 1 and 5").await,
        0
    );
    assert_eq!(
        scalar(&pool, "select count(*) from workstation s where version <> (select count(*) from status_change c where c.entity_id = s.workstation_id)").await,
        0
    );
    // Newest first by ID is newest first by date.
    assert_eq!(
        scalar(&pool, "select count(*) from (select created_at, lag(created_at) over (order by worker_id) as before from worker) w where created_at < before").await,
        0
    );
}

#[tokio::test]
async fn the_same_seed_generates_the_same_rows_and_another_seed_others() {
    let first = TestDb::new().await;
    let second = TestDb::new().await;
    let third = TestDb::new().await;
    let (a, b, c) = (
        fresh_pool(&first).await,
        fresh_pool(&second).await,
        fresh_pool(&third).await,
    );
    kexie_seed::talent::seed(&a, &mut demo_city(2026))
        .await
        .unwrap();
    kexie_seed::talent::seed(&b, &mut demo_city(2026))
        .await
        .unwrap();
    kexie_seed::talent::seed(&c, &mut demo_city(2027))
        .await
        .unwrap();
    let (sum_a, sum_b, sum_c) = (checksum(&a).await, checksum(&b).await, checksum(&c).await);
    assert_eq!(sum_a, sum_b);
    assert_ne!(sum_a, sum_c);
}

#[tokio::test]
async fn reset_empties_every_talent_table_and_seeding_needs_the_unit_tree() {
    let db = TestDb::new().await;
    let pool = fresh_pool(&db).await;
    assert!(kexie_seed::talent::seed(&pool, &mut DemoCity::new(1, 1))
        .await
        .is_err());
    assert!(kexie_seed::talent::is_empty(&pool).await.unwrap());
    kexie_seed::talent::seed(&pool, &mut demo_city(1))
        .await
        .unwrap();
    sqlx::query("insert into unit_replica_state (singleton, seq) values (true, 3)")
        .execute(&pool)
        .await
        .unwrap();
    kexie_seed::talent::reset(&pool).await.unwrap();
    assert!(kexie_seed::talent::is_empty(&pool).await.unwrap());
    for table in [
        "worker",
        "honor",
        "nomination",
        "workstation",
        "workstation_resident",
        "status_change",
        "idempotency_key",
        "unit_replica",
        "unit_replica_state",
        "figure_contribution",
        "figure_ledger",
    ] {
        assert_eq!(
            scalar(&pool, &format!("select count(*) from {table}")).await,
            0,
            "{table}"
        );
    }
}

/// The seeder writes without the ledger's triggers and builds the ledger once at the end, on
/// the tree as organizations publishes it: the ledger must then be the one the records and
/// the tree make, and later writes keep it so.
#[tokio::test]
async fn seeding_builds_the_figure_ledger_on_the_tree_and_writes_keep_it() {
    let db = TestDb::new().await;
    let pool = fresh_pool(&db).await;
    let mut city = demo_city(5);
    kexie_seed::talent::seed(&pool, &mut city).await.unwrap();
    let entities = "select figure_entities()";
    assert_eq!(
        ledger_differences(&pool, entities).await,
        Vec::<String>::new()
    );
    let root = city.units[0].id;
    let workers_in_city = scalar(
        &pool,
        &format!(
            "select coalesce(sum(delta), 0)::bigint from figure_ledger
             where unit_id = '{root}' and grain = 'Y' and figure = 'WORKERS'"
        ),
    )
    .await;
    assert_eq!(
        workers_in_city,
        scalar(
            &pool,
            "select count(*) from worker where archived_at is null"
        )
        .await,
        "the city's row holds every worker of its subtree"
    );
    sqlx::query("update worker set archived_at = now(), archived_by = 't' where worker_id in (select worker_id from worker limit 5)")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        ledger_differences(&pool, entities).await,
        Vec::<String>::new()
    );
}

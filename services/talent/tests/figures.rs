//! Talent figures and the target metric talent measures, over a generated city: every
//! figure must equal what an independent SQL count over the raw tables says.

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::{DemoCity, DemoUnit};
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};
use kexie_testkit::{redis_url, GraphqlClient, TestDb};

const UNKNOWN_ID: &str = "0190b6a0-0000-7000-8000-000000000000";

struct City {
    _db: TestDb,
    _server: ServerHandle,
    client: GraphqlClient,
    pool: PgPool,
    city: Uuid,
    district: Uuid,
    township: Uuid,
}

/// A city shaped like the generated one, smaller: a university, societies and a retired
/// scientists' association under the city; two districts, each with a society, a retired
/// scientists' association, an enterprise and three townships with their rural technical
/// and enterprise associations.
fn demo_units() -> Vec<ReplicatedUnit> {
    let mut units: Vec<ReplicatedUnit> = Vec::new();
    let mut unit = |parent: Option<usize>, kind: &str, name: String| {
        let id = Uuid::now_v7();
        let (parent_id, parent_path) = match parent {
            Some(parent) => (Some(units[parent].id), units[parent].path.clone()),
            None => (None, "/".to_string()),
        };
        units.push(ReplicatedUnit {
            id,
            parent_id,
            path: format!("{parent_path}{id}/"),
            kind: kind.to_string(),
            status: "ACTIVE".to_string(),
            name,
            division_code: None,
        });
        units.len() - 1
    };
    let city = unit(None, "CITY", "绵阳市科学技术协会".into());
    unit(Some(city), "UNIVERSITY", "西南科技大学科协".into());
    unit(Some(city), "SOCIETY", "绵阳市医学会".into());
    unit(Some(city), "SOCIETY", "绵阳市农学会".into());
    unit(Some(city), "SENIOR", "绵阳市老科技工作者协会".into());
    for (district, townships) in [
        ("涪城区", ["青义镇", "丰谷镇", "杨家镇"]),
        ("游仙区", ["新桥镇", "魏城镇", "沉抗镇"]),
    ] {
        let district_index = unit(Some(city), "DISTRICT", format!("{district}科学技术协会"));
        unit(
            Some(district_index),
            "SOCIETY",
            format!("{district}计算机学会"),
        );
        unit(Some(district_index), "SENIOR", format!("{district}老科协"));
        unit(
            Some(district_index),
            "ENTERPRISE",
            format!("{district}金松电子科技股份有限公司科协"),
        );
        for township in townships {
            let township_index = unit(Some(district_index), "TOWNSHIP", format!("{township}科协"));
            unit(
                Some(township_index),
                "RURAL_TECH",
                format!("{township}猕猴桃专业技术协会"),
            );
            unit(
                Some(township_index),
                "ENTERPRISE",
                format!("四川{township}食品有限公司科协"),
            );
        }
    }
    units
}

fn kind(text: &str) -> &'static str {
    [
        "CITY",
        "DISTRICT",
        "TOWNSHIP",
        "ENTERPRISE",
        "UNIVERSITY",
        "SOCIETY",
        "RURAL_TECH",
        "SENIOR",
    ]
    .into_iter()
    .find(|kind| *kind == text)
    .unwrap()
}

/// The talent subgraph over the demo city, seeded at scale 1 (the smallest), after a
/// reorganization: 丰谷镇 merged into 青义镇 and 涪城区计算机学会 dissolved. Some workers
/// left the registry in mid-2025 and a few honors were archived as entry mistakes.
async fn generated_city() -> City {
    let db = TestDb::new().await;
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_talent::build(&config).await.unwrap().spawn();
    let client = GraphqlClient::new(server.graphql_url());
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_talent::NAME)
        .await
        .unwrap();

    let units = demo_units();
    let mut city = DemoCity::new(5, 1);
    let founded = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    city.units = units
        .iter()
        .map(|unit| DemoUnit {
            id: unit.id,
            parent_id: unit.parent_id,
            kind: kind(&unit.kind),
            name: unit.name.clone(),
            division_code: None,
            founded_on: founded,
        })
        .collect();
    kexie_seed::talent::seed(&pool, &mut city).await.unwrap();

    let named = |name: &str| units.iter().find(|unit| unit.name == name).unwrap().clone();
    let township = named("青义镇科协");
    let merged = named("丰谷镇科协");
    let dissolved = named("涪城区计算机学会");
    let reorganization = vec![
        ReplicatedUnit {
            parent_id: Some(township.id),
            path: format!("{}{}/", township.path, merged.id),
            status: "MERGED".to_string(),
            ..merged.clone()
        },
        ReplicatedUnit {
            status: "DISSOLVED".to_string(),
            ..dissolved
        },
    ];
    // The merged township's own associations move with it.
    let mut moved: Vec<ReplicatedUnit> = units
        .iter()
        .filter(|unit| unit.parent_id == Some(merged.id))
        .map(|unit| ReplicatedUnit {
            path: format!("{}{}/{}/", township.path, merged.id, unit.id),
            ..unit.clone()
        })
        .collect();
    moved.extend(reorganization);
    let mut redis =
        kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
            .unwrap();
    let keys = TreeKeys::new(&db.redis_namespace());
    unit_tree::publish_event(&mut redis, &keys, 1, &units)
        .await
        .unwrap();
    unit_tree::publish_event(&mut redis, &keys, 2, &moved)
        .await
        .unwrap();
    assert!(unit_tree::wait_for_seq(&pool, 2, Duration::from_secs(5)).await);

    sqlx::query(
        "update worker set archived_at = timestamptz '2025-06-15 10:00+08', archived_by = 'test'
         where worker_id in (select worker_id from worker order by worker_id limit 300)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "update honor set archived_at = now(), archived_by = 'test'
         where honor_id in (select honor_id from honor order by honor_id desc limit 40)",
    )
    .execute(&pool)
    .await
    .unwrap();

    City {
        _db: db,
        _server: server,
        client,
        pool,
        city: named("绵阳市科学技术协会").id,
        district: named("涪城区科学技术协会").id,
        township: township.id,
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The subtree by walking parent links of the replicated tree (not the path the subgraph
/// uses); `$1` the unit, `$2` and `$3` the period's first and last days.
const SUBTREE: &str = "with recursive sub as (
        select unit_id from unit_replica where unit_id = $1 and $2::date <= $3::date
        union all select u.unit_id from unit_replica u join sub on u.parent_id = sub.unit_id)";

/// `(key, count)` rows into `[{<field>: key, count}]` in `order`, zeros included.
fn listed(rows: &[(String, i64)], order: &[&str], field: &str) -> Vec<Value> {
    order
        .iter()
        .map(|key| {
            let count = rows
                .iter()
                .find(|(found, _)| found == key)
                .map_or(0, |(_, count)| *count);
            json!({ field: key, "count": count })
        })
        .collect()
}

async fn rows(
    pool: &PgPool,
    sql: &str,
    unit: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(String, i64)> {
    sqlx::query_as(&format!("{SUBTREE} {sql}"))
        .bind(unit)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The figures of `unit`'s subtree for the days `from`..=`to`, counted independently.
async fn expected_figures(pool: &PgPool, unit: Uuid, from: NaiveDate, to: NaiveDate) -> Value {
    let workers = rows(
        pool,
        "select 'all', count(*) from worker w where w.home_unit_id in (select unit_id from sub)
           and (w.created_at at time zone 'Asia/Shanghai')::date <= $3
           and not coalesce((w.archived_at at time zone 'Asia/Shanghai')::date <= $3, false)
         union all
         select 'volunteers', count(*) from worker w where w.home_unit_id in (select unit_id from sub)
           and w.is_volunteer and (w.created_at at time zone 'Asia/Shanghai')::date <= $3
           and not coalesce((w.archived_at at time zone 'Asia/Shanghai')::date <= $3, false)
         union all
         select 'rural', count(*) from worker w where w.home_unit_id in (select unit_id from sub)
           and w.is_rural_expert and (w.created_at at time zone 'Asia/Shanghai')::date <= $3
           and not coalesce((w.archived_at at time zone 'Asia/Shanghai')::date <= $3, false)",
        unit,
        from,
        to,
    )
    .await;
    let honors = rows(
        pool,
        "select h.level, count(*) from honor h join worker w using (worker_id)
         where w.home_unit_id in (select unit_id from sub) and h.archived_at is null
           and ((extract(year from h.created_at at time zone 'Asia/Shanghai') = h.year
                 and (h.created_at at time zone 'Asia/Shanghai')::date between $2 and $3)
                or (extract(year from h.created_at at time zone 'Asia/Shanghai') <> h.year
                    and make_date(h.year, 12, 31) between $2 and $3))
         group by h.level",
        unit,
        from,
        to,
    )
    .await;
    let nominations = rows(
        pool,
        "select n.status, count(*) from nomination n
         where n.nominating_unit_id in (select unit_id from sub) and n.archived_at is null
           and (n.created_at at time zone 'Asia/Shanghai')::date between $2 and $3
         group by n.status",
        unit,
        from,
        to,
    )
    .await;
    // A workstation's status on a day: its last recorded step by then (working before any).
    let working = "from workstation s
         where s.host_unit_id in (select unit_id from sub) and s.archived_at is null
           and coalesce(s.founded_on, (s.created_at at time zone 'Asia/Shanghai')::date) <= $3
           and coalesce((select c.to_status from status_change c
                         where c.entity_id = s.workstation_id
                           and (c.changed_at at time zone 'Asia/Shanghai')::date <= $3
                         order by c.changed_at desc limit 1), 'ACTIVE') <> 'CLOSED'";
    let by_kind = rows(
        pool,
        &format!("select s.kind, count(*) {working} group by s.kind"),
        unit,
        from,
        to,
    )
    .await;
    let by_certification = rows(
        pool,
        &format!("select s.certification, count(*) {working} group by s.certification"),
        unit,
        from,
        to,
    )
    .await;
    let total = |rows: &[(String, i64)]| rows.iter().map(|(_, count)| count).sum::<i64>();
    let worker_count = |key: &str| workers.iter().find(|(found, _)| found == key).unwrap().1;
    json!({
        "workers": worker_count("all"),
        "volunteers": worker_count("volunteers"),
        "ruralExperts": worker_count("rural"),
        "honors": total(&honors),
        "honorsByLevel": listed(&honors, &["NATIONAL", "PROVINCIAL", "CITY", "DISTRICT"], "level"),
        "nominations": total(&nominations),
        "nominationsByStatus": listed(&nominations, &["NOMINATED", "SHORTLISTED", "AWARDED", "NOT_SELECTED"], "status"),
        "workstations": total(&by_kind),
        "workstationsByKind": listed(&by_kind, &["ACADEMICIAN_EXPERT", "DOCTORAL_INNOVATION", "EXPERT_ENTERPRISE", "SCIENCE_BACKYARD"], "kind"),
        "workstationsByCertification": listed(&by_certification, &["NONE", "CITY", "PROVINCIAL", "NATIONAL"], "certification"),
    })
}

const FIGURES: &str = "workers volunteers ruralExperts honors honorsByLevel { level count }
    nominations nominationsByStatus { status count } workstations
    workstationsByKind { kind count } workstationsByCertification { certification count }";

/// Asks for a unit's figures as the gateway does: through the `Unit` entity.
async fn figures(city: &City, unit: &str, period: Value) -> Value {
    city.client
        .post(
            &format!(
                "query($r: [_Any!]!, $period: PeriodInput!) {{ _entities(representations: $r) {{
                     ... on Unit {{ talentFigures(period: $period) {{ {FIGURES} }} }} }} }}"
            ),
            json!({ "r": [{ "__typename": "Unit", "id": unit }], "period": period }),
        )
        .await
}

fn periods() -> Vec<(Value, NaiveDate, NaiveDate)> {
    vec![
        (
            json!({ "year": 2025 }),
            day("2025-01-01"),
            day("2025-12-31"),
        ),
        (
            json!({ "year": 2024, "quarter": 3 }),
            day("2024-07-01"),
            day("2024-09-30"),
        ),
        (
            json!({ "from": "2024-12-01", "to": "2026-02-28" }),
            day("2024-12-01"),
            day("2026-02-28"),
        ),
    ]
}

#[tokio::test]
async fn figures_of_the_city_a_district_and_a_township_match_an_independent_count() {
    let city = generated_city().await;
    let figures_seen = [
        "workers",
        "volunteers",
        "ruralExperts",
        "honors",
        "nominations",
        "workstations",
    ];
    let mut smallest_seen = [i64::MAX; 6];
    for unit in [city.city, city.district, city.township] {
        for (period, from, to) in periods() {
            let body = figures(&city, &unit.to_string(), period.clone()).await;
            let expected = expected_figures(&city.pool, unit, from, to).await;
            assert_eq!(
                body["data"]["_entities"][0]["talentFigures"], expected,
                "unit {unit}, period {period}: {body:#}"
            );
            if period == json!({ "year": 2025 }) {
                for (smallest, figure) in smallest_seen.iter_mut().zip(figures_seen) {
                    *smallest = (*smallest).min(expected[figure].as_i64().unwrap());
                }
            }
        }
    }
    assert!(
        smallest_seen.iter().all(|smallest| *smallest > 0),
        "every figure counts something for every unit in 2025: {smallest_seen:?}"
    );
    // The quarters of a year add up to the year.
    let mut honors_by_quarter = 0;
    for quarter in 1..=4 {
        let body = figures(
            &city,
            &city.city.to_string(),
            json!({ "year": 2025, "quarter": quarter }),
        )
        .await;
        honors_by_quarter += body["data"]["_entities"][0]["talentFigures"]["honors"]
            .as_i64()
            .unwrap();
    }
    let year = figures(&city, &city.city.to_string(), json!({ "year": 2025 })).await;
    assert_eq!(
        year["data"]["_entities"][0]["talentFigures"]["honors"],
        json!(honors_by_quarter)
    );
}

#[tokio::test]
async fn every_point_of_a_series_and_the_year_before_it_match_an_independent_count() {
    let city = generated_city().await;
    let cases = [
        (city.city, "QUARTER", "2024-02-10", "2025-12-31", 8),
        (city.district, "MONTH", "2025-01-01", "2025-07-15", 7),
        (city.township, "YEAR", "2023-06-01", "2026-01-01", 4),
    ];
    for (unit, every, from, to, points) in cases {
        let body = city
            .client
            .post(
                &format!(
                    "query($r: [_Any!]!, $s: SeriesInput!) {{ _entities(representations: $r) {{
                         ... on Unit {{ talentFiguresSeries(series: $s) {{
                             from to figures {{ {FIGURES} }} yearEarlier {{ {FIGURES} }} }} }} }} }}"
                ),
                json!({ "r": [{ "__typename": "Unit", "id": unit }],
                        "s": { "from": from, "to": to, "every": every } }),
            )
            .await;
        let series = body["data"]["_entities"][0]["talentFiguresSeries"]
            .as_array()
            .unwrap_or_else(|| panic!("a series: {body:#}"));
        assert_eq!(series.len(), points, "{every} from {from} to {to}");
        let mut workers_seen = 0;
        for point in series {
            let (from, to) = (
                day(point["from"].as_str().unwrap()),
                day(point["to"].as_str().unwrap()),
            );
            let expected = expected_figures(&city.pool, unit, from, to).await;
            assert_eq!(point["figures"], expected, "{every} point {from}..{to}");
            let (before_from, before_to) = kexie_testkit::year_earlier(from, to);
            assert_eq!(
                point["yearEarlier"],
                expected_figures(&city.pool, unit, before_from, before_to).await,
                "{every} point {from}..{to}, a year earlier"
            );
            workers_seen += expected["workers"].as_i64().unwrap();
        }
        assert!(workers_seen > 0, "the series counts something");
    }
    // Whole calendar periods, one after another, the first holding `from`.
    let body = city
        .client
        .post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 talentFiguresSeries(series: { from: \"2024-02-10\", to: \"2024-08-01\", every: QUARTER }) { from to } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": city.city }] }),
        )
        .await;
    assert_eq!(
        body["data"]["_entities"][0]["talentFiguresSeries"],
        json!([
            { "from": "2024-01-01", "to": "2024-03-31" },
            { "from": "2024-04-01", "to": "2024-06-30" },
            { "from": "2024-07-01", "to": "2024-09-30" },
        ])
    );
    // A series reads only the figures its selection needs: each field alone answers as
    // in the whole selection.
    kexie_testkit::assert_series_fields_alone_match(
        &city.client,
        "talentFiguresSeries",
        city.district,
        FIGURES,
        json!({ "from": "2024-01-01", "to": "2025-12-31", "every": "QUARTER" }),
    )
    .await;
}

#[tokio::test]
async fn a_series_by_child_gives_each_child_its_own_series() {
    let city = generated_city().await;
    let series = |unit: Uuid, field: &'static str| {
        let client = &city.client;
        async move {
            client
                .post(
                    &format!(
                        "query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Unit {{
                             {field}(series: {{ from: \"2025-01-01\", to: \"2025-12-31\", every: QUARTER }}) {{
                                 {selection} }} }} }} }}",
                        selection = if field.ends_with("ByChild") {
                            format!("unit {{ id }} points {{ from figures {{ {FIGURES} }} yearEarlier {{ workers honors }} }}")
                        } else {
                            format!("from figures {{ {FIGURES} }} yearEarlier {{ workers honors }}")
                        },
                    ),
                    json!({ "r": [{ "__typename": "Unit", "id": unit }] }),
                )
                .await
        }
    };
    let body = series(city.city, "talentFiguresSeriesByChild").await;
    let children = body["data"]["_entities"][0]["talentFiguresSeriesByChild"]
        .as_array()
        .unwrap_or_else(|| panic!("children: {body:#}"));
    let active_children: i64 = sqlx::query_scalar(
        "select count(*) from unit_replica where parent_id = $1 and status = 'ACTIVE'",
    )
    .bind(city.city)
    .fetch_one(&city.pool)
    .await
    .unwrap();
    assert_eq!(children.len() as i64, active_children);
    for child in children {
        let id: Uuid = child["unit"]["id"].as_str().unwrap().parse().unwrap();
        let own = series(id, "talentFiguresSeries").await;
        assert_eq!(
            child["points"], own["data"]["_entities"][0]["talentFiguresSeries"],
            "child {id}"
        );
    }
}

#[tokio::test]
async fn children_of_the_kinds_asked_are_the_only_ones_compared() {
    let city = generated_city().await;
    let ids_of = |body: &Value, field: &str| -> Vec<String> {
        body["data"]["_entities"][0][field]
            .as_array()
            .unwrap_or_else(|| panic!("{field}: {body:#}"))
            .iter()
            .map(|row| row["unit"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let ask = |kinds: Value| {
        let client = &city.client;
        let unit = city.city;
        async move {
            client
                .post(
                    "query($r: [_Any!]!, $kinds: [UnitKind!]) { _entities(representations: $r) { ... on Unit {
                         talentFiguresByChild(period: { year: 2025 }, orderBy: WORKERS, kinds: $kinds) {
                             unit { id } figures { workers } }
                         talentFiguresSeriesByChild(series: { from: \"2025-01-01\", to: \"2025-12-31\", every: QUARTER }, kinds: $kinds) {
                             unit { id } points { figures { workers } } } } } }",
                    json!({ "r": [{ "__typename": "Unit", "id": unit }], "kinds": kinds }),
                )
                .await
        }
    };
    let children_of = |kinds: &'static [&'static str]| {
        let pool = &city.pool;
        let unit = city.city;
        async move {
            let mut ids: Vec<String> = sqlx::query_scalar::<_, Uuid>(
                "select unit_id from unit_replica
                 where parent_id = $1 and status = 'ACTIVE' and kind = any($2)",
            )
            .bind(unit)
            .bind(kinds)
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(Uuid::to_string)
            .collect();
            ids.sort();
            ids
        }
    };
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };

    let every = ask(Value::Null).await;
    let districts = ask(json!(["DISTRICT"])).await;
    let expected = children_of(&["DISTRICT"]).await;
    assert!(!expected.is_empty(), "the city has districts");
    assert!(
        ids_of(&every, "talentFiguresByChild").len() > expected.len(),
        "the city also has children that are not districts"
    );
    for field in ["talentFiguresByChild", "talentFiguresSeriesByChild"] {
        assert_eq!(sorted(ids_of(&districts, field)), expected, "{field}");
        // A district's row is the same whether or not the others are asked for.
        for row in districts["data"]["_entities"][0][field].as_array().unwrap() {
            let same = every["data"]["_entities"][0][field]
                .as_array()
                .unwrap()
                .iter()
                .find(|other| other["unit"] == row["unit"])
                .unwrap();
            assert_eq!(
                row.get("figures").or(row.get("points")),
                same.get("figures").or(same.get("points"))
            );
        }
    }
    let several = ask(json!(["DISTRICT", "UNIVERSITY", "SOCIETY"])).await;
    assert_eq!(
        sorted(ids_of(&several, "talentFiguresSeriesByChild")),
        children_of(&["DISTRICT", "UNIVERSITY", "SOCIETY"]).await
    );
    let none = ask(json!([])).await;
    assert_eq!(ids_of(&none, "talentFiguresByChild"), Vec::<String>::new());
}

#[tokio::test]
async fn a_series_of_too_many_points_or_backwards_is_refused() {
    let city = generated_city().await;
    for (from, to, every) in [
        ("2000-01-01", "2026-12-31", "MONTH"),
        ("2026-01-01", "2025-01-01", "YEAR"),
    ] {
        let body = city
            .client
            .post(
                "query($r: [_Any!]!, $s: SeriesInput!) { _entities(representations: $r) {
                     ... on Unit { talentFiguresSeries(series: $s) { from } } } }",
                json!({ "r": [{ "__typename": "Unit", "id": city.city }],
                        "s": { "from": from, "to": to, "every": every } }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{from}..{to} by {every}: {body:#}"
        );
    }
}

#[tokio::test]
async fn units_asked_in_one_call_each_get_their_own_subtrees_figures_for_each_period() {
    let city = generated_city().await;
    // The city, a district within it and a township within that: their subtrees overlap,
    // and every record below the township counts for all three.
    let units = [city.city, city.district, city.township];
    let mut representations: Vec<Value> = units
        .iter()
        .map(|unit| json!({ "__typename": "Unit", "id": unit.to_string() }))
        .collect();
    let unknown = Uuid::now_v7();
    representations.push(json!({ "__typename": "Unit", "id": unknown.to_string() }));
    let [(year, year_from, year_to), (quarter, quarter_from, quarter_to), _] =
        <[_; 3]>::try_from(periods()).unwrap();
    let body = city
        .client
        .post(
            &format!(
                "query($r: [_Any!]!, $year: PeriodInput!, $quarter: PeriodInput!) {{
                     _entities(representations: $r) {{ ... on Unit {{
                         year: talentFigures(period: $year) {{ {FIGURES} }}
                         quarter: talentFigures(period: $quarter) {{ {FIGURES} }} }} }} }}"
            ),
            json!({ "r": representations, "year": year, "quarter": quarter }),
        )
        .await;
    for (position, unit) in units.iter().enumerate() {
        let entity = &body["data"]["_entities"][position];
        assert_eq!(
            entity["year"],
            expected_figures(&city.pool, *unit, year_from, year_to).await,
            "unit {unit}, the year: {body:#}"
        );
        assert_eq!(
            entity["quarter"],
            expected_figures(&city.pool, *unit, quarter_from, quarter_to).await,
            "unit {unit}, the quarter: {body:#}"
        );
    }
    assert_eq!(body["data"]["_entities"][3], Value::Null, "{body:#}");
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|error| error["extensions"]["code"] == "NOT_FOUND"
                && error["message"]
                    .as_str()
                    .unwrap()
                    .contains(&unknown.to_string())),
        "only the unknown unit is not found: {body:#}"
    );
}

#[tokio::test]
async fn figures_by_child_rank_every_active_child_with_its_own_figures() {
    let city = generated_city().await;
    for (unit, order_by, field, descending) in [
        (city.city, "WORKERS", "workers", true),
        (city.district, "WORKSTATIONS", "workstations", true),
        (city.district, "HONORS", "honors", false),
    ] {
        let (period, from, to) = periods().remove(0);
        let body = city
            .client
            .post(
                &format!(
                    "query($r: [_Any!]!, $period: PeriodInput!, $orderBy: TalentFigure!, $descending: Boolean!) {{
                         _entities(representations: $r) {{ ... on Unit {{
                             talentFiguresByChild(period: $period, orderBy: $orderBy, descending: $descending) {{
                                 rank unit {{ id }} figures {{ {FIGURES} }} }} }} }} }}"
                ),
                json!({ "r": [{ "__typename": "Unit", "id": unit }], "period": period,
                        "orderBy": order_by, "descending": descending }),
            )
            .await;
        let rows = body["data"]["_entities"][0]["talentFiguresByChild"]
            .as_array()
            .unwrap_or_else(|| panic!("{body:#}"))
            .clone();

        // One row per active direct child of the replicated tree: the dissolved society
        // and the merged township (now under another township) are not among them.
        let children: Vec<(Uuid, String)> = sqlx::query_as(
            "select unit_id, name from unit_replica where parent_id = $1 and status = 'ACTIVE'",
        )
        .bind(unit)
        .fetch_all(&city.pool)
        .await
        .unwrap();
        assert_eq!(rows.len(), children.len());
        if unit == city.district {
            assert_eq!(
                children.len(),
                4,
                "two townships, an enterprise and the retired scientists"
            );
        }
        let mut expected = Vec::new();
        for (child, name) in &children {
            let figures = expected_figures(&city.pool, *child, from, to).await;
            expected.push((name.clone(), child.to_string(), figures));
        }
        expected.sort_by(|a, b| {
            let (x, y) = (a.2[field].as_i64().unwrap(), b.2[field].as_i64().unwrap());
            let by_value = if descending { y.cmp(&x) } else { x.cmp(&y) };
            by_value.then_with(|| a.0.cmp(&b.0))
        });
        for (position, (row, (_, id, figures))) in rows.iter().zip(&expected).enumerate() {
            let ours = figures[field].as_i64().unwrap();
            let better = expected
                .iter()
                .filter(|other| {
                    let theirs = other.2[field].as_i64().unwrap();
                    if descending {
                        theirs > ours
                    } else {
                        theirs < ours
                    }
                })
                .count();
            assert_eq!(row["rank"], json!(better + 1), "row {position}");
            assert_eq!(row["unit"]["id"], json!(id), "row {position}");
            assert_eq!(&row["figures"], figures, "row {position}");
        }
    }
}

#[tokio::test]
async fn equal_figures_share_a_rank_and_are_listed_by_name() {
    let city = generated_city().await;
    // No child of the city has nominations dated in 1990: every child ties at zero.
    let body = city
        .client
        .post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 talentFiguresByChild(period: { year: 1990 }, orderBy: NOMINATIONS) { rank unit { id } } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": city.city }] }),
        )
        .await;
    let rows = body["data"]["_entities"][0]["talentFiguresByChild"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<String> = sqlx::query_scalar(
        "select name from unit_replica where parent_id = $1 and status = 'ACTIVE'",
    )
    .bind(city.city)
    .fetch_all(&city.pool)
    .await
    .unwrap();
    let mut names = names;
    names.sort();
    let listed: Vec<String> = {
        let mut listed = Vec::new();
        for row in &rows {
            let id: Uuid = row["unit"]["id"].as_str().unwrap().parse().unwrap();
            let name: String =
                sqlx::query_scalar("select name from unit_replica where unit_id = $1")
                    .bind(id)
                    .fetch_one(&city.pool)
                    .await
                    .unwrap();
            listed.push(name);
        }
        listed
    };
    assert_eq!(listed, names);
    assert!(rows.iter().all(|row| row["rank"] == json!(1)));
}

#[tokio::test]
async fn a_bad_period_is_refused_naming_the_field_and_an_unknown_unit_is_not_found() {
    let city = generated_city().await;
    for (period, field) in [
        (json!({ "year": 2025, "quarter": 0 }), "period.quarter"),
        (json!({}), "period"),
        (json!({ "to": "2025-01-01" }), "period"),
        (
            json!({ "from": "2025-03-01", "to": "2025-01-01" }),
            "period.to",
        ),
        (json!({ "year": 3000 }), "period.year"),
    ] {
        let body = figures(&city, &city.city.to_string(), period).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{body:#}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body:#}");
    }
    let body = figures(&city, UNKNOWN_ID, json!({ "year": 2025 })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body:#}"
    );
    let body = city
        .client
        .post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit {
                 talentFiguresByChild(period: { year: 2025 }, orderBy: WORKERS) { rank } } } }",
            json!({ "r": [{ "__typename": "Unit", "id": UNKNOWN_ID }] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body:#}"
    );
}

/// Provincially (or nationally) certified workstations working at the end of `year` in
/// `unit`'s subtree, counted independently.
async fn certified_at_year_end(pool: &PgPool, unit: Uuid, year: i32) -> i64 {
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
    let rows = rows(
        pool,
        "select 'certified', count(*) from workstation s
         where s.host_unit_id in (select unit_id from sub) and s.archived_at is null
           and s.certification in ('PROVINCIAL', 'NATIONAL')
           and coalesce(s.founded_on, (s.created_at at time zone 'Asia/Shanghai')::date) <= $3
           and coalesce((select c.to_status from status_change c
                         where c.entity_id = s.workstation_id
                           and (c.changed_at at time zone 'Asia/Shanghai')::date <= $3
                         order by c.changed_at desc limit 1), 'ACTIVE') <> 'CLOSED'",
        unit,
        end,
        end,
    )
    .await;
    rows[0].1
}

#[tokio::test]
async fn targets_talent_measures_count_certified_workstations_over_the_subtree() {
    let city = generated_city().await;
    let mut representations = Vec::new();
    let mut expected = Vec::new();
    for unit in [city.city, city.district, city.township] {
        for year in [2023, 2024, 2025, 2026] {
            representations.push(json!({ "__typename": "Target", "id": Uuid::now_v7(),
                "unitId": unit, "year": year, "metric": "CERTIFIED_WORKSTATIONS" }));
            expected.push(
                json!({ "talentActual": certified_at_year_end(&city.pool, unit, year).await }),
            );
        }
    }
    // A metric another subgraph measures is not talent's to answer.
    representations.push(json!({ "__typename": "Target", "id": Uuid::now_v7(),
        "unitId": city.city, "year": 2025, "metric": "SCIENCE_DAY_EVENTS" }));
    expected.push(json!({ "talentActual": null }));
    let data = city
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target { talentActual } } }",
            json!({ "r": representations }),
        )
        .await;
    assert_eq!(data["_entities"], json!(expected));
    assert!(expected[0]["talentActual"].as_i64().unwrap() > 0);
    assert_ne!(expected[0], expected[2], "the years differ");

    let body = city
        .client
        .post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target { talentActual } } }",
            json!({ "r": [{ "__typename": "Target", "id": Uuid::now_v7(), "unitId": UNKNOWN_ID,
                            "year": 2025, "metric": "CERTIFIED_WORKSTATIONS" }] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body:#}"
    );
    let body = city
        .client
        .post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Target { talentActual } } }",
            json!({ "r": [{ "__typename": "Target", "id": Uuid::now_v7(), "unitId": "not-an-id",
                            "year": 2025, "metric": "CERTIFIED_WORKSTATIONS" }] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "unitId",
        "{body:#}"
    );
}

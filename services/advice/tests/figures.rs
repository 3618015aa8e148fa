//! Advice figures over a generated city: every figure of the city, a district and a township,
//! for a year, a quarter and a range of days, must equal an independent count over the raw
//! tables (statuses and submission days read from the workflow history); the ranking by child
//! must hold each child's own figures, in league-table order; bad periods and unknown units
//! are refused.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::{DemoCity, DemoUnit};
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};
use kexie_testkit::{merge_event, redis_url, GraphqlClient, SampleTree, TestDb};

const SUBMISSION_STATUSES: [&str; 9] = [
    "DRAFT",
    "SUBMITTED",
    "UNDER_REVIEW",
    "REFINED",
    "FORWARDED",
    "INSTRUCTED",
    "ADOPTED",
    "RETURNED",
    "CLOSED",
];
const LEADER_LEVELS: [&str; 4] = ["COUNTY", "CITY", "PROVINCIAL", "NATIONAL"];
const TOPIC_STATUSES: [&str; 5] = [
    "PROPOSED",
    "APPROVED",
    "IN_PROGRESS",
    "CONCLUDED",
    "REJECTED",
];

const FIGURES: &str = "fragment F on AdviceFigures {
    submissions submissionsByStatus { status count } adoptedSubmissions adoptionRate
    instructions instructionsByLeaderLevel { level count }
    researchTopics researchTopicsByStatus { status count } consultationReports
}";

fn of_unit_query() -> String {
    format!(
        "query($r: [_Any!]!, $period: PeriodInput!) {{ _entities(representations: $r) {{
             ... on Unit {{ adviceFigures(period: $period) {{ ...F }} }} }} }} {FIGURES}"
    )
}

fn by_child_query() -> String {
    format!(
        "query($r: [_Any!]!, $period: PeriodInput!, $by: AdviceFigure!, $descending: Boolean!) {{
             _entities(representations: $r) {{ ... on Unit {{
                 adviceFiguresByChild(period: $period, orderBy: $by, descending: $descending) {{
                     rank unit {{ id }} figures {{ ...F }} }} }} }} }} {FIGURES}"
    )
}

fn unit_ref(unit: Uuid) -> Value {
    json!([{ "__typename": "Unit", "id": unit.to_string() }])
}

/// The demo city's units as organizations publishes them, with materialized paths.
struct City {
    client: GraphqlClient,
    pool: PgPool,
    demo: DemoCity,
    city: Uuid,
    district: Uuid,
    township: Uuid,
    /// A township of `district` merged into `township`: it hangs there with its children,
    /// so its records count in the township's figures (and the district's), but it has no
    /// row of its own among the township's children.
    merged: Uuid,
    _server: ServerHandle,
    _db: TestDb,
}

impl City {
    fn unit(&self, id: Uuid) -> &DemoUnit {
        self.demo.units.iter().find(|unit| unit.id == id).unwrap()
    }

    /// `root` and every unit below it, by walking parent links (not the paths the subgraph
    /// uses).
    fn subtree(&self, root: Uuid) -> Vec<Uuid> {
        let mut units = vec![root];
        let mut next = 0;
        while next < units.len() {
            let parent = units[next];
            units.extend(
                self.demo
                    .units
                    .iter()
                    .filter(|unit| unit.parent_id == Some(parent))
                    .map(|unit| unit.id),
            );
            next += 1;
        }
        units
    }

    /// The direct children still active.
    fn active_children(&self, parent: Uuid) -> Vec<Uuid> {
        self.demo
            .units
            .iter()
            .filter(|unit| unit.parent_id == Some(parent) && unit.id != self.merged)
            .map(|unit| unit.id)
            .collect()
    }
}

/// The smallest generated city, the tree replicated with one township merged into another, and a
/// few submissions archived through the API.
async fn generated_city() -> City {
    let db = TestDb::new().await;
    let namespace = db.redis_namespace();
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: namespace.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_advice::build(&config).await.unwrap().spawn();
    let client = GraphqlClient::new(server.graphql_url());
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_advice::NAME)
        .await
        .unwrap();
    let mut demo = DemoCity::compact();
    kexie_seed::advice::seed(&pool, &mut demo.clone())
        .await
        .unwrap();

    let units = demo.replicated_units();
    let city = units[0].id;
    let district = units
        .iter()
        .find(|unit| unit.kind == "DISTRICT")
        .unwrap()
        .clone();
    let townships: Vec<&ReplicatedUnit> = units
        .iter()
        .filter(|unit| unit.kind == "TOWNSHIP" && unit.parent_id == Some(district.id))
        .collect();
    let township = townships[0].id;
    let merged = townships[1].id;
    let merger = merge_event(&units, merged, township);
    for unit in &mut demo.units {
        if let Some(moved) = merger.iter().find(|moved| moved.id == unit.id) {
            unit.parent_id = moved.parent_id;
        }
    }
    let mut redis =
        kexie_contract::data_version::redis_connection(&redis_url(), Duration::from_secs(2))
            .unwrap();
    let keys = TreeKeys::new(&namespace);
    unit_tree::publish_event(&mut redis, &keys, 1, &units)
        .await
        .unwrap();
    unit_tree::publish_event(&mut redis, &keys, 2, &merger)
        .await
        .unwrap();
    assert!(
        unit_tree::wait_for_seq(&pool, 2, Duration::from_secs(10)).await,
        "the subgraph replicates the tree"
    );

    let archived: Vec<(Uuid, i32)> = sqlx::query_as(
        "select submission_id, version from submission
         where submitting_unit_id = any($1) and submitted_on between '2025-01-01' and '2025-12-31'
         order by submission_id limit 3",
    )
    .bind(vec![township, district.id])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(archived.len(), 3);
    for (submission, version) in archived {
        client
            .data(
                "mutation($id: ID!, $version: Int!) { archiveSubmission(id: $id, expectedVersion: $version) { id } }",
                json!({ "id": submission.to_string(), "version": version }),
            )
            .await;
    }

    City {
        client,
        pool,
        demo,
        city,
        district: district.id,
        township,
        merged,
        _server: server,
        _db: db,
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The first and last day of a period as the API takes it.
fn days(period: &Value) -> (NaiveDate, NaiveDate) {
    if let Some(year) = period["year"].as_i64() {
        let year = year as i32;
        let (first, last) = match period["quarter"].as_i64() {
            Some(quarter) => (3 * quarter as u32 - 2, 3 * quarter as u32),
            None => (1, 12),
        };
        let from = NaiveDate::from_ymd_opt(year, first, 1).unwrap();
        let after = if last == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, last + 1, 1)
        };
        (from, after.unwrap().pred_opt().unwrap())
    } else {
        (
            day(period["from"].as_str().unwrap()),
            day(period["to"].as_str().unwrap()),
        )
    }
}

/// Counts by status in the order of `statuses`, zeros included.
fn by_status(statuses: &[&str], counts: &HashMap<String, i64>, key: &str) -> Vec<Value> {
    statuses
        .iter()
        .map(|status| json!({ key: status, "count": counts.get(*status).copied().unwrap_or(0) }))
        .collect()
}

/// The figures of `units` for the days `from..=to`, counted independently over the raw
/// tables: a submission's day is the first day the history shows it SUBMITTED, and a record's
/// present status is the last step of its history.
async fn expected_figures(pool: &PgPool, units: &[Uuid], from: NaiveDate, to: NaiveDate) -> Value {
    let last_status = "(select c.to_status from status_change c where c.entity_id = {id}
                        order by c.changed_at desc, c.status_change_id desc limit 1)";
    let submissions: Vec<(Option<NaiveDate>, String)> = sqlx::query_as(&format!(
        "select (select min((c.changed_at at time zone 'Asia/Shanghai')::date) from status_change c
                 where c.entity_id = s.submission_id and c.to_status = 'SUBMITTED'),
                {}
         from submission s where s.submitting_unit_id = any($1) and s.archived_at is null",
        last_status.replace("{id}", "s.submission_id")
    ))
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut submissions_by_status: HashMap<String, i64> = HashMap::new();
    for (submitted, status) in &submissions {
        if submitted.is_some_and(|submitted| from <= submitted && submitted <= to) {
            *submissions_by_status.entry(status.clone()).or_default() += 1;
        }
    }
    let submitted: i64 = submissions_by_status.values().sum();
    let adopted = submissions_by_status.get("ADOPTED").copied().unwrap_or(0);

    let instructions: Vec<(String, NaiveDate)> = sqlx::query_as(
        "select instruction_leader_level, instructed_on from submission
         where submitting_unit_id = any($1) and archived_at is null and instructed_on is not null",
    )
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut instructions_by_level: HashMap<String, i64> = HashMap::new();
    for (level, on) in &instructions {
        if from <= *on && *on <= to {
            *instructions_by_level.entry(level.clone()).or_default() += 1;
        }
    }

    let topics: Vec<(i32, Option<NaiveDate>, String)> = sqlx::query_as(&format!(
        "select t.year, t.report_submitted_on, {}
         from research_topic t where t.lead_unit_id = any($1) and t.archived_at is null",
        last_status.replace("{id}", "t.research_topic_id")
    ))
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut topics_by_status: HashMap<String, i64> = HashMap::new();
    let mut reports = 0;
    for (year, report, status) in &topics {
        if (from.year()..=to.year()).contains(year) {
            *topics_by_status.entry(status.clone()).or_default() += 1;
        }
        if report.is_some_and(|report| from <= report && report <= to) {
            reports += 1;
        }
    }

    json!({
        "submissions": submitted,
        "submissionsByStatus": by_status(&SUBMISSION_STATUSES, &submissions_by_status, "status"),
        "adoptedSubmissions": adopted,
        "adoptionRate": (submitted > 0).then(|| adopted as f64 / submitted as f64),
        "instructions": instructions_by_level.values().sum::<i64>(),
        "instructionsByLeaderLevel": by_status(&LEADER_LEVELS, &instructions_by_level, "level"),
        "researchTopics": topics_by_status.values().sum::<i64>(),
        "researchTopicsByStatus": by_status(&TOPIC_STATUSES, &topics_by_status, "status"),
        "consultationReports": reports,
    })
}

async fn figures(city: &City, unit: Uuid, period: &Value) -> Value {
    let data = city
        .client
        .data(
            &of_unit_query(),
            json!({ "r": unit_ref(unit), "period": period }),
        )
        .await;
    data["_entities"][0]["adviceFigures"].clone()
}

/// Figures to compare: the adoption rate to twelve decimal places, since JSON parsing in
/// the test client may differ from the server's value in the last bit.
fn comparable(figures: &Value) -> Value {
    let mut figures = figures.clone();
    if let Some(rate) = figures["adoptionRate"].as_f64() {
        figures["adoptionRate"] = json!((rate * 1e12).round() / 1e12);
    }
    figures
}

fn number(figures: &Value, figure: &str) -> i64 {
    figures[figure].as_i64().unwrap()
}

#[tokio::test]
async fn figures_of_a_city_a_district_and_a_township_equal_independent_counts() {
    let city = generated_city().await;
    let periods = [
        json!({ "year": 2025 }),
        json!({ "year": 2025, "quarter": 2 }),
        json!({ "from": "2024-11-15", "to": "2025-02-14" }),
    ];
    for (label, unit) in [
        ("city", city.city),
        ("district", city.district),
        ("township", city.township),
    ] {
        for period in &periods {
            let (from, to) = days(period);
            let actual = figures(&city, unit, period).await;
            let expected = expected_figures(&city.pool, &city.subtree(unit), from, to).await;
            assert_eq!(
                comparable(&actual),
                comparable(&expected),
                "{label} {period}"
            );
            assert!(
                number(&actual, "submissions") > 0,
                "{label} {period}: {actual:#}"
            );
        }
    }
    // Numbers worth comparing over the year: advice adopted, instructions, topics, reports.
    for unit in [city.city, city.district] {
        let year = figures(&city, unit, &json!({ "year": 2025 })).await;
        for figure in [
            "adoptedSubmissions",
            "instructions",
            "researchTopics",
            "consultationReports",
        ] {
            assert!(number(&year, figure) > 0, "{figure}: {year:#}");
        }
    }

    // The quarters of a year add up to the year's submissions; every quarter shows the
    // year's research topics.
    let year = figures(&city, city.city, &json!({ "year": 2025 })).await;
    let mut submissions = 0;
    for quarter in 1..=4 {
        let figures = figures(
            &city,
            city.city,
            &json!({ "year": 2025, "quarter": quarter }),
        )
        .await;
        submissions += number(&figures, "submissions");
        assert_eq!(figures["researchTopics"], year["researchTopics"]);
    }
    assert_eq!(submissions, number(&year, "submissions"));

    // A period without submissions has no adoption rate.
    let empty = figures(&city, city.township, &json!({ "year": 2030 })).await;
    assert_eq!(empty["submissions"], 0);
    assert_eq!(empty["adoptionRate"], Value::Null);
}

/// The children's expected order and ranks: by value (largest first when `descending`),
/// ties sharing a rank and listed by name.
fn league(mut rows: Vec<(Uuid, String, i64)>, descending: bool) -> Vec<(i64, Uuid)> {
    rows.sort_by(|a, b| {
        let by_value = if descending {
            b.2.cmp(&a.2)
        } else {
            a.2.cmp(&b.2)
        };
        by_value.then_with(|| a.1.cmp(&b.1))
    });
    rows.iter()
        .map(|row| {
            let ahead = rows
                .iter()
                .filter(|other| {
                    if descending {
                        other.2 > row.2
                    } else {
                        other.2 < row.2
                    }
                })
                .count();
            (ahead as i64 + 1, row.0)
        })
        .collect()
}

/// A figure as the test ranks it: rates to twelve decimal places as the subgraph does, children without a rate last.
fn ranked_value(figures: &Value, field: &str, descending: bool) -> i64 {
    match &figures[field] {
        Value::Null if descending => i64::MIN,
        Value::Null => i64::MAX,
        value if field == "adoptionRate" => (value.as_f64().unwrap() * 1e12).round() as i64,
        value => value.as_i64().unwrap(),
    }
}

#[tokio::test]
async fn every_point_of_a_series_and_the_year_before_it_equal_independent_counts() {
    let city = generated_city().await;
    let query = format!(
        "query($r: [_Any!]!, $s: SeriesInput!) {{ _entities(representations: $r) {{
             ... on Unit {{ adviceFiguresSeries(series: $s) {{ from to figures {{ ...F }} yearEarlier {{ ...F }} }} }} }} }} {FIGURES}"
    );
    for (unit, every, from, to, points) in [
        (city.city, "QUARTER", "2024-04-01", "2025-12-31", 7),
        (city.district, "MONTH", "2025-01-20", "2025-06-30", 6),
        (city.township, "YEAR", "2024-03-01", "2025-03-01", 2),
    ] {
        let data = city
            .client
            .data(
                &query,
                json!({ "r": unit_ref(unit), "s": { "from": from, "to": to, "every": every } }),
            )
            .await;
        let series = data["_entities"][0]["adviceFiguresSeries"]
            .as_array()
            .unwrap();
        assert_eq!(series.len(), points, "{every} from {from} to {to}");
        let subtree = city.subtree(unit);
        for point in series {
            let (from, to) = (
                day(point["from"].as_str().unwrap()),
                day(point["to"].as_str().unwrap()),
            );
            let expected = expected_figures(&city.pool, &subtree, from, to).await;
            assert_eq!(
                comparable(&point["figures"]),
                comparable(&expected),
                "{every} point {from}..{to}"
            );
            let (from, to) = kexie_testkit::year_earlier(from, to);
            let before = expected_figures(&city.pool, &subtree, from, to).await;
            assert_eq!(
                comparable(&point["yearEarlier"]),
                comparable(&before),
                "{every} point a year before {from}..{to}"
            );
        }
    }
    // A series reads only the figures its selection needs: each field alone answers as
    // in the whole selection.
    kexie_testkit::assert_series_fields_alone_match(
        &city.client,
        "adviceFiguresSeries",
        city.district,
        FIGURES,
        json!({ "from": "2024-01-01", "to": "2025-12-31", "every": "QUARTER" }),
    )
    .await;
}

#[tokio::test]
async fn units_asked_in_one_call_each_get_their_own_subtrees_figures_for_each_period() {
    let city = generated_city().await;
    // The city, a district within it and a township within that: their subtrees overlap,
    // and every record below the township counts for all three.
    let units = [city.city, city.district, city.township];
    let representations: Vec<Value> = units
        .iter()
        .map(|unit| json!({ "__typename": "Unit", "id": unit.to_string() }))
        .collect();
    let (year, quarter) = (
        json!({ "year": 2025 }),
        json!({ "year": 2025, "quarter": 3 }),
    );
    let data = city
        .client
        .data(
            &format!(
                "query($r: [_Any!]!, $year: PeriodInput!, $quarter: PeriodInput!) {{
                     _entities(representations: $r) {{ ... on Unit {{
                         year: adviceFigures(period: $year) {{ ...F }}
                         quarter: adviceFigures(period: $quarter) {{ ...F }} }} }} }} {FIGURES}"
            ),
            json!({ "r": representations, "year": year, "quarter": quarter }),
        )
        .await;
    for (position, unit) in units.iter().enumerate() {
        let entity = &data["_entities"][position];
        let (from, to) = days(&year);
        let expected_year = expected_figures(&city.pool, &city.subtree(*unit), from, to).await;
        assert_eq!(
            comparable(&entity["year"]),
            comparable(&expected_year),
            "unit {unit}, the year"
        );
        let (from, to) = days(&quarter);
        let expected_quarter = expected_figures(&city.pool, &city.subtree(*unit), from, to).await;
        assert_eq!(
            comparable(&entity["quarter"]),
            comparable(&expected_quarter),
            "unit {unit}, the quarter"
        );
    }
}

#[tokio::test]
async fn children_are_ranked_by_the_chosen_figure_with_their_own_figures() {
    let city = generated_city().await;
    for (label, parent, period, by, field, descending) in [
        (
            "city",
            city.city,
            json!({ "year": 2025 }),
            "SUBMISSIONS",
            "submissions",
            true,
        ),
        (
            "city",
            city.city,
            json!({ "year": 2025 }),
            "ADOPTION_RATE",
            "adoptionRate",
            true,
        ),
        (
            "city",
            city.city,
            json!({ "year": 2025, "quarter": 2 }),
            "ADOPTION_RATE",
            "adoptionRate",
            false,
        ),
        (
            "city",
            city.city,
            json!({ "year": 2025 }),
            "RESEARCH_TOPICS",
            "researchTopics",
            false,
        ),
        (
            "district",
            city.district,
            json!({ "year": 2025 }),
            "ADOPTED_SUBMISSIONS",
            "adoptedSubmissions",
            true,
        ),
        // Ten days in which some children submitted nothing: no rate, last either way.
        (
            "district",
            city.district,
            json!({ "from": "2025-06-01", "to": "2025-06-10" }),
            "ADOPTION_RATE",
            "adoptionRate",
            false,
        ),
        (
            "district",
            city.district,
            json!({ "from": "2025-06-01", "to": "2025-06-10" }),
            "ADOPTION_RATE",
            "adoptionRate",
            true,
        ),
        (
            "district",
            city.district,
            json!({ "year": 2025, "quarter": 2 }),
            "SUBMISSIONS",
            "submissions",
            true,
        ),
    ] {
        let data = city
            .client
            .data(
                &by_child_query(),
                json!({ "r": unit_ref(parent), "period": period, "by": by, "descending": descending }),
            )
            .await;
        let rows = data["_entities"][0]["adviceFiguresByChild"]
            .as_array()
            .unwrap()
            .clone();
        let (from, to) = days(&period);
        let children = city.active_children(parent);
        assert_eq!(
            rows.len(),
            children.len(),
            "{label}: one row per active child"
        );
        let mut expected_rows = Vec::new();
        for child in &children {
            let expected = expected_figures(&city.pool, &city.subtree(*child), from, to).await;
            let row = rows
                .iter()
                .find(|row| row["unit"]["id"] == child.to_string())
                .unwrap_or_else(|| panic!("{label}: no row for {}", city.unit(*child).name));
            assert_eq!(
                comparable(&row["figures"]),
                comparable(&expected),
                "{label} {by}: {}",
                city.unit(*child).name
            );
            expected_rows.push((
                *child,
                city.unit(*child).name.clone(),
                ranked_value(&expected, field, descending),
            ));
        }
        let seen: Vec<(i64, Uuid)> = rows
            .iter()
            .map(|row| {
                (
                    row["rank"].as_i64().unwrap(),
                    row["unit"]["id"].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            league(expected_rows.clone(), descending),
            "{label} {by} {period}"
        );
        let distinct: std::collections::HashSet<i64> =
            expected_rows.iter().map(|row| row.2).collect();
        assert!(distinct.len() > 1, "{label} {by}: {expected_rows:?}");
    }

    // The merged township has no row of its own: its records count in the township it
    // merged into, and the children with the district's own records make the district.
    let data = city
        .client
        .data(
            &by_child_query(),
            json!({ "r": unit_ref(city.district), "period": { "year": 2025 }, "by": "SUBMISSIONS", "descending": true }),
        )
        .await;
    let rows = data["_entities"][0]["adviceFiguresByChild"]
        .as_array()
        .unwrap();
    assert!(rows
        .iter()
        .all(|row| row["unit"]["id"] != city.merged.to_string()));
    let children_total: i64 = rows
        .iter()
        .map(|row| number(&row["figures"], "submissions"))
        .sum();
    let district = figures(&city, city.district, &json!({ "year": 2025 })).await;
    let (from, to) = (day("2025-01-01"), day("2025-12-31"));
    let merged = expected_figures(&city.pool, &city.subtree(city.merged), from, to).await;
    let own = expected_figures(&city.pool, &[city.district], from, to).await;
    assert!(number(&merged, "submissions") > 0);
    assert_eq!(
        number(&district, "submissions"),
        children_total + number(&own, "submissions")
    );
    let into = expected_figures(&city.pool, &city.subtree(city.township), from, to).await;
    let into_row = rows
        .iter()
        .find(|row| row["unit"]["id"] == city.township.to_string())
        .unwrap();
    assert_eq!(
        number(&into_row["figures"], "submissions"),
        number(&into, "submissions")
    );
}

#[tokio::test]
async fn bad_periods_and_unknown_units_are_refused() {
    let db = TestDb::new().await;
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_advice::build(&config).await.unwrap().spawn();
    let tree = SampleTree::new();
    tree.publish(&db.redis_namespace()).await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_advice::NAME)
        .await
        .unwrap();
    assert!(unit_tree::wait_for_seq(&pool, 1, Duration::from_secs(5)).await);
    let client = GraphqlClient::new(server.graphql_url());

    let by_child = |unit: Uuid, period: Value| json!({ "r": unit_ref(unit), "period": period, "by": "ADOPTION_RATE", "descending": true });
    for (period, field) in [
        (json!({ "year": 2025, "quarter": 0 }), "period.quarter"),
        (json!({ "quarter": 2 }), "period"),
        (json!({}), "period"),
        (json!({ "year": 2025, "to": "2025-02-01" }), "period"),
        (
            json!({ "from": "2025-03-01", "to": "2025-01-01" }),
            "period.to",
        ),
        (json!({ "year": 1200 }), "period.year"),
    ] {
        for (query, variables) in [
            (
                of_unit_query(),
                json!({ "r": unit_ref(tree.city.id), "period": period }),
            ),
            (by_child_query(), by_child(tree.city.id, period.clone())),
        ] {
            let body = client.post(&query, variables).await;
            let error = &body["errors"][0];
            assert_eq!(
                error["extensions"]["code"], "VALIDATION",
                "{period}: {body:#}"
            );
            assert_eq!(error["extensions"]["field"], field, "{period}: {body:#}");
        }
    }

    let unknown = Uuid::now_v7();
    for (query, variables) in [
        (
            of_unit_query(),
            json!({ "r": unit_ref(unknown), "period": { "year": 2025 } }),
        ),
        (by_child_query(), by_child(unknown, json!({ "year": 2025 }))),
    ] {
        assert_eq!(client.error_code(&query, variables).await, "NOT_FOUND");
    }

    // Units without records: zeros, every status listed, no rate; ranked by rate, all tie.
    let data = client
        .data(
            &by_child_query(),
            by_child(tree.city.id, json!({ "year": 2025 })),
        )
        .await;
    let rows = data["_entities"][0]["adviceFiguresByChild"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row["rank"], 1);
        assert_eq!(row["figures"]["submissions"], 0);
        assert_eq!(row["figures"]["adoptionRate"], Value::Null);
        assert_eq!(
            row["figures"]["submissionsByStatus"]
                .as_array()
                .unwrap()
                .len(),
            SUBMISSION_STATUSES.len()
        );
    }
}

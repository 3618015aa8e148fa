//! Popularization figures over a generated city: every figure of the city, a district and a
//! township, for a year, a quarter and a range of days, must equal an independent count over
//! the raw tables; the ranking by child must hold each child's own figures, in league-table
//! order; bad periods and unknown units are refused.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::{DemoCity, DemoUnit};
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};
use kexie_testkit::{merge_event, redis_url, GraphqlClient, SampleTree, TestDb};

const VENUE_STATUSES: [&str; 4] = ["PLANNED", "UNDER_CONSTRUCTION", "OPEN", "CLOSED"];
const VENUE_KINDS: [&str; 8] = [
    "SCIENCE_MUSEUM",
    "CAMPUS_MUSEUM",
    "COMMUNITY_HALL",
    "POPULARIZATION_BASE",
    "DEMO_COMMUNITY",
    "RURAL_DEMO_BASE",
    "WORKERS_HOME",
    "ONLINE",
];
const ACTIVITY_KINDS: [&str; 9] = [
    "LECTURE",
    "SCIENCE_DAY",
    "VOLUNTEER_SERVICE",
    "ACADEMICIAN_REPORT",
    "TRAINING",
    "COMPETITION",
    "EXHIBITION",
    "STUDY_TOUR",
    "BROADCAST",
];
const AUDIENCES: [&str; 6] = [
    "YOUTH",
    "ELDERLY",
    "FARMERS",
    "INDUSTRIAL_WORKERS",
    "CIVIL_SERVANTS",
    "GENERAL_PUBLIC",
];

const TOPICS: [&str; 7] = [
    "DISASTER_PREVENTION",
    "FOOD_SAFETY",
    "HEALTH",
    "AGRICULTURAL_TECHNOLOGY",
    "ECOLOGY",
    "DIGITAL_LITERACY",
    "SCIENTIST_SPIRIT",
];

/// A held activity's kind, audiences, participants, online reach and topics.
type HeldActivity = (String, Vec<String>, i32, i32, Vec<String>);

const FIGURES: &str = "fragment F on PopularizationFigures {
    venues venuesByStatus { status count } openVenues openVenuesByKind { kind count }
    activities participants onlineReach
    activitiesByKind { kind count participants }
    activitiesByAudience { audience count participants }
    activitiesByTopic { topic count }
}";

fn of_unit_query() -> String {
    format!(
        "query($r: [_Any!]!, $period: PeriodInput!) {{ _entities(representations: $r) {{
             ... on Unit {{ popularizationFigures(period: $period) {{ ...F }} }} }} }} {FIGURES}"
    )
}

fn by_child_query() -> String {
    format!(
        "query($r: [_Any!]!, $period: PeriodInput!, $by: PopularizationFigure!, $descending: Boolean!) {{
             _entities(representations: $r) {{ ... on Unit {{
                 popularizationFiguresByChild(period: $period, orderBy: $by, descending: $descending) {{
                     rank unit {{ id }} figures {{ ...F }} }} }} }} }} {FIGURES}"
    )
}

fn unit_ref(unit: Uuid) -> Value {
    json!([{ "__typename": "Unit", "id": unit.to_string() }])
}

/// A city shaped like the generated one, at the smallest size whose townships still have
/// venues and a few hundred activities a year: three districts of four townships, each
/// township with a rural technical association and an enterprise association, and the
/// city's own societies and universities.
fn demo_city() -> DemoCity {
    let mut city = DemoCity::new(2026, 1);
    let founded_on = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let mut add = |parent: Option<Uuid>, kind: &'static str, name: String, code: Option<String>| {
        // Fixed IDs, so that every run generates the same city.
        let id =
            Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + city.units.len() as u128);
        city.units.push(DemoUnit {
            id,
            parent_id: parent,
            kind,
            name,
            division_code: code,
            founded_on,
        });
        id
    };
    let root = add(
        None,
        "CITY",
        "绵阳市科学技术协会".into(),
        Some("510700".into()),
    );
    for n in 0..6 {
        add(Some(root), "SOCIETY", format!("绵阳市第{n}学会"), None);
    }
    add(Some(root), "UNIVERSITY", "西南科技大学科协".into(), None);
    add(Some(root), "SENIOR", "绵阳市老科技工作者协会".into(), None);
    for (d, district) in ["涪城区", "游仙区", "三台县"].iter().enumerate() {
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
        for n in 0..3 {
            add(
                Some(district_id),
                "SOCIETY",
                format!("{district}第{n}学会"),
                None,
            );
            add(
                Some(district_id),
                "ENTERPRISE",
                format!("{district}第{n}股份有限公司科协"),
                None,
            );
        }
        for (t, place) in ["青义镇", "石马镇", "城南街道", "柏林乡"]
            .iter()
            .enumerate()
        {
            let township_id = add(
                Some(district_id),
                "TOWNSHIP",
                format!("{district}{place}科协"),
                Some(format!("{code}{:03}", 100 + t)),
            );
            add(
                Some(township_id),
                "RURAL_TECH",
                format!("{place}猕猴桃专业技术协会"),
                None,
            );
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
/// few changes made through the API: a museum registered today as open since 2025, a venue
/// and some held activities archived.
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
    let server = kexie_popularization::build(&config).await.unwrap().spawn();
    let client = GraphqlClient::new(server.graphql_url());
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_popularization::NAME)
        .await
        .unwrap();
    let mut demo = demo_city();
    kexie_seed::popularization::seed(&pool, &mut demo.clone())
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

    client
        .data(
            "mutation($owner: ID!) { createVenue(input: { ownerId: $owner, name: \"青义镇科普馆\",
                 kind: COMMUNITY_HALL, status: OPEN, openedOn: \"2025-02-10\" }) { id } }",
            json!({ "owner": township.to_string() }),
        )
        .await;
    let (venue, version): (Uuid, i32) = sqlx::query_as(
        "select venue_id, version from venue where owner_unit_id = $1 and status = 'OPEN'
         order by venue_id limit 1",
    )
    .bind(district.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    client
        .data(
            "mutation($id: ID!, $version: Int!) { archiveVenue(id: $id, expectedVersion: $version) { id } }",
            json!({ "id": venue.to_string(), "version": version }),
        )
        .await;
    let held: Vec<(Uuid, i32)> = sqlx::query_as(
        "select activity_id, version from activity
         where organizer_unit_id = any($1) and status = 'HELD' and starts_on between '2025-07-01' and '2025-09-30'
         order by activity_id limit 3",
    )
    .bind(vec![township, district.id])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(held.len(), 3);
    for (activity, version) in held {
        client
            .data(
                "mutation($id: ID!, $version: Int!) { archiveActivity(id: $id, expectedVersion: $version) { id } }",
                json!({ "id": activity.to_string(), "version": version }),
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

/// The figures of `units` for the days `from..=to`, counted independently over the raw
/// tables.
async fn expected_figures(pool: &PgPool, units: &[Uuid], from: NaiveDate, to: NaiveDate) -> Value {
    // Each venue with the last status recorded by the end of `to` (local day).
    let venues: Vec<(String, Option<NaiveDate>, Option<String>)> = sqlx::query_as(
        "select v.kind, v.opened_on,
                (select c.to_status from status_change c
                 where c.entity_id = v.venue_id and (c.changed_at at time zone 'Asia/Shanghai')::date <= $2
                 order by c.changed_at desc, c.status_change_id desc limit 1)
         from venue v where v.owner_unit_id = any($1) and v.archived_at is null",
    )
    .bind(units)
    .bind(to)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut by_status: HashMap<&str, i64> = HashMap::new();
    let mut open_by_kind: HashMap<String, i64> = HashMap::new();
    for (kind, opened_on, recorded) in &venues {
        let opened = opened_on.is_some_and(|opened| opened <= to);
        let status = match recorded.as_deref() {
            None | Some("PLANNED") | Some("UNDER_CONSTRUCTION") if opened => "OPEN",
            None => continue,
            Some(status) => *VENUE_STATUSES
                .iter()
                .find(|known| **known == status)
                .unwrap(),
        };
        *by_status.entry(status).or_default() += 1;
        if status == "OPEN" {
            *open_by_kind.entry(kind.clone()).or_default() += 1;
        }
    }

    let activities: Vec<HeldActivity> = sqlx::query_as(
        "select kind, audiences, participants, online_reach, topics from activity
         where organizer_unit_id = any($1) and status = 'HELD' and archived_at is null
           and starts_on >= $2 and starts_on <= $3",
    )
    .bind(units)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut by_kind: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut by_audience: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut by_topic: HashMap<&str, i64> = HashMap::new();
    for (kind, audiences, participants, _, topics) in &activities {
        for topic in topics {
            *by_topic.entry(topic.as_str()).or_default() += 1;
        }
        let entry = by_kind.entry(kind.as_str()).or_default();
        entry.0 += 1;
        entry.1 += i64::from(*participants);
        for audience in audiences {
            let entry = by_audience.entry(audience.as_str()).or_default();
            entry.0 += 1;
            entry.1 += i64::from(*participants);
        }
    }
    let get = |map: &HashMap<&str, (i64, i64)>, key: &str| map.get(key).copied().unwrap_or((0, 0));
    json!({
        "venues": by_status.values().sum::<i64>(),
        "venuesByStatus": VENUE_STATUSES.iter()
            .map(|status| json!({ "status": status, "count": by_status.get(status).copied().unwrap_or(0) }))
            .collect::<Vec<_>>(),
        "openVenues": by_status.get("OPEN").copied().unwrap_or(0),
        "openVenuesByKind": VENUE_KINDS.iter()
            .map(|kind| json!({ "kind": kind, "count": open_by_kind.get(*kind).copied().unwrap_or(0) }))
            .collect::<Vec<_>>(),
        "activities": activities.len(),
        "participants": activities.iter().map(|a| i64::from(a.2)).sum::<i64>(),
        "onlineReach": activities.iter().map(|a| i64::from(a.3)).sum::<i64>(),
        "activitiesByKind": ACTIVITY_KINDS.iter()
            .map(|kind| { let (count, participants) = get(&by_kind, kind);
                          json!({ "kind": kind, "count": count, "participants": participants }) })
            .collect::<Vec<_>>(),
        "activitiesByAudience": AUDIENCES.iter()
            .map(|audience| { let (count, participants) = get(&by_audience, audience);
                              json!({ "audience": audience, "count": count, "participants": participants }) })
            .collect::<Vec<_>>(),
        "activitiesByTopic": TOPICS.iter()
            .map(|topic| json!({ "topic": topic, "count": by_topic.get(topic).copied().unwrap_or(0) }))
            .collect::<Vec<_>>(),
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
    data["_entities"][0]["popularizationFigures"].clone()
}

fn number(figures: &Value, figure: &str) -> i64 {
    figures[figure].as_i64().unwrap()
}

#[tokio::test]
async fn figures_of_a_city_a_district_and_a_township_equal_independent_counts() {
    let city = generated_city().await;
    let periods = [
        json!({ "year": 2025 }),
        json!({ "year": 2025, "quarter": 3 }),
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
            assert_eq!(actual, expected, "{label} {period}");
            // Numbers worth comparing: held activities with participants, open venues.
            assert!(
                number(&actual, "activities") > 0,
                "{label} {period}: {actual:#}"
            );
            assert!(number(&actual, "participants") > 0, "{label} {period}");
            assert!(
                number(&actual, "openVenues") > 0,
                "{label} {period}: {actual:#}"
            );
        }
    }

    // The quarters of a year add up to the year.
    let year = figures(&city, city.district, &json!({ "year": 2025 })).await;
    let mut quarters = 0;
    for quarter in 1..=4 {
        let figures = figures(
            &city,
            city.district,
            &json!({ "year": 2025, "quarter": quarter }),
        )
        .await;
        quarters += number(&figures, "activities");
    }
    assert_eq!(quarters, number(&year, "activities"));

    // The museum registered today as open since February 2025 is open at the end of 2025
    // and not yet on record at the end of 2024.
    let open_halls = |figures: &Value| {
        figures["openVenuesByKind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["kind"] == "COMMUNITY_HALL")
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    // (The township merged into it brings its own halls, counted apart here.)
    let mut own_halls = Vec::new();
    for year in [2024, 2025] {
        let period = json!({ "year": year });
        own_halls.push(
            open_halls(&figures(&city, city.township, &period).await)
                - open_halls(&figures(&city, city.merged, &period).await),
        );
    }
    assert_eq!(own_halls[1], own_halls[0] + 1);

    // A merged township's records count where it now hangs.
    let merged = expected_figures(
        &city.pool,
        &city.subtree(city.merged),
        day("2025-01-01"),
        day("2025-12-31"),
    )
    .await;
    assert!(number(&merged, "activities") > 0);
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

#[tokio::test]
async fn every_point_of_a_series_and_the_year_before_it_equal_independent_counts() {
    let city = generated_city().await;
    let query = format!(
        "query($r: [_Any!]!, $s: SeriesInput!) {{ _entities(representations: $r) {{
             ... on Unit {{ popularizationFiguresSeries(series: $s) {{ from to figures {{ ...F }} yearEarlier {{ ...F }} }} }} }} }} {FIGURES}"
    );
    for (unit, every, from, to, points) in [
        (city.city, "QUARTER", "2024-10-01", "2025-09-30", 4),
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
        let series = data["_entities"][0]["popularizationFiguresSeries"]
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
                point["figures"].clone(),
                expected,
                "{every} point {from}..{to}"
            );
            let (from, to) = kexie_testkit::year_earlier(from, to);
            let before = expected_figures(&city.pool, &subtree, from, to).await;
            assert_eq!(
                point["yearEarlier"].clone(),
                before,
                "{every} point a year before {from}..{to}"
            );
        }
    }
    // A series reads only the figures its selection needs: each field alone answers as
    // in the whole selection.
    kexie_testkit::assert_series_fields_alone_match(
        &city.client,
        "popularizationFiguresSeries",
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
                         year: popularizationFigures(period: $year) {{ ...F }}
                         quarter: popularizationFigures(period: $quarter) {{ ...F }} }} }} }} {FIGURES}"
            ),
            json!({ "r": representations, "year": year, "quarter": quarter }),
        )
        .await;
    for (position, unit) in units.iter().enumerate() {
        let entity = &data["_entities"][position];
        let (from, to) = days(&year);
        let expected_year = expected_figures(&city.pool, &city.subtree(*unit), from, to).await;
        assert_eq!(entity["year"], expected_year, "unit {unit}, the year");
        let (from, to) = days(&quarter);
        let expected_quarter = expected_figures(&city.pool, &city.subtree(*unit), from, to).await;
        assert_eq!(
            entity["quarter"], expected_quarter,
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
            "ACTIVITIES",
            "activities",
            true,
        ),
        (
            "city",
            city.city,
            json!({ "year": 2025, "quarter": 3 }),
            "OPEN_VENUES",
            "openVenues",
            false,
        ),
        (
            "district",
            city.district,
            json!({ "year": 2025 }),
            "PARTICIPANTS",
            "participants",
            true,
        ),
        (
            "district",
            city.district,
            json!({ "year": 2025, "quarter": 1 }),
            "VENUES",
            "venues",
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
        let rows = data["_entities"][0]["popularizationFiguresByChild"]
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
                row["figures"],
                expected,
                "{label} {by}: {}",
                city.unit(*child).name
            );
            expected_rows.push((
                *child,
                city.unit(*child).name.clone(),
                number(&expected, field),
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
        let expected_order = league(expected_rows.clone(), descending);
        assert_eq!(seen, expected_order, "{label} {by} {period}");
        // The values ranked differ, so the order says something.
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
            json!({ "r": unit_ref(city.district), "period": { "year": 2025 }, "by": "ACTIVITIES", "descending": true }),
        )
        .await;
    let rows = data["_entities"][0]["popularizationFiguresByChild"]
        .as_array()
        .unwrap();
    assert!(rows
        .iter()
        .all(|row| row["unit"]["id"] != city.merged.to_string()));
    let children_total: i64 = rows
        .iter()
        .map(|row| number(&row["figures"], "activities"))
        .sum();
    let district = figures(&city, city.district, &json!({ "year": 2025 })).await;
    let (from, to) = (day("2025-01-01"), day("2025-12-31"));
    let merged = expected_figures(&city.pool, &city.subtree(city.merged), from, to).await;
    let own = expected_figures(&city.pool, &[city.district], from, to).await;
    assert!(number(&merged, "activities") > 0);
    assert_eq!(
        number(&district, "activities"),
        children_total + number(&own, "activities")
    );
    let into = expected_figures(&city.pool, &city.subtree(city.township), from, to).await;
    let into_row = rows
        .iter()
        .find(|row| row["unit"]["id"] == city.township.to_string())
        .unwrap();
    assert_eq!(
        number(&into_row["figures"], "activities"),
        number(&into, "activities")
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
    let server = kexie_popularization::build(&config).await.unwrap().spawn();
    let tree = SampleTree::new();
    tree.publish(&db.redis_namespace()).await;
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_popularization::NAME)
        .await
        .unwrap();
    assert!(unit_tree::wait_for_seq(&pool, 1, Duration::from_secs(5)).await);
    let client = GraphqlClient::new(server.graphql_url());

    let by_child = |unit: Uuid, period: Value| json!({ "r": unit_ref(unit), "period": period, "by": "ACTIVITIES", "descending": true });
    for (period, field) in [
        (json!({ "year": 2025, "quarter": 5 }), "period.quarter"),
        (json!({ "quarter": 2 }), "period"),
        (json!({}), "period"),
        (
            json!({ "year": 2025, "from": "2025-01-01", "to": "2025-02-01" }),
            "period",
        ),
        (
            json!({ "from": "2025-03-01", "to": "2025-01-01" }),
            "period.to",
        ),
        (json!({ "year": 20250 }), "period.year"),
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

    // A known unit without records has every figure at zero, every kind listed.
    let data = client
        .data(
            &of_unit_query(),
            json!({ "r": unit_ref(tree.township_a.id), "period": { "year": 2025 } }),
        )
        .await;
    let figures = &data["_entities"][0]["popularizationFigures"];
    assert_eq!(figures["activities"], 0);
    assert_eq!(
        figures["activitiesByKind"].as_array().unwrap().len(),
        ACTIVITY_KINDS.len()
    );
    assert!(figures["activitiesByAudience"]
        .as_array()
        .unwrap()
        .iter()
        .all(|row| row["count"] == 0));
}

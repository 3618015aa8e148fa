//! Innovation figures over a generated city: every figure of the city, a district and a
//! township, for a year, a quarter and a range of days, and every point of a series with
//! the year before it, must equal an independent count over the raw tables (present
//! statuses read from the workflow history); the ranking by child must hold each child's
//! own figures in league-table order. The tree has a township merged into another; needs,
//! a result and a visit are archived, closed, held and back-dated through the API.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::DemoCity;
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree::{self, ReplicatedUnit, TreeKeys};
use kexie_testkit::{merge_event, redis_url, GraphqlClient, TestDb};

const NEED_STATUSES: [&str; 5] = ["PUBLISHED", "MATCHING", "MATCHED", "RESOLVED", "CLOSED"];
const FIELDS: [&str; 8] = [
    "ELECTRONIC_INFORMATION",
    "ADVANCED_MANUFACTURING",
    "NEW_MATERIALS",
    "BIOMEDICINE",
    "MODERN_AGRICULTURE",
    "ENERGY_ENVIRONMENT",
    "NEW_ENERGY",
    "DIGITAL_ECONOMY",
];
const MATCH_STATUSES: [&str; 5] = [
    "PROPOSED",
    "NEGOTIATING",
    "CONTRACTED",
    "TRANSFERRED",
    "FAILED",
];
const MATURITIES: [&str; 4] = ["LABORATORY", "PROTOTYPE", "PILOT", "INDUSTRIALIZED"];
const VISIT_KINDS: [&str; 2] = ["SOCIETY_VISIT", "EXPERT_TEAM"];
const PILOT_KINDS: [&str; 3] = ["PILOT_CITY", "HUB_CITY", "PILOT_PARK"];
const EVENT_KINDS: [&str; 5] = [
    "MATCHMAKING",
    "CONFERENCE",
    "SALON",
    "INDUSTRY_SEMINAR",
    "ROADSHOW",
];

const FIGURES: &str = "fragment F on InnovationFigures {
    techNeeds techNeedsByStatus { status count } techNeedsByField { field count }
    openTechNeeds resolvedTechNeeds matches matchesByStatus { status count }
    contracts contractValue transfers scienceResults scienceResultsByMaturity { maturity count }
    serviceVisits serviceVisitsByKind { kind count } problemsTaken problemsSolved expertServices
    cooperationAgreements cooperationInForce pilotDesignations pilotDesignationsByKind { kind count }
    events eventsByKind { kind count } eventParticipants eventNeedsPresented
    eventResultsPresented eventMatches
}";

fn unit_ref(unit: Uuid) -> Value {
    json!([{ "__typename": "Unit", "id": unit.to_string() }])
}

struct City {
    client: GraphqlClient,
    pool: PgPool,
    demo: DemoCity,
    city: Uuid,
    district: Uuid,
    township: Uuid,
    /// A township of `district` merged into `township`.
    merged: Uuid,
    _server: ServerHandle,
    _db: TestDb,
}

impl City {
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

    fn active_children(&self, parent: Uuid) -> Vec<Uuid> {
        self.demo
            .units
            .iter()
            .filter(|unit| unit.parent_id == Some(parent) && unit.id != self.merged)
            .map(|unit| unit.id)
            .collect()
    }
}

/// The compact generated city with its innovation records, one township merged into
/// another, and writes through the API: needs archived, a need published and closed on
/// past days, a result withdrawn.
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
    let server = kexie_innovation::build(&config).await.unwrap().spawn();
    let client = GraphqlClient::new(server.graphql_url());
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_innovation::NAME)
        .await
        .unwrap();
    let mut demo = DemoCity::compact();
    kexie_seed::innovation::seed(&pool, &mut demo.clone())
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

    let subtree: Vec<Uuid> = units
        .iter()
        .filter(|unit| unit.path.starts_with(&district.path))
        .map(|unit| unit.id)
        .collect();
    let archived: Vec<(Uuid, i32)> = sqlx::query_as(
        "select tech_need_id, version from tech_need
         where unit_id = any($1) and published_on between '2025-01-01' and '2025-12-31'
         order by tech_need_id limit 3",
    )
    .bind(&subtree)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(archived.len(), 3, "the district published needs in 2025");
    for (need, version) in archived {
        client
            .data(
                "mutation($id: ID!, $v: Int!) { archiveTechNeed(id: $id, expectedVersion: $v) { id } }",
                json!({ "id": need.to_string(), "v": version }),
            )
            .await;
    }
    let (result, version): (Uuid, i32) = sqlx::query_as(
        "select science_result_id, version from science_result order by science_result_id limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    client
        .data(
            "mutation($id: ID!, $v: Int!) { archiveScienceResult(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": result.to_string(), "v": version }),
        )
        .await;
    let back_dated = client
        .data(
            "mutation($unit: ID!) { createTechNeed(input: { unitId: $unit, title: \"补录的需求\",
                 field: NEW_ENERGY, problem: \"补录\", publishedOn: \"2025-02-03\" }) { id version } }",
            json!({ "unit": township.to_string() }),
        )
        .await["createTechNeed"]
        .clone();
    client
        .data(
            "mutation($id: ID!, $v: Int!) { transitionTechNeed(id: $id, expectedVersion: $v, to: CLOSED, on: \"2025-05-06\") { id } }",
            json!({ "id": back_dated["id"], "v": back_dated["version"] }),
        )
        .await;

    let (visit, version): (Uuid, i32) = sqlx::query_as(
        "select service_visit_id, version from service_visit where status = 'HELD'
         order by service_visit_id limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    client
        .data(
            "mutation($id: ID!, $v: Int!) { archiveServiceVisit(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": visit.to_string(), "v": version }),
        )
        .await;
    let recorded = client
        .data(
            "mutation($unit: ID!, $experts: [ID!]!) { createServiceVisit(input: { unitId: $unit,
                 enterpriseName: \"昌盛新材料有限公司\", kind: SOCIETY_VISIT, title: \"补录的企业行\",
                 visitedOn: \"2025-05-12\", expertIds: $experts }) { id } }",
            json!({ "unit": township.to_string(),
                    "experts": [Uuid::now_v7().to_string(), Uuid::now_v7().to_string()] }),
        )
        .await["createServiceVisit"]["id"]
        .clone();
    client
        .data(
            "mutation($id: ID!) { transitionServiceVisit(id: $id, expectedVersion: 1, to: HELD,
                 outcome: { problemsTaken: 3, problemsSolved: 2 }) { id } }",
            json!({ "id": recorded }),
        )
        .await;

    // Events: a held one archived, one recorded afterwards for the township presenting the
    // back-dated need, held, and a match brokered there.
    let (event, version): (Uuid, i32) = sqlx::query_as(
        "select innovation_event_id, version from innovation_event where status = 'HELD'
         order by innovation_event_id limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    client
        .data(
            "mutation($id: ID!, $v: Int!) { archiveInnovationEvent(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": event.to_string(), "v": version }),
        )
        .await;
    let open_need: Uuid = sqlx::query_scalar(
        "select tech_need_id from tech_need where unit_id = any($1) and archived_at is null
           and status in ('PUBLISHED', 'MATCHING') and published_on <= '2025-05-20'
         order by tech_need_id limit 1",
    )
    .bind(&subtree)
    .fetch_one(&pool)
    .await
    .unwrap();
    let recorded_event = client
        .data(
            "mutation($unit: ID!, $need: ID!) { createInnovationEvent(input: { unitId: $unit,
                 kind: MATCHMAKING, title: \"补录的供需对接会\", startsOn: \"2025-05-20\",
                 partnerBureaus: [SCIENCE_TECHNOLOGY], techNeedIds: [$need] }) { id } }",
            json!({ "unit": township.to_string(), "need": open_need.to_string() }),
        )
        .await["createInnovationEvent"]["id"]
        .clone();
    client
        .data(
            "mutation($id: ID!) { transitionInnovationEvent(id: $id, expectedVersion: 1, to: HELD,
                 attendance: { participants: 75, enterprises: 12 }) { id } }",
            json!({ "id": recorded_event }),
        )
        .await;
    client
        .data(
            "mutation($need: ID!, $event: ID!, $expert: ID!) { proposeNeedMatch(input: {
                 needId: $need, expertId: $expert, eventId: $event, proposedOn: \"2025-05-21\" }) { id } }",
            json!({ "need": open_need.to_string(), "event": recorded_event,
                    "expert": Uuid::now_v7().to_string() }),
        )
        .await;

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

fn within(day: Option<NaiveDate>, from: NaiveDate, to: NaiveDate) -> bool {
    day.is_some_and(|day| from <= day && day <= to)
}

/// Counts per key in the order of `keys`, zeros included.
fn breakdown(keys: &[&str], counts: &HashMap<String, i64>, name: &str) -> Vec<Value> {
    keys.iter()
        .map(|key| json!({ name: key, "count": counts.get(*key).copied().unwrap_or(0) }))
        .collect()
}

/// A match's day proposed, day signed, amount, day put to use, present status and whether
/// it was brokered at an event.
type MatchDays = (
    NaiveDate,
    Option<NaiveDate>,
    Option<f64>,
    Option<NaiveDate>,
    String,
    bool,
);

/// A visit's kind, day, problems taken up and solved, experts and present status.
type VisitFacts = (String, NaiveDate, i32, i32, i64, String);

/// The figures of `units` for the days `from..=to`, counted independently over the raw
/// tables: a record's present status is the last step of its history.
async fn expected_figures(pool: &PgPool, units: &[Uuid], from: NaiveDate, to: NaiveDate) -> Value {
    let last_status = "(select c.to_status from status_change c where c.entity_id = {id}
                        order by c.changed_at desc, c.status_change_id desc limit 1)";
    let needs: Vec<(String, NaiveDate, Option<NaiveDate>, String)> = sqlx::query_as(&format!(
        "select n.field, n.published_on, n.ended_on, {}
         from tech_need n where n.unit_id = any($1) and n.archived_at is null",
        last_status.replace("{id}", "n.tech_need_id")
    ))
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let stock_day = to.min(kexie_subgraph_kit::figures::china_today());
    let (mut by_status, mut by_field) = (HashMap::new(), HashMap::new());
    let (mut open, mut resolved) = (0, 0);
    for (field, published, ended, status) in &needs {
        if within(Some(*published), from, to) {
            *by_status.entry(status.clone()).or_insert(0) += 1;
            *by_field.entry(field.clone()).or_insert(0) += 1;
        }
        if *published <= stock_day && ended.is_none_or(|ended| ended > stock_day) {
            open += 1;
        }
        if status == "RESOLVED" && within(*ended, from, to) {
            resolved += 1;
        }
    }

    let matches: Vec<MatchDays> = sqlx::query_as(&format!(
        "select m.proposed_on, m.contract_signed_on, m.contract_amount::float8,
                    m.transferred_on, {}, m.innovation_event_id is not null
             from need_match m join tech_need n on n.tech_need_id = m.tech_need_id
             where n.unit_id = any($1) and n.archived_at is null",
        last_status.replace("{id}", "m.need_match_id")
    ))
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut matches_by_status = HashMap::new();
    let (mut contracts, mut value, mut transfers, mut event_matches) = (0, 0.0, 0, 0);
    for (proposed, signed, amount, transferred, status, at_event) in &matches {
        if within(Some(*proposed), from, to) {
            *matches_by_status.entry(status.clone()).or_insert(0) += 1;
            if *at_event {
                event_matches += 1;
            }
        }
        if within(*signed, from, to) {
            contracts += 1;
            value += amount.unwrap();
        }
        if within(*transferred, from, to) {
            transfers += 1;
        }
    }

    let results: Vec<(String, NaiveDate)> = sqlx::query_as(
        "select maturity, offered_on from science_result
         where owner_unit_id = any($1) and archived_at is null",
    )
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut by_maturity = HashMap::new();
    for (maturity, offered) in &results {
        if within(Some(*offered), from, to) {
            *by_maturity.entry(maturity.clone()).or_insert(0) += 1;
        }
    }

    // Held visits: the status from the history, the experts counted from their table.
    let visits: Vec<VisitFacts> = sqlx::query_as(&format!(
        "select v.kind, v.visited_on, v.problems_taken, v.problems_solved,
                (select count(*) from service_visit_expert e where e.service_visit_id = v.service_visit_id),
                {}
         from service_visit v where v.unit_id = any($1) and v.archived_at is null",
        last_status.replace("{id}", "v.service_visit_id")
    ))
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut by_kind = HashMap::new();
    let (mut taken, mut solved, mut experts) = (0, 0, 0);
    for (kind, visited, problems_taken, problems_solved, expert_count, status) in &visits {
        if status == "HELD" && within(Some(*visited), from, to) {
            *by_kind.entry(kind.clone()).or_insert(0) += 1;
            taken += i64::from(*problems_taken);
            solved += i64::from(*problems_solved);
            experts += expert_count;
        }
    }

    let agreements: Vec<(NaiveDate, Option<NaiveDate>)> = sqlx::query_as(
        "select signed_on, ends_on from cooperation_agreement
         where university_unit_id = any($1) and archived_at is null",
    )
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let signed = agreements
        .iter()
        .filter(|(day, _)| within(Some(*day), from, to))
        .count();
    let in_force = agreements
        .iter()
        .filter(|(day, end)| *day <= stock_day && end.is_none_or(|end| end >= stock_day))
        .count();
    let pilots: Vec<(String, i32, Option<i32>)> = sqlx::query_as(
        "select kind, from_year, to_year from pilot_designation
         where unit_id = any($1) and archived_at is null",
    )
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let year = stock_day.year();
    let mut pilots_by_kind = HashMap::new();
    for (kind, from_year, to_year) in &pilots {
        if *from_year <= year && to_year.is_none_or(|to_year| to_year >= year) {
            *pilots_by_kind.entry(kind.clone()).or_insert(0) += 1;
        }
    }

    // Held events: the status from the history, the presented records from their tables.
    let events: Vec<(String, NaiveDate, i32, i64, i64, String)> = sqlx::query_as(&format!(
        "select e.kind, e.starts_on, e.participants,
                (select count(*) from innovation_event_need p where p.innovation_event_id = e.innovation_event_id),
                (select count(*) from innovation_event_result p where p.innovation_event_id = e.innovation_event_id),
                {}
         from innovation_event e where e.unit_id = any($1) and e.archived_at is null",
        last_status.replace("{id}", "e.innovation_event_id")
    ))
    .bind(units)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut events_by_kind = HashMap::new();
    let (mut participants, mut needs_presented, mut results_presented) = (0, 0, 0);
    for (kind, starts, people, needs, results, status) in &events {
        if status == "HELD" && within(Some(*starts), from, to) {
            *events_by_kind.entry(kind.clone()).or_insert(0) += 1;
            participants += i64::from(*people);
            needs_presented += needs;
            results_presented += results;
        }
    }

    json!({
        "techNeeds": by_status.values().sum::<i64>(),
        "techNeedsByStatus": breakdown(&NEED_STATUSES, &by_status, "status"),
        "techNeedsByField": breakdown(&FIELDS, &by_field, "field"),
        "openTechNeeds": open,
        "resolvedTechNeeds": resolved,
        "matches": matches_by_status.values().sum::<i64>(),
        "matchesByStatus": breakdown(&MATCH_STATUSES, &matches_by_status, "status"),
        "contracts": contracts,
        "contractValue": (value * 100.0).round() / 100.0,
        "transfers": transfers,
        "scienceResults": by_maturity.values().sum::<i64>(),
        "scienceResultsByMaturity": breakdown(&MATURITIES, &by_maturity, "maturity"),
        "serviceVisits": by_kind.values().sum::<i64>(),
        "serviceVisitsByKind": breakdown(&VISIT_KINDS, &by_kind, "kind"),
        "problemsTaken": taken,
        "problemsSolved": solved,
        "expertServices": experts,
        "cooperationAgreements": signed,
        "cooperationInForce": in_force,
        "pilotDesignations": pilots_by_kind.values().sum::<i64>(),
        "pilotDesignationsByKind": breakdown(&PILOT_KINDS, &pilots_by_kind, "kind"),
        "events": events_by_kind.values().sum::<i64>(),
        "eventsByKind": breakdown(&EVENT_KINDS, &events_by_kind, "kind"),
        "eventParticipants": participants,
        "eventNeedsPresented": needs_presented,
        "eventResultsPresented": results_presented,
        "eventMatches": event_matches,
    })
}

/// Figures to compare: the contract value to the hundredth, as it is kept.
fn comparable(figures: &Value) -> Value {
    let mut figures = figures.clone();
    if let Some(value) = figures["contractValue"].as_f64() {
        figures["contractValue"] = json!((value * 100.0).round() / 100.0);
    }
    figures
}

async fn figures(city: &City, unit: Uuid, period: &Value) -> Value {
    let query = format!(
        "query($r: [_Any!]!, $period: PeriodInput!) {{ _entities(representations: $r) {{
             ... on Unit {{ innovationFigures(period: $period) {{ ...F }} }} }} }} {FIGURES}"
    );
    let data = city
        .client
        .data(&query, json!({ "r": unit_ref(unit), "period": period }))
        .await;
    data["_entities"][0]["innovationFigures"].clone()
}

#[tokio::test]
async fn figures_of_a_city_a_district_and_a_township_equal_independent_counts() {
    let city = generated_city().await;
    for (period, from, to) in [
        (json!({ "year": 2025 }), "2025-01-01", "2025-12-31"),
        (
            json!({ "year": 2025, "quarter": 2 }),
            "2025-04-01",
            "2025-06-30",
        ),
        (
            json!({ "from": "2024-02-10", "to": "2026-03-17" }),
            "2024-02-10",
            "2026-03-17",
        ),
        (json!({ "year": 2026 }), "2026-01-01", "2026-12-31"),
    ] {
        for unit in [city.city, city.district, city.township] {
            let expected =
                expected_figures(&city.pool, &city.subtree(unit), day(from), day(to)).await;
            let actual = figures(&city, unit, &period).await;
            assert_eq!(
                comparable(&actual),
                comparable(&expected),
                "{unit} {period}"
            );
        }
    }
    // The city's 2025 figures are not empty: the comparison compared something.
    let city_2025 = figures(&city, city.city, &json!({ "year": 2025 })).await;
    for figure in [
        "techNeeds",
        "matches",
        "contracts",
        "transfers",
        "scienceResults",
        "resolvedTechNeeds",
    ] {
        assert!(
            city_2025[figure].as_i64().unwrap() > 0,
            "{figure}: {city_2025:#}"
        );
    }
}

#[tokio::test]
async fn every_point_of_a_series_and_the_year_before_it_equal_independent_counts() {
    let city = generated_city().await;
    let query = format!(
        "query($r: [_Any!]!, $s: SeriesInput!) {{ _entities(representations: $r) {{
             ... on Unit {{ innovationFiguresSeries(series: $s) {{ from to figures {{ ...F }} yearEarlier {{ ...F }} }} }} }} }} {FIGURES}"
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
        let series = data["_entities"][0]["innovationFiguresSeries"]
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
    kexie_testkit::assert_series_fields_alone_match(
        &city.client,
        "innovationFiguresSeries",
        city.district,
        FIGURES,
        json!({ "from": "2024-01-01", "to": "2025-12-31", "every": "QUARTER" }),
    )
    .await;
}

#[tokio::test]
async fn children_are_ranked_by_the_chosen_figure_with_their_own_figures() {
    let city = generated_city().await;
    let query = format!(
        "query($r: [_Any!]!, $period: PeriodInput!, $by: InnovationFigure!, $descending: Boolean!) {{
             _entities(representations: $r) {{ ... on Unit {{
                 innovationFiguresByChild(period: $period, orderBy: $by, descending: $descending) {{
                     rank unit {{ id }} figures {{ ...F }} }} }} }} }} {FIGURES}"
    );
    for (by, field, descending) in [
        ("TECH_NEEDS", "techNeeds", true),
        ("SERVICE_VISITS", "serviceVisits", true),
        ("CONTRACT_VALUE", "contractValue", true),
        ("OPEN_TECH_NEEDS", "openTechNeeds", false),
    ] {
        let data = city
            .client
            .data(
                &query,
                json!({ "r": unit_ref(city.city), "period": { "year": 2025 }, "by": by,
                        "descending": descending }),
            )
            .await;
        let children = data["_entities"][0]["innovationFiguresByChild"]
            .as_array()
            .unwrap();
        let mut expected_children = city.active_children(city.city);
        expected_children.sort();
        let mut listed: Vec<Uuid> = children
            .iter()
            .map(|child| child["unit"]["id"].as_str().unwrap().parse().unwrap())
            .collect();
        listed.sort();
        assert_eq!(listed, expected_children, "every active child, once");
        let mut previous: Option<(i64, f64)> = None;
        for (position, child) in children.iter().enumerate() {
            let unit: Uuid = child["unit"]["id"].as_str().unwrap().parse().unwrap();
            let expected = expected_figures(
                &city.pool,
                &city.subtree(unit),
                day("2025-01-01"),
                day("2025-12-31"),
            )
            .await;
            assert_eq!(
                comparable(&child["figures"]),
                comparable(&expected),
                "{unit}"
            );
            let value = child["figures"][field].as_f64().unwrap();
            let rank = child["rank"].as_i64().unwrap();
            if let Some((previous_rank, previous_value)) = previous {
                if descending {
                    assert!(value <= previous_value, "{by}: largest first");
                } else {
                    assert!(value >= previous_value, "{by}: smallest first");
                }
                if value == previous_value {
                    assert_eq!(rank, previous_rank, "ties share a rank");
                } else {
                    assert_eq!(rank, position as i64 + 1, "the next rank skips");
                }
            } else {
                assert_eq!(rank, 1);
            }
            previous = Some((rank, value));
        }
    }
}

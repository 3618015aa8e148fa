//! Organization figures and the targets organizations measures, over a generated city:
//! every figure must equal what an independent SQL count over the raw tables says.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_seed::demo::DemoCity;
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_testkit::{redis_url, GraphqlClient, TestDb};

const UNKNOWN_ID: &str = "0190b6a0-0000-7000-8000-000000000000";
const KINDS: [&str; 8] = [
    "CITY",
    "DISTRICT",
    "TOWNSHIP",
    "ENTERPRISE",
    "UNIVERSITY",
    "SOCIETY",
    "RURAL_TECH",
    "SENIOR",
];

struct City {
    _db: TestDb,
    _server: ServerHandle,
    client: GraphqlClient,
    pool: PgPool,
    city: Uuid,
    district: Uuid,
    township: Uuid,
}

/// The generated city at scale 1 (the smallest), then reorganized through the API today: a
/// township of the first district merged into another, an enterprise association dissolved
/// and a new one recorded without a founding date.
async fn generated_city() -> City {
    let db = TestDb::new().await;
    let config = SubgraphConfig {
        database_url: db.url.clone(),
        redis_url: redis_url(),
        redis_namespace: db.redis_namespace(),
        listen: "127.0.0.1:0".parse().unwrap(),
        principal_secret: kexie_testkit::principal_secret(),
    };
    let server = kexie_organizations::build(&config).await.unwrap().spawn();
    let client = GraphqlClient::new(server.graphql_url());
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_organizations::NAME)
        .await
        .unwrap();
    kexie_seed::organizations::seed(&pool, &mut DemoCity::new(11, 1))
        .await
        .unwrap();

    let id = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let city = id("select unit_id from unit where parent_id is null").await;
    let district = id("select unit_id from unit where division_code = '510703'").await;
    let townships: Vec<Uuid> = sqlx::query_scalar(
        "select unit_id from unit where parent_id = $1 and kind = 'TOWNSHIP' order by division_code",
    )
    .bind(district)
    .fetch_all(&pool)
    .await
    .unwrap();
    let township = townships[0];
    let version = |unit: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i32>("select version from unit where unit_id = $1")
                .bind(unit)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    client
        .data(
            "mutation($id: ID!, $version: Int!, $into: ID!) {
                 mergeUnit(id: $id, expectedVersion: $version, intoUnitId: $into) { status } }",
            json!({ "id": townships[1].to_string(), "version": version(townships[1]).await,
                    "into": township.to_string() }),
        )
        .await;
    let enterprise: Uuid = sqlx::query_scalar(
        "select unit_id from unit u where kind = 'ENTERPRISE' and parent_id = $1
           and not exists (select 1 from unit c where c.parent_id = u.unit_id)
         order by unit_id limit 1",
    )
    .bind(township)
    .fetch_optional(&pool)
    .await
    .unwrap()
    .unwrap_or(
        id("select unit_id from unit where kind = 'ENTERPRISE' order by unit_id limit 1").await,
    );
    client
        .data(
            "mutation($id: ID!, $version: Int!) { dissolveUnit(id: $id, expectedVersion: $version) { status } }",
            json!({ "id": enterprise.to_string(), "version": version(enterprise).await }),
        )
        .await;
    client
        .data(
            "mutation($parent: ID!) { createUnit(input: { kind: ENTERPRISE, name: \"新建企业科协\", parentId: $parent }) { id } }",
            json!({ "parent": township.to_string() }),
        )
        .await;
    // The associations' own work: an activity archived, a report recorded afterwards for
    // the township (which now holds the merged one).
    let (activity, activity_version): (Uuid, i32) = sqlx::query_as(
        "select party_building_activity_id, version from party_building_activity
         order by party_building_activity_id limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    client
        .data(
            "mutation($id: ID!, $v: Int!) { archivePartyBuildingActivity(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": activity.to_string(), "v": activity_version }),
        )
        .await;
    client
        .data(
            "mutation($unit: ID!) { recordMediaReport(input: { unitId: $unit, title: \"补录的报道\",
                 outlet: \"四川日报\", level: PROVINCIAL, publishedOn: \"2025-03-03\" }) { id } }",
            json!({ "unit": township.to_string() }),
        )
        .await;
    City {
        _db: db,
        _server: server,
        client,
        pool,
        city,
        district,
        township,
    }
}

fn china_today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The subtree by walking parent links (not the materialized path the subgraph uses), and
/// each unit's status on a day from its recorded history (active before any change).
const SUBTREE: &str = "with recursive sub as (
        select unit_id from unit where unit_id = $1
        union all select u.unit_id from unit u join sub on u.parent_id = sub.unit_id),
    units as (
        select u.*, coalesce(u.founded_on, (u.created_at at time zone 'Asia/Shanghai')::date) as founded,
               coalesce((select c.to_status from status_change c
                         where c.entity_id = u.unit_id and (c.changed_at at time zone 'Asia/Shanghai')::date <= $2
                         order by c.changed_at desc limit 1), 'ACTIVE') as status_then,
               coalesce((select c.to_status from status_change c
                         where c.entity_id = u.unit_id and (c.changed_at at time zone 'Asia/Shanghai')::date <= $3
                         order by c.changed_at desc limit 1), 'ACTIVE') as status_on_judgement_day
        from unit u join sub using (unit_id))";

/// The figures of `unit`'s subtree for the days `from`..=`to`, counted independently.
async fn expected_figures(pool: &PgPool, unit: Uuid, from: NaiveDate, to: NaiveDate) -> Value {
    let judged_on = to.min(china_today());
    let by_kind: Vec<(String, i64)> = sqlx::query_as(&format!(
        "{SUBTREE} select kind, count(*) from units
         where founded <= $2 and status_then = 'ACTIVE' group by kind"
    ))
    .bind(unit)
    .bind(to)
    .bind(judged_on)
    .fetch_all(pool)
    .await
    .unwrap();
    let new_units: i64 = sqlx::query_scalar(&format!(
        "{SUBTREE} select count(*) from units where founded >= $4 and founded <= $2"
    ))
    .bind(unit)
    .bind(to)
    .bind(judged_on)
    .bind(from)
    .fetch_one(pool)
    .await
    .unwrap();
    let overdue: i64 = sqlx::query_scalar(&format!(
        "{SUBTREE} select count(*) from units u
         where u.founded <= $3 and u.status_on_judgement_day = 'ACTIVE'
           and exists (select 1 from term t
                       where t.unit_id = u.unit_id and t.archived_at is null and t.starts_on <= $3
                         and t.ends_on < $3
                         and t.number = (select max(number) from term l
                                         where l.unit_id = u.unit_id and l.archived_at is null
                                           and l.starts_on <= $3))"
    ))
    .bind(unit)
    .bind(to)
    .bind(judged_on)
    .fetch_one(pool)
    .await
    .unwrap();
    // Party building by kind and media reports by level, of the subtree's units, live.
    let party_building: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "{SUBTREE} select a.kind, count(*), sum(a.participants)::bigint
         from party_building_activity a join units u on u.unit_id = a.unit_id
         where a.archived_at is null and a.held_on between $4 and $2 group by a.kind"
    ))
    .bind(unit)
    .bind(to)
    .bind(judged_on)
    .bind(from)
    .fetch_all(pool)
    .await
    .unwrap();
    let reports: Vec<(String, i64)> = sqlx::query_as(&format!(
        "{SUBTREE} select m.level, count(*)
         from media_report m join units u on u.unit_id = m.unit_id
         where m.archived_at is null and m.published_on between $4 and $2
         group by m.level"
    ))
    .bind(unit)
    .bind(to)
    .bind(judged_on)
    .bind(from)
    .fetch_all(pool)
    .await
    .unwrap();
    let in_list = |list: &[(String, i64)], key: &str| {
        list.iter()
            .find(|(found, _)| found == key)
            .map_or(0, |(_, count)| *count)
    };
    let party_by_kind: Vec<(String, i64)> = party_building
        .iter()
        .map(|(kind, count, _)| (kind.clone(), *count))
        .collect();
    let count_of = |kind: &str| {
        by_kind
            .iter()
            .find(|(found, _)| found == kind)
            .map_or(0, |(_, count)| *count)
    };
    json!({
        "units": by_kind.iter().map(|(_, count)| count).sum::<i64>(),
        "unitsByKind": KINDS.iter().map(|kind| json!({ "kind": kind, "count": count_of(kind) })).collect::<Vec<_>>(),
        "newUnits": new_units,
        "termsOverdue": overdue,
        "overdueOn": judged_on.to_string(),
        "partyBuildingActivities": party_by_kind.iter().map(|(_, count)| count).sum::<i64>(),
        "partyBuildingActivitiesByKind": PARTY_KINDS.iter()
            .map(|kind| json!({ "kind": kind, "count": in_list(&party_by_kind, kind) }))
            .collect::<Vec<_>>(),
        "partyBuildingParticipants": party_building.iter().map(|(_, _, people)| people).sum::<i64>(),
        "mediaReports": reports.iter().map(|(_, count)| count).sum::<i64>(),
        "mediaReportsByLevel": LEVELS.iter()
            .map(|level| json!({ "level": level, "count": in_list(&reports, level) }))
            .collect::<Vec<_>>(),
    })
}

const FIGURES: &str = "units unitsByKind { kind count } newUnits termsOverdue overdueOn
    partyBuildingActivities partyBuildingActivitiesByKind { kind count } partyBuildingParticipants
    mediaReports mediaReportsByLevel { level count }";
const PARTY_KINDS: [&str; 4] = ["LECTURE", "TRAINING", "OBSERVATION", "WORK_MEETING"];
const LEVELS: [&str; 4] = ["CENTRAL", "PROVINCIAL", "CITY", "COUNTY"];

async fn figures(city: &City, unit: Uuid, period: Value) -> Value {
    city.client
        .data(
            &format!(
                "query($id: ID!, $period: PeriodInput!) {{ unit(id: $id) {{
                     organizationFigures(period: $period) {{ {FIGURES} }} }} }}"
            ),
            json!({ "id": unit.to_string(), "period": period }),
        )
        .await["unit"]["organizationFigures"]
        .clone()
}

/// The periods the figures are checked for: a past year, a past quarter, and the current
/// year (whose last day is still to come, so terms are judged today).
fn periods() -> Vec<(Value, NaiveDate, NaiveDate)> {
    let this_year = china_today().year();
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
            json!({ "year": this_year }),
            NaiveDate::from_ymd_opt(this_year, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(this_year, 12, 31).unwrap(),
        ),
    ]
}

#[tokio::test]
async fn figures_of_the_city_a_district_and_a_township_match_an_independent_count() {
    let city = generated_city().await;
    let mut non_trivial = (false, false);
    for unit in [city.city, city.district, city.township] {
        for (period, from, to) in periods() {
            let actual = figures(&city, unit, period.clone()).await;
            let expected = expected_figures(&city.pool, unit, from, to).await;
            assert_eq!(actual, expected, "unit {unit}, period {period}");
            non_trivial.0 |= expected["newUnits"].as_i64().unwrap() > 0;
            non_trivial.1 |= expected["termsOverdue"].as_i64().unwrap() > 0;
        }
    }
    assert_eq!(
        non_trivial,
        (true, true),
        "the dataset exercises every figure"
    );
    // The reorganization shows: the township now holds the merged one, which was still a
    // unit of its own in 2025 and is not one this year.
    let this_year = json!({ "year": china_today().year() });
    let in_2025 = figures(&city, city.district, json!({ "year": 2025 })).await;
    let now = figures(&city, city.district, this_year).await;
    assert_eq!(
        in_2025["unitsByKind"][2]["count"].as_i64().unwrap() - 1,
        now["unitsByKind"][2]["count"].as_i64().unwrap(),
        "one township fewer after the merger"
    );
}

#[tokio::test]
async fn every_point_of_a_series_and_the_year_before_it_match_an_independent_count() {
    let city = generated_city().await;
    let this_year = china_today().year();
    let query = format!(
        "query($id: ID!, $s: SeriesInput!) {{ unit(id: $id) {{
             organizationFiguresSeries(series: $s) {{
                 from to figures {{ {FIGURES} }} yearEarlier {{ {FIGURES} }} }} }} }}"
    );
    // The last case runs past today: its points still to come judge terms today.
    for (unit, every, from, to) in [
        (
            city.city,
            "QUARTER",
            "2024-01-01".to_string(),
            "2025-12-31".to_string(),
        ),
        (
            city.district,
            "YEAR",
            "2023-01-01".to_string(),
            "2025-12-31".to_string(),
        ),
        (
            city.township,
            "MONTH",
            format!("{this_year}-01-01"),
            format!("{this_year}-12-31"),
        ),
    ] {
        let data = city
            .client
            .data(
                &query,
                json!({ "id": unit.to_string(), "s": { "from": from, "to": to, "every": every } }),
            )
            .await;
        let series = data["unit"]["organizationFiguresSeries"]
            .as_array()
            .unwrap();
        assert!(!series.is_empty());
        for point in series {
            let (from, to) = (
                day(point["from"].as_str().unwrap()),
                day(point["to"].as_str().unwrap()),
            );
            assert_eq!(
                point["figures"],
                expected_figures(&city.pool, unit, from, to).await,
                "{every} point {from}..{to}"
            );
            let (from, to) = kexie_testkit::year_earlier(from, to);
            assert_eq!(
                point["yearEarlier"],
                expected_figures(&city.pool, unit, from, to).await,
                "{every} point a year before {from}..{to}"
            );
        }
    }
}

#[tokio::test]
async fn units_read_in_one_request_each_get_their_own_subtrees_figures_for_each_period() {
    let city = generated_city().await;
    // The city, a district within it and a township within that: their subtrees overlap,
    // and every unit below the township counts for all three.
    let units = [city.city, city.district, city.township];
    let [(year, year_from, year_to), (quarter, quarter_from, quarter_to), _] =
        <[_; 3]>::try_from(periods()).unwrap();
    let data = city
        .client
        .data(
            &format!(
                "query($a: ID!, $b: ID!, $c: ID!, $year: PeriodInput!, $quarter: PeriodInput!) {{
                     a: unit(id: $a) {{ ...F }} b: unit(id: $b) {{ ...F }} c: unit(id: $c) {{ ...F }} }}
                 fragment F on Unit {{
                     year: organizationFigures(period: $year) {{ {FIGURES} }}
                     quarter: organizationFigures(period: $quarter) {{ {FIGURES} }} }}"
            ),
            json!({
                "a": units[0].to_string(), "b": units[1].to_string(), "c": units[2].to_string(),
                "year": year, "quarter": quarter,
            }),
        )
        .await;
    for (alias, unit) in ["a", "b", "c"].into_iter().zip(units) {
        assert_eq!(
            data[alias]["year"],
            expected_figures(&city.pool, unit, year_from, year_to).await,
            "unit {unit}, the year"
        );
        assert_eq!(
            data[alias]["quarter"],
            expected_figures(&city.pool, unit, quarter_from, quarter_to).await,
            "unit {unit}, the quarter"
        );
    }
}

#[tokio::test]
async fn figures_by_child_rank_every_active_child_with_its_own_figures() {
    let city = generated_city().await;
    for (unit, order_by, field, descending) in [
        (city.city, "UNITS", "units", true),
        (city.district, "TERMS_OVERDUE", "termsOverdue", true),
        (city.district, "NEW_UNITS", "newUnits", false),
    ] {
        let (period, from, to) = periods().remove(0);
        let data = city
            .client
            .data(
                &format!(
                    "query($id: ID!, $period: PeriodInput!, $orderBy: OrganizationFigure!, $descending: Boolean!) {{
                         unit(id: $id) {{ organizationFiguresByChild(period: $period, orderBy: $orderBy, descending: $descending) {{
                             rank unit {{ id name status }} figures {{ {FIGURES} }} }} }} }}"
                ),
                json!({ "id": unit.to_string(), "period": period, "orderBy": order_by, "descending": descending }),
            )
            .await;
        let rows = data["unit"]["organizationFiguresByChild"]
            .as_array()
            .unwrap()
            .clone();

        // One row per active direct child, each with its own subtree's figures.
        let children: Vec<(Uuid, String)> = sqlx::query_as(
            "select unit_id, name from unit where parent_id = $1 and status = 'ACTIVE'",
        )
        .bind(unit)
        .fetch_all(&city.pool)
        .await
        .unwrap();
        assert_eq!(rows.len(), children.len());
        let mut expected = Vec::new();
        for (child, name) in &children {
            let figures = expected_figures(&city.pool, *child, from, to).await;
            expected.push((name.clone(), child.to_string(), figures));
        }
        // League-table order: by the figure, ties by name, tied rows sharing a rank.
        expected.sort_by(|a, b| {
            let (x, y) = (a.2[field].as_i64().unwrap(), b.2[field].as_i64().unwrap());
            let by_value = if descending { y.cmp(&x) } else { x.cmp(&y) };
            by_value.then_with(|| a.0.cmp(&b.0))
        });
        for (position, (row, (name, id, figures))) in rows.iter().zip(&expected).enumerate() {
            let better = expected
                .iter()
                .filter(|other| {
                    let (theirs, ours) = (
                        other.2[field].as_i64().unwrap(),
                        figures[field].as_i64().unwrap(),
                    );
                    if descending {
                        theirs > ours
                    } else {
                        theirs < ours
                    }
                })
                .count();
            assert_eq!(row["rank"], json!(better + 1), "row {position}");
            assert_eq!(row["unit"]["id"], json!(id));
            assert_eq!(row["unit"]["name"], json!(name));
            assert_eq!(row["unit"]["status"], json!("ACTIVE"));
            assert_eq!(&row["figures"], figures);
        }
        let ranks: Vec<i64> = rows
            .iter()
            .map(|row| row["rank"].as_i64().unwrap())
            .collect();
        assert!(
            ranks.windows(2).any(|pair| pair[0] == pair[1]),
            "some children tie on {field}: {ranks:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_period_is_refused_naming_the_field_and_an_unknown_unit_has_no_figures() {
    let city = generated_city().await;
    let query = "query($id: ID!, $period: PeriodInput!) { unit(id: $id) {
                     organizationFigures(period: $period) { units }
                     organizationFiguresByChild(period: $period, orderBy: UNITS) { rank } } }";
    for (period, field) in [
        (json!({ "year": 2025, "quarter": 5 }), "period.quarter"),
        (json!({}), "period"),
        (json!({ "quarter": 2 }), "period"),
        (
            json!({ "from": "2025-03-01", "to": "2025-01-01" }),
            "period.to",
        ),
        (
            json!({ "year": 2025, "from": "2025-01-01", "to": "2025-02-01" }),
            "period",
        ),
        (json!({ "year": 1800 }), "period.year"),
    ] {
        let body = city
            .client
            .post(
                query,
                json!({ "id": city.city.to_string(), "period": period }),
            )
            .await;
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 2, "{body:#}");
        for error in errors {
            assert_eq!(error["extensions"]["code"], "VALIDATION", "{body:#}");
            assert_eq!(error["extensions"]["field"], field, "{body:#}");
        }
    }
    // Lookups of an unknown unit answer null (the subgraph's convention); nothing is
    // counted for a unit that does not exist.
    let body = city
        .client
        .post(
            query,
            json!({ "id": UNKNOWN_ID, "period": { "year": 2025 } }),
        )
        .await;
    assert_eq!(body, json!({ "data": { "unit": null } }));
}

/// The actual figure of an organizations metric for `unit`'s subtree in `year`, counted
/// independently.
async fn expected_actual(pool: &PgPool, unit: Uuid, year: i32, metric: &str) -> i64 {
    let condition = match metric {
        "NEW_ENTERPRISE_ASSOCIATIONS" => {
            "kind = 'ENTERPRISE' and founded >= make_date($4, 1, 1) and founded <= make_date($4, 12, 31)"
        }
        _ => "exemplary_year = $4",
    };
    sqlx::query_scalar(&format!(
        "{SUBTREE} select count(*) from units where {condition}"
    ))
    .bind(unit)
    .bind(china_today())
    .bind(china_today())
    .bind(year)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn targets_organizations_measures_show_actual_attainment_and_whether_on_track() {
    let city = generated_city().await;
    let query = "query($unit: ID!, $year: Int!, $metric: TargetMetric!, $asOf: NaiveDate) {
        targets(filter: { unitId: $unit, year: $year, metric: $metric }) { nodes {
            id metric targetValue actual attainment onTrack(asOf: $asOf) } } }";
    let mut reached = (false, false);
    for unit in [city.city, city.district] {
        for year in [2024, 2025, 2026] {
            for metric in [
                "NEW_ENTERPRISE_ASSOCIATIONS",
                "EXEMPLARY_GRASSROOTS_ASSOCIATIONS",
            ] {
                let expected = expected_actual(&city.pool, unit, year, metric).await;
                for as_of in ["2025-07-02", "2026-02-01"] {
                    let data = city
                        .client
                        .data(
                            query,
                            json!({ "unit": unit.to_string(), "year": year, "metric": metric, "asOf": as_of }),
                        )
                        .await;
                    let target = &data["targets"]["nodes"][0];
                    let value = target["targetValue"].as_i64().unwrap();
                    assert_eq!(target["actual"], json!(expected), "{unit} {year} {metric}");
                    assert_eq!(
                        target["attainment"].as_f64().unwrap(),
                        expected as f64 / value as f64
                    );
                    let as_of = day(as_of);
                    let on_track = match year.cmp(&as_of.year()) {
                        std::cmp::Ordering::Less => expected >= value,
                        std::cmp::Ordering::Greater => true,
                        // 2025-07-02 is day 183 of 365.
                        std::cmp::Ordering::Equal if as_of.month() == 7 => {
                            expected as f64 >= value as f64 * 183.0 / 365.0
                        }
                        // 2026-02-01 is day 32 of 365.
                        std::cmp::Ordering::Equal => expected as f64 >= value as f64 * 32.0 / 365.0,
                    };
                    assert_eq!(
                        target["onTrack"],
                        json!(on_track),
                        "{unit} {year} {metric} {as_of}"
                    );
                    if year < as_of.year() {
                        if on_track {
                            reached.0 = true;
                        } else {
                            reached.1 = true;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(
        reached,
        (true, true),
        "some targets were reached and some missed"
    );
}

#[tokio::test]
async fn a_target_measured_elsewhere_takes_the_figure_the_gateway_brings_and_is_refused_without_it()
{
    let city = generated_city().await;
    let target = city
        .client
        .data(
            "query($unit: ID!) { targets(filter: { unitId: $unit, year: 2025, metric: SCIENCE_DAY_EVENTS }) {
                 nodes { id targetValue } } }",
            json!({ "unit": city.city.to_string() }),
        )
        .await["targets"]["nodes"][0]
        .clone();
    let value = target["targetValue"].as_i64().unwrap();
    // As the gateway asks once popularization has measured it.
    let data = city
        .client
        .data(
            "query($representations: [_Any!]!) { _entities(representations: $representations) {
                 ... on Target { metric actual attainment onTrack(asOf: \"2026-01-10\") } } }",
            json!({ "representations": [{ "__typename": "Target", "id": target["id"],
                    "talentActual": null, "popularizationActual": value + 3, "adviceActual": null }] }),
        )
        .await;
    assert_eq!(
        data["_entities"][0],
        json!({ "metric": "SCIENCE_DAY_EVENTS", "actual": value + 3,
                "attainment": (value + 3) as f64 / value as f64, "onTrack": true })
    );
    // Asked directly, without the measuring subgraph's figure, it is refused rather than
    // made up.
    let body = city
        .client
        .post(
            "query($unit: ID!) { targets(filter: { unitId: $unit, year: 2025, metric: SCIENCE_DAY_EVENTS }) {
                 nodes { actual } } }",
            json!({ "unit": city.city.to_string() }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    assert_eq!(body["errors"][0]["extensions"]["field"], "actual");
}

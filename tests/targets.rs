//! Targets (工作台账) through the gateway: each target's actual figure comes from the
//! subgraph whose records it counts, and organizations turns it into attainment and
//! whether the target is on track — one query, five subgraphs.

mod common;

use serde_json::{json, Value};

use common::{replicas_reach, start_gateway, start_subgraphs};
use kexie::seed::{self, SeedArgs};
use kexie::subgraphs::Subgraph;
use kexie_testkit::{redis_url, GraphqlClient, TestDb};

async fn create(hub: &GraphqlClient, mutation: &str, input_type: &str, input: Value) -> Value {
    let query =
        format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ id version }} }}");
    hub.data(&query, json!({ "input": input })).await[mutation].clone()
}

/// A city, a district with a township (exemplary in 2026) and an enterprise association
/// founded in 2026, and in the other subgraphs: two workstations (one provincially
/// certified), a Science Day event for youth and farmers held and another still planned, a
/// county science museum and the city's own, an approved research topic, and the
/// enterprise's technology need matched with an expert, contracted in April and resolved in
/// May, and a society visit to it in June; the township's party-building lecture and an
/// observation visit. Returns the IDs of the city and the district.
async fn a_year_of_work(db: &TestDb, hub: &GraphqlClient) -> (Value, Value) {
    let city = create(
        hub,
        "createUnit",
        "UnitInput",
        json!({ "kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700" }),
    )
    .await["id"]
        .clone();
    let district = create(
        hub,
        "createUnit",
        "UnitInput",
        json!({ "kind": "DISTRICT", "name": "涪城区科协", "divisionCode": "510703", "parentId": city }),
    )
    .await["id"]
        .clone();
    let township = create(
        hub,
        "createUnit",
        "UnitInput",
        json!({ "kind": "TOWNSHIP", "name": "青义镇科协", "divisionCode": "510703101", "parentId": district,
                "exemplaryYear": 2026 }),
    )
    .await["id"]
        .clone();
    let enterprise = create(
        hub,
        "createUnit",
        "UnitInput",
        json!({ "kind": "ENTERPRISE", "name": "绵阳金松电子科技有限公司科协", "parentId": district,
                "foundedOn": "2026-03-01" }),
    )
    .await["id"]
        .clone();
    replicas_reach(db, 4).await;
    for (kind, title) in [
        ("LECTURE", "党的二十大精神宣讲"),
        ("OBSERVATION", "学会党建工作观摩会"),
    ] {
        create(
            hub,
            "recordPartyBuildingActivity",
            "RecordPartyBuildingActivityInput",
            json!({ "unitId": township, "kind": kind, "title": title, "heldOn": "2026-04-15" }),
        )
        .await;
    }

    for (name, certification) in [
        ("金松电子院士（专家）工作站", "PROVINCIAL"),
        ("金松电子科技专家企业工作站", "CITY"),
    ] {
        create(
            hub,
            "createWorkstation",
            "CreateWorkstationInput",
            json!({ "kind": "ACADEMICIAN_EXPERT", "name": name, "hostUnitId": enterprise,
                    "certification": certification, "foundedOn": "2026-02-01" }),
        )
        .await;
    }
    let held = create(
        hub,
        "createActivity",
        "CreateActivityInput",
        json!({ "organizerId": township, "title": "青义镇全国科普日活动", "kind": "SCIENCE_DAY",
                "startsOn": "2026-09-20", "audiences": ["YOUTH", "FARMERS"],
                "topics": ["DISASTER_PREVENTION", "FOOD_SAFETY"] }),
    )
    .await;
    hub.data(
        "mutation($id: ID!) { transitionActivity(id: $id, expectedVersion: 1, to: HELD, participants: 300) { status } }",
        json!({ "id": held["id"] }),
    )
    .await;
    create(
        hub,
        "createActivity",
        "CreateActivityInput",
        json!({ "organizerId": township, "title": "青义镇科普日补充活动", "kind": "SCIENCE_DAY",
                "startsOn": "2026-09-21", "audiences": ["GENERAL_PUBLIC"], "topics": ["FOOD_SAFETY"] }),
    )
    .await;
    // A county museum open since May, and the city's own museum (not a county one).
    for (owner, name) in [(&district, "涪城区科技馆"), (&city, "绵阳市科技馆")] {
        create(
            hub,
            "createVenue",
            "CreateVenueInput",
            json!({ "ownerId": owner, "name": name, "kind": "SCIENCE_MUSEUM", "status": "OPEN",
                    "openedOn": "2026-05-01" }),
        )
        .await;
    }
    let topic = create(
        hub,
        "createResearchTopic",
        "CreateResearchTopicInput",
        json!({ "leadUnitId": district, "year": 2026, "title": "涪城区科技馆建设运营模式研究" }),
    )
    .await;
    hub.data(
        "mutation($id: ID!) { transitionResearchTopic(id: $id, expectedVersion: 1, to: APPROVED) { status } }",
        json!({ "id": topic["id"] }),
    )
    .await;
    let need = create(
        hub,
        "createTechNeed",
        "CreateTechNeedInput",
        json!({ "unitId": enterprise, "title": "嵌入式控制器国产化替代", "field": "ELECTRONIC_INFORMATION",
                "problem": "进口控制芯片供货周期长", "publishedOn": "2026-03-10" }),
    )
    .await;
    let proposed = create(
        hub,
        "proposeNeedMatch",
        "ProposeNeedMatchInput",
        json!({ "needId": need["id"], "expertId": "0190b6a0-0000-7000-8000-000000000001",
                "proposedOn": "2026-03-15" }),
    )
    .await;
    for (version, to, contract) in [
        (1, "NEGOTIATING", Value::Null),
        (
            2,
            "CONTRACTED",
            json!({ "signedOn": "2026-04-01", "amount": 50.0 }),
        ),
    ] {
        hub.data(
            "mutation($id: ID!, $v: Int!, $to: MatchStatus!, $contract: ContractInput) {
               transitionNeedMatch(id: $id, expectedVersion: $v, to: $to, contract: $contract) { status } }",
            json!({ "id": proposed["id"], "v": version, "to": to, "contract": contract }),
        )
        .await;
    }
    let visit = create(
        hub,
        "createServiceVisit",
        "CreateServiceVisitInput",
        json!({ "unitId": district, "enterpriseUnitId": enterprise, "kind": "SOCIETY_VISIT",
                "title": "涪城区电子学会企业行", "visitedOn": "2026-06-18" }),
    )
    .await;
    hub.data(
        "mutation($id: ID!) { transitionServiceVisit(id: $id, expectedVersion: 1, to: HELD,
             outcome: { problemsTaken: 3, problemsSolved: 2 }) { status } }",
        json!({ "id": visit["id"] }),
    )
    .await;
    // Published, matching (the proposal), matched (the contract): version 3.
    hub.data(
        "mutation($id: ID!) { transitionTechNeed(id: $id, expectedVersion: 3, to: RESOLVED, on: \"2026-05-20\") { status } }",
        json!({ "id": need["id"] }),
    )
    .await;
    (city, district)
}

async fn set_target(hub: &GraphqlClient, unit: &Value, metric: &str, value: i32) {
    create(
        hub,
        "createTarget",
        "TargetInput",
        json!({ "unitId": unit, "year": 2026, "metric": metric, "targetValue": value,
                "responsiblePerson": "李明", "deadline": "2026-12-31" }),
    )
    .await;
}

/// The unit's 2026 targets, by metric.
async fn targets(hub: &GraphqlClient, unit: &Value, as_of: &str) -> Vec<Value> {
    let data = hub
        .data(
            "query($unit: ID!, $asOf: NaiveDate) { unit(id: $unit) { targets(year: 2026) {
                 metric targetValue actual attainment onTrack(asOf: $asOf) } } }",
            json!({ "unit": unit, "asOf": as_of }),
        )
        .await;
    let mut targets = data["unit"]["targets"].as_array().unwrap().clone();
    targets.sort_by_key(|target| target["metric"].as_str().unwrap().to_string());
    targets
}

#[tokio::test]
async fn a_units_targets_show_actuals_from_every_subgraph_with_attainment_and_whether_on_track() {
    let db = TestDb::new().await;
    let servers = start_subgraphs(&db, &redis_url()).await;
    let gateway = start_gateway(&servers).await;
    let hub = GraphqlClient::new(gateway.graphql_url());
    let (city, district) = a_year_of_work(&db, &hub).await;
    for (metric, value) in [
        ("NEW_ENTERPRISE_ASSOCIATIONS", 2),
        ("EXEMPLARY_GRASSROOTS_ASSOCIATIONS", 1),
        ("CERTIFIED_WORKSTATIONS", 1),
        ("SCIENCE_DAY_EVENTS", 4),
        ("RURAL_POPULARIZATION_EVENTS", 2),
        ("SAFETY_POPULARIZATION_EVENTS", 2),
        ("COUNTY_SCIENCE_MUSEUMS", 1),
        ("RESEARCH_TOPICS", 1),
        ("ADOPTED_SUBMISSIONS", 2),
        ("RESOLVED_TECH_NEEDS", 3),
        ("TECH_CONTRACTS", 1),
        ("SOCIETY_ENTERPRISE_VISITS", 2),
        ("PARTY_BUILDING_EVENTS", 2),
    ] {
        set_target(&hub, &district, metric, value).await;
    }
    set_target(&hub, &city, "SCIENCE_DAY_EVENTS", 1).await;
    set_target(&hub, &city, "COUNTY_SCIENCE_MUSEUMS", 2).await;

    let target = |metric: &str, value: i32, actual: i32, attainment: f64, on_track: bool| {
        json!({ "metric": metric, "targetValue": value, "actual": actual,
                "attainment": attainment, "onTrack": on_track })
    };
    // At the end of the year a target is on track only when reached.
    assert_eq!(
        targets(&hub, &district, "2026-12-31").await,
        vec![
            target("ADOPTED_SUBMISSIONS", 2, 0, 0.0, false),
            target("CERTIFIED_WORKSTATIONS", 1, 1, 1.0, true),
            target("COUNTY_SCIENCE_MUSEUMS", 1, 1, 1.0, true),
            target("EXEMPLARY_GRASSROOTS_ASSOCIATIONS", 1, 1, 1.0, true),
            target("NEW_ENTERPRISE_ASSOCIATIONS", 2, 1, 0.5, false),
            // The lecture counts; the observation visit does not.
            target("PARTY_BUILDING_EVENTS", 2, 1, 0.5, false),
            target("RESEARCH_TOPICS", 1, 1, 1.0, true),
            target("RESOLVED_TECH_NEEDS", 3, 1, 1.0 / 3.0, false),
            target("RURAL_POPULARIZATION_EVENTS", 2, 1, 0.5, false),
            // Held on both topics, it counts once; the planned one not at all.
            target("SAFETY_POPULARIZATION_EVENTS", 2, 1, 0.5, false),
            target("SCIENCE_DAY_EVENTS", 4, 1, 0.25, false),
            target("SOCIETY_ENTERPRISE_VISITS", 2, 1, 0.5, false),
            target("TECH_CONTRACTS", 1, 1, 1.0, true),
        ]
    );
    // In early July half the year has passed: half the value keeps a target on track.
    let on_track: Vec<(String, bool)> = targets(&hub, &district, "2026-07-02")
        .await
        .iter()
        .map(|target| {
            (
                target["metric"].as_str().unwrap().to_string(),
                target["onTrack"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        on_track,
        vec![
            ("ADOPTED_SUBMISSIONS".to_string(), false),
            ("CERTIFIED_WORKSTATIONS".to_string(), true),
            ("COUNTY_SCIENCE_MUSEUMS".to_string(), true),
            ("EXEMPLARY_GRASSROOTS_ASSOCIATIONS".to_string(), true),
            ("NEW_ENTERPRISE_ASSOCIATIONS".to_string(), false),
            ("PARTY_BUILDING_EVENTS".to_string(), false),
            ("RESEARCH_TOPICS".to_string(), true),
            ("RESOLVED_TECH_NEEDS".to_string(), false),
            // 1 < 2 × 183/365: just short of the pace.
            ("RURAL_POPULARIZATION_EVENTS".to_string(), false),
            ("SAFETY_POPULARIZATION_EVENTS".to_string(), false),
            ("SCIENCE_DAY_EVENTS".to_string(), false),
            ("SOCIETY_ENTERPRISE_VISITS".to_string(), false),
            ("TECH_CONTRACTS".to_string(), true),
        ]
    );
    // The city's targets count the township's event two levels down and the district's
    // museum, but not the city's own museum.
    assert_eq!(
        targets(&hub, &city, "2026-12-31").await,
        vec![
            target("COUNTY_SCIENCE_MUSEUMS", 2, 1, 0.5, false),
            target("SCIENCE_DAY_EVENTS", 1, 1, 1.0, true),
        ]
    );

    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
}

const CITY_OVERVIEW: &str = include_str!("../schema/queries/city_overview.graphql");

#[tokio::test]
async fn the_city_overview_is_one_query_through_the_gateway_and_adds_up() {
    let db = TestDb::new().await;
    let args = SeedArgs {
        scale: 1,
        seed: 3,
        reset: false,
        if_empty: false,
    };
    seed::run(&args, &db.url, &redis_url(), &db.redis_namespace())
        .await
        .unwrap();
    let servers = start_subgraphs(&db, &redis_url()).await;
    let organizations = Subgraph::Organizations.connect(&db.url).await.unwrap();
    let seq: i64 = sqlx::query_scalar("select max(seq) from unit_event")
        .fetch_one(&organizations)
        .await
        .unwrap();
    replicas_reach(&db, seq).await;
    let gateway = start_gateway(&servers).await;
    let hub = GraphqlClient::new(gateway.graphql_url());

    let period = json!({ "year": 2025 });
    let overview = hub
        .data(CITY_OVERVIEW, json!({ "period": period, "year": 2025 }))
        .await;
    let city = &overview["city"];
    let districts: Vec<&Value> = city["districts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    assert_eq!(districts.len(), 9);
    // Every metric the texts set a target for, for the city and each district.
    let metrics = kexie_seed::organizations::SEED_CITY_TARGETS.len();
    assert_eq!(city["targets"].as_array().unwrap().len(), metrics);
    for district in &districts {
        let targets = district["targets"].as_array().unwrap();
        assert_eq!(targets.len(), metrics, "{}", district["name"]);
        for target in targets {
            let (actual, value) = (
                target["actual"].as_f64().unwrap(),
                target["targetValue"].as_f64().unwrap(),
            );
            let attainment = target["attainment"].as_f64().unwrap();
            assert!((attainment - actual / value).abs() < 1e-9, "{target}");
        }
    }
    // Districts' subtrees lie inside the city's: no figure of theirs adds up to more.
    for (figures, field) in [
        ("organizationFigures", "units"),
        ("organizationFigures", "termsOverdue"),
        ("talentFigures", "workers"),
        ("talentFigures", "honors"),
        ("talentFigures", "workstations"),
        ("innovationFigures", "techNeeds"),
        ("innovationFigures", "contracts"),
    ] {
        let of_districts: i64 = districts
            .iter()
            .map(|district| district[figures][field].as_i64().unwrap())
            .sum();
        let of_city = city[figures][field].as_i64().unwrap();
        assert!(
            of_districts > 0 && of_districts <= of_city,
            "{figures}.{field}"
        );
    }
    for target in city["targets"].as_array().unwrap() {
        let of_districts: i64 = districts
            .iter()
            .flat_map(|district| district["targets"].as_array().unwrap())
            .filter(|district_target| district_target["metric"] == target["metric"])
            .map(|district_target| district_target["actual"].as_i64().unwrap())
            .sum();
        assert!(
            of_districts <= target["actual"].as_i64().unwrap(),
            "{}",
            target["metric"]
        );
    }

    // Each district's row holds the figures the city's ranking of its children shows.
    let ranking = hub
        .data(
            "query($period: PeriodInput!) { city {
                 organizationFiguresByChild(period: $period, orderBy: UNITS) { unit { id } figures { units termsOverdue } }
                 talentFiguresByChild(period: $period, orderBy: WORKERS) { unit { id kind } figures { workers honors } } } }",
            json!({ "period": period }),
        )
        .await;
    for district in &districts {
        let organizations = ranking["city"]["organizationFiguresByChild"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["unit"]["id"] == district["id"])
            .unwrap();
        assert_eq!(
            organizations["figures"]["units"],
            district["organizationFigures"]["units"]
        );
        assert_eq!(
            organizations["figures"]["termsOverdue"],
            district["organizationFigures"]["termsOverdue"]
        );
        let talent = ranking["city"]["talentFiguresByChild"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["unit"]["id"] == district["id"])
            .unwrap();
        assert_eq!(talent["unit"]["kind"], "DISTRICT");
        assert_eq!(
            talent["figures"]["workers"],
            district["talentFigures"]["workers"]
        );
        assert_eq!(
            talent["figures"]["honors"],
            district["talentFigures"]["honors"]
        );
    }

    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
}

//! Demo data: one city's association tree, with terms, leadership and targets.
//!
//! Scale 1 is a prefecture-level city (modelled on 绵阳市) with its 9 districts, counties
//! and county-level city, about 150 townships and 600 base organizations. Larger scales add
//! districts (up to 90, with codes of the city's own prefix 5107xx) and then townships per
//! district. Township codes follow GB/T 10114: a district's 街道 take 001–099, its 镇
//! 101–199 and its 乡 201–399.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use sqlx::PgPool;

use crate::demo::{day_between, person_name, weighted, DemoCity, DemoUnit, Progress};
use crate::figures;
use kexie_subgraph_kit::id::id_at;
use kexie_subgraph_kit::unit_tree::ReplicatedUnit;

use kexie_organizations::db;
use kexie_subgraph_kit::target::{TargetKey, TargetMetric};
use std::collections::HashMap;

const ACTOR: &str = "demo-data";
const CITY_CODE: &str = "510700";

const DISTRICTS: &[(&str, &str)] = &[
    ("涪城区", "510703"),
    ("游仙区", "510704"),
    ("安州区", "510705"),
    ("三台县", "510722"),
    ("盐亭县", "510723"),
    ("梓潼县", "510725"),
    ("北川羌族自治县", "510726"),
    ("平武县", "510727"),
    ("江油市", "510781"),
];

/// The kinds of township with the codes GB/T 10114 gives each within a county: 街道
/// 001–099, 镇 100–199 (101 on: 100 is not used) and 乡 200–399 (from 201).
const TOWNSHIP_CODES: [(&str, std::ops::Range<usize>); 3] =
    [("街道", 1..100), ("镇", 101..200), ("乡", 201..400)];

const PLACE_SYLLABLES: &[&str] = &[
    "青", "义", "永", "新", "石", "龙", "花", "金", "松", "丰", "安", "河", "清", "平", "柏", "观",
    "古", "塘", "兴", "玉", "白", "桑", "双", "太", "富", "乐", "凤", "高", "林", "云", "南", "东",
];
const ENTERPRISE_TRADES: &[&str] = &[
    "电子科技",
    "新材料",
    "精密机械",
    "生物医药",
    "农业科技",
    "食品",
    "能源",
    "汽车零部件",
    "智能装备",
    "信息技术",
    "化工",
    "建材",
    "纺织",
    "环保科技",
];
const SOCIETIES: &[&str] = &[
    "农学会",
    "医学会",
    "护理学会",
    "计算机学会",
    "机械工程学会",
    "林学会",
    "水利学会",
    "气象学会",
    "药学会",
    "中医药学会",
    "电子学会",
    "土木建筑学会",
    "畜牧兽医学会",
    "植物保护学会",
    "科普作家协会",
    "青少年科技教育协会",
    "环境科学学会",
    "心理学会",
    "茶叶学会",
];
const RURAL_CROPS: &[&str] = &[
    "猕猴桃",
    "茶叶",
    "蚕桑",
    "食用菌",
    "中药材",
    "生猪养殖",
    "柑橘",
    "蔬菜",
    "水产养殖",
    "核桃",
    "魔芋",
    "稻渔综合种养",
];
const UNIVERSITIES: &[&str] = &[
    "西南科技大学",
    "绵阳师范学院",
    "绵阳职业技术学院",
    "四川中医药高等专科学校",
    "绵阳城市学院",
    "四川文化传媒职业学院",
    "绵阳飞行职业学院",
    "四川汽车职业技术学院",
];

/// Generates the tree into `city.units` and writes it with terms, leadership and targets.
pub async fn seed(pool: &PgPool, city: &mut DemoCity) -> anyhow::Result<()> {
    let mut rng = city.rng("organizations");
    city.units = generate_units(city.scale.max(1), &mut rng);
    let mut progress = Progress::new("organizations: units", city.units.len());
    let mut tx = pool.begin().await?;
    db::tree::lock(&mut tx).await?;
    figures::defer(&mut tx).await?;
    let replicated = city.replicated_units();
    insert_units(&mut tx, &city.units, &replicated).await?;
    progress.advance(city.units.len());
    progress.finish();
    db::tree::append(&mut tx, &replicated).await?;

    let terms = insert_terms(&mut tx, &city.units, &mut rng).await?;
    insert_leaders(&mut tx, &city.units, &mut rng).await?;
    let targets = insert_targets(&mut tx, &city.units, &mut rng).await?;
    let mut work_rng = city.rng("association-work");
    let party_building = insert_party_building(&mut tx, &city.units, &mut work_rng).await?;
    let reports = insert_media_reports(&mut tx, &city.units, &mut work_rng).await?;
    figures::build(&mut tx).await?;
    tx.commit().await?;
    eprintln!(
        "organizations: {terms} terms, {targets} targets, {party_building} party-building activities, {reports} media reports"
    );
    Ok(())
}

/// Empties every table of the organizations schema.
pub async fn reset(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "truncate unit, unit_event, term, leadership_role, target, party_building_activity,
                  media_report, idempotency_key, status_change, figure_contribution,
                  figure_ledger cascade",
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn is_empty(pool: &PgPool) -> anyhow::Result<bool> {
    Ok(
        !sqlx::query_scalar::<_, bool>("select exists(select 1 from unit)")
            .fetch_one(pool)
            .await?,
    )
}

fn place_name(rng: &mut StdRng) -> String {
    let first = PLACE_SYLLABLES[rng.gen_range(0..PLACE_SYLLABLES.len())];
    let second = PLACE_SYLLABLES[rng.gen_range(0..PLACE_SYLLABLES.len())];
    format!("{first}{second}")
}

fn demo_unit(
    rng: &mut StdRng,
    parent: Option<&DemoUnit>,
    kind: &'static str,
    name: String,
    division_code: Option<String>,
    founded_from: NaiveDate,
) -> DemoUnit {
    let founded_on = day_between(
        rng,
        founded_from,
        NaiveDate::from_ymd_opt(2023, 12, 31).unwrap_or(founded_from),
    );
    let created_at = Utc.from_utc_datetime(&founded_on.and_hms_opt(9, 0, 0).unwrap_or_default());
    DemoUnit {
        id: id_at(created_at, rng),
        parent_id: parent.map(|parent| parent.id),
        kind,
        name,
        division_code,
        founded_on,
    }
}

fn generate_units(scale: u32, rng: &mut StdRng) -> Vec<DemoUnit> {
    let date = |year, month, day| NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default();
    let mut units = Vec::new();
    let city = demo_unit(
        rng,
        None,
        "CITY",
        "绵阳市科学技术协会".to_string(),
        Some(CITY_CODE.to_string()),
        date(1958, 1, 1),
    );
    let district_count = (DISTRICTS.len() * scale as usize).min(90);
    let townships_total = 150 * scale as usize;
    let townships_per_district = townships_total
        .div_ceil(district_count)
        .min(TOWNSHIP_CODES.iter().map(|(_, codes)| codes.len()).sum());
    let mut extra_district_codes = (6..100)
        .map(|number| format!("5107{number:02}"))
        .filter(|code| DISTRICTS.iter().all(|(_, real)| real != code));
    let mut used_names = std::collections::HashSet::new();
    units.push(city.clone());

    for index in 0..4.min(UNIVERSITIES.len()) * scale as usize {
        let name = format!("{}科协", UNIVERSITIES[index % UNIVERSITIES.len()]);
        let name = if index < UNIVERSITIES.len() {
            name
        } else {
            format!("{name}（{}校区）", index / UNIVERSITIES.len() + 1)
        };
        units.push(demo_unit(
            rng,
            Some(&city),
            "UNIVERSITY",
            name,
            None,
            date(1990, 1, 1),
        ));
    }
    for society in SOCIETIES {
        units.push(demo_unit(
            rng,
            Some(&city),
            "SOCIETY",
            format!("绵阳市{society}"),
            None,
            date(1960, 1, 1),
        ));
    }
    units.push(demo_unit(
        rng,
        Some(&city),
        "SENIOR",
        "绵阳市老科技工作者协会".to_string(),
        None,
        date(1985, 1, 1),
    ));

    for district_index in 0..district_count {
        let (name, code) = match DISTRICTS.get(district_index) {
            Some((name, code)) => (name.to_string(), code.to_string()),
            None => (
                format!("{}区", place_name(rng)),
                extra_district_codes
                    .next()
                    .expect("the city's prefix has a code for every district"),
            ),
        };
        let short = name.trim_end_matches("羌族自治县").to_string();
        let district = demo_unit(
            rng,
            Some(&city),
            "DISTRICT",
            format!("{name}科学技术协会"),
            Some(code.clone()),
            date(1980, 1, 1),
        );
        units.push(district.clone());
        units.push(demo_unit(
            rng,
            Some(&district),
            "SENIOR",
            format!("{short}老科协"),
            None,
            date(1995, 1, 1),
        ));
        for society in SOCIETIES.choose_multiple(rng, 10) {
            units.push(demo_unit(
                rng,
                Some(&district),
                "SOCIETY",
                format!("{short}{society}"),
                None,
                date(1985, 1, 1),
            ));
        }
        let mut taken = [0; TOWNSHIP_CODES.len()];
        for _ in 0..townships_per_district {
            if units.iter().filter(|unit| unit.kind == "TOWNSHIP").count() >= townships_total {
                break;
            }
            let mut base = place_name(rng);
            while !used_names.insert(format!("{code}{base}")) {
                base = place_name(rng);
            }
            // 镇 most often, 乡 and 街道 less; a kind whose codes are all taken yields to the
            // next.
            let mut kind = *weighted(rng, &[(1, 6), (2, 2), (0, 2)]);
            while taken[kind] == TOWNSHIP_CODES[kind].1.len() {
                kind = (kind + 1) % TOWNSHIP_CODES.len();
            }
            let (suffix, codes) = &TOWNSHIP_CODES[kind];
            let number = codes.start + taken[kind];
            taken[kind] += 1;
            let township = demo_unit(
                rng,
                Some(&district),
                "TOWNSHIP",
                format!("{base}{suffix}科协"),
                Some(format!("{code}{number:03}")),
                date(2000, 1, 1),
            );
            units.push(township.clone());
            if rng.gen_bool(0.85) {
                let crop = RURAL_CROPS[rng.gen_range(0..RURAL_CROPS.len())];
                units.push(demo_unit(
                    rng,
                    Some(&township),
                    "RURAL_TECH",
                    format!("{base}{crop}专业技术协会"),
                    None,
                    date(2005, 1, 1),
                ));
            }
            if rng.gen_bool(0.25) {
                units.push(demo_unit(
                    rng,
                    Some(&township),
                    "SENIOR",
                    format!("{base}{suffix}老科协"),
                    None,
                    date(2010, 1, 1),
                ));
            }
            for _ in 0..rng.gen_range(0..=2) {
                let trade = ENTERPRISE_TRADES[rng.gen_range(0..ENTERPRISE_TRADES.len())];
                let name = format!("四川{}{trade}有限公司科协", place_name(rng));
                units.push(demo_unit(
                    rng,
                    Some(&township),
                    "ENTERPRISE",
                    name,
                    None,
                    date(2012, 1, 1),
                ));
            }
        }
        for _ in 0..12 {
            let trade = ENTERPRISE_TRADES[rng.gen_range(0..ENTERPRISE_TRADES.len())];
            let name = format!("绵阳{}{trade}股份有限公司科协", place_name(rng));
            units.push(demo_unit(
                rng,
                Some(&district),
                "ENTERPRISE",
                name,
                None,
                date(2008, 1, 1),
            ));
        }
    }
    // A few enterprise associations founded within the history, for the
    // "新建企业科协" targets.
    let districts: Vec<DemoUnit> = units
        .iter()
        .filter(|unit| unit.kind == "DISTRICT")
        .cloned()
        .collect();
    for district in &districts {
        for _ in 0..rng.gen_range(3..=8) {
            let trade = ENTERPRISE_TRADES[rng.gen_range(0..ENTERPRISE_TRADES.len())];
            // "电子科技" makes "…电子科技有限公司", not "…电子科技科技有限公司".
            let form = if trade.ends_with("科技") {
                "有限公司"
            } else {
                "科技有限公司"
            };
            let name = format!("绵阳{}{trade}{form}科协", place_name(rng));
            let mut unit = demo_unit(
                rng,
                Some(district),
                "ENTERPRISE",
                name,
                None,
                date(2024, 1, 1),
            );
            unit.founded_on = day_between(rng, date(2024, 1, 1), date(2026, 11, 1));
            unit.id = id_at(
                Utc.from_utc_datetime(&unit.founded_on.and_hms_opt(9, 0, 0).unwrap_or_default()),
                rng,
            );
            units.push(unit);
        }
    }
    units
}

/// Inserts the units in bulk; returns each unit's materialized path, in order.
async fn insert_units(
    conn: &mut sqlx::PgConnection,
    units: &[DemoUnit],
    replicated: &[ReplicatedUnit],
) -> anyhow::Result<()> {
    let ordered_paths: Vec<&str> = replicated.iter().map(|unit| unit.path.as_str()).collect();
    let exemplary: Vec<Option<i32>> = units
        .iter()
        .enumerate()
        .map(|(index, unit)| match unit.kind {
            // Named in any year from 2015 on, never before the unit was founded.
            "TOWNSHIP" | "ENTERPRISE" | "RURAL_TECH" if index % 9 == 0 => {
                Some((2015 + (index / 9 % 12) as i32).max(unit.founded_on.year()))
            }
            _ => None,
        })
        .collect();
    let members: Vec<i32> = units
        .iter()
        .enumerate()
        .map(|(index, unit)| match unit.kind {
            "CITY" => 120,
            "DISTRICT" => 60,
            "SOCIETY" => 150 + (index % 7) as i32 * 60,
            "UNIVERSITY" => 300 + (index % 5) as i32 * 100,
            _ => 15 + (index % 11) as i32 * 8,
        })
        .collect();
    sqlx::query(
        "insert into unit (unit_id, parent_id, path, name, kind, division_code, founded_on, exemplary_year,
                           member_count, created_at, created_by, updated_by)
         select id, parent, path, name, kind, code, founded, exemplary, members,
                founded::timestamp at time zone 'Asia/Shanghai', $10, $10
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::int[], $9::int[])
              as t(id, parent, path, name, kind, code, founded, exemplary, members)",
    )
    .bind(units.iter().map(|unit| unit.id).collect::<Vec<_>>())
    .bind(units.iter().map(|unit| unit.parent_id).collect::<Vec<_>>())
    .bind(&ordered_paths)
    .bind(units.iter().map(|unit| unit.name.as_str()).collect::<Vec<_>>())
    .bind(units.iter().map(|unit| unit.kind).collect::<Vec<_>>())
    .bind(units.iter().map(|unit| unit.division_code.as_deref()).collect::<Vec<_>>())
    .bind(units.iter().map(|unit| unit.founded_on).collect::<Vec<_>>())
    .bind(&exemplary)
    .bind(&members)
    .bind(ACTOR)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Terms of five years; about one unit in eight is overdue for renewal.
async fn insert_terms(
    conn: &mut sqlx::PgConnection,
    units: &[DemoUnit],
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let (mut ids, mut unit_ids, mut numbers, mut starts, mut ends) =
        (vec![], vec![], vec![], vec![], vec![]);
    for unit in units {
        if unit.kind == "ENTERPRISE" && rng.gen_bool(0.5) {
            continue;
        }
        let overdue = rng.gen_bool(0.12);
        let latest_start_year = if overdue {
            rng.gen_range(2017..=2020)
        } else {
            rng.gen_range(2022..=2026)
        };
        let first_year = unit.founded_on.year().max(1990);
        let mut number = 1 + (latest_start_year - first_year).max(0) / 5;
        let mut start_year = latest_start_year;
        // The latest two terms are recorded.
        for _ in 0..2 {
            if number < 1 {
                break;
            }
            let starts_on =
                NaiveDate::from_ymd_opt(start_year, rng.gen_range(1..=12), rng.gen_range(1..=28))
                    .unwrap_or_default();
            let ends_on =
                NaiveDate::from_ymd_opt(start_year + 5, starts_on.month(), starts_on.day())
                    .unwrap_or(starts_on);
            ids.push(id_at(
                Utc.from_utc_datetime(&starts_on.and_hms_opt(10, 0, 0).unwrap_or_default()),
                rng,
            ));
            unit_ids.push(unit.id);
            numbers.push(number);
            starts.push(starts_on);
            ends.push(ends_on);
            number -= 1;
            start_year -= 5;
        }
    }
    sqlx::query(
        "insert into term (term_id, unit_id, number, starts_on, ends_on, created_by, updated_by)
         select *, $6, $6 from unnest($1::uuid[], $2::uuid[], $3::int[], $4::date[], $5::date[])",
    )
    .bind(&ids)
    .bind(&unit_ids)
    .bind(&numbers)
    .bind(&starts)
    .bind(&ends)
    .bind(ACTOR)
    .execute(&mut *conn)
    .await?;
    Ok(ids.len())
}

/// A chair, vice chairs and a secretary-general for every association of the
/// administrative line; townships' vice chairs are the three heads (三长).
async fn insert_leaders(
    conn: &mut sqlx::PgConnection,
    units: &[DemoUnit],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let (mut ids, mut unit_ids, mut names, mut roles, mut heads, mut posts) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for unit in units
        .iter()
        .filter(|unit| matches!(unit.kind, "CITY" | "DISTRICT" | "TOWNSHIP"))
    {
        let mut add = |rng: &mut StdRng,
                       role: &'static str,
                       head: Option<&'static str>,
                       post: Option<String>| {
            ids.push(id_at(
                Utc.from_utc_datetime(&unit.founded_on.and_hms_opt(11, 0, 0).unwrap_or_default()),
                rng,
            ));
            unit_ids.push(unit.id);
            names.push(person_name(rng));
            roles.push(role);
            heads.push(head);
            posts.push(post);
        };
        add(rng, "CHAIR", None, None);
        if unit.kind == "TOWNSHIP" {
            let place = unit.name.trim_end_matches("科协");
            add(
                rng,
                "VICE_CHAIR",
                Some("HOSPITAL_DIRECTOR"),
                Some(format!("{place}卫生院院长")),
            );
            add(
                rng,
                "VICE_CHAIR",
                Some("SCHOOL_PRINCIPAL"),
                Some(format!("{place}中心学校校长")),
            );
            add(
                rng,
                "VICE_CHAIR",
                Some("AGRICULTURAL_STATION_HEAD"),
                Some(format!("{place}农业综合服务站站长")),
            );
        } else {
            for _ in 0..rng.gen_range(2..=4) {
                add(rng, "VICE_CHAIR", None, None);
            }
        }
        add(rng, "SECRETARY_GENERAL", None, None);
    }
    sqlx::query(
        "insert into leadership_role (leadership_role_id, unit_id, person_name, role, three_heads_post, post,
                                      created_by, updated_by)
         select *, $7, $7 from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])",
    )
    .bind(&ids)
    .bind(&unit_ids)
    .bind(&names)
    .bind(&roles)
    .bind(&heads)
    .bind(&posts)
    .bind(ACTOR)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The city's yearly targets as the source texts set them (`001_*.txt`, `002_*.txt`: among
/// them 不少于20场 societies' visits to enterprises, 20场(次)以上 disaster-prevention and
/// food-safety popularization, 不少于20场(次) party-building lectures and training and 53篇
/// reports in central and provincial media; adopted submissions, resolved technology
/// needs and technology contracts have no value there and take 10, 30 and 40).
pub const SEED_CITY_TARGETS: &[(TargetMetric, i32)] = &[
    (TargetMetric::NewEnterpriseAssociations, 5),
    (TargetMetric::ExemplaryGrassrootsAssociations, 20),
    (TargetMetric::CountyScienceMuseums, 6),
    (TargetMetric::VolunteerServices, 100),
    (TargetMetric::AcademicianReports, 10),
    (TargetMetric::ScienceDayEvents, 200),
    (TargetMetric::RuralPopularizationEvents, 50),
    (TargetMetric::ElderlyLectures, 5),
    (TargetMetric::SafetyPopularizationEvents, 20),
    (TargetMetric::CertifiedWorkstations, 30),
    (TargetMetric::ResearchTopics, 2),
    (TargetMetric::AdoptedSubmissions, 10),
    (TargetMetric::ResolvedTechNeeds, 30),
    (TargetMetric::TechContracts, 40),
    (TargetMetric::SocietyEnterpriseVisits, 20),
    (TargetMetric::PartyBuildingEvents, 20),
    (TargetMetric::MainstreamMediaReports, 53),
];

/// The attainments a sized target is drawn from, lowest and highest: a seed's own value is
/// kept when the generated city's actual lies within them.
const ATTAINMENT_RANGE: (f64, f64) = (0.4, 2.5);

/// The texts' own targets for the city, and a share of them for each district, per year.
async fn insert_targets(
    conn: &mut sqlx::PgConnection,
    units: &[DemoUnit],
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let city_targets = SEED_CITY_TARGETS;
    let districts = units
        .iter()
        .filter(|unit| unit.kind == "DISTRICT")
        .count()
        .max(1) as i32;
    let (mut ids, mut unit_ids, mut years, mut metrics, mut values, mut people, mut deadlines) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for unit in units
        .iter()
        .filter(|unit| matches!(unit.kind, "CITY" | "DISTRICT"))
    {
        for year in 2024..=2026 {
            for (metric, city_value) in city_targets {
                let value = if unit.kind == "CITY" {
                    *city_value
                } else {
                    (city_value * rng.gen_range(8..=16) / 10 / districts).max(1)
                };
                let created =
                    NaiveDate::from_ymd_opt(year, 1, rng.gen_range(5..=25)).unwrap_or_default();
                ids.push(id_at(
                    Utc.from_utc_datetime(&created.and_hms_opt(9, 30, 0).unwrap_or_default()),
                    rng,
                ));
                unit_ids.push(unit.id);
                years.push(year);
                metrics.push(*metric);
                values.push(value);
                people.push(person_name(rng));
                deadlines.push(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default());
            }
        }
    }
    sqlx::query(
        "insert into target (target_id, unit_id, year, metric, target_value, responsible_person, deadline,
                             created_by, updated_by)
         select *, $8, $8 from unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::int[], $6::text[], $7::date[])",
    )
    .bind(&ids)
    .bind(&unit_ids)
    .bind(&years)
    .bind(&metrics)
    .bind(&values)
    .bind(&people)
    .bind(&deadlines)
    .bind(ACTOR)
    .execute(&mut *conn)
    .await?;
    Ok(ids.len())
}

/// The days of the generated history, year by year: 2024, 2025 and 2026 up to its end.
fn history_years() -> impl Iterator<Item = (NaiveDate, NaiveDate)> {
    (2024..=2026).map(|year| {
        (
            NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
            NaiveDate::from_ymd_opt(year, 12, 31)
                .unwrap_or_default()
                .min(crate::demo::history_end()),
        )
    })
}

/// The societies' party building (学会党建): each society holds 0–2 activities a year —
/// mostly lectures on the Party's policies and training by Party-school experts, some
/// observation visits and work meetings — and the city association a work meeting or two
/// for all of them. Returns how many.
async fn insert_party_building(
    conn: &mut sqlx::PgConnection,
    units: &[DemoUnit],
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    use kexie_organizations::domain::PartyBuildingKind::*;
    const KINDS: &[(kexie_organizations::domain::PartyBuildingKind, u32)] = &[
        (Lecture, 45),
        (Training, 35),
        (Observation, 10),
        (WorkMeeting, 10),
    ];
    let (mut ids, mut unit_ids, mut kinds, mut titles, mut days, mut speakers, mut people) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for unit in units
        .iter()
        .filter(|unit| matches!(unit.kind, "SOCIETY" | "CITY"))
    {
        for (first, last) in history_years() {
            let count = if unit.kind == "CITY" {
                rng.gen_range(1..=2)
            } else {
                rng.gen_range(0..=2)
            };
            for _ in 0..count {
                let kind = if unit.kind == "CITY" {
                    WorkMeeting
                } else {
                    *weighted(rng, KINDS)
                };
                let day = day_between(rng, first, last);
                let (title, speaker) = match kind {
                    Lecture => (
                        "党的二十大精神宣讲报告会".to_string(),
                        Some(format!(
                            "{}党校 {}教授",
                            ["省委", "市委"][rng.gen_range(0..2)],
                            person_name(rng)
                        )),
                    ),
                    Training => (
                        format!("{}党员骨干培训班", unit.name),
                        Some(format!("市委党校 {}副教授", person_name(rng))),
                    ),
                    Observation => ("学会党建工作观摩会".to_string(), None),
                    WorkMeeting => ("学会党建科普工作会".to_string(), None),
                };
                ids.push(id_at(
                    Utc.from_utc_datetime(&day.and_hms_opt(6, 0, 0).unwrap_or_default()),
                    rng,
                ));
                unit_ids.push(unit.id);
                kinds.push(kind.as_str());
                titles.push(title);
                days.push(day);
                speakers.push(speaker);
                people.push(rng.gen_range(20..=150));
            }
        }
    }
    sqlx::query(
        "insert into party_building_activity (party_building_activity_id, unit_id, kind, title,
             held_on, speaker, participants, created_by, updated_by)
         select *, $8, $8 from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::date[],
                                      $6::text[], $7::int[])",
    )
    .bind(&ids)
    .bind(&unit_ids)
    .bind(&kinds)
    .bind(&titles)
    .bind(&days)
    .bind(&speakers)
    .bind(&people)
    .bind(ACTOR)
    .execute(&mut *conn)
    .await?;
    Ok(ids.len())
}

/// Publicity (宣传): the city association's work reported 50–70 times a year, mostly by
/// provincial media, some by central ones (人民日报, 科技日报 …) and the city's own; each
/// district's 5–15 times, mostly by the city's and the county's media. Returns how many.
async fn insert_media_reports(
    conn: &mut sqlx::PgConnection,
    units: &[DemoUnit],
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    use kexie_organizations::domain::MediaLevel::{self, *};
    const CITY_LEVELS: &[(MediaLevel, u32)] =
        &[(Central, 10), (Provincial, 65), (City, 22), (County, 3)];
    const DISTRICT_LEVELS: &[(MediaLevel, u32)] =
        &[(Central, 1), (Provincial, 14), (City, 45), (County, 40)];
    const TOPICS: &[&str] = &[
        "开展全国科普日系列活动",
        "科技志愿者服务走进乡村",
        "院士专家进企业助力高质量发展",
        "推进科技成果转化",
        "举办科技工作者日座谈会",
        "建设科普阵地服务群众",
        "深化科协系统改革",
        "学会服务企业行取得实效",
    ];
    let (mut ids, mut unit_ids, mut titles, mut outlets, mut levels, mut days) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for unit in units
        .iter()
        .filter(|unit| matches!(unit.kind, "CITY" | "DISTRICT"))
    {
        let (per_year, weights) = if unit.kind == "CITY" {
            (50..=70, CITY_LEVELS)
        } else {
            (5..=15, DISTRICT_LEVELS)
        };
        let place = unit.name.trim_end_matches("科协");
        for (first, last) in history_years() {
            for _ in 0..rng.gen_range(per_year.clone()) {
                let level = *weighted(rng, weights);
                let outlet = match level {
                    Central => ["人民日报", "新华网", "科技日报", "中国科协网"]
                        [rng.gen_range(0..4)]
                    .to_string(),
                    Provincial => ["四川日报", "四川科技报", "川观新闻", "四川广播电视台"]
                        [rng.gen_range(0..4)]
                    .to_string(),
                    City => {
                        ["绵阳日报", "绵阳广播电视台", "绵阳发布"][rng.gen_range(0..3)].to_string()
                    }
                    County => format!("{place}融媒体中心"),
                };
                let day = day_between(rng, first, last);
                ids.push(id_at(
                    Utc.from_utc_datetime(&day.and_hms_opt(7, 0, 0).unwrap_or_default()),
                    rng,
                ));
                unit_ids.push(unit.id);
                titles.push(format!(
                    "{place}：{}",
                    TOPICS[rng.gen_range(0..TOPICS.len())]
                ));
                outlets.push(outlet);
                levels.push(level.as_str());
                days.push(day);
            }
        }
    }
    sqlx::query(
        "insert into media_report (media_report_id, unit_id, title, outlet, level, published_on,
             created_by, updated_by)
         select *, $7, $7 from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                                      $6::date[])",
    )
    .bind(&ids)
    .bind(&unit_ids)
    .bind(&titles)
    .bind(&outlets)
    .bind(&levels)
    .bind(&days)
    .bind(ACTOR)
    .execute(&mut *conn)
    .await?;
    Ok(ids.len())
}

/// Every target of the work ledger, as the key its actual figure is measured by.
pub async fn targets(pool: &PgPool) -> anyhow::Result<Vec<TargetKey>> {
    let rows: Vec<(uuid::Uuid, i32, TargetMetric)> =
        sqlx::query_as("select unit_id, year, metric from target")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(unit_id, year, metric)| TargetKey {
            unit_id,
            year,
            metric,
        })
        .collect())
}

/// Sizes every target to what the generated city actually did, once every subgraph is
/// seeded, so that the work ledger reads like a real one: each value is the target's actual
/// figure (`actuals`, from the measuring subgraphs) over an attainment drawn around 0.9 —
/// about a fifth well behind (0.4–0.8), most near the mark (0.8–1.15), some ahead and a few
/// far ahead (up to 2.5). A target with nothing done gets a small value it falls short of.
/// A city target keeps the texts' own value ([`SEED_CITY_TARGETS`]) when the city's actual
/// is within that range of it: the texts' values are one association's own ledger, and
/// most of them are far from what the whole generated subtree does (5 lectures for the
/// elderly against a thousand), so those are sized like the rest. `keys` are the targets
/// ([`targets`]).
pub async fn size_targets(
    pool: &PgPool,
    city: &DemoCity,
    mut keys: Vec<TargetKey>,
    actuals: &HashMap<TargetKey, i64>,
) -> anyhow::Result<()> {
    let mut rng = city.rng("targets");
    // One order, whatever order the database returns them in: the same city every time.
    keys.sort_by_key(|key| (key.unit_id, key.year, key.metric as u8));
    let (mut units, mut years, mut metrics, mut values) = (vec![], vec![], vec![], vec![]);
    let city_id = city.units_of(&["CITY"]).next().map(|unit| unit.id);
    for key in keys {
        let actual = actuals.get(&key).copied().unwrap_or(0) as f64;
        let seed_value = SEED_CITY_TARGETS
            .iter()
            .find(|(metric, _)| *metric == key.metric)
            .map(|(_, value)| f64::from(*value))
            .filter(|_| Some(key.unit_id) == city_id);
        if let Some(seed_value) = seed_value {
            let attainment = actual / seed_value;
            if (ATTAINMENT_RANGE.0..=ATTAINMENT_RANGE.1).contains(&attainment) {
                continue;
            }
        }
        let attainment = match rng.gen_range(0..100) {
            0..=19 => rng.gen_range(ATTAINMENT_RANGE.0..0.8),
            20..=79 => rng.gen_range(0.8..1.15),
            80..=94 => rng.gen_range(1.15..1.6),
            _ => rng.gen_range(1.6..ATTAINMENT_RANGE.1),
        };
        let value = if actual > 0.0 {
            // Rounding a small actual's value down must not take it past the range.
            let least = (actual / ATTAINMENT_RANGE.1).ceil();
            ((actual / attainment).round().max(least) as i32).max(1)
        } else {
            rng.gen_range(1..=3)
        };
        units.push(key.unit_id);
        years.push(key.year);
        metrics.push(key.metric);
        values.push(value);
    }
    sqlx::query(
        "update target t set target_value = v.value
         from unnest($1::uuid[], $2::int[], $3::text[], $4::int[]) as v(unit_id, year, metric, value)
         where t.unit_id = v.unit_id and t.year = v.year and t.metric = v.metric",
    )
    .bind(&units)
    .bind(&years)
    .bind(&metrics)
    .bind(&values)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use uuid::Uuid;

    #[test]
    fn every_scale_makes_valid_unique_division_codes() {
        for scale in [1, 10, 50] {
            let units = generate_units(scale, &mut StdRng::seed_from_u64(2026));
            let codes: Vec<&str> = units
                .iter()
                .filter_map(|unit| unit.division_code.as_deref())
                .collect();
            for code in &codes {
                assert!(
                    code.bytes().all(|byte| byte.is_ascii_digit())
                        && (code.len() == 6 || code.len() == 9),
                    "scale {scale}: {code}"
                );
            }
            let distinct: std::collections::HashSet<_> = codes.iter().collect();
            assert_eq!(
                distinct.len(),
                codes.len(),
                "scale {scale}: duplicate codes"
            );
        }
    }

    #[test]
    fn codes_follow_the_city_prefix_and_gb_t_10114() {
        for scale in [1, 10, 50] {
            let units = generate_units(scale, &mut StdRng::seed_from_u64(7));
            let code_of = |id: Uuid| {
                units
                    .iter()
                    .find(|unit| unit.id == id)
                    .and_then(|unit| unit.division_code.clone())
                    .unwrap()
            };
            for unit in &units {
                let Some(code) = &unit.division_code else {
                    continue;
                };
                assert!(
                    code.starts_with("5107"),
                    "scale {scale}: {} {code}",
                    unit.name
                );
                if unit.kind == "TOWNSHIP" {
                    let district = code_of(unit.parent_id.unwrap());
                    assert_eq!(&code[..6], district, "{}", unit.name);
                    let number: usize = code[6..].parse().unwrap();
                    let (suffix, _) = TOWNSHIP_CODES
                        .iter()
                        .find(|(_, codes)| codes.contains(&number))
                        .unwrap_or_else(|| panic!("{} {code}", unit.name));
                    assert!(
                        unit.name.ends_with(&format!("{suffix}科协")),
                        "{} {code}",
                        unit.name
                    );
                }
            }
        }
        let city = generate_units(1, &mut StdRng::seed_from_u64(7));
        let districts: Vec<&str> = city
            .iter()
            .filter(|unit| unit.kind == "DISTRICT")
            .map(|unit| unit.name.as_str())
            .collect();
        assert_eq!(districts.len(), DISTRICTS.len());
        assert!(districts.contains(&"江油市科学技术协会"));
    }

    #[test]
    fn names_do_not_stutter_or_repeat_the_retired_scientists_association() {
        let units = generate_units(10, &mut StdRng::seed_from_u64(11));
        for unit in &units {
            assert!(!unit.name.contains("科技科技"), "{}", unit.name);
            if unit.kind == "SOCIETY" {
                assert!(!unit.name.contains("老年科技工作者"), "{}", unit.name);
            }
        }
    }
}

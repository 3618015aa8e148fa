//! Demo data: three years (2024 to November 2026) of enterprises' technology needs, results
//! on offer and the matches the associations brokered between them, for the city that
//! organizations and talent generated before.
//!
//! At scale 1: about 600 needs (two thirds published by enterprise associations for their
//! own enterprise, the rest by district associations for a named company), 400 results
//! owned by universities and societies (a third held by one of their workers), and 1–3
//! matches for two needs in three. Matches run like a real funnel (about a fifth still
//! proposed or negotiating, a third contracted, half of those put to use, the rest failed)
//! and the needs follow them: a need with a contract is MATCHED or, most often, RESOLVED; a
//! need without one is MATCHING, CLOSED or still PUBLISHED. Societies visit enterprises
//! (学会服务企业行, 0–2 a year each) and district associations send expert teams (专家服务团,
//! 0–3 a year each) with 1–4 of the city's workers: most held, taking up 1–6 problems and
//! solving some, a few cancelled, the last weeks' still planned. The city holds 2–3
//! 科创会·市州行 matchmaking events a year with the science and industry bureaus, districts
//! their own matchmaking or industry seminars, societies conferences and salons, universities
//! roadshows; matches proposed soon after a matchmaking event that presented their need are
//! often recorded as brokered there. Universities sign 1–4
//! cooperation agreements with enterprises a year (校企合作, most for three years). The city
//! is a 科创中国 pilot city since 2023 and its first district a pilot park since 2024. Every
//! record carries its whole workflow history. Volumes grow with the scale; everything derives from
//! `DemoCity::rng("innovation")`.

use anyhow::{bail, Context as _};
use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::demo::{day_between, history_start, DemoCity, DemoUnit, Progress};
use crate::figures;
use kexie_subgraph_kit::id::id_at;

use kexie_innovation::domain::{
    EventKind, EventStatus, Licensing, MatchStatus, NeedStatus, PilotKind, ResultMaturity,
    TechField, VisitKind, VisitStatus,
};
use kexie_subgraph_kit::bureau::PartnerBureau;

/// Who the generated records say wrote them.
const ACTOR: &str = "demo-data";
const NEEDS_PER_SCALE: usize = 600;
const RESULTS_PER_SCALE: usize = 400;
const CHUNK: usize = 5_000;

/// The last day of the generated history: fixed, so that the same seed always gives the
/// same city, and in the past.
fn generated_until() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default()
}

/// What a need is about, per field: (title, problem).
const NEED_TOPICS: &[(TechField, &str, &str)] = &[
    (
        TechField::AdvancedManufacturing,
        "数控机床主轴热变形补偿",
        "高速加工时主轴温升导致定位误差超过 0.02 毫米，需要热变形在线补偿方案",
    ),
    (
        TechField::AdvancedManufacturing,
        "焊接机器人视觉纠偏",
        "薄板焊缝跟踪不稳，返修率约 8%，希望引入视觉纠偏提高一次合格率",
    ),
    (
        TechField::NewMaterials,
        "高性能复合材料成型工艺",
        "碳纤维复合材料件孔隙率偏高，需要优化固化工艺和模具设计",
    ),
    (
        TechField::NewMaterials,
        "锂电池正极材料一致性提升",
        "批次间比容量波动大，需要改进烧结工艺与在线检测手段",
    ),
    (
        TechField::ElectronicInformation,
        "工业设备故障预测",
        "产线关键设备缺少状态监测，需要振动与温度数据的故障预警模型",
    ),
    (
        TechField::ElectronicInformation,
        "嵌入式控制器国产化替代",
        "现用进口控制芯片供货周期长，需要国产芯片替代及软件移植",
    ),
    (
        TechField::Biomedicine,
        "中药材有效成分提取纯化",
        "现有提取工艺收率低、溶剂残留高，需要绿色提取纯化工艺",
    ),
    (
        TechField::Biomedicine,
        "医疗器械生物相容性评价",
        "新产品注册需要生物相容性评价方案和检测合作",
    ),
    (
        TechField::ModernAgriculture,
        "设施蔬菜病虫害绿色防控",
        "大棚蔬菜农药使用偏多，需要生物防治和精准施药技术",
    ),
    (
        TechField::ModernAgriculture,
        "特色农产品保鲜储运",
        "鲜果采后损耗超过 20%，需要预冷与气调保鲜技术",
    ),
    (
        TechField::EnergyEnvironment,
        "工业废水深度处理",
        "含盐废水达标排放困难，需要低成本的深度处理与回用工艺",
    ),
    (
        TechField::EnergyEnvironment,
        "窑炉余热回收利用",
        "窑炉烟气余热未利用，希望评估余热发电或供热方案",
    ),
    (
        TechField::NewEnergy,
        "分布式光伏储能调度",
        "厂区光伏发电与用电负荷不匹配，需要储能配置和调度策略",
    ),
    (
        TechField::NewEnergy,
        "氢能叉车供氢系统",
        "计划试用氢能叉车，需要小型加氢与安全管理方案",
    ),
    (
        TechField::DigitalEconomy,
        "生产数据采集与数字孪生",
        "车间设备协议多样，需要统一的数据采集平台和数字孪生展示",
    ),
    (
        TechField::DigitalEconomy,
        "供应链协同管理系统",
        "上下游订单和库存信息不通，需要轻量化供应链协同系统",
    ),
];

/// What a result is, per field, with the maturity it typically has reached.
const RESULT_TOPICS: &[(TechField, &str, ResultMaturity)] = &[
    (
        TechField::AdvancedManufacturing,
        "基于数字孪生的机床热误差补偿技术",
        ResultMaturity::Pilot,
    ),
    (
        TechField::AdvancedManufacturing,
        "轻量化机器人关节减速器",
        ResultMaturity::Prototype,
    ),
    (
        TechField::NewMaterials,
        "低孔隙率复合材料热压罐成型工艺",
        ResultMaturity::Pilot,
    ),
    (
        TechField::NewMaterials,
        "高镍正极材料包覆改性技术",
        ResultMaturity::Laboratory,
    ),
    (
        TechField::ElectronicInformation,
        "旋转机械故障诊断算法与装置",
        ResultMaturity::Industrialized,
    ),
    (
        TechField::ElectronicInformation,
        "国产嵌入式实时操作系统适配套件",
        ResultMaturity::Prototype,
    ),
    (
        TechField::Biomedicine,
        "超临界二氧化碳中药提取工艺",
        ResultMaturity::Pilot,
    ),
    (
        TechField::Biomedicine,
        "可降解医用高分子材料",
        ResultMaturity::Laboratory,
    ),
    (
        TechField::ModernAgriculture,
        "设施蔬菜天敌昆虫防控技术",
        ResultMaturity::Industrialized,
    ),
    (
        TechField::ModernAgriculture,
        "果蔬预冷气调保鲜装置",
        ResultMaturity::Pilot,
    ),
    (
        TechField::EnergyEnvironment,
        "高盐废水膜浓缩蒸发结晶工艺",
        ResultMaturity::Pilot,
    ),
    (
        TechField::EnergyEnvironment,
        "中低温余热有机朗肯循环发电",
        ResultMaturity::Prototype,
    ),
    (
        TechField::NewEnergy,
        "光储一体化能量管理系统",
        ResultMaturity::Industrialized,
    ),
    (
        TechField::NewEnergy,
        "固态储氢材料与供氢装置",
        ResultMaturity::Laboratory,
    ),
    (
        TechField::DigitalEconomy,
        "多协议工业数据采集网关",
        ResultMaturity::Industrialized,
    ),
    (
        TechField::DigitalEconomy,
        "中小企业供应链协同云平台",
        ResultMaturity::Pilot,
    ),
];

const COMPANY_PREFIXES: &[&str] = &[
    "恒通", "华科", "瑞丰", "宏达", "金川", "天佑", "昌盛", "联创", "博远", "新锐",
];
const COMPANY_TRADES: &[&str] = &[
    "机械制造",
    "新材料",
    "电子科技",
    "生物科技",
    "农业开发",
    "环保科技",
    "能源",
    "信息技术",
];

/// A status step of the generated history.
struct Step {
    id: Uuid,
    entity_id: Uuid,
    from: Option<&'static str>,
    to: &'static str,
    at: DateTime<Utc>,
}

struct NeedPlan {
    id: Uuid,
    unit_id: Uuid,
    enterprise_name: Option<String>,
    title: String,
    field: TechField,
    problem: String,
    budget: Option<f64>,
    deadline: Option<NaiveDate>,
    status: NeedStatus,
    published_on: NaiveDate,
    ended_on: Option<NaiveDate>,
}

struct ResultPlan {
    id: Uuid,
    owner_unit_id: Uuid,
    owner_worker_id: Option<Uuid>,
    title: String,
    field: TechField,
    maturity: ResultMaturity,
    patent_numbers: Vec<String>,
    licensing: Licensing,
    offered_on: NaiveDate,
}

struct VisitPlan {
    id: Uuid,
    unit_id: Uuid,
    enterprise_unit_id: Option<Uuid>,
    enterprise_name: Option<String>,
    kind: VisitKind,
    title: String,
    visited_on: NaiveDate,
    status: VisitStatus,
    problems_taken: i32,
    problems_solved: i32,
    expert_ids: Vec<Uuid>,
}

struct MatchPlan {
    id: Uuid,
    need_id: Uuid,
    result_id: Option<Uuid>,
    expert_id: Option<Uuid>,
    status: MatchStatus,
    proposed_on: NaiveDate,
    contract_signed_on: Option<NaiveDate>,
    contract_amount: Option<f64>,
    transferred_on: Option<NaiveDate>,
    /// The day and time of its latest step.
    last_step: NaiveDate,
    last_at: DateTime<Utc>,
    /// The event at which it was brokered.
    event_id: Option<Uuid>,
}

struct EventPlan {
    id: Uuid,
    unit_id: Uuid,
    kind: EventKind,
    title: String,
    place: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    partner_bureaus: Vec<PartnerBureau>,
    status: EventStatus,
    participants: i32,
    enterprises: i32,
    need_ids: Vec<Uuid>,
    result_ids: Vec<Uuid>,
}

/// A time in the working hours of a local day, as a timestamp: when a generated step
/// happened.
fn at(day: NaiveDate, rng: &mut StdRng) -> DateTime<Utc> {
    let local =
        day.and_hms_opt(9, 0, 0).unwrap_or_default() + Duration::minutes(rng.gen_range(0..480));
    Utc.from_utc_datetime(&(local - Duration::hours(8)))
}

/// A step of `entity_id` on `day`, after its previous step (`previous`, which it moves on):
/// two steps on one day keep their order.
fn step(
    entity_id: Uuid,
    from: Option<&'static str>,
    to: &'static str,
    day: NaiveDate,
    previous: &mut DateTime<Utc>,
    rng: &mut StdRng,
) -> Step {
    let at = at(day, rng).max(*previous + Duration::minutes(1));
    *previous = at;
    Step {
        id: id_at(at, rng),
        entity_id,
        from,
        to,
        at,
    }
}

/// A day `days` after `day`, at the latest the end of the generated history.
fn later(day: NaiveDate, days: i64) -> NaiveDate {
    (day + Duration::days(days)).min(generated_until())
}

/// Generates and writes this subgraph's records for `city`. Needs the units and the workers:
/// run it after organizations and talent.
pub async fn seed(pool: &PgPool, city: &mut DemoCity) -> anyhow::Result<()> {
    if city.units.is_empty() {
        bail!("innovation needs the unit tree: seed organizations first");
    }
    if city.workers.is_empty() {
        bail!("innovation needs S&T workers as experts: seed talent first");
    }
    let mut rng = city.rng("innovation");
    let scale = city.scale.max(1) as usize;
    let enterprises: Vec<&DemoUnit> = city.units_of(&["ENTERPRISE"]).collect();
    let districts: Vec<&DemoUnit> = city.units_of(&["DISTRICT"]).collect();
    let owners: Vec<&DemoUnit> = city.units_of(&["UNIVERSITY", "SOCIETY"]).collect();
    if enterprises.is_empty() || districts.is_empty() || owners.is_empty() {
        bail!("innovation needs enterprises, districts, universities and societies in the tree");
    }

    let mut steps: Vec<Step> = Vec::new();
    let results = plan_results(city, &owners, RESULTS_PER_SCALE * scale, &mut rng);
    let mut needs = Vec::with_capacity(NEEDS_PER_SCALE * scale);
    let mut matches = Vec::new();
    for _ in 0..NEEDS_PER_SCALE * scale {
        let need = plan_need(&enterprises, &districts, &mut rng);
        let mut need_matches = plan_matches(city, &need, &results, &mut rng, &mut steps);
        needs.push(settle_need(need, &mut need_matches, &mut rng, &mut steps));
        matches.extend(need_matches);
    }

    let societies: Vec<&DemoUnit> = city.units_of(&["SOCIETY"]).collect();
    let visits = plan_visits(
        city,
        &societies,
        &districts,
        &enterprises,
        &mut rng,
        &mut steps,
    );

    let events = plan_events(
        city,
        &EventHosts {
            districts: &districts,
            societies: &societies,
            universities: &city.units_of(&["UNIVERSITY"]).collect::<Vec<_>>(),
        },
        (&needs, &results),
        &mut matches,
        &mut rng,
        &mut steps,
    );

    let mut tx = pool.begin().await?;
    figures::defer(&mut tx).await?;
    figures::replicate_tree(&mut tx, &city.replicated_units()).await?;
    let mut progress = Progress::new("innovation: records", needs.len() + results.len());
    for chunk in results.chunks(CHUNK) {
        insert_results(&mut tx, chunk).await?;
        progress.advance(chunk.len());
    }
    for chunk in needs.chunks(CHUNK) {
        insert_needs(&mut tx, chunk).await?;
        progress.advance(chunk.len());
    }
    insert_events(&mut tx, &events).await?;
    for chunk in matches.chunks(CHUNK) {
        insert_matches(&mut tx, chunk).await?;
    }
    for chunk in visits.chunks(CHUNK) {
        insert_visits(&mut tx, chunk).await?;
    }
    let universities: Vec<&DemoUnit> = city.units_of(&["UNIVERSITY"]).collect();
    let agreements = insert_agreements(&mut tx, &universities, &enterprises, &mut rng).await?;
    insert_pilots(&mut tx, city, &districts, &mut rng).await?;
    for chunk in steps.chunks(CHUNK) {
        insert_history(&mut tx, chunk).await?;
    }
    progress.finish();
    figures::build(&mut tx).await?;
    tx.commit()
        .await
        .context("Failed to commit the innovation demo data")?;
    eprintln!(
        "innovation: {} technology needs, {} scientific results, {} matches, {} service visits, {} events, {} cooperation agreements",
        needs.len(),
        results.len(),
        matches.len(),
        visits.len(),
        events.len(),
        agreements
    );
    Ok(())
}

/// Empties every table of the innovation schema, the replicated tree included.
pub async fn reset(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "truncate need_match, innovation_event_need, innovation_event_result, innovation_event,
             tech_need, science_result, service_visit, service_visit_expert,
             cooperation_agreement, pilot_designation, idempotency_key, status_change,
             unit_replica, unit_replica_state, figure_contribution, figure_ledger",
    )
    .execute(pool)
    .await
    .context("Failed to empty the innovation tables")?;
    Ok(())
}

/// Whether the subgraph holds no records of its own (the replicated tree does not count).
pub async fn is_empty(pool: &PgPool) -> anyhow::Result<bool> {
    let any: bool = sqlx::query_scalar(
        "select exists(select 1 from tech_need) or exists(select 1 from science_result)
             or exists(select 1 from service_visit) or exists(select 1 from innovation_event)",
    )
    .fetch_one(pool)
    .await
    .context("Failed to look for innovation records")?;
    Ok(!any)
}

fn plan_results(
    city: &DemoCity,
    owners: &[&DemoUnit],
    total: usize,
    rng: &mut StdRng,
) -> Vec<ResultPlan> {
    (0..total)
        .map(|_| {
            let owner = owners[rng.gen_range(0..owners.len())];
            let (field, title, maturity) = RESULT_TOPICS[rng.gen_range(0..RESULT_TOPICS.len())];
            let offered_on = day_between(rng, history_start(), generated_until());
            let holder = rng.gen_bool(0.33).then(|| {
                let worker = &city.workers[rng.gen_range(0..city.workers.len())];
                worker.id
            });
            let patents = (0..rng.gen_range(0..=3))
                .map(|_| {
                    format!(
                        "ZL{} 1 {:07}.{}",
                        rng.gen_range(2018..=2025),
                        rng.gen_range(0..10_000_000),
                        rng.gen_range(0..10)
                    )
                })
                .collect::<Vec<_>>();
            let licensing = *[
                Licensing::Transfer,
                Licensing::License,
                Licensing::Equity,
                Licensing::JointDevelopment,
            ]
            .choose(rng)
            .unwrap_or(&Licensing::License);
            ResultPlan {
                id: id_at(at(offered_on, rng), rng),
                owner_unit_id: owner.id,
                owner_worker_id: holder,
                title: title.to_string(),
                field,
                maturity,
                patent_numbers: patents,
                licensing,
                offered_on,
            }
        })
        .collect()
}

fn plan_need(enterprises: &[&DemoUnit], districts: &[&DemoUnit], rng: &mut StdRng) -> NeedPlan {
    let (field, title, problem) = NEED_TOPICS[rng.gen_range(0..NEED_TOPICS.len())];
    let published_on = day_between(rng, history_start(), generated_until());
    let (unit_id, enterprise_name) = if rng.gen_bool(0.67) {
        (enterprises[rng.gen_range(0..enterprises.len())].id, None)
    } else {
        let district = districts[rng.gen_range(0..districts.len())];
        let name = format!(
            "{}{}有限公司",
            COMPANY_PREFIXES[rng.gen_range(0..COMPANY_PREFIXES.len())],
            COMPANY_TRADES[rng.gen_range(0..COMPANY_TRADES.len())]
        );
        (district.id, Some(name))
    };
    NeedPlan {
        id: id_at(at(published_on, rng), rng),
        unit_id,
        enterprise_name,
        title: title.to_string(),
        field,
        problem: problem.to_string(),
        budget: rng
            .gen_bool(0.7)
            .then(|| f64::from(rng.gen_range(2..=300)) * 5.0),
        deadline: rng
            .gen_bool(0.6)
            .then(|| published_on + Duration::days(rng.gen_range(90..=540))),
        status: NeedStatus::Published,
        published_on,
        ended_on: None,
    }
}

/// The matches of one need: none for a third of the needs, else 1–3, the most advanced one
/// deciding where the need ends up.
fn plan_matches(
    city: &DemoCity,
    need: &NeedPlan,
    results: &[ResultPlan],
    rng: &mut StdRng,
    steps: &mut Vec<Step>,
) -> Vec<MatchPlan> {
    if rng.gen_bool(0.34) || need.published_on + Duration::days(14) > generated_until() {
        return Vec::new();
    }
    let same_field: Vec<&ResultPlan> = results
        .iter()
        .filter(|result| result.field == need.field && result.offered_on <= need.published_on)
        .collect();
    let mut matches: Vec<MatchPlan> = Vec::new();
    for _ in 0..rng.gen_range(1..=3) {
        let proposed_on = later(need.published_on, rng.gen_range(7..=60));
        let result = (!same_field.is_empty() && rng.gen_bool(0.6))
            .then(|| same_field[rng.gen_range(0..same_field.len())]);
        let expert_id = (result.is_none() || rng.gen_bool(0.3))
            .then(|| city.workers[rng.gen_range(0..city.workers.len())].id);
        let result_id = result.map(|result| result.id);
        let repeated = matches.iter().any(|other| {
            other.result_id == result_id && (result_id.is_some() || other.expert_id == expert_id)
        });
        if repeated {
            continue;
        }
        let id = id_at(at(proposed_on, rng), rng);
        let mut last_at = DateTime::<Utc>::MIN_UTC;
        steps.push(step(id, None, "PROPOSED", proposed_on, &mut last_at, rng));
        let mut plan = MatchPlan {
            id,
            need_id: need.id,
            result_id,
            expert_id,
            status: MatchStatus::Proposed,
            proposed_on,
            contract_signed_on: None,
            contract_amount: None,
            transferred_on: None,
            last_step: proposed_on,
            last_at,
            event_id: None,
        };
        let roll: f64 = rng.gen();
        if roll >= 0.1 {
            let talks = later(proposed_on, rng.gen_range(3..=30));
            steps.push(step(
                id,
                Some("PROPOSED"),
                "NEGOTIATING",
                talks,
                &mut plan.last_at,
                rng,
            ));
            plan.status = MatchStatus::Negotiating;
            plan.last_step = talks;
            if roll < 0.2 {
                // still talking
            } else if roll < 0.55 {
                let failed = later(talks, rng.gen_range(10..=90));
                steps.push(step(
                    id,
                    Some("NEGOTIATING"),
                    "FAILED",
                    failed,
                    &mut plan.last_at,
                    rng,
                ));
                plan.status = MatchStatus::Failed;
                plan.last_step = failed;
            } else {
                let signed = later(talks, rng.gen_range(10..=120));
                steps.push(step(
                    id,
                    Some("NEGOTIATING"),
                    "CONTRACTED",
                    signed,
                    &mut plan.last_at,
                    rng,
                ));
                plan.status = MatchStatus::Contracted;
                plan.contract_signed_on = Some(signed);
                plan.contract_amount = Some(f64::from(rng.gen_range(4..=400)) * 2.5);
                plan.last_step = signed;
                if rng.gen_bool(0.5) && signed + Duration::days(60) <= generated_until() {
                    let transferred = later(signed, rng.gen_range(60..=300));
                    steps.push(step(
                        id,
                        Some("CONTRACTED"),
                        "TRANSFERRED",
                        transferred,
                        &mut plan.last_at,
                        rng,
                    ));
                    plan.status = MatchStatus::Transferred;
                    plan.transferred_on = Some(transferred);
                    plan.last_step = transferred;
                }
            }
        }
        matches.push(plan);
    }
    matches
}

/// Where a need ends up given its matches, with its history. A need resolved ends its
/// matches still under way as FAILED, as the API does.
fn settle_need(
    mut need: NeedPlan,
    matches: &mut [MatchPlan],
    rng: &mut StdRng,
    steps: &mut Vec<Step>,
) -> NeedPlan {
    let mut last_at = DateTime::<Utc>::MIN_UTC;
    steps.push(step(
        need.id,
        None,
        "PUBLISHED",
        need.published_on,
        &mut last_at,
        rng,
    ));
    let first_proposal = matches.iter().map(|plan| plan.proposed_on).min();
    let first_contract = matches
        .iter()
        .filter_map(|plan| plan.contract_signed_on)
        .min();
    let Some(proposed) = first_proposal else {
        if rng.gen_bool(0.4) && need.published_on + Duration::days(180) <= generated_until() {
            let closed = later(need.published_on, rng.gen_range(180..=360));
            steps.push(step(
                need.id,
                Some("PUBLISHED"),
                "CLOSED",
                closed,
                &mut last_at,
                rng,
            ));
            need.status = NeedStatus::Closed;
            need.ended_on = Some(closed);
        }
        return need;
    };
    steps.push(step(
        need.id,
        Some("PUBLISHED"),
        "MATCHING",
        proposed,
        &mut last_at,
        rng,
    ));
    need.status = NeedStatus::Matching;
    let last_activity = matches
        .iter()
        .map(|plan| plan.last_step)
        .max()
        .unwrap_or(proposed);
    match first_contract {
        Some(signed) => {
            steps.push(step(
                need.id,
                Some("MATCHING"),
                "MATCHED",
                signed,
                &mut last_at,
                rng,
            ));
            need.status = NeedStatus::Matched;
            if rng.gen_bool(0.7) && last_activity + Duration::days(30) <= generated_until() {
                let resolved = later(last_activity, rng.gen_range(30..=120));
                steps.push(step(
                    need.id,
                    Some("MATCHED"),
                    "RESOLVED",
                    resolved,
                    &mut last_at,
                    rng,
                ));
                need.status = NeedStatus::Resolved;
                need.ended_on = Some(resolved);
                for plan in matches.iter_mut().filter(|plan| {
                    matches!(
                        plan.status,
                        MatchStatus::Proposed | MatchStatus::Negotiating
                    )
                }) {
                    let from = plan.status.as_str();
                    steps.push(step(
                        plan.id,
                        Some(from),
                        "FAILED",
                        resolved,
                        &mut plan.last_at,
                        rng,
                    ));
                    plan.status = MatchStatus::Failed;
                }
            }
        }
        None => {
            let all_failed = matches
                .iter()
                .all(|plan| plan.status == MatchStatus::Failed);
            if all_failed && rng.gen_bool(0.6) {
                let closed = later(last_activity, rng.gen_range(7..=60));
                steps.push(step(
                    need.id,
                    Some("MATCHING"),
                    "CLOSED",
                    closed,
                    &mut last_at,
                    rng,
                ));
                need.status = NeedStatus::Closed;
                need.ended_on = Some(closed);
            }
        }
    }
    need
}

/// Visits of each year: societies' visits to enterprises and district associations' expert
/// teams, with their history.
fn plan_visits(
    city: &DemoCity,
    societies: &[&DemoUnit],
    districts: &[&DemoUnit],
    enterprises: &[&DemoUnit],
    rng: &mut StdRng,
    steps: &mut Vec<Step>,
) -> Vec<VisitPlan> {
    let mut visits = Vec::new();
    let organizers = societies
        .iter()
        .map(|unit| (*unit, VisitKind::SocietyVisit, 0..=2))
        .chain(
            districts
                .iter()
                .map(|unit| (*unit, VisitKind::ExpertTeam, 0..=3)),
        );
    for (organizer, kind, per_year) in organizers {
        for year in 2024..=2026 {
            let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
            let last = NaiveDate::from_ymd_opt(year, 12, 31)
                .unwrap_or_default()
                .min(generated_until());
            for _ in 0..rng.gen_range(per_year.clone()) {
                let visited_on = day_between(rng, first, last);
                let enterprise = rng
                    .gen_bool(0.6)
                    .then(|| enterprises[rng.gen_range(0..enterprises.len())]);
                let (_, need_title, _) = NEED_TOPICS[rng.gen_range(0..NEED_TOPICS.len())];
                let title = match kind {
                    VisitKind::SocietyVisit => format!("{}企业行：{need_title}", organizer.name),
                    VisitKind::ExpertTeam => format!("专家服务团：{need_title}"),
                };
                let planned_on = visited_on - Duration::days(rng.gen_range(10..=30));
                let id = id_at(at(planned_on, rng), rng);
                let mut last_at = DateTime::<Utc>::MIN_UTC;
                steps.push(step(id, None, "PLANNED", planned_on, &mut last_at, rng));
                let recent = visited_on + Duration::days(21) > generated_until();
                let (status, taken, solved) = if recent && rng.gen_bool(0.5) {
                    (VisitStatus::Planned, 0, 0)
                } else if rng.gen_bool(0.06) {
                    steps.push(step(
                        id,
                        Some("PLANNED"),
                        "CANCELLED",
                        visited_on,
                        &mut last_at,
                        rng,
                    ));
                    (VisitStatus::Cancelled, 0, 0)
                } else {
                    steps.push(step(
                        id,
                        Some("PLANNED"),
                        "HELD",
                        visited_on,
                        &mut last_at,
                        rng,
                    ));
                    let taken = rng.gen_range(1..=6);
                    (VisitStatus::Held, taken, rng.gen_range(0..=taken))
                };
                let experts = (0..rng.gen_range(1..=4))
                    .map(|_| city.workers[rng.gen_range(0..city.workers.len())].id)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                visits.push(VisitPlan {
                    id,
                    unit_id: organizer.id,
                    enterprise_unit_id: enterprise.map(|unit| unit.id),
                    enterprise_name: enterprise.is_none().then(|| {
                        format!(
                            "{}{}有限公司",
                            COMPANY_PREFIXES[rng.gen_range(0..COMPANY_PREFIXES.len())],
                            COMPANY_TRADES[rng.gen_range(0..COMPANY_TRADES.len())]
                        )
                    }),
                    kind,
                    title,
                    visited_on,
                    status,
                    problems_taken: taken,
                    problems_solved: solved,
                    expert_ids: experts,
                });
            }
        }
    }
    visits
}

/// The units that hold innovation events.
struct EventHosts<'a> {
    districts: &'a [&'a DemoUnit],
    societies: &'a [&'a DemoUnit],
    universities: &'a [&'a DemoUnit],
}

/// The district a unit lies in (itself for a district), by its parent links.
fn district_of(city: &DemoCity, unit_id: Uuid) -> Option<Uuid> {
    let mut current = city.units.iter().find(|unit| unit.id == unit_id)?;
    loop {
        if current.kind == "DISTRICT" {
            return Some(current.id);
        }
        let parent = current.parent_id?;
        current = city.units.iter().find(|unit| unit.id == parent)?;
    }
}

/// Innovation events, 2024 to the end of the generated history: the city's 科创会·市州行
/// matchmaking (2–3 a year, co-organized by 科技局 and 工信局, presenting 4–8 open needs and
/// 2–5 results), each district's matchmaking or industry seminar (1–2 a year, its own
/// needs), societies' conferences and salons (0–1 a year each) and universities' roadshows
/// (0–1 a year, their own results). Most are held; the last weeks' are still planned. About
/// half the matches of a presented need proposed within a month of a held matchmaking event
/// are recorded as brokered there.
fn plan_events(
    city: &DemoCity,
    hosts: &EventHosts<'_>,
    (needs, results): (&[NeedPlan], &[ResultPlan]),
    matches: &mut [MatchPlan],
    rng: &mut StdRng,
    steps: &mut Vec<Step>,
) -> Vec<EventPlan> {
    use PartnerBureau::{Agriculture, IndustryIt, ScienceTechnology};
    let Some(root) = city.units_of(&["CITY"]).next() else {
        return Vec::new();
    };
    let need_district: std::collections::HashMap<Uuid, Option<Uuid>> = needs
        .iter()
        .map(|need| (need.id, district_of(city, need.unit_id)))
        .collect();
    let mut hosted: Vec<(&DemoUnit, EventKind, std::ops::RangeInclusive<u32>)> =
        vec![(root, EventKind::Matchmaking, 2..=3)];
    for district in hosts.districts {
        let kind = if rng.gen_bool(0.5) {
            EventKind::Matchmaking
        } else {
            EventKind::IndustrySeminar
        };
        hosted.push((district, kind, 1..=2));
    }
    for society in hosts.societies {
        let kind = if rng.gen_bool(0.5) {
            EventKind::Conference
        } else {
            EventKind::Salon
        };
        hosted.push((society, kind, 0..=1));
    }
    for university in hosts.universities {
        hosted.push((university, EventKind::Roadshow, 0..=1));
    }

    let mut events = Vec::new();
    for (host, kind, per_year) in hosted {
        for year in 2024..=2026 {
            let first = NaiveDate::from_ymd_opt(year, 3, 1).unwrap_or_default();
            let last = NaiveDate::from_ymd_opt(year, 12, 20)
                .unwrap_or_default()
                .min(generated_until() + Duration::days(30));
            for _ in 0..rng.gen_range(per_year.clone()) {
                let starts_on = day_between(rng, first, last);
                let ends_on = starts_on + Duration::days(rng.gen_range(0..=1));
                let (field, topic, _) = RESULT_TOPICS[rng.gen_range(0..RESULT_TOPICS.len())];
                let (title, place, bureaus) = match kind {
                    EventKind::Matchmaking if host.kind == "CITY" => (
                        format!("科创会·市州行 {year}年第{}场", events.len() % 3 + 1),
                        "市科技馆报告厅".to_string(),
                        vec![ScienceTechnology, IndustryIt],
                    ),
                    EventKind::Matchmaking => (
                        format!("{}科技成果供需对接会", host.name.trim_end_matches("科协")),
                        "区政务服务中心".to_string(),
                        vec![ScienceTechnology],
                    ),
                    EventKind::IndustrySeminar => (
                        format!("{topic}产业技术研讨会"),
                        "区工业园区会议中心".to_string(),
                        vec![IndustryIt],
                    ),
                    EventKind::Conference => (
                        format!("{}{year}年学术年会", host.name),
                        "市科技馆学术报告厅".to_string(),
                        Vec::new(),
                    ),
                    EventKind::Salon => (
                        format!("特色产业高端沙龙：{topic}"),
                        "科技工作者之家".to_string(),
                        if field == TechField::ModernAgriculture {
                            vec![Agriculture]
                        } else {
                            Vec::new()
                        },
                    ),
                    EventKind::Roadshow => (
                        format!("{}科技成果路演", host.name),
                        "大学科技园".to_string(),
                        vec![ScienceTechnology],
                    ),
                };
                let presents_needs =
                    matches!(kind, EventKind::Matchmaking | EventKind::IndustrySeminar);
                let open_then: Vec<&NeedPlan> = needs
                    .iter()
                    .filter(|need| {
                        presents_needs
                            && need.published_on <= starts_on
                            && need.ended_on.is_none_or(|ended| ended > starts_on)
                            && (host.kind == "CITY"
                                || need_district.get(&need.id) == Some(&Some(host.id)))
                    })
                    .collect();
                let presented = rng.gen_range(4..=8);
                let need_ids: Vec<Uuid> = open_then
                    .choose_multiple(rng, presented)
                    .map(|need| need.id)
                    .collect();
                let offered: Vec<&ResultPlan> = results
                    .iter()
                    .filter(|result| {
                        result.offered_on <= starts_on
                            && (kind != EventKind::Roadshow || result.owner_unit_id == host.id)
                            && kind != EventKind::Conference
                    })
                    .collect();
                let presented = rng.gen_range(2..=5);
                let result_ids: Vec<Uuid> = offered
                    .choose_multiple(rng, presented)
                    .map(|result| result.id)
                    .collect();

                let planned_on = starts_on - Duration::days(rng.gen_range(20..=45));
                let id = id_at(at(planned_on, rng), rng);
                let mut last_at = DateTime::<Utc>::MIN_UTC;
                steps.push(step(id, None, "PLANNED", planned_on, &mut last_at, rng));
                let (status, participants) = if starts_on > generated_until() {
                    (EventStatus::Planned, 0)
                } else if rng.gen_bool(0.05) {
                    let on = starts_on - Duration::days(rng.gen_range(1..=7));
                    steps.push(step(
                        id,
                        Some("PLANNED"),
                        "CANCELLED",
                        on,
                        &mut last_at,
                        rng,
                    ));
                    (EventStatus::Cancelled, 0)
                } else {
                    let held_on = ends_on.min(generated_until());
                    steps.push(step(
                        id,
                        Some("PLANNED"),
                        "HELD",
                        held_on,
                        &mut last_at,
                        rng,
                    ));
                    (EventStatus::Held, rng.gen_range(40..=400))
                };
                if status == EventStatus::Held && kind == EventKind::Matchmaking {
                    for brokered in matches.iter_mut().filter(|m| {
                        m.event_id.is_none()
                            && need_ids.contains(&m.need_id)
                            && m.proposed_on >= starts_on
                            && m.proposed_on <= starts_on + Duration::days(30)
                    }) {
                        if rng.gen_bool(0.5) {
                            brokered.event_id = Some(id);
                        }
                    }
                }
                events.push(EventPlan {
                    id,
                    unit_id: host.id,
                    kind,
                    title,
                    place,
                    starts_on,
                    ends_on,
                    partner_bureaus: bureaus,
                    status,
                    participants,
                    enterprises: if status == EventStatus::Held {
                        participants / rng.gen_range(3..=8)
                    } else {
                        0
                    },
                    need_ids,
                    result_ids,
                });
            }
        }
    }
    events
}

async fn insert_events(conn: &mut PgConnection, events: &[EventPlan]) -> anyhow::Result<()> {
    for event in events {
        let bureaus: Vec<&str> = event.partner_bureaus.iter().map(|b| b.as_str()).collect();
        sqlx::query(
            "insert into innovation_event (innovation_event_id, unit_id, kind, title, place,
                 starts_on, ends_on, partner_bureaus, status, participants, enterprises,
                 created_by, updated_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(event.id)
        .bind(event.unit_id)
        .bind(event.kind.as_str())
        .bind(&event.title)
        .bind(&event.place)
        .bind(event.starts_on)
        .bind(event.ends_on)
        .bind(&bureaus)
        .bind(event.status.as_str())
        .bind(event.participants)
        .bind(event.enterprises)
        .bind(ACTOR)
        .execute(&mut *conn)
        .await
        .context("Failed to insert the demo innovation events")?;
        sqlx::query(
            "insert into innovation_event_need (innovation_event_id, tech_need_id, position)
             select $1, id, (ordinality - 1)::int from unnest($2::uuid[]) with ordinality as i(id, ordinality)",
        )
        .bind(event.id)
        .bind(&event.need_ids)
        .execute(&mut *conn)
        .await
        .context("Failed to insert the needs presented at the demo events")?;
        sqlx::query(
            "insert into innovation_event_result (innovation_event_id, science_result_id, position)
             select $1, id, (ordinality - 1)::int from unnest($2::uuid[]) with ordinality as i(id, ordinality)",
        )
        .bind(event.id)
        .bind(&event.result_ids)
        .execute(&mut *conn)
        .await
        .context("Failed to insert the results presented at the demo events")?;
    }
    Ok(())
}

/// 1–4 agreements a year for each university, most for three years, some open-ended;
/// returns how many.
async fn insert_agreements(
    conn: &mut PgConnection,
    universities: &[&DemoUnit],
    enterprises: &[&DemoUnit],
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let (mut ids, mut owners, mut partners, mut titles, mut fields, mut signed, mut ends) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for university in universities {
        for year in 2024..=2026 {
            let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
            let last = NaiveDate::from_ymd_opt(year, 12, 31)
                .unwrap_or_default()
                .min(generated_until());
            for _ in 0..rng.gen_range(1..=4) {
                let day = day_between(rng, first, last);
                let enterprise = enterprises[rng.gen_range(0..enterprises.len())];
                let (field, topic, _) = RESULT_TOPICS[rng.gen_range(0..RESULT_TOPICS.len())];
                ids.push(id_at(at(day, rng), rng));
                owners.push(university.id);
                partners.push(enterprise.id);
                titles.push(format!("{topic}校企联合研发协议"));
                fields.push(field.as_str());
                signed.push(day);
                ends.push(rng.gen_bool(0.8).then(|| day + Duration::days(3 * 365 - 1)));
            }
        }
    }
    sqlx::query(
        "insert into cooperation_agreement (cooperation_agreement_id, university_unit_id,
             enterprise_unit_id, title, field, signed_on, ends_on, created_by, updated_by)
         select *, $8, $8 from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                                      $6::date[], $7::date[])",
    )
    .bind(&ids)
    .bind(&owners)
    .bind(&partners)
    .bind(&titles)
    .bind(&fields)
    .bind(&signed)
    .bind(&ends)
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo cooperation agreements")?;
    Ok(ids.len())
}

/// The city, a 科创中国 pilot city since 2023, and its first district, a pilot park since 2024.
async fn insert_pilots(
    conn: &mut PgConnection,
    city: &DemoCity,
    districts: &[&DemoUnit],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let mut designations = Vec::new();
    if let Some(root) = city.units_of(&["CITY"]).next() {
        designations.push((root.id, PilotKind::PilotCity, "“科创中国”试点城市", 2023));
    }
    if let Some(district) = districts.first() {
        designations.push((
            district.id,
            PilotKind::PilotPark,
            "“科创中国”试点园区",
            2024,
        ));
    }
    for (unit, kind, name, from_year) in designations {
        sqlx::query(
            "insert into pilot_designation (pilot_designation_id, unit_id, kind, name, from_year,
                 created_by, updated_by)
             values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id_at(
            at(
                NaiveDate::from_ymd_opt(from_year, 3, 1).unwrap_or_default(),
                rng,
            ),
            rng,
        ))
        .bind(unit)
        .bind(kind.as_str())
        .bind(name)
        .bind(from_year)
        .bind(ACTOR)
        .execute(&mut *conn)
        .await
        .context("Failed to insert the demo pilot designations")?;
    }
    Ok(())
}

async fn insert_visits(conn: &mut PgConnection, visits: &[VisitPlan]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into service_visit (service_visit_id, unit_id, enterprise_unit_id,
             enterprise_name, kind, title, visited_on, status, problems_taken, problems_solved,
             created_by, updated_by)
         select id, unit, enterprise, company, kind, title, visited_on, status, taken, solved,
                $11, $11
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                     $7::date[], $8::text[], $9::int[], $10::int[])
              as t(id, unit, enterprise, company, kind, title, visited_on, status, taken, solved)",
    )
    .bind(visits.iter().map(|v| v.id).collect::<Vec<_>>())
    .bind(visits.iter().map(|v| v.unit_id).collect::<Vec<_>>())
    .bind(
        visits
            .iter()
            .map(|v| v.enterprise_unit_id)
            .collect::<Vec<_>>(),
    )
    .bind(
        visits
            .iter()
            .map(|v| v.enterprise_name.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(visits.iter().map(|v| v.kind.as_str()).collect::<Vec<_>>())
    .bind(visits.iter().map(|v| v.title.as_str()).collect::<Vec<_>>())
    .bind(visits.iter().map(|v| v.visited_on).collect::<Vec<_>>())
    .bind(visits.iter().map(|v| v.status.as_str()).collect::<Vec<_>>())
    .bind(visits.iter().map(|v| v.problems_taken).collect::<Vec<_>>())
    .bind(visits.iter().map(|v| v.problems_solved).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(&mut *conn)
    .await
    .context("Failed to insert the demo service visits")?;
    let (visit_ids, workers, positions): (Vec<Uuid>, Vec<Uuid>, Vec<i32>) = visits
        .iter()
        .flat_map(|v| {
            v.expert_ids
                .iter()
                .zip(0..)
                .map(move |(worker, position)| (v.id, *worker, position))
        })
        .fold(
            (vec![], vec![], vec![]),
            |mut columns, (visit, worker, position)| {
                columns.0.push(visit);
                columns.1.push(worker);
                columns.2.push(position);
                columns
            },
        );
    sqlx::query(
        "insert into service_visit_expert (service_visit_id, worker_id, position)
         select * from unnest($1::uuid[], $2::uuid[], $3::int[])",
    )
    .bind(&visit_ids)
    .bind(&workers)
    .bind(&positions)
    .execute(conn)
    .await
    .context("Failed to insert the demo service visits' experts")?;
    Ok(())
}

async fn insert_results(conn: &mut PgConnection, results: &[ResultPlan]) -> anyhow::Result<()> {
    // Patent numbers go in as one text each (joined by a tab) and are split again, since
    // unnest cannot take an array of arrays of different lengths.
    sqlx::query(
        "insert into science_result (science_result_id, owner_unit_id, owner_worker_id, title,
             field, maturity, patent_numbers, licensing, offered_on, created_by, updated_by)
         select id, unit, worker, title, field, maturity,
                case when patents = '' then '{}'::text[] else string_to_array(patents, E'\\t') end,
                licensing, offered_on, $10, $10
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::date[])
              as t(id, unit, worker, title, field, maturity, patents, licensing, offered_on)",
    )
    .bind(results.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.owner_unit_id).collect::<Vec<_>>())
    .bind(
        results
            .iter()
            .map(|r| r.owner_worker_id)
            .collect::<Vec<_>>(),
    )
    .bind(results.iter().map(|r| r.title.as_str()).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.field.as_str()).collect::<Vec<_>>())
    .bind(
        results
            .iter()
            .map(|r| r.maturity.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        results
            .iter()
            .map(|r| r.patent_numbers.join("\t"))
            .collect::<Vec<_>>(),
    )
    .bind(
        results
            .iter()
            .map(|r| r.licensing.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(results.iter().map(|r| r.offered_on).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo scientific results")?;
    Ok(())
}

async fn insert_needs(conn: &mut PgConnection, needs: &[NeedPlan]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into tech_need (tech_need_id, unit_id, enterprise_name, title, field, problem,
             budget, deadline, status, published_on, ended_on, created_by, updated_by)
         select id, unit, company, title, field, problem, budget::numeric(14, 2), deadline,
                status, published_on, ended_on, $12, $12
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::float8[], $8::date[], $9::text[], $10::date[], $11::date[])
              as t(id, unit, company, title, field, problem, budget, deadline, status,
                   published_on, ended_on)",
    )
    .bind(needs.iter().map(|n| n.id).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.unit_id).collect::<Vec<_>>())
    .bind(
        needs
            .iter()
            .map(|n| n.enterprise_name.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(needs.iter().map(|n| n.title.as_str()).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.field.as_str()).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.problem.as_str()).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.budget).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.deadline).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.status.as_str()).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.published_on).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.ended_on).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo technology needs")?;
    Ok(())
}

async fn insert_matches(conn: &mut PgConnection, matches: &[MatchPlan]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into need_match (need_match_id, tech_need_id, science_result_id, expert_id,
             status, proposed_on, contract_signed_on, contract_amount, transferred_on,
             innovation_event_id, created_by, updated_by)
         select id, need, result, expert, status, proposed_on, signed_on,
                amount::numeric(14, 2), transferred_on, event, $11, $11
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::date[],
                     $7::date[], $8::float8[], $9::date[], $10::uuid[])
              as t(id, need, result, expert, status, proposed_on, signed_on, amount,
                   transferred_on, event)",
    )
    .bind(matches.iter().map(|m| m.id).collect::<Vec<_>>())
    .bind(matches.iter().map(|m| m.need_id).collect::<Vec<_>>())
    .bind(matches.iter().map(|m| m.result_id).collect::<Vec<_>>())
    .bind(matches.iter().map(|m| m.expert_id).collect::<Vec<_>>())
    .bind(
        matches
            .iter()
            .map(|m| m.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(matches.iter().map(|m| m.proposed_on).collect::<Vec<_>>())
    .bind(
        matches
            .iter()
            .map(|m| m.contract_signed_on)
            .collect::<Vec<_>>(),
    )
    .bind(
        matches
            .iter()
            .map(|m| m.contract_amount)
            .collect::<Vec<_>>(),
    )
    .bind(matches.iter().map(|m| m.transferred_on).collect::<Vec<_>>())
    .bind(matches.iter().map(|m| m.event_id).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo matches")?;
    Ok(())
}

async fn insert_history(conn: &mut PgConnection, steps: &[Step]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into status_change (status_change_id, entity_id, from_status, to_status, actor,
             changed_at)
         select id, entity, from_status, to_status, $6, changed_at
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
              as t(id, entity, from_status, to_status, changed_at)",
    )
    .bind(steps.iter().map(|step| step.id).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.entity_id).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.from).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.to).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo workflow history")?;
    Ok(())
}

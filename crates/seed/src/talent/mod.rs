//! Demo data: the city's S&T workers, their honors, the nominations units made for honors
//! over the generated history, and expert workstations with their resident experts, all
//! placed on the unit tree organizations generated.
//!
//! At scale 1: 20,000 workers, most in townships and base organizations, about one in ten
//! a volunteer, rural experts mostly in rural technical associations and townships, about
//! 15% young talent, 5 academicians, titles shaped like a pyramid; about 2,500 honors,
//! mostly city and district ones; about 1,200 nominations over 2024–2026, the earlier years
//! decided and the current one mostly open; about 150 workstations (some 40 provincially
//! certified) with one to five residents each.

mod vocabulary;

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Context as _};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::demo::{
    day_between, history_end, history_start, person_name, weighted, DemoCity, DemoUnit, DemoWorker,
    Progress,
};
use crate::figures;
use kexie_subgraph_kit::id::id_at;

use kexie_talent::domain::{
    CertificationLevel, Gender, HonorLevel, NominationStatus, ProfessionalTitle, WorkstationKind,
    WorkstationStatus,
};
use vocabulary::*;

/// Who the generated records say created them.
const ACTOR: &str = "demo-data";
/// Rows per insert statement.
const CHUNK: usize = 5_000;

/// Volumes at scale 1.
const WORKERS: usize = 20_000;
const HONORS: usize = 2_500;
const NOMINATIONS: usize = 1_200;
const WORKSTATIONS: usize = 150;
const ACADEMICIANS: usize = 5;

/// Generates the talent records onto `city.units`, writes them in one transaction, and
/// adds every worker to `city.workers` for the subgraphs seeded after this one.
pub async fn seed(pool: &PgPool, city: &mut DemoCity) -> anyhow::Result<()> {
    if city.units.is_empty() {
        bail!("talent needs the unit tree: generate organizations first");
    }
    let scale = city.scale.max(1) as usize;
    let mut rng = city.rng("talent");
    let tree = Tree::new(&city.units);

    let workers = generate_workers(&tree, scale, &mut rng);
    let mut log = StatusLog::default();
    let (nominations, mut honors) =
        generate_nominations(&tree, &workers, scale, &mut rng, &mut log);
    let awarded = honors.len();
    honors.extend(generate_honors(
        &tree,
        &workers,
        &honors,
        (HONORS * scale).saturating_sub(awarded),
        &mut rng,
    ));
    let (workstations, residents) =
        generate_workstations(&tree, &workers, scale, &mut rng, &mut log);

    let mut tx = pool.begin().await?;
    figures::defer(&mut tx).await?;
    figures::replicate_tree(&mut tx, &city.replicated_units()).await?;
    let mut progress = Progress::new("talent: workers", workers.len());
    for chunk in workers.chunks(CHUNK) {
        insert_workers(&mut tx, &tree, chunk).await?;
        progress.advance(chunk.len());
    }
    progress.finish();
    let mut progress = Progress::new(
        "talent: honors, nominations, workstations",
        honors.len() + nominations.len() + workstations.len(),
    );
    // Honors before nominations: an awarded nomination points at its honor.
    for chunk in honors.chunks(CHUNK) {
        insert_honors(&mut tx, chunk).await?;
        progress.advance(chunk.len());
    }
    for chunk in nominations.chunks(CHUNK) {
        insert_nominations(&mut tx, chunk).await?;
        progress.advance(chunk.len());
    }
    for chunk in workstations.chunks(CHUNK) {
        insert_workstations(&mut tx, chunk).await?;
        progress.advance(chunk.len());
    }
    progress.finish();
    for chunk in residents.chunks(CHUNK) {
        insert_residents(&mut tx, chunk).await?;
    }
    for chunk in log.changes.chunks(CHUNK) {
        insert_status_changes(&mut tx, chunk).await?;
    }
    figures::build(&mut tx).await?;
    tx.commit()
        .await
        .context("Failed to commit the talent demo data")?;

    city.workers.extend(workers.iter().map(|worker| DemoWorker {
        id: worker.id,
        home_unit_id: tree.units[worker.unit].id,
        name: worker.name.clone(),
    }));
    eprintln!(
        "talent: {} workers, {} honors ({awarded} from awards), {} nominations, {} workstations with {} residents",
        workers.len(),
        honors.len(),
        nominations.len(),
        workstations.len(),
        residents.len()
    );
    Ok(())
}

/// Empties every table of the talent schema, the local copy of the unit tree included.
pub async fn reset(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "truncate worker, honor, nomination, workstation, workstation_resident, idempotency_key,
                  status_change, unit_replica, unit_replica_state, figure_contribution, figure_ledger",
    )
    .execute(pool)
    .await
    .context("Failed to empty the talent tables")?;
    Ok(())
}

/// Whether the talent schema holds no records of its own (the replicated tree aside).
pub async fn is_empty(pool: &PgPool) -> anyhow::Result<bool> {
    let any: bool = sqlx::query_scalar(
        "select exists(select 1 from worker) or exists(select 1 from honor)
             or exists(select 1 from nomination) or exists(select 1 from workstation)",
    )
    .fetch_one(pool)
    .await?;
    Ok(!any)
}

/// The unit tree with what the generator asks of it.
struct Tree<'a> {
    units: &'a [DemoUnit],
    /// The district (区/县) each unit lies in, if any.
    district: Vec<Option<usize>>,
    /// The root: the city association.
    city: Option<usize>,
    /// Cumulative weights for placing workers.
    cumulative: Vec<u64>,
}

impl<'a> Tree<'a> {
    fn new(units: &'a [DemoUnit]) -> Self {
        let index: HashMap<Uuid, usize> = units
            .iter()
            .enumerate()
            .map(|(position, unit)| (unit.id, position))
            .collect();
        let district = (0..units.len())
            .map(|mut position| {
                // Bounded walk up: the tree is shallow, and a malformed one must not loop.
                for _ in 0..16 {
                    if units[position].kind == "DISTRICT" {
                        return Some(position);
                    }
                    position = *index.get(&units[position].parent_id?)?;
                }
                None
            })
            .collect();
        let mut total = 0u64;
        let cumulative = units
            .iter()
            .map(|unit| {
                total += worker_weight(unit.kind);
                total
            })
            .collect();
        Tree {
            units,
            district,
            city: units.iter().position(|unit| unit.kind == "CITY"),
            cumulative,
        }
    }

    /// A unit for a new worker, weighted by kind.
    fn place_worker(&self, rng: &mut StdRng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1).max(1);
        let pick = rng.gen_range(0..total);
        self.cumulative
            .partition_point(|&bound| bound <= pick)
            .min(self.units.len() - 1)
    }

    fn of_kinds(&self, kinds: &[&str]) -> Vec<usize> {
        (0..self.units.len())
            .filter(|&position| kinds.contains(&self.units[position].kind))
            .collect()
    }

    fn kind(&self, unit: usize) -> &'static str {
        self.units[unit].kind
    }
}

/// How many workers a unit of each kind holds relative to the others: base organizations
/// and townships most, the district and city associations' own staff few.
fn worker_weight(kind: &str) -> u64 {
    match kind {
        "UNIVERSITY" => 150,
        "TOWNSHIP" | "SOCIETY" => 40,
        "ENTERPRISE" | "RURAL_TECH" => 30,
        "SENIOR" => 25,
        "DISTRICT" => 12,
        "CITY" => 10,
        _ => 10,
    }
}

/// A day at office hours in China (UTC+8), as stored.
fn at(day: NaiveDate, rng: &mut StdRng) -> DateTime<Utc> {
    let midnight = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default());
    midnight + Duration::minutes(rng.gen_range(30..600))
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_else(history_start)
}

/// The latest moment of the generated history.
fn history_close() -> DateTime<Utc> {
    Utc.from_utc_datetime(&history_end().and_hms_opt(9, 0, 0).unwrap_or_default())
}

fn pick<'a>(rng: &mut StdRng, words: &'a [&'a str]) -> &'a str {
    words.choose(rng).copied().unwrap_or_default()
}

/// The place a unit is named after: "涪城区农学会" → "涪城区", "青义镇科协" → "青义镇".
fn place_of(name: &str) -> String {
    match name
        .char_indices()
        .find(|(_, ch)| "市区县镇乡".contains(*ch))
    {
        Some((at, ch)) => name[..at + ch.len_utf8()].to_string(),
        None => name.chars().take(2).collect(),
    }
}

/// A unit's name without its association suffix: the enterprise, school or place itself.
fn institution_of(name: &str) -> String {
    name.replace("科学技术协会", "")
        .replace("专业技术协会", "")
        .replace("科协", "")
}

struct Worker {
    id: Uuid,
    unit: usize,
    name: String,
    gender: Gender,
    birth_year: i32,
    discipline: String,
    title: Option<ProfessionalTitle>,
    employer: Option<String>,
    volunteer: bool,
    rural: bool,
    young: bool,
    academician: bool,
    phone: Option<String>,
    email: Option<String>,
    created_at: DateTime<Utc>,
}

fn generate_workers(tree: &Tree<'_>, scale: usize, rng: &mut StdRng) -> Vec<Worker> {
    let start = history_start();
    let mut workers: Vec<Worker> = (0..WORKERS * scale)
        .map(|_| {
            // Half were registered in the drive at the start of the history, the rest since.
            let registered = if rng.gen_bool(0.55) {
                day_between(rng, start + Duration::days(1), date(2024, 3, 31))
            } else {
                day_between(rng, date(2024, 4, 1), history_end())
            };
            let created_at = at(registered, rng);
            let unit = tree.place_worker(rng);
            generate_worker(rng, tree, unit, created_at)
        })
        .collect();

    // Academicians (院士) belong to the universities and the city's own societies.
    let mut eligible: Vec<usize> = (0..workers.len())
        .filter(|&position| {
            let unit = &tree.units[workers[position].unit];
            unit.kind == "UNIVERSITY"
                || (unit.kind == "SOCIETY"
                    && tree
                        .city
                        .is_some_and(|city| unit.parent_id == Some(tree.units[city].id)))
        })
        .collect();
    if eligible.len() < ACADEMICIANS * scale {
        eligible = (0..workers.len()).collect();
    }
    for &position in eligible.choose_multiple(rng, ACADEMICIANS * scale) {
        let worker = &mut workers[position];
        worker.academician = true;
        worker.title = Some(ProfessionalTitle::Senior);
        worker.birth_year = rng.gen_range(1950..=1965);
        worker.young = false;
        worker.rural = false;
        worker.discipline = pick(rng, ACADEMICIAN_DISCIPLINES).to_string();
    }
    workers.sort_by_key(|worker| worker.id);
    workers
}

fn generate_worker(
    rng: &mut StdRng,
    tree: &Tree<'_>,
    unit: usize,
    created_at: DateTime<Utc>,
) -> Worker {
    let kind = tree.kind(unit);
    let unit_name = &tree.units[unit].name;
    let retired = kind == "SENIOR";
    let rural = rng.gen_bool(match kind {
        "RURAL_TECH" => 0.5,
        "TOWNSHIP" => 0.15,
        "SENIOR" => 0.05,
        _ => 0.003,
    });
    let young = !retired && rng.gen_bool(if rural { 0.08 } else { 0.16 });
    let birth_year = if retired {
        rng.gen_range(1950..=1962)
    } else if young {
        rng.gen_range(1988..=2000)
    } else {
        1962 + rng.gen_range(0..=17) + rng.gen_range(0..=17)
    };
    let gender = if rng.gen_bool(if retired { 0.25 } else { 0.4 }) {
        Gender::Female
    } else {
        Gender::Male
    };
    let title = if rural {
        match rng.gen_range(0..10) {
            0..=5 => None,
            6..=8 => Some(ProfessionalTitle::Junior),
            _ => Some(ProfessionalTitle::Intermediate),
        }
    } else if rng.gen_bool(0.04) {
        None
    } else {
        Some(title_at_age(rng, history_end().year() - birth_year))
    };
    let field = SOCIETY_FIELDS
        .iter()
        .find(|(word, _, _)| kind == "SOCIETY" && unit_name.contains(word));
    let discipline = if rural {
        pick(rng, RURAL_DISCIPLINES)
    } else {
        match kind {
            "RURAL_TECH" => pick(rng, RURAL_DISCIPLINES),
            "TOWNSHIP" => pick(rng, TOWNSHIP_DISCIPLINES),
            "ENTERPRISE" => pick(rng, ENTERPRISE_DISCIPLINES),
            "UNIVERSITY" => pick(rng, UNIVERSITY_DISCIPLINES),
            "SOCIETY" => pick(rng, field.map_or(GENERAL_DISCIPLINES, |field| field.1)),
            "SENIOR" => {
                let lists = [
                    RURAL_DISCIPLINES,
                    ENTERPRISE_DISCIPLINES,
                    UNIVERSITY_DISCIPLINES,
                    ADMINISTRATION_DISCIPLINES,
                ];
                let list = lists[rng.gen_range(0..lists.len())];
                pick(rng, list)
            }
            _ => pick(rng, ADMINISTRATION_DISCIPLINES),
        }
    }
    .to_string();
    let place = place_of(unit_name);
    let employer = match kind {
        "ENTERPRISE" | "UNIVERSITY" => Some(institution_of(unit_name)),
        "TOWNSHIP" => Some(format!("{place}{}", pick(rng, TOWNSHIP_EMPLOYERS))),
        "RURAL_TECH" if rng.gen_bool(0.3) => None,
        "RURAL_TECH" => Some(format!(
            "{}{}",
            institution_of(unit_name),
            pick(rng, RURAL_EMPLOYERS)
        )),
        "SOCIETY" => Some(match field {
            Some((_, _, employers)) => format!("{place}{}", pick(rng, employers)),
            None => format!("{place}{}", pick(rng, ADMINISTRATION_EMPLOYERS)),
        }),
        "SENIOR" => Some(format!(
            "{place}{}（退休）",
            pick(rng, ADMINISTRATION_EMPLOYERS)
        )),
        _ => Some(format!("{place}{}", pick(rng, ADMINISTRATION_EMPLOYERS))),
    };
    let volunteer = rng.gen_bool(match (retired, rural) {
        (true, _) => 0.3,
        (_, true) => 0.15,
        _ => 0.07,
    });
    let phone = rng.gen_bool(0.75).then(|| {
        let network = ["3", "5", "7", "8", "9"][rng.gen_range(0..5)];
        format!("1{network}{:09}", rng.gen_range(0..1_000_000_000u32))
    });
    let email = rng.gen_bool(0.35).then(|| {
        if rng.gen_bool(0.55) {
            format!("{}@qq.com", rng.gen_range(10_000_000u64..3_000_000_000))
        } else {
            let letters: String = (0..rng.gen_range(3..7))
                .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
                .collect();
            format!(
                "{letters}{}@{}",
                rng.gen_range(10..10_000),
                pick(rng, MAIL_DOMAINS)
            )
        }
    });
    Worker {
        id: id_at(created_at, rng),
        unit,
        name: person_name(rng),
        gender,
        birth_year,
        discipline,
        title,
        employer,
        volunteer,
        rural,
        young,
        academician: false,
        phone,
        email,
        created_at,
    }
}

/// Titles come with years: most young workers are junior, senior titles need decades.
fn title_at_age(rng: &mut StdRng, age: i32) -> ProfessionalTitle {
    use ProfessionalTitle::*;
    let weights: [(ProfessionalTitle, u32); 4] = match age {
        ..=29 => [
            (Junior, 85),
            (Intermediate, 15),
            (AssociateSenior, 0),
            (Senior, 0),
        ],
        30..=39 => [
            (Junior, 58),
            (Intermediate, 34),
            (AssociateSenior, 7),
            (Senior, 1),
        ],
        40..=49 => [
            (Junior, 42),
            (Intermediate, 36),
            (AssociateSenior, 17),
            (Senior, 5),
        ],
        _ => [
            (Junior, 33),
            (Intermediate, 35),
            (AssociateSenior, 22),
            (Senior, 10),
        ],
    };
    *weighted(rng, &weights)
}

/// The honors a worker is plausibly put forward for at `level`.
fn honor_name(rng: &mut StdRng, tree: &Tree<'_>, worker: &Worker, level: HonorLevel) -> String {
    let mut pools: Vec<&[&str]> = Vec::new();
    if level == HonorLevel::National {
        pools.push(NATIONAL_HONORS);
        if worker.young {
            pools.push(NATIONAL_YOUNG_HONORS);
        }
    } else {
        pools.push(GENERAL_HONORS);
        pools.push(GENERAL_HONORS);
        if worker.young {
            pools.push(YOUNG_HONORS);
        }
        if worker.volunteer {
            pools.push(VOLUNTEER_HONORS);
        }
        if worker.rural {
            pools.push(RURAL_HONORS);
            pools.push(RURAL_HONORS);
        }
        match tree.kind(worker.unit) {
            "ENTERPRISE" => pools.push(ENTERPRISE_HONORS),
            "SENIOR" => pools.push(SENIOR_HONORS),
            "SOCIETY" => pools.push(SOCIETY_HONORS),
            _ => {}
        }
    }
    let pool = pools.choose(rng).copied().unwrap_or(GENERAL_HONORS);
    pick(rng, pool).to_string()
}

/// Only accomplished workers reach national honors.
fn may_reach(worker: &Worker, level: HonorLevel) -> bool {
    level != HonorLevel::National
        || worker.academician
        || matches!(
            worker.title,
            Some(ProfessionalTitle::Senior | ProfessionalTitle::AssociateSenior)
        )
}

/// The association conferring an honor of `level` on `worker`, when it is in the tree.
fn conferring_unit(tree: &Tree<'_>, worker: &Worker, level: HonorLevel) -> Option<Uuid> {
    match level {
        HonorLevel::City => tree.city.map(|city| tree.units[city].id),
        HonorLevel::District => tree.district[worker.unit].map(|district| tree.units[district].id),
        HonorLevel::Provincial | HonorLevel::National => None,
    }
}

/// Every status change of the generated workflow records, in the order generated.
#[derive(Default)]
struct StatusLog {
    changes: Vec<StatusChangeRow>,
}

struct StatusChangeRow {
    id: Uuid,
    entity_id: Uuid,
    from: Option<&'static str>,
    to: &'static str,
    note: Option<&'static str>,
    at: DateTime<Utc>,
}

impl StatusLog {
    fn record(
        &mut self,
        rng: &mut StdRng,
        entity_id: Uuid,
        from: Option<&'static str>,
        to: &'static str,
        note: Option<&'static str>,
        at: DateTime<Utc>,
    ) {
        self.changes.push(StatusChangeRow {
            id: id_at(at, rng),
            entity_id,
            from,
            to,
            note,
            at,
        });
    }
}

struct Honor {
    id: Uuid,
    worker_id: Uuid,
    name: String,
    level: HonorLevel,
    year: i32,
    conferring_unit_id: Option<Uuid>,
    nomination_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

struct Nomination {
    id: Uuid,
    worker_id: Uuid,
    honor_name: String,
    honor_level: HonorLevel,
    year: i32,
    nominating_unit_id: Uuid,
    conferring_unit_id: Option<Uuid>,
    reason: Option<String>,
    status: NominationStatus,
    honor_id: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Nominations over the history: the earlier years decided, the current one mostly open.
/// Returns them with the honors their awards created.
fn generate_nominations(
    tree: &Tree<'_>,
    workers: &[Worker],
    scale: usize,
    rng: &mut StdRng,
    log: &mut StatusLog,
) -> (Vec<Nomination>, Vec<Honor>) {
    let first_year = history_start().year();
    let current_year = history_end().year();
    let years = (current_year - first_year + 1).max(1) as usize;
    let close = history_close();
    let mut taken: HashSet<(Uuid, String, i32)> = HashSet::new();
    let mut nominations = Vec::new();
    let mut honors = Vec::new();
    for index in 0..NOMINATIONS * scale {
        let year = first_year + (index % years) as i32;
        let last_day = if year == current_year {
            date(year, 10, 31)
        } else {
            date(year, 6, 30)
        };
        let nominated_on = day_between(rng, date(year, 3, 1), last_day);
        let nominated_at = at(nominated_on, rng);
        let level = *weighted(
            rng,
            &[
                (HonorLevel::City, 45),
                (HonorLevel::Provincial, 30),
                (HonorLevel::District, 15),
                (HonorLevel::National, 10),
            ],
        );
        // A candidate registered before the nomination, suited to the level, not yet put
        // forward for the same honor that year.
        let mut chosen = None;
        for _ in 0..20 {
            let Some(worker) = workers.choose(rng) else {
                break;
            };
            if worker.created_at >= nominated_at || !may_reach(worker, level) {
                continue;
            }
            let name = honor_name(rng, tree, worker, level);
            if taken.insert((worker.id, name.clone(), year)) {
                chosen = Some((worker, name));
                break;
            }
        }
        let Some((worker, honor_name)) = chosen else {
            continue;
        };
        let home = worker.unit;
        let district = tree.district[home].unwrap_or(home);
        let city = tree.city.unwrap_or(home);
        let nominating = match level {
            HonorLevel::National | HonorLevel::Provincial if rng.gen_bool(0.7) => city,
            HonorLevel::National | HonorLevel::Provincial => district,
            HonorLevel::City if rng.gen_bool(0.7) => district,
            HonorLevel::City | HonorLevel::District => home,
        };
        let id = id_at(nominated_at, rng);
        log.record(rng, id, None, "NOMINATED", None, nominated_at);
        let shortlisted_at = nominated_at + Duration::days(rng.gen_range(20..60));
        let decided_at = shortlisted_at + Duration::days(rng.gen_range(20..90));
        let roll = rng.gen_range(0..100);
        let steps: &[NominationStatus] = if year < current_year {
            match roll {
                0..=34 => &[NominationStatus::Shortlisted, NominationStatus::Awarded],
                35..=59 => &[NominationStatus::Shortlisted, NominationStatus::NotSelected],
                60..=97 => &[NominationStatus::NotSelected],
                // A few the committee never got to.
                _ => &[NominationStatus::Shortlisted],
            }
        } else {
            match roll {
                0..=44 => &[],
                45..=74 => &[NominationStatus::Shortlisted],
                75..=86 => &[NominationStatus::Shortlisted, NominationStatus::Awarded],
                87..=93 => &[NominationStatus::NotSelected],
                _ => &[NominationStatus::Shortlisted, NominationStatus::NotSelected],
            }
        };
        let mut status = NominationStatus::Nominated;
        let mut updated_at = nominated_at;
        let mut honor_id = None;
        let mut version = 1;
        for &to in steps {
            let when = if to == NominationStatus::Shortlisted {
                shortlisted_at
            } else {
                decided_at
            };
            // What would happen after the history ends has not happened yet.
            if when > close {
                break;
            }
            version += 1;
            let note = match to {
                NominationStatus::Shortlisted => SHORTLIST_NOTES.choose(rng).copied(),
                NominationStatus::Awarded => AWARD_NOTES.choose(rng).copied(),
                _ => NOT_SELECTED_NOTES.choose(rng).copied(),
            };
            log.record(rng, id, Some(status.as_str()), to.as_str(), note, when);
            if to == NominationStatus::Awarded {
                let honor = Honor {
                    id: id_at(when, rng),
                    worker_id: worker.id,
                    name: honor_name.clone(),
                    level,
                    year,
                    conferring_unit_id: conferring_unit(tree, worker, level),
                    nomination_id: Some(id),
                    created_at: when,
                };
                honor_id = Some(honor.id);
                honors.push(honor);
            }
            status = to;
            updated_at = when;
        }
        let reason = match rng.gen_range(0..4) {
            0 => Some(format!(
                "长期扎根基层，在{}领域推广实用技术成效显著",
                worker.discipline
            )),
            1 => Some(format!("在{}研究中取得突出成果", worker.discipline)),
            2 => Some("热心科普志愿服务，群众评价高".to_string()),
            _ => None,
        };
        nominations.push(Nomination {
            id,
            worker_id: worker.id,
            honor_name,
            honor_level: level,
            year,
            nominating_unit_id: tree.units[nominating].id,
            conferring_unit_id: conferring_unit(tree, worker, level),
            reason,
            status,
            honor_id,
            version,
            created_at: nominated_at,
            updated_at,
        });
    }
    (nominations, honors)
}

/// Honors recorded directly: those conferred before the history began, entered during the
/// first months, and those conferred since without a nomination through the hub.
fn generate_honors(
    tree: &Tree<'_>,
    workers: &[Worker],
    existing: &[Honor],
    count: usize,
    rng: &mut StdRng,
) -> Vec<Honor> {
    let mut taken: HashSet<(Uuid, String, i32)> = existing
        .iter()
        .map(|honor| (honor.worker_id, honor.name.clone(), honor.year))
        .collect();
    let current_year = history_end().year();
    let first_year = current_year - 11;
    let year_weights: Vec<(i32, u32)> = (first_year..=current_year)
        .map(|year| (year, (year - first_year + 2) as u32))
        .collect();
    let close = history_close();
    let mut honors = Vec::with_capacity(count);
    let mut attempts = 0;
    while honors.len() < count && attempts < count * 20 {
        attempts += 1;
        let Some(worker) = workers.choose(rng) else {
            break;
        };
        let year = *weighted(rng, &year_weights);
        if year < worker.birth_year + 22 {
            continue;
        }
        let mut level = *weighted(
            rng,
            &[
                (HonorLevel::District, 45),
                (HonorLevel::City, 38),
                (HonorLevel::Provincial, 14),
                (HonorLevel::National, 3),
            ],
        );
        if !may_reach(worker, level) {
            level = HonorLevel::Provincial;
        }
        let name = honor_name(rng, tree, worker, level);
        if !taken.insert((worker.id, name.clone(), year)) {
            continue;
        }
        let recorded_on = if year < history_start().year() {
            day_between(rng, date(2024, 1, 2), date(2024, 3, 31))
        } else {
            day_between(rng, date(year, 9, 1), date(year, 12, 31))
        };
        let created_at = at(recorded_on, rng)
            .max(worker.created_at + Duration::hours(1))
            .min(close.max(worker.created_at + Duration::hours(1)));
        honors.push(Honor {
            id: id_at(created_at, rng),
            worker_id: worker.id,
            name,
            level,
            year,
            conferring_unit_id: conferring_unit(tree, worker, level),
            nomination_id: None,
            created_at,
        });
    }
    honors
}

struct Workstation {
    id: Uuid,
    kind: WorkstationKind,
    name: String,
    host_unit_id: Uuid,
    host_enterprise: Option<String>,
    certification: CertificationLevel,
    founded_on: NaiveDate,
    status: WorkstationStatus,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

struct Residency {
    workstation_id: Uuid,
    worker_id: Uuid,
    added_at: DateTime<Utc>,
}

fn generate_workstations(
    tree: &Tree<'_>,
    workers: &[Worker],
    scale: usize,
    rng: &mut StdRng,
    log: &mut StatusLog,
) -> (Vec<Workstation>, Vec<Residency>) {
    let enterprises = tree.of_kinds(&["ENTERPRISE"]);
    let doctoral_hosts = tree.of_kinds(&["ENTERPRISE", "UNIVERSITY"]);
    let rural_hosts = tree.of_kinds(&["RURAL_TECH", "TOWNSHIP"]);
    let everywhere: Vec<usize> = (0..tree.units.len()).collect();
    let academicians: Vec<&Worker> = workers.iter().filter(|worker| worker.academician).collect();
    let seniors: Vec<&Worker> = workers
        .iter()
        .filter(|worker| {
            matches!(
                worker.title,
                Some(ProfessionalTitle::Senior | ProfessionalTitle::AssociateSenior)
            )
        })
        .collect();
    let young: Vec<&Worker> = workers
        .iter()
        .filter(|worker| worker.young && worker.title.is_some())
        .collect();
    let rural: Vec<&Worker> = workers.iter().filter(|worker| worker.rural).collect();
    let all: Vec<&Worker> = workers.iter().collect();
    let close = history_close();

    let mut names = HashSet::new();
    let mut workstations = Vec::new();
    let mut residencies = Vec::new();
    for _ in 0..WORKSTATIONS * scale {
        let kind = *weighted(
            rng,
            &[
                (WorkstationKind::AcademicianExpert, 30),
                (WorkstationKind::ExpertEnterprise, 50),
                (WorkstationKind::DoctoralInnovation, 25),
                (WorkstationKind::ScienceBackyard, 45),
            ],
        );
        let hosts = match kind {
            WorkstationKind::AcademicianExpert | WorkstationKind::ExpertEnterprise => &enterprises,
            WorkstationKind::DoctoralInnovation => &doctoral_hosts,
            WorkstationKind::ScienceBackyard => &rural_hosts,
        };
        let hosts = if hosts.is_empty() { &everywhere } else { hosts };
        // Another host when this one already has a workstation of the kind; a numbered
        // second station only when every host tried has one.
        let mut chosen = None;
        for _ in 0..10 {
            let Some(&host) = hosts.choose(rng) else {
                break;
            };
            let (name, host_enterprise) = workstation_name(rng, &tree.units[host], kind);
            if !names.contains(&name) {
                chosen = Some((host, name, host_enterprise));
                break;
            }
            chosen.get_or_insert((host, name, host_enterprise));
        }
        let Some((host, mut name, host_enterprise)) = chosen else {
            continue;
        };
        let mut station = 2;
        while names.contains(&name) {
            let base = name.trim_end_matches(|ch: char| ch == '）' || ch.is_ascii_digit());
            let base = base.strip_suffix('（').unwrap_or(base);
            name = format!("{base}（{station}）");
            station += 1;
        }
        names.insert(name.clone());
        let unit = &tree.units[host];
        let certification = *weighted(
            rng,
            match kind {
                WorkstationKind::AcademicianExpert => &[
                    (CertificationLevel::National, 12),
                    (CertificationLevel::Provincial, 45),
                    (CertificationLevel::City, 30),
                    (CertificationLevel::None, 13),
                ],
                WorkstationKind::ExpertEnterprise => &[
                    (CertificationLevel::National, 0),
                    (CertificationLevel::Provincial, 35),
                    (CertificationLevel::City, 37),
                    (CertificationLevel::None, 28),
                ],
                WorkstationKind::DoctoralInnovation => &[
                    (CertificationLevel::National, 0),
                    (CertificationLevel::Provincial, 25),
                    (CertificationLevel::City, 38),
                    (CertificationLevel::None, 37),
                ],
                WorkstationKind::ScienceBackyard => &[
                    (CertificationLevel::National, 3),
                    (CertificationLevel::Provincial, 18),
                    (CertificationLevel::City, 36),
                    (CertificationLevel::None, 43),
                ],
            },
        );
        let founded_on = if rng.gen_bool(0.35) {
            day_between(rng, history_start(), date(history_end().year(), 10, 31))
        } else {
            day_between(rng, date(2012, 1, 1), history_start() - Duration::days(1))
        };
        let created_at = if founded_on >= history_start() {
            at(founded_on, rng)
        } else {
            at(day_between(rng, date(2024, 1, 2), date(2024, 3, 31)), rng)
        };
        let id = id_at(created_at, rng);
        log.record(rng, id, None, "ACTIVE", None, created_at);

        let mut status = WorkstationStatus::Active;
        let mut updated_at = created_at;
        let mut steps: Vec<(WorkstationStatus, Option<&'static str>)> = Vec::new();
        match rng.gen_range(0..100) {
            0..=84 => {}
            85..=94 => steps.push((
                WorkstationStatus::Suspended,
                SUSPEND_NOTES.choose(rng).copied(),
            )),
            _ => {
                if rng.gen_bool(0.5) {
                    steps.push((
                        WorkstationStatus::Suspended,
                        SUSPEND_NOTES.choose(rng).copied(),
                    ));
                }
                steps.push((WorkstationStatus::Closed, CLOSE_NOTES.choose(rng).copied()));
            }
        }
        if steps.is_empty() && rng.gen_bool(0.05) {
            steps.push((
                WorkstationStatus::Suspended,
                SUSPEND_NOTES.choose(rng).copied(),
            ));
            steps.push((WorkstationStatus::Active, RESUME_NOTES.choose(rng).copied()));
        }
        let mut version = 1;
        for (to, note) in &steps {
            let when = updated_at + Duration::days(rng.gen_range(30..240));
            if when > close {
                break;
            }
            version += 1;
            log.record(rng, id, Some(status.as_str()), to.as_str(), *note, when);
            status = *to;
            updated_at = when;
        }

        let pool: &[&Worker] = match kind {
            WorkstationKind::ScienceBackyard if !rural.is_empty() => &rural,
            WorkstationKind::DoctoralInnovation if !young.is_empty() && rng.gen_bool(0.5) => &young,
            _ if !seniors.is_empty() => &seniors,
            _ => &all,
        };
        let mut residents: Vec<&Worker> = Vec::new();
        if kind == WorkstationKind::AcademicianExpert && rng.gen_bool(0.6) {
            residents.extend(academicians.choose(rng));
        }
        let wanted = rng.gen_range(1..=5usize);
        for _ in 0..wanted * 4 {
            if residents.len() >= wanted {
                break;
            }
            if let Some(worker) = pool.choose(rng) {
                if !residents.iter().any(|resident| resident.id == worker.id) {
                    residents.push(worker);
                }
            }
        }
        for worker in residents {
            let added_at = (created_at.max(worker.created_at)
                + Duration::days(rng.gen_range(0..30)))
            .min(close.max(worker.created_at));
            residencies.push(Residency {
                workstation_id: id,
                worker_id: worker.id,
                added_at,
            });
        }
        workstations.push(Workstation {
            id,
            kind,
            name,
            host_unit_id: unit.id,
            host_enterprise,
            certification,
            founded_on,
            status,
            version,
            created_at,
            updated_at,
        });
    }
    (workstations, residencies)
}

/// A workstation's name and the enterprise (or cooperative) it works in, from its host.
fn workstation_name(
    rng: &mut StdRng,
    unit: &DemoUnit,
    kind: WorkstationKind,
) -> (String, Option<String>) {
    match kind {
        WorkstationKind::ScienceBackyard => {
            let crop = pick(rng, CROPS);
            let place = if unit.kind == "RURAL_TECH" {
                institution_of(&unit.name)
            } else {
                format!("{}{crop}", place_of(&unit.name))
            };
            (
                format!("{place}科技小院"),
                Some(format!("{place}{}", pick(rng, RURAL_EMPLOYERS))),
            )
        }
        _ => {
            let enterprise = institution_of(&unit.name);
            let suffix = match kind {
                WorkstationKind::AcademicianExpert => "院士（专家）工作站",
                WorkstationKind::DoctoralInnovation => "博士创新工作站",
                _ => "科技专家企业工作站",
            };
            (format!("{enterprise}{suffix}"), Some(enterprise))
        }
    }
}

async fn insert_workers(
    conn: &mut PgConnection,
    tree: &Tree<'_>,
    workers: &[Worker],
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into worker (worker_id, name, gender, birth_year, discipline, title, employer, home_unit_id,
                             is_volunteer, is_rural_expert, is_young_talent, is_academician, phone, email,
                             created_at, created_by, updated_at, updated_by)
         select id, name, gender, birth, discipline, title, employer, unit, volunteer, rural, young,
                academician, phone, email, created, $16, created, $16
         from unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
                     $8::uuid[], $9::boolean[], $10::boolean[], $11::boolean[], $12::boolean[], $13::text[],
                     $14::text[], $15::timestamptz[])
              as t(id, name, gender, birth, discipline, title, employer, unit, volunteer, rural, young,
                   academician, phone, email, created)",
    )
    .bind(workers.iter().map(|w| w.id).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.name.as_str()).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.gender.as_str()).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.birth_year).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.discipline.as_str()).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.title.map(ProfessionalTitle::as_str)).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.employer.as_deref()).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| tree.units[w.unit].id).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.volunteer).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.rural).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.young).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.academician).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.phone.as_deref()).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.email.as_deref()).collect::<Vec<_>>())
    .bind(workers.iter().map(|w| w.created_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert demo workers")?;
    Ok(())
}

async fn insert_honors(conn: &mut PgConnection, honors: &[Honor]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into honor (honor_id, worker_id, name, level, year, conferring_unit_id, nomination_id,
                            created_at, created_by, updated_at, updated_by)
         select id, worker, name, level, year, conferring, nomination, created, $9, created, $9
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::uuid[], $7::uuid[],
                     $8::timestamptz[])
              as t(id, worker, name, level, year, conferring, nomination, created)",
    )
    .bind(honors.iter().map(|h| h.id).collect::<Vec<_>>())
    .bind(honors.iter().map(|h| h.worker_id).collect::<Vec<_>>())
    .bind(honors.iter().map(|h| h.name.as_str()).collect::<Vec<_>>())
    .bind(honors.iter().map(|h| h.level.as_str()).collect::<Vec<_>>())
    .bind(honors.iter().map(|h| h.year).collect::<Vec<_>>())
    .bind(honors.iter().map(|h| h.conferring_unit_id).collect::<Vec<_>>())
    .bind(honors.iter().map(|h| h.nomination_id).collect::<Vec<_>>())
    .bind(honors.iter().map(|h| h.created_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert demo honors")?;
    Ok(())
}

async fn insert_nominations(
    conn: &mut PgConnection,
    nominations: &[Nomination],
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into nomination (nomination_id, worker_id, honor_name, honor_level, year, nominating_unit_id,
                                 conferring_unit_id, reason, status, honor_id, version, created_at, created_by,
                                 updated_at, updated_by)
         select id, worker, honor_name, level, year, nominating, conferring, reason, status, honor, version,
                created, $14, updated, $14
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::uuid[], $7::uuid[],
                     $8::text[], $9::text[], $10::uuid[], $11::int[], $12::timestamptz[], $13::timestamptz[])
              as t(id, worker, honor_name, level, year, nominating, conferring, reason, status, honor, version,
                   created, updated)",
    )
    .bind(nominations.iter().map(|n| n.id).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.worker_id).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.honor_name.as_str()).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.honor_level.as_str()).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.year).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.nominating_unit_id).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.conferring_unit_id).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.reason.as_deref()).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.status.as_str()).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.honor_id).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.version).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.created_at).collect::<Vec<_>>())
    .bind(nominations.iter().map(|n| n.updated_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert demo nominations")?;
    Ok(())
}

async fn insert_workstations(
    conn: &mut PgConnection,
    workstations: &[Workstation],
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into workstation (workstation_id, kind, name, host_unit_id, host_enterprise, certification,
                                  founded_on, status, version, created_at, created_by, updated_at, updated_by)
         select id, kind, name, host, enterprise, certification, founded, status, version,
                created, $11, updated, $11
         from unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::date[],
                     $8::text[], $9::int[], $10::timestamptz[], $12::timestamptz[])
              as t(id, kind, name, host, enterprise, certification, founded, status, version, created, updated)",
    )
    .bind(workstations.iter().map(|s| s.id).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.kind.as_str()).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.name.as_str()).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.host_unit_id).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.host_enterprise.as_deref()).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.certification.as_str()).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.founded_on).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.status.as_str()).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.version).collect::<Vec<_>>())
    .bind(workstations.iter().map(|s| s.created_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .bind(workstations.iter().map(|s| s.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await
    .context("Failed to insert demo workstations")?;
    Ok(())
}

async fn insert_residents(conn: &mut PgConnection, residents: &[Residency]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into workstation_resident (workstation_id, worker_id, added_at, added_by)
         select station, worker, added, $4
         from unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) as t(station, worker, added)",
    )
    .bind(
        residents
            .iter()
            .map(|r| r.workstation_id)
            .collect::<Vec<_>>(),
    )
    .bind(residents.iter().map(|r| r.worker_id).collect::<Vec<_>>())
    .bind(residents.iter().map(|r| r.added_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert demo resident experts")?;
    Ok(())
}

async fn insert_status_changes(
    conn: &mut PgConnection,
    changes: &[StatusChangeRow],
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into status_change (status_change_id, entity_id, from_status, to_status, actor, note, changed_at)
         select id, entity, from_status, to_status, $7, note, changed
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
              as t(id, entity, from_status, to_status, note, changed)",
    )
    .bind(changes.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.entity_id).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.from).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.to).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.note).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo workflow histories")?;
    Ok(())
}

//! Demo data: the venues (科普阵地) and three years (2024–2026) of popularization activities
//! (科普活动) of the city that organizations generated before.
//!
//! At scale 1, about 500 venues: the city's science museum and online channels; in every
//! district a county science museum (some still PLANNED or UNDER_CONSTRUCTION, some given
//! up: "力争建成6家县级科技馆"), a youth science museum and often a hands-on one, a home
//! of S&T workers and popularization bases; campus museums, demonstration communities and
//! community halls in the townships; rural demonstration bases run by the rural
//! professional technical associations; homes and bases in enterprises and universities.
//! Each venue has the workflow history its status implies.
//!
//! Then 50,000 activities per scale, organized by every kind of unit in proportion to how
//! active the texts describe them, with kinds leaning to the organizer (BROADCAST in
//! townships, TRAINING in rural associations and enterprises, lectures for the elderly by
//! the retired scientists), SCIENCE_DAY concentrated in September (全国科普日), TRAINING in
//! winter (科技之冬), study tours in the summer holidays, audiences weighted towards youth
//! and farmers, about 30% co-organized with the partner bureau of their audience, held at
//! a venue of their district that was open at the time, with 20–2,000 participants
//! depending on the kind. Activities that ended before [`as_of`] were HELD (a few
//! CANCELLED); later ones are PLANNED. Everything derives from
//! `DemoCity::rng("popularization")`.

mod text;

use std::collections::HashMap;

use anyhow::{bail, Context as _};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone as _, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::demo::{
    day_between, history_end, history_start, weighted, DemoCity, DemoUnit, Progress,
};
use crate::figures;
use kexie_subgraph_kit::id::id_at;

use kexie_popularization::domain::{
    ActivityKind, ActivityMode, ActivityStatus, ActivityTopic, Audience, PartnerBureau, VenueKind,
    VenueStatus,
};
use text::{host_name, place_core};

/// Who the generated records say wrote them.
const ACTOR: &str = "demo-data";
/// Rows per bulk statement.
const CHUNK: usize = 5_000;
const ACTIVITIES_PER_SCALE: usize = 50_000;

/// The day the generated city stands at: activities that ended before it were held or
/// cancelled, later ones are still planned. Fixed rather than read from the clock, so that
/// the same seed always gives the same data.
pub fn as_of() -> NaiveDate {
    date(2026, 11, 23)
}

/// Generates and writes this subgraph's records for `city`. Needs the unit tree: run it
/// after organizations.
pub async fn seed(pool: &PgPool, city: &mut DemoCity) -> anyhow::Result<()> {
    if city.units.is_empty() {
        bail!("popularization needs the unit tree: seed organizations first");
    }
    let mut rng = city.rng("popularization");
    let world = World::new(city, &mut rng);
    let venues = plan_venues(&world, &mut rng);
    let count = ACTIVITIES_PER_SCALE * city.scale.max(1) as usize;

    let mut tx = pool.begin().await?;
    figures::defer(&mut tx).await?;
    figures::replicate_tree(&mut tx, &city.replicated_units()).await?;
    let mut progress = Progress::new("popularization: venues", venues.len());
    for chunk in venues.chunks(CHUNK) {
        insert_venues(&mut tx, chunk).await?;
        let steps: Vec<&Step> = chunk.iter().flat_map(|venue| venue.steps.iter()).collect();
        insert_history(&mut tx, &steps).await?;
        progress.advance(chunk.len());
    }
    progress.finish();
    // Generated a chunk at a time, so that a large scale never holds every activity in
    // memory at once.
    let planner = ActivityPlanner::new(&world, &venues);
    let mut progress = Progress::new("popularization: activities", count);
    let mut remaining = count;
    while remaining > 0 {
        let size = remaining.min(CHUNK);
        let chunk: Vec<ActivityPlan> = (0..size).map(|_| planner.plan(&mut rng)).collect();
        insert_activities(&mut tx, &chunk).await?;
        let steps: Vec<&Step> = chunk
            .iter()
            .flat_map(|activity| activity.steps.iter())
            .collect();
        for steps in steps.chunks(CHUNK) {
            insert_history(&mut tx, steps).await?;
        }
        remaining -= size;
        progress.advance(size);
    }
    progress.finish();
    figures::build(&mut tx).await?;
    tx.commit()
        .await
        .context("Failed to commit the popularization demo data")?;
    eprintln!(
        "popularization: {} venues, {count} activities",
        venues.len()
    );
    Ok(())
}

/// Empties every table of the popularization schema, the replicated tree included.
pub async fn reset(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "truncate activity, venue, idempotency_key, status_change, unit_replica, unit_replica_state,
                  figure_contribution, figure_ledger",
    )
    .execute(pool)
    .await
    .context("Failed to empty the popularization tables")?;
    Ok(())
}

/// Whether the subgraph holds no records of its own (the replicated tree does not count).
pub async fn is_empty(pool: &PgPool) -> anyhow::Result<bool> {
    let any: bool =
        sqlx::query_scalar("select exists(select 1 from venue) or exists(select 1 from activity)")
            .fetch_one(pool)
            .await
            .context("Failed to look for popularization records")?;
    Ok(!any)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_else(history_start)
}

/// A moment in office hours (08:30–17:59, China Standard Time) on `day`.
fn office_time(rng: &mut StdRng, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let local = midnight + Duration::minutes(rng.gen_range(510..1080));
    Utc.from_utc_datetime(&(local - Duration::hours(8)))
}

/// Six decimals: about 10 cm, as precise as a map pin.
fn round_coordinate(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// Where the seats of 绵阳's districts, counties and county-level city are (longitude,
/// latitude), by division code.
const DISTRICT_SEATS: &[(&str, (f64, f64))] = &[
    ("510703", (104.74, 31.46)), // 涪城区
    ("510704", (104.77, 31.48)), // 游仙区
    ("510705", (104.57, 31.53)), // 安州区
    ("510722", (105.09, 31.10)), // 三台县
    ("510723", (105.39, 31.21)), // 盐亭县
    ("510725", (105.17, 31.64)), // 梓潼县
    ("510726", (104.45, 31.62)), // 北川羌族自治县
    ("510727", (104.53, 32.41)), // 平武县
    ("510781", (104.75, 31.78)), // 江油市
];

/// The city as this generator sees it.
struct World<'a> {
    all: &'a [DemoUnit],
    units: HashMap<Uuid, &'a DemoUnit>,
    city: &'a DemoUnit,
    /// A map centre per district (by its ID), and the city's.
    centres: HashMap<Uuid, (f64, f64)>,
    city_centre: (f64, f64),
}

impl<'a> World<'a> {
    fn new(city: &'a DemoCity, rng: &mut StdRng) -> Self {
        let units: HashMap<Uuid, &DemoUnit> =
            city.units.iter().map(|unit| (unit.id, unit)).collect();
        let root = city
            .units
            .iter()
            .find(|unit| unit.kind == "CITY")
            .unwrap_or(&city.units[0]);
        // 绵阳's districts at their seats; districts added at larger scales spread over a
        // degree or so around the city.
        let city_centre = (104.74, 31.46);
        let centres = city
            .units_of(&["DISTRICT"])
            .map(|district| {
                let seat = DISTRICT_SEATS
                    .iter()
                    .find(|(code, _)| district.division_code.as_deref() == Some(*code))
                    .map(|(_, seat)| *seat);
                let centre = seat.unwrap_or_else(|| {
                    (
                        city_centre.0 + rng.gen_range(-0.6..0.7),
                        city_centre.1 + rng.gen_range(-0.45..0.8),
                    )
                });
                (district.id, centre)
            })
            .collect();
        World {
            all: &city.units,
            units,
            city: root,
            centres,
            city_centre,
        }
    }

    /// The nearest unit of `kind` at or above `unit_id`.
    fn enclosing(&self, unit_id: Uuid, kind: &str) -> Option<&'a DemoUnit> {
        let mut current = self.units.get(&unit_id).copied();
        // The tree is shallow; the bound only guards against a malformed cycle.
        for _ in 0..16 {
            let unit = current?;
            if unit.kind == kind {
                return Some(unit);
            }
            current = unit
                .parent_id
                .and_then(|parent| self.units.get(&parent).copied());
        }
        None
    }

    fn district_of(&self, unit_id: Uuid) -> Option<&'a DemoUnit> {
        self.enclosing(unit_id, "DISTRICT")
    }

    /// The district's name, or the city's for units outside any district.
    fn area_name(&self, unit_id: Uuid) -> &'a str {
        host_name(&self.district_of(unit_id).unwrap_or(self.city).name)
    }

    /// A point near the unit's district (or the city) centre.
    fn point_near(&self, rng: &mut StdRng, unit_id: Uuid) -> (f64, f64) {
        let (centre, spread) = match self.district_of(unit_id) {
            Some(district) => (
                self.centres
                    .get(&district.id)
                    .copied()
                    .unwrap_or(self.city_centre),
                0.15,
            ),
            None => (self.city_centre, 0.05),
        };
        (
            round_coordinate(centre.0 + rng.gen_range(-spread..spread)),
            round_coordinate(centre.1 + rng.gen_range(-spread..spread)),
        )
    }
}

/// One workflow step of a generated record.
struct Step {
    id: Uuid,
    entity_id: Uuid,
    from: Option<&'static str>,
    to: &'static str,
    at: DateTime<Utc>,
    note: Option<&'static str>,
}

/// How a venue came to its present status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Course {
    /// Open since before the history.
    Existing,
    /// Planned, built and opened within the history.
    Built,
    /// Planned within the history and being built.
    Building,
    /// Planned within the history, not started.
    Planned,
    /// Named or set up within the history (designations, online channels): open at once.
    Designated,
    /// Open before, closed within the history.
    ClosedAfterOpening,
    /// Planned and given up.
    Abandoned,
}

/// The steps of a course: (from, to, day, note), and the opening and closing days.
struct Timeline {
    status: VenueStatus,
    opened_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    steps: Vec<(
        Option<VenueStatus>,
        VenueStatus,
        NaiveDate,
        Option<&'static str>,
    )>,
}

fn timeline(rng: &mut StdRng, course: Course, existing_since: NaiveDate) -> Timeline {
    use VenueStatus::*;
    let last = as_of() - Duration::days(1);
    let before_history = history_start() - Duration::days(1);
    let plan = |rng: &mut StdRng, from: NaiveDate, to: NaiveDate| day_between(rng, from, to);
    match course {
        Course::Existing => {
            let opened = day_between(rng, existing_since, before_history);
            Timeline {
                status: Open,
                opened_on: Some(opened),
                closed_on: None,
                steps: vec![(None, Open, opened, None)],
            }
        }
        Course::Designated => {
            let opened = day_between(rng, history_start(), last);
            Timeline {
                status: Open,
                opened_on: Some(opened),
                closed_on: None,
                steps: vec![(None, Open, opened, Some("通过认定，正式命名"))],
            }
        }
        Course::Built | Course::Building => {
            let planned = plan(rng, history_start(), date(2025, 6, 30));
            let started = (planned + Duration::days(rng.gen_range(30..240))).min(last);
            let opened = started + Duration::days(rng.gen_range(150..540));
            let mut steps = vec![
                (None, Planned, planned, Some("列入年度建设计划")),
                (Some(Planned), UnderConstruction, started, Some("开工建设")),
            ];
            if course == Course::Built && opened <= last {
                steps.push((
                    Some(UnderConstruction),
                    Open,
                    opened,
                    Some("建成并向公众开放"),
                ));
                Timeline {
                    status: Open,
                    opened_on: Some(opened),
                    closed_on: None,
                    steps,
                }
            } else {
                Timeline {
                    status: UnderConstruction,
                    opened_on: None,
                    closed_on: None,
                    steps,
                }
            }
        }
        Course::Planned => {
            let planned = plan(rng, date(2025, 1, 1), last);
            Timeline {
                status: Planned,
                opened_on: None,
                closed_on: None,
                steps: vec![(None, Planned, planned, Some("列入年度建设计划"))],
            }
        }
        Course::ClosedAfterOpening => {
            let opened = day_between(rng, existing_since, date(2020, 12, 31));
            let closed = day_between(rng, date(2024, 3, 1), last);
            Timeline {
                status: Closed,
                opened_on: Some(opened),
                closed_on: Some(closed),
                steps: vec![
                    (None, Open, opened, None),
                    (Some(Open), Closed, closed, Some("场地调整，停止开放")),
                ],
            }
        }
        Course::Abandoned => {
            let planned = plan(rng, history_start(), date(2024, 10, 31));
            let closed = (planned + Duration::days(rng.gen_range(90..400))).min(last);
            Timeline {
                status: Closed,
                opened_on: None,
                closed_on: Some(closed),
                steps: vec![
                    (None, Planned, planned, Some("列入年度建设计划")),
                    (Some(Planned), Closed, closed, Some("选址调整，不再建设")),
                ],
            }
        }
    }
}

/// How venues of a kind usually came about.
fn course_weights(kind: VenueKind) -> &'static [(Course, u32)] {
    use Course::*;
    match kind {
        VenueKind::ScienceMuseum => &[
            (Existing, 35),
            (Built, 25),
            (Building, 20),
            (Planned, 12),
            (Abandoned, 8),
        ],
        VenueKind::CampusMuseum => &[
            (Existing, 50),
            (Built, 25),
            (Building, 12),
            (Planned, 8),
            (ClosedAfterOpening, 3),
            (Abandoned, 2),
        ],
        VenueKind::CommunityHall => &[
            (Existing, 55),
            (Built, 30),
            (Building, 8),
            (Planned, 2),
            (ClosedAfterOpening, 5),
        ],
        VenueKind::WorkersHome => &[(Existing, 45), (Built, 40), (Building, 8), (Planned, 7)],
        VenueKind::Online => &[(Existing, 55), (Designated, 45)],
        VenueKind::PopularizationBase | VenueKind::DemoCommunity | VenueKind::RuralDemoBase => {
            &[(Existing, 60), (Designated, 36), (ClosedAfterOpening, 4)]
        }
    }
}

/// A venue as generated.
struct VenuePlan {
    id: Uuid,
    owner: Uuid,
    /// The district it lies in; none for the city's own.
    district: Option<Uuid>,
    name: String,
    kind: VenueKind,
    status: VenueStatus,
    co_builders: Vec<String>,
    address: Option<String>,
    coordinates: Option<(f64, f64)>,
    floor_area: Option<f64>,
    opened_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    yearly_visitors: Option<i32>,
    steps: Vec<Step>,
}

impl VenuePlan {
    fn created_at(&self) -> DateTime<Utc> {
        self.steps.first().map_or_else(Utc::now, |step| step.at)
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.steps.last().map_or_else(Utc::now, |step| step.at)
    }

    /// Whether an activity from `starts_on` to `ends_on` can take place here.
    fn open_during(&self, starts_on: NaiveDate, ends_on: NaiveDate) -> bool {
        self.opened_on.is_some_and(|opened| opened <= starts_on)
            && self.closed_on.is_none_or(|closed| closed > ends_on)
    }
}

/// Builds one venue: its course, history, size and audience.
#[allow(clippy::too_many_arguments)]
fn venue(
    world: &World<'_>,
    rng: &mut StdRng,
    owner: &DemoUnit,
    kind: VenueKind,
    name: String,
    course: Option<Course>,
    co_builders: Vec<String>,
    address: Option<String>,
) -> VenuePlan {
    let course = course.unwrap_or_else(|| *weighted(rng, course_weights(kind)));
    let existing_since = match kind {
        VenueKind::ScienceMuseum => date(1995, 1, 1),
        VenueKind::Online => date(2015, 1, 1),
        _ => date(2008, 1, 1),
    };
    let timeline = timeline(rng, course, existing_since);
    let city_museum = kind == VenueKind::ScienceMuseum && owner.kind == "CITY";
    let (area, visitors): ((f64, f64), (i32, i32)) = match kind {
        VenueKind::ScienceMuseum if city_museum => ((12_000.0, 22_000.0), (200_000, 450_000)),
        VenueKind::ScienceMuseum => ((1_500.0, 8_000.0), (20_000, 120_000)),
        VenueKind::CampusMuseum => ((150.0, 800.0), (2_000, 15_000)),
        VenueKind::CommunityHall => ((100.0, 500.0), (1_000, 10_000)),
        VenueKind::PopularizationBase => ((500.0, 6_000.0), (5_000, 60_000)),
        VenueKind::DemoCommunity => ((0.0, 0.0), (1_000, 8_000)),
        VenueKind::RuralDemoBase => ((200.0, 3_000.0), (500, 6_000)),
        VenueKind::WorkersHome => ((120.0, 900.0), (200, 3_000)),
        VenueKind::Online => ((0.0, 0.0), (50_000, 2_000_000)),
    };
    let physical = kind != VenueKind::Online;
    let floor_area =
        (physical && area.1 > 0.0).then(|| (rng.gen_range(area.0..area.1) / 10.0).round() * 10.0);
    let yearly_visitors = (timeline.status == VenueStatus::Open)
        .then(|| rng.gen_range(visitors.0..=visitors.1) / 10 * 10);
    let coordinates = physical.then(|| world.point_near(rng, owner.id));
    let mut steps = Vec::with_capacity(timeline.steps.len());
    let mut id = None;
    for (from, to, day, note) in &timeline.steps {
        let at = office_time(rng, *day);
        let entity_id = *id.get_or_insert_with(|| id_at(at, rng));
        steps.push(Step {
            id: id_at(at, rng),
            entity_id,
            from: from.map(VenueStatus::as_str),
            to: to.as_str(),
            at,
            note: *note,
        });
    }
    VenuePlan {
        id: id.unwrap_or_else(|| id_at(office_time(rng, history_start()), rng)),
        owner: owner.id,
        district: world.district_of(owner.id).map(|district| district.id),
        name,
        kind,
        status: timeline.status,
        co_builders,
        address: if physical { address } else { None },
        coordinates,
        floor_area,
        opened_on: timeline.opened_on,
        closed_on: timeline.closed_on,
        yearly_visitors,
        steps,
    }
}

fn plan_venues(world: &World<'_>, rng: &mut StdRng) -> Vec<VenuePlan> {
    let mut venues = Vec::new();
    for unit in world.all {
        let host = host_name(&unit.name);
        let area = world.area_name(unit.id);
        match unit.kind {
            "CITY" => {
                let core = place_core(host);
                let address = Some(text::street_address(rng, host));
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::ScienceMuseum,
                    format!("{host}科技馆"),
                    Some(Course::Existing),
                    vec![],
                    address,
                ));
                for (name, course) in [
                    (format!("“科普{core}”微信公众号"), Course::Existing),
                    (format!("{core}科普APP"), Course::Designated),
                ] {
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::Online,
                        name,
                        Some(course),
                        vec![],
                        None,
                    ));
                }
                let address = Some(text::street_address(rng, host));
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::WorkersHome,
                    format!("{host}科技工作者之家"),
                    Some(Course::Existing),
                    vec![],
                    address,
                ));
            }
            "DISTRICT" => {
                // The county museum, often built with the library ("与图书馆共同建设").
                let mut co_builders = Vec::new();
                if rng.gen_bool(0.35) {
                    co_builders.push(format!("{host}图书馆"));
                    if rng.gen_bool(0.3) {
                        co_builders.push(format!("{host}文化馆"));
                    }
                } else if rng.gen_bool(0.2) {
                    co_builders.push(format!("{host}教育局"));
                }
                let address = Some(text::street_address(rng, host));
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::ScienceMuseum,
                    format!("{host}科技馆"),
                    None,
                    co_builders,
                    address,
                ));
                let address = Some(text::street_address(rng, host));
                let course = *weighted(rng, &[(Course::Existing, 70), (Course::Built, 30)]);
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::ScienceMuseum,
                    format!("{host}青少年科技馆"),
                    Some(course),
                    vec![format!("{host}教育局")],
                    address,
                ));
                if rng.gen_bool(0.5) {
                    let address = Some(text::street_address(rng, host));
                    let theme = text::base_theme(rng);
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::ScienceMuseum,
                        format!("{host}{theme}科技体验馆"),
                        None,
                        vec![],
                        address,
                    ));
                }
                let address = Some(text::street_address(rng, host));
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::WorkersHome,
                    format!("{host}科技工作者之家"),
                    None,
                    vec![],
                    address,
                ));
                for _ in 0..2 {
                    let address = Some(text::street_address(rng, host));
                    let theme = text::base_theme(rng);
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::PopularizationBase,
                        format!("{host}{theme}科普教育基地"),
                        None,
                        vec![],
                        address,
                    ));
                }
                if rng.gen_bool(0.4) {
                    let core = place_core(host);
                    let name = if rng.gen_bool(0.5) {
                        format!("{host}科协“科普{core}”公众号")
                    } else {
                        format!("{host}科协科普抖音号")
                    };
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::Online,
                        name,
                        None,
                        vec![],
                        None,
                    ));
                }
            }
            "TOWNSHIP" => {
                if rng.gen_bool(0.6) {
                    let (name, school) = if rng.gen_bool(0.5) {
                        (format!("{host}农村中学科技馆"), format!("{host}中学"))
                    } else {
                        (
                            format!("{host}中心学校校园科技馆"),
                            format!("{host}中心学校"),
                        )
                    };
                    let address = Some(text::township_address(rng, area, host));
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::CampusMuseum,
                        name,
                        None,
                        vec![school],
                        address,
                    ));
                }
                if rng.gen_bool(0.6) {
                    let community = text::community_name(rng);
                    let address = Some(format!("{area}{host}{community}社区"));
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::DemoCommunity,
                        format!("{host}{community}社区科普示范社区"),
                        None,
                        vec![format!("{host}{community}社区居委会")],
                        address,
                    ));
                }
                let hall_share = if host.ends_with("街道") { 0.7 } else { 0.3 };
                if rng.gen_bool(hall_share) {
                    let community = text::community_name(rng);
                    let address = Some(format!("{area}{host}{community}社区"));
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::CommunityHall,
                        format!("{host}{community}社区科普馆"),
                        None,
                        vec![],
                        address,
                    ));
                }
            }
            "RURAL_TECH" if rng.gen_bool(0.85) => {
                let township = world.enclosing(unit.id, "TOWNSHIP");
                let township_host = township.map_or(area, |township| host_name(&township.name));
                let mut co_builders = Vec::new();
                if rng.gen_bool(0.5) {
                    co_builders.push(format!("{township_host}农业综合服务站"));
                }
                let address = Some(text::township_address(rng, area, township_host));
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::RuralDemoBase,
                    format!("{host}农村科普示范基地"),
                    None,
                    co_builders,
                    address,
                ));
            }
            "ENTERPRISE" => {
                if rng.gen_bool(0.15) {
                    let address = Some(text::street_address(rng, area));
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::WorkersHome,
                        format!("{host}科技工作者之家"),
                        None,
                        vec![],
                        address,
                    ));
                }
                if rng.gen_bool(0.12) {
                    let address = Some(text::street_address(rng, area));
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::PopularizationBase,
                        format!("{host}科普教育基地"),
                        None,
                        vec![],
                        address,
                    ));
                }
            }
            "UNIVERSITY" => {
                let address = Some(text::street_address(rng, area));
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::PopularizationBase,
                    format!("{host}科普教育基地"),
                    None,
                    vec![],
                    address,
                ));
                if rng.gen_bool(0.5) {
                    let address = Some(text::street_address(rng, area));
                    venues.push(venue(
                        world,
                        rng,
                        unit,
                        VenueKind::WorkersHome,
                        format!("{host}科技工作者之家"),
                        None,
                        vec![],
                        address,
                    ));
                }
            }
            "SOCIETY" if rng.gen_bool(0.1) => {
                let address = Some(text::street_address(rng, area));
                venues.push(venue(
                    world,
                    rng,
                    unit,
                    VenueKind::PopularizationBase,
                    format!("{host}科普教育基地"),
                    None,
                    vec![],
                    address,
                ));
            }
            _ => {}
        }
    }
    venues
}

/// An activity as generated.
struct ActivityPlan {
    id: Uuid,
    organizer: Uuid,
    title: String,
    kind: ActivityKind,
    partner_bureaus: Vec<PartnerBureau>,
    venue: Option<Uuid>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    audiences: Vec<Audience>,
    topics: Vec<ActivityTopic>,
    participants: i32,
    online_reach: i32,
    mode: ActivityMode,
    status: ActivityStatus,
    steps: Vec<Step>,
}

/// How busy each kind of unit is with popularization, relative to the others.
const ORGANIZERS: &[(&str, u32)] = &[
    ("TOWNSHIP", 35),
    ("DISTRICT", 15),
    ("SOCIETY", 14),
    ("RURAL_TECH", 10),
    ("ENTERPRISE", 10),
    ("SENIOR", 7),
    ("UNIVERSITY", 5),
    ("CITY", 4),
];

/// What each kind of unit organizes.
fn kind_weights(organizer_kind: &str) -> &'static [(ActivityKind, u32)] {
    use ActivityKind::*;
    match organizer_kind {
        "CITY" => &[
            (Lecture, 20),
            (ScienceDay, 15),
            (Competition, 15),
            (Training, 15),
            (Exhibition, 12),
            (AcademicianReport, 8),
            (VolunteerService, 8),
            (StudyTour, 7),
        ],
        "DISTRICT" => &[
            (Lecture, 20),
            (VolunteerService, 18),
            (Training, 18),
            (ScienceDay, 10),
            (Exhibition, 9),
            (Competition, 9),
            (StudyTour, 8),
            (Broadcast, 6),
            (AcademicianReport, 2),
        ],
        "TOWNSHIP" => &[
            (Broadcast, 25),
            (Lecture, 22),
            (Training, 18),
            (VolunteerService, 16),
            (ScienceDay, 8),
            (Exhibition, 5),
            (Competition, 3),
            (StudyTour, 3),
        ],
        "SOCIETY" => &[
            (Lecture, 40),
            (VolunteerService, 22),
            (Training, 15),
            (ScienceDay, 8),
            (Exhibition, 7),
            (Competition, 6),
            (AcademicianReport, 2),
        ],
        "RURAL_TECH" => &[
            (Training, 50),
            (Lecture, 20),
            (VolunteerService, 15),
            (Broadcast, 10),
            (ScienceDay, 5),
        ],
        "ENTERPRISE" => &[
            (Training, 40),
            (Competition, 25),
            (Lecture, 20),
            (Exhibition, 9),
            (ScienceDay, 6),
        ],
        "UNIVERSITY" => &[
            (Lecture, 30),
            (Competition, 20),
            (StudyTour, 15),
            (Exhibition, 15),
            (ScienceDay, 12),
            (AcademicianReport, 8),
        ],
        _ => &[
            (Lecture, 55),
            (VolunteerService, 27),
            (ScienceDay, 10),
            (Training, 8),
        ],
    }
}

/// The month an activity of `kind` falls in (1–12).
fn month(rng: &mut StdRng, kind: ActivityKind) -> u32 {
    // The Spring Festival makes February quiet.
    const ANY: [(u32, u32); 12] = [
        (1, 8),
        (2, 4),
        (3, 9),
        (4, 9),
        (5, 10),
        (6, 9),
        (7, 9),
        (8, 9),
        (9, 10),
        (10, 8),
        (11, 9),
        (12, 8),
    ];
    match kind {
        // 全国科普日 is in the third week of September.
        ActivityKind::ScienceDay if rng.gen_bool(0.92) => 9,
        // 科技之冬: the winter training season.
        ActivityKind::Training if rng.gen_bool(0.65) => *pick_u32(rng, &[11, 12, 1, 2]),
        // Study tours in the summer holidays and in spring.
        ActivityKind::StudyTour if rng.gen_bool(0.55) => *pick_u32(rng, &[7, 8]),
        ActivityKind::StudyTour if rng.gen_bool(0.35) => *pick_u32(rng, &[4, 5]),
        _ => *weighted(rng, &ANY),
    }
}

fn pick_u32<'a>(rng: &mut StdRng, choices: &'a [u32]) -> &'a u32 {
    &choices[rng.gen_range(0..choices.len())]
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        date(year + 1, 1, 1)
    } else {
        date(year, month + 1, 1)
    };
    (next - date(year, month, 1)).num_days() as u32
}

/// When an activity of `kind` takes place.
fn dates(rng: &mut StdRng, kind: ActivityKind) -> (NaiveDate, NaiveDate) {
    let year = rng.gen_range(history_start().year()..=history_end().year());
    let month = month(rng, kind);
    let starts_on = if kind == ActivityKind::ScienceDay && month == 9 {
        date(year, 9, rng.gen_range(12..=28))
    } else {
        date(year, month, rng.gen_range(1..=days_in_month(year, month)))
    };
    let days = match kind {
        ActivityKind::Training => *weighted(rng, &[(0, 50), (1, 20), (2, 15), (4, 15)]),
        ActivityKind::Exhibition => *weighted(rng, &[(0, 30), (2, 30), (6, 25), (29, 15)]),
        ActivityKind::StudyTour | ActivityKind::Competition | ActivityKind::ScienceDay => {
            *weighted(rng, &[(0, 70), (1, 20), (2, 10)])
        }
        _ => 0,
    };
    let ends_on = (starts_on + Duration::days(days)).min(history_end());
    (starts_on, ends_on)
}

const BASE_AUDIENCES: &[(Audience, u32)] = &[
    (Audience::Youth, 30),
    (Audience::Farmers, 28),
    (Audience::Elderly, 14),
    (Audience::GeneralPublic, 12),
    (Audience::IndustrialWorkers, 9),
    (Audience::CivilServants, 7),
];

/// What an activity is about, from its audience and form: farmers learn farming
/// techniques, the elderly health and food safety, the young science and the scientists'
/// spirit; about one activity in six (more among exhibitions and volunteer services) is
/// about disaster prevention or food safety (防灾减灾、食品安全宣传); some record no theme.
fn topics(rng: &mut StdRng, kind: ActivityKind, audience: Audience) -> Vec<ActivityTopic> {
    use ActivityTopic::*;
    let mut topics = Vec::new();
    let safety = match kind {
        ActivityKind::Exhibition | ActivityKind::VolunteerService | ActivityKind::Broadcast => 0.3,
        _ => 0.12,
    };
    if rng.gen_bool(safety) {
        topics.push(if rng.gen_bool(0.55) {
            DisasterPrevention
        } else {
            FoodSafety
        });
    }
    let usual = match audience {
        Audience::Farmers => AgriculturalTechnology,
        Audience::Elderly => {
            if rng.gen_bool(0.6) {
                Health
            } else {
                FoodSafety
            }
        }
        Audience::Youth => {
            if rng.gen_bool(0.7) {
                Ecology
            } else {
                ScientistSpirit
            }
        }
        Audience::IndustrialWorkers | Audience::CivilServants => DigitalLiteracy,
        Audience::GeneralPublic => Health,
    };
    if rng.gen_bool(0.7) && !topics.contains(&usual) {
        topics.push(usual);
    }
    topics
}

/// Whom an activity is for: its main audience first.
fn audiences(rng: &mut StdRng, kind: ActivityKind, organizer_kind: &str) -> Vec<Audience> {
    use Audience::*;
    let main = match (kind, organizer_kind) {
        (ActivityKind::StudyTour, _) => return vec![Youth],
        (ActivityKind::Broadcast, _) => Farmers,
        (ActivityKind::Training, "ENTERPRISE") | (ActivityKind::Competition, "ENTERPRISE") => {
            IndustrialWorkers
        }
        (ActivityKind::Training, "RURAL_TECH" | "TOWNSHIP") => {
            *weighted(rng, &[(Farmers, 85), (GeneralPublic, 15)])
        }
        (ActivityKind::Training, _) => *weighted(
            rng,
            &[
                (Farmers, 50),
                (IndustrialWorkers, 20),
                (CivilServants, 15),
                (GeneralPublic, 15),
            ],
        ),
        (ActivityKind::Competition, "UNIVERSITY") => Youth,
        (ActivityKind::Competition, _) => *weighted(
            rng,
            &[
                (Youth, 50),
                (Farmers, 25),
                (IndustrialWorkers, 15),
                (GeneralPublic, 10),
            ],
        ),
        (ActivityKind::AcademicianReport, _) => *weighted(
            rng,
            &[(Youth, 40), (CivilServants, 30), (GeneralPublic, 30)],
        ),
        (ActivityKind::Lecture, "SENIOR") => *weighted(rng, &[(Elderly, 85), (GeneralPublic, 15)]),
        (ActivityKind::VolunteerService, _) => *weighted(
            rng,
            &[
                (Farmers, 45),
                (Elderly, 20),
                (GeneralPublic, 20),
                (Youth, 15),
            ],
        ),
        (ActivityKind::ScienceDay | ActivityKind::Exhibition, _) => *weighted(
            rng,
            &[
                (Youth, 45),
                (GeneralPublic, 35),
                (Farmers, 10),
                (Elderly, 10),
            ],
        ),
        _ => *weighted(rng, BASE_AUDIENCES),
    };
    let mut audiences = vec![main];
    if rng.gen_bool(0.35) {
        audiences.push(*weighted(rng, BASE_AUDIENCES));
        if rng.gen_bool(0.3) {
            audiences.push(*weighted(rng, BASE_AUDIENCES));
        }
    }
    kexie_popularization::domain::distinct(&audiences)
}

/// The bureaus co-organizing an activity for `audience` ("借力打力": the education bureau
/// for youth, agriculture for farmers, veteran cadres for the elderly …).
fn partner_bureaus(rng: &mut StdRng, audience: Audience) -> Vec<PartnerBureau> {
    use PartnerBureau::*;
    const OTHERS: &[(PartnerBureau, u32)] = &[
        (Health, 35),
        (WomensFederation, 25),
        (ScienceTechnology, 25),
        (Other, 15),
    ];
    let main = if rng.gen_bool(0.8) {
        match audience {
            Audience::Youth => Education,
            Audience::Farmers => Agriculture,
            Audience::Elderly => VeteranCadres,
            Audience::IndustrialWorkers => IndustryIt,
            Audience::CivilServants => OrganizationDepartment,
            Audience::GeneralPublic => *weighted(rng, OTHERS),
        }
    } else {
        *weighted(rng, OTHERS)
    };
    let mut bureaus = vec![main];
    if rng.gen_bool(0.25) {
        bureaus.push(*weighted(rng, OTHERS));
    }
    kexie_popularization::domain::distinct(&bureaus)
}

fn mode(rng: &mut StdRng, kind: ActivityKind) -> ActivityMode {
    use ActivityMode::*;
    let weights: &[(ActivityMode, u32)] = match kind {
        ActivityKind::Lecture => &[(Offline, 75), (Hybrid, 15), (Online, 10)],
        ActivityKind::ScienceDay => &[(Offline, 55), (Hybrid, 35), (Online, 10)],
        ActivityKind::VolunteerService => &[(Offline, 95), (Hybrid, 5)],
        ActivityKind::AcademicianReport => &[(Offline, 40), (Hybrid, 50), (Online, 10)],
        ActivityKind::Training => &[(Offline, 80), (Hybrid, 10), (Online, 10)],
        ActivityKind::Competition => &[(Offline, 60), (Hybrid, 20), (Online, 20)],
        ActivityKind::Exhibition => &[(Offline, 80), (Hybrid, 15), (Online, 5)],
        // Loudspeakers in the villages, and trips: in person only.
        ActivityKind::StudyTour | ActivityKind::Broadcast => &[(Offline, 1)],
    };
    *weighted(rng, weights)
}

/// A count between `low` and `high`, small ones more likely, rounded like a report does.
fn count(rng: &mut StdRng, low: i32, high: i32) -> i32 {
    let share: f64 = rng.gen::<f64>().powi(2);
    let value = f64::from(low) + f64::from(high - low) * share;
    let rounded = if value >= 200.0 {
        (value / 10.0).round() * 10.0
    } else {
        value.round()
    };
    rounded as i32
}

/// Participants in person (or registered online) and the reach online.
fn counts(rng: &mut StdRng, kind: ActivityKind, mode: ActivityMode) -> (i32, i32) {
    let (low, high) = match kind {
        ActivityKind::Lecture | ActivityKind::VolunteerService => (30, 300),
        ActivityKind::ScienceDay | ActivityKind::Exhibition => (200, 2_000),
        ActivityKind::AcademicianReport => (100, 800),
        ActivityKind::Training => (30, 200),
        ActivityKind::Competition => (50, 500),
        ActivityKind::StudyTour => (20, 120),
        ActivityKind::Broadcast => (100, 2_000),
    };
    match mode {
        ActivityMode::Offline => (count(rng, low, high), 0),
        ActivityMode::Hybrid => (count(rng, low, high), count(rng, 300, 30_000)),
        ActivityMode::Online => (count(rng, 20, 300), count(rng, 500, 50_000)),
    }
}

/// Venues by where they are, for picking where an activity takes place.
struct VenueIndex {
    /// Physical venues, per district (none: the city's own).
    by_district: HashMap<Option<Uuid>, Vec<usize>>,
    physical: Vec<usize>,
    online: Vec<usize>,
}

impl VenueIndex {
    fn new(venues: &[VenuePlan]) -> Self {
        let mut index = VenueIndex {
            by_district: HashMap::new(),
            physical: Vec::new(),
            online: Vec::new(),
        };
        for (position, venue) in venues.iter().enumerate() {
            if venue.kind == VenueKind::Online {
                index.online.push(position);
            } else {
                index.physical.push(position);
                index
                    .by_district
                    .entry(venue.district)
                    .or_default()
                    .push(position);
            }
        }
        index
    }
}

/// Whether an activity of `kind` would be held in a venue of `venue_kind`.
fn suits(kind: ActivityKind, venue_kind: VenueKind) -> bool {
    match kind {
        ActivityKind::StudyTour => matches!(
            venue_kind,
            VenueKind::ScienceMuseum
                | VenueKind::CampusMuseum
                | VenueKind::PopularizationBase
                | VenueKind::RuralDemoBase
        ),
        ActivityKind::Exhibition => !matches!(venue_kind, VenueKind::RuralDemoBase),
        ActivityKind::Training => !matches!(venue_kind, VenueKind::CampusMuseum),
        _ => true,
    }
}

/// Where an activity takes place: a venue of its district (any in the city for the
/// city's own units) open at the time, or none.
#[allow(clippy::too_many_arguments)]
fn pick_venue(
    rng: &mut StdRng,
    venues: &[VenuePlan],
    index: &VenueIndex,
    district: Option<Uuid>,
    kind: ActivityKind,
    mode: ActivityMode,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Option<Uuid> {
    let share = match kind {
        ActivityKind::StudyTour => 0.9,
        ActivityKind::Exhibition => 0.7,
        ActivityKind::ScienceDay | ActivityKind::AcademicianReport => 0.5,
        ActivityKind::Lecture => 0.4,
        ActivityKind::Training | ActivityKind::Competition => 0.35,
        ActivityKind::VolunteerService => 0.2,
        ActivityKind::Broadcast => 0.0,
    };
    let candidates = if mode == ActivityMode::Online {
        if !rng.gen_bool(0.4) {
            return None;
        }
        &index.online
    } else {
        if !rng.gen_bool(share) {
            return None;
        }
        match district {
            Some(_) => index.by_district.get(&district).unwrap_or(&index.physical),
            None => &index.physical,
        }
    };
    if candidates.is_empty() {
        return None;
    }
    for _ in 0..6 {
        let venue = &venues[candidates[rng.gen_range(0..candidates.len())]];
        if venue.open_during(starts_on, ends_on)
            && (mode == ActivityMode::Online || suits(kind, venue.kind))
        {
            return Some(venue.id);
        }
    }
    None
}

/// Generates activities one at a time for a city and its venues.
struct ActivityPlanner<'a> {
    world: &'a World<'a>,
    venues: &'a [VenuePlan],
    index: VenueIndex,
    /// The units of each organizing kind the city has, with the kind's weight.
    organizers: Vec<(Vec<&'a DemoUnit>, u32)>,
}

impl<'a> ActivityPlanner<'a> {
    fn new(world: &'a World<'a>, venues: &'a [VenuePlan]) -> Self {
        let mut organizers: Vec<(Vec<&DemoUnit>, u32)> = ORGANIZERS
            .iter()
            .map(|(kind, weight)| {
                (
                    world.all.iter().filter(|unit| unit.kind == *kind).collect(),
                    *weight,
                )
            })
            .filter(|(units, _): &(Vec<&DemoUnit>, u32)| !units.is_empty())
            .collect();
        if organizers.is_empty() {
            // A tree of kinds this generator does not know: the root organizes everything.
            organizers.push((vec![world.city], 1));
        }
        ActivityPlanner {
            world,
            venues,
            index: VenueIndex::new(venues),
            organizers,
        }
    }

    fn plan(&self, rng: &mut StdRng) -> ActivityPlan {
        let (world, venues, index, organizers) =
            (self.world, self.venues, &self.index, &self.organizers);
        let organizer = match weighted(rng, organizers) {
            units if !units.is_empty() => units[rng.gen_range(0..units.len())],
            _ => world.city,
        };
        let kind = *weighted(rng, kind_weights(organizer.kind));
        let (starts_on, ends_on) = dates(rng, kind);
        let audiences = audiences(rng, kind, organizer.kind);
        let main_audience = audiences
            .first()
            .copied()
            .unwrap_or(Audience::GeneralPublic);
        let topics = topics(rng, kind, main_audience);
        let partner_bureaus = if rng.gen_bool(0.3) {
            partner_bureaus(rng, main_audience)
        } else {
            Vec::new()
        };
        let mode = mode(rng, kind);
        let district = world.district_of(organizer.id).map(|district| district.id);
        let venue = pick_venue(rng, venues, index, district, kind, mode, starts_on, ends_on);
        let (participants, online_reach) = counts(rng, kind, mode);
        let winter = matches!(starts_on.month(), 11 | 12 | 1 | 2);
        let title = text::activity_title(
            rng,
            kind,
            main_audience,
            text::organizer_name(&organizer.name, organizer.kind),
            world.area_name(organizer.id),
            organizer.kind,
            starts_on.year(),
            winter,
        );

        // Planned a few weeks ahead, never after the day the city stands at.
        let planned_on = (starts_on - Duration::days(rng.gen_range(5..=45))).min(as_of());
        let created_at = office_time(rng, planned_on);
        let id = id_at(created_at, rng);
        let mut steps = vec![Step {
            id: id_at(created_at, rng),
            entity_id: id,
            from: None,
            to: ActivityStatus::Planned.as_str(),
            at: created_at,
            note: None,
        }];
        let status = if ends_on < as_of() {
            let (status, day, note) = if rng.gen_bool(0.04) {
                let day = (starts_on - Duration::days(rng.gen_range(1..=7))).max(planned_on);
                (
                    ActivityStatus::Cancelled,
                    day,
                    Some(text::cancellation_note(rng)),
                )
            } else {
                let day = (ends_on + Duration::days(rng.gen_range(0..=3))).min(as_of());
                (ActivityStatus::Held, day, None)
            };
            // Strictly after the creation, so that the history orders the same every time.
            let at = office_time(rng, day).max(created_at + Duration::minutes(1));
            steps.push(Step {
                id: id_at(at, rng),
                entity_id: id,
                from: Some(ActivityStatus::Planned.as_str()),
                to: status.as_str(),
                at,
                note,
            });
            status
        } else {
            ActivityStatus::Planned
        };
        ActivityPlan {
            id,
            organizer: organizer.id,
            title,
            kind,
            partner_bureaus,
            venue,
            starts_on,
            ends_on,
            audiences,
            topics,
            participants,
            online_reach,
            mode,
            status,
            steps,
        }
    }
}

/// Joins enum texts or names for `string_to_array(…, '|')`: `unnest` cannot carry an
/// array per row.
fn joined<T>(values: &[T], text: impl Fn(&T) -> &str) -> String {
    values.iter().map(text).collect::<Vec<_>>().join("|")
}

async fn insert_venues(conn: &mut PgConnection, venues: &[VenuePlan]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into venue (venue_id, owner_unit_id, name, kind, status, co_builders, address,
                            longitude, latitude, floor_area, opened_on, yearly_visitors, version,
                            created_at, created_by, updated_at, updated_by)
         select id, owner, name, kind, status, string_to_array(builders, '|'), address, lon, lat,
                area, opened, visitors, version, created, $16, updated, $16
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::float8[], $9::float8[], $10::float8[], $11::date[], $12::int[],
                     $13::int[], $14::timestamptz[], $15::timestamptz[])
              as t(id, owner, name, kind, status, builders, address, lon, lat, area, opened,
                   visitors, version, created, updated)",
    )
    .bind(venues.iter().map(|venue| venue.id).collect::<Vec<_>>())
    .bind(venues.iter().map(|venue| venue.owner).collect::<Vec<_>>())
    .bind(
        venues
            .iter()
            .map(|venue| venue.name.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.kind.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| joined(&venue.co_builders, |name| name.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.address.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.coordinates.map(|c| c.0))
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.coordinates.map(|c| c.1))
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.floor_area)
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.opened_on)
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.yearly_visitors)
            .collect::<Vec<_>>(),
    )
    .bind(
        venues
            .iter()
            .map(|venue| venue.steps.len() as i32)
            .collect::<Vec<_>>(),
    )
    .bind(venues.iter().map(VenuePlan::created_at).collect::<Vec<_>>())
    .bind(venues.iter().map(VenuePlan::updated_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo venues")?;
    Ok(())
}

async fn insert_activities(
    conn: &mut PgConnection,
    activities: &[ActivityPlan],
) -> anyhow::Result<()> {
    let first_step =
        |activity: &ActivityPlan| activity.steps.first().map_or_else(Utc::now, |step| step.at);
    let last_step =
        |activity: &ActivityPlan| activity.steps.last().map_or_else(Utc::now, |step| step.at);
    sqlx::query(
        "insert into activity (activity_id, organizer_unit_id, title, kind, partner_bureaus, venue_id,
                               starts_on, ends_on, audiences, topics, participants, online_reach,
                               mode, status, version, created_at, created_by, updated_at, updated_by)
         select id, organizer, title, kind, string_to_array(bureaus, '|'), venue, starts, ends,
                string_to_array(audiences, '|'), string_to_array(topics, '|'), participants,
                reach, mode, status, version, created, $17, updated, $17
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[],
                     $7::date[], $8::date[], $9::text[], $10::int[], $11::int[], $12::text[],
                     $13::text[], $14::int[], $15::timestamptz[], $16::timestamptz[], $18::text[])
              as t(id, organizer, title, kind, bureaus, venue, starts, ends, audiences,
                   participants, reach, mode, status, version, created, updated, topics)",
    )
    .bind(activities.iter().map(|activity| activity.id).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.organizer).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.title.as_str()).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.kind.as_str()).collect::<Vec<_>>())
    .bind(
        activities
            .iter()
            .map(|activity| joined(&activity.partner_bureaus, |bureau| bureau.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(activities.iter().map(|activity| activity.venue).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.starts_on).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.ends_on).collect::<Vec<_>>())
    .bind(
        activities
            .iter()
            .map(|activity| joined(&activity.audiences, |audience| audience.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(activities.iter().map(|activity| activity.participants).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.online_reach).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.mode.as_str()).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.status.as_str()).collect::<Vec<_>>())
    .bind(activities.iter().map(|activity| activity.steps.len() as i32).collect::<Vec<_>>())
    .bind(activities.iter().map(first_step).collect::<Vec<_>>())
    .bind(activities.iter().map(last_step).collect::<Vec<_>>())
    .bind(ACTOR)
    .bind(
        activities
            .iter()
            .map(|activity| joined(&activity.topics, |topic| topic.as_str()))
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await
    .context("Failed to insert the demo activities")?;
    Ok(())
}

async fn insert_history(conn: &mut PgConnection, steps: &[&Step]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into status_change (status_change_id, entity_id, from_status, to_status, actor, note, changed_at)
         select id, entity, from_status, to_status, $7, note, changed
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
              as t(id, entity, from_status, to_status, note, changed)",
    )
    .bind(steps.iter().map(|step| step.id).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.entity_id).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.from).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.to).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.note).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo workflow history")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn science_day_falls_in_september_and_training_mostly_in_winter() {
        let mut rng = StdRng::seed_from_u64(7);
        let september = (0..1000)
            .filter(|_| dates(&mut rng, ActivityKind::ScienceDay).0.month() == 9)
            .count();
        assert!(september > 880, "{september}");
        let winter = (0..1000)
            .filter(|_| {
                matches!(
                    dates(&mut rng, ActivityKind::Training).0.month(),
                    11 | 12 | 1 | 2
                )
            })
            .count();
        assert!(winter > 650, "{winter}");
    }

    #[test]
    fn every_course_ends_in_a_consistent_status() {
        let mut rng = StdRng::seed_from_u64(11);
        for course in [
            Course::Existing,
            Course::Built,
            Course::Building,
            Course::Planned,
            Course::Designated,
            Course::ClosedAfterOpening,
            Course::Abandoned,
        ] {
            for _ in 0..50 {
                let timeline = timeline(&mut rng, course, date(2008, 1, 1));
                let last = timeline.steps.last().unwrap();
                assert_eq!(last.1, timeline.status, "{course:?}");
                assert!(last.2 < as_of(), "{course:?}");
                for pair in timeline.steps.windows(2) {
                    assert_eq!(pair[1].0, Some(pair[0].1));
                    assert!(pair[0].1.can_become(pair[1].1));
                    assert!(pair[0].2 <= pair[1].2);
                }
                assert_eq!(
                    timeline.opened_on.is_some(),
                    timeline.status == VenueStatus::Open || course == Course::ClosedAfterOpening
                );
            }
        }
    }

    #[test]
    fn counts_stay_within_the_ranges_of_their_kind() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..500 {
            let (participants, reach) =
                counts(&mut rng, ActivityKind::StudyTour, ActivityMode::Offline);
            assert!((20..=120).contains(&participants));
            assert_eq!(reach, 0);
            let (participants, _) =
                counts(&mut rng, ActivityKind::ScienceDay, ActivityMode::Hybrid);
            assert!((200..=2_000).contains(&participants));
        }
    }
}

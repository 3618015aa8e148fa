//! Demo data: three years (2024–2026) of campaigns, submissions and research topics for the
//! city that organizations and talent generated before.
//!
//! At scale 1: about 25 campaigns (each district's "我为XX发展献一计" in two of the three
//! years, the city's own each year, the yearly call for research topics, two collections of
//! 卡脖子 problems), 5,000 submissions written by 1–3 of the city's workers with categories
//! leaning to the submitting unit's trade and statuses spread like a real funnel (most
//! SUBMITTED, UNDER_REVIEW or CLOSED; about 15% FORWARDED, 5% INSTRUCTED, 3% ADOPTED), each
//! with its whole workflow history, and about 60 research topics a year, some awarded.
//! Volumes grow with the scale; everything derives from `DemoCity::rng("advice")`.

mod text;

use std::collections::HashMap;

use anyhow::{bail, Context as _};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone as _, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::demo::{
    day_between, history_end, history_start, weighted, DemoCity, DemoUnit, DemoWorker, Progress,
};
use crate::figures;
use kexie_subgraph_kit::id::id_at;

use kexie_advice::domain::{
    CampaignKind, LeaderLevel, ResearchAward, ResearchTopicStatus, SubmissionCategory,
    SubmissionChannel, SubmissionStatus,
};

/// Who the generated records say wrote them.
const ACTOR: &str = "demo-data";
/// Rows per bulk statement.
const CHUNK: usize = 5_000;
const SUBMISSIONS_PER_SCALE: usize = 5_000;
const TOPICS_PER_YEAR_PER_SCALE: usize = 60;

/// Generates and writes this subgraph's records for `city`. Needs the units and the workers:
/// run it after organizations and talent.
pub async fn seed(pool: &PgPool, city: &mut DemoCity) -> anyhow::Result<()> {
    if city.units.is_empty() {
        bail!("advice needs the unit tree: seed organizations first");
    }
    if city.workers.is_empty() {
        bail!("advice needs S&T workers as authors: seed talent first");
    }
    let mut rng = city.rng("advice");
    let scale = city.scale.max(1) as usize;
    let world = World::new(city);
    let campaigns = plan_campaigns(&world, &mut rng);

    let mut tx = pool.begin().await?;
    figures::defer(&mut tx).await?;
    figures::replicate_tree(&mut tx, &city.replicated_units()).await?;
    insert_campaigns(&mut tx, &campaigns).await?;
    let total = SUBMISSIONS_PER_SCALE * scale;
    let generator = SubmissionGenerator::new(&world, &campaigns);
    let mut progress = Progress::new("advice: submissions", total);
    let mut done = 0;
    while done < total {
        let chunk: Vec<SubmissionPlan> = (0..CHUNK.min(total - done))
            .map(|_| generator.next(&mut rng))
            .collect();
        insert_submissions(&mut tx, &chunk).await?;
        let steps: Vec<&Step> = chunk.iter().flat_map(|plan| plan.steps.iter()).collect();
        for steps in steps.chunks(CHUNK) {
            insert_history(&mut tx, steps).await?;
        }
        done += chunk.len();
        progress.advance(chunk.len());
    }
    progress.finish();

    let topics = plan_research_topics(&world, scale, &mut rng);
    let mut progress = Progress::new("advice: research topics", topics.len());
    for chunk in topics.chunks(CHUNK) {
        insert_research_topics(&mut tx, chunk).await?;
        let steps: Vec<&Step> = chunk.iter().flat_map(|topic| topic.steps.iter()).collect();
        for steps in steps.chunks(CHUNK) {
            insert_history(&mut tx, steps).await?;
        }
        progress.advance(chunk.len());
    }
    progress.finish();
    figures::build(&mut tx).await?;
    tx.commit()
        .await
        .context("Failed to commit the advice demo data")?;
    eprintln!(
        "advice: {} campaigns, {} submissions, {} research topics",
        campaigns.len(),
        total,
        topics.len()
    );
    Ok(())
}

/// Empties every table of the advice schema, the replicated tree included.
pub async fn reset(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "truncate campaign, submission, submission_author, research_topic, research_topic_member,
             idempotency_key, status_change, unit_replica, unit_replica_state, figure_contribution,
             figure_ledger",
    )
    .execute(pool)
    .await
    .context("Failed to empty the advice tables")?;
    Ok(())
}

/// Whether the subgraph holds no records of its own (the replicated tree does not count).
pub async fn is_empty(pool: &PgPool) -> anyhow::Result<bool> {
    let any: bool = sqlx::query_scalar(
        "select exists(select 1 from campaign) or exists(select 1 from submission)
             or exists(select 1 from research_topic)",
    )
    .fetch_one(pool)
    .await
    .context("Failed to look for advice records")?;
    Ok(!any)
}

/// The city as this generator sees it: units by kind and workers by district.
struct World<'a> {
    units: HashMap<Uuid, &'a DemoUnit>,
    city: &'a DemoUnit,
    districts: Vec<&'a DemoUnit>,
    societies: Vec<&'a DemoUnit>,
    /// Units that lead research topics, with their weights.
    topic_leads: Vec<(&'a DemoUnit, u32)>,
    workers: &'a [DemoWorker],
    /// Indexes into `workers`, per district (by the district's ID) and per home unit.
    workers_by_district: HashMap<Uuid, Vec<usize>>,
    workers_by_unit: HashMap<Uuid, Vec<usize>>,
}

impl<'a> World<'a> {
    fn new(city: &'a DemoCity) -> Self {
        let units: HashMap<Uuid, &DemoUnit> =
            city.units.iter().map(|unit| (unit.id, unit)).collect();
        let root = city
            .units
            .iter()
            .find(|unit| unit.kind == "CITY")
            .unwrap_or(&city.units[0]);
        let mut world = World {
            units,
            city: root,
            districts: city.units_of(&["DISTRICT"]).collect(),
            societies: city.units_of(&["SOCIETY"]).collect(),
            topic_leads: city
                .units
                .iter()
                .filter_map(|unit| {
                    let weight = match unit.kind {
                        "SOCIETY" => 12,
                        "UNIVERSITY" => 10,
                        "SENIOR" => 8,
                        "DISTRICT" => 6,
                        "CITY" => 20,
                        _ => return None,
                    };
                    Some((unit, weight))
                })
                .collect(),
            workers: &city.workers,
            workers_by_district: HashMap::new(),
            workers_by_unit: HashMap::new(),
        };
        for (index, worker) in city.workers.iter().enumerate() {
            world
                .workers_by_unit
                .entry(worker.home_unit_id)
                .or_default()
                .push(index);
            if let Some(district) = world.district_of(worker.home_unit_id) {
                world
                    .workers_by_district
                    .entry(district)
                    .or_default()
                    .push(index);
            }
        }
        if world.topic_leads.is_empty() {
            world.topic_leads.push((world.city, 1));
        }
        world
    }

    /// The district a unit lies in, if any.
    fn district_of(&self, unit_id: Uuid) -> Option<Uuid> {
        let mut current = self.units.get(&unit_id).copied();
        // The tree is shallow; the bound only guards against a malformed cycle.
        for _ in 0..16 {
            let unit = current?;
            if unit.kind == "DISTRICT" {
                return Some(unit.id);
            }
            current = unit
                .parent_id
                .and_then(|parent| self.units.get(&parent).copied());
        }
        None
    }

    fn unit(&self, unit_id: Uuid) -> &'a DemoUnit {
        self.units.get(&unit_id).copied().unwrap_or(self.city)
    }

    /// The place whose committee receives a unit's advice: its district, or the city.
    fn place_of(&self, unit_id: Uuid) -> &'a str {
        let unit = self
            .district_of(unit_id)
            .map_or(self.city, |district| self.unit(district));
        text::place_name(&unit.name)
    }

    /// `count` distinct workers (indexes into `workers`), drawn from `pool` when it has
    /// anyone, else from everyone.
    fn draw_workers(
        &self,
        rng: &mut StdRng,
        pool: Option<&Vec<usize>>,
        count: usize,
    ) -> Vec<usize> {
        match pool.filter(|pool| !pool.is_empty()) {
            Some(pool) => pool
                .choose_multiple(rng, count.min(pool.len()))
                .copied()
                .collect(),
            None => {
                let count = count.min(self.workers.len());
                let mut picked = Vec::with_capacity(count);
                while picked.len() < count {
                    let index = rng.gen_range(0..self.workers.len());
                    if !picked.contains(&index) {
                        picked.push(index);
                    }
                }
                picked
            }
        }
    }

    fn worker_ids(&self, indexes: &[usize]) -> Vec<Uuid> {
        indexes
            .iter()
            .map(|index| self.workers[*index].id)
            .collect()
    }

    /// The submitting unit of a submission: its first author's home unit.
    fn home_unit(&self, indexes: &[usize]) -> Uuid {
        indexes
            .first()
            .map_or(self.city.id, |index| self.workers[*index].home_unit_id)
    }
}

/// A time on `day` in China (UTC+8), `minutes` after midnight.
fn china_time_on(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Utc.from_utc_datetime(&(midnight + Duration::minutes(minutes) - Duration::hours(8)))
}

/// The day in China of a moment.
fn china_day(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

/// A moment in office hours (08:30–17:59) on `day`.
fn office_time(rng: &mut StdRng, day: NaiveDate) -> DateTime<Utc> {
    china_time_on(day, rng.gen_range(510..1080))
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_else(history_start)
}

struct CampaignPlan {
    id: Uuid,
    organizer_id: Uuid,
    /// The district the campaign reaches, or none for the whole city.
    district: Option<Uuid>,
    title: String,
    kind: CampaignKind,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    description: String,
    created_at: DateTime<Utc>,
}

fn plan_campaigns(world: &World<'_>, rng: &mut StdRng) -> Vec<CampaignPlan> {
    let mut plans = Vec::new();
    let mut push = |rng: &mut StdRng,
                    organizer: &DemoUnit,
                    district: Option<Uuid>,
                    kind: CampaignKind,
                    year: i32,
                    opens_on: NaiveDate,
                    days: i64| {
        let place = text::place_name(&organizer.name);
        let region = text::region_name(&organizer.name);
        let created_on = opens_on - Duration::days(rng.gen_range(5..16));
        let created_at = office_time(rng, created_on.max(history_start()));
        plans.push(CampaignPlan {
            id: id_at(created_at, rng),
            organizer_id: organizer.id,
            district,
            title: text::campaign_title(kind, year, &region),
            kind,
            opens_on,
            closes_on: opens_on + Duration::days(days),
            description: text::campaign_description(kind, year, place),
            created_at,
        });
    };
    for year in history_start().year()..=history_end().year() {
        let opens = day_between(rng, date(year, 1, 5), date(year, 1, 20));
        let days = rng.gen_range(40..61);
        push(
            rng,
            world.city,
            None,
            CampaignKind::ResearchTopicCall,
            year,
            opens,
            days,
        );
        let opens = day_between(rng, date(year, 3, 1), date(year, 4, 30));
        let days = rng.gen_range(60..121);
        push(
            rng,
            world.city,
            None,
            CampaignKind::IdeaSolicitation,
            year,
            opens,
            days,
        );
        if year != 2025 {
            let opens = day_between(rng, date(year, 5, 15), date(year, 6, 30));
            let days = rng.gen_range(90..151);
            push(
                rng,
                world.city,
                None,
                CampaignKind::KeyTechBottleneck,
                year,
                opens,
                days,
            );
        }
    }
    for district in &world.districts {
        // Each district runs its own "献一计" in two of the three years.
        let skipped = history_start().year() + rng.gen_range(0..3);
        for year in history_start().year()..=history_end().year() {
            if year == skipped {
                continue;
            }
            let opens = day_between(rng, date(year, 3, 1), date(year, 5, 31));
            let days = rng.gen_range(60..121);
            push(
                rng,
                district,
                Some(district.id),
                CampaignKind::IdeaSolicitation,
                year,
                opens,
                days,
            );
        }
    }
    plans
}

/// One step of a workflow, as written to `status_change`.
struct Step {
    id: Uuid,
    entity_id: Uuid,
    from: Option<&'static str>,
    to: &'static str,
    note: Option<String>,
    at: DateTime<Utc>,
}

struct SubmissionPlan {
    id: Uuid,
    unit_id: Uuid,
    campaign_id: Option<Uuid>,
    title: String,
    summary: String,
    body: String,
    category: SubmissionCategory,
    channel: SubmissionChannel,
    status: SubmissionStatus,
    submitted_on: Option<NaiveDate>,
    instruction: Option<(LeaderLevel, String, String, NaiveDate)>,
    authors: Vec<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    steps: Vec<Step>,
}

/// The funnel: where submissions rest at the end of the generated history.
const FUNNEL: &[(SubmissionStatus, u32)] = &[
    (SubmissionStatus::Draft, 4),
    (SubmissionStatus::Submitted, 20),
    (SubmissionStatus::UnderReview, 18),
    (SubmissionStatus::Returned, 5),
    (SubmissionStatus::Refined, 7),
    (SubmissionStatus::Closed, 23),
    (SubmissionStatus::Forwarded, 15),
    (SubmissionStatus::Instructed, 5),
    (SubmissionStatus::Adopted, 3),
];

/// The statuses a submission passed through to rest at `last`, with the days each step
/// took; some went through a round of revision (RETURNED) on the way.
fn workflow_path(rng: &mut StdRng, last: SubmissionStatus) -> Vec<(SubmissionStatus, i64)> {
    use SubmissionStatus::*;
    let mut path = vec![(Draft, 0)];
    if last == Draft {
        return path;
    }
    let revised = !matches!(last, Submitted | Returned) && rng.gen_bool(0.12);
    path.push((Submitted, rng.gen_range(0..6)));
    if revised {
        path.push((UnderReview, rng.gen_range(1..21)));
        path.push((Returned, rng.gen_range(3..16)));
        path.push((Submitted, rng.gen_range(3..21)));
    }
    if last == Submitted {
        return path;
    }
    path.push((UnderReview, rng.gen_range(1..21)));
    match last {
        UnderReview => return path,
        Returned => {
            path.push((Returned, rng.gen_range(3..16)));
            return path;
        }
        Closed if rng.gen_bool(0.7) => {
            path.push((Closed, rng.gen_range(5..31)));
            return path;
        }
        _ => {}
    }
    path.push((Refined, rng.gen_range(5..26)));
    for (status, days) in [
        (Closed, 5..21),
        (Forwarded, 3..16),
        (Instructed, 5..46),
        (Adopted, 15..91),
    ] {
        if last == Refined {
            break;
        }
        if status == Closed {
            if last == Closed {
                path.push((Closed, rng.gen_range(days)));
                break;
            }
            continue;
        }
        path.push((status, rng.gen_range(days)));
        if status == last {
            break;
        }
    }
    path
}

/// Categories lean to the trade of the submitting unit and to the campaign's purpose.
fn category_for(
    rng: &mut StdRng,
    unit: &DemoUnit,
    campaign: Option<CampaignKind>,
) -> SubmissionCategory {
    use SubmissionCategory::*;
    if campaign == Some(CampaignKind::KeyTechBottleneck) {
        return *weighted(rng, &[(KeyTechBottleneck, 8), (Industry, 2)]);
    }
    let society_lean = |name: &str| -> Option<SubmissionCategory> {
        let leans: [(&[&str], SubmissionCategory); 5] = [
            (&["医", "护理", "药"], Health),
            (&["农", "林", "畜牧", "植物", "茶"], Agriculture),
            (&["环境", "气象", "水利"], Ecology),
            (&["计算机", "机械", "电子", "土木"], Industry),
            (&["科普", "青少年"], Education),
        ];
        leans
            .iter()
            .find(|(words, _)| words.iter().any(|word| name.contains(word)))
            .map(|(_, category)| *category)
    };
    let weights: &[(SubmissionCategory, u32)] = match unit.kind {
        "ENTERPRISE" => &[
            (Industry, 45),
            (KeyTechBottleneck, 12),
            (Talent, 12),
            (Ecology, 9),
            (Governance, 9),
            (Health, 5),
            (Education, 4),
            (Agriculture, 4),
        ],
        "TOWNSHIP" | "RURAL_TECH" => &[
            (Agriculture, 45),
            (Ecology, 12),
            (Health, 10),
            (Education, 10),
            (Governance, 10),
            (Industry, 8),
            (Talent, 5),
        ],
        "UNIVERSITY" => &[
            (Education, 25),
            (Talent, 25),
            (Industry, 20),
            (KeyTechBottleneck, 10),
            (Health, 8),
            (Ecology, 7),
            (Governance, 5),
        ],
        "SOCIETY" => match society_lean(&unit.name) {
            Some(lean) if rng.gen_bool(0.6) => return lean,
            _ => GENERAL_WEIGHTS,
        },
        _ => GENERAL_WEIGHTS,
    };
    *weighted(rng, weights)
}

/// A city whose economy is electronics and manufacturing with a large rural hinterland.
const GENERAL_WEIGHTS: &[(SubmissionCategory, u32)] = &[
    (SubmissionCategory::Industry, 25),
    (SubmissionCategory::Agriculture, 18),
    (SubmissionCategory::Health, 12),
    (SubmissionCategory::Governance, 12),
    (SubmissionCategory::Ecology, 10),
    (SubmissionCategory::Education, 10),
    (SubmissionCategory::Talent, 10),
    (SubmissionCategory::KeyTechBottleneck, 3),
];

/// Generates submissions one by one, so that any scale streams through bounded memory.
struct SubmissionGenerator<'w> {
    world: &'w World<'w>,
    campaigns: &'w [CampaignPlan],
    /// Campaigns that take submissions, with their weights: the city's "献一计" draws more
    /// than a district's, the narrower 卡脖子 collections in between.
    campaign_weights: Vec<(usize, u32)>,
}

impl<'w> SubmissionGenerator<'w> {
    fn new(world: &'w World<'w>, campaigns: &'w [CampaignPlan]) -> Self {
        let campaign_weights = campaigns
            .iter()
            .enumerate()
            .filter(|(_, campaign)| campaign.kind != CampaignKind::ResearchTopicCall)
            .map(|(index, campaign)| {
                let weight = match (campaign.kind, campaign.district) {
                    (CampaignKind::KeyTechBottleneck, _) => 2,
                    (_, None) => 3,
                    (_, Some(_)) => 1,
                };
                (index, weight)
            })
            .collect();
        SubmissionGenerator {
            world,
            campaigns,
            campaign_weights,
        }
    }

    fn next(&self, rng: &mut StdRng) -> SubmissionPlan {
        let (world, campaigns, campaign_weights) =
            (self.world, self.campaigns, &self.campaign_weights);
        let end = history_end();
        let last = *weighted(rng, FUNNEL);
        let path = workflow_path(rng, last);
        let span: i64 = path.iter().map(|(_, days)| days).sum();
        let latest_start = end - Duration::days(span + 1);
        let mut channel = *weighted(
            rng,
            &[
                (SubmissionChannel::Campaign, 45),
                (SubmissionChannel::Direct, 40),
                (SubmissionChannel::SocietyResearch, 15),
            ],
        );
        let mut campaign = None;
        if channel == SubmissionChannel::Campaign {
            let eligible: Vec<(usize, u32)> = campaign_weights
                .iter()
                .copied()
                .filter(|(index, _)| campaigns[*index].opens_on <= latest_start)
                .collect();
            if eligible.is_empty() {
                channel = SubmissionChannel::Direct;
            } else {
                campaign = Some(&campaigns[*weighted(rng, &eligible)]);
            }
        }
        if channel == SubmissionChannel::SocietyResearch && world.societies.is_empty() {
            channel = SubmissionChannel::Direct;
        }
        let created_on = match campaign {
            Some(campaign) => {
                day_between(rng, campaign.opens_on, campaign.closes_on.min(latest_start))
            }
            None => day_between(rng, history_start(), latest_start),
        };
        let author_count = *weighted(rng, &[(1usize, 50), (2, 30), (3, 20)]);
        let (unit_id, authors) = match (channel, campaign) {
            (SubmissionChannel::SocietyResearch, _) => {
                let society = world.societies[rng.gen_range(0..world.societies.len())];
                let authors =
                    world.draw_workers(rng, world.workers_by_unit.get(&society.id), author_count);
                (society.id, world.worker_ids(&authors))
            }
            (_, campaign) => {
                let pool = campaign
                    .and_then(|campaign| campaign.district)
                    .and_then(|district| world.workers_by_district.get(&district));
                let authors = world.draw_workers(rng, pool, author_count);
                (world.home_unit(&authors), world.worker_ids(&authors))
            }
        };
        let unit = world.unit(unit_id);
        let category = category_for(rng, unit, campaign.map(|campaign| campaign.kind));
        let place = world.place_of(unit_id);
        let (title, summary, body) = text::submission(rng, category, place);
        let committee = text::committee(place);

        let created_at = china_time_on(created_on, rng.gen_range(480..1320));
        let id = id_at(created_at, rng);
        let mut steps = Vec::with_capacity(path.len());
        let mut at = created_at;
        let mut from: Option<&'static str> = None;
        let mut submitted_on = None;
        let mut instruction = None;
        for (index, (status, days)) in path.iter().enumerate() {
            if index > 0 {
                at = if *days == 0 {
                    at + Duration::minutes(rng.gen_range(5..240))
                } else {
                    office_time(rng, china_day(at) + Duration::days(*days))
                };
            }
            if *status == SubmissionStatus::Submitted && submitted_on.is_none() {
                submitted_on = Some(china_day(at));
            }
            let mut note = text::step_note(rng, *status, committee);
            if *status == SubmissionStatus::Instructed {
                let level = *weighted(
                    rng,
                    if world.district_of(unit_id).is_some() {
                        &[
                            (LeaderLevel::County, 35),
                            (LeaderLevel::City, 50),
                            (LeaderLevel::Provincial, 13),
                            (LeaderLevel::National, 2),
                        ]
                    } else {
                        &[
                            (LeaderLevel::City, 70),
                            (LeaderLevel::Provincial, 25),
                            (LeaderLevel::National, 5),
                        ]
                    },
                );
                let (leader, words) = text::instruction(rng, level, category);
                note = Some(format!("{leader}批示：{words}"));
                instruction = Some((level, leader, words, china_day(at)));
            }
            steps.push(Step {
                id: id_at(at, rng),
                entity_id: id,
                from,
                to: status.as_str(),
                note,
                at,
            });
            from = Some(status.as_str());
        }
        SubmissionPlan {
            id,
            unit_id,
            campaign_id: campaign.map(|campaign| campaign.id),
            title,
            summary,
            body,
            category,
            channel,
            status: last,
            submitted_on,
            instruction,
            authors,
            created_at,
            updated_at: at,
            steps,
        }
    }
}

struct TopicPlan {
    id: Uuid,
    lead_unit_id: Uuid,
    year: i32,
    title: String,
    status: ResearchTopicStatus,
    report: Option<(String, String, NaiveDate)>,
    award: Option<(ResearchAward, DateTime<Utc>)>,
    members: Vec<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    steps: Vec<Step>,
}

fn plan_research_topics(world: &World<'_>, scale: usize, rng: &mut StdRng) -> Vec<TopicPlan> {
    use ResearchTopicStatus::*;
    let end = history_end();
    let last_year = end.year();
    let mut plans = Vec::new();
    for year in history_start().year()..=last_year {
        // Older topics have run their course; the last year's are still under way.
        let outcomes: &[(ResearchTopicStatus, u32)] = match last_year - year {
            0 => &[
                (Proposed, 6),
                (Approved, 12),
                (InProgress, 35),
                (Concluded, 35),
                (Rejected, 12),
            ],
            1 => &[(InProgress, 13), (Concluded, 75), (Rejected, 12)],
            _ => &[(InProgress, 6), (Concluded, 82), (Rejected, 12)],
        };
        for _ in 0..TOPICS_PER_YEAR_PER_SCALE * scale {
            let last = *weighted(rng, outcomes);
            let lead = *weighted(rng, &world.topic_leads);
            let place = world.place_of(lead.id);
            let (title, report_title, report_summary) = text::research_topic(rng, place);
            let member_count = rng.gen_range(2..9);
            let own = world.draw_workers(
                rng,
                world.workers_by_unit.get(&lead.id),
                member_count.min(3),
            );
            let mut members = world.worker_ids(&own);
            for extra in world.worker_ids(&world.draw_workers(rng, None, member_count)) {
                if members.len() < member_count && !members.contains(&extra) {
                    members.push(extra);
                }
            }

            let proposed_on = day_between(rng, date(year, 1, 10), date(year, 3, 31));
            let created_at = office_time(rng, proposed_on);
            let id = id_at(created_at, rng);
            let mut path = vec![(Proposed, created_at)];
            let decided_on = china_day(created_at) + Duration::days(rng.gen_range(15..41));
            let decided = office_time(rng, decided_on);
            if last == Rejected {
                path.push((Rejected, decided));
            } else if last != Proposed {
                path.push((Approved, decided));
                if last != Approved {
                    let started_on = china_day(decided) + Duration::days(rng.gen_range(5..21));
                    let started = office_time(rng, started_on);
                    path.push((InProgress, started));
                    if last == Concluded {
                        let concluded_on = day_between(rng, date(year, 9, 1), date(year, 12, 20))
                            .max(china_day(started) + Duration::days(30))
                            .min(end);
                        path.push((Concluded, office_time(rng, concluded_on)));
                    }
                }
            }
            let concluded_on = path
                .iter()
                .find(|(status, _)| *status == Concluded)
                .map(|(_, at)| china_day(*at));
            let report = concluded_on.map(|on| (report_title, report_summary, on));
            // Outstanding results are judged the spring after (优秀调研成果评选).
            let award = match concluded_on {
                Some(_) if year < last_year && rng.gen_bool(0.25) => {
                    let prize = *weighted(
                        rng,
                        &[
                            (ResearchAward::First, 15),
                            (ResearchAward::Second, 35),
                            (ResearchAward::Third, 50),
                        ],
                    );
                    let judged =
                        day_between(rng, date(year + 1, 3, 1), date(year + 1, 5, 31)).min(end);
                    Some((prize, office_time(rng, judged)))
                }
                _ => None,
            };
            let mut steps = Vec::with_capacity(path.len());
            let mut from: Option<&'static str> = None;
            for (status, at) in &path {
                steps.push(Step {
                    id: id_at(*at, rng),
                    entity_id: id,
                    from,
                    to: status.as_str(),
                    note: text::topic_note(rng, *status),
                    at: *at,
                });
                from = Some(status.as_str());
            }
            let updated_at = award
                .map(|(_, at)| at)
                .or_else(|| path.last().map(|(_, at)| *at))
                .unwrap_or(created_at);
            plans.push(TopicPlan {
                id,
                lead_unit_id: lead.id,
                year,
                title,
                status: last,
                report,
                award,
                members,
                created_at,
                updated_at,
                steps,
            });
        }
    }
    plans
}

async fn insert_campaigns(conn: &mut PgConnection, plans: &[CampaignPlan]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into campaign (campaign_id, organizer_id, title, kind, opens_on, closes_on,
             description, created_at, updated_at, created_by, updated_by)
         select id, organizer, title, kind, opens, closes, description, created, created, $9, $9
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::date[], $6::date[],
                     $7::text[], $8::timestamptz[])
              as t(id, organizer, title, kind, opens, closes, description, created)",
    )
    .bind(plans.iter().map(|plan| plan.id).collect::<Vec<_>>())
    .bind(
        plans
            .iter()
            .map(|plan| plan.organizer_id)
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.title.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.kind.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(plans.iter().map(|plan| plan.opens_on).collect::<Vec<_>>())
    .bind(plans.iter().map(|plan| plan.closes_on).collect::<Vec<_>>())
    .bind(
        plans
            .iter()
            .map(|plan| plan.description.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(plans.iter().map(|plan| plan.created_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo campaigns")?;
    Ok(())
}

async fn insert_submissions(
    conn: &mut PgConnection,
    plans: &[SubmissionPlan],
) -> anyhow::Result<()> {
    fn instruction(plan: &SubmissionPlan) -> Option<&(LeaderLevel, String, String, NaiveDate)> {
        plan.instruction.as_ref()
    }
    sqlx::query(
        "insert into submission (submission_id, submitting_unit_id, campaign_id, title, summary,
             body, category, channel, status, submitted_on, instruction_leader_level,
             instruction_leader, instruction_note, instructed_on, version, created_at,
             updated_at, created_by, updated_by)
         select *, $18, $18
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::date[], $11::text[], $12::text[],
                     $13::text[], $14::date[], $15::int[], $16::timestamptz[], $17::timestamptz[])",
    )
    .bind(plans.iter().map(|plan| plan.id).collect::<Vec<_>>())
    .bind(plans.iter().map(|plan| plan.unit_id).collect::<Vec<_>>())
    .bind(
        plans
            .iter()
            .map(|plan| plan.campaign_id)
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.title.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.summary.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.body.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.category.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.channel.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.submitted_on)
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| instruction(plan).map(|(level, ..)| level.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| instruction(plan).map(|(_, leader, ..)| leader.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| instruction(plan).map(|(_, _, note, _)| note.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| instruction(plan).map(|(.., on)| *on))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.steps.len() as i32)
            .collect::<Vec<_>>(),
    )
    .bind(plans.iter().map(|plan| plan.created_at).collect::<Vec<_>>())
    .bind(plans.iter().map(|plan| plan.updated_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(&mut *conn)
    .await
    .context("Failed to insert the demo submissions")?;

    let authors: Vec<(Uuid, Uuid, i32)> = plans
        .iter()
        .flat_map(|plan| {
            plan.authors
                .iter()
                .enumerate()
                .map(|(position, author)| (plan.id, *author, position as i32))
        })
        .collect();
    sqlx::query(
        "insert into submission_author (submission_id, worker_id, position)
         select * from unnest($1::uuid[], $2::uuid[], $3::int[])",
    )
    .bind(authors.iter().map(|row| row.0).collect::<Vec<_>>())
    .bind(authors.iter().map(|row| row.1).collect::<Vec<_>>())
    .bind(authors.iter().map(|row| row.2).collect::<Vec<_>>())
    .execute(conn)
    .await
    .context("Failed to insert the demo submissions' authors")?;
    Ok(())
}

async fn insert_research_topics(
    conn: &mut PgConnection,
    plans: &[TopicPlan],
) -> anyhow::Result<()> {
    fn report(plan: &TopicPlan) -> Option<&(String, String, NaiveDate)> {
        plan.report.as_ref()
    }
    sqlx::query(
        "insert into research_topic (research_topic_id, lead_unit_id, year, title, status,
             report_title, report_summary, report_submitted_on, award, awarded_at, version,
             created_at, updated_at, created_by, updated_by)
         select *, $14, $14
         from unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::date[], $9::text[], $10::timestamptz[], $11::int[],
                     $12::timestamptz[], $13::timestamptz[])",
    )
    .bind(plans.iter().map(|plan| plan.id).collect::<Vec<_>>())
    .bind(
        plans
            .iter()
            .map(|plan| plan.lead_unit_id)
            .collect::<Vec<_>>(),
    )
    .bind(plans.iter().map(|plan| plan.year).collect::<Vec<_>>())
    .bind(
        plans
            .iter()
            .map(|plan| plan.title.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| report(plan).map(|(title, ..)| title.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| report(plan).map(|(_, summary, _)| summary.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| report(plan).map(|(.., on)| *on))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.award.map(|(prize, _)| prize.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| plan.award.map(|(_, at)| at))
            .collect::<Vec<_>>(),
    )
    .bind(
        plans
            .iter()
            .map(|plan| (plan.steps.len() + usize::from(plan.award.is_some())) as i32)
            .collect::<Vec<_>>(),
    )
    .bind(plans.iter().map(|plan| plan.created_at).collect::<Vec<_>>())
    .bind(plans.iter().map(|plan| plan.updated_at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(&mut *conn)
    .await
    .context("Failed to insert the demo research topics")?;

    let members: Vec<(Uuid, Uuid, i32)> = plans
        .iter()
        .flat_map(|plan| {
            plan.members
                .iter()
                .enumerate()
                .map(|(position, member)| (plan.id, *member, position as i32))
        })
        .collect();
    sqlx::query(
        "insert into research_topic_member (research_topic_id, worker_id, position)
         select * from unnest($1::uuid[], $2::uuid[], $3::int[])",
    )
    .bind(members.iter().map(|row| row.0).collect::<Vec<_>>())
    .bind(members.iter().map(|row| row.1).collect::<Vec<_>>())
    .bind(members.iter().map(|row| row.2).collect::<Vec<_>>())
    .execute(conn)
    .await
    .context("Failed to insert the demo research topics' members")?;
    Ok(())
}

async fn insert_history(conn: &mut PgConnection, steps: &[&Step]) -> anyhow::Result<()> {
    sqlx::query(
        "insert into status_change (status_change_id, entity_id, from_status, to_status, actor,
             note, changed_at)
         select id, entity, from_status, to_status, $7, note, changed_at
         from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
              as t(id, entity, from_status, to_status, note, changed_at)",
    )
    .bind(steps.iter().map(|step| step.id).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.entity_id).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.from).collect::<Vec<_>>())
    .bind(steps.iter().map(|step| step.to).collect::<Vec<_>>())
    .bind(
        steps
            .iter()
            .map(|step| step.note.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(steps.iter().map(|step| step.at).collect::<Vec<_>>())
    .bind(ACTOR)
    .execute(conn)
    .await
    .context("Failed to insert the demo workflow history")?;
    Ok(())
}

//! Popularization figures: what leadership reads over a unit's whole subtree for a period
//! (科普阵地 and 科普活动), and the same per direct child to compare units side by side.

use async_graphql::{Context, Enum, Object, SimpleObject};
use uuid::Uuid;

use kexie_subgraph_kit::figures::{prepare_subtree_read, ranked_children, LedgerFigures};
use kexie_subgraph_kit::ledger::{Figure, Tally};
use kexie_subgraph_kit::rollup::{rollup, Period, PeriodInput};
use kexie_subgraph_kit::target::{LedgerMetric, TargetMetric};
use kexie_subgraph_kit::unit_tree::UnitKind;
use kexie_subgraph_kit::ApiResult;

use super::entities::Unit;
use crate::domain::{ActivityKind, ActivityTopic, Audience, VenueKind, VenueStatus};
use kexie_subgraph_kit::schema::pool;

/// The popularization figures of a unit's subtree (the unit itself included) for a period,
/// in the tree as it stands now (a merged unit's records count where it now hangs). Days
/// are local days (UTC+8). Archived venues and activities never count. A sum beyond the
/// range of `Int` reads as 2147483647.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(directive = rollup::apply())]
pub struct PopularizationFigures {
    /// Venues (科普阵地) the subtree's units own that are on record on the period's last
    /// day, whatever their status then: a stock, not a flow. A venue is on record from its
    /// first recorded status change, or from its opening date if that is earlier.
    pub venues: i32,
    /// `venues` by their status on the period's last day: the last status change recorded
    /// by the end of that day, except that a venue counts as OPEN from its opening date on
    /// (an existing museum entered into the hub later, an opening recorded late). Every
    /// status, in the order of `VenueStatus`, zeros included.
    pub venues_by_status: Vec<VenueStatusCount>,
    /// Of `venues`, those OPEN on the period's last day.
    pub open_venues: i32,
    /// `openVenues` by kind: every kind, in the order of `VenueKind`, zeros included.
    pub open_venues_by_kind: Vec<VenueKindCount>,
    /// Activities (科普活动) the subtree's units organized that start within the period and
    /// were HELD (as they stand now): planned and cancelled ones do not count. An activity
    /// spanning the end of a period counts in the period it starts in, so the quarters of
    /// a year add up to the year.
    pub activities: i32,
    /// The participants of `activities` (as recorded when each was held).
    pub participants: i32,
    /// The online reach of `activities` (viewers, listeners, readers online).
    pub online_reach: i32,
    /// `activities` by kind: every kind, in the order of `ActivityKind`, zeros included;
    /// the kinds add up to the totals.
    pub activities_by_kind: Vec<ActivityKindCount>,
    /// `activities` by audience: every audience, in the order of `Audience`, zeros
    /// included. An activity for several audiences counts, with all its participants,
    /// under each of them, so the audiences add up to more than the totals.
    pub activities_by_audience: Vec<AudienceCount>,
    /// `activities` by topic: every topic, in the order of `ActivityTopic`, zeros included.
    /// An activity on several topics counts under each; one on none under none.
    pub activities_by_topic: Vec<TopicCount>,
}

/// How many activities on one topic.
#[derive(SimpleObject, Clone, Debug)]
pub struct TopicCount {
    pub topic: ActivityTopic,
    pub count: i32,
}

/// How many venues in one status.
#[derive(SimpleObject, Clone, Debug)]
pub struct VenueStatusCount {
    pub status: VenueStatus,
    pub count: i32,
}

/// How many venues of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct VenueKindCount {
    pub kind: VenueKind,
    pub count: i32,
}

/// How many activities of one kind were held, and their participants.
#[derive(SimpleObject, Clone, Debug)]
pub struct ActivityKindCount {
    pub kind: ActivityKind,
    pub count: i32,
    pub participants: i32,
}

/// How many activities for one audience were held, and their participants.
#[derive(SimpleObject, Clone, Debug)]
pub struct AudienceCount {
    pub audience: Audience,
    pub count: i32,
    pub participants: i32,
}

/// A scalar figure of `PopularizationFigures` to rank children by.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum PopularizationFigure {
    Venues,
    OpenVenues,
    Activities,
    Participants,
    OnlineReach,
}

#[derive(Clone, Debug)]
pub struct ChildPopularizationFigures {
    rank: i32,
    unit_id: Uuid,
    figures: PopularizationFigures,
}

/// One direct child of a unit with the figures of its subtree and its place among its
/// siblings.
#[Object(directive = rollup::apply())]
impl ChildPopularizationFigures {
    /// 1 for the first; children with equal values share a rank and the next rank skips
    /// (1, 2, 2, 4).
    async fn rank(&self) -> i32 {
        self.rank
    }
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    async fn figures(&self) -> &PopularizationFigures {
        &self.figures
    }
}

// The ledger figures (see the popularization figures migration).
const VENUES_BY_STATUS: &str = "VENUES_BY_STATUS";
const OPEN_VENUES_BY_KIND: &str = "OPEN_VENUES_BY_KIND";
const ACTIVITIES_BY_KIND: &str = "ACTIVITIES_BY_KIND";
const PARTICIPANTS_BY_KIND: &str = "PARTICIPANTS_BY_KIND";
const ONLINE_REACH: &str = "ONLINE_REACH";
const ACTIVITIES_BY_AUDIENCE: &str = "ACTIVITIES_BY_AUDIENCE";
const PARTICIPANTS_BY_AUDIENCE: &str = "PARTICIPANTS_BY_AUDIENCE";
const ACTIVITIES_BY_TOPIC: &str = "ACTIVITIES_BY_TOPIC";

impl PopularizationFigure {
    /// The ledger figure a child is ranked by.
    fn ledger_figure(self) -> &'static str {
        match self {
            PopularizationFigure::Venues => VENUES_BY_STATUS,
            PopularizationFigure::OpenVenues => OPEN_VENUES_BY_KIND,
            PopularizationFigure::Activities => ACTIVITIES_BY_KIND,
            PopularizationFigure::Participants => PARTICIPANTS_BY_KIND,
            PopularizationFigure::OnlineReach => ONLINE_REACH,
        }
    }
}

const ELDERLY_LECTURES: &str = "ELDERLY_LECTURES";
const SAFETY_ACTIVITIES: &str = "SAFETY_ACTIVITIES";
const SCIENCE_MUSEUMS: &str = "SCIENCE_MUSEUMS";

/// The actual figures of the targets whose metrics popularization measures (the others are left
/// out), from the figure ledger: what `Target` answers, and what the demo seeder sizes
/// targets by.
pub async fn target_actuals(
    pool: &sqlx::PgPool,
    keys: &[kexie_subgraph_kit::target::TargetKey],
) -> sqlx::Result<std::collections::HashMap<kexie_subgraph_kit::target::TargetKey, i64>> {
    kexie_subgraph_kit::target::actuals_from_ledger(pool, "unit_replica", keys, ledger_metric).await
}

/// How popularization's target metrics read the ledger (see `TargetMetric`).
pub(crate) fn ledger_metric(metric: TargetMetric) -> Option<LedgerMetric> {
    let held = |figure: &'static str, keys: &'static [&'static str]| LedgerMetric {
        figure: Figure::flow(figure),
        keys,
        without_city: false,
    };
    match metric {
        TargetMetric::CountyScienceMuseums => Some(LedgerMetric {
            figure: Figure::stock(SCIENCE_MUSEUMS),
            keys: &[],
            without_city: true,
        }),
        TargetMetric::VolunteerServices => Some(held(ACTIVITIES_BY_KIND, &["VOLUNTEER_SERVICE"])),
        TargetMetric::AcademicianReports => Some(held(ACTIVITIES_BY_KIND, &["ACADEMICIAN_REPORT"])),
        TargetMetric::ScienceDayEvents => Some(held(ACTIVITIES_BY_KIND, &["SCIENCE_DAY"])),
        TargetMetric::RuralPopularizationEvents => Some(held(ACTIVITIES_BY_AUDIENCE, &["FARMERS"])),
        TargetMetric::ElderlyLectures => Some(held(ELDERLY_LECTURES, &[])),
        TargetMetric::SafetyPopularizationEvents => Some(held(SAFETY_ACTIVITIES, &[])),
        _ => None,
    }
}

impl LedgerFigures for PopularizationFigures {
    const FIGURES: &'static [Figure] = &[
        Figure::stock(VENUES_BY_STATUS),
        Figure::stock(OPEN_VENUES_BY_KIND),
        Figure::flow(ACTIVITIES_BY_KIND),
        Figure::flow(PARTICIPANTS_BY_KIND),
        Figure::flow(ONLINE_REACH),
        Figure::flow(ACTIVITIES_BY_AUDIENCE),
        Figure::flow(PARTICIPANTS_BY_AUDIENCE),
        Figure::flow(ACTIVITIES_BY_TOPIC),
    ];

    fn figures_of_field(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "venues" | "venuesByStatus" => &[VENUES_BY_STATUS],
            "openVenues" | "openVenuesByKind" => &[OPEN_VENUES_BY_KIND],
            "activities" => &[ACTIVITIES_BY_KIND],
            "participants" => &[PARTICIPANTS_BY_KIND],
            "onlineReach" => &[ONLINE_REACH],
            "activitiesByKind" => &[ACTIVITIES_BY_KIND, PARTICIPANTS_BY_KIND],
            "activitiesByAudience" => &[ACTIVITIES_BY_AUDIENCE, PARTICIPANTS_BY_AUDIENCE],
            "activitiesByTopic" => &[ACTIVITIES_BY_TOPIC],
            _ => return None,
        })
    }

    fn from_tally(tally: &Tally, _period: Period) -> Self {
        PopularizationFigures {
            venues: tally.total(VENUES_BY_STATUS),
            venues_by_status: tally.breakdown(VENUES_BY_STATUS, |status, count| VenueStatusCount {
                status,
                count,
            }),
            open_venues: tally.total(OPEN_VENUES_BY_KIND),
            open_venues_by_kind: tally.breakdown(OPEN_VENUES_BY_KIND, |kind, count| {
                VenueKindCount { kind, count }
            }),
            activities: tally.total(ACTIVITIES_BY_KIND),
            participants: tally.total(PARTICIPANTS_BY_KIND),
            online_reach: tally.total(ONLINE_REACH),
            activities_by_kind: tally.breakdown(ACTIVITIES_BY_KIND, |kind: ActivityKind, count| {
                ActivityKindCount {
                    kind,
                    count,
                    participants: tally.value(PARTICIPANTS_BY_KIND, kind.as_str()),
                }
            }),
            activities_by_audience: tally.breakdown(
                ACTIVITIES_BY_AUDIENCE,
                |audience: Audience, count| AudienceCount {
                    audience,
                    count,
                    participants: tally.value(PARTICIPANTS_BY_AUDIENCE, audience.as_str()),
                },
            ),
            activities_by_topic: tally.breakdown(ACTIVITIES_BY_TOPIC, |topic, count| TopicCount {
                topic,
                count,
            }),
        }
    }
}

/// `Unit.popularizationFiguresByChild`: every active direct child, ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit_id: Uuid,
    kinds: Option<Vec<UnitKind>>,
    period: PeriodInput,
    order_by: PopularizationFigure,
    descending: bool,
) -> ApiResult<Vec<ChildPopularizationFigures>> {
    let period = prepare_subtree_read(ctx, unit_id, &period).await?;
    let ranked = ranked_children::<PopularizationFigures>(
        pool(ctx)?,
        unit_id,
        kinds.as_deref(),
        period,
        descending,
        |tally| tally.sum_of(order_by.ledger_figure()),
    )
    .await?;
    Ok(ranked
        .into_iter()
        .map(|(rank, unit_id, figures)| ChildPopularizationFigures {
            rank,
            unit_id,
            figures,
        })
        .collect())
}

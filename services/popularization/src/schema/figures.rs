//! Popularization figures: what leadership reads over a unit's whole subtree for a period
//! (科普阵地 and 科普活动), and the same per direct child to compare units side by side.

use std::collections::HashMap;

use async_graphql::{Context, Enum, EnumType, Object, SimpleObject};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::{count, ranked_children, CountedFigures, Scope};
use kexie_subgraph_kit::rollup::{rollup, Period, PeriodInput};
use kexie_subgraph_kit::ApiResult;

use super::entities::Unit;
use crate::db;
use crate::db::figures::FigureCount;
use crate::domain::{ActivityKind, Audience, VenueKind, VenueStatus};

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

impl PopularizationFigure {
    fn of(self, figures: &Totals) -> i64 {
        match self {
            PopularizationFigure::Venues => figures.venues,
            PopularizationFigure::OpenVenues => figures.open_venues,
            PopularizationFigure::Activities => figures.activities,
            PopularizationFigure::Participants => figures.participants,
            PopularizationFigure::OnlineReach => figures.online_reach,
        }
    }
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

/// One bucket's totals at full width, for ranking (GraphQL's `Int` may clip them).
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    venues: i64,
    open_venues: i64,
    activities: i64,
    participants: i64,
    online_reach: i64,
}

/// Count and participants per enum value (the SQL text) of one figure.
type Counts<'a> = HashMap<&'a str, (i64, i64)>;

/// Every value of `T` with its count and participants, zeros included, in enum order.
fn breakdown<T: EnumType, C>(counts: &Counts<'_>, make: impl Fn(T, i32, i32) -> C) -> Vec<C> {
    T::items()
        .iter()
        .map(|item| {
            let (number, participants) = counts.get(item.name).copied().unwrap_or((0, 0));
            make(item.value, count(number), count(participants))
        })
        .collect()
}

/// Folds one bucket's rows into its figures.
fn figures_of(rows: &[&FigureCount]) -> (Totals, PopularizationFigures) {
    let mut by_figure: HashMap<&str, Counts<'_>> = HashMap::new();
    let mut totals = Totals::default();
    for row in rows {
        let entry = by_figure
            .entry(row.figure.as_str())
            .or_default()
            .entry(row.key.as_str())
            .or_default();
        entry.0 += row.count;
        entry.1 += row.participants;
        match row.figure.as_str() {
            db::figures::VENUES_BY_STATUS => {
                totals.venues += row.count;
                if row.key == VenueStatus::Open.as_str() {
                    totals.open_venues += row.count;
                }
            }
            db::figures::ACTIVITIES_BY_KIND => {
                totals.activities += row.count;
                totals.participants += row.participants;
                totals.online_reach += row.online_reach;
            }
            _ => {}
        }
    }
    let empty = Counts::new();
    let counts = |figure: &str| by_figure.get(figure).unwrap_or(&empty);
    let figures = PopularizationFigures {
        venues: count(totals.venues),
        venues_by_status: breakdown(counts(db::figures::VENUES_BY_STATUS), |status, count, _| {
            VenueStatusCount { status, count }
        }),
        open_venues: count(totals.open_venues),
        open_venues_by_kind: breakdown(
            counts(db::figures::OPEN_VENUES_BY_KIND),
            |kind, count, _| VenueKindCount { kind, count },
        ),
        activities: count(totals.activities),
        participants: count(totals.participants),
        online_reach: count(totals.online_reach),
        activities_by_kind: breakdown(
            counts(db::figures::ACTIVITIES_BY_KIND),
            |kind, count, participants| ActivityKindCount {
                kind,
                count,
                participants,
            },
        ),
        activities_by_audience: breakdown(
            counts(db::figures::ACTIVITIES_BY_AUDIENCE),
            |audience, count, participants| AudienceCount {
                audience,
                count,
                participants,
            },
        ),
    };
    (totals, figures)
}

impl CountedFigures for PopularizationFigures {
    type Row = FigureCount;
    type Totals = Totals;

    async fn count(pool: &PgPool, scope: &Scope, period: Period) -> sqlx::Result<Vec<FigureCount>> {
        db::figures::popularization_figures(pool, scope, period).await
    }

    fn bucket(row: &FigureCount) -> Uuid {
        row.bucket
    }

    fn fold(rows: &[&FigureCount]) -> (Totals, Self) {
        figures_of(rows)
    }
}

/// `Unit.popularizationFiguresByChild`: every active direct child, ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit_id: Uuid,
    period: PeriodInput,
    order_by: PopularizationFigure,
    descending: bool,
) -> ApiResult<Vec<ChildPopularizationFigures>> {
    let ranked =
        ranked_children::<PopularizationFigures>(ctx, unit_id, &period, descending, |totals| {
            order_by.of(totals)
        })
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

//! Organization figures: what leadership reads over a unit's whole subtree for a period, and
//! the same per direct child to compare units side by side.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::NaiveDate;
use uuid::Uuid;

use kexie_subgraph_kit::figures::{
    china_today, of_subtree, ranked_children, series_of_children, series_of_unit,
    ChildFiguresSeries, FiguresPoint, LedgerFigures, SeriesInput,
};
use kexie_subgraph_kit::ledger::{Figure, Measure, Tally};
use kexie_subgraph_kit::rollup::{rollup, Period, PeriodInput};
use kexie_subgraph_kit::schema::pool;
use kexie_subgraph_kit::target::{LedgerMetric, TargetMetric};
use kexie_subgraph_kit::ApiResult;

use super::units::unit_of;
use crate::db::units::UnitRow;
use crate::domain::{MediaLevel, PartyBuildingKind, UnitKind};
use crate::policy::require_read_subtree;

/// The organization figures of a unit's subtree (the unit itself included) for a period.
/// Units count in the subtree where they hang now; merged units hang under the unit they
/// merged into.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(directive = rollup::apply())]
pub struct OrganizationFigures {
    /// Units active on the period's last day: founded by then (founding date, else the day
    /// recorded) and not merged or dissolved by then.
    pub units: i32,
    /// `units` by kind: every kind, in the order of `UnitKind`, zeros included.
    pub units_by_kind: Vec<UnitKindCount>,
    /// Units founded within the period (founding date, else the day recorded), whatever
    /// their status since.
    pub new_units: i32,
    /// Units active on `overdueOn` whose latest term begun by that day had ended before it
    /// (换届 overdue). Units without any term are not counted.
    pub terms_overdue: i32,
    /// The day terms are judged on: the period's last day, or today (UTC+8) when that is
    /// still to come.
    pub overdue_on: NaiveDate,
    /// Party-building activities (学会党建) held within the period.
    pub party_building_activities: i32,
    /// `partyBuildingActivities` by kind: every kind, in the order of `PartyBuildingKind`,
    /// zeros included.
    pub party_building_activities_by_kind: Vec<PartyBuildingKindCount>,
    /// People who took part in `partyBuildingActivities` (人次).
    pub party_building_participants: i32,
    /// Media reports (宣传报道) published within the period.
    pub media_reports: i32,
    /// `mediaReports` by the outlet's level: every level, in the order of `MediaLevel`,
    /// zeros included.
    pub media_reports_by_level: Vec<MediaLevelCount>,
}

/// How many party-building activities of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct PartyBuildingKindCount {
    pub kind: PartyBuildingKind,
    pub count: i32,
}

/// How many media reports at one level.
#[derive(SimpleObject, Clone, Debug)]
pub struct MediaLevelCount {
    pub level: MediaLevel,
    pub count: i32,
}

/// How many units of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct UnitKindCount {
    pub kind: UnitKind,
    pub count: i32,
}

/// A scalar figure of `OrganizationFigures` to rank children by.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum OrganizationFigure {
    Units,
    NewUnits,
    TermsOverdue,
    PartyBuildingActivities,
    MediaReports,
}

impl OrganizationFigure {
    /// The ledger figure a child is ranked by.
    fn ledger_figure(self) -> &'static str {
        match self {
            OrganizationFigure::Units => UNITS_BY_KIND,
            OrganizationFigure::NewUnits => NEW_UNITS,
            OrganizationFigure::TermsOverdue => TERMS_OVERDUE,
            OrganizationFigure::PartyBuildingActivities => PARTY_BUILDING_BY_KIND,
            OrganizationFigure::MediaReports => MEDIA_REPORTS_BY_LEVEL,
        }
    }
}

/// One direct child of a unit with the figures of its subtree and its place among its
/// siblings.
#[derive(Clone, Debug)]
pub struct ChildOrganizationFigures {
    rank: i32,
    unit_id: Uuid,
    figures: OrganizationFigures,
}

#[Object(directive = rollup::apply())]
impl ChildOrganizationFigures {
    /// 1 for the first; children with equal values share a rank and the next rank skips
    /// (1, 2, 2, 4).
    async fn rank(&self) -> i32 {
        self.rank
    }
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<UnitRow> {
        unit_of(ctx, self.unit_id).await
    }
    async fn figures(&self) -> &OrganizationFigures {
        &self.figures
    }
}

// The ledger figures (see the organizations figures migration).
const UNITS_BY_KIND: &str = "UNITS_BY_KIND";
const NEW_UNITS: &str = "NEW_UNITS";
const TERMS_OVERDUE: &str = "TERMS_OVERDUE";
const PARTY_BUILDING_BY_KIND: &str = "PARTY_BUILDING_BY_KIND";
const PARTY_BUILDING_PARTICIPANTS: &str = "PARTY_BUILDING_PARTICIPANTS";
const MEDIA_REPORTS_BY_LEVEL: &str = "MEDIA_REPORTS_BY_LEVEL";

const EXEMPLARY_UNITS: &str = "EXEMPLARY_UNITS";

/// The actual figures of the targets whose metrics organizations measures (the others are left
/// out), from the figure ledger: what `Target` answers, and what the demo seeder sizes
/// targets by.
pub async fn target_actuals(
    pool: &sqlx::PgPool,
    keys: &[kexie_subgraph_kit::target::TargetKey],
) -> sqlx::Result<std::collections::HashMap<kexie_subgraph_kit::target::TargetKey, i64>> {
    kexie_subgraph_kit::target::actuals_from_ledger(pool, "unit", keys, ledger_metric).await
}

/// How organizations' target metrics read the ledger (see `TargetMetric`).
pub(crate) fn ledger_metric(metric: TargetMetric) -> Option<LedgerMetric> {
    match metric {
        TargetMetric::NewEnterpriseAssociations => Some(LedgerMetric {
            figure: Figure::flow(NEW_UNITS),
            keys: &["ENTERPRISE"],
            without_city: false,
        }),
        TargetMetric::ExemplaryGrassrootsAssociations => Some(LedgerMetric {
            figure: Figure::flow(EXEMPLARY_UNITS),
            keys: &[],
            without_city: false,
        }),
        TargetMetric::PartyBuildingEvents => Some(LedgerMetric {
            figure: Figure::flow(PARTY_BUILDING_BY_KIND),
            keys: &["LECTURE", "TRAINING"],
            without_city: false,
        }),
        TargetMetric::MainstreamMediaReports => Some(LedgerMetric {
            figure: Figure::flow(MEDIA_REPORTS_BY_LEVEL),
            keys: &["CENTRAL", "PROVINCIAL"],
            without_city: false,
        }),
        _ => None,
    }
}

impl LedgerFigures for OrganizationFigures {
    const TREE: &'static str = "unit";
    const FIGURES: &'static [Figure] = &[
        Figure::stock(UNITS_BY_KIND),
        Figure::flow(NEW_UNITS),
        Figure {
            name: TERMS_OVERDUE,
            measure: Measure::StockToDate,
        },
        Figure::flow(PARTY_BUILDING_BY_KIND),
        Figure::flow(PARTY_BUILDING_PARTICIPANTS),
        Figure::flow(MEDIA_REPORTS_BY_LEVEL),
    ];

    fn from_tally(tally: &Tally, period: Period) -> Self {
        OrganizationFigures {
            units: tally.total(UNITS_BY_KIND),
            units_by_kind: tally
                .breakdown(UNITS_BY_KIND, |kind, count| UnitKindCount { kind, count }),
            new_units: tally.total(NEW_UNITS),
            terms_overdue: tally.total(TERMS_OVERDUE),
            // The day terms are judged on.
            overdue_on: period.to.min(china_today()),
            party_building_activities: tally.total(PARTY_BUILDING_BY_KIND),
            party_building_activities_by_kind: tally
                .breakdown(PARTY_BUILDING_BY_KIND, |kind, count| {
                    PartyBuildingKindCount { kind, count }
                }),
            party_building_participants: tally.total(PARTY_BUILDING_PARTICIPANTS),
            media_reports: tally.total(MEDIA_REPORTS_BY_LEVEL),
            media_reports_by_level: tally.breakdown(MEDIA_REPORTS_BY_LEVEL, |level, count| {
                MediaLevelCount { level, count }
            }),
        }
    }
}

/// `Unit.organizationFigures`.
pub async fn of_unit(
    ctx: &Context<'_>,
    unit: &UnitRow,
    period: PeriodInput,
) -> ApiResult<OrganizationFigures> {
    require_read_subtree(ctx, unit)?;
    let period = period.parse()?;
    of_subtree(ctx, unit.unit_id, period).await
}

/// `Unit.organizationFiguresByChild`: every active direct child (of one of `kinds`, when
/// given), ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit: &UnitRow,
    kinds: Option<Vec<UnitKind>>,
    period: PeriodInput,
    order_by: OrganizationFigure,
    descending: bool,
) -> ApiResult<Vec<ChildOrganizationFigures>> {
    require_read_subtree(ctx, unit)?;
    let period = period.parse()?;
    let ranked = ranked_children::<OrganizationFigures>(
        pool(ctx)?,
        unit.unit_id,
        kinds.as_deref(),
        period,
        descending,
        |tally| tally.sum_of(order_by.ledger_figure()),
    )
    .await?;
    Ok(ranked
        .into_iter()
        .map(|(rank, unit_id, figures)| ChildOrganizationFigures {
            rank,
            unit_id,
            figures,
        })
        .collect())
}

/// `Unit.organizationFiguresSeries`.
pub async fn series(
    ctx: &Context<'_>,
    unit: &UnitRow,
    series: SeriesInput,
) -> ApiResult<Vec<FiguresPoint<OrganizationFigures>>> {
    let points = series.points()?;
    require_read_subtree(ctx, unit)?;
    series_of_unit(
        pool(ctx)?,
        unit.unit_id,
        &points,
        OrganizationFigures::FIGURES,
    )
    .await
}

/// `Unit.organizationFiguresSeriesByChild`.
pub async fn series_by_child(
    ctx: &Context<'_>,
    unit: &UnitRow,
    series: SeriesInput,
    kinds: Option<Vec<UnitKind>>,
) -> ApiResult<Vec<ChildFiguresSeries<OrganizationFigures, UnitRow>>> {
    let points = series.points()?;
    require_read_subtree(ctx, unit)?;
    let mut children = Vec::new();
    for (child, points) in series_of_children(
        pool(ctx)?,
        unit.unit_id,
        kinds.as_deref(),
        &points,
        OrganizationFigures::FIGURES,
    )
    .await?
    {
        children.push(ChildFiguresSeries {
            unit: unit_of(ctx, child).await?,
            points,
        });
    }
    Ok(children)
}

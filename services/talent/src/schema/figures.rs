//! Talent figures: what leadership reads over a unit's whole subtree for a period, and the
//! same per direct child to compare units side by side.

use async_graphql::{Context, Enum, Object, SimpleObject};
use uuid::Uuid;

use kexie_subgraph_kit::figures::{prepare_subtree_read, ranked_children, LedgerFigures};
use kexie_subgraph_kit::ledger::{Figure, Tally};
use kexie_subgraph_kit::rollup::{rollup, Period, PeriodInput};
use kexie_subgraph_kit::target::{LedgerMetric, TargetMetric};
use kexie_subgraph_kit::unit_tree::UnitKind;
use kexie_subgraph_kit::ApiResult;

use super::entities::Unit;
use crate::domain::{CertificationLevel, HonorLevel, NominationStatus, WorkstationKind};
use kexie_subgraph_kit::schema::pool;

/// The talent figures of a unit's subtree (the unit itself included) for a period, in the
/// tree as it stands now (merged units hang under the unit they merged into). Days are
/// local days (UTC+8).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(directive = rollup::apply())]
pub struct TalentFigures {
    /// S&T workers at home in the subtree on the period's last day: registered by then and
    /// not archived by then.
    pub workers: i32,
    /// Of `workers`, those flagged as volunteers (科技志愿者); flags as they are now.
    pub volunteers: i32,
    /// Of `workers`, those flagged as rural experts (田秀才/土专家); flags as they are now.
    pub rural_experts: i32,
    /// Honors of the workers at home in the subtree that fall within the period. An honor
    /// carries only its year: it falls on the day it was recorded when that lies in its year
    /// (an award through a nomination, an entry made at the time), else on the last day of
    /// its year (entered later), so the quarters of a year add up to the year. Archived
    /// honors (entry mistakes) never count.
    pub honors: i32,
    /// `honors` by level: every level, in the order of `HonorLevel`, zeros included.
    pub honors_by_level: Vec<HonorLevelCount>,
    /// Nominations (举荐) made within the period by units of the subtree (the day each was
    /// put forward), not archived.
    pub nominations: i32,
    /// `nominations` by their present status: every status, in the order of
    /// `NominationStatus`, zeros included.
    pub nominations_by_status: Vec<NominationStatusCount>,
    /// Workstations hosted in the subtree working on the period's last day: founded by
    /// then (founding date, else the day recorded), not archived, and not closed by then
    /// (suspended ones count).
    pub workstations: i32,
    /// `workstations` by kind: every kind, in the order of `WorkstationKind`, zeros included.
    pub workstations_by_kind: Vec<WorkstationKindCount>,
    /// `workstations` by their present certification: every level, in the order of
    /// `CertificationLevel`, zeros included.
    pub workstations_by_certification: Vec<CertificationLevelCount>,
}

/// How many honors of one level.
#[derive(SimpleObject, Clone, Debug)]
pub struct HonorLevelCount {
    pub level: HonorLevel,
    pub count: i32,
}

/// How many nominations in one status.
#[derive(SimpleObject, Clone, Debug)]
pub struct NominationStatusCount {
    pub status: NominationStatus,
    pub count: i32,
}

/// How many workstations of one kind.
#[derive(SimpleObject, Clone, Debug)]
pub struct WorkstationKindCount {
    pub kind: WorkstationKind,
    pub count: i32,
}

/// How many workstations at one certification level.
#[derive(SimpleObject, Clone, Debug)]
pub struct CertificationLevelCount {
    pub certification: CertificationLevel,
    pub count: i32,
}

/// A scalar figure of `TalentFigures` to rank children by.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum TalentFigure {
    Workers,
    Volunteers,
    RuralExperts,
    Honors,
    Nominations,
    Workstations,
}

/// One direct child of a unit with the figures of its subtree and its place among its
/// siblings.
#[derive(Clone, Debug)]
pub struct ChildTalentFigures {
    rank: i32,
    unit_id: Uuid,
    figures: TalentFigures,
}

#[Object(directive = rollup::apply())]
impl ChildTalentFigures {
    /// 1 for the first; children with equal values share a rank and the next rank skips
    /// (1, 2, 2, 4).
    async fn rank(&self) -> i32 {
        self.rank
    }
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    async fn figures(&self) -> &TalentFigures {
        &self.figures
    }
}

impl TalentFigure {
    /// The ledger figure a child is ranked by.
    fn ledger_figure(self) -> &'static str {
        match self {
            TalentFigure::Workers => WORKERS,
            TalentFigure::Volunteers => VOLUNTEERS,
            TalentFigure::RuralExperts => RURAL_EXPERTS,
            TalentFigure::Honors => HONORS_BY_LEVEL,
            TalentFigure::Nominations => NOMINATIONS_BY_STATUS,
            TalentFigure::Workstations => WORKSTATIONS_BY_KIND,
        }
    }
}

// The ledger figures (see the talent figures migration).
const WORKERS: &str = "WORKERS";
const VOLUNTEERS: &str = "VOLUNTEERS";
const RURAL_EXPERTS: &str = "RURAL_EXPERTS";
const HONORS_BY_LEVEL: &str = "HONORS_BY_LEVEL";
const NOMINATIONS_BY_STATUS: &str = "NOMINATIONS_BY_STATUS";
const WORKSTATIONS_BY_KIND: &str = "WORKSTATIONS_BY_KIND";
const WORKSTATIONS_BY_CERTIFICATION: &str = "WORKSTATIONS_BY_CERTIFICATION";

/// The actual figures of the targets whose metrics talent measures (the others are left
/// out), from the figure ledger: what `Target` answers, and what the demo seeder sizes
/// targets by.
pub async fn target_actuals(
    pool: &sqlx::PgPool,
    keys: &[kexie_subgraph_kit::target::TargetKey],
) -> sqlx::Result<std::collections::HashMap<kexie_subgraph_kit::target::TargetKey, i64>> {
    kexie_subgraph_kit::target::actuals_from_ledger(pool, "unit_replica", keys, ledger_metric).await
}

/// How talent's target metric reads the ledger (see `TargetMetric`).
pub(crate) fn ledger_metric(metric: TargetMetric) -> Option<LedgerMetric> {
    match metric {
        TargetMetric::CertifiedWorkstations => Some(LedgerMetric {
            figure: Figure::stock(WORKSTATIONS_BY_CERTIFICATION),
            keys: &["PROVINCIAL", "NATIONAL"],
            without_city: false,
        }),
        _ => None,
    }
}

impl LedgerFigures for TalentFigures {
    const FIGURES: &'static [Figure] = &[
        Figure::stock(WORKERS),
        Figure::stock(VOLUNTEERS),
        Figure::stock(RURAL_EXPERTS),
        Figure::flow(HONORS_BY_LEVEL),
        Figure::flow(NOMINATIONS_BY_STATUS),
        Figure::stock(WORKSTATIONS_BY_KIND),
        Figure::stock(WORKSTATIONS_BY_CERTIFICATION),
    ];

    fn figures_of_field(field: &str) -> Option<&'static [&'static str]> {
        Some(match field {
            "workers" => &[WORKERS],
            "volunteers" => &[VOLUNTEERS],
            "ruralExperts" => &[RURAL_EXPERTS],
            "honors" | "honorsByLevel" => &[HONORS_BY_LEVEL],
            "nominations" | "nominationsByStatus" => &[NOMINATIONS_BY_STATUS],
            "workstations" | "workstationsByKind" => &[WORKSTATIONS_BY_KIND],
            "workstationsByCertification" => &[WORKSTATIONS_BY_CERTIFICATION],
            _ => return None,
        })
    }

    fn from_tally(tally: &Tally, _period: Period) -> Self {
        TalentFigures {
            workers: tally.total(WORKERS),
            volunteers: tally.total(VOLUNTEERS),
            rural_experts: tally.total(RURAL_EXPERTS),
            honors: tally.total(HONORS_BY_LEVEL),
            honors_by_level: tally.breakdown(HONORS_BY_LEVEL, |level, count| HonorLevelCount {
                level,
                count,
            }),
            nominations: tally.total(NOMINATIONS_BY_STATUS),
            nominations_by_status: tally.breakdown(NOMINATIONS_BY_STATUS, |status, count| {
                NominationStatusCount { status, count }
            }),
            workstations: tally.total(WORKSTATIONS_BY_KIND),
            workstations_by_kind: tally.breakdown(WORKSTATIONS_BY_KIND, |kind, count| {
                WorkstationKindCount { kind, count }
            }),
            workstations_by_certification: tally.breakdown(
                WORKSTATIONS_BY_CERTIFICATION,
                |certification, count| CertificationLevelCount {
                    certification,
                    count,
                },
            ),
        }
    }
}

/// `Unit.talentFiguresByChild`: every active direct child, ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit_id: Uuid,
    kinds: Option<Vec<UnitKind>>,
    period: PeriodInput,
    order_by: TalentFigure,
    descending: bool,
) -> ApiResult<Vec<ChildTalentFigures>> {
    let period = prepare_subtree_read(ctx, unit_id, &period).await?;
    let ranked = ranked_children::<TalentFigures>(
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
        .map(|(rank, unit_id, figures)| ChildTalentFigures {
            rank,
            unit_id,
            figures,
        })
        .collect())
}

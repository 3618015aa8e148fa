//! Talent figures: what leadership reads over a unit's whole subtree for a period, and the
//! same per direct child to compare units side by side.

use std::collections::HashMap;

use async_graphql::{Context, Enum, Object, SimpleObject};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::{
    breakdown, by_bucket, count, prepare_subtree_read, rank, SubtreeFigures,
};
use kexie_subgraph_kit::rollup::{rollup, Period, PeriodInput};
use kexie_subgraph_kit::ApiResult;

use super::entities::Unit;
use super::pool;
use crate::db;
use crate::db::figures::FigureCount;
use crate::domain::{CertificationLevel, HonorLevel, NominationStatus, WorkstationKind};

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

impl TalentFigure {
    fn of(self, figures: &TalentFigures) -> i64 {
        i64::from(match self {
            TalentFigure::Workers => figures.workers,
            TalentFigure::Volunteers => figures.volunteers,
            TalentFigure::RuralExperts => figures.rural_experts,
            TalentFigure::Honors => figures.honors,
            TalentFigure::Nominations => figures.nominations,
            TalentFigure::Workstations => figures.workstations,
        })
    }
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

/// Folds one bucket's counts into its figures.
fn figures_of(rows: &[&FigureCount]) -> TalentFigures {
    let mut by_figure: HashMap<&str, HashMap<&str, i64>> = HashMap::new();
    for row in rows {
        if let (Some(figure), Some(key), Some(count)) = (&row.figure, &row.key, row.count) {
            *by_figure
                .entry(figure.as_str())
                .or_default()
                .entry(key.as_str())
                .or_default() += count;
        }
    }
    let empty = HashMap::new();
    let counts = |figure: &str| by_figure.get(figure).unwrap_or(&empty);
    let total = |figure: &str| count(counts(figure).values().sum());
    TalentFigures {
        workers: total(db::figures::WORKERS),
        volunteers: total(db::figures::VOLUNTEERS),
        rural_experts: total(db::figures::RURAL_EXPERTS),
        honors: total(db::figures::HONORS_BY_LEVEL),
        honors_by_level: breakdown(counts(db::figures::HONORS_BY_LEVEL), |level, count| {
            HonorLevelCount { level, count }
        }),
        nominations: total(db::figures::NOMINATIONS_BY_STATUS),
        nominations_by_status: breakdown(
            counts(db::figures::NOMINATIONS_BY_STATUS),
            |status, count| NominationStatusCount { status, count },
        ),
        workstations: total(db::figures::WORKSTATIONS_BY_KIND),
        workstations_by_kind: breakdown(
            counts(db::figures::WORKSTATIONS_BY_KIND),
            |kind, count| WorkstationKindCount { kind, count },
        ),
        workstations_by_certification: breakdown(
            counts(db::figures::WORKSTATIONS_BY_CERTIFICATION),
            |certification, count| CertificationLevelCount {
                certification,
                count,
            },
        ),
    }
}

impl SubtreeFigures for TalentFigures {
    /// One statement over the subtrees of all `unit_ids` (see
    /// [`db::figures::talent_figures_of_subtrees`]).
    async fn of_subtrees(
        pool: &PgPool,
        unit_ids: &[Uuid],
        period: Period,
    ) -> sqlx::Result<HashMap<Uuid, Self>> {
        let rows = db::figures::talent_figures_of_subtrees(pool, unit_ids, period).await?;
        Ok(by_bucket(&rows, |row| row.bucket)
            .into_iter()
            .map(|(unit_id, rows)| (unit_id, figures_of(&rows)))
            .collect())
    }
}

/// `Unit.talentFiguresByChild`: every active direct child, ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit_id: Uuid,
    period: PeriodInput,
    order_by: TalentFigure,
    descending: bool,
) -> ApiResult<Vec<ChildTalentFigures>> {
    let period = prepare_subtree_read(ctx, unit_id, &period).await?;
    let rows = db::figures::talent_figures(pool(ctx)?, unit_id, true, period).await?;
    let mut buckets: HashMap<Uuid, (&str, Vec<&FigureCount>)> = HashMap::new();
    for row in &rows {
        buckets
            .entry(row.bucket)
            .or_insert_with(|| (row.bucket_name.as_str(), Vec::new()))
            .1
            .push(row);
    }
    let children: Vec<(Uuid, &str, TalentFigures)> = buckets
        .into_iter()
        .map(|(unit_id, (name, rows))| (unit_id, name, figures_of(&rows)))
        .collect();
    Ok(rank(
        children,
        descending,
        |(_, _, figures)| order_by.of(figures),
        |(_, name, _)| name,
    )
    .into_iter()
    .map(|(rank, (unit_id, _, figures))| ChildTalentFigures {
        rank,
        unit_id,
        figures,
    })
    .collect())
}

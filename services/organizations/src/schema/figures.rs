//! Organization figures: what leadership reads over a unit's whole subtree for a period, and
//! the same per direct child to compare units side by side.

use std::collections::HashMap;

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::{
    by_bucket, china_today, count, every, of_subtree, rank, SubtreeFigures,
};
use kexie_subgraph_kit::rollup::{rollup, Period, PeriodInput};
use kexie_subgraph_kit::ApiResult;

use super::pool;
use super::units::unit_of;
use crate::db;
use crate::db::figures::KindCounts;
use crate::db::units::UnitRow;
use crate::domain::UnitKind;
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
}

impl OrganizationFigure {
    fn of(self, figures: &OrganizationFigures) -> i64 {
        i64::from(match self {
            OrganizationFigure::Units => figures.units,
            OrganizationFigure::NewUnits => figures.new_units,
            OrganizationFigure::TermsOverdue => figures.terms_overdue,
        })
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

/// The day terms are judged on for `period`.
fn overdue_on(period: Period) -> NaiveDate {
    period.to.min(china_today())
}

/// Folds one bucket's rows (one per kind) into its figures.
fn figures_of(rows: &[&KindCounts], overdue_on: NaiveDate) -> OrganizationFigures {
    let mut by_kind: HashMap<UnitKind, i64> = HashMap::new();
    let (mut new_units, mut terms_overdue) = (0, 0);
    for row in rows {
        if let Some(kind) = row.kind {
            *by_kind.entry(kind).or_default() += row.active;
        }
        new_units += row.founded;
        terms_overdue += row.overdue;
    }
    let units_by_kind: Vec<UnitKindCount> = every::<UnitKind>()
        .map(|kind| UnitKindCount {
            kind,
            count: count(by_kind.get(&kind).copied().unwrap_or(0)),
        })
        .collect();
    OrganizationFigures {
        units: count(by_kind.values().sum()),
        units_by_kind,
        new_units: count(new_units),
        terms_overdue: count(terms_overdue),
        overdue_on,
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

impl SubtreeFigures for OrganizationFigures {
    /// One statement over the subtrees of all `unit_ids` (see
    /// [`db::figures::organization_figures_of_subtrees`]).
    async fn of_subtrees(
        pool: &PgPool,
        unit_ids: &[Uuid],
        period: Period,
    ) -> sqlx::Result<HashMap<Uuid, Self>> {
        let overdue_on = overdue_on(period);
        let rows =
            db::figures::organization_figures_of_subtrees(pool, unit_ids, period, overdue_on)
                .await?;
        Ok(by_bucket(&rows, |row| row.bucket)
            .into_iter()
            .map(|(unit_id, rows)| (unit_id, figures_of(&rows, overdue_on)))
            .collect())
    }
}

/// `Unit.organizationFiguresByChild`: every active direct child, ranked.
pub async fn by_child(
    ctx: &Context<'_>,
    unit: &UnitRow,
    period: PeriodInput,
    order_by: OrganizationFigure,
    descending: bool,
) -> ApiResult<Vec<ChildOrganizationFigures>> {
    require_read_subtree(ctx, unit)?;
    let period = period.parse()?;
    let overdue_on = overdue_on(period);
    let rows =
        db::figures::organization_figures(pool(ctx)?, unit.unit_id, true, period, overdue_on)
            .await?;
    let mut buckets: HashMap<Uuid, (&str, Vec<&KindCounts>)> = HashMap::new();
    for row in &rows {
        buckets
            .entry(row.bucket)
            .or_insert_with(|| (row.bucket_name.as_str(), Vec::new()))
            .1
            .push(row);
    }
    let children: Vec<(Uuid, &str, OrganizationFigures)> = buckets
        .into_iter()
        .map(|(unit_id, (name, rows))| (unit_id, name, figures_of(&rows, overdue_on)))
        .collect();
    Ok(rank(
        children,
        descending,
        |(_, _, figures)| order_by.of(figures),
        |(_, name, _)| name,
    )
    .into_iter()
    .map(|(rank, (unit_id, _, figures))| ChildOrganizationFigures {
        rank,
        unit_id,
        figures,
    })
    .collect())
}

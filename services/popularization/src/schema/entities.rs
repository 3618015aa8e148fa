//! The entities other subgraphs own, as this one extends them: `Unit` (organizations) with
//! each unit's venues and activities, and `Target` (organizations) with the actual figures
//! popularization measures.

use std::collections::HashMap;

use async_graphql::{Context, Object, ID};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::page::{per_unit_page, refuse_sync_below, PageArgs, RecordPage};
use kexie_subgraph_kit::{ApiError, ApiResult};

use kexie_subgraph_kit::figures::{ChildFiguresSeries, FiguresPoint, SeriesInput};
use kexie_subgraph_kit::rollup::PeriodInput;
use kexie_subgraph_kit::target::{Actual, MeasuredActual, MeasuredBy, TargetKey};
use kexie_subgraph_kit::unit_tree::UnitKind;

use super::activities::ActivityFilterInput;
use super::figures::{
    self, ChildPopularizationFigures, PopularizationFigure, PopularizationFigures,
};
use super::venues::VenueFilterInput;
use super::{ActivitiesOfUnit, VenuesOfUnit};
use crate::db::activities::ActivityRow;
use crate::db::venues::VenueRow;

/// A unit of the association tree (市/区县/乡镇科协 and base organizations). Its name and
/// place in the tree come from organizations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    pub id: Uuid,
}

/// A per-unit list's filter names its unit already: `filter.unitId` may only repeat it,
/// and `filter.includeSubtree` means the same as the field's `includeSubtree`.
fn own_unit(unit_id: Uuid, filter_unit: Option<Uuid>) -> ApiResult<()> {
    match filter_unit {
        Some(other) if other != unit_id => Err(ApiError::validation(
            "filter.unitId",
            kexie_subgraph_kit::text!(
                "a unit's own list is always that unit's; leave unitId out",
                "组织自身的列表总是该组织的，请省略 unitId"
            ),
        )),
        _ => Ok(()),
    }
}

#[Object]
impl Unit {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// 科普阵地 the unit owns, newest first; with `includeSubtree`, those of every unit
    /// below it too. What the request may see of them, as in `Query.venues`.
    #[allow(clippy::too_many_arguments)]
    async fn venues(
        &self,
        ctx: &Context<'_>,
        filter: Option<VenueFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<VenueRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        refuse_sync_below(filter.updated_since, "venues")?;
        let mut filter = filter.parse(ctx)?;
        own_unit(self.id, filter.unit_id)?;
        filter.unit_id = None;
        filter.include_subtree |= include_subtree.unwrap_or(false);
        per_unit_page::<VenuesOfUnit>(ctx, self.id, filter, page).await
    }

    /// 科普活动 the unit organized, newest first; with `includeSubtree`, those of every unit
    /// below it too. What the request may see of them, as in `Query.activities`.
    #[allow(clippy::too_many_arguments)]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ActivityRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        refuse_sync_below(filter.updated_since, "activities")?;
        let mut filter = filter.parse(ctx)?;
        own_unit(self.id, filter.unit_id)?;
        filter.unit_id = None;
        filter.include_subtree |= include_subtree.unwrap_or(false);
        per_unit_page::<ActivitiesOfUnit>(ctx, self.id, filter, page).await
    }

    /// Popularization figures of the unit's whole subtree (the unit included) for
    /// `period`. An unknown unit is `NOT_FOUND`. Only those who may read the unit's subtree
    /// see them (its staff and leadership, those of the units above it, the city's
    /// administrators): anyone else is refused with `FORBIDDEN`.
    async fn popularization_figures(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
    ) -> ApiResult<PopularizationFigures> {
        kexie_subgraph_kit::figures::of_unit(ctx, self.id, period).await
    }

    /// The popularization figures of each active direct child's subtree, ranked by
    /// `orderBy` (largest first unless `descending` is false); ties share a rank and are
    /// listed by name. The unit's own records and those of inactive children count only in
    /// the unit's own figures. Only those who may read the unit's subtree see them, as for
    /// `popularizationFigures`.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn popularization_figures_by_child(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
        order_by: PopularizationFigure,
        #[graphql(default = true)] descending: bool,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildPopularizationFigures>> {
        figures::by_child(ctx, self.id, kinds, period, order_by, descending).await
    }

    /// The popularization figures of the unit's whole subtree for each calendar month, quarter or
    /// year of a range, each beside the same period a year earlier (同比). Only those who
    /// may read the unit's subtree see them, as for `popularizationFigures`.
    #[graphql(directive = kexie_subgraph_kit::rollup::series::apply())]
    async fn popularization_figures_series(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
    ) -> ApiResult<Vec<FiguresPoint<PopularizationFigures>>> {
        kexie_subgraph_kit::figures::unit_series(ctx, self.id, series).await
    }

    /// The series of `popularizationFiguresSeries` for each active direct child's subtree, the
    /// children in name order.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn popularization_figures_series_by_child(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildFiguresSeries<PopularizationFigures, Unit>>> {
        kexie_subgraph_kit::figures::children_series(ctx, self.id, series, kinds).await
    }
}

impl From<Uuid> for Unit {
    fn from(id: Uuid) -> Self {
        Unit { id }
    }
}

/// `Target` (owned by organizations) as this subgraph extends it: the actual figure of the
/// metrics popularization measures, counted from its own records over the target unit's subtree
/// (`db::targets`). The rest of the extension is `kexie_subgraph_kit::target`.
pub struct PopularizationActual(Actual<PopularizationActual>);

#[Object]
impl PopularizationActual {
    /// The actual figure of a metric popularization measures (see `TargetMetric`) over the target
    /// unit's subtree in the target's year; null for the metrics other subgraphs measure.
    /// Only those who may read the target unit's subtree figures see it (its staff and
    /// leadership, those of the units above it, the city's administrators): anyone else is
    /// refused with `FORBIDDEN`.
    #[graphql(requires = "unitId year metric")]
    async fn popularization_actual(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        self.0.resolve(ctx).await
    }
}

impl MeasuredActual for PopularizationActual {
    const MEASURED_BY: MeasuredBy = MeasuredBy::Popularization;

    fn new(actual: Actual<Self>) -> Self {
        PopularizationActual(actual)
    }

    async fn count(pool: &PgPool, keys: &[TargetKey]) -> sqlx::Result<HashMap<TargetKey, i64>> {
        figures::target_actuals(pool, keys).await
    }
}

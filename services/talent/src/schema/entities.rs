//! The entities other subgraphs own, as this one extends them: `Unit` (organizations) with
//! the workers, honors, nominations and workstations of each unit, batched over a whole
//! `_entities` call, and `Target` (organizations) with the actual figure talent measures.

use std::collections::HashMap;

use async_graphql::{Context, Object, ID};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::page::{per_unit_page, PageArgs, RecordPage};
use kexie_subgraph_kit::ApiResult;

use kexie_subgraph_kit::figures::{ChildFiguresSeries, FiguresPoint, SeriesInput};
use kexie_subgraph_kit::rollup::PeriodInput;
use kexie_subgraph_kit::target::{Actual, MeasuredActual, MeasuredBy, TargetKey};
use kexie_subgraph_kit::unit_tree::UnitKind;

use super::figures::{self, ChildTalentFigures, TalentFigure, TalentFigures};
use super::honors::{HonorFilterInput, HonorsOfUnit};
use super::nominations::{NominationFilterInput, NominationsOfUnit};
use super::workers::{WorkerFilterInput, WorkersOfUnit};
use super::workstations::{WorkstationFilterInput, WorkstationsOfUnit};
use crate::db::honors::HonorRow;
use crate::db::nominations::NominationRow;
use crate::db::workers::WorkerRow;
use crate::db::workstations::WorkstationRow;
use crate::policy::{require_public_talent, require_staff};

/// A unit of the association tree (owned by organizations), with this subgraph's lists.
#[derive(Clone, Copy, Debug)]
pub struct Unit {
    pub id: Uuid,
}

#[Object]
impl Unit {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// S&T workers at home in the unit (with `includeSubtree`, in any unit below it too),
    /// newest first. Staff and partner keys with `talent:read-public` only.
    #[allow(clippy::too_many_arguments)]
    async fn workers(
        &self,
        ctx: &Context<'_>,
        filter: Option<WorkerFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<WorkerRow>> {
        require_public_talent(ctx, "Workers")?;
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(include_subtree.unwrap_or(false))?;
        per_unit_page::<WorkersOfUnit>(ctx, self.id, filter, page).await
    }

    /// Honors of the workers at home in the unit (with `includeSubtree`, in any unit below
    /// it too), newest first. Public.
    #[allow(clippy::too_many_arguments)]
    async fn honors(
        &self,
        ctx: &Context<'_>,
        filter: Option<HonorFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<HonorRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(include_subtree.unwrap_or(false))?;
        per_unit_page::<HonorsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Nominations the unit made (with `includeSubtree`, those of any unit below it too),
    /// newest first. Staff only.
    #[allow(clippy::too_many_arguments)]
    async fn nominations(
        &self,
        ctx: &Context<'_>,
        filter: Option<NominationFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<NominationRow>> {
        require_staff(ctx, "Nominations")?;
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(include_subtree.unwrap_or(false))?;
        per_unit_page::<NominationsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Workstations the unit hosts (with `includeSubtree`, those of any unit below it too),
    /// newest first. Staff only.
    #[allow(clippy::too_many_arguments)]
    async fn workstations(
        &self,
        ctx: &Context<'_>,
        filter: Option<WorkstationFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<WorkstationRow>> {
        require_staff(ctx, "Workstations")?;
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(include_subtree.unwrap_or(false))?;
        per_unit_page::<WorkstationsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Talent figures of the unit's whole subtree (the unit included) for `period`. Only for
    /// those who may read the unit's subtree-only data (staff, admins and leadership of the
    /// unit or a unit above it, the city admin): `FORBIDDEN` for anyone else.
    async fn talent_figures(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
    ) -> ApiResult<TalentFigures> {
        kexie_subgraph_kit::figures::of_unit(ctx, self.id, period).await
    }

    /// The talent figures of each active direct child's subtree, ranked by `orderBy`
    /// (largest first unless `descending` is false); ties share a rank and are listed by name.
    /// Only for those who may read the unit's subtree-only data, as `talentFigures`.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn talent_figures_by_child(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
        order_by: TalentFigure,
        #[graphql(default = true)] descending: bool,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildTalentFigures>> {
        figures::by_child(ctx, self.id, kinds, period, order_by, descending).await
    }

    /// The talent figures of the unit's whole subtree for each calendar month, quarter or
    /// year of a range, each beside the same period a year earlier (同比). Only for those
    /// who may read the unit's subtree-only data, as `talentFigures`.
    #[graphql(directive = kexie_subgraph_kit::rollup::series::apply())]
    async fn talent_figures_series(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
    ) -> ApiResult<Vec<FiguresPoint<TalentFigures>>> {
        kexie_subgraph_kit::figures::unit_series(ctx, self.id, series).await
    }

    /// The series of `talentFiguresSeries` for each active direct child's subtree, the
    /// children in name order.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn talent_figures_series_by_child(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildFiguresSeries<TalentFigures, Unit>>> {
        kexie_subgraph_kit::figures::children_series(ctx, self.id, series, kinds).await
    }
}

impl From<Uuid> for Unit {
    fn from(id: Uuid) -> Self {
        Unit { id }
    }
}

/// `Target` (owned by organizations) as this subgraph extends it: the actual figure of the
/// metrics talent measures, counted from its own records over the target unit's subtree
/// (`db::targets`). The rest of the extension is `kexie_subgraph_kit::target`.
pub struct TalentActual(Actual<TalentActual>);

#[Object]
impl TalentActual {
    /// The actual figure of a metric talent measures (see `TargetMetric`) over the target
    /// unit's subtree in the target's year; null for the metrics other subgraphs measure.
    /// Only for those who may read the target unit's subtree-only data (staff, admins and
    /// leadership of the unit or a unit above it, the city admin): `FORBIDDEN` for anyone
    /// else.
    #[graphql(requires = "unitId year metric")]
    async fn talent_actual(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        self.0.resolve(ctx).await
    }
}

impl MeasuredActual for TalentActual {
    const MEASURED_BY: MeasuredBy = MeasuredBy::Talent;

    fn new(actual: Actual<Self>) -> Self {
        TalentActual(actual)
    }

    async fn count(pool: &PgPool, keys: &[TargetKey]) -> sqlx::Result<HashMap<TargetKey, i64>> {
        figures::target_actuals(pool, keys).await
    }
}

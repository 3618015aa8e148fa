//! The entities other subgraphs own, as this one extends them: `Unit` (organizations) with
//! its campaigns, submissions and research topics, `Worker` (talent) with the submissions
//! they wrote, and `Target` (organizations) with the actual figures advice measures.

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

use super::campaigns::{CampaignFilterInput, CampaignsOfUnit};
use super::figures::{self, AdviceFigure, AdviceFigures, ChildAdviceFigures};
use super::research_topics::{ResearchTopicFilterInput, ResearchTopicsOfUnit};
use super::submissions::{SubmissionFilterInput, SubmissionsOfUnit, SubmissionsOfWorker};
use crate::db::campaigns::CampaignRow;
use crate::db::research_topics::ResearchTopicRow;
use crate::db::submissions::SubmissionRow;

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

    /// Campaigns the unit organizes (with `includeSubtree`, those of every unit below it
    /// too), newest first. For staff only (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<CampaignRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<CampaignsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Submissions the unit submitted (with `includeSubtree`, those of every unit below it
    /// too), newest first. Who reads what, as in `Query.submissions`.
    #[allow(clippy::too_many_arguments)]
    async fn submissions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SubmissionFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<SubmissionRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<SubmissionsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Research topics the unit leads (with `includeSubtree`, those of every unit below it
    /// too), newest first. For staff only (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn research_topics(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResearchTopicFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ResearchTopicRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<ResearchTopicsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Advice figures of the unit's whole subtree (the unit included) for `period`. An
    /// unknown unit is `NOT_FOUND`. Only those who may read the unit's subtree see them
    /// (its staff and leadership, those of the units above it, the city's
    /// administrators): anyone else is refused with `FORBIDDEN`.
    async fn advice_figures(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
    ) -> ApiResult<AdviceFigures> {
        kexie_subgraph_kit::figures::of_unit(ctx, self.id, period).await
    }

    /// The advice figures of each active direct child's subtree, ranked by `orderBy`
    /// (largest first unless `descending` is false); ties share a rank and are listed by
    /// name. The unit's own records and those of inactive children count only in the
    /// unit's own figures. Only those who may read the unit's subtree see them, as for
    /// `adviceFigures`.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn advice_figures_by_child(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
        order_by: AdviceFigure,
        #[graphql(default = true)] descending: bool,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildAdviceFigures>> {
        figures::by_child(ctx, self.id, kinds, period, order_by, descending).await
    }

    /// The advice figures of the unit's whole subtree for each calendar month, quarter or
    /// year of a range, each beside the same period a year earlier (同比). Only those who
    /// may read the unit's subtree see them, as for `adviceFigures`.
    #[graphql(directive = kexie_subgraph_kit::rollup::series::apply())]
    async fn advice_figures_series(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
    ) -> ApiResult<Vec<FiguresPoint<AdviceFigures>>> {
        kexie_subgraph_kit::figures::unit_series(ctx, self.id, series).await
    }

    /// The series of `adviceFiguresSeries` for each active direct child's subtree, the
    /// children in name order.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn advice_figures_series_by_child(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildFiguresSeries<AdviceFigures, Unit>>> {
        kexie_subgraph_kit::figures::children_series(ctx, self.id, series, kinds).await
    }
}

/// An S&T worker (科技工作者, owned by talent), with the submissions they wrote.
#[derive(Clone, Copy, Debug)]
pub struct Worker {
    pub id: Uuid,
}

#[Object]
impl Worker {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Submissions the worker is an author of, newest first. Who reads what, as in
    /// `Query.submissions`.
    async fn submissions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SubmissionFilterInput>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<SubmissionRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default().for_worker(ctx)?;
        per_unit_page::<SubmissionsOfWorker>(ctx, self.id, filter, page).await
    }
}

impl From<Uuid> for Unit {
    fn from(id: Uuid) -> Self {
        Unit { id }
    }
}

impl From<Uuid> for Worker {
    fn from(id: Uuid) -> Self {
        Worker { id }
    }
}

/// `Target` (owned by organizations) as this subgraph extends it: the actual figure of the
/// metrics advice measures, counted from its own records over the target unit's subtree
/// (`db::targets`). The rest of the extension is `kexie_subgraph_kit::target`.
pub struct AdviceActual(Actual<AdviceActual>);

#[Object]
impl AdviceActual {
    /// The actual figure of a metric advice measures (see `TargetMetric`) over the target
    /// unit's subtree in the target's year; null for the metrics other subgraphs measure.
    /// Only those who may read the target unit's subtree figures see it (its staff and
    /// leadership, those of the units above it, the city's administrators): anyone else is
    /// refused with `FORBIDDEN`.
    #[graphql(requires = "unitId year metric")]
    async fn advice_actual(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        self.0.resolve(ctx).await
    }
}

impl MeasuredActual for AdviceActual {
    const MEASURED_BY: MeasuredBy = MeasuredBy::Advice;

    fn new(actual: Actual<Self>) -> Self {
        AdviceActual(actual)
    }

    async fn count(pool: &PgPool, keys: &[TargetKey]) -> sqlx::Result<HashMap<TargetKey, i64>> {
        figures::target_actuals(pool, keys).await
    }
}

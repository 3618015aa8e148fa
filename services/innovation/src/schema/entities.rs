//! The entities other subgraphs own, as this one extends them: `Unit` (organizations) with
//! its needs, results and innovation figures, and `Worker` (talent) with the results they
//! hold and the matches they were proposed in as experts, and `Target` (organizations) with
//! the actual figures innovation measures.

use std::collections::HashMap;

use async_graphql::{Context, Object, ID};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::{ChildFiguresSeries, FiguresPoint, SeriesInput};
use kexie_subgraph_kit::page::{per_unit_page, PageArgs, RecordPage};
use kexie_subgraph_kit::rollup::PeriodInput;
use kexie_subgraph_kit::target::{Actual, MeasuredActual, MeasuredBy, TargetKey};
use kexie_subgraph_kit::unit_tree::UnitKind;
use kexie_subgraph_kit::ApiResult;

use super::cooperation::{AgreementFilterInput, AgreementsOfUnit};
use super::events::{EventFilterInput, EventsOfUnit};
use super::figures::{self, ChildInnovationFigures, InnovationFigure, InnovationFigures};
use super::matches::{MatchFilterInput, MatchesOfExpert};
use super::needs::{NeedFilterInput, NeedsOfUnit};
use super::results::{ResultFilterInput, ResultsOfUnit, ResultsOfWorker};
use super::visits::{VisitFilterInput, VisitsOfExpert, VisitsOfUnit};
use crate::db::cooperation::AgreementRow;
use crate::db::events::EventRow;
use crate::db::matches::MatchRow;
use crate::db::needs::NeedRow;
use crate::db::pilots::PilotRow;
use crate::db::results::ResultRow;
use crate::db::visits::VisitRow;

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

    /// Technology needs the unit published (with `includeSubtree`, those of every unit
    /// below it too), newest first. For staff and keys with `innovation:read` (`FORBIDDEN`
    /// otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn tech_needs(
        &self,
        ctx: &Context<'_>,
        filter: Option<NeedFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<NeedRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<NeedsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Scientific results the unit owns (with `includeSubtree`, those of every unit below
    /// it too), newest first. For staff and keys with `innovation:read` (`FORBIDDEN`
    /// otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn science_results(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResultFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ResultRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_owner(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<ResultsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Service visits to enterprises the unit organized (with `includeSubtree`, those of
    /// every unit below it too), newest first. For staff and keys with `innovation:read`
    /// (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn service_visits(
        &self,
        ctx: &Context<'_>,
        filter: Option<VisitFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<VisitRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_party(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<VisitsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Innovation events (创新活动: matchmaking, academic exchange) the unit organized (with
    /// `includeSubtree`, those of every unit below it too), newest first. For staff and keys
    /// with `innovation:read`; a key with `innovation-events:co-organize` sees those its
    /// bureau co-organizes (`FORBIDDEN` for everyone else).
    #[allow(clippy::too_many_arguments)]
    async fn innovation_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<EventRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<EventsOfUnit>(ctx, self.id, filter, page).await
    }

    /// Cooperation agreements (校企合作) the unit signed as the university side (with
    /// `includeSubtree`, those of every unit below it too), newest first. For staff and keys
    /// with `innovation:read` (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn cooperation_agreements(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgreementFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<AgreementRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter
            .unwrap_or_default()
            .for_unit(ctx, include_subtree.unwrap_or(false))?;
        per_unit_page::<AgreementsOfUnit>(ctx, self.id, filter, page).await
    }

    /// The 科创中国 pilot designations the unit carries, oldest first. Public.
    async fn pilot_designations(&self, ctx: &Context<'_>) -> ApiResult<Vec<PilotRow>> {
        super::pilots::of_unit(ctx, self.id).await
    }

    /// Innovation figures of the unit's whole subtree (the unit included) for `period`. An
    /// unknown unit is `NOT_FOUND`. Only those who may read the unit's subtree see them
    /// (its staff and leadership, those of the units above it, the city's
    /// administrators): anyone else is refused with `FORBIDDEN`.
    async fn innovation_figures(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
    ) -> ApiResult<InnovationFigures> {
        kexie_subgraph_kit::figures::of_unit(ctx, self.id, period).await
    }

    /// The innovation figures of each active direct child's subtree, ranked by `orderBy`
    /// (largest first unless `descending` is false); ties share a rank and are listed by
    /// name. The unit's own records and those of inactive children count only in the
    /// unit's own figures. Only those who may read the unit's subtree see them, as for
    /// `innovationFigures`.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn innovation_figures_by_child(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
        order_by: InnovationFigure,
        #[graphql(default = true)] descending: bool,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildInnovationFigures>> {
        figures::by_child(ctx, self.id, kinds, period, order_by, descending).await
    }

    /// The innovation figures of the unit's whole subtree for each calendar month, quarter
    /// or year of a range, each beside the same period a year earlier (同比). Only those
    /// who may read the unit's subtree see them, as for `innovationFigures`.
    #[graphql(directive = kexie_subgraph_kit::rollup::series::apply())]
    async fn innovation_figures_series(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
    ) -> ApiResult<Vec<FiguresPoint<InnovationFigures>>> {
        kexie_subgraph_kit::figures::unit_series(ctx, self.id, series).await
    }

    /// The series of `innovationFiguresSeries` for each active direct child's subtree, the
    /// children in name order.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn innovation_figures_series_by_child(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildFiguresSeries<InnovationFigures, Unit>>> {
        kexie_subgraph_kit::figures::children_series(ctx, self.id, series, kinds).await
    }
}

/// An S&T worker (科技工作者, owned by talent), with the results they hold and the matches
/// they were proposed in as experts.
#[derive(Clone, Copy, Debug)]
pub struct Worker {
    pub id: Uuid,
}

#[Object]
impl Worker {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Scientific results the worker holds, newest first. For staff and keys with
    /// `innovation:read` (`FORBIDDEN` otherwise).
    async fn science_results(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResultFilterInput>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ResultRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default().for_owner(ctx, false)?;
        per_unit_page::<ResultsOfWorker>(ctx, self.id, filter, page).await
    }

    /// Matches the worker was proposed in as an expert (专家对接), newest first. For staff
    /// and keys with `innovation:read` (`FORBIDDEN` otherwise).
    async fn expert_matches(
        &self,
        ctx: &Context<'_>,
        filter: Option<MatchFilterInput>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<MatchRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default().for_party(ctx)?;
        per_unit_page::<MatchesOfExpert>(ctx, self.id, filter, page).await
    }

    /// Service visits the worker went on as an expert (专家服务), newest first. For staff
    /// and keys with `innovation:read` (`FORBIDDEN` otherwise).
    async fn service_visits(
        &self,
        ctx: &Context<'_>,
        filter: Option<VisitFilterInput>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<VisitRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default().for_party(ctx, false)?;
        per_unit_page::<VisitsOfExpert>(ctx, self.id, filter, page).await
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
/// metrics innovation measures, from its figure ledger over the target unit's subtree. The
/// rest of the extension is `kexie_subgraph_kit::target`.
pub struct InnovationActual(Actual<InnovationActual>);

#[Object]
impl InnovationActual {
    /// The actual figure of a metric innovation measures (see `TargetMetric`) over the
    /// target unit's subtree in the target's year; null for the metrics other subgraphs
    /// measure. Only those who may read the target unit's subtree figures see it (its staff
    /// and leadership, those of the units above it, the city's administrators): anyone else
    /// is refused with `FORBIDDEN`.
    #[graphql(requires = "unitId year metric")]
    async fn innovation_actual(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        self.0.resolve(ctx).await
    }
}

impl MeasuredActual for InnovationActual {
    const MEASURED_BY: MeasuredBy = MeasuredBy::Innovation;

    fn new(actual: Actual<Self>) -> Self {
        InnovationActual(actual)
    }

    async fn count(pool: &PgPool, keys: &[TargetKey]) -> sqlx::Result<HashMap<TargetKey, i64>> {
        figures::target_actuals(pool, keys).await
    }
}

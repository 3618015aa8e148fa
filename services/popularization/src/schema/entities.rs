//! `Unit`, owned by organizations: this subgraph adds each unit's venues and activities.

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, ID};
use uuid::Uuid;

use kexie_subgraph_kit::id::parse_id;
use kexie_subgraph_kit::page::{connection, PageArgs, PerUnitKey, PerUnitLoader};
use kexie_subgraph_kit::{ApiError, ApiResult};

use kexie_subgraph_kit::rollup::PeriodInput;

use super::activities::ActivityFilterInput;
use super::figures::{
    self, ChildPopularizationFigures, PopularizationFigure, PopularizationFigures,
};
use super::venues::VenueFilterInput;
use super::{data, loader_error, KeyedActivities, UnitVenues};
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
            "a unit's own list is always that unit's; leave unitId out",
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
    async fn venues(
        &self,
        ctx: &Context<'_>,
        filter: Option<VenueFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, VenueRow>> {
        let page = PageArgs::parse(first, after)?;
        let mut filter = filter.unwrap_or_default().parse(ctx)?;
        own_unit(self.id, filter.unit_id)?;
        filter.unit_id = None;
        filter.include_subtree |= include_subtree.unwrap_or(false);
        let rows = data::<DataLoader<PerUnitLoader<UnitVenues>>>(ctx)?
            .load_one(PerUnitKey {
                unit_id: self.id,
                filter,
                page,
            })
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(connection(rows, &page, |row| row.venue_id))
    }

    /// 科普活动 the unit organized, newest first; with `includeSubtree`, those of every unit
    /// below it too. What the request may see of them, as in `Query.activities`.
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilterInput>,
        #[graphql(default_with = "Some(false)")] include_subtree: Option<bool>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, ActivityRow>> {
        let page = PageArgs::parse(first, after)?;
        let mut filter = filter.unwrap_or_default().parse(ctx)?;
        own_unit(self.id, filter.unit_id)?;
        filter.unit_id = None;
        filter.include_subtree |= include_subtree.unwrap_or(false);
        let rows = data::<DataLoader<PerUnitLoader<KeyedActivities>>>(ctx)?
            .load_one(PerUnitKey {
                unit_id: self.id,
                filter,
                page,
            })
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(connection(rows, &page, |row| row.activity_id))
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
        figures::of_unit(ctx, self.id, period).await
    }

    /// The popularization figures of each active direct child's subtree, ranked by
    /// `orderBy` (largest first unless `descending` is false); ties share a rank and are
    /// listed by name. The unit's own records and those of inactive children count only in
    /// the unit's own figures. Only those who may read the unit's subtree see them, as for
    /// `popularizationFigures`.
    async fn popularization_figures_by_child(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
        order_by: PopularizationFigure,
        #[graphql(default = true)] descending: bool,
    ) -> ApiResult<Vec<ChildPopularizationFigures>> {
        figures::by_child(ctx, self.id, period, order_by, descending).await
    }
}

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Federation: any unit organizations knows; its lists here are empty until it has
    /// records.
    #[graphql(entity)]
    async fn find_unit_by_id(&self, id: ID) -> ApiResult<Unit> {
        Ok(Unit {
            id: parse_id("id", &id)?,
        })
    }
}

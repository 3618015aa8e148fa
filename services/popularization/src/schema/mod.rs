//! The GraphQL schema of the popularization subgraph: thin resolvers over `db`.

mod activities;
mod entities;
mod figures;
mod venues;

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use kexie_contract::telemetry::spawn_in_current_span;
use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::page::{PageArgs, PerUnitLoader, PerUnitQuery};
use kexie_subgraph_kit::{ApiError, ApiResult};

use crate::db;
use crate::db::activities::{ActivityFilter, ActivityOwner, ActivityRow};
use crate::db::venues::{VenueFilter, VenueRow};

pub use entities::Unit;

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    venues::VenueQuery,
    activities::ActivityQuery,
    kexie_subgraph_kit::target::TargetQuery<entities::PopularizationActual>,
);

#[derive(MergedObject, Default)]
pub struct Mutation(venues::VenueMutation, activities::ActivityMutation);

pub type SubgraphSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema's types and federation, without data: enough to export the SDL.
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    kexie_subgraph_kit::schema::builder(Query::default(), Mutation::default())
}

/// The schema over `pool`, with its batch loaders.
pub fn build(pool: PgPool) -> SubgraphSchema {
    builder()
        .data(DataLoader::new(
            VenueLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            ActivityLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            kexie_subgraph_kit::history::HistoryLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            kexie_subgraph_kit::unit_tree::PathLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            PerUnitLoader(UnitVenues(pool.clone())),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            PerUnitLoader(KeyedActivities {
                pool: pool.clone(),
                owner: ActivityOwner::Organizer,
            }),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            VenueActivitiesLoader(PerUnitLoader(KeyedActivities {
                pool: pool.clone(),
                owner: ActivityOwner::Venue,
            })),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            SubtreeFiguresLoader::<figures::PopularizationFigures>::new(pool.clone()),
            spawn_in_current_span,
        ))
        .data(pool)
        .finish()
}

fn pool<'a>(ctx: &Context<'a>) -> ApiResult<&'a PgPool> {
    data::<PgPool>(ctx)
}

fn data<'a, T: Send + Sync + 'static>(ctx: &Context<'a>) -> ApiResult<&'a T> {
    ctx.data::<T>()
        .map_err(|_| ApiError::internal(format!("the schema lacks {}", std::any::type_name::<T>())))
}

/// A loader's failure: its cause was logged where it happened.
fn loader_error(err: async_graphql::Error) -> ApiError {
    ApiError::internal(err.message)
}

/// Venues by ID: one query per batch (entity lookups, an activity's venue).
pub struct VenueLoader(PgPool);

impl Loader<Uuid> for VenueLoader {
    type Value = VenueRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, VenueRow>, Self::Error> {
        let rows = db::venues::find(&self.0, ids)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.venue_id, row)).collect())
    }
}

/// Activities by ID: one query per batch (entity lookups).
pub struct ActivityLoader(PgPool);

impl Loader<Uuid> for ActivityLoader {
    type Value = ActivityRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, ActivityRow>, Self::Error> {
        let rows = db::activities::find(&self.0, ids)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.activity_id, row)).collect())
    }
}

/// `Unit.venues` for a batch of units.
pub struct UnitVenues(PgPool);

impl PerUnitQuery for UnitVenues {
    type Filter = VenueFilter;
    type Row = VenueRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &VenueFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, VenueRow)>> {
        Ok(db::venues::per_unit(&self.0, unit_ids, filter, page).await?)
    }
}

/// `Unit.activities` (keys are organizing units) or `Venue.activities` (keys are venues)
/// for a batch of keys.
pub struct KeyedActivities {
    pool: PgPool,
    owner: ActivityOwner,
}

impl PerUnitQuery for KeyedActivities {
    type Filter = ActivityFilter;
    type Row = ActivityRow;

    async fn fetch(
        &self,
        keys: &[Uuid],
        filter: &ActivityFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, ActivityRow)>> {
        Ok(db::activities::per_key(&self.pool, self.owner, keys, filter, page).await?)
    }
}

/// The batch loader of `Venue.activities`: a type of its own so that the schema data holds
/// it beside the one of `Unit.activities`.
pub struct VenueActivitiesLoader(PerUnitLoader<KeyedActivities>);

impl Loader<kexie_subgraph_kit::page::PerUnitKey<ActivityFilter>> for VenueActivitiesLoader {
    type Value = Vec<ActivityRow>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[kexie_subgraph_kit::page::PerUnitKey<ActivityFilter>],
    ) -> Result<
        HashMap<kexie_subgraph_kit::page::PerUnitKey<ActivityFilter>, Vec<ActivityRow>>,
        Self::Error,
    > {
        self.0.load(keys).await
    }
}

/// Loads a venue by ID through the batch loader; `None` also when the request may not see
/// it.
async fn load_venue(ctx: &Context<'_>, venue_id: Uuid) -> ApiResult<Option<VenueRow>> {
    let venue = data::<DataLoader<VenueLoader>>(ctx)?
        .load_one(venue_id)
        .await
        .map_err(loader_error)?;
    Ok(crate::policy::visible_venue(ctx, venue))
}

/// Loads an activity by ID through the batch loader; `None` also when the request may not
/// see it.
async fn load_activity(ctx: &Context<'_>, activity_id: Uuid) -> ApiResult<Option<ActivityRow>> {
    let activity = data::<DataLoader<ActivityLoader>>(ctx)?
        .load_one(activity_id)
        .await
        .map_err(loader_error)?;
    Ok(crate::policy::visible_activity(ctx, activity))
}

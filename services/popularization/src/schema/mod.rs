//! The GraphQL schema of the popularization subgraph: thin resolvers over `db`.

mod activities;
mod entities;
mod figures;
mod venues;

use async_graphql::{Context, EmptySubscription, MergedObject, Object, Schema, SchemaBuilder};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::access;
use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use kexie_subgraph_kit::history::HistoryLoader;
use kexie_subgraph_kit::page::{PageArgs, PerUnitLoader, PerUnitQuery};
use kexie_subgraph_kit::record::{load_by_id, Audit, ByIdLoader};
use kexie_subgraph_kit::schema::{loader, pool, ReferenceQuery};
use kexie_subgraph_kit::unit_tree::PathLoader;
use kexie_subgraph_kit::ApiResult;

use crate::db;
use crate::db::activities::{ActivityFilter, ActivityOwner, ActivityRow};
use crate::db::venues::{VenueFilter, VenueRow};

pub use entities::Unit;
pub use figures::target_actuals;

#[derive(MergedObject, Default)]
pub struct Query(
    ReferenceQuery<entities::Unit>,
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
        .data(loader(ByIdLoader::<VenueRow>::new(pool.clone())))
        .data(loader(ByIdLoader::<ActivityRow>::new(pool.clone())))
        .data(loader(HistoryLoader(pool.clone())))
        .data(loader(PathLoader(pool.clone())))
        .data(loader(PerUnitLoader(VenuesOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(ActivitiesOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(ActivitiesOfVenue(pool.clone()))))
        .data(loader(
            SubtreeFiguresLoader::<figures::PopularizationFigures>::new(pool.clone()),
        ))
        .data(pool)
        .finish()
}

/// `Unit.venues` for a batch of units.
pub struct VenuesOfUnit(PgPool);

impl PerUnitQuery for VenuesOfUnit {
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

    async fn count(&self, unit_ids: &[Uuid], filter: &VenueFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::venues::count_per_unit(&self.0, unit_ids, filter).await?)
    }
}

/// `Unit.activities` for a batch of organizing units.
pub struct ActivitiesOfUnit(PgPool);

impl PerUnitQuery for ActivitiesOfUnit {
    type Filter = ActivityFilter;
    type Row = ActivityRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &ActivityFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, ActivityRow)>> {
        Ok(
            db::activities::per_key(&self.0, ActivityOwner::Organizer, unit_ids, filter, page)
                .await?,
        )
    }

    async fn count(
        &self,
        unit_ids: &[Uuid],
        filter: &ActivityFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(
            db::activities::count_per_key(&self.0, ActivityOwner::Organizer, unit_ids, filter)
                .await?,
        )
    }
}

/// `Venue.activities` for a batch of venues.
pub struct ActivitiesOfVenue(PgPool);

impl PerUnitQuery for ActivitiesOfVenue {
    type Filter = ActivityFilter;
    type Row = ActivityRow;

    async fn fetch(
        &self,
        venue_ids: &[Uuid],
        filter: &ActivityFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, ActivityRow)>> {
        Ok(db::activities::per_key(&self.0, ActivityOwner::Venue, venue_ids, filter, page).await?)
    }

    async fn count(
        &self,
        venue_ids: &[Uuid],
        filter: &ActivityFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::activities::count_per_key(&self.0, ActivityOwner::Venue, venue_ids, filter).await?)
    }
}

/// Loads a venue by ID through the batch loader; `None` also when the request may not see
/// it.
async fn load_venue(ctx: &Context<'_>, venue_id: Uuid) -> ApiResult<Option<VenueRow>> {
    let venue = load_by_id::<VenueRow>(ctx, venue_id).await?;
    Ok(crate::policy::visible_venue(ctx, venue))
}

/// Loads an activity by ID through the batch loader; `None` also when the request may not
/// see it.
async fn load_activity(ctx: &Context<'_>, activity_id: Uuid) -> ApiResult<Option<ActivityRow>> {
    let activity = load_by_id::<ActivityRow>(ctx, activity_id).await?;
    Ok(crate::policy::visible_activity(ctx, activity))
}

/// The audit fields of venues and activities, after their `history` (each says itself what
/// archiving means for it): who recorded and who changed a record are for staff only.
pub struct StaffAudit<'a> {
    audit: &'a Audit,
    /// The record, as refusals name it: "a venue", "an activity".
    record: &'static str,
}

#[Object]
impl StaffAudit<'_> {
    /// Increases with every change; send it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.audit.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.audit.created_at
    }
    /// Who recorded it: a staff member's subject (or a partner key's), for staff only.
    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        access::require_staff(ctx, &format!("Who recorded {}", self.record))?;
        Ok(&self.audit.created_by)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.audit.updated_at
    }
    /// Who changed it last, for staff only.
    async fn updated_by(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        access::require_staff(ctx, &format!("Who changed {}", self.record))?;
        Ok(&self.audit.updated_by)
    }
}

//! The GraphQL schema of the organizations subgraph: thin resolvers over `db`.

mod api_keys;
mod entities;
mod figures;
mod leaders;
mod targets;
mod terms;
mod units;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, EmptySubscription, MergedObject, Schema};
use kexie_contract::telemetry::spawn_in_current_span;
use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use kexie_subgraph_kit::history::HistoryLoader;
use kexie_subgraph_kit::page::PerUnitLoader;
use kexie_subgraph_kit::target::TargetKey;
use kexie_subgraph_kit::{ApiError, ApiResult};

use crate::db;

pub use units::UnitInput;

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    units::UnitQuery,
    terms::TermQuery,
    leaders::LeadershipQuery,
    targets::TargetQuery,
    api_keys::ApiKeyQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    units::UnitMutation,
    terms::TermMutation,
    leaders::LeadershipMutation,
    targets::TargetMutation,
    api_keys::ApiKeyMutation,
);

pub type SubgraphSchema = Schema<Query, Mutation, EmptySubscription>;

/// Wakes the tree publisher after a committed change of the tree.
#[derive(Clone, Default)]
pub struct TreeChanged(pub Arc<Notify>);

/// The schema over `pool`; `tree_changed` is notified after every committed tree change.
pub fn build(pool: PgPool, tree_changed: TreeChanged) -> SubgraphSchema {
    kexie_subgraph_kit::schema::builder(Query::default(), Mutation::default())
        .data(DataLoader::new(
            UnitLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            CurrentTermLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            PerUnitLoader(units::ChildrenQuery(pool.clone())),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            HistoryLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            TargetLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            OwnActualLoader(pool.clone()),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            SubtreeFiguresLoader::<figures::OrganizationFigures>::new(pool.clone()),
            spawn_in_current_span,
        ))
        .data(tree_changed)
        .data(pool)
        .finish()
}

fn pool<'a>(ctx: &Context<'a>) -> ApiResult<&'a PgPool> {
    ctx.data::<PgPool>()
        .map_err(|_| ApiError::internal("the schema has no database pool"))
}

fn data<'a, T: Send + Sync + 'static>(ctx: &Context<'a>) -> ApiResult<&'a T> {
    ctx.data::<T>()
        .map_err(|_| ApiError::internal(format!("the schema lacks {}", std::any::type_name::<T>())))
}

/// Units by ID: one query per batch (entity lookups, parents, a record's unit).
pub struct UnitLoader(PgPool);

impl Loader<Uuid> for UnitLoader {
    type Value = db::units::UnitRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = db::units::find(&self.0, ids)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.unit_id, row)).collect())
    }
}

/// The latest term of each unit: one query per batch.
pub struct CurrentTermLoader(PgPool);

impl Loader<Uuid> for CurrentTermLoader {
    type Value = db::terms::TermRow;
    type Error = async_graphql::Error;

    async fn load(&self, unit_ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = db::terms::current(&self.0, unit_ids)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.unit_id, row)).collect())
    }
}

/// Targets by ID: one query per batch (entity lookups).
pub struct TargetLoader(PgPool);

impl Loader<Uuid> for TargetLoader {
    type Value = db::targets::TargetRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = db::targets::find(&self.0, ids)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.target_id, row)).collect())
    }
}

/// The actual figures of targets of the metrics organizations measures: one query per batch.
pub struct OwnActualLoader(PgPool);

impl Loader<TargetKey> for OwnActualLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TargetKey]) -> Result<HashMap<TargetKey, i64>, Self::Error> {
        Ok(db::figures::target_actuals(&self.0, keys)
            .await
            .map_err(ApiError::from)?)
    }
}

/// Loads a target by ID through the batch loader.
async fn load_target(ctx: &Context<'_>, id: Uuid) -> ApiResult<Option<db::targets::TargetRow>> {
    data::<DataLoader<TargetLoader>>(ctx)?
        .load_one(id)
        .await
        .map_err(|err| ApiError::internal(err.message))
}

/// Loads a unit by ID through the batch loader.
pub(crate) async fn load_unit(
    ctx: &Context<'_>,
    unit_id: Uuid,
) -> ApiResult<Option<db::units::UnitRow>> {
    data::<DataLoader<UnitLoader>>(ctx)?
        .load_one(unit_id)
        .await
        .map_err(|err| ApiError::internal(err.message))
}

/// Loads a unit that a mutation names, or `NOT_FOUND`.
async fn require_unit(pool: &PgPool, unit_id: Uuid) -> ApiResult<db::units::UnitRow> {
    db::units::find(pool, &[unit_id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

//! The GraphQL schema of the organizations subgraph: thin resolvers over `db`.

mod api_keys;
mod entities;
mod figures;
mod labels;
mod leaders;
mod media_reports;
mod party_building;
mod targets;
mod terms;
mod units;
mod viewer;
mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use kexie_subgraph_kit::history::HistoryLoader;
use kexie_subgraph_kit::page::PerUnitLoader;
use kexie_subgraph_kit::record::ByIdLoader;
use kexie_subgraph_kit::schema::{data, load, loader, pool};
use kexie_subgraph_kit::target::TargetKey;
use kexie_subgraph_kit::{ApiError, ApiResult};

use crate::db;
use crate::db::targets::TargetRow;
use crate::db::units::UnitRow;

pub use figures::target_actuals;
pub use units::UnitInput;

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    units::UnitQuery,
    terms::TermQuery,
    leaders::LeadershipQuery,
    targets::TargetQuery,
    api_keys::ApiKeyQuery,
    party_building::PartyBuildingQuery,
    media_reports::MediaReportQuery,
    viewer::ViewerQuery,
    webhooks::WebhookQuery,
    labels::LabelQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    units::UnitMutation,
    terms::TermMutation,
    leaders::LeadershipMutation,
    targets::TargetMutation,
    api_keys::ApiKeyMutation,
    party_building::PartyBuildingMutation,
    media_reports::MediaReportMutation,
    webhooks::WebhookMutation,
);

pub type SubgraphSchema = Schema<Query, Mutation, EmptySubscription>;

/// Wakes the tree publisher after a committed change of the tree.
#[derive(Clone, Default)]
pub struct TreeChanged(pub Arc<Notify>);

/// The schema's types and federation settings, without data: what the SDL is made of.
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    kexie_subgraph_kit::schema::builder(Query::default(), Mutation::default())
}

/// The schema over `pool`; `tree_changed` is notified after every committed tree change;
/// `delivery` says which webhook endpoints subscriptions may name.
pub fn build(
    pool: PgPool,
    tree_changed: TreeChanged,
    delivery: crate::webhooks::DeliverySettings,
) -> SubgraphSchema {
    builder()
        .data(loader(ByIdLoader::<UnitRow>::new(pool.clone())))
        .data(loader(CurrentTermLoader(pool.clone())))
        .data(loader(PerUnitLoader(units::ChildrenQuery(pool.clone()))))
        .data(loader(HistoryLoader(pool.clone())))
        .data(loader(ByIdLoader::<TargetRow>::new(pool.clone())))
        .data(loader(OwnActualLoader(pool.clone())))
        .data(loader(TargetsOfUnitLoader(pool.clone())))
        .data(loader(
            SubtreeFiguresLoader::<figures::OrganizationFigures>::new(pool.clone()),
        ))
        .data(tree_changed)
        .data(delivery)
        .data(pool)
        .finish()
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

/// The actual figures of targets of the metrics organizations measures, from the figure
/// ledger.
pub struct OwnActualLoader(PgPool);

impl Loader<TargetKey> for OwnActualLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TargetKey]) -> Result<HashMap<TargetKey, i64>, Self::Error> {
        Ok(figures::target_actuals(&self.0, keys)
            .await
            .map_err(ApiError::from)?)
    }
}

/// The key of [`TargetsOfUnitLoader`]: a unit and the year asked (none: every year).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TargetsOfUnit {
    pub unit_id: Uuid,
    pub year: Option<i32>,
}

/// Each unit's active targets (`Unit.targets`): one query per batch and year asked.
pub struct TargetsOfUnitLoader(PgPool);

impl Loader<TargetsOfUnit> for TargetsOfUnitLoader {
    type Value = Vec<TargetRow>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[TargetsOfUnit],
    ) -> Result<HashMap<TargetsOfUnit, Vec<TargetRow>>, Self::Error> {
        let mut years: HashMap<Option<i32>, Vec<Uuid>> = HashMap::new();
        for key in keys {
            years.entry(key.year).or_default().push(key.unit_id);
        }
        let mut targets: HashMap<TargetsOfUnit, Vec<TargetRow>> = HashMap::new();
        for (year, unit_ids) in years {
            let rows = db::targets::of_units(&self.0, &unit_ids, year)
                .await
                .map_err(ApiError::from)?;
            for row in rows {
                let key = TargetsOfUnit {
                    unit_id: row.unit_id,
                    year,
                };
                targets.entry(key).or_default().push(row);
            }
        }
        Ok(targets)
    }
}

/// Loads a unit that a mutation names, or `NOT_FOUND`.
async fn require_unit(pool: &PgPool, unit_id: Uuid) -> ApiResult<UnitRow> {
    db::units::find(pool, &[unit_id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

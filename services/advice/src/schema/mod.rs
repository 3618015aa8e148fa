//! The GraphQL schema of the advice subgraph: thin resolvers over `db`.

mod campaigns;
mod entities;
mod figures;
mod research_topics;
mod submissions;

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use kexie_contract::telemetry::spawn_in_current_span;
use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::page::{PerUnitKey, PerUnitLoader, PerUnitQuery};
use kexie_subgraph_kit::{validate, ApiError, ApiResult};

use crate::db;
use crate::domain::contains_pattern;

pub use entities::{Unit, Worker};
pub use kexie_subgraph_kit::history::StatusChange;

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    campaigns::CampaignQuery,
    submissions::SubmissionQuery,
    research_topics::ResearchTopicQuery,
    kexie_subgraph_kit::target::TargetQuery<entities::AdviceActual>,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    campaigns::CampaignMutation,
    submissions::SubmissionMutation,
    research_topics::ResearchTopicMutation,
);

pub type SubgraphSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema's types and federation settings, without data: what the SDL is made of.
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    kexie_subgraph_kit::schema::builder(Query::default(), Mutation::default())
}

/// The schema over `pool`, with its batch loaders.
pub fn build(pool: PgPool) -> SubgraphSchema {
    builder()
        .data(DataLoader::new(
            CampaignLoader(pool.clone()),
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
            PerUnitLoader(campaigns::CampaignsOfUnit(pool.clone())),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            PerUnitLoader(submissions::SubmissionsOfUnit(pool.clone())),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            PerUnitLoader(submissions::SubmissionsOfWorker(pool.clone())),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            PerUnitLoader(research_topics::ResearchTopicsOfUnit(pool.clone())),
            spawn_in_current_span,
        ))
        .data(DataLoader::new(
            SubtreeFiguresLoader::<figures::AdviceFigures>::new(pool.clone()),
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

/// One page of a per-unit (or per-worker) list, batched with the other keys of the request.
async fn load_page<Q: PerUnitQuery>(
    ctx: &Context<'_>,
    key: PerUnitKey<Q::Filter>,
) -> ApiResult<Vec<Q::Row>> {
    Ok(data::<DataLoader<PerUnitLoader<Q>>>(ctx)?
        .load_one(key)
        .await
        .map_err(|err| ApiError::internal(err.message))?
        .unwrap_or_default())
}

/// Campaigns by ID: one query per batch (a page of submissions names their campaigns).
pub struct CampaignLoader(PgPool);

impl Loader<Uuid> for CampaignLoader {
    type Value = db::campaigns::CampaignRow;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = db::campaigns::find(&self.0, ids)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.campaign_id, row)).collect())
    }
}

/// The longest search text a filter takes.
const MAX_SEARCH: usize = 100;
/// The longest note on a workflow step.
const MAX_NOTE: usize = 1000;

/// A filter's `search`, as an `ilike` pattern.
fn search_pattern(search: Option<&str>) -> ApiResult<Option<String>> {
    Ok(
        validate::optional_text("filter.search", search, MAX_SEARCH)?
            .map(|search| contains_pattern(&search)),
    )
}

/// A per-unit list takes its unit from the `Unit` it hangs on; a `filter.unitId` there
/// would contradict it.
fn refuse_unit_filter(unit_id: Option<&async_graphql::ID>) -> ApiResult<()> {
    if unit_id.is_some() {
        return Err(ApiError::validation(
            "filter.unitId",
            "is implied by the unit this list hangs on; leave it out",
        ));
    }
    Ok(())
}

/// The record a change is about: it must exist and not be archived.
fn live<T>(
    entity: &'static str,
    id: Uuid,
    row: Option<T>,
    archived: impl Fn(&T) -> bool,
) -> ApiResult<T> {
    row.filter(|row| !archived(row))
        .ok_or_else(|| ApiError::not_found(entity, id))
}

/// A workflow step's optional note.
fn note(note: Option<&str>) -> ApiResult<Option<String>> {
    validate::optional_text("note", note, MAX_NOTE)
}

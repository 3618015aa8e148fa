//! The GraphQL schema of the advice subgraph: thin resolvers over `db`.

mod campaigns;
mod entities;
mod figures;
mod research_topics;
mod submissions;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use kexie_subgraph_kit::history::HistoryLoader;
use kexie_subgraph_kit::page::PerUnitLoader;
use kexie_subgraph_kit::record::ByIdLoader;
use kexie_subgraph_kit::schema::{loader, pool};
use kexie_subgraph_kit::unit_tree::PathLoader;
use kexie_subgraph_kit::{validate, ApiError, ApiResult};

use crate::db::campaigns::CampaignRow;
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
        .data(loader(ByIdLoader::<CampaignRow>::new(pool.clone())))
        .data(loader(HistoryLoader(pool.clone())))
        .data(loader(PathLoader(pool.clone())))
        .data(loader(PerUnitLoader(campaigns::CampaignsOfUnit(
            pool.clone(),
        ))))
        .data(loader(PerUnitLoader(submissions::SubmissionsOfUnit(
            pool.clone(),
        ))))
        .data(loader(PerUnitLoader(submissions::SubmissionsOfWorker(
            pool.clone(),
        ))))
        .data(loader(PerUnitLoader(
            research_topics::ResearchTopicsOfUnit(pool.clone()),
        )))
        .data(loader(SubtreeFiguresLoader::<figures::AdviceFigures>::new(
            pool.clone(),
        )))
        .data(pool)
        .finish()
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

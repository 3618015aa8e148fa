//! The GraphQL schema of the advice subgraph: thin resolvers over `db`.

mod campaigns;
mod entities;
mod figures;
mod research_topics;
mod submissions;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sqlx::PgPool;

use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use kexie_subgraph_kit::history::HistoryLoader;
use kexie_subgraph_kit::page::PerUnitLoader;
use kexie_subgraph_kit::record::ByIdLoader;
use kexie_subgraph_kit::schema::{loader, pool, ReferenceQuery};
use kexie_subgraph_kit::unit_tree::PathLoader;
use kexie_subgraph_kit::{validate, ApiError, ApiResult};

use crate::db::campaigns::CampaignRow;

pub use entities::{Unit, Worker};
pub use figures::target_actuals;
pub use kexie_subgraph_kit::history::StatusChange;

#[derive(MergedObject, Default)]
pub struct Query(
    ReferenceQuery<entities::Unit>,
    ReferenceQuery<entities::Worker>,
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

/// The longest note on a workflow step.
const MAX_NOTE: usize = 1000;

/// A per-unit list takes its unit from the `Unit` it hangs on; a `filter.unitId` there
/// would contradict it.
fn refuse_unit_filter(unit_id: Option<&async_graphql::ID>) -> ApiResult<()> {
    if unit_id.is_some() {
        return Err(ApiError::validation(
            "filter.unitId",
            kexie_subgraph_kit::text!(
                "is implied by the unit this list hangs on; leave it out",
                "已由本列表所属的组织确定，请省略"
            ),
        ));
    }
    Ok(())
}

/// A workflow step's optional note.
fn note(note: Option<&str>) -> ApiResult<Option<String>> {
    validate::optional_text("note", note, MAX_NOTE)
}

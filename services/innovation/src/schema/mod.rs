//! The GraphQL schema of the innovation subgraph: thin resolvers over `db`.

mod cooperation;
mod entities;
mod events;
mod figures;
mod matches;
mod needs;
mod pilots;
mod results;
mod visits;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sqlx::PgPool;

use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use kexie_subgraph_kit::history::HistoryLoader;
use kexie_subgraph_kit::page::PerUnitLoader;
use kexie_subgraph_kit::record::ByIdLoader;
use kexie_subgraph_kit::schema::{loader, pool, ReferenceQuery};
use kexie_subgraph_kit::unit_tree::PathLoader;
use kexie_subgraph_kit::{validate, ApiError, ApiResult};

use crate::db::events::EventRow;
use crate::db::needs::NeedRow;
use crate::db::results::ResultRow;

pub use entities::{Unit, Worker};
pub use figures::{target_actuals, InnovationFigures};
pub use kexie_subgraph_kit::history::StatusChange;

#[derive(MergedObject, Default)]
pub struct Query(
    ReferenceQuery<entities::Unit>,
    ReferenceQuery<entities::Worker>,
    needs::NeedQuery,
    results::ResultQuery,
    matches::MatchQuery,
    visits::VisitQuery,
    cooperation::AgreementQuery,
    events::EventQuery,
    kexie_subgraph_kit::target::TargetQuery<entities::InnovationActual>,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    needs::NeedMutation,
    results::ResultMutation,
    matches::MatchMutation,
    visits::VisitMutation,
    cooperation::AgreementMutation,
    events::EventMutation,
    pilots::PilotMutation,
);

pub type SubgraphSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema's types and federation settings, without data: what the SDL is made of.
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    kexie_subgraph_kit::schema::builder(Query::default(), Mutation::default())
}

/// The schema over `pool`, with its batch loaders.
pub fn build(pool: PgPool) -> SubgraphSchema {
    builder()
        .data(loader(ByIdLoader::<NeedRow>::new(pool.clone())))
        .data(loader(ByIdLoader::<ResultRow>::new(pool.clone())))
        .data(loader(ByIdLoader::<EventRow>::new(pool.clone())))
        .data(loader(HistoryLoader(pool.clone())))
        .data(loader(PathLoader(pool.clone())))
        .data(loader(PerUnitLoader(needs::NeedsOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(results::ResultsOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(results::ResultsOfWorker(
            pool.clone(),
        ))))
        .data(loader(PerUnitLoader(matches::MatchesOfNeed(pool.clone()))))
        .data(loader(PerUnitLoader(matches::MatchesOfResult(
            pool.clone(),
        ))))
        .data(loader(PerUnitLoader(matches::MatchesOfExpert(
            pool.clone(),
        ))))
        .data(loader(PerUnitLoader(matches::MatchesOfEvent(pool.clone()))))
        .data(loader(PerUnitLoader(events::EventsOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(visits::VisitsOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(visits::VisitsOfExpert(pool.clone()))))
        .data(loader(PerUnitLoader(cooperation::AgreementsOfUnit(
            pool.clone(),
        ))))
        .data(loader(pilots::PilotsOfUnit(pool.clone())))
        .data(loader(SubtreeFiguresLoader::<InnovationFigures>::new(
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

//! The GraphQL schema of the talent subgraph: thin resolvers over `db`.

mod entities;
mod figures;
mod honors;
mod nominations;
mod workers;
mod workstations;

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder, ID};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::SubtreeFiguresLoader;
use kexie_subgraph_kit::history::HistoryLoader;
use kexie_subgraph_kit::page::PerUnitLoader;
use kexie_subgraph_kit::record::ByIdLoader;
use kexie_subgraph_kit::schema::{load, loader, pool, ReferenceQuery};
use kexie_subgraph_kit::unit_tree::PathLoader;
use kexie_subgraph_kit::{validate, ApiError, ApiResult};

use crate::db;
use crate::db::honors::HonorRow;
use crate::db::nominations::NominationRow;
use crate::db::workers::WorkerRow;

pub use entities::Unit;
pub use figures::target_actuals;

#[derive(MergedObject, Default)]
pub struct Query(
    ReferenceQuery<entities::Unit>,
    workers::WorkerQuery,
    honors::HonorQuery,
    nominations::NominationQuery,
    workstations::WorkstationQuery,
    kexie_subgraph_kit::target::TargetQuery<entities::TalentActual>,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    workers::WorkerMutation,
    honors::HonorMutation,
    nominations::NominationMutation,
    workstations::WorkstationMutation,
);

pub type SubgraphSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema's types and federation settings, without data: what the SDL is made of.
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    kexie_subgraph_kit::schema::builder(Query::default(), Mutation::default())
}

/// The schema over `pool`, with its batch loaders.
pub fn build(pool: PgPool) -> SubgraphSchema {
    builder()
        .data(loader(ByIdLoader::<WorkerRow>::new(pool.clone())))
        .data(loader(ByIdLoader::<HonorRow>::new(pool.clone())))
        .data(loader(ByIdLoader::<NominationRow>::new(pool.clone())))
        .data(loader(HonorsOfWorker(pool.clone())))
        .data(loader(NominationsOfWorker(pool.clone())))
        .data(loader(WorkstationsOfWorker(pool.clone())))
        .data(loader(ResidentsOfWorkstation(pool.clone())))
        .data(loader(HistoryLoader(pool.clone())))
        .data(loader(PerUnitLoader(workers::WorkersOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(honors::HonorsOfUnit(pool.clone()))))
        .data(loader(PerUnitLoader(nominations::NominationsOfUnit(
            pool.clone(),
        ))))
        .data(loader(PerUnitLoader(workstations::WorkstationsOfUnit(
            pool.clone(),
        ))))
        .data(loader(PathLoader(pool.clone())))
        .data(loader(SubtreeFiguresLoader::<figures::TalentFigures>::new(
            pool.clone(),
        )))
        .data(pool)
        .finish()
}

/// Groups rows tagged with their owner's ID.
fn grouped<T>(rows: impl IntoIterator<Item = (Uuid, T)>) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = HashMap::new();
    for (owner, row) in rows {
        groups.entry(owner).or_default().push(row);
    }
    groups
}

/// Defines a loader of each owner's records: one query per batch of owners.
macro_rules! grouped_loader {
    ($(#[$doc:meta])* $name:ident, $row:ty, |$pool:ident, $ids:ident| $fetch:expr) => {
        $(#[$doc])*
        pub struct $name(PgPool);

        impl Loader<Uuid> for $name {
            type Value = Vec<$row>;
            type Error = async_graphql::Error;

            async fn load(&self, $ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<$row>>, Self::Error> {
                let $pool = &self.0;
                Ok(grouped($fetch.await.map_err(ApiError::from)?))
            }
        }
    };
}

grouped_loader!(
    /// `Worker.honors`.
    HonorsOfWorker,
    db::honors::HonorRow,
    |pool, ids| async {
        db::honors::of_workers(pool, ids)
            .await
            .map(|rows| rows.into_iter().map(|row| (row.worker_id, row)))
    }
);
grouped_loader!(
    /// `Worker.nominations`.
    NominationsOfWorker,
    db::nominations::NominationRow,
    |pool, ids| async {
        db::nominations::of_workers(pool, ids)
            .await
            .map(|rows| rows.into_iter().map(|row| (row.worker_id, row)))
    }
);
grouped_loader!(
    /// `Worker.workstations`.
    WorkstationsOfWorker,
    db::workstations::WorkstationRow,
    |pool, ids| db::workstations::of_residents(pool, ids)
);
grouped_loader!(
    /// `Workstation.residentExperts`.
    ResidentsOfWorkstation,
    db::workers::WorkerRow,
    |pool, ids| db::workstations::residents(pool, ids)
);

/// The longest note on a workflow step.
const MAX_NOTE: usize = 1000;

/// A list on a `Unit` takes its unit from the entity and its scope from the field's own
/// `includeSubtree` argument; the same settings inside the filter would contradict them.
fn refuse_unit_filter(unit_id: Option<&ID>, include_subtree: Option<bool>) -> ApiResult<()> {
    if unit_id.is_some() {
        return Err(ApiError::validation(
            "filter.unitId",
            kexie_subgraph_kit::text!(
                "is implied by the unit this list hangs on; leave it out",
                "已由本列表所属的组织确定，请省略"
            ),
        ));
    }
    if include_subtree.is_some() {
        return Err(ApiError::validation(
            "filter.includeSubtree",
            kexie_subgraph_kit::text!(
                "is set by the list's own includeSubtree argument; leave it out",
                "已由列表自身的 includeSubtree 参数确定，请省略"
            ),
        ));
    }
    Ok(())
}

/// A workflow step's optional note.
fn note(note: Option<&str>) -> ApiResult<Option<String>> {
    validate::optional_text("note", note, MAX_NOTE)
}

/// Requires `unit_id` to be known to the replicated tree (any status): references such as
/// the unit that conferred an old honor may name units merged away since.
async fn require_known_unit(pool: &PgPool, field: &str, unit_id: Uuid) -> ApiResult<()> {
    let known = kexie_subgraph_kit::unit_tree::replicated_units(pool, &[unit_id]).await?;
    if known.contains_key(&unit_id) {
        Ok(())
    } else {
        Err(ApiError::NotFound {
            entity: "Unit",
            id: format!("{unit_id} ({field})"),
        })
    }
}

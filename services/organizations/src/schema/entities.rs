//! The entities this subgraph owns, as the gateway resolves them by key: `Unit`, which the
//! other subgraphs extend with their lists and figures, and `Target`, whose actual figures
//! the measuring subgraphs report (`@requires`).

use async_graphql::{Context, Object, ID};

use kexie_subgraph_kit::id::parse_id;
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::ApiResult;

use super::targets::readable;
use crate::db::targets::{ReportedActuals, TargetRow};
use crate::db::units::UnitRow;

/// The entity resolvers: one batch query per `_entities` call.
#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    #[graphql(entity)]
    async fn find_unit_by_id(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<UnitRow>> {
        load_by_id::<UnitRow>(ctx, parse_id("id", &id)?).await
    }

    /// The target entity, with the actual figures the measuring subgraphs report for it.
    /// Visible as `target`.
    #[graphql(entity)]
    async fn find_target_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        talent_actual: Option<i32>,
        popularization_actual: Option<i32>,
        advice_actual: Option<i32>,
        innovation_actual: Option<i32>,
    ) -> ApiResult<Option<TargetRow>> {
        let target = readable(
            ctx,
            load_by_id::<TargetRow>(ctx, parse_id("id", &id)?).await?,
        )
        .await?;
        Ok(target.map(|target| TargetRow {
            reported: ReportedActuals {
                talent: talent_actual,
                popularization: popularization_actual,
                advice: advice_actual,
                innovation: innovation_actual,
            },
            ..target
        }))
    }
}

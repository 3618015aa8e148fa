//! `Target` (owned by organizations) as this subgraph extends it: the actual figure of the
//! metrics talent measures, counted from its own records over the target unit's subtree.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, ID};
use sqlx::PgPool;

use kexie_contract::telemetry::spawn_in_current_span;
use kexie_subgraph_kit::access::Need;
use kexie_subgraph_kit::figures::count;
use kexie_subgraph_kit::id::parse_id;
use kexie_subgraph_kit::target::{MeasuredBy, TargetKey, TargetMetric};
use kexie_subgraph_kit::unit_tree::TreeCatchUp;
use kexie_subgraph_kit::{ApiError, ApiResult};

use super::pool;
use crate::db;
use crate::policy::require_on;

/// A target of the work ledger (工作台账), with what organizations tells about it.
pub struct Target {
    id: ID,
    key: TargetKey,
    actuals: Arc<DataLoader<ActualLoader>>,
}

#[Object]
impl Target {
    async fn id(&self) -> &ID {
        &self.id
    }
    #[graphql(external)]
    async fn unit_id(&self) -> ID {
        ID(self.key.unit_id.to_string())
    }
    #[graphql(external)]
    async fn year(&self) -> i32 {
        self.key.year
    }
    #[graphql(external)]
    async fn metric(&self) -> TargetMetric {
        self.key.metric
    }

    /// The actual figure of a metric talent measures (see `TargetMetric`) over the target
    /// unit's subtree in the target's year; null for the metrics other subgraphs measure.
    /// Only for those who may read the target unit's subtree-only data (staff, admins and
    /// leadership of the unit or a unit above it, the city admin): `FORBIDDEN` for anyone
    /// else.
    #[graphql(requires = "unitId year metric")]
    async fn talent_actual(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        require_on(ctx, Need::ReadSubtree, self.key.unit_id).await?;
        if self.key.metric.measured_by() != MeasuredBy::Talent {
            return Ok(None);
        }
        let actual = self
            .actuals
            .load_one(self.key)
            .await
            .map_err(|err| ApiError::internal(err.message))?
            .ok_or_else(|| ApiError::not_found("Unit", self.key.unit_id))?;
        Ok(Some(count(actual)))
    }
}

/// The target entity resolver. It keeps the batch loader of actual figures itself (made on
/// first use from the schema's pool), so that one `_entities` call counts all its targets
/// in one statement and the schema needs nothing else to serve targets.
#[derive(Default)]
pub struct TargetQuery {
    actuals: OnceLock<Arc<DataLoader<ActualLoader>>>,
}

#[Object]
impl TargetQuery {
    #[graphql(entity)]
    async fn find_target_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        unit_id: ID,
        year: i32,
        metric: TargetMetric,
    ) -> ApiResult<Target> {
        let pool = pool(ctx)?;
        let actuals = self.actuals.get_or_init(|| {
            let loader = ActualLoader {
                pool: pool.clone(),
                catch_up: ctx.data_opt::<TreeCatchUp>().cloned(),
            };
            Arc::new(DataLoader::new(loader, spawn_in_current_span))
        });
        Ok(Target {
            id,
            key: TargetKey {
                unit_id: parse_id("unitId", &unit_id)?,
                year,
                metric,
            },
            actuals: actuals.clone(),
        })
    }
}

/// Actual figures by target: one statement per batch, computed once the replicated tree
/// holds the last published change (waited for once per batch rather than per target, so
/// that the targets of one `_entities` call reach the loader together).
pub struct ActualLoader {
    pool: PgPool,
    catch_up: Option<TreeCatchUp>,
}

impl Loader<TargetKey> for ActualLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TargetKey]) -> Result<HashMap<TargetKey, i64>, Self::Error> {
        if let Some(catch_up) = &self.catch_up {
            catch_up.wait().await;
        }
        Ok(db::targets::target_actuals(&self.pool, keys)
            .await
            .map_err(ApiError::from)?)
    }
}

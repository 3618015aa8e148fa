//! Workflow histories as clients see them.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, SimpleObject};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_shared::{ApiError, ApiResult};

use super::data;
use crate::db;

/// One step of a record's workflow: from which status to which, who made it, when, and
/// the note given. The same value type appears in every subgraph that keeps workflows,
/// hence shareable.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(shareable)]
pub struct StatusChange {
    /// The status before; absent for the record's creation.
    pub from_status: Option<String>,
    pub to_status: String,
    /// Who made the change.
    pub actor: String,
    pub note: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// Histories by record ID: one query per batch, so a page of submissions does not ask
/// once per submission.
pub struct HistoryLoader(pub PgPool);

impl Loader<Uuid> for HistoryLoader {
    type Value = Vec<StatusChange>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = db::history::of(&self.0, ids)
            .await
            .map_err(ApiError::from)?;
        let mut histories: HashMap<Uuid, Vec<StatusChange>> = HashMap::new();
        for row in rows {
            histories
                .entry(row.entity_id)
                .or_default()
                .push(StatusChange {
                    from_status: row.from_status,
                    to_status: row.to_status,
                    actor: row.actor,
                    note: row.note,
                    changed_at: row.changed_at,
                });
        }
        Ok(histories)
    }
}

/// The history of one record, oldest first.
pub async fn of(ctx: &Context<'_>, entity_id: Uuid) -> ApiResult<Vec<StatusChange>> {
    Ok(data::<DataLoader<HistoryLoader>>(ctx)?
        .load_one(entity_id)
        .await
        .map_err(|err| ApiError::internal(err.message))?
        .unwrap_or_default())
}

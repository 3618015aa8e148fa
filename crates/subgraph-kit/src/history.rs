//! Workflow history: every status change of every workflow record, with who, when and a
//! note. Each subgraph keeps its own `status_change` table (created by its first migration).

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, SimpleObject};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};

/// One step of a record's workflow. Shareable: every subgraph with workflows serves it.
#[derive(Clone, Debug, SimpleObject, sqlx::FromRow)]
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

/// Records a status change inside the caller's transaction.
pub async fn record(
    conn: &mut PgConnection,
    entity_id: Uuid,
    from_status: Option<&str>,
    to_status: &str,
    actor: &Actor,
    note: Option<&str>,
) -> ApiResult<()> {
    sqlx::query(
        "insert into status_change (status_change_id, entity_id, from_status, to_status, actor, note)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(crate::id::new_id())
    .bind(entity_id)
    .bind(from_status)
    .bind(to_status)
    .bind(&actor.subject)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

/// Histories by record ID, one query per batch: a page of records does not ask once per
/// record. Every subgraph with workflows puts one in its schema data.
pub struct HistoryLoader(pub PgPool);

impl Loader<Uuid> for HistoryLoader {
    type Value = Vec<StatusChange>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        #[derive(sqlx::FromRow)]
        struct Keyed {
            entity_id: Uuid,
            #[sqlx(flatten)]
            change: StatusChange,
        }
        let rows: Vec<Keyed> = sqlx::query_as(
            "select entity_id, from_status, to_status, actor, note, changed_at
             from status_change where entity_id = any($1)
             order by entity_id, changed_at, status_change_id",
        )
        .bind(ids)
        .fetch_all(&self.0)
        .await
        .map_err(ApiError::from)?;
        let mut histories: HashMap<Uuid, Vec<StatusChange>> = HashMap::new();
        for row in rows {
            histories.entry(row.entity_id).or_default().push(row.change);
        }
        Ok(histories)
    }
}

/// The history of one record, oldest first, through the schema's [`HistoryLoader`].
pub async fn of(ctx: &Context<'_>, entity_id: Uuid) -> ApiResult<Vec<StatusChange>> {
    let loader = ctx
        .data::<DataLoader<HistoryLoader>>()
        .map_err(|_| ApiError::internal("the schema has no history loader"))?;
    Ok(loader
        .load_one(entity_id)
        .await
        .map_err(|err| ApiError::internal(err.message))?
        .unwrap_or_default())
}

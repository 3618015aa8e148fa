//! Workflow history: every status change of every workflow record, with who, when and a
//! note. Each subgraph keeps its own `status_change` table (created by its first migration).

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::actor::Actor;
use crate::error::ApiResult;

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

/// The whole history of one record, oldest first.
pub async fn of(pool: &PgPool, entity_id: Uuid) -> ApiResult<Vec<StatusChange>> {
    Ok(sqlx::query_as::<_, StatusChange>(
        "select from_status, to_status, actor, note, changed_at
         from status_change where entity_id = $1
         order by changed_at, status_change_id",
    )
    .bind(entity_id)
    .fetch_all(pool)
    .await?)
}

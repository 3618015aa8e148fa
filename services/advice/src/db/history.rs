//! Workflow histories, for many records at once.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// One status change of one record.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StatusChangeRow {
    pub entity_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    pub note: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// The histories of the given records, each oldest first.
pub async fn of(pool: &PgPool, entity_ids: &[Uuid]) -> sqlx::Result<Vec<StatusChangeRow>> {
    sqlx::query_as(
        "select entity_id, from_status, to_status, actor, note, changed_at
         from status_change where entity_id = any($1)
         order by entity_id, changed_at, status_change_id",
    )
    .bind(entity_ids)
    .fetch_all(pool)
    .await
}

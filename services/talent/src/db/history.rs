//! Workflow histories of many records at once (a page of nominations with their histories
//! is one query, not one per nomination).

use kexie_shared::history::StatusChange;
use sqlx::PgPool;
use uuid::Uuid;

/// Every status change of each of `entity_ids`, oldest first.
pub async fn of(pool: &PgPool, entity_ids: &[Uuid]) -> sqlx::Result<Vec<(Uuid, StatusChange)>> {
    #[derive(sqlx::FromRow)]
    struct Change {
        entity_id: Uuid,
        #[sqlx(flatten)]
        change: StatusChange,
    }
    let rows: Vec<Change> = sqlx::query_as(
        "select entity_id, from_status, to_status, actor, note, changed_at
         from status_change where entity_id = any($1)
         order by changed_at, status_change_id",
    )
    .bind(entity_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.entity_id, row.change))
        .collect())
}

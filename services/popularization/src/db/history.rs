//! Workflow history (`status_change`, kept by `kexie_shared::history::record`), read for
//! many records at once.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// One step of a venue's or an activity's workflow.
#[derive(Clone, Debug, sqlx::FromRow, async_graphql::SimpleObject)]
// Organizations, talent and advice expose the same type: shareable, so that federation
// composes it from any of them.
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

/// The histories of `entity_ids`, each oldest first.
pub async fn of(pool: &PgPool, entity_ids: &[Uuid]) -> sqlx::Result<Vec<(Uuid, StatusChange)>> {
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
    .bind(entity_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.entity_id, row.change))
        .collect())
}

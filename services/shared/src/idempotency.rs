//! Idempotency keys for creates: a client (typically a partner bureau's integration) that
//! retries a create with the same key gets the first result back and nothing new is written.
//! Keys are scoped by mutation and actor, so two partners cannot collide.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::validate;

/// The outcome of claiming a key inside the create's transaction.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// No key was given, or it is new: go on and create the record with the claimed ID.
    New,
    /// The key was used before: return this record and write nothing.
    Existing(Uuid),
}

/// Claims `key` for `record_id` within the caller's transaction. A concurrent claim of the
/// same key waits for the first transaction and then sees its record.
pub async fn claim(
    conn: &mut PgConnection,
    scope: &str,
    actor: &Actor,
    key: Option<&str>,
    record_id: Uuid,
) -> ApiResult<Claim> {
    let Some(key) = key else {
        return Ok(Claim::New);
    };
    let key = validate::text("idempotencyKey", key, 200)?;
    let inserted = sqlx::query_scalar::<_, Uuid>(
        "insert into idempotency_key (scope, actor, key, record_id)
         values ($1, $2, $3, $4)
         on conflict do nothing
         returning record_id",
    )
    .bind(scope)
    .bind(&actor.subject)
    .bind(&key)
    .bind(record_id)
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() {
        return Ok(Claim::New);
    }
    let existing = sqlx::query_scalar::<_, Uuid>(
        "select record_id from idempotency_key where scope = $1 and actor = $2 and key = $3",
    )
    .bind(scope)
    .bind(&actor.subject)
    .bind(&key)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Claim::Existing(existing))
}

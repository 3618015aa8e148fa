//! The numbered log of tree changes that the publisher sends to the other subgraphs.

use sqlx::types::Json;
use sqlx::PgConnection;

use kexie_subgraph_kit::unit_tree::ReplicatedUnit;

/// Serializes every change of the tree (and lets them be numbered without gaps in commit
/// order). Held until the transaction ends.
const TREE_LOCK: i64 = 0x6b65_7869_6574_7265; // "kexietre"

/// Takes the tree lock for the rest of the transaction: writers exclusively.
pub async fn lock(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(TREE_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the tree lock shared: readers that need the tree and its sequence to agree.
pub async fn lock_shared(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock_shared($1)")
        .bind(TREE_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends the next event (the caller holds the tree lock); returns its number.
pub async fn append(conn: &mut PgConnection, units: &[ReplicatedUnit]) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "insert into unit_event (seq, units)
         select coalesce(max(seq), 0) + 1, $1 from unit_event
         returning seq",
    )
    .bind(Json(units))
    .fetch_one(conn)
    .await
}

pub async fn last_seq(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("select coalesce(max(seq), 0) from unit_event")
        .fetch_one(conn)
        .await
}

/// Events after `seq`, oldest first, at most `limit`.
pub async fn events_after(
    conn: &mut PgConnection,
    seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<(i64, Vec<ReplicatedUnit>)>> {
    let rows: Vec<(i64, Json<Vec<ReplicatedUnit>>)> =
        sqlx::query_as("select seq, units from unit_event where seq > $1 order by seq limit $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, Json(units))| (seq, units))
        .collect())
}

//! The figure ledger during a seed: its triggers stand aside while a subgraph's records go
//! in, and the ledger is built once from all of them at the end of the same transaction
//! (`figure_refresh_all()`, see the figure_subtree migration), on the unit tree as
//! organizations publishes it.

use kexie_subgraph_kit::unit_tree::ReplicatedUnit;
use sqlx::PgConnection;

/// Lets the rest of the transaction write records without keeping the ledger as it goes,
/// and without webhook events: a demo city being written is nobody's news.
pub async fn defer(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query(
        "select set_config('kexie.defer_figures', 'on', true), set_config('kexie.outbox', 'off', true)",
    )
        .execute(tx)
        .await
        .map(drop)
}

/// Writes the replicated unit tree as organizations will publish it, so that the ledger is
/// built on it (the replica, still unnumbered, takes organizations' snapshot when the
/// subgraph starts: nothing there differs, so nothing moves).
pub async fn replicate_tree(tx: &mut PgConnection, units: &[ReplicatedUnit]) -> sqlx::Result<()> {
    kexie_subgraph_kit::unit_tree::upsert(tx, units).await
}

/// Builds the ledger from every record and the tree, and lets triggers keep it again.
pub async fn build(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("select set_config('kexie.defer_figures', 'off', true), figure_refresh_all()")
        .execute(tx)
        .await
        .map(drop)
}

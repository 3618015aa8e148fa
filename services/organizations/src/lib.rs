//! The organizations subgraph: units of the association tree (市 → 区/县 → 乡镇/街道, with
//! base organizations beside that line), their terms of office, leadership roles and
//! targets. It owns `Unit @key(fields: "id")` and publishes every change of the tree to
//! the other subgraphs.

pub mod db;
pub mod domain;
pub mod publisher;
pub mod schema;
pub mod seed;

use anyhow::Context as _;
use async_graphql::{EmptySubscription, SDLExportOptions};
use sqlx::PgPool;

use kexie_shared::config::SubgraphConfig;
use kexie_shared::server::SubgraphApp;
use kexie_shared::unit_tree::TreeKeys;

pub use schema::{SubgraphSchema, TreeChanged};

pub const NAME: &str = "organizations";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4001";

/// Connects, migrates, builds the schema, starts the tree publisher and binds.
pub async fn build(config: &SubgraphConfig) -> anyhow::Result<SubgraphApp> {
    let pool = kexie_shared::db::connect(&config.database_url, NAME).await?;
    migrate(&pool).await?;
    let tree_changed = TreeChanged::default();
    let publisher = tokio::spawn(publisher::run(
        pool.clone(),
        config.redis_url.clone(),
        TreeKeys::new(&config.redis_namespace),
        tree_changed.0.clone(),
    ));
    let router =
        kexie_shared::server::router(NAME, schema::build(pool.clone(), tree_changed), pool);
    SubgraphApp::bind(config.listen, router, vec![publisher]).await
}

/// The schema over `pool`, for callers that serve it themselves.
pub fn schema(pool: PgPool) -> SubgraphSchema {
    schema::build(pool, TreeChanged::default())
}

/// The subgraph's SDL for composition; needs no database.
pub fn sdl() -> String {
    SubgraphSchema::build(
        schema::Query::default(),
        schema::Mutation::default(),
        EmptySubscription,
    )
    .enable_federation()
    .finish()
    .sdl_with_options(SDLExportOptions::new().federation())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../../migrations/organizations")
        .run(pool)
        .await
        .context("Failed to apply the organizations migrations")
}

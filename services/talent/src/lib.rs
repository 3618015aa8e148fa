//! The talent subgraph: serving S&T workers (服务科技工作者). It owns the `Worker` entity
//! (科技工作者) that other subgraphs reference, their honors (荣誉), the nominations units
//! make for honors (举荐), and expert workstations (工作站) with their resident experts; and
//! it extends `Unit` with each unit's lists of them.

pub mod db;
pub mod domain;
pub mod policy;
pub mod schema;
pub mod seed;

use anyhow::Context as _;
use async_graphql::SDLExportOptions;
use sqlx::PgPool;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::SubgraphApp;

pub use schema::{Mutation, Query, SubgraphSchema};

pub const NAME: &str = "talent";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4002";

/// Connects, migrates, builds the schema, starts the unit-tree replica and binds.
pub async fn build(config: &SubgraphConfig) -> anyhow::Result<SubgraphApp> {
    let pool = kexie_subgraph_kit::db::connect(&config.database_url, NAME).await?;
    migrate(&pool).await?;
    kexie_subgraph_kit::server::bind_replicating_subgraph(NAME, config, pool.clone(), schema(pool))
        .await
}

/// The schema over `pool`, with its batch loaders; for callers that serve it themselves.
pub fn schema(pool: PgPool) -> SubgraphSchema {
    schema::build(pool)
}

/// The subgraph's SDL for composition; needs no database.
pub fn sdl() -> String {
    schema::builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../../migrations/talent")
        .run(pool)
        .await
        .context("Failed to apply the talent migrations")
}

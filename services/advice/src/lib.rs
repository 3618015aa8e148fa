//! The advice subgraph: serving Party and government decisions (建言献策, 决策咨询).
//! Campaigns (征集活动) collect advice from S&T workers; submissions (建议) go through
//! "征集、提炼、报送" (collect, refine, forward) up to a leader's instruction (批示) and
//! adoption; research topics (调研课题) end in consultation reports (决策咨询报告), the
//! outstanding ones awarded. It extends `Unit` (organizations) and `Worker` (talent).

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

pub const NAME: &str = "advice";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4004";

/// Connects, migrates, builds the schema, starts the unit-tree replica and binds.
pub async fn build(config: &SubgraphConfig) -> anyhow::Result<SubgraphApp> {
    let pool = kexie_subgraph_kit::db::connect(&config.database_url, NAME).await?;
    migrate(&pool).await?;
    kexie_subgraph_kit::server::bind_replicating_subgraph(NAME, config, pool.clone(), schema(pool))
        .await
}

/// The schema over `pool`, with its batch loaders; federation enabled.
pub fn schema(pool: PgPool) -> SubgraphSchema {
    schema::build(pool)
}

/// The subgraph's SDL for composition. The types do not depend on the data, so this needs
/// no database.
pub fn sdl() -> String {
    schema::builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../../migrations/advice")
        .run(pool)
        .await
        .context("Failed to apply the advice migrations")
}

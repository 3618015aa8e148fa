//! The advice subgraph: serving Party and government decisions (建言献策, 决策咨询).
//! Campaigns (征集活动) collect advice from S&T workers; submissions (建议) go through
//! "征集、提炼、报送" (collect, refine, forward) up to a leader's instruction (批示) and
//! adoption; research topics (调研课题) end in consultation reports (决策咨询报告), the
//! outstanding ones awarded. It extends `Unit` (organizations) and `Worker` (talent).

pub mod db;
pub mod domain;
pub mod policy;
pub mod schema;

use sqlx::migrate::Migrator;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::SubgraphApp;
use kexie_subgraph_kit::subgraph::Subgraph;

/// The subgraph's name, also its PostgreSQL schema.
pub const NAME: &str = "advice";

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/advice");

/// The advice subgraph, as the kit builds and runs it.
pub const SUBGRAPH: Subgraph = Subgraph {
    name: NAME,
    default_listen: "127.0.0.1:4004",
    migrations: &MIGRATIONS,
};

/// Connects, migrates, builds the schema, starts the unit-tree replica and binds.
pub async fn build(config: &SubgraphConfig) -> anyhow::Result<SubgraphApp> {
    SUBGRAPH.build_replicating(config, schema::build).await
}

/// The subgraph's Federation v2 SDL for composition; needs no database.
pub fn sdl() -> String {
    kexie_subgraph_kit::schema::federation_sdl(schema::builder())
}

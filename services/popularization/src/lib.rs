//! The popularization subgraph: raising public scientific literacy (提高全民科学素质).
//! Venues (科普阵地: science museums, campus museums, community halls, popularization
//! bases, demonstration communities and rural bases, homes of S&T workers, online channels)
//! and popularization activities (科普活动) with their organizers, partner bureaus,
//! audiences and reach. It extends `Unit` (owned by organizations) with each unit's venues
//! and activities, answering subtree lists from its replicated copy of the unit tree.

pub mod db;
pub mod domain;
pub mod policy;
pub mod schema;

use sqlx::migrate::Migrator;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::SubgraphApp;
use kexie_subgraph_kit::subgraph::Subgraph;

/// The subgraph's name, also its PostgreSQL schema.
pub const NAME: &str = "popularization";

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/popularization");

/// The popularization subgraph, as the kit builds and runs it.
pub const SUBGRAPH: Subgraph = Subgraph {
    name: NAME,
    default_listen: "127.0.0.1:4003",
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

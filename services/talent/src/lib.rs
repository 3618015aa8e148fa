//! The talent subgraph: serving S&T workers (服务科技工作者). It owns the `Worker` entity
//! (科技工作者) that other subgraphs reference, their honors (荣誉), the nominations units
//! make for honors (举荐), and expert workstations (工作站) with their resident experts; and
//! it extends `Unit` with each unit's lists of them.

pub mod db;
pub mod domain;
pub mod policy;
pub mod schema;

use sqlx::migrate::Migrator;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::SubgraphApp;
use kexie_subgraph_kit::subgraph::Subgraph;

/// The subgraph's name, also its PostgreSQL schema.
pub const NAME: &str = "talent";

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/talent");

/// The talent subgraph, as the kit builds and runs it.
pub const SUBGRAPH: Subgraph = Subgraph {
    name: NAME,
    default_listen: "127.0.0.1:4002",
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

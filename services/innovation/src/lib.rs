//! The innovation subgraph: serving innovation-driven development (为创新驱动发展服务, 科创
//! 中国). Enterprises publish technology needs (企业技术需求); universities, societies and
//! S&T workers offer scientific results (科技成果); the associations broker matches between
//! them (供需对接) down to the contract signed and the result put to use (成果转化). It
//! extends `Unit` (organizations) and `Worker` (talent).

pub mod db;
pub mod domain;
pub mod policy;
pub mod schema;

use sqlx::migrate::Migrator;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::SubgraphApp;
use kexie_subgraph_kit::subgraph::Subgraph;

/// The subgraph's name, also its PostgreSQL schema.
pub const NAME: &str = "innovation";

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/innovation");

/// The innovation subgraph, as the kit builds and runs it.
pub const SUBGRAPH: Subgraph = Subgraph {
    name: NAME,
    default_listen: "127.0.0.1:4005",
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

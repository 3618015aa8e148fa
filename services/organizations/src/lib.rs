//! The organizations subgraph: units of the association tree (市 → 区/县 → 乡镇/街道, with
//! base organizations beside that line), their terms of office, leadership roles and
//! targets. It owns `Unit @key(fields: "id")` and publishes every change of the tree to
//! the other subgraphs. It also keeps the partner bureaus' API keys and the log of their
//! calls, which the gateway checks and fills through [`internal`] endpoints.

pub mod db;
pub mod domain;
pub mod internal;
pub mod policy;
pub mod publisher;
pub mod schema;

use sqlx::migrate::Migrator;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::rollup::DataVersion;
use kexie_subgraph_kit::server::{SubgraphApp, SubgraphRouter};
use kexie_subgraph_kit::subgraph::Subgraph;
use kexie_subgraph_kit::unit_tree::TreeKeys;

use schema::TreeChanged;

/// The subgraph's name, also its PostgreSQL schema.
pub const NAME: &str = "organizations";

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/organizations");

/// The organizations subgraph, as the kit builds and runs it.
pub const SUBGRAPH: Subgraph = Subgraph {
    name: NAME,
    default_listen: "127.0.0.1:4001",
    migrations: &MIGRATIONS,
};

/// Connects, migrates, builds the schema, starts the tree publisher and binds.
pub async fn build(config: &SubgraphConfig) -> anyhow::Result<SubgraphApp> {
    let pool = SUBGRAPH.connect_and_migrate(config).await?;
    let keys = TreeKeys::new(&config.redis_namespace);
    let tree_changed = TreeChanged::default();
    let version = DataVersion::new(
        pool.clone(),
        &config.redis_url,
        &config.redis_namespace,
        NAME,
    );
    let publish =
        publisher::publish_before_acknowledging(pool.clone(), &config.redis_url, keys.clone())?;
    let background = vec![
        tokio::spawn(publisher::run(
            pool.clone(),
            config.redis_url.clone(),
            keys,
            tree_changed.0.clone(),
        )),
        tokio::spawn(version.clone().renew_forever()),
    ];
    let stop: Vec<_> = background.iter().map(|task| task.abort_handle()).collect();
    let router = SubgraphRouter::new(
        schema::build(pool.clone(), tree_changed),
        pool.clone(),
        config.principal_secret.clone(),
    )
    .subgraph(NAME)
    .internal_routes(internal::routes(pool, config.principal_secret.clone()))
    .after_mutation(publish)
    .data_version(version)
    .build();
    SubgraphApp::bind(config.listen, router, background)
        .await
        .inspect_err(|_| stop.iter().for_each(|task| task.abort()))
}

/// The subgraph's Federation v2 SDL for composition; needs no database.
pub fn sdl() -> String {
    kexie_subgraph_kit::schema::federation_sdl(schema::builder())
}

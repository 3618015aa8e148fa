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
pub mod webhooks;

use sqlx::migrate::Migrator;

use std::sync::Arc;

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::outbox::{run_relay, RelayCollector, RelayStats};
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

/// Connects, migrates, builds the schema, starts the tree publisher, the webhook relay,
/// intake and deliverer (settings from the environment) and binds.
pub async fn build(config: &SubgraphConfig) -> anyhow::Result<SubgraphApp> {
    build_with(config, webhooks::DeliverySettings::from_env()?).await
}

/// [`build`] with the given webhook delivery settings.
pub async fn build_with(
    config: &SubgraphConfig,
    delivery: webhooks::DeliverySettings,
) -> anyhow::Result<SubgraphApp> {
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
    let relay = Arc::new(RelayStats::default());
    let webhook_stats = webhooks::Stats::default();
    let mut background = vec![
        tokio::spawn(publisher::run(
            pool.clone(),
            config.redis_url.clone(),
            keys,
            tree_changed.0.clone(),
        )),
        tokio::spawn(version.clone().renew_forever()),
        tokio::spawn(run_relay(
            pool.clone(),
            config.redis_url.clone(),
            config.redis_namespace.clone(),
            NAME,
            relay.clone(),
        )),
    ];
    background.extend(webhooks::spawn(
        &pool,
        &config.redis_url,
        &config.redis_namespace,
        delivery.clone(),
        &webhook_stats,
    ));
    let stop: Vec<_> = background.iter().map(|task| task.abort_handle()).collect();
    let router = SubgraphRouter::new(
        schema::build(pool.clone(), tree_changed, delivery),
        pool.clone(),
        config.principal_secret.clone(),
    )
    .subgraph(NAME)
    .internal_routes(internal::routes(pool, config.principal_secret.clone()))
    .after_mutation(publish)
    .data_version(version)
    .collector(RelayCollector(relay))
    .collector(webhooks::StatsCollector(webhook_stats))
    .build();
    SubgraphApp::bind(config.listen, router, background)
        .await
        .inspect_err(|_| stop.iter().for_each(|task| task.abort()))
}

/// The subgraph's Federation v2 SDL for composition; needs no database.
pub fn sdl() -> String {
    kexie_subgraph_kit::schema::federation_sdl(schema::builder())
}

//! What a subgraph crate declares about itself ([`Subgraph`]: its name, default address and
//! migrations) and the steps every subgraph process takes with it, written once: connect
//! and migrate, start the unit-tree replica and bind ([`Subgraph::build_replicating`]),
//! and the binary's `main` ([`Subgraph::main`]). The binary, the all-in-one `kexie serve`
//! and the tests all build a subgraph the same way.

use anyhow::Context as _;
use async_graphql::Executor;
use sqlx::migrate::Migrator;
use sqlx::PgPool;

use std::sync::Arc;

use crate::config::SubgraphConfig;
use crate::outbox::{run_relay, RelayCollector, RelayStats};
use crate::rollup::DataVersion;
use crate::server::{SubgraphApp, SubgraphRouter};
use crate::unit_tree::{run_replica, TreeCatchUp, TreeKeys};

/// A subgraph of the hub, as its crate declares it (`pub const SUBGRAPH: Subgraph`).
pub struct Subgraph {
    /// Also its PostgreSQL schema, the stem of its SDL file and the prefix of its listen
    /// address variable (`TALENT_LISTEN`).
    pub name: &'static str,
    /// Where it serves unless `<NAME>_LISTEN` says otherwise.
    pub default_listen: &'static str,
    /// Its migrations (`sqlx::migrate!("../../migrations/<name>")`).
    pub migrations: &'static Migrator,
}

impl Subgraph {
    /// Its configuration from the environment (`<NAME>_LISTEN` and the shared variables).
    pub fn config_from_env(&self) -> anyhow::Result<SubgraphConfig> {
        SubgraphConfig::from_env(self.name, self.default_listen)
    }

    /// A pool on `database_url` whose connections see this subgraph's schema.
    pub async fn connect(&self, database_url: &str) -> anyhow::Result<PgPool> {
        crate::db::connect(database_url, self.name).await
    }

    /// Applies the subgraph's migrations.
    pub async fn migrate(&self, pool: &PgPool) -> anyhow::Result<()> {
        self.migrations
            .run(pool)
            .await
            .with_context(|| format!("Failed to apply the {} migrations", self.name))
    }

    /// Connects to the configured database and applies the migrations.
    pub async fn connect_and_migrate(&self, config: &SubgraphConfig) -> anyhow::Result<PgPool> {
        let pool = self.connect(&config.database_url).await?;
        self.migrate(&pool).await?;
        Ok(pool)
    }

    /// Builds a subgraph that keeps a replica of the unit tree (talent, popularization,
    /// advice): connects, migrates, builds its schema over the pool, and binds it with the
    /// replica, the data version advanced after its writes and tree changes with its lease
    /// renewed, and rollups that wait for the replica to catch up.
    pub async fn build_replicating<E: Executor + Clone>(
        &self,
        config: &SubgraphConfig,
        schema: impl FnOnce(PgPool) -> E,
    ) -> anyhow::Result<SubgraphApp> {
        let pool = self.connect_and_migrate(config).await?;
        let keys = TreeKeys::new(&config.redis_namespace);
        let version = DataVersion::new(
            pool.clone(),
            &config.redis_url,
            &config.redis_namespace,
            self.name,
        );
        let catch_up = TreeCatchUp::new(pool.clone(), &config.redis_url, keys.clone())?;
        let relay = Arc::new(RelayStats::default());
        let background = vec![
            tokio::spawn(run_replica(
                pool.clone(),
                config.redis_url.clone(),
                keys,
                version.clone(),
            )),
            tokio::spawn(version.clone().renew_forever()),
            tokio::spawn(run_relay(
                pool.clone(),
                config.redis_url.clone(),
                config.redis_namespace.clone(),
                self.name,
                relay.clone(),
            )),
        ];
        // Without a listener the tasks have nobody to serve: stop them rather than leak them.
        let stop: Vec<_> = background.iter().map(|task| task.abort_handle()).collect();
        let router =
            SubgraphRouter::new(schema(pool.clone()), pool, config.principal_secret.clone())
                .subgraph(self.name)
                .data_version(version)
                .tree_catch_up(catch_up)
                .collector(RelayCollector(relay))
                .build();
        SubgraphApp::bind(config.listen, router, background)
            .await
            .inspect_err(|_| stop.iter().for_each(|task| task.abort()))
    }

    /// The `main` of the subgraph's binary: telemetry, the configuration from the
    /// environment, then `<binary> migrate` only applies the migrations, and without an
    /// argument the subgraph is built with `build` and serves until the process is told to
    /// stop.
    pub async fn main(
        &self,
        build: impl AsyncFnOnce(&SubgraphConfig) -> anyhow::Result<SubgraphApp>,
    ) -> anyhow::Result<()> {
        kexie_contract::telemetry::init()?;
        let config = self.config_from_env()?;
        if std::env::args().nth(1).as_deref() == Some("migrate") {
            return self.connect_and_migrate(&config).await.map(drop);
        }
        build(&config)
            .await?
            .run_until(kexie_contract::shutdown::signal())
            .await
    }
}

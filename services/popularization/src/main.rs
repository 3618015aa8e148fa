//! `kexie-popularization`: serves the popularization subgraph; `kexie-popularization
//! migrate` only applies its migrations.

use kexie_popularization::{build, migrate, DEFAULT_LISTEN, NAME};
use kexie_shared::config::SubgraphConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kexie_shared::telemetry::init()?;
    let config = SubgraphConfig::from_env(NAME, DEFAULT_LISTEN)?;
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        let pool = kexie_shared::db::connect(&config.database_url, NAME).await?;
        return migrate(&pool).await;
    }
    build(&config)
        .await?
        .run_until(kexie_shared::server::shutdown_signal())
        .await
}

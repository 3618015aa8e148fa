//! `kexie-talent`: serves the talent subgraph; `kexie-talent migrate` only applies its
//! migrations.

use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_talent::{build, migrate, DEFAULT_LISTEN, NAME};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kexie_contract::telemetry::init()?;
    let config = SubgraphConfig::from_env(NAME, DEFAULT_LISTEN)?;
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        let pool = kexie_subgraph_kit::db::connect(&config.database_url, NAME).await?;
        return migrate(&pool).await;
    }
    build(&config)
        .await?
        .run_until(kexie_contract::shutdown::signal())
        .await
}

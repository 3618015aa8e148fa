//! `kexie-organizations`: serves the organizations subgraph; `kexie-organizations migrate`
//! only applies its migrations.

use kexie_organizations::{build, migrate, DEFAULT_LISTEN, NAME};
use kexie_subgraph_kit::config::SubgraphConfig;

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

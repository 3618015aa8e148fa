//! `kexie-gateway`: the federation gateway alone. Flags and environment variables are those
//! of [`kexie_gateway::GatewayArgs`].

use clap::Parser;

#[global_allocator]
static ALLOCATOR: kexie_gateway::allocator::Allocator = kexie_gateway::allocator::Allocator;

/// One GraphQL endpoint over the subgraphs of a Federation v2 supergraph.
#[derive(Parser)]
#[command(name = "kexie-gateway", version)]
struct Cli {
    #[command(flatten)]
    gateway: kexie_gateway::GatewayArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    kexie_contract::telemetry::init_as("kexie-gateway")?;
    let app = kexie_gateway::build(cli.gateway.into_config()?).await?;
    tracing::info!(port = app.port(), "gateway serving");
    let served = app.run_until(kexie_contract::shutdown::signal()).await;
    kexie_contract::telemetry::flush();
    served
}

//! `kexie serve`: the whole hub in one process.

use kexie_shared::config::{self, SubgraphConfig};
use kexie_shared::server::{shutdown_signal, ServerHandle};

use crate::seed::{self, SeedArgs};
use crate::subgraphs::Subgraph;

#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Do not load demo data into an empty database.
    #[arg(long, env = "KEXIE_NO_DEMO_DATA")]
    pub no_demo_data: bool,
    /// Scale of the demo data loaded into an empty database.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub demo_scale: u32,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let configs: Vec<(Subgraph, SubgraphConfig)> = Subgraph::ALL
        .iter()
        .map(|subgraph| Ok((*subgraph, subgraph.config_from_env()?)))
        .collect::<anyhow::Result<_>>()?;
    let shared = &configs[0].1;
    if !args.no_demo_data && seed::all_empty(&shared.database_url).await? {
        eprintln!("The database is empty: loading demo data (scale {}). Pass --no-demo-data to skip.", args.demo_scale);
        let seed_args = SeedArgs {
            scale: args.demo_scale,
            seed: 2026,
            reset: false,
            if_empty: true,
        };
        seed::run(&seed_args, &shared.database_url, &shared.redis_url, &shared.redis_namespace).await?;
    }
    let mut servers: Vec<(Subgraph, ServerHandle)> = Vec::new();
    for (subgraph, config) in &configs {
        let app = subgraph.build(config).await?;
        servers.push((*subgraph, app.spawn()));
    }
    eprintln!();
    eprintln!("Kexie Hub is running (database {}).", config::redact(&shared.database_url));
    for (subgraph, server) in &servers {
        eprintln!("  {:<15} http://127.0.0.1:{}/graphql", subgraph.name(), server.port);
    }
    eprintln!("Open a subgraph's address in a browser for GraphiQL. Ctrl-C stops the hub.");
    shutdown_signal().await;
    eprintln!("stopping …");
    for (_, server) in servers {
        server.stop().await;
    }
    Ok(())
}

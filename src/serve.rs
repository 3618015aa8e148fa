//! `kexie serve`: the whole hub in one process.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use uuid::Uuid;

use kexie_contract::principal::{staff_token, PrincipalSecret, Role};
use kexie_gateway::cockpit::{CockpitConfig, DemoSignIn};
use kexie_gateway::GatewayConfig;
use kexie_subgraph_kit::config::{self, SubgraphConfig};
use kexie_subgraph_kit::server::ServerHandle;

use crate::schema_files;
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
    /// Where the gateway listens: the hub's one endpoint.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,
    /// Cache rollup responses in Redis (fresh after every acknowledged write).
    #[arg(long, env = "GATEWAY_RESPONSE_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub response_cache: bool,
    /// The gateway's traffic: subgraph timeouts and sharing, forwarded headers, the request
    /// deadline, connection limits and where metrics are served.
    #[command(flatten)]
    pub traffic: kexie_gateway::TrafficArgs,
    /// The gateway's authentication, abuse limits and trusted documents.
    #[command(flatten)]
    pub security: kexie_gateway::SecurityArgs,
    /// A directory of boundary files for the cockpit's map, `<division code>.json` (GeoJSON
    /// of that division's children, `properties.adcode` each child's code).
    #[arg(long, env = "GATEWAY_COCKPIT_MAPS")]
    pub cockpit_maps: Option<std::path::PathBuf>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    // Every component runs in this process, so a secret made up for this run serves them
    // all; a secret set in the environment is used as given (and must be long enough).
    let principal_secret = match PrincipalSecret::from_env()? {
        Some(secret) => secret,
        None => PrincipalSecret::generate(),
    };
    let configs: Vec<(Subgraph, SubgraphConfig)> = Subgraph::ALL
        .iter()
        .map(|subgraph| {
            let config = SubgraphConfig::from_env_with_secret(
                subgraph.name(),
                subgraph.default_listen(),
                principal_secret.clone(),
            )?;
            Ok((*subgraph, config))
        })
        .collect::<anyhow::Result<_>>()?;
    let shared = &configs[0].1;
    if !args.no_demo_data && seed::all_empty(&shared.database_url).await? {
        eprintln!(
            "The database is empty: loading demo data (scale {}). Pass --no-demo-data to skip.",
            args.demo_scale
        );
        let seed_args = SeedArgs {
            scale: args.demo_scale,
            seed: 2026,
            reset: false,
            if_empty: true,
        };
        seed::run(
            &seed_args,
            &shared.database_url,
            &shared.redis_url,
            &shared.redis_namespace,
        )
        .await?;
    }
    let mut servers: Vec<(Subgraph, ServerHandle)> = Vec::new();
    for (subgraph, config) in &configs {
        let app = subgraph.build(config).await?;
        servers.push((*subgraph, app.spawn()));
    }
    let mut gateway_config = args.security.apply(args.traffic.apply(gateway_config(
        args.listen,
        &servers,
        principal_secret,
    )?))?;
    gateway_config =
        gateway_config.with_partner_rate_limit(&shared.redis_url, &shared.redis_namespace);
    if args.response_cache {
        gateway_config =
            gateway_config.with_response_cache(&shared.redis_url, &shared.redis_namespace);
    }
    // Without an identity provider nobody could sign in: this run accepts HS256 tokens
    // signed with a secret made up for it, hands out a city administrator's token, and
    // offers the cockpit's one-click sign-ins for the demo city's leadership and staff.
    let mut cockpit = CockpitConfig {
        maps_dir: args.cockpit_maps.clone(),
        demo_sign_ins: Vec::new(),
    };
    let demo_token =
        if gateway_config.auth.hs256_secret.is_none() && gateway_config.auth.jwks_url.is_none() {
            let secret = random_secret();
            gateway_config = gateway_config.with_hs256_secret(&secret);
            let sign = |subject: &str, unit: Uuid, role: Role| {
                staff_token(
                    secret.as_bytes(),
                    &gateway_config.auth.audience,
                    subject,
                    unit,
                    role,
                    Duration::from_secs(DEMO_TOKEN_HOURS * 3600),
                )
            };
            let units = demo_units(&shared.database_url).await?;
            // One-click sign-ins hand tokens to whoever opens the page: only when the hub
            // listens on the loopback interface, for the person at this machine.
            let offered = if args.listen.ip().is_loopback() {
                units.as_slice()
            } else {
                &[]
            };
            for (label, role, unit) in offered {
                cockpit.demo_sign_ins.push(DemoSignIn {
                    label: label.to_string(),
                    unit_name: unit.1.clone(),
                    token: sign("demo-cockpit", unit.0, *role)?,
                });
            }
            let city = units.first().map(|(_, _, unit)| unit.0);
            Some(sign(
                "demo-city-admin",
                city.unwrap_or(Uuid::nil()),
                Role::CityAdmin,
            )?)
        } else {
            None
        };
    gateway_config = gateway_config.with_cockpit(cockpit);
    let gateway = kexie_gateway::build(gateway_config).await?.spawn();

    eprintln!();
    eprintln!(
        "Kexie Hub is running (database {}).",
        config::redact(&shared.database_url)
    );
    eprintln!();
    eprintln!(
        "  GraphQL endpoint and GraphiQL:  {}",
        gateway.graphql_url()
    );
    eprintln!(
        "  leadership cockpit (领导驾驶舱):  {}",
        gateway.graphql_url().replace("/graphql", "/cockpit")
    );
    if let Some(metrics) = gateway.metrics_url() {
        eprintln!("  gateway metrics (Prometheus):  {metrics}");
    }
    eprintln!();
    for (subgraph, server) in &servers {
        eprintln!(
            "  subgraph {:<15} http://127.0.0.1:{}/graphql",
            subgraph.name(),
            server.port
        );
    }
    eprintln!();
    match &demo_token {
        Some(token) => {
            eprintln!(
                "No GATEWAY_JWT_HS256_SECRET or GATEWAY_JWKS_URL is set, so this run accepts only"
            );
            eprintln!(
                "tokens it made up. A city administrator's token, valid {DEMO_TOKEN_HOURS} hours (send it as"
            );
            eprintln!("`Authorization: Bearer <token>`; GraphiQL has a Headers tab):");
            eprintln!();
            eprintln!("{token}");
        }
        None => eprintln!(
            "Staff tokens: from your identity provider, or `kexie token --subject … --unit … --role …`."
        ),
    }
    eprintln!();
    if demo_token.is_some() && args.listen.ip().is_loopback() {
        eprintln!("The cockpit's first screen signs in with one click as the city's leadership, a");
        eprintln!("district's leadership or a township's staff.");
        eprintln!();
    } else if demo_token.is_some() {
        eprintln!(
            "The hub listens beyond this machine, so the cockpit offers no one-click sign-in:"
        );
        eprintln!("paste a token into it.");
        eprintln!();
    }
    eprintln!("Open the endpoint in a browser to query the hub. Ctrl-C stops it.");
    kexie_contract::shutdown::signal().await;
    eprintln!("stopping …");
    gateway.stop().await;
    for (_, server) in servers {
        server.stop().await;
    }
    Ok(())
}

/// How long the token `serve` hands out is valid.
const DEMO_TOKEN_HOURS: u64 = 8;

/// 32 random bytes, hex-encoded.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Who the cockpit's demo sign-ins act for: the city association's leadership, the
/// leadership of the first district (by name) and the staff of its first township; as many
/// of them as the tree has yet (none in an empty hub).
async fn demo_units(
    database_url: &str,
) -> anyhow::Result<Vec<(&'static str, Role, (Uuid, String))>> {
    let pool = Subgraph::Organizations.connect(database_url).await?;
    let mut units = Vec::new();
    let mut parent: Option<Uuid> = None;
    for (label, role, kind) in [
        ("市科协领导", Role::Leadership, "CITY"),
        ("区县科协领导", Role::Leadership, "DISTRICT"),
        ("乡镇科协工作人员", Role::UnitStaff, "TOWNSHIP"),
    ] {
        let unit: Option<(Uuid, String)> = sqlx::query_as(
            "select unit_id, name from unit
             where kind = $1 and status = 'ACTIVE' and parent_id is not distinct from $2
             order by name limit 1",
        )
        .bind(kind)
        .bind(parent)
        .fetch_optional(&pool)
        .await?;
        let Some(unit) = unit else { break };
        parent = Some(unit.0);
        units.push((label, role, unit));
    }
    pool.close().await;
    Ok(units)
}

/// The configuration of a gateway over the running subgraphs, with the supergraph composed
/// from the very code this process runs (so `serve` works from any directory).
pub fn gateway_config(
    listen: SocketAddr,
    servers: &[(Subgraph, ServerHandle)],
    principal_secret: PrincipalSecret,
) -> anyhow::Result<GatewayConfig> {
    let sdls: Vec<(Subgraph, String)> = Subgraph::ALL
        .iter()
        .map(|subgraph| (*subgraph, subgraph.sdl()))
        .collect();
    let supergraph = schema_files::compose(&sdls)?;
    // Every gateway of this process composes the same supergraph; each writes it whole to a
    // file of its own and renames it into place, so none ever reads a half-written file.
    let path =
        std::env::temp_dir().join(format!("kexie-supergraph-{}.graphql", std::process::id()));
    let partial = path.with_extension(format!("{}.partial", Uuid::now_v7().simple()));
    std::fs::write(&partial, supergraph)
        .and_then(|()| std::fs::rename(&partial, &path))
        .with_context(|| format!("Failed to write {}", path.display()))?;
    let mut config = GatewayConfig::new(&path, listen).with_principal_secret(principal_secret);
    for (subgraph, server) in servers {
        config = config.with_subgraph_url(subgraph.name(), server.graphql_url());
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn serve_honours_the_gateway_traffic_settings() {
        let cli = Cli::try_parse_from([
            "serve",
            "--dedup-subgraph-fetches",
            "false",
            "--dedup-client-queries",
            "true",
            "--subgraph-timeout-ms",
            "1500",
            "--request-timeout-ms",
            "2000",
            "--header-read-timeout-ms",
            "700",
            "--max-connections",
            "12",
            "--metrics-listen",
            "off",
            "--max-body-bytes",
            "4096",
        ])
        .unwrap();
        let config = cli.serve.traffic.apply(GatewayConfig::new(
            "supergraph.graphql",
            "127.0.0.1:0".parse().unwrap(),
        ));
        assert!(!config.dedup_subgraph_fetches);
        assert!(config.dedup_client_queries);
        assert_eq!(config.subgraph_timeout, Duration::from_millis(1500));
        assert_eq!(config.request_timeout, Duration::from_millis(2000));
        assert_eq!(config.header_read_timeout, Duration::from_millis(700));
        assert_eq!(config.max_connections, 12);
        assert_eq!(config.metrics_listen, None);
        assert_eq!(config.max_body_bytes, 4096);
    }
}

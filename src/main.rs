//! `kexie`: the whole hub in one binary. `kexie serve` runs everything in one process;
//! the other commands run one component or one chore.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{CommandFactory as _, Parser, Subcommand};

mod api_keys;

use kexie::subgraphs::Subgraph;
use kexie::{config_file, schema_files, seed, serve, token};
use kexie_subgraph_kit::config;

#[global_allocator]
static ALLOCATOR: kexie_gateway::allocator::Allocator = kexie_gateway::allocator::Allocator;

/// Kexie Hub: one GraphQL endpoint over the organizations, talent, popularization, advice
/// and innovation subgraphs of a city's science and technology associations.
///
/// Configuration comes from the environment (see README.md for every variable) and from
/// an optional YAML file of the same settings (`--config`), which the environment overrides.
#[derive(Parser)]
#[command(name = "kexie", version)]
struct Cli {
    /// A YAML configuration file: every key is an environment variable, lower-cased, its
    /// first word the section (schema/config.schema.json); set variables override it.
    #[arg(long, global = true, env = config_file::CONFIG_VARIABLE, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole hub in one process: migrations, the five subgraphs and the gateway,
    /// each on its own port, with demo data loaded into an empty database.
    Serve(serve::ServeArgs),
    /// Run the gateway alone over subgraphs running elsewhere.
    Gateway(kexie_gateway::GatewayArgs),
    /// Run one subgraph alone (it listens on <NAME>_LISTEN).
    Subgraph {
        #[arg(value_enum)]
        name: Subgraph,
    },
    /// Apply every subgraph's migrations and exit.
    Migrate,
    /// Fill the database with one generated city.
    Seed(seed::SeedArgs),
    /// Export each subgraph's SDL to schema/<subgraph>.graphql and compose
    /// schema/supergraph.graphql from them.
    Schema {
        /// Where the files live.
        #[arg(long, default_value = "schema")]
        dir: PathBuf,
        /// Only check that the files are up to date; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
    /// Print a staff token signed with GATEWAY_JWT_HS256_SECRET (for operators and demos
    /// without an identity provider).
    Token(token::TokenArgs),
    /// Create, revoke and list partner bureaus' API keys, straight on the database
    /// (DATABASE_URL).
    #[command(subcommand)]
    ApiKey(api_keys::ApiKeyCommand),
    /// Check a configuration file, or write its JSON Schema.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write the trusted-documents manifest (SHA-256 → document, for
    /// GATEWAY_TRUSTED_DOCUMENTS) of every .graphql file in a folder.
    TrustedDocuments {
        /// The folder of documents.
        #[arg(long, default_value = "schema/queries")]
        queries: PathBuf,
        /// The manifest to write.
        #[arg(long, default_value = "schema/trusted-documents.json")]
        output: PathBuf,
        /// Only check that the manifest is up to date; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check FILE: every key known, every value what its setting accepts; exit 1 naming
    /// the first problem.
    Check { file: PathBuf },
    /// Write the JSON Schema of configuration files.
    Schema {
        /// Where to write it.
        #[arg(long, default_value = "schema/config.schema.json")]
        output: PathBuf,
        /// Only check that the file is up to date; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> anyhow::Result<()> {
    // The configuration file fills in the environment before anything reads it, and before
    // any thread starts (setting variables is only sound then).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(path) = config_file::path_of(&args) {
        let settings = config_file::read(&path, &Cli::command())?;
        config_file::apply(&settings);
    }
    let cli = Cli::parse();
    tokio::runtime::Runtime::new()
        .context("starting the async runtime")?
        .block_on(run_cli(cli))
}

async fn run_cli(cli: Cli) -> anyhow::Result<()> {
    // Each component alone reports as its own service; the all-in-one process as `kexie`.
    let service = match &cli.command {
        Command::Subgraph { name } => format!("kexie-{name}"),
        Command::Gateway(_) => "kexie-gateway".to_string(),
        _ => "kexie".to_string(),
    };
    kexie_contract::telemetry::init_as(&service)?;
    let outcome = run(cli.command).await;
    kexie_contract::telemetry::flush();
    outcome
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(args).await,
        Command::Gateway(args) => {
            let app = kexie_gateway::build(args.into_config()?).await?;
            tracing::info!(port = app.port(), "gateway serving");
            app.run_until(kexie_contract::shutdown::signal()).await
        }
        Command::Subgraph { name } => {
            let config = name.config_from_env()?;
            let app = name.build(&config).await?;
            tracing::info!(subgraph = %name, port = app.port(), "serving");
            app.run_until(kexie_contract::shutdown::signal()).await
        }
        Command::Config(ConfigCommand::Check { file }) => check_config(&file),
        Command::Config(ConfigCommand::Schema { output, check }) => {
            let schema =
                serde_json::to_string_pretty(&config_file::schema(&Cli::command()))? + "\n";
            if check {
                let written = std::fs::read_to_string(&output).unwrap_or_default();
                anyhow::ensure!(
                    written == schema,
                    "{} is out of date; run `cargo run -- config schema`",
                    output.display()
                );
            } else {
                std::fs::write(&output, schema)
                    .with_context(|| format!("writing {}", output.display()))?;
                eprintln!("wrote {}", output.display());
            }
            Ok(())
        }
        Command::Token(args) => {
            println!("{}", token::issue(&args).await?);
            Ok(())
        }
        Command::Migrate => {
            let database_url = config::database_url_from_env()?;
            for subgraph in Subgraph::ALL {
                eprint!("migrating {subgraph} … ");
                let pool = subgraph.connect(&database_url).await?;
                subgraph.migrate(&pool).await?;
                eprintln!("done");
            }
            Ok(())
        }
        Command::Seed(args) => {
            seed::run(
                &args,
                &config::database_url_from_env()?,
                &config::redis_url_from_env()?,
                &config::env_or(
                    "REDIS_NAMESPACE",
                    kexie_contract::data_version::DEFAULT_REDIS_NAMESPACE,
                )?,
            )
            .await
        }
        Command::Schema { dir, check } => {
            if check {
                let stale = schema_files::stale(&dir)?;
                if !stale.is_empty() {
                    for path in &stale {
                        eprintln!("stale: {}", path.display());
                    }
                    anyhow::bail!("schema files are out of date; run `cargo run -- schema`");
                }
                eprintln!("schema files are up to date");
            } else {
                for path in schema_files::write(&dir)? {
                    eprintln!("wrote {}", path.display());
                }
            }
            Ok(())
        }
        Command::ApiKey(command) => api_keys::run(command, &config::database_url_from_env()?).await,
        Command::TrustedDocuments {
            queries,
            output,
            check,
        } => {
            let manifest = kexie_gateway::trusted_documents::manifest_of_folder(&queries)?;
            if check {
                let current = std::fs::read_to_string(&output).unwrap_or_default();
                if current != manifest {
                    anyhow::bail!(
                        "{} is out of date; run `cargo run -- trusted-documents`",
                        output.display()
                    );
                }
                eprintln!("{} is up to date", output.display());
            } else {
                std::fs::write(&output, manifest)
                    .with_context(|| format!("Failed to write {}", output.display()))?;
                eprintln!("wrote {}", output.display());
            }
            Ok(())
        }
    }
}

/// `kexie config check FILE`: the file's keys and value shapes, then the values as the
/// commands and the subgraphs' configuration read them.
fn check_config(file: &std::path::Path) -> anyhow::Result<()> {
    let settings = config_file::read(file, &Cli::command())?;
    // This process only checks: the file's values go into its environment as they are.
    for (name, value) in &settings {
        std::env::set_var(name, value);
    }
    for command in ["gateway", "serve"] {
        Cli::try_parse_from(["kexie", command])
            .map_err(|err| anyhow::anyhow!("{}: {}", file.display(), err.render()))?;
    }
    for (name, value) in &settings {
        if name.starts_with("SUBGRAPH_") && name.ends_with("_TIMEOUT_MS") {
            anyhow::ensure!(
                value.parse::<u64>().is_ok_and(|millis| millis > 0),
                "{}: {name} must be a positive number of milliseconds, got {value:?}",
                file.display()
            );
        }
    }
    kexie_contract::telemetry::TelemetryConfig::from_env("kexie")
        .with_context(|| format!("in {}", file.display()))?;
    if settings.contains_key("DATABASE_URL") {
        config::database_url_from_env().with_context(|| format!("in {}", file.display()))?;
    }
    if settings.contains_key("REDIS_URL") {
        config::redis_url_from_env().with_context(|| format!("in {}", file.display()))?;
    }
    println!("{}: {} settings, all valid", file.display(), settings.len());
    Ok(())
}

//! `kexie api-key`: partner bureaus' API keys managed straight on the database
//! (`DATABASE_URL`), for operators setting a hub up before any city administrator can sign
//! in. The same validation and the same SQL as the `createApiKey`, `revokeApiKey` and
//! `apiKeys` fields of the organizations subgraph (`kexie_organizations::db::api_keys`);
//! the records name the operator as `cli:<user>`.

use anyhow::Context as _;
use sqlx::types::Uuid;

use kexie_organizations::db::api_keys::{self, NewApiKey};
use kexie_subgraph_kit::page::{PageArgs, MAX_PAGE_SIZE};

#[derive(Clone, Debug, clap::Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it (it is shown this once; only its hash is kept).
    Create {
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// The partner bureau it speaks for: EDUCATION, AGRICULTURE, VETERAN_CADRES,
        /// WOMENS_FEDERATION, SCIENCE_TECHNOLOGY, INDUSTRY_IT, ORGANIZATION_DEPARTMENT, HEALTH
        /// or OTHER.
        #[arg(long)]
        bureau: String,
        /// A scope: venues-activities:read, activities:co-organize, talent:read-public or
        /// advice:submit. Repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Requests allowed per minute (1 to 100000).
        #[arg(long, default_value_t = api_keys::DEFAULT_REQUESTS_PER_MINUTE)]
        requests_per_minute: i32,
    },
    /// Revoke a key: the gateway refuses it from its next request on.
    Revoke {
        /// The key's ID.
        id: String,
    },
    /// List the keys, newest first.
    List {
        /// Also the revoked ones.
        #[arg(long)]
        include_revoked: bool,
    },
}

/// Who the records name as having acted.
fn operator() -> String {
    let user = std::env::var("USER").unwrap_or_default();
    if user.trim().is_empty() {
        "cli".to_string()
    } else {
        format!("cli:{}", user.trim())
    }
}

/// Runs `command` on the database at `database_url` (its migrations applied first).
pub async fn run(command: ApiKeyCommand, database_url: &str) -> anyhow::Result<()> {
    let subgraph = &kexie_organizations::SUBGRAPH;
    let pool = subgraph.connect(database_url).await?;
    subgraph.migrate(&pool).await?;
    match command {
        ApiKeyCommand::Create {
            name,
            bureau,
            scopes,
            requests_per_minute,
        } => {
            let new = NewApiKey::parse(&name, &bureau, &scopes, Some(requests_per_minute))
                .map_err(|err| anyhow::anyhow!("{}", err.message()))?;
            let (row, key) = api_keys::create(&pool, &new, &operator())
                .await
                .context("Failed to create the API key")?;
            eprintln!(
                "Created the API key {} ({}, {}, {} requests per minute). The key follows; it is \
                 shown this once and cannot be read again:",
                row.api_key_id, row.name, row.bureau, row.requests_per_minute
            );
            println!("{key}");
            Ok(())
        }
        ApiKeyCommand::Revoke { id } => {
            let key_id = Uuid::parse_str(id.trim())
                .map_err(|_| anyhow::anyhow!("`{id}` is not an API key ID"))?;
            let row = api_keys::revoke(&pool, key_id, &operator())
                .await
                .context("Failed to revoke the API key")?
                .ok_or_else(|| anyhow::anyhow!("there is no API key {key_id}"))?;
            eprintln!(
                "Revoked the API key {} ({}) at {}.",
                row.api_key_id,
                row.name,
                row.revoked_at.map(|at| at.to_rfc3339()).unwrap_or_default()
            );
            Ok(())
        }
        ApiKeyCommand::List { include_revoked } => {
            let mut after = None;
            println!("id\tprefix\tbureau\trequests/min\tscopes\tcreated\trevoked\tname");
            loop {
                let page = PageArgs {
                    after,
                    ..PageArgs::first(i64::from(MAX_PAGE_SIZE))
                };
                let rows = api_keys::list(&pool, include_revoked, page)
                    .await
                    .context("Failed to list the API keys")?;
                for row in rows.iter().take(MAX_PAGE_SIZE as usize) {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        row.api_key_id,
                        row.display_prefix,
                        row.bureau,
                        row.requests_per_minute,
                        row.scopes.join(","),
                        row.created_at.format("%Y-%m-%d %H:%M"),
                        row.revoked_at
                            .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "-".to_string()),
                        row.name
                    );
                }
                if rows.len() <= MAX_PAGE_SIZE as usize {
                    return Ok(());
                }
                after = rows
                    .get(MAX_PAGE_SIZE as usize - 1)
                    .map(|row| row.api_key_id);
            }
        }
    }
}

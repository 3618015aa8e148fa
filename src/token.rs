//! `kexie token`: a staff token signed with the gateway's HS256 secret, for operators and
//! demos when no identity provider issues tokens yet. Production staff get their tokens
//! from the identity provider (HS256 with the same secret, or RS256/ES256 via its JWKS).

use std::time::Duration;

use anyhow::Context as _;
use uuid::Uuid;

use kexie_contract::principal::{staff_token, Role};

#[derive(Clone, Debug, clap::Args)]
pub struct TokenArgs {
    /// The staff member (`sub`), as recorded on their writes.
    #[arg(long)]
    pub subject: String,
    /// The UUID of the unit they work for.
    #[arg(
        long,
        required_unless_present = "unit_code",
        conflicts_with = "unit_code"
    )]
    pub unit: Option<Uuid>,
    /// Or the unit's division code (区划代码, such as 510700), looked up among the active
    /// units of the database at DATABASE_URL.
    #[arg(long)]
    pub unit_code: Option<String>,
    /// unit_staff, unit_admin, leadership or city_admin.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// How long the token is valid.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub hours: u64,
    /// The secret the gateway checks HS256 tokens with.
    #[arg(long, env = "GATEWAY_JWT_HS256_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The audience the gateway expects.
    #[arg(long, env = "GATEWAY_JWT_AUDIENCE", default_value = "kexie")]
    pub audience: String,
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::staff(name).ok_or_else(|| {
        format!("`{name}` is not a staff role: unit_staff, unit_admin, leadership or city_admin")
    })
}

/// The token the arguments describe.
pub async fn issue(args: &TokenArgs) -> anyhow::Result<String> {
    anyhow::ensure!(!args.secret.is_empty(), "GATEWAY_JWT_HS256_SECRET is empty");
    let unit = match (args.unit, &args.unit_code) {
        (Some(unit), _) => unit,
        (None, Some(code)) => unit_of_code(code).await?,
        (None, None) => anyhow::bail!("give --unit or --unit-code"),
    };
    staff_token(
        args.secret.as_bytes(),
        &args.audience,
        &args.subject,
        unit,
        args.role,
        Duration::from_secs(args.hours * 3600),
    )
    .context("signing the token")
}

/// The active unit with the division code `code`.
async fn unit_of_code(code: &str) -> anyhow::Result<Uuid> {
    let database_url = kexie_subgraph_kit::config::database_url_from_env()?;
    let pool = crate::subgraphs::Subgraph::Organizations
        .connect(&database_url)
        .await?;
    let unit: Option<Uuid> = sqlx::query_scalar(
        "select unit_id from unit where division_code = $1 and status = 'ACTIVE'",
    )
    .bind(code)
    .fetch_optional(&pool)
    .await?;
    pool.close().await;
    unit.with_context(|| format!("no active unit has the division code {code}"))
}

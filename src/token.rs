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
    #[arg(long)]
    pub unit: Uuid,
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
pub fn issue(args: &TokenArgs) -> anyhow::Result<String> {
    anyhow::ensure!(!args.secret.is_empty(), "GATEWAY_JWT_HS256_SECRET is empty");
    staff_token(
        args.secret.as_bytes(),
        &args.audience,
        &args.subject,
        args.unit,
        args.role,
        Duration::from_secs(args.hours * 3600),
    )
    .context("signing the token")
}

//! Configuration from the environment, with localhost defaults. A malformed value stops the
//! process at start with a message naming the variable and what it expected.

use std::net::SocketAddr;
use std::str::FromStr;

use anyhow::{anyhow, Context as _};

use kexie_contract::data_version::{DEFAULT_REDIS_NAMESPACE, DEFAULT_REDIS_URL};
use kexie_contract::principal::{PrincipalSecret, SECRET_VARIABLE};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/kexie";

/// What every subgraph process needs.
#[derive(Clone, Debug)]
pub struct SubgraphConfig {
    /// `DATABASE_URL`: the PostgreSQL database; each subgraph keeps its own schema in it.
    pub database_url: String,
    /// `REDIS_URL`: carries the unit-tree events and the caches.
    pub redis_url: String,
    /// `REDIS_NAMESPACE`: the prefix of every Redis key, so several hubs can share a Redis.
    pub redis_namespace: String,
    /// `<SUBGRAPH>_LISTEN`: where the subgraph serves HTTP.
    pub listen: SocketAddr,
    /// `KEXIE_PRINCIPAL_SECRET`: verifies the principal the gateway signs.
    pub principal_secret: PrincipalSecret,
}

impl SubgraphConfig {
    /// Reads the configuration of the subgraph `name`, whose listen address variable is
    /// `<NAME>_LISTEN` (for example `TALENT_LISTEN`); [`SECRET_VARIABLE`] must be set.
    pub fn from_env(name: &str, default_listen: &str) -> anyhow::Result<Self> {
        let Some(secret) = PrincipalSecret::from_env()? else {
            return Err(anyhow!(
                "{SECRET_VARIABLE} is not set: the subgraph verifies the principal the gateway \
                 signs with it (the same secret, at least 32 bytes)"
            ));
        };
        Self::from_env_with_secret(name, default_listen, secret)
    }

    /// [`SubgraphConfig::from_env`] with the principal secret given, for a process that runs
    /// the gateway too.
    pub fn from_env_with_secret(
        name: &str,
        default_listen: &str,
        principal_secret: PrincipalSecret,
    ) -> anyhow::Result<Self> {
        let listen_var = format!("{}_LISTEN", name.to_ascii_uppercase());
        Ok(SubgraphConfig {
            database_url: database_url_from_env()?,
            redis_url: redis_url_from_env()?,
            redis_namespace: env_or("REDIS_NAMESPACE", DEFAULT_REDIS_NAMESPACE)?,
            listen: parse_env(
                &listen_var,
                default_listen,
                "a socket address such as 127.0.0.1:4001",
            )?,
            principal_secret,
        })
    }
}

pub fn database_url_from_env() -> anyhow::Result<String> {
    let url = env_or("DATABASE_URL", DEFAULT_DATABASE_URL)?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(anyhow!(
            "DATABASE_URL must be a PostgreSQL URL such as {DEFAULT_DATABASE_URL}, got {:?}",
            redact(&url)
        ));
    }
    Ok(url)
}

pub fn redis_url_from_env() -> anyhow::Result<String> {
    let url = env_or("REDIS_URL", DEFAULT_REDIS_URL)?;
    redis::Client::open(url.as_str()).map_err(|err| {
        anyhow!(
            "REDIS_URL must be a Redis URL such as {DEFAULT_REDIS_URL}, got {:?}: {err}",
            redact(&url)
        )
    })?;
    Ok(url)
}

/// The variable's value, or `default` when it is unset; a value that is not UTF-8 is an error.
pub fn env_or(var: &str, default: &str) -> anyhow::Result<String> {
    match std::env::var(var) {
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Ok(default.to_string()),
        Err(std::env::VarError::NotUnicode(_)) => Err(anyhow!("{var} is not valid UTF-8")),
    }
}

/// Parses the variable (or its default) into `T`, naming the variable and `expected` on failure.
pub fn parse_env<T>(var: &str, default: &str, expected: &str) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let raw = env_or(var, default)?;
    raw.trim()
        .parse::<T>()
        .map_err(|err| anyhow!("{err}"))
        .with_context(|| format!("{var} must be {expected}, got {raw:?}"))
}

/// A URL with its password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden_from_messages() {
        assert_eq!(
            redact("postgres://kexie:secret@db:5432/kexie"),
            "postgres://kexie:***@db:5432/kexie"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/kexie"),
            "postgres://postgres@127.0.0.1/kexie"
        );
    }
}

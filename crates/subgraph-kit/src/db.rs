//! PostgreSQL: one database, one schema per subgraph. Every connection of a subgraph's pool
//! has its `search_path` set to that schema, so its SQL and its migrations name tables
//! without a schema and never see another subgraph's tables.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection as _, Executor, PgPool};

/// How long to keep retrying an unreachable database at start before giving up.
const CONNECT_PATIENCE: Duration = Duration::from_secs(30);

/// How long a pooled connection may sit idle before it is tested on its way out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Connects to `database_url` with the given schema as the search path, creating the
/// database and the schema if they do not exist. An unreachable server is retried with
/// backoff for a while, then reported.
pub async fn connect(database_url: &str, schema: &str) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(database_url)
        .with_context(|| {
            format!(
                "DATABASE_URL is not a valid PostgreSQL URL: {}",
                crate::config::redact(database_url)
            )
        })?
        .options([("search_path", schema)])
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    ensure_database(&options).await?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        // A connection that has sat idle is tested (one round trip) before it is handed out;
        // one in use a moment ago is not: testing it too cost every statement a round trip
        // and a tenth of the process's time on the city overview. What that leaves: a
        // connection the server closed within the last `PING_AFTER_IDLE` fails its next
        // statement (an INTERNAL error) and is dropped from the pool.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .with_context(|| {
            format!(
                "Failed to connect to {}",
                crate::config::redact(database_url)
            )
        })?;
    pool.execute(format!("create schema if not exists {schema}").as_str())
        .await
        .with_context(|| format!("Failed to create schema {schema}"))?;
    Ok(pool)
}

/// Creates the database named in `options` when the server is reachable but the database is
/// not there yet, retrying an unreachable server with exponential backoff.
async fn ensure_database(options: &PgConnectOptions) -> anyhow::Result<()> {
    let database = options.get_database().unwrap_or("postgres").to_string();
    let maintenance = options
        .clone()
        .database("postgres")
        .options([("search_path", "public")]);
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        match maintenance.connect().await {
            Ok(mut conn) => {
                let exists: bool = sqlx::query_scalar(
                    "select exists(select 1 from pg_database where datname = $1)",
                )
                .bind(&database)
                .fetch_one(&mut conn)
                .await
                .context("Failed to look up the database")?;
                if !exists {
                    let create = format!("create database \"{}\"", database.replace('"', "\"\""));
                    match conn.execute(create.as_str()).await {
                        Ok(_) => tracing::info!(database, "created database"),
                        // Another process created it at the same moment.
                        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => {
                        }
                        Err(err) => return Err(err).context("Failed to create the database"),
                    }
                }
                return Ok(());
            }
            Err(err) if started.elapsed() < CONNECT_PATIENCE && is_unreachable(&err) => {
                tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "PostgreSQL is not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(err) => {
                let host = options.get_host();
                // A plain `docker run` of the image: the default address is the container.
                let hint = if matches!(host, "127.0.0.1" | "localhost" | "::1")
                    && std::path::Path::new("/.dockerenv").exists()
                {
                    "; inside a container 127.0.0.1 is the container itself: set DATABASE_URL \
                     (and REDIS_URL) to servers it can reach, or start the hub with \
                     `docker compose up`"
                } else {
                    ""
                };
                return Err(err).with_context(|| {
                    format!(
                        "PostgreSQL at {host}:{} could not be reached (DATABASE_URL){hint}",
                        options.get_port()
                    )
                });
            }
        }
    }
}

fn is_unreachable(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
}

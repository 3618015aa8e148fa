//! Logging, set up once per process. `RUST_LOG` filters (default `info`); `LOG_FORMAT`
//! chooses `text` (default) or `json`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call is a no-op, so tests may call it freely.
pub fn init() -> anyhow::Result<()> {
    let format = crate::config::env_or("LOG_FORMAT", "text")?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match format.as_str() {
        "text" => builder.try_init(),
        "json" => builder.json().try_init(),
        other => anyhow::bail!("LOG_FORMAT must be text or json, got {other:?}"),
    };
    // Already installed (tests, or the all-in-one process): keep the first.
    drop(installed);
    Ok(())
}

/// For tests: logs only when `TEST_LOG` is set.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = init();
    }
}

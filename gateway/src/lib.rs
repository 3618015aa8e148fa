//! The federation gateway of Kexie Hub: one GraphQL endpoint over the organizations, talent,
//! popularization and advice subgraphs.
//!
//! It reads a standard Federation v2 supergraph (`@link join/v0.3`), plans operations with
//! `hive-router-query-planner` (behind the adapter in `planner.rs`), and runs the plans with
//! its own executor on tokio and hyper: pooled keep-alive connections to the subgraphs,
//! `_entities` representations built and deduplicated per fetch, answers merged and then
//! projected into the client's exact shape with the specification's null propagation.
//!
//! ```no_run
//! # async fn start() -> anyhow::Result<()> {
//! let config = kexie_gateway::GatewayConfig::new(
//!     "schema/supergraph.graphql",
//!     "127.0.0.1:4000".parse()?,
//! );
//! let app = kexie_gateway::build(config).await?;
//! app.run_until(kexie_gateway::shutdown_signal()).await
//! # }
//! ```

mod config;
mod data;
mod engine;
mod error;
mod executor;
pub mod fuzzing;
mod hashing;
mod http;
mod introspection;
mod metrics;
mod operation;
mod plan;
mod planner;
mod projection;
mod reload;
mod response_cache;
mod schema;
mod supergraph;
mod transport;
mod variables;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use axum::http::HeaderName;
use axum::Router;
use tokio::net::TcpListener;

pub use config::{GatewayArgs, GatewayConfig, ResponseCacheConfig, DEFAULT_FORWARD_HEADERS};
pub use error::codes;
pub use metrics::{Metrics, MetricsSnapshot};
pub use supergraph::url_override_variable;

use engine::Engine;
use response_cache::ResponseCache;
use supergraph::Supergraph;
use transport::Transport;

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// A gateway ready to serve: its bound listener, its router and the task watching the
/// supergraph file, which stops when the gateway stops.
pub struct GatewayApp {
    listener: TcpListener,
    router: Router,
    metrics: Arc<Metrics>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

/// Loads the supergraph, binds `config.listen` and prepares the router. Fails when the
/// supergraph file cannot be read or is not a usable supergraph, or the address is taken.
pub async fn build(config: GatewayConfig) -> anyhow::Result<GatewayApp> {
    let metrics = Arc::new(Metrics::default());
    let sdl = tokio::fs::read_to_string(&config.supergraph)
        .await
        .with_context(|| {
            format!(
                "Failed to read the supergraph {}",
                config.supergraph.display()
            )
        })?;
    let settings = config.subgraph_settings();
    let capacity = config.cache_capacity;
    let load_metrics = metrics.clone();
    let load_settings = settings.clone();
    let supergraph = tokio::task::spawn_blocking(move || {
        Supergraph::load(&sdl, &load_settings, capacity, &load_metrics)
    })
    .await
    .context("Failed to load the supergraph")?
    .with_context(|| {
        format!(
            "Failed to load the supergraph {}",
            config.supergraph.display()
        )
    })?;
    metrics::bump(&metrics.supergraph_loads);
    tracing::info!(
        supergraph = %config.supergraph.display(),
        subgraphs = ?supergraph.subgraphs.iter().map(|subgraph| format!("{} {}", subgraph.name, subgraph.url)).collect::<Vec<_>>(),
        "supergraph loaded"
    );
    let transport = Transport::http(config.dedup_subgraph_fetches, metrics.clone());
    let response_cache = match &config.response_cache {
        Some(cache) => Some(Arc::new(
            ResponseCache::new(&cache.redis_url, &cache.namespace, metrics.clone())
                .context("REDIS_URL is not a valid Redis URL")?,
        )),
        None => None,
    };
    let engine = Arc::new(Engine::new(
        supergraph,
        transport,
        metrics.clone(),
        config.introspection,
        config.dedup_client_queries,
        response_cache,
    ));
    let forward_headers = config
        .forward_headers
        .iter()
        .filter_map(|name| match HeaderName::try_from(name.as_str()) {
            Ok(header) => Some(header),
            Err(_) => {
                tracing::warn!(header = %name, "not a valid header name; it is not forwarded");
                None
            }
        })
        .collect();
    let router = http::router(http::HttpState {
        engine: engine.clone(),
        forward_headers: Arc::new(forward_headers),
        max_body_bytes: config.max_body_bytes,
    });
    let watcher = tokio::spawn(reload::watch(
        engine,
        config.supergraph.clone(),
        settings,
        capacity,
        config.supergraph_poll_interval,
    ));
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("Failed to listen on {}", config.listen))?;
    Ok(GatewayApp {
        listener,
        router,
        metrics,
        background: vec![watcher],
    })
}

impl GatewayApp {
    /// The port it listens on (tests bind port 0 and read it back).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or(0)
    }

    /// The gateway's counters (also served on `/metrics`).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Serves until `shutdown` completes (requests in flight finish), then stops watching
    /// the supergraph file.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        for task in self.background {
            task.abort();
        }
        Ok(served?)
    }

    /// Serves in the background; for tests and the all-in-one process.
    pub fn spawn(self) -> GatewayHandle {
        let port = self.port();
        let metrics = self.metrics.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = self
                .run_until(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        GatewayHandle {
            port,
            metrics,
            stop: Some(stop),
            task,
        }
    }
}

/// A gateway serving in the background.
pub struct GatewayHandle {
    /// The port it listens on.
    pub port: u16,
    metrics: Arc<Metrics>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl GatewayHandle {
    /// The URL of its GraphQL endpoint on the loopback interface.
    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    /// The gateway's counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Stops serving and waits until the gateway is gone.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

//! The federation gateway of Kexie Hub: one GraphQL endpoint over the organizations, talent,
//! popularization and advice subgraphs.
//!
//! It reads a standard Federation v2 supergraph (`@link join/v0.3`), plans operations with
//! `hive-router-query-planner` (behind the adapter in `pipeline/plan/planner.rs`), and runs the plans with
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
//! app.run_until(kexie_contract::shutdown::signal()).await
//! # }
//! ```

pub mod allocator;
mod cache;
mod config;
mod digest;
mod error;
mod forwarded;
mod freshness;
pub mod fuzzing;
mod http;
mod identity;
mod metrics;
mod pipeline;
mod reload;
mod tls;

pub use http::{cockpit, cors};

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use axum::http::HeaderName;
use axum::Router;
use tokio::net::TcpListener;

pub use config::{
    GatewayArgs, GatewayConfig, MetricsListen, ResponseCacheConfig, SecurityArgs, SubgraphHeaders,
    TrafficArgs, DEFAULT_FORWARD_HEADERS,
};
pub use error::Code;
pub use http::csrf::PREFLIGHT_HEADER;
pub use http::trusted_documents;
pub use identity::api_keys::{RateLimitConfig, API_KEY_HEADER};
pub use identity::staff::{AuthConfig, Secret};
pub use metrics::{Metrics, MetricsSnapshot};
pub use pipeline::execute::shaping::Shaping;
pub use pipeline::limits::{OperationLimits, DEFAULT_ASSUMED_LIST_SIZE, VARIABLE_LIST_SIZE};
pub use pipeline::supergraph::url_override_variable;
pub use tls::SubgraphTls;

use cache::responses::ResponseCache;
use freshness::versions::DataVersions;
use http::server::{self, ConnectionLimits};
use http::trusted_documents::TrustedDocuments;
use identity::api_keys::KeyService;
use identity::api_keys::PartnerKeys;
use identity::jwks::{self, Jwks};
use identity::principal::PrincipalTokens;
use identity::staff::Authenticator;
use pipeline::execute::transport::Transport;
use pipeline::supergraph::Supergraph;
use pipeline::{Pipeline, PipelineSettings};

/// A gateway ready to serve: its bound listeners (the public one, and the one of
/// `/metrics` if configured), its routers and its background tasks (watching the
/// supergraph file, refreshing the JWKS), which stop when the gateway stops.
pub struct GatewayApp {
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    /// The listener's TLS, when it has a certificate.
    tls: Option<tokio_rustls::TlsAcceptor>,
    metrics_listener: Option<TcpListener>,
    metrics_router: Router,
    metrics: Arc<Metrics>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

/// Loads the supergraph and the trusted documents, fetches the JWKS, binds `config.listen`
/// and prepares the router. Fails when the supergraph file cannot be read or is not a
/// usable supergraph, the trusted-documents manifest cannot be read, the JWKS URL is not an
/// `https://` or `http://` URL, a CA bundle or client certificate cannot be read, or the
/// address is taken. A JWKS that cannot be fetched yet is logged and
/// fetched again every ten seconds: anonymous reads and HS256 tokens work meanwhile.
pub async fn build(config: GatewayConfig) -> anyhow::Result<GatewayApp> {
    let metrics = Arc::new(Metrics::default());
    let trusted_documents = match &config.trusted_documents {
        Some(path) => {
            let documents = TrustedDocuments::load(path, config.trusted_documents_only)?;
            tracing::info!(manifest = %path.display(), documents = documents.len(), only = config.trusted_documents_only, "trusted documents loaded");
            documents
        }
        None if config.trusted_documents_only => anyhow::bail!(
            "only trusted documents may run, but no trusted-documents manifest is configured"
        ),
        None => TrustedDocuments::default(),
    };
    // The TLS of connections without settings of their own: the system's roots and the
    // configured CA bundle.
    let outbound_tls = tls::shared_config(config.tls_ca_file.as_deref())?;
    // The listener's own certificate, reloaded when its files change.
    let server_certificate = match (&config.tls_cert_file, &config.tls_key_file) {
        (Some(cert_file), Some(key_file)) => Some(Arc::new(
            tls::ServerCertificate::load(cert_file, key_file)
                .context("the certificate of GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE")?,
        )),
        (None, None) => None,
        _ => anyhow::bail!(
            "serving TLS needs both a certificate and its key (GATEWAY_TLS_CERT_FILE and \
             GATEWAY_TLS_KEY_FILE)"
        ),
    };
    let tls = match &server_certificate {
        Some(certificate) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(
            certificate.server_config()?,
        ))),
        None => None,
    };
    let mut background = Vec::new();
    if let Some(certificate) = server_certificate {
        background.push(tokio::spawn(tls::keep_certificate_fresh(
            certificate,
            config.supergraph_poll_interval,
        )));
    }
    let jwks = match &config.auth.jwks_url {
        Some(url) => {
            let jwks = Arc::new(Jwks::new(url, outbound_tls.clone())?);
            let healthy = match jwks.refresh().await {
                Ok(keys) => {
                    tracing::info!(url = %url, keys, "JWKS loaded");
                    true
                }
                Err(err) => {
                    tracing::error!(url = %url, error = %err, "fetching the JWKS failed; RS256 and ES256 tokens are refused until it succeeds");
                    false
                }
            };
            background.push(tokio::spawn(jwks::keep_fresh(jwks.clone(), healthy)));
            Some(jwks)
        }
        None => None,
    };
    let authenticator = Arc::new(Authenticator::new(&config.auth, jwks));
    let sdl = tokio::fs::read_to_string(&config.supergraph)
        .await
        .with_context(|| {
            format!(
                "Failed to read the supergraph {}",
                config.supergraph.display()
            )
        })?;
    let settings = config.subgraph_settings()?;
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
    let transport = Transport::http(
        config.dedup_subgraph_fetches,
        config.request_timeout,
        config.shaping,
        outbound_tls.clone(),
        metrics.clone(),
    );
    // The data versions live in the response cache's Redis: without it, reads share by
    // time only.
    let (response_cache, data_versions) = match &config.response_cache {
        Some(cache) => (
            Some(Arc::new(
                ResponseCache::new(&cache.redis_url, &cache.namespace, metrics.clone())
                    .context("REDIS_URL is not a valid Redis URL")?,
            )),
            Some(
                DataVersions::new(&cache.redis_url, &cache.namespace)
                    .context("REDIS_URL is not a valid Redis URL")?,
            ),
        ),
        None => (None, None),
    };
    let pipeline = Arc::new(Pipeline::new(
        supergraph,
        transport,
        metrics.clone(),
        PipelineSettings {
            introspection: config.introspection,
            limits: config.limits,
            dedup_client_queries: config.dedup_client_queries,
            request_timeout: config.request_timeout,
        },
        response_cache,
        data_versions,
    ));
    // The client headers any subgraph's rules read: what every request captures.
    let mut forward_headers: Vec<HeaderName> = Vec::new();
    for name in settings.headers.sources().chain(
        settings
            .subgraph_headers
            .values()
            .flat_map(|rules| rules.sources()),
    ) {
        if !forward_headers.contains(name) {
            forward_headers.push(name.clone());
        }
    }
    let principal_secret = Arc::new(config.principal_secret.clone());
    let partner_keys = Arc::new(
        PartnerKeys::new(
            find_key_service(pipeline.clone(), config.api_key_subgraph.clone()),
            principal_secret.clone(),
            config.partner_rate_limit.as_ref(),
            config.partner_rate_window,
            outbound_tls,
            metrics.clone(),
        )
        .context("REDIS_URL is not a valid Redis URL")?,
    );
    // Automatic persisted queries live in the same Redis as partner keys' counts, when
    // there is one.
    let persisted_queries = if config.persisted_queries {
        let redis = config
            .partner_rate_limit
            .as_ref()
            .map(|redis| (redis.redis_url.as_str(), redis.namespace.as_str()));
        Some(Arc::new(http::persisted_queries::PersistedQueries::new(
            config.cache_capacity,
            redis,
            config.persisted_query_ttl,
        )?))
    } else {
        None
    };
    let metrics_router = http::metrics_router(pipeline.clone());
    let router = http::router(http::HttpState {
        pipeline: pipeline.clone(),
        forward_headers: Arc::new(forward_headers),
        max_body_bytes: config.max_body_bytes,
        body_read_timeout: config.body_read_timeout,
        authenticator: authenticator.clone(),
        principal_tokens: Arc::new(PrincipalTokens::new(principal_secret)),
        trusted_documents: Arc::new(trusted_documents),
        persisted_queries,
        partner_keys,
    })
    .merge(http::cockpit::router(config.cockpit.clone(), authenticator))
    // Answers compressed as the client accepts (gzip or Brotli), request bodies
    // decompressed before the body limit counts them; CORS outermost, so that preflights
    // are answered before routing.
    .layer(tower_http::compression::CompressionLayer::new())
    .layer(tower_http::decompression::RequestDecompressionLayer::new());
    let router = match config.cors.layer() {
        Some(cors) => router.layer(cors),
        None => router,
    };
    background.push(tokio::spawn(reload::watch(
        pipeline,
        config.supergraph.clone(),
        settings,
        capacity,
        config.supergraph_poll_interval,
    )));
    let listeners = async {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("Failed to listen on {}", config.listen))?;
        let metrics_listener = match config.metrics_listen {
            Some(address) => Some(TcpListener::bind(address).await.with_context(|| {
                format!("Failed to listen on {address} for metrics (GATEWAY_METRICS_LISTEN)")
            })?),
            None => None,
        };
        anyhow::Ok((listener, metrics_listener))
    };
    let (listener, metrics_listener) = match listeners.await {
        Ok(listeners) => listeners,
        Err(err) => {
            for task in background {
                task.abort();
            }
            return Err(err);
        }
    };
    Ok(GatewayApp {
        listener,
        router,
        tls,
        limits: ConnectionLimits {
            header_read_timeout: config.header_read_timeout,
            max_connections: config.max_connections,
        },
        metrics_listener,
        metrics_router,
        metrics,
        background,
    })
}

/// Finds the subgraph `name` in the supergraph `pipeline` serves now.
fn find_key_service(pipeline: Arc<Pipeline>, name: String) -> identity::api_keys::FindKeyService {
    Box::new(move || {
        let supergraph = pipeline.current();
        supergraph.subgraph(&name).map(|subgraph| KeyService {
            url: subgraph.url.clone(),
            timeout: subgraph.timeout,
            client: subgraph.client.clone(),
        })
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

    /// The port `/metrics` is served on, if it is.
    pub fn metrics_port(&self) -> Option<u16> {
        let listener = self.metrics_listener.as_ref()?;
        listener.local_addr().ok().map(|addr| addr.port())
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
        let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics_server = self.metrics_listener.map(|listener| {
            tokio::spawn(server::serve(
                listener,
                self.metrics_router,
                self.limits,
                None,
                async move {
                    let _ = metrics_stopped.await;
                },
            ))
        });
        server::serve(self.listener, self.router, self.limits, self.tls, shutdown).await;
        let _ = stop_metrics.send(());
        if let Some(metrics_server) = metrics_server {
            let _ = metrics_server.await;
        }
        for task in self.background {
            task.abort();
        }
        Ok(())
    }

    /// Serves in the background; for tests and the all-in-one process.
    pub fn spawn(self) -> GatewayHandle {
        let port = self.port();
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let metrics_port = self.metrics_port();
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
            scheme,
            metrics_port,
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
    /// `https` when it serves TLS, else `http`.
    scheme: &'static str,
    /// The port `/metrics` is served on, if it is.
    pub metrics_port: Option<u16>,
    metrics: Arc<Metrics>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl GatewayHandle {
    /// The URL of its GraphQL endpoint on the loopback interface.
    pub fn graphql_url(&self) -> String {
        format!("{}://127.0.0.1:{}/graphql", self.scheme, self.port)
    }

    /// The URL of its `/metrics` on the loopback interface, if it serves them.
    pub fn metrics_url(&self) -> Option<String> {
        self.metrics_port
            .map(|port| format!("http://127.0.0.1:{port}/metrics"))
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

//! The gateway's configuration: flags, each with an environment variable, and sane
//! localhost defaults.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::ArgAction;
use kexie_contract::principal::{PrincipalSecret, SECRET_VARIABLE};

use crate::forwarded::HeaderRules;
use crate::http::cockpit::CockpitConfig;
use crate::http::cors::{CorsConfig, OriginRule, DEFAULT_ALLOW_HEADERS};
use crate::identity::api_keys::RateLimitConfig;
use crate::identity::staff::{AuthConfig, Secret};
use crate::pipeline::execute::shaping::Shaping;
use crate::pipeline::limits::OperationLimits;
use crate::pipeline::supergraph::{override_key, SubgraphSettings};
use crate::tls::SubgraphTls;

/// One subgraph's header rules as configured (see [`HeaderRules::parse`]).
#[derive(Clone, Debug, Default)]
pub struct SubgraphHeaders {
    /// Client headers passed on (`client-name:sent-name` renames).
    pub forward: Vec<String>,
    /// `name=value` headers sent.
    pub insert: Vec<String>,
    /// Headers not sent.
    pub remove: Vec<String>,
}

/// The client headers passed on to subgraphs unless configured otherwise: the credentials,
/// and the W3C trace context.
pub const DEFAULT_FORWARD_HEADERS: &str = "authorization,traceparent,tracestate";

/// Everything the gateway needs to run.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// The supergraph SDL file; it is watched and reloaded when it changes.
    pub supergraph: PathBuf,
    /// Where to serve HTTP (port 0 picks a free port).
    pub listen: SocketAddr,
    /// How long one subgraph request may take, connection included.
    pub subgraph_timeout: Duration,
    /// Timeouts of particular subgraphs, overriding `subgraph_timeout`, keyed like
    /// `subgraph_urls`. [`GatewayArgs::into_config`] fills it from the
    /// `SUBGRAPH_<NAME>_TIMEOUT_MS` environment variables.
    pub subgraph_timeouts: HashMap<String, Duration>,
    /// Subgraph URLs overriding the supergraph's `@join__graph(url:)`, keyed by subgraph name
    /// (any case; `-` and other separators count as `_`). [`GatewayArgs::into_config`] fills it
    /// from the `SUBGRAPH_<NAME>_URL` environment variables.
    pub subgraph_urls: HashMap<String, String>,
    /// A PEM bundle of CA certificates trusted for every `https://` connection (subgraphs,
    /// the JWKS) besides the system's roots: a private CA.
    pub tls_ca_file: Option<PathBuf>,
    /// TLS settings of particular subgraphs (a CA bundle of their own, a client certificate
    /// for mTLS), keyed like `subgraph_urls`. [`GatewayArgs::into_config`] fills it from the
    /// `SUBGRAPH_<NAME>_CA_FILE`, `SUBGRAPH_<NAME>_CLIENT_CERT_FILE` and
    /// `SUBGRAPH_<NAME>_CLIENT_KEY_FILE` environment variables.
    pub subgraph_tls: HashMap<String, SubgraphTls>,
    /// The certificate chain and private key (PEM files) the listener serves TLS with,
    /// read again when they change; unset, it serves plain HTTP.
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// Share one subgraph request between identical requests in flight (queries only).
    pub dedup_subgraph_fetches: bool,
    /// Share one execution between identical client queries in flight with the same
    /// forwarded headers. Off by default: it is only correct when queries have no side
    /// effects and their answers do not depend on anything but the request.
    pub dedup_client_queries: bool,
    /// The largest request body accepted (larger ones get 413).
    pub max_body_bytes: usize,
    /// One request's deadline, from its arrival: each subgraph fetch gets at most the time
    /// left, and at the deadline the client gets what has arrived with an error.
    pub request_timeout: Duration,
    /// How long a connection may take to send a request's headers, counted from when it was
    /// accepted or its previous response was sent: also how long a kept-alive connection
    /// may stay idle.
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive once its headers have (408 after).
    pub body_read_timeout: Duration,
    /// How many client connections may be open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Where `/metrics` is served; `None`: nowhere. Never on the public listener.
    pub metrics_listen: Option<SocketAddr>,
    /// How many prepared documents and how many plans are cached (each).
    pub cache_capacity: usize,
    /// How often the supergraph file is checked for changes.
    pub supergraph_poll_interval: Duration,
    /// Client headers forwarded to every subgraph (lower case; `client-name:sent-name`
    /// renames one).
    pub forward_headers: Vec<String>,
    /// Headers of fixed value sent to every subgraph (`name=value`).
    pub insert_headers: Vec<String>,
    /// Headers never sent to subgraphs, of those the rules above give.
    pub remove_headers: Vec<String>,
    /// Header rules of particular subgraphs, after those of every subgraph, keyed like
    /// `subgraph_urls`. [`GatewayArgs::into_config`] fills it from the
    /// `SUBGRAPH_<NAME>_FORWARD_HEADERS`, `…_INSERT_HEADERS` and `…_REMOVE_HEADERS`
    /// environment variables.
    pub subgraph_headers: HashMap<String, SubgraphHeaders>,
    /// Whether `__schema` and `__type` are answered.
    pub introspection: bool,
    /// Where rollup responses are cached; `None` serves every request from the subgraphs.
    pub response_cache: Option<ResponseCacheConfig>,
    /// Signs the principal forwarded to subgraphs; they verify it with the same secret.
    pub principal_secret: PrincipalSecret,
    /// How staff tokens are checked.
    pub auth: AuthConfig,
    /// What one operation may ask.
    pub limits: OperationLimits,
    /// The trusted-documents manifest (hash → document), if any.
    pub trusted_documents: Option<PathBuf>,
    /// Run trusted documents only (needs `trusted_documents`).
    pub trusted_documents_only: bool,
    /// The Redis that counts partner keys' calls against their limits (see
    /// [`crate::identity::api_keys`]); `None`: partner keys are not rate limited. The same Redis and
    /// namespace as the response cache (`REDIS_URL`, `REDIS_NAMESPACE`).
    pub partner_rate_limit: Option<RateLimitConfig>,
    /// The length of a rate-limit window: a minute, as keys' `requestsPerMinute` says;
    /// tests shorten it.
    pub partner_rate_window: Duration,
    /// The subgraph that issues partner API keys and logs their calls (its
    /// `/internal/api-keys/verify` and `/internal/partner-calls` beside its GraphQL URL).
    pub api_key_subgraph: String,
    /// What the leadership cockpit (`/cockpit`) serves besides its page: boundary files and
    /// a demo run's sign-ins.
    pub cockpit: CockpitConfig,
    /// Which other origins' pages may call from a browser (off by default).
    pub cors: CorsConfig,
    /// Retries of subgraph queries and circuit breaking per subgraph.
    pub shaping: Shaping,
    /// Register and run automatic persisted queries (Apollo's protocol).
    pub persisted_queries: bool,
    /// How long Redis keeps a registered query.
    pub persisted_query_ttl: Duration,
}

/// The subgraph that issues partner API keys, unless configured otherwise.
pub const DEFAULT_API_KEY_SUBGRAPH: &str = "organizations";

/// The Redis that caches rollup responses and holds the subgraphs' data versions
/// (see [`crate::cache::responses`]).
#[derive(Clone, Debug)]
pub struct ResponseCacheConfig {
    pub redis_url: String,
    /// The prefix of every key; the subgraphs must use the same one.
    pub namespace: String,
}

impl GatewayConfig {
    /// A configuration with the defaults for everything but the supergraph and the address,
    /// and a random principal secret (right when this process also runs the subgraphs, or
    /// for tests; a gateway in a process of its own takes [`SECRET_VARIABLE`], see
    /// [`GatewayArgs::into_config`]).
    pub fn new(supergraph: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        GatewayConfig {
            supergraph: supergraph.into(),
            listen,
            subgraph_timeout: Duration::from_millis(5_000),
            subgraph_timeouts: HashMap::new(),
            subgraph_urls: HashMap::new(),
            tls_ca_file: None,
            subgraph_tls: HashMap::new(),
            tls_cert_file: None,
            tls_key_file: None,
            dedup_subgraph_fetches: true,
            dedup_client_queries: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 4096,
            metrics_listen: None,
            cache_capacity: 1024,
            supergraph_poll_interval: Duration::from_secs(1),
            forward_headers: DEFAULT_FORWARD_HEADERS
                .split(',')
                .map(str::to_string)
                .collect(),
            insert_headers: Vec::new(),
            remove_headers: Vec::new(),
            subgraph_headers: HashMap::new(),
            introspection: true,
            response_cache: None,
            principal_secret: PrincipalSecret::generate(),
            auth: AuthConfig::default(),
            limits: OperationLimits::default(),
            trusted_documents: None,
            trusted_documents_only: false,
            partner_rate_limit: None,
            partner_rate_window: Duration::from_secs(60),
            api_key_subgraph: DEFAULT_API_KEY_SUBGRAPH.to_string(),
            cockpit: CockpitConfig::default(),
            cors: CorsConfig::default(),
            shaping: Shaping::default(),
            persisted_queries: true,
            persisted_query_ttl: Duration::from_secs(24 * 3600),
        }
    }

    /// Signs principals with `secret` (the subgraphs must verify with the same one).
    pub fn with_principal_secret(mut self, secret: PrincipalSecret) -> Self {
        self.principal_secret = secret;
        self
    }

    /// Accepts HS256 staff tokens signed with `secret`.
    pub fn with_hs256_secret(mut self, secret: &str) -> Self {
        self.auth.hs256_secret = Some(Secret(secret.to_string()));
        self
    }

    /// Caches rollup responses in the Redis at `redis_url`, under `namespace`, and counts
    /// partner keys' calls there.
    pub fn with_response_cache(mut self, redis_url: &str, namespace: &str) -> Self {
        self.response_cache = Some(ResponseCacheConfig {
            redis_url: redis_url.to_string(),
            namespace: namespace.to_string(),
        });
        self.with_partner_rate_limit(redis_url, namespace)
    }

    /// Counts partner keys' calls against their limits in the Redis at `redis_url`, under
    /// `namespace`.
    pub fn with_partner_rate_limit(mut self, redis_url: &str, namespace: &str) -> Self {
        self.partner_rate_limit = Some(RateLimitConfig {
            redis_url: redis_url.to_string(),
            namespace: namespace.to_string(),
        });
        self
    }

    /// Counts partner calls per `window` instead of per minute (for tests).
    pub fn with_partner_rate_window(mut self, window: Duration) -> Self {
        self.partner_rate_window = window;
        self
    }

    /// Serves the cockpit with `cockpit`'s boundary files and sign-ins.
    pub fn with_cockpit(mut self, cockpit: CockpitConfig) -> Self {
        self.cockpit = cockpit;
        self
    }

    /// Overrides the URL of one subgraph.
    pub fn with_subgraph_url(mut self, name: &str, url: impl Into<String>) -> Self {
        self.subgraph_urls.insert(name.to_string(), url.into());
        self
    }

    /// Serves `/metrics` on `address` (port 0 picks a free port).
    pub fn with_metrics_listen(mut self, address: SocketAddr) -> Self {
        self.metrics_listen = Some(address);
        self
    }

    /// Trusts the CA certificates of the PEM file `path` for every `https://` connection.
    pub fn with_tls_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls_ca_file = Some(path.into());
        self
    }

    /// Serves TLS with the certificate chain and key of these PEM files (read again when
    /// they change).
    pub fn with_tls_certificate(
        mut self,
        cert_file: impl Into<PathBuf>,
        key_file: impl Into<PathBuf>,
    ) -> Self {
        self.tls_cert_file = Some(cert_file.into());
        self.tls_key_file = Some(key_file.into());
        self
    }

    /// Gives one subgraph header rules of its own, applied after those of every subgraph.
    pub fn with_subgraph_headers(mut self, name: &str, headers: SubgraphHeaders) -> Self {
        self.subgraph_headers.insert(name.to_string(), headers);
        self
    }

    /// Gives one subgraph TLS settings of its own.
    pub fn with_subgraph_tls(mut self, name: &str, tls: SubgraphTls) -> Self {
        self.subgraph_tls.insert(name.to_string(), tls);
        self
    }

    /// Gives one subgraph a timeout of its own.
    pub fn with_subgraph_timeout(mut self, name: &str, timeout: Duration) -> Self {
        self.subgraph_timeouts.insert(name.to_string(), timeout);
        self
    }

    /// The per-subgraph settings, keyed as the supergraph loader looks them up; fails on
    /// header rules that cannot be used.
    pub(crate) fn subgraph_settings(&self) -> anyhow::Result<SubgraphSettings> {
        let headers = HeaderRules::parse(
            "GATEWAY",
            &self.forward_headers,
            &self.insert_headers,
            &self.remove_headers,
        )?;
        let mut subgraph_headers = HashMap::new();
        for (name, own) in &self.subgraph_headers {
            let key = override_key(name);
            let rules = HeaderRules::parse(
                &format!("SUBGRAPH_{key}"),
                &own.forward,
                &own.insert,
                &own.remove,
            )?;
            subgraph_headers.insert(key, rules);
        }
        Ok(SubgraphSettings {
            urls: self
                .subgraph_urls
                .iter()
                .map(|(name, url)| (override_key(name), url.clone()))
                .collect(),
            timeouts: self
                .subgraph_timeouts
                .iter()
                .map(|(name, timeout)| (override_key(name), *timeout))
                .collect(),
            default_timeout: self.subgraph_timeout,
            tls: self
                .subgraph_tls
                .iter()
                .map(|(name, tls)| (override_key(name), tls.clone()))
                .collect(),
            ca_file: self.tls_ca_file.clone(),
            headers,
            subgraph_headers,
        })
    }
}

/// The gateway's command-line flags (each also read from the environment variable named).
///
/// Subgraph URLs come from the supergraph's `join__Graph` enum (`@join__graph(url:)`); the
/// environment variable `SUBGRAPH_<NAME>_URL` overrides the URL of the subgraph `<name>`
/// (upper-cased, other characters than letters and digits as `_`), for example
/// `SUBGRAPH_TALENT_URL=http://talent:4002/graphql`.
#[derive(Clone, Debug, clap::Args)]
pub struct GatewayArgs {
    /// The supergraph SDL file.
    #[arg(
        long,
        env = "SUPERGRAPH_PATH",
        default_value = "schema/supergraph.graphql"
    )]
    pub supergraph: PathBuf,
    /// Where the gateway listens.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,
    /// Subgraph traffic, the HTTP server's limits and where metrics are served.
    #[command(flatten)]
    pub traffic: TrafficArgs,
    /// How often the supergraph file is checked for changes, in milliseconds.
    #[arg(long, env = "GATEWAY_SUPERGRAPH_POLL_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub supergraph_poll_ms: u64,
    /// Authentication, abuse limits and trusted documents.
    #[command(flatten)]
    pub security: SecurityArgs,
    /// Cache rollup responses in Redis (fresh after every acknowledged write).
    #[arg(long, env = "GATEWAY_RESPONSE_CACHE", default_value_t = true, action = ArgAction::Set)]
    pub response_cache: bool,
    /// The Redis of the response cache, of the subgraphs' data versions and of partner
    /// keys' rate limits.
    #[arg(long, env = "REDIS_URL", default_value = kexie_contract::data_version::DEFAULT_REDIS_URL)]
    pub redis_url: String,
    /// The prefix of the Redis keys, shared with the subgraphs.
    #[arg(long, env = "REDIS_NAMESPACE", default_value = kexie_contract::data_version::DEFAULT_REDIS_NAMESPACE)]
    pub redis_namespace: String,
    /// A directory of boundary files for the cockpit's map, `<division code>.json` (GeoJSON
    /// of that division's children, `properties.adcode` each child's code).
    #[arg(long, env = "GATEWAY_COCKPIT_MAPS")]
    pub cockpit_maps: Option<PathBuf>,
}

/// The gateway's traffic settings: toward the subgraphs (timeouts, sharing, forwarded
/// headers) and from clients (deadline, body size, connection limits), and where metrics
/// are served. Shared by `kexie gateway` and `kexie serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct TrafficArgs {
    /// A PEM file of CA certificates trusted for every https:// connection (subgraphs, the
    /// JWKS) besides the system's roots.
    #[arg(long, env = "GATEWAY_TLS_CA_FILE")]
    pub tls_ca_file: Option<PathBuf>,
    /// The certificate chain (PEM) the gateway serves TLS with; read again when it changes.
    /// Unset: plain HTTP.
    #[arg(long, env = "GATEWAY_TLS_CERT_FILE")]
    pub tls_cert_file: Option<PathBuf>,
    /// The private key (PEM) of that certificate.
    #[arg(long, env = "GATEWAY_TLS_KEY_FILE")]
    pub tls_key_file: Option<PathBuf>,
    /// Timeout of one subgraph request, in milliseconds.
    #[arg(long, env = "GATEWAY_SUBGRAPH_TIMEOUT_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub subgraph_timeout_ms: u64,
    /// Share identical subgraph requests in flight (queries only, never data older than
    /// the read: see Freshness in gateway/README.md).
    #[arg(long, env = "GATEWAY_DEDUP_SUBGRAPH_FETCHES", default_value_t = true, action = ArgAction::Set)]
    pub dedup_subgraph_fetches: bool,
    /// Share one execution between identical client queries in flight (same forwarded
    /// headers). Only for side-effect-free queries.
    #[arg(long, env = "GATEWAY_DEDUP_CLIENT_QUERIES", default_value_t = false, action = ArgAction::Set)]
    pub dedup_client_queries: bool,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "GATEWAY_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Cached prepared documents, and cached plans.
    #[arg(long, env = "GATEWAY_CACHE_CAPACITY", default_value_t = 1024)]
    pub cache_capacity: usize,
    /// Client headers forwarded to every subgraph, comma-separated; `client-name:sent-name`
    /// renames one (never `kexie-principal` nor `x-api-key`).
    #[arg(long, env = "GATEWAY_FORWARD_HEADERS", value_delimiter = ',', default_value = DEFAULT_FORWARD_HEADERS)]
    pub forward_headers: Vec<String>,
    /// Headers of fixed value sent to every subgraph, comma-separated `name=value`.
    #[arg(long, env = "GATEWAY_INSERT_HEADERS", value_delimiter = ',')]
    pub insert_headers: Vec<String>,
    /// Headers never sent to subgraphs (of those forwarded or inserted), comma-separated.
    #[arg(long, env = "GATEWAY_REMOVE_HEADERS", value_delimiter = ',')]
    pub remove_headers: Vec<String>,
    /// One request's deadline from its arrival, in milliseconds.
    #[arg(long, env = "GATEWAY_REQUEST_TIMEOUT_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub request_timeout_ms: u64,
    /// How long a client may take to send a request's headers, counted from when its
    /// connection was accepted or its previous response sent (so also the idle keep-alive
    /// timeout), in milliseconds.
    #[arg(long, env = "GATEWAY_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub header_read_timeout_ms: u64,
    /// How long a request's body may take to arrive, in milliseconds.
    #[arg(long, env = "GATEWAY_BODY_READ_TIMEOUT_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub body_read_timeout_ms: u64,
    /// How many client connections may be open at once.
    #[arg(long, env = "GATEWAY_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Where Prometheus `/metrics` is served (`off`: nowhere).
    #[arg(long, env = "GATEWAY_METRICS_LISTEN", default_value = "127.0.0.1:9090")]
    pub metrics_listen: MetricsListen,
    /// How often a subgraph query that broke or got 502/503/504 is sent again (0: never;
    /// mutations never are).
    #[arg(long, env = "GATEWAY_SUBGRAPH_RETRIES", default_value_t = Shaping::default().retries,
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub subgraph_retries: u32,
    /// The first retry's backoff in milliseconds; each further one doubles it.
    #[arg(long, env = "GATEWAY_SUBGRAPH_RETRY_BACKOFF_MS", default_value_t = 25)]
    pub subgraph_retry_backoff_ms: u64,
    /// The retry budget: retries may add this percentage of a subgraph's requests.
    #[arg(long, env = "GATEWAY_SUBGRAPH_RETRY_BUDGET_PERCENT", default_value_t = Shaping::default().budget_percent,
          value_parser = clap::value_parser!(u64).range(0..=100))]
    pub subgraph_retry_budget_percent: u64,
    /// Failed subgraph requests in a row that open its circuit (0: no circuit breaking).
    #[arg(long, env = "GATEWAY_CIRCUIT_FAILURE_THRESHOLD", default_value_t = Shaping::default().failure_threshold)]
    pub circuit_failure_threshold: u32,
    /// How long an open circuit refuses requests before letting a probe through, in ms.
    #[arg(long, env = "GATEWAY_CIRCUIT_OPEN_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub circuit_open_ms: u64,
}

/// Where metrics are served: an address, or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsListen(pub Option<SocketAddr>);

impl std::str::FromStr for MetricsListen {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim() {
            "" | "off" | "false" | "none" => Ok(MetricsListen(None)),
            address => address
                .parse()
                .map(|address| MetricsListen(Some(address)))
                .map_err(|_| {
                    format!("`{address}` is neither an address such as 127.0.0.1:9090 nor `off`")
                }),
        }
    }
}

impl TrafficArgs {
    /// `config` with these settings, the subgraph timeouts of the
    /// `SUBGRAPH_<NAME>_TIMEOUT_MS` environment variables (a value that is not a positive
    /// number of milliseconds is ignored, with a warning) and the subgraphs' TLS settings of
    /// `SUBGRAPH_<NAME>_CA_FILE`, `SUBGRAPH_<NAME>_CLIENT_CERT_FILE` and
    /// `SUBGRAPH_<NAME>_CLIENT_KEY_FILE`.
    pub fn apply(self, mut config: GatewayConfig) -> GatewayConfig {
        let set = |path: Option<PathBuf>| path.filter(|path| !path.as_os_str().is_empty());
        config.tls_ca_file = set(self.tls_ca_file);
        config.tls_cert_file = set(self.tls_cert_file);
        config.tls_key_file = set(self.tls_key_file);
        config.subgraph_tls = per_subgraph(&[
            ("_CA_FILE", |tls: &mut SubgraphTls, path| {
                tls.ca_file = Some(path.into())
            }),
            ("_CLIENT_CERT_FILE", |tls, path| {
                tls.client_cert_file = Some(path.into())
            }),
            ("_CLIENT_KEY_FILE", |tls, path| {
                tls.client_key_file = Some(path.into())
            }),
        ]);
        config.subgraph_timeout = Duration::from_millis(self.subgraph_timeout_ms);
        config.subgraph_timeouts = subgraph_variables("_TIMEOUT_MS")
            .into_iter()
            .filter_map(|(subgraph, value)| match value.trim().parse::<u64>() {
                Ok(millis) if millis > 0 => Some((subgraph, Duration::from_millis(millis))),
                _ => {
                    tracing::warn!(subgraph = %subgraph, value = %value, "SUBGRAPH_<NAME>_TIMEOUT_MS must be a positive number of milliseconds; ignored");
                    None
                }
            })
            .collect();
        config.dedup_subgraph_fetches = self.dedup_subgraph_fetches;
        config.dedup_client_queries = self.dedup_client_queries;
        config.max_body_bytes = self.max_body_bytes;
        config.cache_capacity = self.cache_capacity;
        config.forward_headers = self
            .forward_headers
            .into_iter()
            .map(|header| header.trim().to_ascii_lowercase())
            .filter(|header| !header.is_empty())
            .collect();
        config.insert_headers = self.insert_headers;
        config.remove_headers = self.remove_headers;
        config.subgraph_headers = per_subgraph(&[
            (
                "_FORWARD_HEADERS",
                |headers: &mut SubgraphHeaders, value| headers.forward = list(value),
            ),
            ("_INSERT_HEADERS", |headers, value| {
                headers.insert = list(value)
            }),
            ("_REMOVE_HEADERS", |headers, value| {
                headers.remove = list(value)
            }),
        ]);
        config.request_timeout = Duration::from_millis(self.request_timeout_ms);
        config.header_read_timeout = Duration::from_millis(self.header_read_timeout_ms);
        config.body_read_timeout = Duration::from_millis(self.body_read_timeout_ms);
        config.max_connections = usize::try_from(self.max_connections).unwrap_or(usize::MAX);
        config.metrics_listen = self.metrics_listen.0;
        config.shaping = Shaping {
            retries: self.subgraph_retries,
            backoff: Duration::from_millis(self.subgraph_retry_backoff_ms),
            budget_percent: self.subgraph_retry_budget_percent,
            failure_threshold: self.circuit_failure_threshold,
            open_for: Duration::from_millis(self.circuit_open_ms),
        };
        config
    }
}

/// Sets one field of a subgraph's settings from its variable's value.
type Setter<T> = fn(&mut T, String);

/// Per subgraph `<NAME>`, the settings its variables `SUBGRAPH_<NAME><suffix>` give, each
/// set by the function of its suffix (empty values are unset).
fn per_subgraph<T: Default>(fields: &[(&str, Setter<T>)]) -> HashMap<String, T> {
    let mut found: HashMap<String, T> = HashMap::new();
    for (suffix, set) in fields {
        for (subgraph, value) in subgraph_variables(suffix) {
            if !value.trim().is_empty() {
                set(found.entry(subgraph).or_default(), value);
            }
        }
    }
    found
}

/// A comma-separated list.
fn list(value: String) -> Vec<String> {
    value
        .split(',')
        .map(|item| item.trim().to_string())
        .collect()
}

/// The environment variables `SUBGRAPH_<NAME><suffix>`, as (`<NAME>`, value).
fn subgraph_variables(suffix: &str) -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter_map(|(name, value)| {
            let subgraph = name.strip_prefix("SUBGRAPH_")?.strip_suffix(suffix)?;
            (!subgraph.is_empty()).then(|| (subgraph.to_string(), value))
        })
        .collect()
}

/// The gateway's security settings: staff authentication, abuse limits, introspection and
/// trusted documents. Shared by `kexie gateway` and `kexie serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct SecurityArgs {
    /// The HS256 secret of staff tokens (unset: HS256 tokens are refused).
    #[arg(long, env = "GATEWAY_JWT_HS256_SECRET", hide_env_values = true)]
    pub jwt_hs256_secret: Option<Secret>,
    /// The JWKS URL of the identity provider (RS256 and ES256 tokens; https:// or http://).
    #[arg(long, env = "GATEWAY_JWKS_URL")]
    pub jwks_url: Option<String>,
    /// The `aud` every staff token must name.
    #[arg(long, env = "GATEWAY_JWT_AUDIENCE", default_value = "kexie")]
    pub jwt_audience: String,
    /// The `iss` every staff token must name (unset: not checked).
    #[arg(long, env = "GATEWAY_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// How deep an operation may nest.
    #[arg(long, env = "GATEWAY_MAX_DEPTH", default_value_t = OperationLimits::default().max_depth,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_depth: u64,
    /// How many aliases an operation may use.
    #[arg(long, env = "GATEWAY_MAX_ALIASES", default_value_t = OperationLimits::default().max_aliases)]
    pub max_aliases: u64,
    /// How many root fields an operation may select.
    #[arg(long, env = "GATEWAY_MAX_ROOT_FIELDS", default_value_t = OperationLimits::default().max_root_fields,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_root_fields: u64,
    /// How many tokens a document may have.
    #[arg(long, env = "GATEWAY_MAX_TOKENS", default_value_t = OperationLimits::default().max_tokens,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tokens: u64,
    /// The highest cost an operation may have (an object 1, a scalar 0, times the lists it
    /// is in; `@cost` and `@listSize` in the schema count as the demand-control
    /// specification says).
    #[arg(long, env = "GATEWAY_MAX_COST", default_value_t = OperationLimits::default().max_cost,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_cost: u64,
    /// The size the cost limit assumes for a list that nothing sizes (no `first`/`last`,
    /// no default, no `@listSize`).
    #[arg(long, env = "GATEWAY_ASSUMED_LIST_SIZE", default_value_t = OperationLimits::default().assumed_list_size,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub assumed_list_size: u64,
    /// Answer introspection queries (`__typename` is always answered).
    #[arg(long, env = "GATEWAY_INTROSPECTION", default_value_t = true, action = ArgAction::Set)]
    pub introspection: bool,
    /// A JSON file mapping the SHA-256 of trusted documents to their text.
    #[arg(long, env = "GATEWAY_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<PathBuf>,
    /// Run trusted documents only.
    #[arg(long, env = "GATEWAY_TRUSTED_DOCUMENTS_ONLY", default_value_t = false, action = ArgAction::Set)]
    pub trusted_documents_only: bool,
    /// Register and run automatic persisted queries (Apollo's protocol; with trusted
    /// documents only, nothing is registered).
    #[arg(long, env = "GATEWAY_APQ", default_value_t = true, action = ArgAction::Set)]
    pub apq: bool,
    /// How long Redis keeps a registered persisted query, in seconds.
    #[arg(long, env = "GATEWAY_APQ_TTL_SECS", default_value_t = 24 * 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub apq_ttl_secs: u64,
    /// The subgraph that issues partner API keys.
    #[arg(long, env = "GATEWAY_API_KEY_SUBGRAPH", default_value = DEFAULT_API_KEY_SUBGRAPH)]
    pub api_key_subgraph: String,
    /// Origins whose pages may call from a browser (CORS), comma-separated: exact
    /// (`https://app.example.gov.cn`) or every subdomain (`https://*.example.gov.cn`).
    /// Unset: no CORS headers, other origins' pages cannot call.
    #[arg(long, env = "GATEWAY_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<OriginRule>,
    /// The methods allowed origins may use.
    #[arg(
        long,
        env = "GATEWAY_CORS_METHODS",
        value_delimiter = ',',
        default_value = "GET,POST"
    )]
    pub cors_methods: Vec<axum::http::Method>,
    /// The request headers allowed origins may send.
    #[arg(long, env = "GATEWAY_CORS_ALLOW_HEADERS", value_delimiter = ',', default_value = DEFAULT_ALLOW_HEADERS)]
    pub cors_allow_headers: Vec<axum::http::HeaderName>,
    /// Let allowed origins send credentials (cookies) and read the answers.
    #[arg(long, env = "GATEWAY_CORS_ALLOW_CREDENTIALS", default_value_t = false, action = ArgAction::Set)]
    pub cors_allow_credentials: bool,
    /// How long a browser may keep a preflight's answer, in seconds.
    #[arg(long, env = "GATEWAY_CORS_MAX_AGE_SECS", default_value_t = 600)]
    pub cors_max_age_secs: u64,
}

impl SecurityArgs {
    /// `config` with these settings.
    pub fn apply(self, mut config: GatewayConfig) -> anyhow::Result<GatewayConfig> {
        let non_empty = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
        let trusted_documents = self
            .trusted_documents
            .filter(|path| !path.as_os_str().is_empty());
        if self.trusted_documents_only && trusted_documents.is_none() {
            anyhow::bail!(
                "GATEWAY_TRUSTED_DOCUMENTS_ONLY is true but GATEWAY_TRUSTED_DOCUMENTS names no manifest"
            );
        }
        config.auth = AuthConfig {
            hs256_secret: self.jwt_hs256_secret.filter(|secret| !secret.0.is_empty()),
            jwks_url: non_empty(self.jwks_url),
            audience: self.jwt_audience,
            issuer: non_empty(self.jwt_issuer),
        };
        config.limits = OperationLimits {
            max_depth: self.max_depth,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
            max_tokens: self.max_tokens,
            max_cost: self.max_cost,
            assumed_list_size: self.assumed_list_size,
        };
        config.introspection = self.introspection;
        config.trusted_documents = trusted_documents;
        config.trusted_documents_only = self.trusted_documents_only;
        config.api_key_subgraph = self.api_key_subgraph;
        config.persisted_queries = self.apq;
        config.persisted_query_ttl = Duration::from_secs(self.apq_ttl_secs);
        config.cors = CorsConfig {
            origins: self.cors_origins,
            methods: self.cors_methods,
            allow_headers: self.cors_allow_headers,
            allow_credentials: self.cors_allow_credentials,
            max_age: Duration::from_secs(self.cors_max_age_secs),
        };
        Ok(config)
    }
}

impl GatewayArgs {
    /// The configuration these flags describe, with the subgraph overrides read from the
    /// `SUBGRAPH_<NAME>_URL` and `SUBGRAPH_<NAME>_TIMEOUT_MS` environment variables (a
    /// timeout that is not a number of milliseconds is ignored, with a warning) and the
    /// principal secret from [`SECRET_VARIABLE`], which a gateway in a process of its own
    /// cannot do without: the subgraphs must verify what it signs.
    pub fn into_config(self) -> anyhow::Result<GatewayConfig> {
        let Some(principal_secret) = PrincipalSecret::from_env()? else {
            anyhow::bail!(
                "{SECRET_VARIABLE} is not set: the gateway signs the principal it forwards to the \
                 subgraphs with it. Set it to at least 32 random bytes (`openssl rand -hex 32`), \
                 the same value for the gateway and every subgraph."
            );
        };
        let security = self.security.clone();
        let config = self.into_config_without_secret();
        security.apply(config.with_principal_secret(principal_secret))
    }

    fn into_config_without_secret(self) -> GatewayConfig {
        let config = GatewayConfig {
            supergraph: self.supergraph,
            subgraph_urls: subgraph_variables("_URL").into_iter().collect(),
            supergraph_poll_interval: Duration::from_millis(self.supergraph_poll_ms),
            response_cache: self.response_cache.then(|| ResponseCacheConfig {
                redis_url: self.redis_url.clone(),
                namespace: self.redis_namespace.clone(),
            }),
            // Partner keys are limited whether or not responses are cached.
            partner_rate_limit: Some(RateLimitConfig {
                redis_url: self.redis_url,
                namespace: self.redis_namespace,
            }),
            cockpit: CockpitConfig {
                maps_dir: self.cockpit_maps,
                demo_sign_ins: Vec::new(),
            },
            ..GatewayConfig::new(PathBuf::new(), self.listen)
        };
        self.traffic.apply(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        gateway: GatewayArgs,
    }

    #[test]
    fn flags_override_the_defaults() {
        let cli = Cli::try_parse_from([
            "gateway",
            "--supergraph",
            "s.graphql",
            "--listen",
            "0.0.0.0:4100",
            "--subgraph-timeout-ms",
            "250",
            "--dedup-client-queries",
            "true",
            "--forward-headers",
            "Authorization, X-Trace",
        ])
        .unwrap();
        let config = cli.gateway.into_config_without_secret();
        assert_eq!(config.supergraph, PathBuf::from("s.graphql"));
        assert_eq!(config.request_timeout, Duration::from_secs(30));
        assert_eq!(
            config.metrics_listen,
            Some("127.0.0.1:9090".parse().unwrap())
        );
        assert_eq!(config.listen.port(), 4100);
        assert_eq!(config.subgraph_timeout, Duration::from_millis(250));
        assert!(config.dedup_client_queries);
        assert!(config.dedup_subgraph_fetches);
        assert_eq!(config.forward_headers, vec!["authorization", "x-trace"]);
        assert!(
            config.partner_rate_limit.is_some(),
            "partner keys are rate limited"
        );
        assert_eq!(config.partner_rate_window, Duration::from_secs(60));
    }

    #[test]
    fn security_flags_set_authentication_limits_and_trusted_documents() {
        let cli = Cli::try_parse_from([
            "gateway",
            "--jwt-hs256-secret",
            "s3cret",
            "--jwt-audience",
            "kexie-mianyang",
            "--jwt-issuer",
            "",
            "--max-depth",
            "7",
            "--max-cost",
            "900",
            "--introspection",
            "false",
        ])
        .unwrap();
        let config = cli
            .gateway
            .security
            .apply(GatewayConfig::new(
                "s.graphql",
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        assert_eq!(
            config.auth.hs256_secret.map(|secret| secret.0).as_deref(),
            Some("s3cret")
        );
        assert_eq!(config.auth.audience, "kexie-mianyang");
        assert_eq!(config.auth.issuer, None);
        assert_eq!(config.limits.max_depth, 7);
        assert_eq!(config.limits.max_cost, 900);
        assert_eq!(config.limits.max_aliases, 30);
        assert!(!config.introspection);
        // A depth of 0 would refuse everything.
        assert!(Cli::try_parse_from(["gateway", "--max-depth", "0"]).is_err());

        assert!(config.cors.origins.is_empty(), "CORS is off by default");

        let cors = Cli::try_parse_from([
            "gateway",
            "--cors-origins",
            "https://app.example.gov.cn,https://*.kexie.example",
            "--cors-allow-credentials",
            "true",
            "--cors-max-age-secs",
            "60",
        ])
        .unwrap()
        .gateway
        .security
        .apply(GatewayConfig::new(
            "s.graphql",
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap()
        .cors;
        assert_eq!(cors.origins.len(), 2);
        assert!(cors.allow_credentials);
        assert_eq!(cors.max_age, Duration::from_secs(60));
        assert_eq!(
            cors.methods,
            vec![axum::http::Method::GET, axum::http::Method::POST]
        );
        // An origin with a path is a mistake worth stopping for.
        assert!(
            Cli::try_parse_from(["gateway", "--cors-origins", "https://app.example.gov.cn/"])
                .is_err()
        );

        let only = Cli::try_parse_from(["gateway", "--trusted-documents-only", "true"]).unwrap();
        let refused = only.gateway.security.apply(GatewayConfig::new(
            "s.graphql",
            "127.0.0.1:0".parse().unwrap(),
        ));
        assert!(refused.is_err());
    }

    #[test]
    fn url_overrides_match_subgraph_names_in_any_case() {
        let config = GatewayConfig::new("s.graphql", "127.0.0.1:0".parse().unwrap())
            .with_subgraph_url("talent-v2", "http://t");
        assert_eq!(
            config
                .subgraph_settings()
                .unwrap()
                .urls
                .get("TALENT_V2")
                .map(String::as_str),
            Some("http://t")
        );
    }

    #[test]
    fn a_subgraph_may_have_a_timeout_of_its_own() {
        let config = GatewayConfig::new("s.graphql", "127.0.0.1:0".parse().unwrap())
            .with_subgraph_timeout("advice", Duration::from_millis(300));
        let settings = config.subgraph_settings().unwrap();
        assert_eq!(settings.timeout_of("advice"), Duration::from_millis(300));
        assert_eq!(settings.timeout_of("talent"), Duration::from_millis(5_000));
    }
}

//! TLS with rustls (the `ring` provider).
//!
//! Outgoing connections — to subgraphs, the JWKS and the API-key subgraph: `https://` URLs
//! are verified against the system's roots plus an optional CA bundle
//! (`GATEWAY_TLS_CA_FILE`, for a private CA); each subgraph may add a CA bundle of its own
//! and present a client certificate (mTLS). `http://` URLs stay plain.
//!
//! The gateway's own listener, when given a certificate and key
//! (`GATEWAY_TLS_CERT_FILE`, `GATEWAY_TLS_KEY_FILE`): served over TLS, the files read again
//! when they change (a renewed certificate is served to new connections without a
//! restart; files that do not load keep the previous certificate, with an error logged).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kexie_contract::tls::{client_config, provider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ServerConfig};

/// An HTTP client for `http://` and `https://` URLs.
pub(crate) type HttpsClient<B> = Client<HttpsConnector<HttpConnector>, B>;

/// The client of requests to subgraphs (GraphQL and the API-key subgraph's endpoints).
pub(crate) type SubgraphClient = HttpsClient<http_body_util::Full<bytes::Bytes>>;

/// What one subgraph's connections add to the gateway's TLS: a CA bundle trusted for it
/// alone, and the client certificate and key it presents (mTLS).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubgraphTls {
    pub ca_file: Option<PathBuf>,
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
}

impl SubgraphTls {
    pub(crate) fn is_default(&self) -> bool {
        *self == SubgraphTls::default()
    }
}

/// A client for `http://` and `https://` URLs with `tls`, keeping idle connections.
pub(crate) fn client<B>(tls: ClientConfig) -> HttpsClient<B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
{
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(60)));
    // The HTTPS connector hands `https://` connections to rustls after the TCP connect.
    http.enforce_http(false);
    let connector = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(512)
        .build(connector)
}

/// The configuration of connections that have nothing of their own (the JWKS, the API-key
/// subgraph, subgraphs without TLS settings): the system's roots plus `ca_file`.
pub(crate) fn shared_config(ca_file: Option<&Path>) -> anyhow::Result<ClientConfig> {
    client_config(ca_file.as_slice(), None).context("the CA bundle of GATEWAY_TLS_CA_FILE")
}

/// The configuration of one subgraph's connections: the shared roots, its own CA bundle
/// and its client certificate; `None` when it has nothing of its own.
pub(crate) fn subgraph_config(
    ca_file: Option<&Path>,
    name: &str,
    own: &SubgraphTls,
) -> anyhow::Result<Option<ClientConfig>> {
    if own.is_default() {
        return Ok(None);
    }
    let mut ca_files: Vec<&Path> = ca_file.into_iter().collect();
    ca_files.extend(own.ca_file.as_deref());
    let identity = match (&own.client_cert_file, &own.client_key_file) {
        (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
        (None, None) => None,
        _ => anyhow::bail!(
            "subgraph {name:?}: a client certificate needs both its certificate and its key \
             (SUBGRAPH_<NAME>_CLIENT_CERT_FILE and SUBGRAPH_<NAME>_CLIENT_KEY_FILE)"
        ),
    };
    client_config(&ca_files, identity)
        .map(Some)
        .with_context(|| format!("the TLS settings of subgraph {name:?}"))
}

/// The certificate the gateway's listener serves, from a certificate chain file and a key
/// file (PEM), replaced when [`ServerCertificate::reload`] finds the files changed.
#[derive(Debug)]
pub(crate) struct ServerCertificate {
    cert_file: PathBuf,
    key_file: PathBuf,
    /// A hash of the files' contents, and the certificate loaded from them.
    current: RwLock<(u64, Arc<CertifiedKey>)>,
}

/// The contents of a certificate file and a key file, and a hash of both.
struct Files {
    hash: u64,
    cert: Vec<u8>,
    key: Vec<u8>,
}

impl ServerCertificate {
    /// Loads the certificate; fails when the files cannot be read, hold no certificate or
    /// key, or the key is not the certificate's.
    pub(crate) fn load(cert_file: &Path, key_file: &Path) -> anyhow::Result<Self> {
        let files = Self::read(cert_file, key_file)?;
        let certified = Self::certified(&files, cert_file, key_file)?;
        Ok(ServerCertificate {
            cert_file: cert_file.to_path_buf(),
            key_file: key_file.to_path_buf(),
            current: RwLock::new((files.hash, Arc::new(certified))),
        })
    }

    fn read(cert_file: &Path, key_file: &Path) -> anyhow::Result<Files> {
        let read = |file: &Path| {
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
        };
        let (cert, key) = (read(cert_file)?, read(key_file)?);
        let hash = xxhash_rust::xxh3::xxh3_64(&[cert.as_slice(), &key].concat());
        Ok(Files { hash, cert, key })
    }

    fn certified(files: &Files, cert_file: &Path, key_file: &Path) -> anyhow::Result<CertifiedKey> {
        let chain = CertificateDer::pem_slice_iter(&files.cert)
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{} is not a PEM certificate file", cert_file.display()))?;
        anyhow::ensure!(
            !chain.is_empty(),
            "{} holds no PEM certificate",
            cert_file.display()
        );
        let key = PrivateKeyDer::from_pem_slice(&files.key)
            .with_context(|| format!("{} holds no PEM private key", key_file.display()))?;
        CertifiedKey::from_der(chain, key, &provider()).with_context(|| {
            format!(
                "the key {} is not the key of the certificate {}",
                key_file.display(),
                cert_file.display()
            )
        })
    }

    /// Reads the files and, if their contents changed, loads them; a failure keeps the
    /// certificate served now. Returns whether a new certificate is served.
    pub(crate) fn reload(&self) -> anyhow::Result<bool> {
        let files = Self::read(&self.cert_file, &self.key_file)?;
        if files.hash == self.current.read().unwrap_or_else(|err| err.into_inner()).0 {
            return Ok(false);
        }
        let certified = Self::certified(&files, &self.cert_file, &self.key_file)?;
        *self.current.write().unwrap_or_else(|err| err.into_inner()) =
            (files.hash, Arc::new(certified));
        Ok(true)
    }

    /// The TLS configuration of the listener: HTTP/1.1, this certificate.
    pub(crate) fn server_config(self: &Arc<Self>) -> anyhow::Result<ServerConfig> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("the TLS provider supports no protocol version")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl ResolvesServerCert for ServerCertificate {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|err| err.into_inner())
                .1
                .clone(),
        )
    }
}

/// Checks the certificate files every `interval` and serves them anew when they changed.
pub(crate) async fn keep_certificate_fresh(
    certificate: Arc<ServerCertificate>,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The error last reported, so that a file left broken is reported once.
    let mut last_error = None;
    loop {
        ticker.tick().await;
        let checked = {
            let certificate = certificate.clone();
            tokio::task::spawn_blocking(move || certificate.reload()).await
        };
        match checked {
            Ok(Ok(true)) => {
                last_error = None;
                tracing::info!(cert = %certificate.cert_file.display(), "TLS certificate reloaded");
            }
            Ok(Ok(false)) => last_error = None,
            Ok(Err(err)) => {
                let message = format!("{err:#}");
                if last_error.as_ref() != Some(&message) {
                    tracing::error!(error = %message, "the TLS certificate files do not load; still serving the previous certificate");
                    last_error = Some(message);
                }
            }
            Err(_) => {}
        }
    }
}

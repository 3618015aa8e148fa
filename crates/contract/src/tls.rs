//! TLS settings every process of the hub builds its clients from (rustls, the *ring*
//! provider): the system's roots plus CA bundles of the operator's, and client certificates.
//! The gateway's connections to subgraphs and the identity provider and every process's
//! OTLP exporter use them.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

/// The cryptography of every TLS connection. *ring* rather than aws-lc-rs: it builds with
/// the C compiler alone and quickly; it offers no post-quantum key exchange, which rustls
/// now flags. Switch the provider (and the features in Cargo.toml) when that is required.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// The roots connections trust: the system's, then the certificates of `ca_files`.
fn roots(ca_files: &[&Path]) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    for error in &system.errors {
        tracing::warn!(%error, "a system root certificate could not be read");
    }
    roots.add_parsable_certificates(system.certs);
    for file in ca_files {
        let certificates = certificates(file)?;
        anyhow::ensure!(
            !certificates.is_empty(),
            "the CA bundle {} holds no PEM certificate",
            file.display()
        );
        for certificate in certificates {
            roots.add(certificate).with_context(|| {
                format!("a certificate of {} is not a valid CA", file.display())
            })?;
        }
    }
    Ok(roots)
}

fn certificates(file: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_file_iter(file)
        .with_context(|| format!("cannot read the certificates of {}", file.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not a PEM certificate file", file.display()))
}

fn private_key(file: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(file)
        .with_context(|| format!("{} holds no PEM private key", file.display()))
}

/// The rustls configuration of clients trusting the system's roots plus `ca_files`, and
/// presenting `identity` (certificate chain file, key file) when given.
pub fn client_config(
    ca_files: &[&Path],
    identity: Option<(&Path, &Path)>,
) -> anyhow::Result<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("the TLS provider supports no protocol version")?
        .with_root_certificates(roots(ca_files)?);
    Ok(match identity {
        None => builder.with_no_client_auth(),
        Some((cert_file, key_file)) => builder
            .with_client_auth_cert(certificates(cert_file)?, private_key(key_file)?)
            .with_context(|| {
                format!(
                    "the client certificate {} does not go with the key {}",
                    cert_file.display(),
                    key_file.display()
                )
            })?,
    })
}

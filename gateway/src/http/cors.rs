//! CORS: which other origins' pages may call the gateway from a browser. Off unless origins
//! are configured (`GATEWAY_CORS_ORIGINS`): then a preflight from an allowed origin is
//! answered with what it may send, and its requests carry `Access-Control-Allow-Origin`;
//! any other origin gets no CORS headers, so its browser refuses to send or to read.
//!
//! CSRF prevention ([`super::csrf`]) stays as it is: a request a browser sends without
//! asking first (a form post, a plain GET) is refused from every origin, allowed or not.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The headers a browser page may send when none are configured: what the gateway reads.
pub const DEFAULT_ALLOW_HEADERS: &str =
    "content-type,accept,authorization,x-api-key,kexie-preflight,traceparent,tracestate";

/// Who may call from a browser on another origin, and how.
#[derive(Clone, Debug)]
pub struct CorsConfig {
    /// Allowed origins; empty: CORS is off.
    pub origins: Vec<OriginRule>,
    pub methods: Vec<Method>,
    pub allow_headers: Vec<HeaderName>,
    /// Let pages send credentials (cookies, HTTP authentication) and read the answers.
    pub allow_credentials: bool,
    /// How long a browser may keep a preflight's answer.
    pub max_age: Duration,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            origins: Vec::new(),
            methods: vec![Method::GET, Method::POST],
            allow_headers: DEFAULT_ALLOW_HEADERS
                .split(',')
                .map(HeaderName::from_static)
                .collect(),
            allow_credentials: false,
            max_age: Duration::from_secs(600),
        }
    }
}

/// An allowed origin: exactly one (`https://app.example.gov.cn`), or every subdomain of a
/// domain on one scheme and port (`https://*.example.gov.cn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginRule {
    Exact(String),
    /// `scheme://` and `.domain[:port]` around the `*`.
    Subdomains {
        prefix: String,
        suffix: String,
    },
}

impl std::str::FromStr for OriginRule {
    type Err = String;

    /// An origin as a browser sends it: scheme, host and port if not the default, nothing
    /// after; at most one `*`, standing for one or more subdomain labels.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let origin = text.trim().to_ascii_lowercase();
        let Some((scheme, rest)) = origin.split_once("://") else {
            return Err(format!("`{text}` is not an origin (scheme://host[:port])"));
        };
        if !matches!(scheme, "http" | "https")
            || rest.is_empty()
            || rest.contains(['/', '?', '#', '@', ' '])
        {
            return Err(format!(
                "`{text}` is not an origin: http or https, a host and an optional port, no path"
            ));
        }
        match rest.matches('*').count() {
            0 => Ok(OriginRule::Exact(origin)),
            1 if rest.starts_with("*.") && rest.len() > 2 => Ok(OriginRule::Subdomains {
                prefix: format!("{scheme}://"),
                suffix: rest[1..].to_string(),
            }),
            _ => Err(format!(
                "`{text}`: a pattern has one `*`, in front of the domain (https://*.example.gov.cn)"
            )),
        }
    }
}

impl OriginRule {
    fn allows(&self, origin: &str) -> bool {
        match self {
            OriginRule::Exact(allowed) => allowed.eq_ignore_ascii_case(origin),
            OriginRule::Subdomains { prefix, suffix } => {
                let origin = origin.to_ascii_lowercase();
                origin
                    .strip_prefix(prefix.as_str())
                    .and_then(|host| host.strip_suffix(suffix.as_str()))
                    .is_some_and(|labels| {
                        !labels.is_empty()
                            && labels.split('.').all(|label| {
                                !label.is_empty()
                                    && label
                                        .bytes()
                                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                            })
                    })
            }
        }
    }
}

impl CorsConfig {
    /// The layer answering preflights and marking answers, or `None` when CORS is off.
    pub(crate) fn layer(&self) -> Option<CorsLayer> {
        if self.origins.is_empty() {
            return None;
        }
        let origins = self.origins.clone();
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::predicate(
                    move |origin: &HeaderValue, _request| {
                        origin
                            .to_str()
                            .is_ok_and(|origin| origins.iter().any(|rule| rule.allows(origin)))
                    },
                ))
                .allow_methods(self.methods.clone())
                .allow_headers(self.allow_headers.clone())
                .allow_credentials(self.allow_credentials)
                .expose_headers([
                    HeaderName::from_static("retry-after"),
                    HeaderName::from_static("www-authenticate"),
                ])
                .max_age(self.max_age),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> OriginRule {
        text.parse().unwrap()
    }

    #[test]
    fn exact_origins_and_subdomain_patterns() {
        let exact = rule("https://App.example.gov.cn");
        assert!(exact.allows("https://app.example.gov.cn"));
        assert!(!exact.allows("http://app.example.gov.cn"));
        assert!(!exact.allows("https://app.example.gov.cn:8443"));

        let pattern = rule("https://*.example.gov.cn");
        assert!(pattern.allows("https://app.example.gov.cn"));
        assert!(pattern.allows("https://a.b.example.gov.cn"));
        assert!(!pattern.allows("https://example.gov.cn"));
        assert!(!pattern.allows("https://evil-example.gov.cn"));
        assert!(!pattern.allows("https://app.example.gov.cn.evil.cn"));
        assert!(!pattern.allows("http://app.example.gov.cn"));
        assert!(!pattern.allows("https://app.example.gov.cn:444"));
        assert!(!pattern.allows("https://x..example.gov.cn"));
    }

    #[test]
    fn what_is_not_an_origin_is_refused() {
        for bad in [
            "example.gov.cn",
            "ftp://example.gov.cn",
            "https://example.gov.cn/path",
            "https://*",
            "https://app.*.gov.cn",
            "https://*.*.gov.cn",
            "https://",
        ] {
            assert!(bad.parse::<OriginRule>().is_err(), "{bad}");
        }
    }
}

//! What a request carries to every subgraph besides its operations: the client headers
//! passed on, the principal the gateway signed for it and the language its errors speak. Two requests with equal
//! [`ForwardedHeaders`] are alike to every subgraph, so deduplication and the response cache
//! key on it.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use anyhow::{bail, Context as _};
use hyper::header::{HeaderName, HeaderValue};
use kexie_contract::principal::PRINCIPAL_HEADER;

use kexie_contract::language::Language;

use crate::identity::api_keys::API_KEY_HEADER;
use crate::identity::principal::Identity;

/// What a request sends to subgraphs besides its operations: the client headers passed on
/// (an allow-list, see `GatewayConfig`), the signed principal, and the language the client
/// prefers (`accept-language: zh` or `en`, whatever the client's own list).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct ForwardedHeaders(
    pub Vec<(HeaderName, HeaderValue)>,
    pub Option<SignedPrincipal>,
    pub Language,
);

/// A request's principal, signed once for all its subgraph fetches. Requests of the same
/// identity are alike to deduplication whatever their tokens' times, so the token takes no
/// part in comparisons.
#[derive(Clone, Debug)]
pub(crate) struct SignedPrincipal {
    pub identity: Arc<Identity>,
    /// The value of the `kexie-principal` header.
    pub token: HeaderValue,
    /// A hash of `identity`, taken once: deduplication hashes a request's headers for its
    /// client query and for each of its fetches, and an identity is many strings.
    fingerprint: u64,
}

impl SignedPrincipal {
    pub(crate) fn new(identity: Identity, token: HeaderValue) -> Self {
        let fingerprint = rustc_hash::FxBuildHasher.hash_one(&identity);
        SignedPrincipal {
            identity: Arc::new(identity),
            token,
            fingerprint,
        }
    }
}

impl PartialEq for SignedPrincipal {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint && self.identity == other.identity
    }
}

impl Eq for SignedPrincipal {}

impl Hash for SignedPrincipal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.fingerprint);
    }
}

/// Headers no rule may send: the gateway's own principal, and those of the HTTP exchange
/// itself, which the gateway sets.
const PROTECTED: [&str; 7] = [
    PRINCIPAL_HEADER,
    "content-type",
    "content-length",
    "accept",
    "host",
    "transfer-encoding",
    "connection",
];

/// How client headers become subgraph headers, for every subgraph (`GATEWAY_*_HEADERS`) or
/// one (`SUBGRAPH_<NAME>_*_HEADERS`): client headers passed on, possibly under another name
/// (propagate, rename); headers of fixed value (insert); headers not sent (remove).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderRules {
    /// (the client's header, the name it is sent under).
    pub propagate: Vec<(HeaderName, HeaderName)>,
    pub insert: Vec<(HeaderName, HeaderValue)>,
    pub remove: Vec<HeaderName>,
}

fn header_name(setting: &str, text: &str) -> anyhow::Result<HeaderName> {
    HeaderName::try_from(text.trim())
        .with_context(|| format!("{setting}: {text:?} is not a header name"))
}

/// The entries of a list setting, trimmed, without empty ones.
fn entries(list: &[String]) -> impl Iterator<Item = &str> {
    list.iter()
        .map(|entry| entry.trim())
        .filter(|entry| !entry.is_empty())
}

fn sendable(setting: &str, name: HeaderName) -> anyhow::Result<HeaderName> {
    if PROTECTED.contains(&name.as_str()) {
        bail!("{setting}: the gateway sets {name} itself; no rule may");
    }
    Ok(name)
}

impl HeaderRules {
    /// Reads the rules of one scope (`scope` names its settings in errors): `propagate`
    /// entries are a header name or `client-name:sent-name`, `insert` entries
    /// `name=value`, `remove` entries a name. A client's principal or API key is never
    /// propagated (skipped with a warning).
    pub fn parse(
        scope: &str,
        propagate: &[String],
        insert: &[String],
        remove: &[String],
    ) -> anyhow::Result<Self> {
        let mut rules = HeaderRules::default();
        let setting = format!("{scope}_FORWARD_HEADERS");
        for entry in entries(propagate) {
            let (from, to) = entry.split_once(':').unwrap_or((entry, entry));
            let from = header_name(&setting, from)?;
            if from.as_str() == PRINCIPAL_HEADER || from.as_str() == API_KEY_HEADER {
                tracing::warn!(header = %from, "a client's principal or API key is never passed on to subgraphs");
                continue;
            }
            let to = sendable(&setting, header_name(&setting, to)?)?;
            rules.propagate.push((from, to));
        }
        let setting = format!("{scope}_INSERT_HEADERS");
        for entry in entries(insert) {
            let Some((name, value)) = entry.split_once('=') else {
                bail!("{setting}: {entry:?} is not name=value");
            };
            let name = sendable(&setting, header_name(&setting, name)?)?;
            let value = HeaderValue::from_str(value.trim())
                .with_context(|| format!("{setting}: {value:?} is not a header value"))?;
            rules.insert.push((name, value));
        }
        let setting = format!("{scope}_REMOVE_HEADERS");
        for entry in entries(remove) {
            rules.remove.push(header_name(&setting, entry)?);
        }
        Ok(rules)
    }

    /// These rules, then `own`'s (one subgraph's after every subgraph's).
    pub(crate) fn then(&self, own: &HeaderRules) -> HeaderRules {
        HeaderRules {
            propagate: [self.propagate.as_slice(), &own.propagate].concat(),
            insert: [self.insert.as_slice(), &own.insert].concat(),
            remove: [self.remove.as_slice(), &own.remove].concat(),
        }
    }

    /// The client headers the rules read.
    pub(crate) fn sources(&self) -> impl Iterator<Item = &HeaderName> {
        self.propagate.iter().map(|(from, _)| from)
    }

    /// The headers a subgraph request carries given the client headers `captured`: the
    /// propagated ones under their names, then the inserted ones (replacing any of the
    /// same name), without the removed ones.
    pub(crate) fn apply(
        &self,
        captured: &[(HeaderName, HeaderValue)],
    ) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
        for (from, to) in &self.propagate {
            for (name, value) in captured {
                if name == from {
                    headers.push((to.clone(), value.clone()));
                }
            }
        }
        for (name, value) in &self.insert {
            headers.retain(|(sent, _)| sent != name);
            headers.push((name.clone(), value.clone()));
        }
        headers.retain(|(name, _)| !self.remove.contains(name));
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_compare_and_hash_by_identity_not_token() {
        let signed = |subject: &str, token: &'static str| {
            let mut identity = Identity::anonymous();
            identity.subject = subject.to_string();
            SignedPrincipal::new(identity, HeaderValue::from_static(token))
        };
        let (first, resigned, other) = (signed("a", "t1"), signed("a", "t2"), signed("b", "t1"));
        assert!(first == resigned);
        assert!(first != other);
        let state = std::collections::hash_map::RandomState::new();
        assert_eq!(state.hash_one(&first), state.hash_one(&resigned));
    }

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn rules_propagate_rename_insert_and_remove_in_that_order() {
        let all = HeaderRules::parse(
            "GATEWAY",
            &list(&["authorization", "x-tenant:x-unit-tenant", "x-debug"]),
            &list(&["x-hub=kexie"]),
            &[],
        )
        .unwrap();
        let talent = HeaderRules::parse(
            "SUBGRAPH_TALENT",
            &list(&["x-region"]),
            &list(&["x-hub=talent"]),
            &list(&["x-debug"]),
        )
        .unwrap();
        let captured: Vec<(HeaderName, HeaderValue)> = [
            ("authorization", "Bearer t"),
            ("x-tenant", "510700"),
            ("x-debug", "1"),
            ("x-region", "west"),
        ]
        .iter()
        .map(|(name, value)| {
            (
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            )
        })
        .collect();
        let sent = |rules: &HeaderRules| -> Vec<(String, String)> {
            rules
                .apply(&captured)
                .into_iter()
                .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
                .collect()
        };
        let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            sent(&all),
            pairs(&[
                ("authorization", "Bearer t"),
                ("x-unit-tenant", "510700"),
                ("x-debug", "1"),
                ("x-hub", "kexie")
            ])
        );
        assert_eq!(
            sent(&all.then(&talent)),
            pairs(&[
                ("authorization", "Bearer t"),
                ("x-unit-tenant", "510700"),
                ("x-region", "west"),
                ("x-hub", "talent")
            ])
        );
    }

    #[test]
    fn rules_that_would_send_what_the_gateway_sets_are_refused() {
        let refused = |propagate: &[&str], insert: &[&str]| {
            HeaderRules::parse("GATEWAY", &list(propagate), &list(insert), &[])
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&["x-a:kexie-principal"], &[]).contains("GATEWAY_FORWARD_HEADERS"));
        assert!(refused(&[], &["content-type=text/plain"]).contains("GATEWAY_INSERT_HEADERS"));
        assert!(refused(&[], &["x-hub"]).contains("not name=value"));
        assert!(refused(&["bad header"], &[]).contains("not a header name"));
        // A client's principal or API key is skipped, not an error.
        let rules = HeaderRules::parse(
            "GATEWAY",
            &list(&[PRINCIPAL_HEADER, API_KEY_HEADER, "authorization"]),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(rules.sources().count(), 1);
    }
}

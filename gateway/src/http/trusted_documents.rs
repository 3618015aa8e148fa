//! Trusted documents: operations registered ahead of time by the SHA-256 of their text.
//!
//! The manifest (`GATEWAY_TRUSTED_DOCUMENTS`) is a JSON object mapping the lower-case hex
//! SHA-256 of each document to the document's text, exactly as clients send it:
//!
//! ```json
//! { "3b1c…": "query CityOverview { … }" }
//! ```
//!
//! A client may then send the hash instead of the text, as Apollo's persisted-query
//! extension does: `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"3b1c…"}}}`
//! (a hash the manifest lacks is looked up among the automatic persisted queries,
//! [`super::persisted_queries`]). With `GATEWAY_TRUSTED_DOCUMENTS_ONLY=true` the gateway runs
//! nothing else and registers nothing
//! (`UNTRUSTED_DOCUMENT`): a deployment whose clients are all known runs only what was
//! reviewed. The manifest is read once at start; `kexie trusted-documents` writes one from
//! a folder of `.graphql` files ([`manifest_of_folder`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Code, GraphqlError, RequestFailure};

/// The lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The trusted documents of a gateway (possibly none), and whether only they may run.
#[derive(Default)]
pub(crate) struct TrustedDocuments {
    by_hash: HashMap<String, Arc<str>>,
    texts: HashSet<Arc<str>>,
    only: bool,
}

impl TrustedDocuments {
    /// Reads a manifest; refuses one that is not a JSON object of strings, or whose hashes
    /// are not the SHA-256 of their documents.
    pub(crate) fn load(path: &Path, only: bool) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("Failed to read the trusted documents {}", path.display()))?;
        Self::parse(&text, only)
            .with_context(|| format!("{} is not a trusted-documents manifest", path.display()))
    }

    fn parse(text: &str, only: bool) -> anyhow::Result<Self> {
        let Value::Object(entries) = serde_json::from_str::<Value>(text)? else {
            anyhow::bail!("it must be a JSON object mapping SHA-256 hashes to documents");
        };
        let mut documents = TrustedDocuments {
            only,
            ..Default::default()
        };
        for (hash, document) in entries {
            let Value::String(document) = document else {
                anyhow::bail!("the entry {hash} is not a string");
            };
            let actual = sha256_hex(&document);
            if !hash.eq_ignore_ascii_case(&actual) {
                anyhow::bail!("the entry {hash} holds a document whose SHA-256 is {actual}");
            }
            let document: Arc<str> = Arc::from(document);
            documents.texts.insert(document.clone());
            documents.by_hash.insert(actual, document);
        }
        Ok(documents)
    }

    pub(crate) fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// The document a request runs: its `query`, the trusted document its persisted-query
    /// hash names, or — a hash no trusted document has — an automatic persisted query to
    /// look up ([`Document::Lookup`]); a query sent with a hash that is not a trusted
    /// document's is one to register ([`Document::Register`]). With trusted documents only,
    /// nothing else runs and nothing is registered. `extensions` is the request's
    /// `extensions` object.
    pub(crate) fn resolve(
        &self,
        query: Option<String>,
        extensions: Option<&serde_json::Map<String, Value>>,
    ) -> Result<Document, RequestFailure> {
        let hash = persisted_hash(extensions)?.map(str::to_ascii_lowercase);
        match (query, hash) {
            (Some(query), Some(hash)) => {
                if sha256_hex(&query) != hash {
                    return Err(RequestFailure::bad_request(
                        "The persisted query's sha256Hash is not the SHA-256 of the query.",
                    ));
                }
                let query = self.admit(query)?;
                if self.by_hash.contains_key(&hash) {
                    Ok(Document::Text(query))
                } else {
                    Ok(Document::Register { query, hash })
                }
            }
            (Some(query), None) => self.admit(query).map(Document::Text),
            (None, Some(hash)) => match self.by_hash.get(&hash) {
                Some(document) => Ok(Document::Text(document.to_string())),
                None if self.only => Err(not_found(&hash)),
                None => Ok(Document::Lookup(hash)),
            },
            (None, None) => Err(RequestFailure::bad_request(
                "The request has no query parameter.",
            )),
        }
    }

    fn admit(&self, query: String) -> Result<String, RequestFailure> {
        if self.only && !self.texts.contains(query.as_str()) {
            return Err(RequestFailure::graphql(GraphqlError::new(
                "This gateway runs trusted documents only, and this document is not one of them.",
                Code::UntrustedDocument,
            )));
        }
        Ok(query)
    }
}

/// What a request runs, as far as trusted documents can tell.
#[derive(Debug, PartialEq)]
pub(crate) enum Document {
    /// This text.
    Text(String),
    /// This text, sent with its hash: an automatic persisted query to keep.
    Register { query: String, hash: String },
    /// Only a hash (lower-case hex) no trusted document has: an automatic persisted query.
    Lookup(String),
}

/// The refusal of a hash nothing is registered under; clients following Apollo's protocol
/// then send the query with it.
pub(crate) fn not_found(hash: &str) -> RequestFailure {
    RequestFailure::graphql(GraphqlError::new(
        format!("PersistedQueryNotFound: no query is registered under the hash {hash}."),
        Code::PersistedQueryNotFound,
    ))
}

/// The `sha256Hash` of `extensions.persistedQuery`, if there is one.
fn persisted_hash(
    extensions: Option<&serde_json::Map<String, Value>>,
) -> Result<Option<&str>, RequestFailure> {
    let Some(persisted) = extensions.and_then(|extensions| extensions.get("persistedQuery")) else {
        return Ok(None);
    };
    let Value::Object(persisted) = persisted else {
        return Err(RequestFailure::bad_request(
            "extensions.persistedQuery must be an object.",
        ));
    };
    if persisted.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(RequestFailure::bad_request(
            "extensions.persistedQuery.version must be 1.",
        ));
    }
    match persisted.get("sha256Hash") {
        Some(Value::String(hash)) => Ok(Some(hash)),
        _ => Err(RequestFailure::bad_request(
            "extensions.persistedQuery.sha256Hash must be a string.",
        )),
    }
}

/// The manifest of every `.graphql` file directly in `folder`: hash → the file's text, in
/// hash order, as pretty JSON with a final newline.
pub fn manifest_of_folder(folder: &Path) -> anyhow::Result<String> {
    let mut manifest = BTreeMap::new();
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("Failed to read the folder {}", folder.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|extension| extension.to_str()) != Some("graphql") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("Failed to read {}", path.display()))?;
        manifest.insert(sha256_hex(&text), text);
    }
    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(failure: RequestFailure) -> String {
        let error = match failure {
            RequestFailure::Http { error, .. } => *error,
            RequestFailure::Graphql(mut errors) => errors.remove(0),
        };
        error.code().unwrap_or_default().to_string()
    }

    fn extensions(value: Value) -> serde_json::Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("an object"),
        }
    }

    #[test]
    fn a_manifest_entry_must_hash_to_its_key() {
        let query = "{ a }";
        let good = json!({ sha256_hex(query): query }).to_string();
        assert_eq!(TrustedDocuments::parse(&good, false).unwrap().len(), 1);
        let bad = json!({ "00": query }).to_string();
        assert!(TrustedDocuments::parse(&bad, false).is_err());
        assert!(TrustedDocuments::parse("[]", false).is_err());
    }

    #[test]
    fn hashes_resolve_to_their_documents() {
        let query = "{ a }";
        let documents =
            TrustedDocuments::parse(&json!({ sha256_hex(query): query }).to_string(), true)
                .unwrap();
        let persisted =
            |hash: &str| extensions(json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}));
        assert_eq!(
            documents
                .resolve(None, Some(&persisted(&sha256_hex(query))))
                .ok(),
            Some(Document::Text(query.to_string()))
        );
        assert_eq!(
            code(
                documents
                    .resolve(None, Some(&persisted(&sha256_hex("{ b }"))))
                    .unwrap_err()
            ),
            "PERSISTED_QUERY_NOT_FOUND"
        );
        assert_eq!(
            code(
                documents
                    .resolve(Some("{ b }".into()), Some(&persisted(&sha256_hex(query))))
                    .unwrap_err()
            ),
            "BAD_REQUEST"
        );
        assert_eq!(
            code(documents.resolve(Some("{ b }".into()), None).unwrap_err()),
            "UNTRUSTED_DOCUMENT"
        );
        assert_eq!(
            documents.resolve(Some(query.into()), None).ok(),
            Some(Document::Text(query.to_string()))
        );
    }

    #[test]
    fn other_hashes_are_automatic_persisted_queries_unless_only_trusted_ones_run() {
        let query = "{ b }";
        let hash = sha256_hex(query);
        let persisted = extensions(
            json!({"persistedQuery": {"version": 1, "sha256Hash": hash.to_uppercase()}}),
        );
        let open = TrustedDocuments::default();
        assert_eq!(
            open.resolve(None, Some(&persisted)).ok(),
            Some(Document::Lookup(hash.clone()))
        );
        assert_eq!(
            open.resolve(Some(query.into()), Some(&persisted)).ok(),
            Some(Document::Register {
                query: query.into(),
                hash: hash.clone()
            })
        );
        let only = TrustedDocuments {
            only: true,
            ..Default::default()
        };
        assert_eq!(
            code(only.resolve(None, Some(&persisted)).unwrap_err()),
            "PERSISTED_QUERY_NOT_FOUND"
        );
        assert_eq!(
            code(
                only.resolve(Some(query.into()), Some(&persisted))
                    .unwrap_err()
            ),
            "UNTRUSTED_DOCUMENT"
        );
    }
}

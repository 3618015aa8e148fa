//! SHA-256 digests over several parts, each length-prefixed so that parts cannot run into
//! each other: what stands for a document, or a whole request, in cache keys.

use sha2::{Digest as _, Sha256};

/// Adds one part to a hash, its length first.
pub(crate) fn length_prefixed(hash: &mut Sha256, bytes: &[u8]) {
    hash.update((bytes.len() as u64).to_le_bytes());
    hash.update(bytes);
}

/// A SHA-256 of a document and the name of the operation run from it, computed once when
/// the document is prepared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DocumentDigest([u8; 32]);

impl DocumentDigest {
    pub(crate) fn of(query: &str, operation_name: Option<&str>) -> Self {
        let mut hash = Sha256::new();
        length_prefixed(&mut hash, query.as_bytes());
        length_prefixed(&mut hash, operation_name.unwrap_or_default().as_bytes());
        DocumentDigest(hash.finalize().into())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

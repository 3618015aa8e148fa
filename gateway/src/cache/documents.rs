//! Prepared documents of one supergraph, by the exact text and operation name they were
//! prepared from, bounded (least recently used out). A document found here has parsed,
//! validated and passed the operation limits, which are the same for every request.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

/// A cached prepared document, with the text it was prepared from (hash collisions are
/// told apart by comparing it).
struct DocumentEntry<Prepared> {
    query: Box<str>,
    operation_name: Option<Box<str>>,
    prepared: Arc<Prepared>,
}

/// The prepared documents of one supergraph (what preparing made of them: `Prepared`); a
/// reload starts afresh.
pub(crate) struct DocumentCache<Prepared> {
    entries: Mutex<LruCache<u128, Arc<DocumentEntry<Prepared>>>>,
}

impl<Prepared> DocumentCache<Prepared> {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        DocumentCache {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    fn key(query: &str, operation_name: Option<&str>) -> u128 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(query.as_bytes());
        match operation_name {
            Some(name) => {
                hasher.update(&[1]);
                hasher.update(name.as_bytes());
            }
            None => hasher.update(&[0]),
        }
        hasher.digest128()
    }

    /// The prepared operation if this exact document was prepared before.
    pub(crate) fn get(&self, query: &str, operation_name: Option<&str>) -> Option<Arc<Prepared>> {
        let key = Self::key(query, operation_name);
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(|err| err.into_inner());
            entries.get(&key).cloned()
        }?;
        (&*entry.query == query && entry.operation_name.as_deref() == operation_name)
            .then(|| entry.prepared.clone())
    }

    pub(crate) fn put(&self, query: &str, operation_name: Option<&str>, prepared: Arc<Prepared>) {
        let key = Self::key(query, operation_name);
        let entry = Arc::new(DocumentEntry {
            query: query.into(),
            operation_name: operation_name.map(Into::into),
            prepared,
        });
        self.entries
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .put(key, entry);
    }
}

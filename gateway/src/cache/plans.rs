//! Plans of one supergraph, bounded (least recently used out), so that an operation seen
//! before is not planned again.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

/// What a plan depends on: the normalized operation with its name, and which progressive
/// override labels are active (one bit each).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PlanKey {
    pub operation: String,
    pub active_overrides: u64,
}

/// The plans of one supergraph; a reload starts afresh.
pub(crate) struct PlanCache<Plan> {
    entries: Mutex<LruCache<PlanKey, Arc<Plan>>>,
}

impl<Plan> PlanCache<Plan> {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        PlanCache {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    pub(crate) fn get(&self, key: &PlanKey) -> Option<Arc<Plan>> {
        let mut entries = self.entries.lock().unwrap_or_else(|err| err.into_inner());
        entries.get(key).cloned()
    }

    pub(crate) fn put(&self, key: PlanKey, plan: Arc<Plan>) {
        let mut entries = self.entries.lock().unwrap_or_else(|err| err.into_inner());
        entries.put(key, plan);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .len()
    }
}

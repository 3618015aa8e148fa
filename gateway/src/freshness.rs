//! When a read may be given work that another read started: the rule that keeps
//! deduplication (of subgraph fetches and of client queries) from serving data older than an
//! acknowledged write. `gateway/README.md` (Freshness) gives the whole protocol and the
//! argument why it holds; this module is its core.
//!
//! Every read has a [`ReadStart`]: a ticket from one process-wide counter, drawn when the
//! request arrived, or — for a read whose answer will be cached — right after it read the
//! subgraphs' data versions, together with those versions. Work in flight (a subgraph fetch,
//! a client query's execution) carries a [`Guarantee`] of what it has seen:
//!
//! - `after`: every part of it began after this ticket was drawn, so it sees every write
//!   committed before then;
//! - `versions`: every part of it began after these data versions were read, so it sees
//!   every write those versions count.
//!
//! A read may join work whose ticket is later than its own, or whose versions are exactly
//! the ones it read (and will key its cache entry by). Anything else it runs itself.
//! Tickets are drawn from a single atomic counter, whose order is the order in real time
//! (read-modify-writes of one location are linearizable): a ticket drawn after another was
//! drawn after it in time.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, FutureExt, Shared};

pub(crate) mod versions;

static TICKETS: AtomicU64 = AtomicU64::new(1);

fn next_ticket() -> u64 {
    TICKETS.fetch_add(1, Ordering::SeqCst)
}

/// The subgraphs' data versions one read saw, in the response cache's key form.
pub(crate) type Versions = Arc<str>;

/// When a read began, as far as sharing is concerned.
#[derive(Clone, Debug)]
pub(crate) struct ReadStart {
    ticket: u64,
    versions: Option<Versions>,
}

impl ReadStart {
    /// A read beginning now that will not be cached: it must see every write acknowledged
    /// before now.
    pub(crate) fn now() -> Self {
        ReadStart::at(next_ticket(), None)
    }

    /// A read whose answer will be cached under `versions`, which it has just read: it must
    /// see every write they count (and so every write acknowledged before it began).
    pub(crate) fn after_reading(versions: Versions) -> Self {
        ReadStart::at(next_ticket(), Some(versions))
    }

    fn at(ticket: u64, versions: Option<Versions>) -> Self {
        ReadStart { ticket, versions }
    }

    /// The guarantee of a subgraph fetch this read starts now: it begins after a ticket
    /// drawn now, and after this read's versions were read.
    pub(crate) fn fetch_guarantee(&self) -> Guarantee {
        self.fetch_guarantee_at(next_ticket())
    }

    fn fetch_guarantee_at(&self, ticket: u64) -> Guarantee {
        Guarantee {
            after: Some(ticket),
            versions: self.versions.clone(),
        }
    }

    /// A client query's execution that this read leads, registered now for others to join:
    /// the read start it runs its own fetches with, and its guarantee to joiners.
    ///
    /// Without versions it runs as a read beginning now (a fresh ticket), so every fetch it
    /// uses began after that ticket; and after `earlier` were read, versions read at some
    /// time before this call, which it promises too: a later read that reads the same
    /// versions may join it. With versions it may use fetches that began before now but
    /// after versions equal to its own were read: it can promise those versions only.
    pub(crate) fn execution(&self, earlier: Option<Versions>) -> (ReadStart, Guarantee) {
        self.execution_at(next_ticket(), earlier)
    }

    fn execution_at(&self, ticket: u64, earlier: Option<Versions>) -> (ReadStart, Guarantee) {
        let run = ReadStart::at(ticket, self.versions.clone());
        let guarantee = match &self.versions {
            Some(versions) => Guarantee {
                after: None,
                versions: Some(versions.clone()),
            },
            None => Guarantee {
                after: Some(ticket),
                versions: earlier,
            },
        };
        (run, guarantee)
    }
}

/// What work in flight has seen (see the module comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Guarantee {
    after: Option<u64>,
    versions: Option<Versions>,
}

impl Guarantee {
    /// Whether work with this guarantee is fresh enough for a read that began at `read`.
    pub(crate) fn serves(&self, read: &ReadStart) -> bool {
        self.after.is_some_and(|after| after > read.ticket)
            || matches!((&self.versions, &read.versions), (Some(ours), Some(theirs)) if ours == theirs)
    }
}

/// Work in flight under keys, shared with the reads it is fresh enough for.
pub(crate) struct InFlight<K, T: Clone> {
    entries: Mutex<HashMap<K, Entry<T>, foldhash::fast::RandomState>>,
}

struct Entry<T: Clone> {
    /// Tells this entry from any other under the same key.
    id: u64,
    work: Work<T>,
}

/// Work in flight: what it has seen, and its result to come. What the work has seen does
/// not change when it ends, so a read that noted it may still take its result then, if the
/// guarantee serves it: noted early, the work is not lost to the read's round trip to Redis.
#[derive(Clone)]
pub(crate) struct Work<T: Clone> {
    guarantee: Guarantee,
    result: Shared<BoxFuture<'static, T>>,
}

impl<T: Clone> Work<T> {
    /// Whether the work is fresh enough for a read that began at `read`.
    pub(crate) fn serves(&self, read: &ReadStart) -> bool {
        self.guarantee.serves(read)
    }

    /// The work's result, if it is fresh enough for a read that began at `read`.
    pub(crate) fn serving(self, read: &ReadStart) -> Option<Shared<BoxFuture<'static, T>>> {
        self.serves(read).then_some(self.result)
    }
}

/// How a read got its result: by joining work in flight, or by starting it.
pub(crate) enum Joined {
    Yes,
    No,
}

impl<K, T> InFlight<K, T>
where
    K: Hash + Eq + Clone + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(InFlight {
            entries: Mutex::new(HashMap::default()),
        })
    }

    /// The result of the work under `key` in flight if it serves `read`; otherwise starts
    /// `work` with the guarantee `guarantee`, in a task of its own (a read that goes away
    /// does not strand those that joined it), registered under `key` in place of older work.
    /// `abandoned` stands for the result if that task dies.
    pub(crate) fn join_or_start<F>(
        self: &Arc<Self>,
        key: K,
        read: &ReadStart,
        start: impl FnOnce() -> (Guarantee, F),
        abandoned: impl FnOnce() -> T + Send + 'static,
    ) -> (Shared<BoxFuture<'static, T>>, Joined)
    where
        F: Future<Output = T> + Send + 'static,
    {
        let mut entries = self.entries.lock().unwrap_or_else(|err| err.into_inner());
        if let Some(entry) = entries.get(&key) {
            if entry.work.serves(read) {
                return (entry.work.result.clone(), Joined::Yes);
            }
        }
        let (guarantee, work) = start();
        // Boxed: the task's cell then holds a pointer, not the whole work, which it would
        // move as the task starts and ends.
        let work = Box::pin(work);
        let id = next_ticket();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let registry = self.clone();
        let own_key = key.clone();
        tokio::spawn(async move {
            let result = work.await;
            let mut entries = registry
                .entries
                .lock()
                .unwrap_or_else(|err| err.into_inner());
            // Newer work may have taken the key meanwhile: leave it.
            if entries.get(&own_key).is_some_and(|entry| entry.id == id) {
                entries.remove(&own_key);
            }
            drop(entries);
            let _ = sender.send(result);
        });
        let result = async move { receiver.await.unwrap_or_else(|_| abandoned()) }
            .boxed()
            .shared();
        entries.insert(
            key,
            Entry {
                id,
                work: Work {
                    guarantee,
                    result: result.clone(),
                },
            },
        );
        (result, Joined::No)
    }

    /// The work in flight under `key` now, for a read that does not yet know whether it will
    /// read versions: the work serves it ([`Work::serving`]) when its guarantee does, also if
    /// it has finished in the meantime.
    pub(crate) fn seen(&self, key: &K) -> Option<Work<T>> {
        let entries = self.entries.lock().unwrap_or_else(|err| err.into_inner());
        entries.get(key).map(|entry| entry.work.clone())
    }

    /// How many keys have work in flight (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .map(|entries| entries.len())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod model;

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(text: &str) -> Versions {
        Arc::from(text)
    }

    #[test]
    fn a_read_may_use_a_fetch_that_began_after_it() {
        let read = ReadStart::now();
        let later_fetch = ReadStart::now().fetch_guarantee();
        assert!(later_fetch.serves(&read));
    }

    #[test]
    fn a_read_may_not_use_a_fetch_that_began_before_it() {
        let earlier_fetch = ReadStart::now().fetch_guarantee();
        let read = ReadStart::now();
        assert!(!earlier_fetch.serves(&read));
    }

    #[test]
    fn a_cached_read_may_use_an_earlier_fetch_begun_under_its_own_versions_only() {
        let same = ReadStart::after_reading(versions("7:3")).fetch_guarantee();
        let older = ReadStart::after_reading(versions("6:3")).fetch_guarantee();
        let read = ReadStart::after_reading(versions("7:3"));
        assert!(same.serves(&read));
        assert!(!older.serves(&read));
        // A read that will not be cached has no versions to match.
        assert!(!same.serves(&ReadStart::now()));
    }

    #[test]
    fn an_execution_under_versions_promises_those_versions_and_nothing_about_time() {
        let leader = ReadStart::after_reading(versions("7:3"));
        let (run, guarantee) = leader.execution(None);
        // Its fetches may share fetches begun under the same versions …
        assert!(ReadStart::after_reading(versions("7:3"))
            .fetch_guarantee()
            .serves(&run));
        // … which may have begun before a read that arrives now, without versions: that read
        // must not join, however late the execution registered.
        let read = ReadStart::now();
        assert!(!guarantee.serves(&read));
        assert!(guarantee.serves(&ReadStart::after_reading(versions("7:3"))));
    }

    #[test]
    fn an_execution_without_versions_serves_reads_that_began_before_it_registered() {
        let reader_before = ReadStart::now();
        let (_, guarantee) = ReadStart::now().execution(None);
        let reader_after = ReadStart::now();
        assert!(guarantee.serves(&reader_before));
        assert!(!guarantee.serves(&reader_after));
    }

    #[test]
    fn an_execution_without_versions_promises_versions_read_before_it_began() {
        let earlier = versions("7:3");
        let earlier_fetch = ReadStart::after_reading(earlier.clone()).fetch_guarantee();
        let (run, guarantee) = ReadStart::now().execution(Some(earlier.clone()));
        // It runs by its ticket: it may not use a fetch begun under those versions before it.
        assert!(!earlier_fetch.serves(&run));
        // A read that arrives later and reads the same versions may join it; other versions
        // may not.
        assert!(guarantee.serves(&ReadStart::after_reading(earlier)));
        assert!(!guarantee.serves(&ReadStart::after_reading(versions("8:3"))));
        assert!(!guarantee.serves(&ReadStart::now()));
    }

    #[tokio::test]
    async fn stale_work_in_flight_is_replaced_and_its_end_leaves_the_newer_entry() {
        let in_flight: Arc<InFlight<&str, u32>> = InFlight::new();
        let (release_first, first_released) = tokio::sync::oneshot::channel::<()>();
        let (first, joined) = in_flight.join_or_start(
            "key",
            &ReadStart::now(),
            || {
                (ReadStart::now().fetch_guarantee(), async move {
                    let _ = first_released.await;
                    1
                })
            },
            || 0,
        );
        assert!(matches!(joined, Joined::No));
        // A read arriving now may not join the first fetch: it starts its own.
        let (release_second, second_released) = tokio::sync::oneshot::channel::<()>();
        let (second, joined) = in_flight.join_or_start(
            "key",
            &ReadStart::now(),
            || {
                (ReadStart::now().fetch_guarantee(), async move {
                    let _ = second_released.await;
                    2
                })
            },
            || 0,
        );
        assert!(matches!(joined, Joined::No));
        let _ = release_first.send(());
        assert_eq!(first.await, 1);
        // The second is still registered: a read that began before it may join it.
        assert_eq!(in_flight.len(), 1);
        let _ = release_second.send(());
        assert_eq!(second.await, 2);
        tokio::task::yield_now().await;
        assert_eq!(in_flight.len(), 0);
    }
}

//! The subgraphs' data versions, read from Redis for every query that may be cached or may
//! share work: with them, a read may join work begun before it arrived, under the same
//! versions (see the module above), and a rollup's cache entry has its key.
//!
//! Reads ask one task, which sends one `MGET` at a time and answers with it every read that
//! asked before it was sent: under load one round trip serves many reads, and no read is
//! answered by an `MGET` sent before it asked. That is the whole freshness condition of a
//! version read — the versions a read gets were read after it began, so they count every
//! write acknowledged before then.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use super::Versions;

/// The longest a version read may take; past it, the reads that asked go on without
/// versions.
const REDIS_TIMEOUT: Duration = Duration::from_millis(50);

/// What reading the versions found.
#[derive(Clone, Debug)]
pub(crate) enum VersionsRead {
    /// Every subgraph's version, in the response cache's key form.
    Read(Versions),
    /// Some subgraph has no version in Redis (its lease lapsed, Redis restarted empty, or the
    /// subgraph does not keep one).
    Missing,
    /// Redis answered with an error, or not in time.
    Failed(String),
}

impl VersionsRead {
    /// The versions, if every subgraph had one.
    pub(crate) fn versions(&self) -> Option<Versions> {
        match self {
            VersionsRead::Read(versions) => Some(versions.clone()),
            VersionsRead::Missing | VersionsRead::Failed(_) => None,
        }
    }
}

/// The versions of the last `MGET` that found them all, with the keys it read.
type LastRead = Option<(Arc<[String]>, Versions)>;

/// One read's request for the versions of the subgraphs whose keys it gives.
struct Ask {
    keys: Arc<[String]>,
    answer: oneshot::Sender<VersionsRead>,
}

/// The reader of the data versions of one gateway.
pub(crate) struct DataVersions {
    /// What every subgraph's key starts with (the key of a subgraph named "").
    key_prefix: String,
    /// The keys of the subgraphs asked for last (those of the supergraph served), made once.
    keys: Mutex<Arc<[String]>>,
    asks: mpsc::UnboundedSender<Ask>,
    last: Arc<Mutex<LastRead>>,
}

impl DataVersions {
    /// Reads versions from the Redis at `redis_url`, under `namespace` (the subgraphs'
    /// own). Connects lazily; starts the task that sends the reads.
    pub(crate) fn new(redis_url: &str, namespace: &str) -> anyhow::Result<Self> {
        let redis = kexie_contract::data_version::redis_connection(redis_url, REDIS_TIMEOUT)?;
        let (asks, queue) = mpsc::unbounded_channel();
        let last = Arc::new(Mutex::new(None));
        tokio::spawn(send_reads(queue, redis, last.clone()));
        Ok(DataVersions {
            key_prefix: kexie_contract::data_version::version_key(namespace, ""),
            keys: Mutex::new(Arc::from([])),
            asks,
            last,
        })
    }

    /// The current versions of `subgraphs`, read after this call began.
    pub(crate) async fn read<'a>(
        &self,
        subgraphs: impl ExactSizeIterator<Item = &'a str> + Clone,
    ) -> VersionsRead {
        let keys = self.keys(subgraphs);
        let (answer, answered) = oneshot::channel();
        if self.asks.send(Ask { keys, answer }).is_err() {
            return VersionsRead::Failed("the version reader has stopped".to_string());
        }
        answered
            .await
            .unwrap_or_else(|_| VersionsRead::Failed("the version reader has stopped".to_string()))
    }

    /// The versions of `subgraphs` the last read found, with no round trip: read at some
    /// time before this call (how long before, nobody knows), if ever.
    pub(crate) fn last_read<'a>(
        &self,
        subgraphs: impl ExactSizeIterator<Item = &'a str> + Clone,
    ) -> Option<Versions> {
        let keys = self.keys(subgraphs);
        let last = self.last.lock().unwrap_or_else(|err| err.into_inner());
        match &*last {
            Some((read_keys, versions)) if *read_keys == keys => Some(versions.clone()),
            _ => None,
        }
    }

    /// The Redis keys of `subgraphs`: those made last time, unless the subgraphs changed.
    fn keys<'a>(&self, subgraphs: impl ExactSizeIterator<Item = &'a str> + Clone) -> Arc<[String]> {
        let mut last = self.keys.lock().unwrap_or_else(|err| err.into_inner());
        let same = last.len() == subgraphs.len()
            && last.iter().zip(subgraphs.clone()).all(|(key, subgraph)| {
                key.strip_suffix(subgraph) == Some(self.key_prefix.as_str())
            });
        if !same {
            *last = subgraphs
                .map(|subgraph| format!("{}{subgraph}", self.key_prefix))
                .collect();
        }
        last.clone()
    }
}

/// Answers the asks in the queue: takes every ask waiting, then reads once for each set of
/// keys among them (one set, unless the supergraph changed) and answers each ask with the
/// read of its keys. Every ask answered was taken before its `MGET` was sent.
async fn send_reads(
    mut queue: mpsc::UnboundedReceiver<Ask>,
    redis: ConnectionManager,
    last: Arc<Mutex<LastRead>>,
) {
    let failures = AtomicU64::new(0);
    let mut asks = Vec::new();
    while queue.recv_many(&mut asks, usize::MAX).await > 0 {
        while let Some(first) = asks.first() {
            let keys = first.keys.clone();
            let (these, others): (Vec<Ask>, Vec<Ask>) =
                asks.drain(..).partition(|ask| ask.keys == keys);
            asks = others;
            let read = mget(&redis, &keys).await;
            if let VersionsRead::Read(versions) = &read {
                *last.lock().unwrap_or_else(|err| err.into_inner()) =
                    Some((keys.clone(), versions.clone()));
            }
            if let VersionsRead::Failed(why) = &read {
                // Once in a thousand: an outage must not flood the log.
                if failures
                    .fetch_add(1, Ordering::Relaxed)
                    .is_multiple_of(1000)
                {
                    tracing::warn!(
                        why,
                        "data versions unreadable; reads share no older work and are not cached"
                    );
                }
            }
            for ask in these {
                let _ = ask.answer.send(read.clone());
            }
        }
    }
}

async fn mget(redis: &ConnectionManager, keys: &[String]) -> VersionsRead {
    let mut redis = redis.clone();
    let read = tokio::time::timeout(
        REDIS_TIMEOUT,
        redis::cmd("MGET")
            .arg(keys)
            .query_async::<Vec<Option<String>>>(&mut redis),
    )
    .await;
    match read {
        Ok(Ok(versions)) => match versions.into_iter().collect::<Option<Vec<String>>>() {
            Some(versions) => VersionsRead::Read(Versions::from(versions.join(":"))),
            None => VersionsRead::Missing,
        },
        Ok(Err(err)) => VersionsRead::Failed(err.to_string()),
        Err(_) => VersionsRead::Failed("timed out".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn redis_url() -> String {
        std::env::var("REDIS_URL")
            .unwrap_or_else(|_| kexie_contract::data_version::DEFAULT_REDIS_URL.to_string())
    }

    fn namespace() -> String {
        format!("versions-test-{}", uuid::Uuid::now_v7().simple())
    }

    /// Readers at once, each holding the version it gets against one it read itself just
    /// before asking, while a writer advances the version without pause: an answer from an
    /// `MGET` sent before the ask would, sooner or later, be older than what the reader
    /// had already seen.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_read_gets_versions_older_than_it_saw_before_asking() {
        let namespace = namespace();
        let key = kexie_contract::data_version::version_key(&namespace, "talent");
        let client = redis::Client::open(redis_url()).unwrap();
        let mut writer = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("PX")
            .arg(60_000)
            .query_async(&mut writer)
            .await
            .unwrap();
        let versions = Arc::new(DataVersions::new(&redis_url(), &namespace).unwrap());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let advancing = {
            let stop = stop.clone();
            let key = key.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let _: i64 = redis::cmd("INCR")
                        .arg(&key)
                        .query_async(&mut writer)
                        .await
                        .unwrap();
                }
            })
        };
        let mut readers = Vec::new();
        for _ in 0..64 {
            let versions = versions.clone();
            let key = key.clone();
            let mut own = client.get_multiplexed_async_connection().await.unwrap();
            readers.push(tokio::spawn(async move {
                let mut older = 0;
                for _ in 0..100 {
                    let seen: i64 = redis::cmd("GET")
                        .arg(&key)
                        .query_async(&mut own)
                        .await
                        .unwrap();
                    match versions.read(["talent"].into_iter()).await {
                        VersionsRead::Read(read) if read.parse::<i64>().unwrap() >= seen => {}
                        VersionsRead::Read(_) => older += 1,
                        other => panic!("the version was not read: {other:?}"),
                    }
                }
                older
            }));
        }
        let mut older = 0;
        for reader in readers {
            older += reader.await.unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        advancing.await.unwrap();
        let mut cleanup = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("DEL")
            .arg(&key)
            .query_async(&mut cleanup)
            .await
            .unwrap();
        assert_eq!(older, 0, "reads got versions older than they had seen");
    }

    #[tokio::test]
    async fn a_subgraph_without_a_version_or_redis_away_reads_no_versions() {
        let namespace = namespace();
        let versions = DataVersions::new(&redis_url(), &namespace).unwrap();
        assert!(matches!(
            versions.read(["talent"].into_iter()).await,
            VersionsRead::Missing
        ));
        // Nothing listens on port 1.
        let away = DataVersions::new("redis://127.0.0.1:1", &namespace).unwrap();
        assert!(matches!(
            away.read(["talent"].into_iter()).await,
            VersionsRead::Failed(_)
        ));
    }
}

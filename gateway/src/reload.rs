//! Watches the supergraph file and swaps in a new supergraph when its contents change.
//!
//! The file is read and hashed at every poll rather than watched through inotify: it
//! works the same on every filesystem (bind mounts, network volumes, the symlink swaps
//! of Kubernetes config maps), needs no extra dependency, and a supergraph is small enough
//! that reading it once a second costs nothing. Requests in flight keep the supergraph they
//! started with; a file that does not load is logged and counted, and the old supergraph
//! keeps serving until a good one arrives.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::metrics::bump;
use crate::pipeline::supergraph::{SubgraphSettings, Supergraph};
use crate::pipeline::Pipeline;

pub(crate) async fn watch(
    pipeline: Arc<Pipeline>,
    path: PathBuf,
    settings: SubgraphSettings,
    cache_capacity: usize,
    interval: Duration,
) {
    // The hash of the last contents tried, loaded or not, so that a bad file is reported
    // once rather than at every poll.
    let mut last_seen = pipeline.current().source_hash;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let sdl = match tokio::fs::read_to_string(&path).await {
            Ok(sdl) => sdl,
            Err(err) => {
                tracing::debug!(path = %path.display(), error = %err, "supergraph file unreadable; keeping the current one");
                continue;
            }
        };
        let hash = xxhash_rust::xxh3::xxh3_64(sdl.as_bytes());
        if hash == last_seen {
            continue;
        }
        last_seen = hash;
        let settings = settings.clone();
        let metrics = pipeline.metrics.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            Supergraph::load(&sdl, &settings, cache_capacity, &metrics)
        })
        .await;
        match loaded {
            Ok(Ok(supergraph)) => {
                pipeline.replace(supergraph);
                bump(&pipeline.metrics.supergraph_loads);
                tracing::info!(path = %path.display(), "supergraph reloaded");
            }
            Ok(Err(err)) => {
                bump(&pipeline.metrics.supergraph_load_failures);
                tracing::error!(path = %path.display(), error = %format!("{err:#}"), "the new supergraph is invalid; still serving the previous one");
            }
            Err(err) => {
                bump(&pipeline.metrics.supergraph_load_failures);
                tracing::error!(path = %path.display(), error = %err, "loading the new supergraph failed; still serving the previous one");
            }
        }
    }
}

//! `kexie seed`: fills all four subgraphs with one generated city.

use std::time::{Duration, Instant};

use anyhow::bail;
use sqlx::PgPool;

use kexie_seed::demo::DemoCity;
use kexie_subgraph_kit::rollup::DataVersion;
use kexie_subgraph_kit::unit_tree::{self, TreeKeys};

use crate::subgraphs::Subgraph;

#[derive(Clone, Debug, clap::Args)]
pub struct SeedArgs {
    /// Size of the city: 1 is 9 districts, 150 townships, 600 base organizations,
    /// 20,000 workers, 50,000 activities and 5,000 submissions; 10 is ten times that.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub scale: u32,
    /// The random seed; the same seed and scale always give the same city.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Delete whatever the four subgraphs hold before generating (without it, seeding a
    /// database that already has data is refused).
    #[arg(long, conflicts_with = "if_empty")]
    pub reset: bool,
    /// Generate only into an empty database; otherwise leave it as it is and succeed
    /// (for deployment scripts that run on every start).
    #[arg(long)]
    pub if_empty: bool,
}

/// Migrates, checks the database is empty (or resets it), generates the city and
/// publishes its unit tree.
pub async fn run(
    args: &SeedArgs,
    database_url: &str,
    redis_url: &str,
    redis_namespace: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut pools = Vec::new();
    for subgraph in Subgraph::ALL {
        let pool = subgraph.connect(database_url).await?;
        subgraph.migrate(&pool).await?;
        pools.push((subgraph, pool));
    }
    let mut holding = Vec::new();
    for (subgraph, pool) in &pools {
        if !subgraph.is_empty(pool).await? {
            holding.push(subgraph.name());
        }
    }
    if !holding.is_empty() {
        if args.if_empty {
            eprintln!(
                "the database already holds data in {}; leaving it as it is",
                holding.join(", ")
            );
            return Ok(());
        }
        if !args.reset {
            bail!(
                "the database already holds data in {}; run `kexie seed --reset` to replace it with generated data",
                holding.join(", ")
            );
        }
        for (subgraph, pool) in &pools {
            subgraph.reset(pool).await?;
        }
        eprintln!("reset: emptied {}", holding.join(", "));
    }
    // The new tree is numbered from the start: a tree Redis holds is an earlier one's (of
    // this database before a reset, or of a database since dropped), and subgraphs must not
    // take its changes for this tree's.
    forget_published_tree(redis_url, redis_namespace).await;
    let mut city = DemoCity::new(args.seed, args.scale);
    for (subgraph, pool) in &pools {
        subgraph.seed(pool, &mut city).await?;
    }
    // The work ledger's targets, sized to what the city turned out to do.
    let organizations = &pools[0].1;
    let keys = kexie_seed::organizations::targets(organizations).await?;
    let mut actuals = std::collections::HashMap::new();
    for (subgraph, pool) in &pools {
        actuals.extend(subgraph.target_actuals(pool, &keys).await?);
    }
    kexie_seed::organizations::size_targets(organizations, &city, keys, &actuals).await?;
    // Statistics and visibility maps for the tables just filled (every subgraph's schema),
    // rather than whenever autovacuum gets to them: without statistics the first rollups are
    // planned as if the tables were empty, several times slower; without visibility maps
    // the covering indexes of the figures cannot be read alone (about a third slower).
    sqlx::query("vacuum (analyze)").execute(&pools[0].1).await?;
    publish_tree(&pools[0].1, redis_url, redis_namespace).await;
    // Rollups cached before the reset or the seeding must not be served.
    for (subgraph, pool) in &pools {
        DataVersion::new(pool.clone(), redis_url, redis_namespace, subgraph.name())
            .bump()
            .await?;
    }
    eprintln!(
        "seeded scale {} (seed {}) in {:.1}s",
        args.scale,
        args.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Whether every subgraph is empty (then `kexie serve` loads demo data).
pub async fn all_empty(database_url: &str) -> anyhow::Result<bool> {
    for subgraph in Subgraph::ALL {
        let pool = subgraph.connect(database_url).await?;
        subgraph.migrate(&pool).await?;
        if !subgraph.is_empty(&pool).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Before seeding the tree's numbering starts again: what Redis held is no longer true.
async fn forget_published_tree(redis_url: &str, namespace: &str) {
    let cleared = async {
        let mut redis =
            kexie_contract::data_version::redis_connection(redis_url, Duration::from_secs(2))?;
        unit_tree::clear_published(&mut redis, &TreeKeys::new(namespace)).await
    };
    if let Err(err) = cleared.await {
        eprintln!("warning: could not clear the unit tree in Redis ({err:#}); running subgraphs resync once it is reachable");
    }
}

/// Publishes the new tree now, so subgraphs started next find it at once. Without Redis
/// the organizations subgraph publishes it when it starts.
async fn publish_tree(organizations: &PgPool, redis_url: &str, namespace: &str) {
    let published = async {
        let mut redis =
            kexie_contract::data_version::redis_connection(redis_url, Duration::from_secs(5))?;
        kexie_organizations::publisher::publish_pending(
            organizations,
            &mut redis,
            &TreeKeys::new(namespace),
        )
        .await
    };
    if let Err(err) = published.await {
        eprintln!("warning: could not publish the unit tree to Redis ({err:#}); the organizations subgraph will when it starts");
    }
}

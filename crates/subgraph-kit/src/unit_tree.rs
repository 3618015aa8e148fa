//! The unit tree, replicated from organizations into the other subgraphs.
//!
//! Organizations owns the tree. Every change to it (a unit created, moved, merged, renamed,
//! dissolved) is numbered with a gapless sequence inside the same transaction and then
//! published to Redis: an entry on a stream plus the same rows in a snapshot hash, in one
//! atomic script. Each other subgraph keeps a read-only copy (`unit_replica`: unit id,
//! parent, materialized path, kind, status, name, division code) and tails the stream.
//! A replica that sees a gap, or finds the published sequence ahead of its own with nothing
//! on the stream, reloads the whole snapshot; so a subgraph that was down, or a Redis that
//! lost its stream, only costs a resync.
//!
//! Subtree queries are then one indexed statement in the subgraph that owns the records:
//! `path like (select path from unit_replica where unit_id = $1) || '%'`; figures of
//! subtrees read the figure ledger, which the tree's triggers keep per subtree
//! ([`crate::ledger`]).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// What a unit is. The first three form the administrative line (市 → 区/县 → 乡镇/街道);
/// the rest are base organizations hanging beside it.
#[derive(
    async_graphql::Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type, Serialize, Deserialize,
)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnitKind {
    /// 市科协
    City,
    /// 区/县科协
    District,
    /// 乡镇/街道科协
    Township,
    /// 企业科协
    Enterprise,
    /// 高校科协
    University,
    /// 学会/协会/研究会
    Society,
    /// 农技协: rural professional technical association
    RuralTech,
    /// 老科协: retired scientists' association
    Senior,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::City => "CITY",
            UnitKind::District => "DISTRICT",
            UnitKind::Township => "TOWNSHIP",
            UnitKind::Enterprise => "ENTERPRISE",
            UnitKind::University => "UNIVERSITY",
            UnitKind::Society => "SOCIETY",
            UnitKind::RuralTech => "RURAL_TECH",
            UnitKind::Senior => "SENIOR",
        }
    }

    /// Whether the kind is on the administrative line (市 → 区/县 → 乡镇/街道).
    pub fn is_administrative(self) -> bool {
        matches!(
            self,
            UnitKind::City | UnitKind::District | UnitKind::Township
        )
    }
}

/// How many events the stream keeps; a replica further behind than that resyncs.
const STREAM_LENGTH: usize = 10_000;
/// How long a replica waits on the stream before checking the published sequence.
const POLL: Duration = Duration::from_millis(1000);

/// The Redis keys of one hub's unit tree.
#[derive(Clone, Debug)]
pub struct TreeKeys {
    pub events: String,
    pub snapshot: String,
    pub seq: String,
}

impl TreeKeys {
    pub fn new(namespace: &str) -> Self {
        TreeKeys {
            events: format!("{namespace}:unit-tree:events"),
            snapshot: format!("{namespace}:unit-tree:snapshot"),
            seq: format!("{namespace}:unit-tree:seq"),
        }
    }
}

/// One unit as the other subgraphs see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ReplicatedUnit {
    #[sqlx(rename = "unit_id")]
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    /// `/<root id>/…/<own id>/`: a unit's subtree is every unit whose path starts with its own.
    pub path: String,
    pub kind: String,
    pub status: String,
    pub name: String,
    pub division_code: Option<String>,
}

/// Publishes event `seq` unless Redis already has it (or a later one). Atomic: the stream
/// entry, the snapshot rows and the published sequence change together or not at all.
const PUBLISH_EVENT: &str = r#"
local current = tonumber(redis.call('GET', KEYS[3]) or '0')
local seq = tonumber(ARGV[1])
if seq <= current then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], ARGV[1] .. '-0', 'units', ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[3], ARGV[1])
return 1
"#;

/// Replaces the snapshot with the whole tree at `seq` unless Redis already holds `seq` or
/// later; used when Redis lost its data. The stream is left alone: replicas notice the
/// published sequence moved and resync from the snapshot.
const PUBLISH_SNAPSHOT: &str = r#"
local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
local seq = tonumber(ARGV[1])
if seq <= current then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], ARGV[1])
return 1
"#;

/// Reads the snapshot and its sequence in one atomic step.
const READ_SNAPSHOT: &str = r#"
return {redis.call('GET', KEYS[2]), redis.call('HVALS', KEYS[1])}
"#;

/// Publishes one tree change; `Ok(false)` when Redis already had it.
pub async fn publish_event(
    redis: &mut ConnectionManager,
    keys: &TreeKeys,
    seq: i64,
    units: &[ReplicatedUnit],
) -> anyhow::Result<bool> {
    let payload = serde_json::to_string(units)?;
    let script = redis::Script::new(PUBLISH_EVENT);
    let mut invocation = script.prepare_invoke();
    invocation
        .key(&keys.events)
        .key(&keys.snapshot)
        .key(&keys.seq)
        .arg(seq)
        .arg(STREAM_LENGTH)
        .arg(payload);
    for unit in units {
        invocation
            .arg(unit.id.to_string())
            .arg(serde_json::to_string(unit)?);
    }
    let published: i64 = invocation
        .invoke_async(redis)
        .await
        .context("Failed to publish a unit-tree event")?;
    Ok(published == 1)
}

/// Publishes the whole tree as of `seq`; `Ok(false)` when Redis already had it.
pub async fn publish_snapshot(
    redis: &mut ConnectionManager,
    keys: &TreeKeys,
    seq: i64,
    units: &[ReplicatedUnit],
) -> anyhow::Result<bool> {
    let script = redis::Script::new(PUBLISH_SNAPSHOT);
    let mut invocation = script.prepare_invoke();
    invocation.key(&keys.snapshot).key(&keys.seq).arg(seq);
    for unit in units {
        invocation
            .arg(unit.id.to_string())
            .arg(serde_json::to_string(unit)?);
    }
    let published: i64 = invocation
        .invoke_async(redis)
        .await
        .context("Failed to publish the unit-tree snapshot")?;
    Ok(published == 1)
}

/// The sequence Redis holds, if any.
pub async fn published_seq(
    redis: &mut ConnectionManager,
    keys: &TreeKeys,
) -> anyhow::Result<Option<i64>> {
    redis::cmd("GET")
        .arg(&keys.seq)
        .query_async(redis)
        .await
        .context("Failed to read the published unit-tree sequence")
}

/// The sequence of the local copy (0 before the first sync).
pub async fn local_seq(pool: &PgPool) -> sqlx::Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("select seq from unit_replica_state")
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
    )
}

/// Waits until the local copy has reached `seq`; false after `timeout`.
pub async fn wait_for_seq(pool: &PgPool, seq: i64, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if matches!(local_seq(pool).await, Ok(local) if local >= seq) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The paths of units in the replicated tree, a batch at a time: one statement per batch
/// (for authorizing a batch of entities, [`crate::access::require`]). Units the replica does
/// not know are left out.
pub struct PathLoader(pub PgPool);

impl async_graphql::dataloader::Loader<Uuid> for PathLoader {
    type Value = String;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, Self::Error> {
        Ok(replicated_units(&self.0, ids)
            .await?
            .into_iter()
            .map(|(id, unit)| (id, unit.path))
            .collect())
    }
}

/// The path of `unit_id` in the replicated tree (`None`: the replica does not know it),
/// through the schema's batch loader: the units of one `_entities` call are looked up in
/// one statement and reach what follows together.
pub async fn path_of(ctx: &async_graphql::Context<'_>, unit_id: Uuid) -> ApiResult<Option<String>> {
    let paths = ctx
        .data::<async_graphql::dataloader::DataLoader<PathLoader>>()
        .map_err(|_| ApiError::internal("the schema lacks the unit path loader"))?;
    paths
        .load_one(unit_id)
        .await
        .map_err(|err| ApiError::internal(err.message))
}

/// Looks units up in the local copy.
pub async fn replicated_units(
    pool: &PgPool,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, ReplicatedUnit>> {
    let units = sqlx::query_as::<_, ReplicatedUnit>(
        "select unit_id, parent_id, path, kind, status, name, division_code
         from unit_replica where unit_id = any($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(units.into_iter().map(|unit| (unit.id, unit)).collect())
}

/// Requires `unit_id` to name an active unit: records are only attached to units that
/// exist and have not been merged away or dissolved.
pub async fn require_active_unit(
    pool: &PgPool,
    field: &str,
    unit_id: Uuid,
) -> ApiResult<ReplicatedUnit> {
    let unit = replicated_units(pool, &[unit_id])
        .await?
        .remove(&unit_id)
        .ok_or_else(|| ApiError::not_found("Unit", unit_id))?;
    if unit.status != "ACTIVE" {
        return Err(ApiError::validation(
            field,
            crate::text!(
                "unit {} is {} and takes no new records",
                "组织 {} 的状态为 {}，不再接受新记录",
                unit.name,
                unit.status
            ),
        ));
    }
    Ok(unit)
}

/// Keeps a subgraph's `unit_replica` in step with organizations, advancing the subgraph's
/// data `version` after each change (its figures over subtrees changed). Runs until aborted.
pub async fn run_replica(
    pool: PgPool,
    redis_url: String,
    keys: TreeKeys,
    version: crate::rollup::DataVersion,
) {
    // A connection of its own: the blocking stream read must not hold up other commands.
    let mut redis = match kexie_contract::data_version::redis_connection(
        &redis_url,
        POLL + Duration::from_secs(2),
    ) {
        Ok(redis) => redis,
        Err(err) => {
            tracing::error!(error = ?err, "unit-tree replica cannot start");
            return;
        }
    };
    let mut resync_needed = true;
    let mut failures = 0u32;
    let mut applied = local_seq(&pool).await.ok();
    loop {
        let step = if resync_needed {
            resync(&pool, &mut redis, &keys).await.map(|synced| {
                resync_needed = !synced;
            })
        } else {
            follow(&pool, &mut redis, &keys).await.map(|in_step| {
                resync_needed = !in_step;
            })
        };
        match step {
            Ok(()) => {
                failures = 0;
                let now = local_seq(&pool).await.ok();
                if now.is_some() && now != applied {
                    applied = now;
                    if let Err(err) = version.bump().await {
                        tracing::warn!(error = %err, "failed to advance the data version after a tree change");
                    }
                }
            }
            Err(err) => {
                failures += 1;
                // Say it once per outage, not once per retry.
                if failures == 1 {
                    tracing::warn!(error = ?err, "unit-tree replica cannot sync; retrying");
                }
                resync_needed = true;
                tokio::time::sleep(POLL).await;
            }
        }
        if resync_needed {
            // Organizations has not published yet: wait before asking again.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Loads the whole snapshot; `Ok(false)` when there is nothing published yet.
async fn resync(
    pool: &PgPool,
    redis: &mut ConnectionManager,
    keys: &TreeKeys,
) -> anyhow::Result<bool> {
    let (seq, rows): (Option<i64>, Vec<String>) = redis::Script::new(READ_SNAPSHOT)
        .key(&keys.snapshot)
        .key(&keys.seq)
        .invoke_async(redis)
        .await
        .context("Failed to read the unit-tree snapshot")?;
    let Some(seq) = seq else {
        return Ok(false);
    };
    let units = rows
        .iter()
        .map(|row| serde_json::from_str::<ReplicatedUnit>(row))
        .collect::<Result<Vec<_>, _>>()
        .context("The unit-tree snapshot holds a malformed unit")?;
    // Only what differs changes: the figure ledger moves the sums of every unit that leaves,
    // arrives or moves.
    let ids: Vec<Uuid> = units.iter().map(|unit| unit.id).collect();
    let mut tx = pool.begin().await?;
    sqlx::query("delete from unit_replica where unit_id <> all($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    upsert(&mut tx, &units).await?;
    set_local_seq(&mut tx, seq).await?;
    tx.commit().await?;
    tracing::info!(seq, units = units.len(), "unit tree resynced");
    Ok(true)
}

/// Applies what the stream has after the local sequence; `Ok(false)` when the replica has
/// fallen out of step and must resync.
async fn follow(
    pool: &PgPool,
    redis: &mut ConnectionManager,
    keys: &TreeKeys,
) -> anyhow::Result<bool> {
    let local = local_seq(pool).await?;
    let reply: Option<redis::streams::StreamReadReply> = redis::cmd("XREAD")
        .arg("COUNT")
        .arg(500)
        .arg("BLOCK")
        .arg(POLL.as_millis() as u64)
        .arg("STREAMS")
        .arg(&keys.events)
        .arg(format!("{local}-0"))
        .query_async(redis)
        .await
        .context("Failed to read unit-tree events")?;
    let entries = reply
        .map(|reply| {
            reply
                .keys
                .into_iter()
                .flat_map(|key| key.ids)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        // Nothing new on the stream. If the published sequence moved anyway, Redis lost its
        // stream or organizations started over: the snapshot is the truth. If Redis holds no
        // sequence at all, organizations will publish again; keep what we have until then.
        let published = published_seq(redis, keys).await?;
        return Ok(published.is_none_or(|published| published == local));
    }
    let mut expected = local + 1;
    let mut tx = pool.begin().await?;
    for entry in &entries {
        let seq: i64 = entry
            .id
            .split('-')
            .next()
            .and_then(|seq| seq.parse().ok())
            .context("A unit-tree event has a malformed ID")?;
        if seq != expected {
            tracing::info!(expected, seq, "gap in the unit-tree events");
            return Ok(false);
        }
        let payload: String = entry
            .get("units")
            .context("A unit-tree event has no units")?;
        let units: Vec<ReplicatedUnit> =
            serde_json::from_str(&payload).context("A unit-tree event holds malformed units")?;
        upsert(&mut tx, &units).await?;
        expected += 1;
    }
    set_local_seq(&mut tx, expected - 1).await?;
    tx.commit().await?;
    Ok(true)
}

/// Writes `units` into the replicated tree, changing only rows that differ.
pub async fn upsert(conn: &mut sqlx::PgConnection, units: &[ReplicatedUnit]) -> sqlx::Result<()> {
    if units.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = units.iter().map(|unit| unit.id).collect();
    let parents: Vec<Option<Uuid>> = units.iter().map(|unit| unit.parent_id).collect();
    let paths: Vec<&str> = units.iter().map(|unit| unit.path.as_str()).collect();
    let kinds: Vec<&str> = units.iter().map(|unit| unit.kind.as_str()).collect();
    let statuses: Vec<&str> = units.iter().map(|unit| unit.status.as_str()).collect();
    let names: Vec<&str> = units.iter().map(|unit| unit.name.as_str()).collect();
    let codes: Vec<Option<&str>> = units
        .iter()
        .map(|unit| unit.division_code.as_deref())
        .collect();
    sqlx::query(
        "insert into unit_replica (unit_id, parent_id, path, kind, status, name, division_code)
         select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         on conflict (unit_id) do update set
             parent_id = excluded.parent_id, path = excluded.path, kind = excluded.kind,
             status = excluded.status, name = excluded.name, division_code = excluded.division_code
         where (unit_replica.parent_id, unit_replica.path, unit_replica.kind, unit_replica.status,
                unit_replica.name, unit_replica.division_code)
               is distinct from (excluded.parent_id, excluded.path, excluded.kind, excluded.status,
                                 excluded.name, excluded.division_code)",
    )
    .bind(&ids)
    .bind(&parents)
    .bind(&paths)
    .bind(&kinds)
    .bind(&statuses)
    .bind(&names)
    .bind(&codes)
    .execute(conn)
    .await?;
    Ok(())
}

async fn set_local_seq(conn: &mut sqlx::PgConnection, seq: i64) -> sqlx::Result<()> {
    sqlx::query(
        "insert into unit_replica_state (singleton, seq) values (true, $1)
         on conflict (singleton) do update set seq = excluded.seq",
    )
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets everything Redis holds about the tree (a hub whose organizations data was reset
/// starts its numbering again); replicas resync once the tree is published anew.
pub async fn clear_published(redis: &mut ConnectionManager, keys: &TreeKeys) -> anyhow::Result<()> {
    redis::cmd("DEL")
        .arg(&keys.events)
        .arg(&keys.snapshot)
        .arg(&keys.seq)
        .query_async::<()>(redis)
        .await
        .context("Failed to clear the published unit tree")
}

/// Lets figures over subtrees wait for the local replica to hold every tree change
/// organizations has published, so a rollup read after an acknowledged move or merge
/// already counts the unit where it now hangs. Put one in the schema's data; without one
/// (or with Redis unreachable) figures are computed from the replica as it is.
#[derive(Clone)]
pub struct TreeCatchUp {
    pool: PgPool,
    redis: ConnectionManager,
    keys: TreeKeys,
}

/// How long a rollup waits for the replica before computing from it as it is.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(1);

impl TreeCatchUp {
    pub fn new(pool: PgPool, redis_url: &str, keys: TreeKeys) -> anyhow::Result<Self> {
        let redis =
            kexie_contract::data_version::redis_connection(redis_url, Duration::from_millis(50))?;
        Ok(TreeCatchUp { pool, redis, keys })
    }

    /// The last change organizations published; `None` when Redis does not say within
    /// 50 ms or nothing is published.
    async fn published(&self) -> Option<i64> {
        let mut redis = self.redis.clone();
        let published = tokio::time::timeout(
            Duration::from_millis(50),
            published_seq(&mut redis, &self.keys),
        )
        .await;
        published.ok()?.ok()?
    }

    /// Whether the replica has reached the last published change, what `/ready` reports:
    /// `Err((local, published))` while it is behind. A Redis that does not answer within
    /// 50 ms, or has published nothing, leaves nothing known to wait for.
    pub async fn caught_up(&self) -> Result<(), (i64, i64)> {
        let Some(published) = self.published().await else {
            return Ok(());
        };
        match local_seq(&self.pool).await {
            Ok(local) if local < published => Err((local, published)),
            _ => Ok(()),
        }
    }

    /// Waits until the replica has reached the last published change (bounded).
    pub async fn wait(&self) {
        let Some(published) = self.published().await else {
            return;
        };
        if !wait_for_seq(&self.pool, published, CATCH_UP_TIMEOUT).await {
            tracing::warn!(
                published,
                "the unit-tree replica is behind; figures are computed from it as it is"
            );
        }
    }
}

/// Whether a request has caught up with the tree already: put a new one in each request's
/// data, so that the figures of many units in one request (the city and its districts on
/// the overview) wait once, not once per unit.
#[derive(Default)]
pub struct RequestCatchUp(tokio::sync::OnceCell<()>);

/// Calls [`TreeCatchUp::wait`] if the schema has one, once per request when the request
/// has a [`RequestCatchUp`]: everything published before the request began is then in the
/// replica for all of its reads.
pub async fn catch_up(ctx: &async_graphql::Context<'_>) {
    let Some(catch_up) = ctx.data_opt::<TreeCatchUp>() else {
        return;
    };
    match ctx.data_opt::<RequestCatchUp>() {
        Some(once) => {
            once.0.get_or_init(|| catch_up.wait()).await;
        }
        None => catch_up.wait().await,
    }
}

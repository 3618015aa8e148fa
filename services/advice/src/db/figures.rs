//! Advice figures over a unit's subtree (through the replicated unit tree): submissions,
//! instructions, research topics and consultation reports of a period.

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

use kexie_shared::rollup::Period;
use kexie_shared::unit_tree::subtrees_cte;

/// The units whose records count, each with the bucket it counts in.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub units: Vec<Uuid>,
    /// The bucket of each of `units`, in the same order.
    pub buckets: Vec<Uuid>,
    /// Every bucket with its name, records or not.
    pub bucket_names: HashMap<Uuid, String>,
}

/// One count of one bucket: `figure` names what is counted, `key` the enum value it is
/// broken down by (empty for a plain total).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FigureCount {
    /// The unit the figures are for: the unit asked about, or one of its active children.
    pub bucket: Uuid,
    pub figure: String,
    pub key: String,
    pub count: i64,
}

/// Submissions first submitted within the period, by their present status.
pub const SUBMISSIONS_BY_STATUS: &str = "SUBMISSIONS_BY_STATUS";
/// Instructions (批示) received within the period, by the leader's level.
pub const INSTRUCTIONS_BY_LEADER_LEVEL: &str = "INSTRUCTIONS_BY_LEADER_LEVEL";
/// Research topics of the years the period falls in, by their present status.
pub const RESEARCH_TOPICS_BY_STATUS: &str = "RESEARCH_TOPICS_BY_STATUS";
/// Consultation reports (决策咨询报告) delivered within the period.
pub const CONSULTATION_REPORTS: &str = "CONSULTATION_REPORTS";

/// The units of `unit_id`'s subtree in one bucket, the unit itself (`by_child` false), or
/// the units of each of its active children's subtrees in that child's bucket (`by_child`
/// true), from the replicated tree.
pub async fn scope(pool: &PgPool, unit_id: Uuid, by_child: bool) -> sqlx::Result<Scope> {
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "with buckets as (
             select b.unit_id, b.path, b.name from unit_replica b
             where (not $2 and b.unit_id = $1) or ($2 and b.parent_id = $1 and b.status = 'ACTIVE')
         )
         select u.unit_id, b.unit_id, b.name
         from buckets b join unit_replica u on u.path like b.path || '%'",
    )
    .bind(unit_id)
    .bind(by_child)
    .fetch_all(pool)
    .await?;
    let mut scope = Scope::default();
    for (unit, bucket, name) in rows {
        scope.units.push(unit);
        scope.buckets.push(bucket);
        scope.bucket_names.insert(bucket, name);
    }
    Ok(scope)
}

/// The units of the subtree of each of `unit_ids`, each subtree in the bucket of the unit
/// it hangs from, from the replicated tree: a unit below two of them (a district and the
/// city) is in both buckets, so that one statement counts the figures of all of them.
/// Units the replicated tree does not know have no bucket.
pub async fn scope_of_subtrees(pool: &PgPool, unit_ids: &[Uuid]) -> sqlx::Result<Scope> {
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(&format!(
        "with recursive {subtrees}
         select s.unit_id, b.unit_id, b.name
         from subtrees s join unit_replica b on b.unit_id = s.root_id",
        subtrees = subtrees_cte("unit_replica", "select unnest($1::uuid[])"),
    ))
    .bind(unit_ids)
    .fetch_all(pool)
    .await?;
    let mut scope = Scope::default();
    for (unit, bucket, name) in rows {
        scope.units.push(unit);
        scope.buckets.push(bucket);
        scope.bucket_names.insert(bucket, name);
    }
    Ok(scope)
}

/// The figures of each bucket of `scope` for `period`, in one statement: one row per bucket,
/// figure and key that has anything to count. Archived records never count.
pub async fn advice_figures(
    pool: &PgPool,
    scope: &Scope,
    period: Period,
) -> sqlx::Result<Vec<FigureCount>> {
    sqlx::query_as(&format!(
        "with scope as (
             select * from unnest($1::uuid[], $2::uuid[]) as s(unit_id, bucket)
         )
         select s.bucket, '{SUBMISSIONS_BY_STATUS}' as figure, m.status as key, count(*) as count
         from submission m
         join scope s on s.unit_id = m.submitting_unit_id
         where m.submitted_on between $3 and $4 and m.archived_at is null
         group by s.bucket, m.status
         union all
         select s.bucket, '{INSTRUCTIONS_BY_LEADER_LEVEL}', m.instruction_leader_level, count(*)
         from submission m
         join scope s on s.unit_id = m.submitting_unit_id
         where m.instructed_on between $3 and $4 and m.archived_at is null
         group by s.bucket, m.instruction_leader_level
         union all
         select s.bucket, '{RESEARCH_TOPICS_BY_STATUS}', t.status, count(*)
         from research_topic t
         join scope s on s.unit_id = t.lead_unit_id
         where t.year between extract(year from $3::date) and extract(year from $4::date)
           and t.archived_at is null
         group by s.bucket, t.status
         union all
         select s.bucket, '{CONSULTATION_REPORTS}', '', count(*)
         from research_topic t
         join scope s on s.unit_id = t.lead_unit_id
         where t.report_submitted_on between $3 and $4 and t.archived_at is null
         group by s.bucket"
    ))
    .bind(&scope.units)
    .bind(&scope.buckets)
    .bind(period.from)
    .bind(period.to)
    // Planned with the actual units: a township's few units and the whole city's hundreds
    // want different plans, which a cached generic plan would not give.
    .persistent(false)
    .fetch_all(pool)
    .await
}

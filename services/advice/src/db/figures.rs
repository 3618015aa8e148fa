//! Advice figures over a unit's subtree (through the replicated unit tree): submissions,
//! instructions, research topics and consultation reports of a period.

use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::Scope;
use kexie_subgraph_kit::rollup::Period;

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

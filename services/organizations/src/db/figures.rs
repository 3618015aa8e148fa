//! Organization figures over a unit's subtree, and the actual figures of the two target
//! metrics organizations measures itself.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::rollup::Period;
use kexie_subgraph_kit::target::TargetKey;
use kexie_subgraph_kit::unit_tree::subtrees_cte;

use crate::domain::UnitKind;

/// One bucket's counts for one kind of unit.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KindCounts {
    /// The unit the figures are for: the unit asked about, or one of its active children.
    pub bucket: Uuid,
    pub bucket_name: String,
    /// Absent only for a bucket whose subtree holds no unit (a unit is in its own subtree,
    /// so in practice never).
    pub kind: Option<UnitKind>,
    /// Units of this kind active on the period's last day.
    pub active: i64,
    /// Units of this kind founded within the period.
    pub founded: i64,
    /// Units of this kind whose term was overdue on the day terms are judged.
    pub overdue: i64,
}

/// A unit's founding day: its founding date, else the day it was recorded.
const FOUNDED: &str = "coalesce(u.founded_on, (u.created_at at time zone 'Asia/Shanghai')::date)";

/// Whether unit `u` was active on `day`: founded by then, and either still active or merged
/// or dissolved (the step to its present status) only after that day.
fn active_on(day: &str) -> String {
    format!(
        "({FOUNDED} <= {day} and (u.status = 'ACTIVE' or exists (
             select 1 from status_change c
             where c.entity_id = u.unit_id and c.to_status = u.status
               and (c.changed_at at time zone 'Asia/Shanghai')::date > {day})))"
    )
}

/// The figures of `unit_id`'s subtree (`by_child` false: one bucket, the unit itself) or of
/// the subtree of each of its active children (`by_child` true: one bucket per child), one
/// row per bucket and kind, in one statement. Terms are judged on `overdue_on`.
pub async fn organization_figures(
    pool: &PgPool,
    unit_id: Uuid,
    by_child: bool,
    period: Period,
    overdue_on: NaiveDate,
) -> sqlx::Result<Vec<KindCounts>> {
    let active_at_end = active_on("$4");
    let active_on_judgement_day = active_on("$5");
    sqlx::query_as(&format!(
        "with root as (
             select unit_id, path from unit where unit_id = $1
         ),
         scope as (
             -- Each unit of the subtree with the bucket it counts in: the root itself, or
             -- the child of the root whose subtree holds it (the first ID of its path
             -- after the root's path; none for the root).
             select u.*, case when $2 then nullif(split_part(substr(u.path, length(r.path) + 1), '/', 1), '')::uuid
                              else r.unit_id end as bucket
             from root r join unit u on u.path like r.path || '%'
         ),
         buckets as (
             select b.unit_id, b.name from unit b
             where (not $2 and b.unit_id = $1) or ($2 and b.parent_id = $1 and b.status = 'ACTIVE')
         ),
         counted as (
             select u.bucket, u.kind,
                    {active_at_end} as active_at_end,
                    {FOUNDED} between $3 and $4 as founded_in_period,
                    {active_on_judgement_day} and (
                        select t.ends_on from term t
                        where t.unit_id = u.unit_id and t.archived_at is null and t.starts_on <= $5
                        order by t.number desc limit 1) < $5 as overdue
             from scope u
         )
         select b.unit_id as bucket, b.name as bucket_name, c.kind,
                count(*) filter (where c.active_at_end) as active,
                count(*) filter (where c.founded_in_period) as founded,
                count(*) filter (where c.overdue) as overdue
         from buckets b left join counted c on c.bucket = b.unit_id
         group by b.unit_id, b.name, c.kind"
    ))
    .bind(unit_id)
    .bind(by_child)
    .bind(period.from)
    .bind(period.to)
    .bind(overdue_on)
    .fetch_all(pool)
    .await
}

/// The figures of the subtree of each of `unit_ids` (each unit its own bucket, named after
/// it), one row per bucket and kind, in one statement for the whole batch: each unit of the
/// subtrees is judged once, then counted in every bucket whose subtree holds it (a township
/// in its district's and in the city's). Units that do not exist have no row.
pub async fn organization_figures_of_subtrees(
    pool: &PgPool,
    unit_ids: &[Uuid],
    period: Period,
    overdue_on: NaiveDate,
) -> sqlx::Result<Vec<KindCounts>> {
    let active_at_end = active_on("$3");
    let active_on_judgement_day = active_on("$4");
    let subtrees = subtrees_cte("unit", "select unnest($1::uuid[])");
    sqlx::query_as(&format!(
        "with recursive {subtrees},
         scope as materialized (
             select unit_id, root_id as bucket from subtrees
         ),
         counted as materialized (
             select u.unit_id, u.kind,
                    {active_at_end} as active_at_end,
                    {FOUNDED} between $2 and $3 as founded_in_period,
                    {active_on_judgement_day} and (
                        select t.ends_on from term t
                        where t.unit_id = u.unit_id and t.archived_at is null and t.starts_on <= $4
                        order by t.number desc limit 1) < $4 as overdue
             from unit u
             where u.unit_id in (select unit_id from scope)
         )
         select b.unit_id as bucket, b.name as bucket_name, c.kind,
                count(*) filter (where c.active_at_end) as active,
                count(*) filter (where c.founded_in_period) as founded,
                count(*) filter (where c.overdue) as overdue
         from unit b
         left join (scope s join counted c on c.unit_id = s.unit_id) on s.bucket = b.unit_id
         where b.unit_id = any($1)
         group by b.unit_id, b.name, c.kind"
    ))
    .bind(unit_ids)
    .bind(period.from)
    .bind(period.to)
    .bind(overdue_on)
    // Planned with the actual units: one township and the city with its districts want
    // different plans.
    .persistent(false)
    .fetch_all(pool)
    .await
}

/// The actual figures of targets measured by organizations, in one statement for the whole
/// batch (see [`TargetMetric`] for what each counts). Targets of other metrics are left out.
pub async fn target_actuals(
    pool: &PgPool,
    keys: &[TargetKey],
) -> sqlx::Result<HashMap<TargetKey, i64>> {
    let (unit_ids, years, metrics) = TargetKey::arrays(keys);
    let counts: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "select k.position, (
             select count(*) from unit u
             where u.path like (select path from unit where unit_id = k.unit_id) || '%'
               and case k.metric
                   when 'NEW_ENTERPRISE_ASSOCIATIONS' then
                       u.kind = 'ENTERPRISE' and extract(year from {FOUNDED}) = k.year
                   when 'EXEMPLARY_GRASSROOTS_ASSOCIATIONS' then u.exemplary_year = k.year
                   else false end
         ) as actual
         from unnest($1::uuid[], $2::int[], $3::text[]) with ordinality as k(unit_id, year, metric, position)"
    ))
    .bind(&unit_ids)
    .bind(&years)
    .bind(&metrics)
    .fetch_all(pool)
    .await?;
    Ok(TargetKey::by_position(keys, counts))
}

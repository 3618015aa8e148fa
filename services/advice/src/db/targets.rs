//! The actual figures of the target metrics advice measures.

use std::collections::HashMap;

use sqlx::PgPool;

use kexie_subgraph_kit::target::TargetKey;
use kexie_subgraph_kit::unit_tree::subtrees_cte;

/// The actual figures of advice-measured targets, in one statement for the whole batch;
/// what each metric counts is documented on `TargetMetric`. Records are counted once per
/// unit and year and then summed over each target's subtree (materialized steps: the
/// planner cannot know how many keys `unnest` yields). Targets whose unit the replicated
/// tree does not know are left out.
pub async fn target_actuals(
    pool: &PgPool,
    keys: &[TargetKey],
) -> sqlx::Result<HashMap<TargetKey, i64>> {
    let (unit_ids, years, metrics) = TargetKey::arrays(keys);
    let subtrees = subtrees_cte("unit_replica", "select unit_id from k");
    let counts: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "with recursive k as (
             select * from unnest($1::uuid[], $2::int[], $3::text[])
                 with ordinality as k(unit_id, year, metric, position)
         ),
         {subtrees},
         subtree as materialized (
             -- Every unit below (and including) each target's unit.
             select root_id, unit_id from subtrees
         ),
         years as (
             select min(year) as first, max(year) as last from k
         ),
         per_unit as materialized (
             -- Only the units of the targets' subtrees and the targets' years: a batch of
             -- one district's targets reads that district's records.
             -- Approved research topics by lead unit and year.
             select 'RESEARCH_TOPICS' as metric, t.lead_unit_id as unit_id, t.year, count(*) as actual
             from research_topic t
             where t.lead_unit_id in (select unit_id from subtree)
               and t.year between (select first from years) and (select last from years)
               and t.archived_at is null and t.status in ('APPROVED', 'IN_PROGRESS', 'CONCLUDED')
             group by t.lead_unit_id, t.year
             union all
             -- Submissions by submitting unit and the year their ADOPTED step was recorded.
             select 'ADOPTED_SUBMISSIONS', s.submitting_unit_id,
                    extract(year from c.changed_at at time zone 'Asia/Shanghai')::int,
                    count(distinct s.submission_id)
             from submission s
             join status_change c on c.entity_id = s.submission_id and c.to_status = 'ADOPTED'
             where s.submitting_unit_id in (select unit_id from subtree)
               and extract(year from c.changed_at at time zone 'Asia/Shanghai')
                   between (select first from years) and (select last from years)
               and s.archived_at is null
             group by s.submitting_unit_id, extract(year from c.changed_at at time zone 'Asia/Shanghai')
         ),
         measured as (
             select k.position, sum(p.actual)::bigint as actual
             from k
             join subtree s on s.root_id = k.unit_id
             join per_unit p on p.unit_id = s.unit_id and p.year = k.year and p.metric = k.metric
             group by k.position
         )
         select k.position, coalesce(m.actual, 0) as actual
         from k
         join unit_replica r on r.unit_id = k.unit_id
         left join measured m on m.position = k.position",
    ))
    .bind(&unit_ids)
    .bind(&years)
    .bind(&metrics)
    .fetch_all(pool)
    .await?;
    Ok(TargetKey::by_position(keys, counts))
}

//! The actual figures of the target metrics popularization measures.

use std::collections::HashMap;

use sqlx::PgPool;

use kexie_subgraph_kit::target::TargetKey;
use kexie_subgraph_kit::unit_tree::subtrees_cte;

/// The actual figures of popularization-measured targets, in one statement for the whole
/// batch; what each metric counts is documented on `TargetMetric`. Held activities are
/// counted once per organizer and year, then summed per target unit's subtree, so a batch
/// costs one pass over the years' activities however many targets it holds. The steps are
/// materialized: the planner cannot know how many keys `unnest` yields, and must not redo
/// the pass over activities once per key. Targets whose unit the replicated tree does not
/// know are left out.
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
             select s.root_id, s.unit_id, u.kind
             from subtrees s join unit_replica u on u.unit_id = s.unit_id
         ),
         held as materialized (
             -- Activities held by the units of the targets' subtrees, per organizer and the
             -- year they start in: a batch of a district's targets reads that district's
             -- activities (the organizer index), not the whole city's.
             select a.organizer_unit_id as unit_id, extract(year from a.starts_on)::int as year,
                    count(*) filter (where a.kind = 'VOLUNTEER_SERVICE') as volunteer_services,
                    count(*) filter (where a.kind = 'ACADEMICIAN_REPORT') as academician_reports,
                    count(*) filter (where a.kind = 'SCIENCE_DAY') as science_day_events,
                    count(*) filter (where 'FARMERS' = any(a.audiences)) as rural_popularization_events,
                    count(*) filter (where a.kind = 'LECTURE' and 'ELDERLY' = any(a.audiences)) as elderly_lectures
             from activity a
             where a.organizer_unit_id in (select unit_id from subtree)
               and a.status = 'HELD' and a.archived_at is null
               and a.starts_on between (select make_date(min(year), 1, 1) from k)
                                   and (select make_date(max(year), 12, 31) from k)
             group by a.organizer_unit_id, extract(year from a.starts_on)
         ),
         held_per_root as materialized (
             select s.root_id, h.year,
                    sum(h.volunteer_services) as volunteer_services,
                    sum(h.academician_reports) as academician_reports,
                    sum(h.science_day_events) as science_day_events,
                    sum(h.rural_popularization_events) as rural_popularization_events,
                    sum(h.elderly_lectures) as elderly_lectures
             from subtree s
             join held h on h.unit_id = s.unit_id
             group by s.root_id, h.year
         ),
         activities as (
             select k.position, (case k.metric
                        when 'VOLUNTEER_SERVICES' then h.volunteer_services
                        when 'ACADEMICIAN_REPORTS' then h.academician_reports
                        when 'SCIENCE_DAY_EVENTS' then h.science_day_events
                        when 'RURAL_POPULARIZATION_EVENTS' then h.rural_popularization_events
                        when 'ELDERLY_LECTURES' then h.elderly_lectures
                        else 0 end)::bigint as actual
             from k
             join held_per_root h on h.root_id = k.unit_id and h.year = k.year
         ),
         museums as (
             -- Science museums of units below the city level, open at the end of the year:
             -- opened by then, and open now or closed only after it.
             select k.position, count(*) as actual
             from k
             join subtree s on s.root_id = k.unit_id and s.kind <> 'CITY'
             join venue v on v.owner_unit_id = s.unit_id
             where k.metric = 'COUNTY_SCIENCE_MUSEUMS'
               and v.kind = 'SCIENCE_MUSEUM' and v.archived_at is null
               and v.opened_on <= make_date(k.year, 12, 31)
               and (v.status = 'OPEN' or (v.status = 'CLOSED' and exists (
                    select 1 from status_change c
                    where c.entity_id = v.venue_id and c.to_status = 'CLOSED'
                      and (c.changed_at at time zone 'Asia/Shanghai')::date > make_date(k.year, 12, 31))))
             group by k.position
         )
         select k.position, coalesce(case when k.metric = 'COUNTY_SCIENCE_MUSEUMS' then m.actual
                                           else a.actual end, 0) as actual
         from k
         join unit_replica r on r.unit_id = k.unit_id
         left join activities a on a.position = k.position
         left join museums m on m.position = k.position",
    ))
    .bind(&unit_ids)
    .bind(&years)
    .bind(&metrics)
    .fetch_all(pool)
    .await?;
    Ok(TargetKey::by_position(keys, counts))
}

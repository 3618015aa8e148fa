//! The actual figures of the target metrics popularization measures.

use std::collections::HashMap;

use sqlx::PgPool;

use kexie_shared::target::TargetKey;

/// The actual figures of popularization-measured targets, in one statement for the whole
/// batch; what each metric counts is documented on `TargetMetric`. Targets whose unit the
/// replicated tree does not know are left out.
pub async fn target_actuals(
    pool: &PgPool,
    keys: &[TargetKey],
) -> sqlx::Result<HashMap<TargetKey, i64>> {
    let (unit_ids, years, metrics) = TargetKey::arrays(keys);
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "select k.position, case
             when k.metric = 'COUNTY_SCIENCE_MUSEUMS' then (
                 -- Open at year end: opened by then, and open now or closed only after it.
                 select count(*) from venue v
                 join unit_replica owner on owner.unit_id = v.owner_unit_id
                 where owner.path like r.path || '%' and owner.kind <> 'CITY'
                   and v.kind = 'SCIENCE_MUSEUM' and v.archived_at is null
                   and v.opened_on <= make_date(k.year, 12, 31)
                   and (v.status = 'OPEN' or (v.status = 'CLOSED' and exists (
                        select 1 from status_change c
                        where c.entity_id = v.venue_id and c.to_status = 'CLOSED'
                          and (c.changed_at at time zone 'Asia/Shanghai')::date > make_date(k.year, 12, 31)))))
             else (
                 -- Activities held that start in the year.
                 select count(*) from activity a
                 join unit_replica organizer on organizer.unit_id = a.organizer_unit_id
                 where organizer.path like r.path || '%'
                   and a.status = 'HELD' and a.archived_at is null
                   and a.starts_on between make_date(k.year, 1, 1) and make_date(k.year, 12, 31)
                   and case k.metric
                       when 'VOLUNTEER_SERVICES' then a.kind = 'VOLUNTEER_SERVICE'
                       when 'ACADEMICIAN_REPORTS' then a.kind = 'ACADEMICIAN_REPORT'
                       when 'SCIENCE_DAY_EVENTS' then a.kind = 'SCIENCE_DAY'
                       when 'RURAL_POPULARIZATION_EVENTS' then 'FARMERS' = any(a.audiences)
                       when 'ELDERLY_LECTURES' then a.kind = 'LECTURE' and 'ELDERLY' = any(a.audiences)
                       else false end)
             end as actual
         from unnest($1::uuid[], $2::int[], $3::text[]) with ordinality as k(unit_id, year, metric, position)
         join unit_replica r on r.unit_id = k.unit_id",
    )
    .bind(&unit_ids)
    .bind(&years)
    .bind(&metrics)
    .fetch_all(pool)
    .await?;
    Ok(TargetKey::by_position(keys, counts))
}

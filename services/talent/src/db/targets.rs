//! The actual figure of the target metric talent measures.

use std::collections::HashMap;

use sqlx::PgPool;

use kexie_subgraph_kit::target::TargetKey;

/// The actual figures of talent-measured targets, in one statement for the whole batch (see
/// `TargetMetric::CertifiedWorkstations`). Targets whose unit the replicated tree does not
/// know are left out.
pub async fn target_actuals(
    pool: &PgPool,
    keys: &[TargetKey],
) -> sqlx::Result<HashMap<TargetKey, i64>> {
    let (unit_ids, years, metrics) = TargetKey::arrays(keys);
    let working_at_year_end = workstation_working_on("make_date(k.year, 12, 31)");
    let counts: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "select k.position, (
             select count(*) from workstation s
             where s.host_unit_id in (select unit_id from unit_replica
                                      where path like r.path || '%')
               and case k.metric
                   when 'CERTIFIED_WORKSTATIONS' then s.certification in ('PROVINCIAL', 'NATIONAL')
                   else false end
               and {working_at_year_end}
         ) as actual
         from unnest($1::uuid[], $2::int[], $3::text[]) with ordinality as k(unit_id, year, metric, position)
         join unit_replica r on r.unit_id = k.unit_id"
    ))
    .bind(&unit_ids)
    .bind(&years)
    .bind(&metrics)
    .fetch_all(pool)
    .await?;
    Ok(TargetKey::by_position(keys, counts))
}

/// Whether workstation `s` was working on `day`: founded by then (founding date, else the
/// day recorded), not archived, and not closed by then (closed now, but the closing step
/// recorded only after that day, still counts).
fn workstation_working_on(day: &str) -> String {
    format!(
        "s.archived_at is null
         and coalesce(s.founded_on, local_day(s.created_at)) <= {day}
         and (s.status <> 'CLOSED' or exists (
             select 1 from status_change c
             where c.entity_id = s.workstation_id and c.to_status = 'CLOSED'
               and local_day(c.changed_at) > {day}))"
    )
}

//! The actual figures of the target metrics advice measures.

use std::collections::HashMap;

use sqlx::PgPool;

use kexie_shared::target::TargetKey;

/// The actual figures of advice-measured targets, in one statement for the whole batch;
/// what each metric counts is documented on `TargetMetric`. Targets whose unit the
/// replicated tree does not know are left out.
pub async fn target_actuals(
    pool: &PgPool,
    keys: &[TargetKey],
) -> sqlx::Result<HashMap<TargetKey, i64>> {
    let (unit_ids, years, metrics) = TargetKey::arrays(keys);
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "select k.position, case k.metric
             when 'RESEARCH_TOPICS' then (
                 select count(*) from research_topic t
                 join unit_replica lead on lead.unit_id = t.lead_unit_id
                 where lead.path like r.path || '%'
                   and t.year = k.year and t.archived_at is null
                   and t.status in ('APPROVED', 'IN_PROGRESS', 'CONCLUDED'))
             when 'ADOPTED_SUBMISSIONS' then (
                 select count(*) from submission s
                 join unit_replica submitter on submitter.unit_id = s.submitting_unit_id
                 where submitter.path like r.path || '%' and s.archived_at is null
                   and exists (
                       select 1 from status_change c
                       where c.entity_id = s.submission_id and c.to_status = 'ADOPTED'
                         and extract(year from (c.changed_at at time zone 'Asia/Shanghai')) = k.year))
             else 0 end as actual
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

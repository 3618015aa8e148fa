//! Popularization figures over a unit's subtree (through the replicated unit tree): the
//! venues on record on the period's last day and the activities held in the period.

use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::Scope;
use kexie_subgraph_kit::rollup::Period;

/// One count of one bucket: `figure` names what is counted, `key` the enum value it is
/// broken down by.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FigureCount {
    /// The unit the figures are for: the unit asked about, or one of its active children.
    pub bucket: Uuid,
    pub figure: String,
    pub key: String,
    pub count: i64,
    /// The activities' participants (zero for venues).
    pub participants: i64,
    /// The activities' online reach (zero for venues).
    pub online_reach: i64,
}

/// Venues on record on the period's last day, by their status on that day.
pub const VENUES_BY_STATUS: &str = "VENUES_BY_STATUS";
/// Venues open on the period's last day, by kind.
pub const OPEN_VENUES_BY_KIND: &str = "OPEN_VENUES_BY_KIND";
/// Activities held in the period, by kind.
pub const ACTIVITIES_BY_KIND: &str = "ACTIVITIES_BY_KIND";
/// Activities held in the period, by each of their audiences.
pub const ACTIVITIES_BY_AUDIENCE: &str = "ACTIVITIES_BY_AUDIENCE";

/// The figures of each bucket of `scope` for `period`, in one statement: one row per bucket,
/// figure and key that has anything to count.
///
/// A venue's status on a day is the last status change recorded by the end of that day,
/// except that a venue counts as open from its opening date (`opened_on`) on, even when
/// its opening was recorded later (an existing museum entered into the hub, an opening
/// recorded late); a venue with neither is not yet on record. Archived venues and
/// activities (entry mistakes, withdrawn records) never count.
pub async fn popularization_figures(
    pool: &PgPool,
    scope: &Scope,
    period: Period,
) -> sqlx::Result<Vec<FigureCount>> {
    sqlx::query_as(&format!(
        "with scope as (
             select * from unnest($1::uuid[], $2::uuid[]) as s(unit_id, bucket)
         ),
         venues as (
             select s.bucket, v.kind,
                    case when v.opened_on <= $4 and (last.to_status is null
                                                     or last.to_status in ('PLANNED', 'UNDER_CONSTRUCTION'))
                         then 'OPEN' else last.to_status end as status
             from venue v
             join scope s on s.unit_id = v.owner_unit_id
             left join lateral (
                 select c.to_status from status_change c
                 where c.entity_id = v.venue_id and c.changed_at < {end_of_period}
                 order by c.changed_at desc, c.status_change_id desc limit 1
             ) last on true
             where v.archived_at is null
         ),
         held as materialized (
             -- Grouped by audience set before the audiences are unnested: a few hundred
             -- groups to spread instead of every activity.
             select s.bucket, a.kind, a.audiences, count(*) as count,
                    sum(a.participants) as participants, sum(a.online_reach) as online_reach
             from activity a
             join scope s on s.unit_id = a.organizer_unit_id
             where a.starts_on between $3 and $4 and a.status = 'HELD' and a.archived_at is null
             group by s.bucket, a.kind, a.audiences
         )
         select bucket, '{VENUES_BY_STATUS}' as figure, status as key, count(*) as count,
                0::bigint as participants, 0::bigint as online_reach
         from venues where status is not null
         group by bucket, status
         union all
         select bucket, '{OPEN_VENUES_BY_KIND}', kind, count(*), 0, 0
         from venues where status = 'OPEN'
         group by bucket, kind
         union all
         select bucket, '{ACTIVITIES_BY_KIND}', kind, sum(count)::bigint, sum(participants)::bigint,
                sum(online_reach)::bigint
         from held
         group by bucket, kind
         union all
         select bucket, '{ACTIVITIES_BY_AUDIENCE}', audience, sum(count)::bigint, sum(participants)::bigint,
                sum(online_reach)::bigint
         from held cross join lateral unnest(audiences) as audience
         group by bucket, audience",
        // The first instant of the day after the period, in China Standard Time.
        end_of_period = "($4::date + 1)::timestamp at time zone 'Asia/Shanghai'",
    ))
    .bind(&scope.units)
    .bind(&scope.buckets)
    .bind(period.from)
    .bind(period.to)
    // Planned with the actual units: a township's few units and the whole city's hundreds
    // want different plans (the organizer index or one pass over the period's activities),
    // which a cached generic plan would not give.
    .persistent(false)
    .fetch_all(pool)
    .await
}

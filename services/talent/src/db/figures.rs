//! Talent figures over a unit's subtree (through the replicated unit tree).

use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::rollup::Period;
use kexie_subgraph_kit::unit_tree::subtrees_cte;

/// One count of one bucket: `figure` names what is counted, `key` the enum value it is
/// broken down by (empty for a plain total).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FigureCount {
    /// The unit the figures are for: the unit asked about, or one of its active children.
    pub bucket: Uuid,
    pub bucket_name: String,
    /// Absent for a bucket with nothing counted at all.
    pub figure: Option<String>,
    pub key: Option<String>,
    pub count: Option<i64>,
}

pub const WORKERS: &str = "WORKERS";
pub const VOLUNTEERS: &str = "VOLUNTEERS";
pub const RURAL_EXPERTS: &str = "RURAL_EXPERTS";
pub const HONORS_BY_LEVEL: &str = "HONORS_BY_LEVEL";
pub const NOMINATIONS_BY_STATUS: &str = "NOMINATIONS_BY_STATUS";
pub const WORKSTATIONS_BY_KIND: &str = "WORKSTATIONS_BY_KIND";
pub const WORKSTATIONS_BY_CERTIFICATION: &str = "WORKSTATIONS_BY_CERTIFICATION";

/// A timestamp's local day (UTC+8).
macro_rules! local_day {
    ($column:literal) => {
        concat!("(", $column, " at time zone 'Asia/Shanghai')::date")
    };
}

/// Whether workstation `s` was working on `$day`: founded by then (founding date, else the
/// day recorded), not archived, and not closed by then (closed now, but the closing step
/// recorded only after that day, still counts).
pub(super) fn workstation_working_on(day: &str) -> String {
    format!(
        "s.archived_at is null
         and coalesce(s.founded_on, {recorded}) <= {day}
         and (s.status <> 'CLOSED' or exists (
             select 1 from status_change c
             where c.entity_id = s.workstation_id and c.to_status = 'CLOSED'
               and {changed} > {day}))",
        recorded = local_day!("s.created_at"),
        changed = local_day!("c.changed_at"),
    )
}

/// The figures of `unit_id`'s subtree (`by_child` false: one bucket, the unit itself) or of
/// the subtree of each of its active children in the replicated tree (`by_child` true), in
/// one statement: one row per bucket, figure and key.
pub async fn talent_figures(
    pool: &PgPool,
    unit_id: Uuid,
    by_child: bool,
    period: Period,
) -> sqlx::Result<Vec<FigureCount>> {
    let working_at_end = workstation_working_on("$4");
    sqlx::query_as(&format!(
        "with root as (
             select unit_id, path from unit_replica where unit_id = $1
         ),
         scope as (
             -- Each unit of the subtree with the bucket it counts in: the root itself, or
             -- the child of the root whose subtree holds it (the first ID of its path after
             -- the root's path; none for the root).
             select u.unit_id, case when $2 then nullif(split_part(substr(u.path, length(r.path) + 1), '/', 1), '')::uuid
                                    else r.unit_id end as bucket
             from root r join unit_replica u on u.path like r.path || '%'
         ),
         buckets as (
             select b.unit_id, b.name from unit_replica b
             where (not $2 and b.unit_id = $1) or ($2 and b.parent_id = $1 and b.status = 'ACTIVE')
         ),
         counts as (
             -- Workers registered by the period's last day and not archived by then.
             select s.bucket, f.figure, '' as key, count(*) as count
             from worker w
             join scope s on s.unit_id = w.home_unit_id
             cross join lateral (values ('{WORKERS}', true), ('{VOLUNTEERS}', w.is_volunteer),
                                        ('{RURAL_EXPERTS}', w.is_rural_expert)) as f(figure, counted)
             where f.counted
               and {worker_registered} <= $4
               and (w.archived_at is null or {worker_archived} > $4)
             group by s.bucket, f.figure
             union all
             -- Honors of the workers at home in the subtree, on the day they count: the day
             -- recorded when that lies in the honor's year, else the last day of its year.
             select s.bucket, '{HONORS_BY_LEVEL}', h.level, count(*)
             from honor h
             join worker w on w.worker_id = h.worker_id
             join scope s on s.unit_id = w.home_unit_id
             where h.archived_at is null
               and case when extract(year from {honor_recorded}) = h.year then {honor_recorded}
                        else make_date(h.year, 12, 31) end between $3 and $4
             group by s.bucket, h.level
             union all
             -- Nominations the subtree's units made within the period, by present status.
             select s.bucket, '{NOMINATIONS_BY_STATUS}', n.status, count(*)
             from nomination n
             join scope s on s.unit_id = n.nominating_unit_id
             where n.archived_at is null and {nominated} between $3 and $4
             group by s.bucket, n.status
             union all
             -- Workstations hosted in the subtree, working on the period's last day.
             select s2.bucket, f.figure, f.key, count(*)
             from workstation s
             join scope s2 on s2.unit_id = s.host_unit_id
             cross join lateral (values ('{WORKSTATIONS_BY_KIND}', s.kind),
                                        ('{WORKSTATIONS_BY_CERTIFICATION}', s.certification)) as f(figure, key)
             where {working_at_end}
             group by s2.bucket, f.figure, f.key
         )
         select b.unit_id as bucket, b.name as bucket_name, c.figure, c.key, c.count
         from buckets b left join counts c on c.bucket = b.unit_id",
        worker_registered = local_day!("w.created_at"),
        worker_archived = local_day!("w.archived_at"),
        honor_recorded = local_day!("h.created_at"),
        nominated = local_day!("n.created_at"),
    ))
    .bind(unit_id)
    .bind(by_child)
    .bind(period.from)
    .bind(period.to)
    .fetch_all(pool)
    .await
}

/// The figures of the subtree of each of `unit_ids` (each unit its own bucket, named after
/// it), in one statement for the whole batch: the records are counted once per unit of the
/// subtrees, then summed over each bucket's subtree, so a batch holding the city and its
/// districts reads each table once rather than once per unit asked about. Units the
/// replicated tree does not know have no row.
pub async fn talent_figures_of_subtrees(
    pool: &PgPool,
    unit_ids: &[Uuid],
    period: Period,
) -> sqlx::Result<Vec<FigureCount>> {
    let working_at_end = workstation_working_on("$3");
    let subtrees = subtrees_cte("unit_replica", "select unnest($1::uuid[])");
    sqlx::query_as(&format!(
        "with recursive {subtrees},
         scope as materialized (
             -- Each unit of the subtrees with the bucket it counts in; a unit below two
             -- of the roots (a district and the city) counts in both.
             select unit_id, root_id as bucket from subtrees
         ),
         units as materialized (
             select distinct unit_id from scope
         ),
         per_unit as (
             -- Workers registered by the period's last day and not archived by then.
             select w.home_unit_id as unit_id, f.figure, '' as key, count(*) as count
             from worker w
             cross join lateral (values ('{WORKERS}', true), ('{VOLUNTEERS}', w.is_volunteer),
                                        ('{RURAL_EXPERTS}', w.is_rural_expert)) as f(figure, counted)
             where w.home_unit_id in (select unit_id from units)
               and f.counted
               and {worker_registered} <= $3
               and (w.archived_at is null or {worker_archived} > $3)
             group by w.home_unit_id, f.figure
             union all
             -- Honors of the workers at home in the subtrees, on the day they count: the day
             -- recorded when that lies in the honor's year, else the last day of its year.
             select w.home_unit_id, '{HONORS_BY_LEVEL}', h.level, count(*)
             from honor h
             join worker w on w.worker_id = h.worker_id
             where w.home_unit_id in (select unit_id from units)
               and h.archived_at is null
               and case when extract(year from {honor_recorded}) = h.year then {honor_recorded}
                        else make_date(h.year, 12, 31) end between $2 and $3
             group by w.home_unit_id, h.level
             union all
             -- Nominations the subtrees' units made within the period, by present status.
             select n.nominating_unit_id, '{NOMINATIONS_BY_STATUS}', n.status, count(*)
             from nomination n
             where n.nominating_unit_id in (select unit_id from units)
               and n.archived_at is null and {nominated} between $2 and $3
             group by n.nominating_unit_id, n.status
             union all
             -- Workstations hosted in the subtrees, working on the period's last day.
             select s.host_unit_id, f.figure, f.key, count(*)
             from workstation s
             cross join lateral (values ('{WORKSTATIONS_BY_KIND}', s.kind),
                                        ('{WORKSTATIONS_BY_CERTIFICATION}', s.certification)) as f(figure, key)
             where s.host_unit_id in (select unit_id from units)
               and {working_at_end}
             group by s.host_unit_id, f.figure, f.key
         ),
         counts as (
             select s.bucket, p.figure, p.key, sum(p.count)::bigint as count
             from per_unit p join scope s on s.unit_id = p.unit_id
             group by s.bucket, p.figure, p.key
         )
         select b.unit_id as bucket, b.name as bucket_name, c.figure, c.key, c.count
         from unit_replica b left join counts c on c.bucket = b.unit_id
         where b.unit_id = any($1)",
        worker_registered = local_day!("w.created_at"),
        worker_archived = local_day!("w.archived_at"),
        honor_recorded = local_day!("h.created_at"),
        nominated = local_day!("n.created_at"),
    ))
    .bind(unit_ids)
    .bind(period.from)
    .bind(period.to)
    // Planned with the actual units: one township and the city with its districts want
    // different plans (the units' indexes or one pass over each table).
    .persistent(false)
    .fetch_all(pool)
    .await
}

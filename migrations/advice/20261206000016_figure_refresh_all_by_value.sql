-- `figure_refresh_all()` as the figure_subtree migration defines it, with the entities
-- handed to `figure_contributions` as a value instead of a subquery. Given a subquery, the
-- function cannot be inlined and its statements see the array as an opaque parameter: a
-- table scanned with `id = any(entity_ids)` as a filter compares each row with the array
-- element by element, so a bulk load's time grows with rows × entities. On a fresh database
-- (no statistics yet) popularization's venues were scanned that way: at scale 10 (4,950
-- venues, 504,950 entities) its load had not finished after forty minutes; by value it
-- takes under two. Given a value planned as a constant (`execute … using`), the function
-- is inlined and each ID is looked up in a hash of the array, whatever the plan.
--
-- The same file in every subgraph's migrations (crates/subgraph-kit/tests/migrations.rs).
create or replace function figure_refresh_all() returns void
    language plpgsql as $$
begin
    perform pg_advisory_xact_lock(1802, 0);
    truncate figure_contribution, figure_ledger;
    execute 'insert into figure_contribution (entity_id, unit_id, figure, key, day, delta)
             select entity_id, unit_id, figure, key, day, delta
             from figure_contributions($1)
             where delta <> 0'
        using array(select figure_entities());
    with own as (
        select unit_id, figure, key, day, sum(delta) as delta
        from figure_contribution
        group by unit_id, figure, key, day
    ),
    reach as (
        select * from figure_reach(array(select distinct unit_id from own))
    )
    insert into figure_ledger (unit_id, grain, period_start, figure, key, delta)
    select r.ancestor_id, g.grain, g.period_start, o.figure, o.key, sum(o.delta)
    from own o
    join reach r on r.unit_id = o.unit_id
    cross join lateral (values ('D'::"char", o.day),
                               ('M'::"char", date_trunc('month', o.day)::date),
                               ('Y'::"char", date_trunc('year', o.day)::date)) as g(grain, period_start)
    group by 1, 2, 3, 4, 5
    having sum(o.delta) <> 0;
end;
$$;

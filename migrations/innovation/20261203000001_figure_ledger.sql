-- The figure ledger (see kexie_subgraph_kit::ledger): every figure of this subgraph as dated
-- deltas per unit, kept in the same transaction as every write, so that a figure read sums
-- a bounded number of rows per unit instead of counting the records.
--
-- Each record (an "entity": a worker with its honors, a venue with its status history …)
-- contributes deltas: a flow +1 (or an amount) on the day it counts, a stock +1 on the day
-- it starts to count and -1 on the day it stops. The subgraph's `figure_contributions(ids)`
-- says what the given entities contribute now; triggers on every table it reads call
-- `figure_refresh(ids)` after each statement, which replaces the entities' stored
-- contributions with the fresh ones and adds the difference to the ledger. So the ledger
-- always equals the sum of what every entity contributes in the committed data.
--
-- The same file in every subgraph's migrations (crates/subgraph-kit/tests/migrations.rs).

-- A timestamp's local day (China Standard Time, UTC+8), the day figures count it on.
create function local_day(at timestamptz) returns date
    language sql stable
    return (at at time zone 'Asia/Shanghai')::date;

-- What each entity contributes now, as last refreshed.
create table figure_contribution (
    entity_id uuid not null,
    unit_id uuid not null,
    figure text not null,
    key text not null,
    day date not null,
    delta bigint not null
);
create index figure_contribution_entity_idx on figure_contribution (entity_id);

-- The sums of the contributions per unit, figure, key and period, at three grains: a day
-- ('D'), the month it falls in ('M') and the year ('Y'). A period is read as whole years,
-- whole months at its edges and single days at the very edges (kexie_subgraph_kit::ledger).
create table figure_ledger (
    unit_id uuid not null,
    grain "char" not null check (grain in ('D', 'M', 'Y')),
    period_start date not null,
    figure text not null,
    key text not null,
    delta bigint not null,
    primary key (unit_id, grain, period_start, figure, key)
);

-- A span of days [start, stop) as a stock's deltas: +1 on the first day and -1 on the day
-- after the last; nothing when it is empty. Null `stop` means it has not stopped.
create function figure_span(start date, stop date)
    returns table (day date, delta bigint)
    language sql immutable
    begin atomic
        select start, 1::bigint where start is not null and start <> '-infinity'
            and start < coalesce(stop, 'infinity')
        union all
        select stop, -1::bigint where stop is not null and stop <> 'infinity'
            and coalesce(start, '-infinity') < stop;
    end;

-- Brings the contributions of `entity_ids` up to date and the ledger with them.
--
-- Two transactions refreshing the same entity take turns (an advisory lock per bucket of
-- entity IDs, taken in order; 256 buckets keep the number of locks a bulk write holds
-- bounded): the second reads, after the first committed, both the data and the
-- contributions the first stored. Each statement of this function reads the data committed
-- when it starts (READ COMMITTED, the subgraphs' isolation level).
create function figure_refresh(entity_ids uuid[]) returns void
    language plpgsql as $$
declare
    bucket int;
begin
    if entity_ids is null or cardinality(entity_ids) = 0 then
        return;
    end if;
    for bucket in
        select distinct hashtext(id::text) & 255 from unnest(entity_ids) as id order by 1
    loop
        perform pg_advisory_xact_lock(1801, bucket);
    end loop;
    with dropped as (
        delete from figure_contribution where entity_id = any(entity_ids)
        returning unit_id, figure, key, day, -delta as delta
    ),
    fresh as (
        select * from figure_contributions(entity_ids) where delta <> 0
    ),
    stored as (
        insert into figure_contribution (entity_id, unit_id, figure, key, day, delta)
        select entity_id, unit_id, figure, key, day, delta from fresh
    ),
    change as (
        select unit_id, figure, key, day, sum(delta) as delta
        from (select unit_id, figure, key, day, delta from dropped
              union all
              select unit_id, figure, key, day, delta from fresh) as c
        group by unit_id, figure, key, day
        having sum(delta) <> 0
    )
    insert into figure_ledger as l (unit_id, grain, period_start, figure, key, delta)
    select c.unit_id, g.grain, g.period_start, c.figure, c.key, sum(c.delta)
    from change c
    cross join lateral (values ('D'::"char", c.day),
                               ('M'::"char", date_trunc('month', c.day)::date),
                               ('Y'::"char", date_trunc('year', c.day)::date)) as g(grain, period_start)
    group by c.unit_id, g.grain, g.period_start, c.figure, c.key
    -- One order for every writer, so that two writes never wait for each other's rows.
    order by c.unit_id, g.grain, g.period_start, c.figure, c.key
    on conflict (unit_id, grain, period_start, figure, key)
        do update set delta = l.delta + excluded.delta;
end;
$$;

-- After each statement on a table the figures read, refreshes the entities it touched: the
-- trigger's argument names the column holding the entity ID (a worker's ID in `honor`, the
-- record's ID in `status_change` …).
create function figure_refresh_after() returns trigger
    language plpgsql as $$
declare
    entity_ids uuid[];
begin
    if tg_op = 'INSERT' then
        execute format('select array_agg(distinct %I) from new_rows', tg_argv[0]) into entity_ids;
    elsif tg_op = 'DELETE' then
        execute format('select array_agg(distinct %I) from old_rows', tg_argv[0]) into entity_ids;
    else
        execute format('select array_agg(distinct e) from (select %1$I from new_rows
                                                           union select %1$I from old_rows) as r(e)',
                       tg_argv[0]) into entity_ids;
    end if;
    perform figure_refresh(entity_ids);
    return null;
end;
$$;

-- Keeps the ledger current with every insert, update and delete on `source`, whose
-- `entity_column` names the entity each row belongs to.
create function figure_track(source regclass, entity_column text) returns void
    language plpgsql as $$
declare
    name text := (select relname from pg_class where oid = source);
begin
    execute format('create trigger %I after insert on %s referencing new table as new_rows
                    for each statement execute function figure_refresh_after(%L)',
                   name || '_figures_insert', source, entity_column);
    execute format('create trigger %I after update on %s
                    referencing old table as old_rows new table as new_rows
                    for each statement execute function figure_refresh_after(%L)',
                   name || '_figures_update', source, entity_column);
    execute format('create trigger %I after delete on %s referencing old table as old_rows
                    for each statement execute function figure_refresh_after(%L)',
                   name || '_figures_delete', source, entity_column);
end;
$$;

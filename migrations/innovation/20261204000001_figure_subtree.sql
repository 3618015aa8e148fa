-- The figure ledger by subtree: a unit's rows in `figure_ledger` hold the sums of its whole
-- subtree (the unit itself and every unit below it), so that reading a unit's figures reads
-- that unit's rows only, whatever the number of units and records below it.
--
-- A contribution counts in the ledger of its unit and of every ancestor of that unit, as the
-- subgraph's unit tree (the view `figure_tree`: unit_id, path) stands; a unit the tree does
-- not know counts in its own ledger only. When the tree changes (a unit arrives, moves,
-- merges or leaves), the tree's triggers move the sums accordingly (`figure_move`), in the
-- same transaction. Tree changes and ledger refreshes take turns: a tree statement takes the
-- lock (1802, 0) exclusively before it runs, every refresh takes it shared, so a refresh
-- always reads the ancestors of the committed tree.
--
-- A bulk load (the demo seeder) may set `kexie.defer_figures` to 'on' for its transaction
-- (`set_config('kexie.defer_figures', 'on', true)`): the triggers then leave the ledger
-- alone, and the load ends with `figure_refresh_all()`, which builds it anew.
--
-- The same file in every subgraph's migrations (crates/subgraph-kit/tests/migrations.rs);
-- each subgraph then defines `figure_tree` and `figure_entities()`, calls
-- `figure_track_tree` on its tree table and `figure_refresh_all()`.

-- Whether this transaction's triggers leave the ledger alone (a bulk load under way).
create function figure_deferred() returns boolean
    language sql stable
    return coalesce(current_setting('kexie.defer_figures', true), '') = 'on';

-- The units of a path ('/<root>/…/<unit>/'), root first; null for a null path.
create function figure_path_units(path text) returns uuid[]
    language sql immutable
    return string_to_array(trim(both '/' from path), '/')::uuid[];

-- Each of `unit_ids` with every unit its contributions count in: its ancestors in the tree
-- and itself, or itself alone when the tree does not know it.
create function figure_reach(unit_ids uuid[]) returns table (unit_id uuid, ancestor_id uuid)
    language plpgsql stable as $$
begin
    return query
        select u.id, coalesce(a.id, u.id)
        from unnest(unit_ids) as u(id)
        left join figure_tree t on t.unit_id = u.id
        left join lateral unnest(figure_path_units(t.path)) as a(id) on true;
end;
$$;

create or replace function figure_refresh(entity_ids uuid[]) returns void
    language plpgsql as $$
declare
    bucket int;
begin
    if entity_ids is null or cardinality(entity_ids) = 0 then
        return;
    end if;
    -- The tree stays as committed until this transaction ends (see the top of this file).
    perform pg_advisory_xact_lock_shared(1802, 0);
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
    ),
    reach as (
        select * from figure_reach(array(select distinct unit_id from change))
    )
    insert into figure_ledger as l (unit_id, grain, period_start, figure, key, delta)
    select r.ancestor_id, g.grain, g.period_start, c.figure, c.key, sum(c.delta)
    from change c
    join reach r on r.unit_id = c.unit_id
    cross join lateral (values ('D'::"char", c.day),
                               ('M'::"char", date_trunc('month', c.day)::date),
                               ('Y'::"char", date_trunc('year', c.day)::date)) as g(grain, period_start)
    group by r.ancestor_id, g.grain, g.period_start, c.figure, c.key
    -- One order for every writer, so that two writes never wait for each other's rows.
    order by r.ancestor_id, g.grain, g.period_start, c.figure, c.key
    on conflict (unit_id, grain, period_start, figure, key)
        do update set delta = l.delta + excluded.delta;
end;
$$;

create or replace function figure_refresh_after() returns trigger
    language plpgsql as $$
declare
    entity_ids uuid[];
begin
    if figure_deferred() then
        return null;
    end if;
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

-- Moves the sums of the units whose paths changed in one statement on the tree, from the
-- ancestors of `old_paths` to those of `new_paths` (null: not in the tree, so the unit's own
-- ledger only).
--
-- A move of one whole subtree (a unit and everything below it carried along: one
-- reorganization) moves the subtree's root's ledger rows, which are the subtree's sums, so
-- it costs the root's rows, not the subtree's records. Anything else (units arriving or
-- leaving, several subtrees rearranged in one statement) moves each unit's own
-- contributions. This relies on the tree being consistent after every statement: a unit's
-- path is its parent's path and its own ID.
create function figure_move(unit_ids uuid[], old_paths text[], new_paths text[]) returns void
    language plpgsql as $$
declare
    root uuid;
begin
    -- One subtree carried whole: the moved unit nearest the root of the tree takes every
    -- other moved unit along, before and after.
    select m.id into root
    from unnest(unit_ids, old_paths, new_paths) as m(id, old_path, new_path)
    where m.old_path is not null and m.new_path is not null
    order by length(m.old_path)
    limit 1;
    if exists (
        select from unnest(unit_ids, old_paths, new_paths) as m(id, old_path, new_path),
                    unnest(unit_ids, old_paths, new_paths) as r(id, old_path, new_path)
        where r.id = root
          and (m.old_path is null or m.new_path is null
               or not starts_with(m.old_path, r.old_path)
               or m.new_path <> r.new_path || substr(m.old_path, length(r.old_path) + 1))
    ) then
        root := null;
    end if;

    if root is not null then
        with root_path as (
            select figure_path_units(m.old_path) as old_units,
                   figure_path_units(m.new_path) as new_units
            from unnest(unit_ids, old_paths, new_paths) as m(id, old_path, new_path)
            where m.id = root
        ),
        change as (
            select a.id as ancestor_id, -1 as sign
            from root_path, unnest(old_units) as a(id) where a.id <> all(new_units)
            union all
            select a.id, 1
            from root_path, unnest(new_units) as a(id) where a.id <> all(old_units)
        )
        insert into figure_ledger as l (unit_id, grain, period_start, figure, key, delta)
        select c.ancestor_id, r.grain, r.period_start, r.figure, r.key, c.sign * r.delta
        from change c
        cross join figure_ledger r
        where r.unit_id = root and r.delta <> 0
        order by 1, 2, 3, 4, 5
        on conflict (unit_id, grain, period_start, figure, key)
            do update set delta = l.delta + excluded.delta;
        return;
    end if;

    with moved as (
        select * from unnest(unit_ids, old_paths, new_paths) as m(id, old_path, new_path)
    ),
    own as (
        select c.unit_id, c.figure, c.key, c.day, sum(c.delta) as delta
        from figure_contribution c
        where c.unit_id = any(unit_ids)
        group by c.unit_id, c.figure, c.key, c.day
    ),
    change as (
        select a.id as ancestor_id, o.figure, o.key, o.day, sum(o.delta * s.sign) as delta
        from own o
        join moved m on m.id = o.unit_id
        cross join lateral (values (m.old_path, -1), (m.new_path, 1)) as s(path, sign)
        cross join lateral unnest(coalesce(figure_path_units(s.path), array[o.unit_id])) as a(id)
        group by a.id, o.figure, o.key, o.day
        having sum(o.delta * s.sign) <> 0
    )
    insert into figure_ledger as l (unit_id, grain, period_start, figure, key, delta)
    select c.ancestor_id, g.grain, g.period_start, c.figure, c.key, sum(c.delta)
    from change c
    cross join lateral (values ('D'::"char", c.day),
                               ('M'::"char", date_trunc('month', c.day)::date),
                               ('Y'::"char", date_trunc('year', c.day)::date)) as g(grain, period_start)
    group by c.ancestor_id, g.grain, g.period_start, c.figure, c.key
    order by 1, 2, 3, 4, 5
    on conflict (unit_id, grain, period_start, figure, key)
        do update set delta = l.delta + excluded.delta;
end;
$$;

-- Before each statement on the tree: waits for the refreshes under way and keeps new ones
-- waiting until this transaction ends.
create function figure_tree_before() returns trigger
    language plpgsql as $$
begin
    if not figure_deferred() then
        perform pg_advisory_xact_lock(1802, 0);
    end if;
    return null;
end;
$$;

-- After each statement on the tree: moves the sums of the units whose paths it changed.
create function figure_tree_after() returns trigger
    language plpgsql as $$
declare
    unit_ids uuid[];
    old_paths text[];
    new_paths text[];
begin
    if figure_deferred() then
        return null;
    end if;
    if tg_op = 'INSERT' then
        select array_agg(unit_id), array_agg(null::text), array_agg(path)
        into unit_ids, old_paths, new_paths
        from new_rows;
    elsif tg_op = 'DELETE' then
        select array_agg(unit_id), array_agg(path), array_agg(null::text)
        into unit_ids, old_paths, new_paths
        from old_rows;
    else
        select array_agg(n.unit_id), array_agg(o.path), array_agg(n.path)
        into unit_ids, old_paths, new_paths
        from new_rows n join old_rows o on o.unit_id = n.unit_id
        where n.path is distinct from o.path;
    end if;
    if unit_ids is not null then
        perform figure_move(unit_ids, old_paths, new_paths);
    end if;
    return null;
end;
$$;

-- Keeps the ledger's subtree sums current with every insert, update and delete on the tree
-- table `source` (columns unit_id and path). Where the tree's rows are also entities whose
-- figures are tracked (organizations' units), the move must run before the refresh of the
-- same statement, so that the refresh takes the stored contributions back from where the
-- move put them: PostgreSQL fires a table's triggers in the order of their names, and
-- '<table>_figure_tree_…' sorts before figure_track's '<table>_figures_…'.
create function figure_track_tree(source regclass) returns void
    language plpgsql as $$
declare
    name text := (select relname from pg_class where oid = source);
begin
    execute format('create trigger %I before insert or update or delete on %s
                    for each statement execute function figure_tree_before()',
                   name || '_figure_tree_before', source);
    execute format('create trigger %I after insert on %s referencing new table as new_rows
                    for each statement execute function figure_tree_after()',
                   name || '_figure_tree_insert', source);
    execute format('create trigger %I after update on %s
                    referencing old table as old_rows new table as new_rows
                    for each statement execute function figure_tree_after()',
                   name || '_figure_tree_update', source);
    execute format('create trigger %I after delete on %s referencing old table as old_rows
                    for each statement execute function figure_tree_after()',
                   name || '_figure_tree_delete', source);
end;
$$;

-- Builds the contributions and the ledger anew from every entity (`figure_entities()`) and
-- the tree as they stand. Every refresh and tree change waits meanwhile.
create function figure_refresh_all() returns void
    language plpgsql as $$
begin
    perform pg_advisory_xact_lock(1802, 0);
    truncate figure_contribution, figure_ledger;
    insert into figure_contribution (entity_id, unit_id, figure, key, day, delta)
    select entity_id, unit_id, figure, key, day, delta
    from figure_contributions(array(select figure_entities()))
    where delta <> 0;
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

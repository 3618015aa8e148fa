-- The figure ledger by subtree (see figure_subtree.sql) on the replicated unit tree.
create view figure_tree as select unit_id, path from unit_replica;

-- Every entity whose records the figures count.
create function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select worker_id from worker
        union all select nomination_id from nomination
        union all select workstation_id from workstation;
    end;

select figure_track_tree('unit_replica');
select figure_refresh_all();

-- The figure ledger by subtree (see figure_subtree.sql) on the replicated unit tree.
create view figure_tree as select unit_id, path from unit_replica;

-- Every entity whose records the figures count.
create function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select venue_id from venue
        union all select activity_id from activity;
    end;

select figure_track_tree('unit_replica');
select figure_refresh_all();

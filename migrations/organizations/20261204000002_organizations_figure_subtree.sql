-- The figure ledger by subtree (see figure_subtree.sql) on the unit tree itself.
create view figure_tree as select unit_id, path from unit;

-- Every entity whose records the figures count.
create function figure_entities() returns setof uuid
    language sql stable
    begin atomic
        select unit_id from unit;
    end;

select figure_track_tree('unit');
select figure_refresh_all();

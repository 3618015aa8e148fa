-- The figure ledger by subtree (see figure_subtree.sql) on the unit tree itself.
create view figure_tree as select unit_id, path from unit;
select figure_track_tree('unit');
select figure_rebuild();

-- The figure ledger by subtree (see figure_subtree.sql) on the replicated unit tree.
create view figure_tree as select unit_id, path from unit_replica;
select figure_track_tree('unit_replica');
select figure_rebuild();

-- A unit's children in this subgraph's copy of the unit tree: a city's target actuals read
-- the subtrees of its children (kexie_subgraph_kit::target), which scanned the whole copy
-- without this index.
create index unit_replica_parent_idx on unit_replica (parent_id);

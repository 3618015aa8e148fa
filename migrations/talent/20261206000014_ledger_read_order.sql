-- The figure ledger's key in the order its reads use, holding what they read: a read asks
-- for one unit, grain and figure over a range of periods and sums the deltas
-- (kexie_subgraph_kit::ledger::read). With the period before the figure, each probe
-- stepped over every figure's entries of the range, and each row it kept cost a visit to
-- the table for its delta; with the figure first and the delta in the index, a probe reads
-- its rows from the index alone (an index-only scan). The key's columns are the same, so
-- the writers' `on conflict (unit_id, grain, period_start, figure, key)` still finds it.
--
-- The same file in every subgraph's migrations (crates/subgraph-kit/tests/migrations.rs).
alter table figure_ledger
    drop constraint figure_ledger_pkey,
    add primary key (unit_id, grain, figure, period_start, key) include (delta);

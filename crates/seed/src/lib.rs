//! The demo city: one generated association tree and everything the five subgraphs hold
//! about it, for `kexie seed`, `kexie serve` on an empty database, the benchmarks and the
//! tests that need a realistic city. It lives outside the subgraph crates so that their
//! production builds carry no demo data.
//!
//! Each subgraph has a module with `seed(pool, &mut DemoCity)` (inserts in bulk, `unnest`
//! arrays of a few thousand rows a statement, deterministic from
//! `DemoCity::rng("<name>")`), `reset(pool)` (empties the subgraph's tables) and
//! `is_empty(pool)`. They run in [`demo::DemoCity`]'s order: organizations generates the
//! tree, talent the workers on it, popularization, advice and innovation use both.

pub mod advice;
pub mod demo;
mod figures;
pub mod innovation;
pub mod organizations;
pub mod popularization;
pub mod talent;

//! The popularization subgraph as front-end teams and partner bureaus use it, against real
//! PostgreSQL and Redis: each test starts the subgraph on a fresh database, with the sample
//! unit tree replicated into it.

mod activities;
mod authorization;
mod support;
mod sync;
mod units;
mod venues;
mod workflows;

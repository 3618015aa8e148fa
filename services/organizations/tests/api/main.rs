//! The organizations subgraph as front-end teams, partner bureaus and the gateway use it,
//! against real PostgreSQL and Redis: one test binary, one module per part, a fresh
//! database and Redis namespace per test.

mod api_keys;
mod association_work;
mod authorization;
mod labels;
mod support;
mod sync;
mod units;
mod viewer;
mod webhooks;

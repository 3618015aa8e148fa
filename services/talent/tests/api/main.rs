//! The talent subgraph as a front-end team and the gateway use it, against real
//! PostgreSQL and Redis: a fresh database and Redis namespace per test.

mod authorization;
mod honors;
mod nominations;
mod support;
mod sync;
mod units;
mod workers;
mod workflows;
mod workstations;

//! The innovation subgraph as front-end teams and partner bureaus use it, against real
//! PostgreSQL and Redis: one test binary (one link), one module per part.

mod authorization;
mod cooperation;
mod events;
mod federation;
mod matches;
mod needs;
mod pilots;
mod results;
mod support;
mod sync;
mod visits;

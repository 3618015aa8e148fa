//! The advice subgraph as front-end teams and partner bureaus use it, against real
//! PostgreSQL and Redis: one test binary (one link), one module per part.

mod authorization;
mod campaigns;
mod federation;
mod research_topics;
mod submissions;
mod support;
mod sync;

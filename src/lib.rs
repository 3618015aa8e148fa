//! The hub as a library: the commands of the `kexie` binary, usable from the end-to-end
//! tests and the benchmarks.

pub mod config_file;
pub mod schema_files;
pub mod seed;
pub mod serve;
pub mod subgraphs;
pub mod token;

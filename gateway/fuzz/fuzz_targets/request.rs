//! Fuzzes the whole request path (see `kexie_gateway::fuzzing`): request parsing,
//! validation, planning, variable coercion, execution against a canned subgraph answer,
//! merging and projection. Any panic is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kexie_gateway::fuzzing::run(data);
});

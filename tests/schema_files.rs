//! The committed `schema/` files are what the code exports and composes.

use std::path::Path;

#[test]
fn committed_subgraph_sdls_and_supergraph_are_up_to_date() {
    let stale = kexie::schema_files::stale(Path::new("schema")).unwrap();
    assert!(
        stale.is_empty(),
        "stale schema files {stale:?}: run `cargo run -- schema` and commit the result"
    );
}

#[test]
fn the_supergraph_routes_root_fields_to_every_subgraph() {
    let supergraph = std::fs::read_to_string("schema/supergraph.graphql").unwrap();
    let query = supergraph
        .split("\ntype Query\n")
        .nth(1)
        .and_then(|rest| rest.split("\n{").next())
        .unwrap();
    for graph in [
        "ORGANIZATIONS",
        "TALENT",
        "POPULARIZATION",
        "ADVICE",
        "INNOVATION",
    ] {
        assert!(
            query.contains(&format!("@join__type(graph: {graph})")),
            "Query lacks {graph}: {query}"
        );
    }
}

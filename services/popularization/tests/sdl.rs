//! The SDL that composition and other gateways see.

/// What organizations, the owner of `Unit`, says about it, reduced to what matters here.
/// Its `StatusChange` (the unit's history) is not marked shareable: this subgraph's is.
const UNIT_OWNER: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])
type Unit @key(fields: "id") { id: ID! name: String! history: [StatusChange!]! }
type StatusChange { fromStatus: String toStatus: String! actor: String! note: String changedAt: DateTime! }
scalar DateTime
type Query { unit(id: ID!): Unit }
"#;

#[test]
fn the_sdl_extends_unit_and_keys_venues_and_activities_by_id() {
    let sdl = kexie_popularization::sdl();
    for expected in [
        "type Unit @key(fields: \"id\")",
        "type Venue @key(fields: \"id\")",
        "type Activity @key(fields: \"id\")",
        "type StatusChange @shareable",
        "https://specs.apollo.dev/federation/v2",
        "venues(filter: VenueFilter, includeSubtree: Boolean = false, first: Int = 20, after: String): VenueConnection!",
        "activities(filter: ActivityFilter, includeSubtree: Boolean = false, first: Int = 20, after: String): ActivityConnection!",
    ] {
        assert!(sdl.contains(expected), "missing {expected:?} in\n{sdl}");
    }
}

#[test]
fn the_sdl_composes_with_the_owner_of_unit() {
    let mut subgraphs = graphql_composition::Subgraphs::default();
    subgraphs
        .ingest_str(
            UNIT_OWNER,
            "organizations",
            Some("http://127.0.0.1:4001/graphql"),
        )
        .expect("the owner's SDL parses");
    subgraphs
        .ingest_str(
            &kexie_popularization::sdl(),
            "popularization",
            Some("http://127.0.0.1:4003/graphql"),
        )
        .expect("the popularization SDL parses");
    let result = graphql_composition::compose(&mut subgraphs);
    let messages: Vec<String> = result
        .diagnostics()
        .iter_messages()
        .map(str::to_string)
        .collect();
    assert!(
        result.into_result().is_ok(),
        "composition failed: {messages:#?}"
    );
}

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

/// A change to the schema shows up as a diff of `tests/snapshots/sdl__sdl.snap` to review
/// (and of `schema/popularization.graphql`, which `kexie schema` writes).
#[test]
fn the_sdl_is_the_reviewed_one() {
    insta::assert_snapshot!("sdl", kexie_popularization::sdl());
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

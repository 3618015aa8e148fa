//! The SDL that composition and other gateways see, as a snapshot: a change to the schema
//! shows up as a diff of `tests/snapshots/sdl__sdl.snap` to review (and of
//! `schema/innovation.graphql`, which `kexie schema` writes).

#[test]
fn the_sdl_is_the_reviewed_one() {
    insta::assert_snapshot!("sdl", kexie_innovation::sdl());
}

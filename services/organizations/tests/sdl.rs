//! The SDL that composition and other gateways see.

#[test]
fn the_sdl_declares_unit_as_an_entity_keyed_by_id() {
    let sdl = kexie_organizations::sdl();
    assert!(sdl.contains("type Unit @key(fields: \"id\")"), "{sdl}");
    assert!(
        sdl.contains("https://specs.apollo.dev/federation/v2"),
        "{sdl}"
    );
}

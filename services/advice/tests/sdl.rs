//! The SDL that composition and other gateways see.

#[test]
fn the_sdl_extends_unit_and_worker_as_entities_keyed_by_id() {
    let sdl = kexie_advice::sdl();
    assert!(sdl.contains("type Unit @key(fields: \"id\")"), "{sdl}");
    assert!(sdl.contains("type Worker @key(fields: \"id\")"), "{sdl}");
    assert!(
        sdl.contains("https://specs.apollo.dev/federation/v2"),
        "{sdl}"
    );
}

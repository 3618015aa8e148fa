//! The SDL that composition and other gateways see.

#[test]
fn the_sdl_declares_worker_as_an_owned_entity_and_extends_unit_without_a_database() {
    let sdl = kexie_talent::sdl();
    if std::env::var("PRINT_SDL").is_ok() {
        println!("{sdl}");
    }
    assert!(
        sdl.contains("https://specs.apollo.dev/federation/v2"),
        "{sdl}"
    );
    assert!(sdl.contains("type Worker @key(fields: \"id\")"), "{sdl}");
    assert!(sdl.contains("type Unit @key(fields: \"id\")"), "{sdl}");
    for field in [
        "workers(filter: WorkerFilter, includeSubtree: Boolean = false",
        "honors(filter: HonorFilter, includeSubtree: Boolean = false",
        "nominations(filter: NominationFilter, includeSubtree: Boolean = false",
        "workstations(filter: WorkstationFilter, includeSubtree: Boolean = false",
    ] {
        assert!(sdl.contains(field), "Unit lacks {field}: {sdl}");
    }
}

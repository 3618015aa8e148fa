//! The migrations every subgraph shares are one text: each subgraph keeps its own copy in
//! `migrations/<subgraph>/` (its schema is its own), and the copies never drift apart.

use std::path::Path;

const SUBGRAPHS: [&str; 5] = [
    "organizations",
    "talent",
    "popularization",
    "advice",
    "innovation",
];
const SHARED: [&str; 8] = [
    "20261123000010_data_version.sql",
    "20261124000001_idempotency_fingerprint.sql",
    "20261203000001_figure_ledger.sql",
    "20261204000001_figure_subtree.sql",
    "20261206000010_outbox.sql",
    "20261206000013_outbox_notify.sql",
    "20261206000014_ledger_read_order.sql",
    "20261206000016_figure_refresh_all_by_value.sql",
];

#[test]
fn the_shared_migrations_are_the_same_in_every_subgraph() {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    for file in SHARED {
        let texts: Vec<String> = SUBGRAPHS
            .iter()
            .map(|subgraph| {
                std::fs::read_to_string(migrations.join(subgraph).join(file))
                    .unwrap_or_else(|err| panic!("{subgraph}/{file}: {err}"))
            })
            .collect();
        for (subgraph, text) in SUBGRAPHS.iter().zip(&texts) {
            assert_eq!(
                text, &texts[0],
                "{subgraph}/{file} differs from {}'s",
                SUBGRAPHS[0]
            );
        }
    }
}

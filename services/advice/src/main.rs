//! `kexie-advice`: serves the advice subgraph; `kexie-advice migrate` only applies its
//! migrations.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kexie_advice::SUBGRAPH.main(kexie_advice::build).await
}

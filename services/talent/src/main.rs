//! `kexie-talent`: serves the talent subgraph; `kexie-talent migrate` only applies its
//! migrations.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kexie_talent::SUBGRAPH.main(kexie_talent::build).await
}

//! `kexie-innovation`: serves the innovation subgraph; `kexie-innovation migrate` only
//! applies its migrations.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kexie_innovation::SUBGRAPH
        .main(kexie_innovation::build)
        .await
}

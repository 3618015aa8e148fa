//! `kexie-organizations`: serves the organizations subgraph; `kexie-organizations migrate`
//! only applies its migrations.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kexie_organizations::SUBGRAPH
        .main(kexie_organizations::build)
        .await
}

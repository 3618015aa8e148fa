//! `kexie-popularization`: serves the popularization subgraph; `kexie-popularization migrate` only applies its
//! migrations.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kexie_popularization::SUBGRAPH
        .main(kexie_popularization::build)
        .await
}

//! Demo data (placeholder while the generator is written).
use kexie_shared::demo::DemoCity;
use sqlx::PgPool;
pub async fn seed(_pool: &PgPool, _city: &mut DemoCity) -> anyhow::Result<()> {
    Ok(())
}
pub async fn reset(_pool: &PgPool) -> anyhow::Result<()> {
    Ok(())
}
pub async fn is_empty(_pool: &PgPool) -> anyhow::Result<bool> {
    Ok(true)
}

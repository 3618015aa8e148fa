//! 科创中国 pilot designations (试点城市, 创新枢纽城市, 试点园区).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_subgraph_kit::record::{Audit, Record};

use crate::domain::PilotKind;

const COLUMNS: &str = "p.pilot_designation_id, p.unit_id, p.kind, p.name, p.from_year,
    p.to_year, p.version, p.created_at, p.created_by, p.updated_at, p.updated_by, p.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PilotRow {
    pub pilot_designation_id: Uuid,
    pub unit_id: Uuid,
    pub kind: PilotKind,
    pub name: String,
    pub from_year: i32,
    pub to_year: Option<i32>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for PilotRow {
    fn id(&self) -> Uuid {
        self.pilot_designation_id
    }
}

/// The live designations of each of `unit_ids` (archived ones with `include_archived`),
/// oldest first: a unit carries a handful at most.
pub async fn of_units(
    pool: &PgPool,
    unit_ids: &[Uuid],
    include_archived: bool,
) -> sqlx::Result<Vec<PilotRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from pilot_designation p
         where p.unit_id = any($1) and ($2 or p.archived_at is null)
         order by p.from_year, p.pilot_designation_id"
    ))
    .bind(unit_ids)
    .bind(include_archived)
    .fetch_all(pool)
    .await
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<PilotRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from pilot_designation p where p.pilot_designation_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<PilotRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from pilot_designation p where p.pilot_designation_id = $1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PilotRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from pilot_designation p where p.pilot_designation_id = $1 for update of p"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Validated designation fields.
pub struct PilotFields {
    pub unit_id: Uuid,
    pub kind: PilotKind,
    pub name: String,
    pub from_year: i32,
    pub to_year: Option<i32>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &PilotFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into pilot_designation (pilot_designation_id, unit_id, kind, name, from_year,
             to_year, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(fields.unit_id)
    .bind(fields.kind)
    .bind(&fields.name)
    .bind(fields.from_year)
    .bind(fields.to_year)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes what the designation says; it stays with its unit.
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &PilotFields,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update pilot_designation set kind = $2, name = $3, from_year = $4, to_year = $5,
             updated_by = $6, version = version + 1
         where pilot_designation_id = $1",
    )
    .bind(id)
    .bind(fields.kind)
    .bind(&fields.name)
    .bind(fields.from_year)
    .bind(fields.to_year)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn archive(conn: &mut PgConnection, id: Uuid, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update pilot_designation set archived_at = now(), archived_by = $2, updated_by = $2,
             version = version + 1
         where pilot_designation_id = $1",
    )
    .bind(id)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

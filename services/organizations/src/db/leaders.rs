//! Leadership roles.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{LeaderRole, ThreeHeadsPost};

use kexie_subgraph_kit::record::Audit;

const COLUMNS: &str =
    "leadership_role_id, unit_id, term_id, person_name, role, three_heads_post, post,
    starts_on, ends_on, version, created_at, created_by, updated_at, updated_by, archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LeadershipRoleRow {
    pub leadership_role_id: Uuid,
    pub unit_id: Uuid,
    pub term_id: Option<Uuid>,
    pub person_name: String,
    pub role: LeaderRole,
    pub three_heads_post: Option<ThreeHeadsPost>,
    pub post: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<LeadershipRoleRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from leadership_role where leadership_role_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// The live roles of a unit, chair first.
pub async fn of_unit(
    pool: &PgPool,
    unit_id: Uuid,
    include_archived: bool,
) -> sqlx::Result<Vec<LeadershipRoleRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from leadership_role
         where unit_id = $1 and ($2 or archived_at is null)
         order by case role when 'CHAIR' then 0 when 'VICE_CHAIR' then 1 else 2 end, leadership_role_id"
    ))
    .bind(unit_id)
    .bind(include_archived)
    .fetch_all(pool)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<LeadershipRoleRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from leadership_role where leadership_role_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct LeadershipRoleFields<'a> {
    pub term_id: Option<Uuid>,
    pub person_name: &'a str,
    pub role: LeaderRole,
    pub three_heads_post: Option<ThreeHeadsPost>,
    pub post: Option<&'a str>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    unit_id: Uuid,
    fields: &LeadershipRoleFields<'_>,
    actor: &str,
) -> sqlx::Result<LeadershipRoleRow> {
    sqlx::query_as(&format!(
        "insert into leadership_role (leadership_role_id, unit_id, term_id, person_name, role, three_heads_post,
                                      post, starts_on, ends_on, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning {COLUMNS}"
    ))
    .bind(id)
    .bind(unit_id)
    .bind(fields.term_id)
    .bind(fields.person_name)
    .bind(fields.role)
    .bind(fields.three_heads_post)
    .bind(fields.post)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &LeadershipRoleFields<'_>,
    actor: &str,
) -> sqlx::Result<LeadershipRoleRow> {
    sqlx::query_as(&format!(
        "update leadership_role set term_id = $2, person_name = $3, role = $4, three_heads_post = $5, post = $6,
                starts_on = $7, ends_on = $8, updated_by = $9, version = version + 1
         where leadership_role_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(fields.term_id)
    .bind(fields.person_name)
    .bind(fields.role)
    .bind(fields.three_heads_post)
    .bind(fields.post)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
) -> sqlx::Result<LeadershipRoleRow> {
    sqlx::query_as(&format!(
        "update leadership_role set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where leadership_role_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

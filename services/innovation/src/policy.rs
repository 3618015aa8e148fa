//! Who may read and change innovation records, on top of `kexie_subgraph_kit::access`.
//!
//! Each record is owned by one unit: a technology need by its publishing unit (the
//! enterprise, or the association publishing for a company), a result by its owning unit.
//! A match belongs to its need: brokering one (供需对接) is work on the need's unit. Staff
//! (`unit_staff`, `unit_admin`, `city_admin`) write the records of the units of their
//! subtree — so the associations above an enterprise broker its needs; moving a record to
//! another unit needs both.
//!
//! A pilot designation (科创中国试点) is conferred from above: staff of a unit strictly above
//! the designated unit, or the city's administrators, record it.
//!
//! Reads are for staff and for partner keys with `innovation:read` (the science and
//! industry bureaus that co-run this work); leadership reads the figures of its subtree.
//! The public reads nothing here: needs carry enterprises' budgets and problems.

use async_graphql::Context;
use sqlx::PgConnection;
use uuid::Uuid;

use kexie_contract::principal::{Role, Scope};
use kexie_subgraph_kit::access::{self, Need};
use kexie_subgraph_kit::{ApiError, ApiResult};

/// Refuses unless the request comes from staff or a key with `innovation:read`.
pub fn require_reader(ctx: &Context<'_>, what: &str) -> ApiResult<()> {
    access::require_staff_or_scope(ctx, Scope::ReadInnovation, what)
}

/// Requires the request to write the records of `unit` (and of `new_unit`, when a record
/// moves there).
pub async fn require_write(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    unit: Uuid,
    new_unit: Option<Uuid>,
) -> ApiResult<()> {
    access::require_in_replica(ctx, conn, Need::Write, unit).await?;
    if let Some(new_unit) = new_unit.filter(|new_unit| *new_unit != unit) {
        access::require_in_replica(ctx, conn, Need::Write, new_unit).await?;
    }
    Ok(())
}

/// Requires the request to record a pilot designation (科创中国试点) of `unit`: a
/// designation is conferred from above, so it is recorded by staff of a unit strictly above
/// `unit`, or by the city's administrators — never by the designated unit itself.
pub async fn require_designate(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    unit: Uuid,
) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if principal.role == Role::CityAdmin {
        return Ok(());
    }
    let above = matches!(principal.role, Role::UnitStaff | Role::UnitAdmin)
        && principal.unit != Some(unit)
        && access::replica_path(conn, unit)
            .await?
            .is_some_and(|path| access::covers(&principal, &path));
    if above {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "{} may not record a pilot designation of unit {unit}: designations are recorded by the staff of a unit above it",
        access::describe(&principal)
    )))
}

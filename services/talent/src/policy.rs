//! Who may read and change talent records, on top of the rules of
//! [`kexie_subgraph_kit::access`].
//!
//! **Writes.** Every record has one owning unit, and changing the record needs
//! [`Need::Write`] on it (unit staff and unit admins of an enclosing unit, the city admin);
//! leadership, partners and anonymous callers change nothing. The owning unit of an
//! existing record is the one stored in the database, read in the mutation's transaction;
//! moving a record to another unit needs `Write` on both.
//!
//! The owning unit of each record:
//! - a **worker**: the home unit, which keeps the register of its own workers;
//! - an **honor**: the honoree's home unit. Honors are entries in the worker's register,
//!   recorded by the home unit (often years later, and mostly for honors conferred outside
//!   the tree, which name no conferring unit); lists and figures count them under the home
//!   unit too. The conferring unit is a reference, not an owner;
//! - a **nomination**: the nominating unit (推荐单位), which puts the candidate forward and
//!   corrects or withdraws (archives) its nomination; the candidate may be at home anywhere;
//! - a **workstation**: the host unit it is registered with. Its resident experts are part
//!   of the workstation's record, whoever their home unit is.
//!
//! **Reviewing nominations.** The steps after submission (SHORTLISTED, AWARDED,
//! NOT_SELECTED) decide on a unit's candidate, so the nominating unit never takes them
//! itself: they need `Write` on the nominating unit from staff of a unit strictly above it
//! (举荐 puts a candidate forward to the associations above), or the city admin. An award
//! creates the honor under the same decision.
//!
//! **Reads.**
//! - The public sees honors (lists, lookups, `Unit.honors`) and, of the honored worker,
//!   `id` and `name`. Who recorded or changed a record (`createdBy`, `updatedBy`: staff
//!   members' subjects) is for staff only.
//! - Workers' other fields, and the lists and lookups of workers, need staff or a partner
//!   key with `talent:read-public`; anyone else gets `FORBIDDEN` (a `FORBIDDEN` error on
//!   the field when a worker is reached through an honor).
//! - Workers' personal data (birth year, phone, email) is null unless the principal may
//!   [`Need::ReadSubtree`] the worker's home unit: a null is the answer for everyone else,
//!   so that lists stay readable.
//! - Nominations and workstations (lists, lookups, and the fields that lead to them) are
//!   for staff only: `FORBIDDEN` otherwise.
//! - Figures (`Unit.talentFigures`, `talentFiguresByChild`) and `Target.talentActual` need
//!   `ReadSubtree` on the unit, as in every subgraph (`kexie_subgraph_kit::figures`,
//!   `kexie_subgraph_kit::target`); `talentActual` of a metric talent does not measure is
//!   null for anyone.

use async_graphql::Context;
use sqlx::PgConnection;
use uuid::Uuid;

use kexie_contract::principal::{Role, Scope};
use kexie_subgraph_kit::access::{self, Need};
use kexie_subgraph_kit::unit_tree::path_of;
use kexie_subgraph_kit::{ApiError, ApiResult};

/// Whether the request's principal may do `need` with `unit`; the unit's path comes from
/// the batch loader, and is only looked up for principals whose answer depends on it.
pub async fn allowed_on(ctx: &Context<'_>, need: Need, unit: Uuid) -> ApiResult<bool> {
    let principal = access::principal(ctx);
    match principal.role {
        Role::CityAdmin => Ok(true),
        Role::Anonymous | Role::Partner | Role::Gateway => Ok(false),
        Role::UnitStaff | Role::UnitAdmin | Role::Leadership => {
            let path = path_of(ctx, unit).await?;
            Ok(path.is_some_and(|path| access::allows(&principal, need, &path)))
        }
    }
}

/// Refuses, before anything is read, principals that write nothing at all: leadership,
/// partners and anonymous callers.
pub fn require_writer(ctx: &Context<'_>) -> ApiResult<()> {
    let principal = access::principal(ctx);
    match principal.role {
        Role::UnitStaff | Role::UnitAdmin | Role::CityAdmin => Ok(()),
        Role::Anonymous | Role::Partner | Role::Gateway | Role::Leadership => {
            Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
                "{} may not change talent records",
                "{}无权修改人才记录",
                access::describe(&principal)
            )))
        }
    }
}

/// Refuses unless the request's principal may change the records of `unit`, its path read
/// in the mutation's transaction.
pub async fn require_write(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    unit: Uuid,
) -> ApiResult<()> {
    access::require_in_replica(ctx, conn, Need::Write, unit).await
}

/// When a change moves a record from the unit `from` (whose write access the caller has
/// checked already) to the unit `to`, [`require_write`] on `to` as well.
pub async fn require_write_to(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    from: Uuid,
    to: Uuid,
) -> ApiResult<()> {
    if to != from {
        require_write(ctx, conn, to).await?;
    }
    Ok(())
}

/// Refuses unless the request's principal may review the nominations of
/// `nominating_unit`: the city admin, or staff with `Write` on it from a unit strictly
/// above it.
pub async fn require_reviewer(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    nominating_unit: Uuid,
) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if principal.role == Role::CityAdmin {
        return Ok(());
    }
    if principal.unit == Some(nominating_unit) {
        return Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
            "{} may not review the unit's own nominations; staff of a unit above it decide on them",
            "{}无权评审本组织自己的推荐：由上级组织的工作人员决定",
            access::describe(&principal)
        )));
    }
    require_write(ctx, conn, nominating_unit).await
}

/// Refuses unless the request comes from staff: nominations and workstations.
pub fn require_staff(ctx: &Context<'_>, what: &str) -> ApiResult<()> {
    access::require_staff(ctx, what)
}

/// Refuses unless the request comes from staff or from a partner key with
/// `talent:read-public`: workers' public data.
pub fn require_public_talent(ctx: &Context<'_>, what: &str) -> ApiResult<()> {
    access::require_staff_or_scope(ctx, Scope::ReadPublicTalent, what)
}

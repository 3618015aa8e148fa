//! Who may read and change advice records, on top of `kexie_subgraph_kit::access`.
//!
//! Each record is owned by one unit: a submission by its submitting unit, a campaign by its
//! organizing unit, a research topic by its lead unit. Staff (`unit_staff`, `unit_admin`,
//! `city_admin`) write the records owned by the units of their subtree; the owner of an
//! existing record is the one stored, and moving a record to another unit needs both.
//!
//! A submission's review — every step past SUBMITTED: review, refinement, forwarding, the
//! leader's instruction, adoption, return and closing — belongs to the association above
//! the submitting unit: staff of a unit strictly above it, or the city's administrators.
//! Staff cannot review, let alone adopt, their own unit's proposal.
//!
//! Partner keys with `advice:submit` create submissions (for any submitting unit) and
//! change and submit (DRAFT → SUBMITTED, RETURNED → SUBMITTED) the submissions they created;
//! nothing else. Leadership and the public write nothing.
//!
//! Reads are for staff; a key with `advice:submit` reads the submissions it created.

use async_graphql::Context;
use sqlx::PgConnection;
use uuid::Uuid;

use kexie_contract::principal::{Principal, Role, Scope};
use kexie_subgraph_kit::access::{self, Need};
use kexie_subgraph_kit::{ApiError, ApiResult};

use crate::db::submissions::SubmissionRow;
use crate::domain::SubmissionStatus;

/// Refuses unless the request comes from staff: campaigns and research topics are theirs
/// to read.
pub fn require_reader(ctx: &Context<'_>, what: &str) -> ApiResult<()> {
    access::require_staff(ctx, what)
}

/// Whose submissions the request may read: `None` for staff (everyone's), the subject of a
/// key with `advice:submit` (its own); anyone else is refused.
pub fn submission_reader(ctx: &Context<'_>) -> ApiResult<Option<String>> {
    access::require_staff_or_scope(ctx, Scope::SubmitAdvice, "Submissions")?;
    let principal = access::principal(ctx);
    Ok((!access::is_staff(&principal)).then_some(principal.subject))
}

/// Whether `principal` is a partner key that submits advice.
fn submits_advice(principal: &Principal) -> bool {
    principal.has_scope(Scope::SubmitAdvice)
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

/// Requires the request to create a submission for `unit`.
pub async fn require_submission_create(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    unit: Uuid,
) -> ApiResult<()> {
    if submits_advice(&access::principal(ctx)) {
        return Ok(());
    }
    require_write(ctx, conn, unit, None).await
}

/// Requires the request to change `current` as its authors' side does (edit it, submit
/// it), moving it to `new_unit` if given.
pub async fn require_submission_edit(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    current: &SubmissionRow,
    new_unit: Option<Uuid>,
) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if submits_advice(&principal) {
        if current.audit.created_by == principal.subject {
            return Ok(());
        }
        return Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
            "{} may only change the submissions it created",
            "{}只能修改自己创建的建言",
            access::describe(&principal)
        )));
    }
    require_write(ctx, conn, current.submitting_unit_id, new_unit).await
}

/// Requires the request to move `current` to `to`: submitting is the authors' side's step,
/// every other is the review of a unit above the submitting unit.
pub async fn require_submission_step(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    current: &SubmissionRow,
    to: SubmissionStatus,
) -> ApiResult<()> {
    if to == SubmissionStatus::Submitted {
        return require_submission_edit(ctx, conn, current, None).await;
    }
    let principal = access::principal(ctx);
    if principal.role == Role::CityAdmin {
        return Ok(());
    }
    let unit = current.submitting_unit_id;
    let reviews = matches!(principal.role, Role::UnitStaff | Role::UnitAdmin)
        && principal.unit != Some(unit)
        && access::replica_path(conn, unit)
            .await?
            .is_some_and(|path| access::covers(&principal, &path));
    if reviews {
        return Ok(());
    }
    Err(ApiError::Forbidden(kexie_subgraph_kit::text!("{} may not move a submission of unit {unit} to {}: its review is for the staff of a unit above it", "{}无权将组织 {unit} 的建言改为 {}：审核由上级组织的工作人员进行",
        access::describe(&principal),
        to.as_str()
    )))
}

//! Who may read and change the records of organizations, on top of the rules of
//! [`kexie_subgraph_kit::access`].
//!
//! **Writes.** A unit, its leadership roles and its terms are administered
//! ([`Need::Administer`]) by the unit admins of the unit or of a unit above it, and by the
//! city admin; the unit is read inside the mutation's transaction, which then holds it
//! where it is. Moving, merging or dissolving a unit is for the level above: an admin never
//! reorganizes the unit it administers itself. A new unit needs `Administer` on its
//! parent, and only a city admin creates the city association at the root. A unit's targets
//! are set by the level above (`Administer` on the parent; the city's own by city admins).
//! Partner bureaus' API keys are managed by city admins only.
//!
//! **Reads.** The unit directory, leadership roles and terms are public. Targets and
//! figures are subtree-only data ([`Need::ReadSubtree`]): the staff of the unit and of the
//! units above it, and the city admin. Listing targets without naming a unit shows city
//! admins every target and other staff those of their own unit's subtree. API keys and the
//! log of partner calls are for city admins only.

use async_graphql::Context;
use sqlx::PgConnection;
use uuid::Uuid;

use kexie_contract::principal::Role;
use kexie_subgraph_kit::access::{self, Need};
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::{ApiError, ApiResult};

use crate::db;
use crate::db::units::{Placement, UnitRow};
use crate::domain::UnitStatus;

/// Refuses unless the principal may administer `unit_id`: read inside the mutation's
/// transaction, which then holds the unit where it is (see [`db::units::placement`]). An
/// unknown unit is `FORBIDDEN`, or `NOT_FOUND` for a city admin.
pub async fn require_administer(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    unit_id: Uuid,
) -> ApiResult<Placement> {
    let placement = db::units::placement(conn, unit_id).await?;
    access::require(
        ctx,
        Need::Administer,
        unit_id,
        placement.as_ref().map(|placement| placement.path.as_str()),
    )?;
    placement.ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

/// Refuses unless the principal may administer the unit `unit_id`, read by the caller under
/// the tree lock (`None`: there is no such unit, which only a city admin gets past, to meet
/// the caller's own `NOT_FOUND`).
pub fn require_administer_found(
    ctx: &Context<'_>,
    unit_id: Uuid,
    unit: Option<&UnitRow>,
) -> ApiResult<()> {
    access::require(
        ctx,
        Need::Administer,
        unit_id,
        unit.map(|unit| unit.path.as_str()),
    )
}

/// An administrator does not move, merge or dissolve the unit it administers itself: that
/// is for the level above (a city admin may).
pub fn require_not_own_unit(ctx: &Context<'_>, unit: &UnitRow) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if principal.role != Role::CityAdmin && principal.unit == Some(unit.unit_id) {
        return Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
            "{} may not move, merge or dissolve its own unit; the level above does",
            "{}无权调整、合并或撤销本组织：由上一级进行",
            access::describe(&principal)
        )));
    }
    Ok(())
}

/// Only a city admin creates a unit at the root: the city association.
pub fn require_root_creator(ctx: &Context<'_>) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if principal.role != Role::CityAdmin {
        return Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
            "{} may not create a unit at the root; only a city admin creates the city association",
            "{}无权创建根组织：只有市级管理员能创建市科协",
            access::describe(&principal)
        )));
    }
    Ok(())
}

/// Refuses unless the principal may administer the parent of `unit_id`: a unit's targets
/// are set by the level above. The city's own targets are for city admins. Read like
/// [`require_administer`], and like it `NOT_FOUND` only for a city admin.
pub async fn require_administer_parent(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    unit_id: Uuid,
) -> ApiResult<Placement> {
    let placement = db::units::placement(conn, unit_id).await?;
    match &placement {
        Some(Placement {
            parent_id: Some(parent_id),
            parent_path: Some(parent_path),
            ..
        }) => access::require(ctx, Need::Administer, *parent_id, Some(parent_path))?,
        _ => access::require(ctx, Need::Administer, unit_id, None)?,
    }
    placement.ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

/// Refuses unless the principal may write the records of `unit_id` (party building, media
/// reports): staff of the unit or of a unit above it. Read like [`require_administer`].
/// When the write places a record there (`placed`: the input field naming the unit), a
/// merged or dissolved unit is refused with `VALIDATION`.
pub async fn require_record_write(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    unit_id: Uuid,
    placed: Option<&str>,
) -> ApiResult<()> {
    let placement = db::units::placement(conn, unit_id).await?;
    access::require(
        ctx,
        Need::Write,
        unit_id,
        placement.as_ref().map(|placement| placement.path.as_str()),
    )?;
    match (placement, placed) {
        (None, _) => Err(ApiError::not_found("Unit", unit_id)),
        (Some(placement), Some(field)) if placement.status != UnitStatus::Active => {
            Err(ApiError::validation(
                field,
                kexie_subgraph_kit::text!(
                    "unit {unit_id} is {} and takes no new records",
                    "组织 {unit_id} 的状态为 {}，不再接受新记录",
                    placement.status.as_str()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Refuses unless the principal may read the subtree-only data of `unit` (its targets and
/// figures).
pub fn require_read_subtree(ctx: &Context<'_>, unit: &UnitRow) -> ApiResult<()> {
    access::require(ctx, Need::ReadSubtree, unit.unit_id, Some(&unit.path))
}

/// [`require_read_subtree`] for a unit known by ID (loaded through the batch loader).
pub async fn require_read_subtree_of(ctx: &Context<'_>, unit_id: Uuid) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if principal.role == Role::CityAdmin {
        return Ok(());
    }
    if !access::is_staff(&principal) {
        return Err(access::forbidden(&principal, Need::ReadSubtree, unit_id));
    }
    let unit = load_by_id::<UnitRow>(ctx, unit_id).await?;
    access::require(
        ctx,
        Need::ReadSubtree,
        unit_id,
        unit.as_ref().map(|unit| unit.path.as_str()),
    )
}

/// Whose targets a list that names no unit shows: every target for a city admin (`None`),
/// the targets of the subtree of their own unit for other staff; anyone else is refused.
pub fn targets_reach(ctx: &Context<'_>) -> ApiResult<Option<Uuid>> {
    let principal = access::principal(ctx);
    if principal.role == Role::CityAdmin {
        return Ok(None);
    }
    principal
        .unit
        .filter(|_| access::is_staff(&principal))
        .map(Some)
        .ok_or_else(|| {
            ApiError::Forbidden(kexie_subgraph_kit::text!("targets are visible to the staff of the units they belong to and above; {} may not read them", "目标任务仅对所属组织及其上级的工作人员可见；{}无权查看",
                access::describe(&principal)
            ))
        })
}

/// Refuses everyone but the city association's administrators.
pub fn require_city_admin(ctx: &Context<'_>, what: &str) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if principal.role == Role::CityAdmin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
            "{what} is for the city association's administrators only; {} may not",
            "{what}仅限市科协管理员；{}无权操作",
            access::describe(&principal)
        )))
    }
}

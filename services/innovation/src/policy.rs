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
//!
//! Innovation events (创新活动) follow popularization's co-organized activities: a key with
//! `innovation-events:co-organize` (科技局, 工信局 co-running 科创会·市州行) sees, plans,
//! changes and moves along the events its bureau co-organizes, keeping its bureau among the
//! co-organizers and the organizer as is; it never archives one. Staff write the events of
//! the units of their subtree.

use async_graphql::Context;
use sqlx::PgConnection;
use uuid::Uuid;

use kexie_contract::principal::{Principal, Role, Scope};
use kexie_subgraph_kit::access::{self, Need};
use kexie_subgraph_kit::bureau::PartnerBureau;
use kexie_subgraph_kit::{ApiError, ApiResult};

use crate::db::events::EventRow;

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
    Err(ApiError::Forbidden(kexie_subgraph_kit::text!("{} may not record a pilot designation of unit {unit}: designations are recorded by the staff of a unit above it", "{}无权为组织 {unit} 登记试点称号：称号由上级组织的工作人员登记",
        access::describe(&principal)
    )))
}

/// Which innovation events the request sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventReach {
    /// Every event: staff and keys with `innovation:read`.
    All,
    /// The events naming the bureau among their co-organizers.
    CoOrganizedBy(PartnerBureau),
}

impl EventReach {
    pub fn shows(self, event: &EventRow) -> bool {
        match self {
            EventReach::All => true,
            EventReach::CoOrganizedBy(bureau) => event.bureaus().contains(&bureau),
        }
    }
}

/// The bureau a partner key co-organizes innovation events for, if it may.
fn co_organizing_bureau(principal: &Principal) -> Option<PartnerBureau> {
    if principal.has_scope(Scope::CoOrganizeInnovationEvents) {
        principal.bureau.as_deref().and_then(PartnerBureau::parse)
    } else {
        None
    }
}

/// Which events the request sees; `FORBIDDEN` for those who see none.
pub fn event_reach(ctx: &Context<'_>) -> ApiResult<EventReach> {
    let principal = access::principal(ctx);
    if access::is_staff(&principal) || principal.has_scope(Scope::ReadInnovation) {
        return Ok(EventReach::All);
    }
    if let Some(bureau) = co_organizing_bureau(&principal) {
        return Ok(EventReach::CoOrganizedBy(bureau));
    }
    Err(ApiError::Forbidden(kexie_subgraph_kit::text!("Innovation events are visible to staff and to partner keys with the scope `{}` or `{}`; {} may not read them", "创新活动仅对工作人员和具有 `{}` 或 `{}` 权限的合作部门密钥可见；{}无权查看",
        Scope::ReadInnovation,
        Scope::CoOrganizeInnovationEvents,
        access::describe(&principal)
    )))
}

/// What a mutation does to an event, as far as who may do it goes.
pub enum EventWrite<'a> {
    /// Plans one organized by `organizer` with `bureaus`.
    Create {
        organizer: Uuid,
        bureaus: &'a [PartnerBureau],
    },
    /// Changes `current` to be organized by `organizer`, with `bureaus` when they change.
    Update {
        current: &'a EventRow,
        organizer: Uuid,
        bureaus: Option<&'a [PartnerBureau]>,
    },
    /// Moves `current` along its workflow, or records its attendance.
    Transition { current: &'a EventRow },
    /// Archives `current`.
    Archive { current: &'a EventRow },
}

/// Requires the request to make `write`.
pub async fn require_event_write(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    write: EventWrite<'_>,
) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if let Some(bureau) = co_organizing_bureau(&principal) {
        return co_organizer_may(&principal, bureau, &write);
    }
    let (organizer, new_organizer) = match write {
        EventWrite::Create { organizer, .. } => (organizer, None),
        EventWrite::Update {
            current, organizer, ..
        } => (current.unit_id, Some(organizer)),
        EventWrite::Transition { current } | EventWrite::Archive { current } => {
            (current.unit_id, None)
        }
    };
    require_write(ctx, conn, organizer, new_organizer).await
}

/// What a co-organizing partner key may do: plan, change and move along the events its
/// bureau co-organizes, keeping its bureau among the co-organizers and the organizer as is.
fn co_organizer_may(
    principal: &Principal,
    bureau: PartnerBureau,
    write: &EventWrite<'_>,
) -> ApiResult<()> {
    let refuse = |why: String| {
        Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
            "{} may not {why}",
            "{}无权{why}",
            access::describe(principal)
        )))
    };
    let names = |bureaus: &[PartnerBureau]| bureaus.contains(&bureau);
    match write {
        EventWrite::Create { bureaus, .. } if !names(bureaus) => refuse(format!(
            "plan an event that {} does not co-organize (name it in partnerBureaus)",
            bureau.as_str()
        )),
        EventWrite::Create { .. } => Ok(()),
        EventWrite::Update { current, .. } | EventWrite::Transition { current }
            if !names(&current.bureaus()) =>
        {
            refuse(format!(
                "change event {}, which {} does not co-organize",
                current.innovation_event_id,
                bureau.as_str()
            ))
        }
        EventWrite::Update {
            current, organizer, ..
        } if *organizer != current.unit_id => refuse(format!(
            "move event {} to another organizer",
            current.innovation_event_id
        )),
        EventWrite::Update {
            bureaus: Some(bureaus),
            ..
        } if !names(bureaus) => refuse(format!(
            "remove {} from the co-organizers of an event",
            bureau.as_str()
        )),
        EventWrite::Update { .. } | EventWrite::Transition { .. } => Ok(()),
        EventWrite::Archive { current } => refuse(format!(
            "archive event {}; its organizer's staff do",
            current.innovation_event_id
        )),
    }
}

//! Who sees and changes which venues and activities, on top of `kexie_subgraph_kit::access`.
//!
//! Reads: the public sees live OPEN venues and live HELD activities; staff, and partner keys
//! with `venues-activities:read`, see everything; a key with `activities:co-organize` sees
//! the public's view and every activity its bureau co-organizes.
//!
//! Writes: staff write the venues and activities of the units of their subtree (the owner
//! of a venue, the organizer of an activity; moving a record to another unit needs both).
//! A key with `activities:co-organize` plans activities its bureau co-organizes, and
//! changes and moves along their workflow those activities only; it never archives one,
//! never moves one to another organizer and never touches venues.

use async_graphql::Context;
use sqlx::PgConnection;
use uuid::Uuid;

use kexie_contract::principal::{Principal, Scope};
use kexie_subgraph_kit::access::{self, Need};
use kexie_subgraph_kit::{ApiError, ApiResult};

use crate::db::activities::{ActivityReach, ActivityRow};
use crate::db::venues::VenueRow;
use crate::domain::PartnerBureau;

/// Whether the request's principal sees every venue and activity, whatever its status.
fn sees_everything(principal: &Principal) -> bool {
    access::is_staff(principal) || principal.has_scope(Scope::ReadVenuesAndActivities)
}

/// The bureau a partner key co-organizes activities for, if it may.
fn co_organizing_bureau(principal: &Principal) -> Option<PartnerBureau> {
    if principal.has_scope(Scope::CoOrganizeActivities) {
        principal.bureau.as_deref().and_then(PartnerBureau::parse)
    } else {
        None
    }
}

/// Whether the request only sees what the public sees of venues: live OPEN ones.
pub fn venues_public_only(ctx: &Context<'_>) -> bool {
    !sees_everything(&access::principal(ctx))
}

/// Which activities the request sees.
pub fn activity_reach(ctx: &Context<'_>) -> ActivityReach {
    let principal = access::principal(ctx);
    if sees_everything(&principal) {
        ActivityReach::All
    } else if let Some(bureau) = co_organizing_bureau(&principal) {
        ActivityReach::HeldOrCoOrganizedBy(bureau)
    } else {
        ActivityReach::Held
    }
}

/// `venue` if the request may see it.
pub fn visible_venue(ctx: &Context<'_>, venue: Option<VenueRow>) -> Option<VenueRow> {
    let public_only = venues_public_only(ctx);
    venue.filter(|venue| {
        !public_only
            || (venue.status == crate::domain::VenueStatus::Open
                && venue.audit.archived_at.is_none())
    })
}

/// `activity` if the request may see it.
pub fn visible_activity(ctx: &Context<'_>, activity: Option<ActivityRow>) -> Option<ActivityRow> {
    let reach = activity_reach(ctx);
    activity.filter(|activity| {
        reach == ActivityReach::All
            || (activity.audit.archived_at.is_none() && reach.shows(activity))
    })
}

/// Requires the request to change the venues of `owner` (and of `new_owner`, when the venue
/// moves there).
pub async fn require_venue_write(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    owner: Uuid,
    new_owner: Option<Uuid>,
) -> ApiResult<()> {
    access::require_in_replica(ctx, conn, Need::Write, owner).await?;
    if let Some(new_owner) = new_owner.filter(|new_owner| *new_owner != owner) {
        access::require_in_replica(ctx, conn, Need::Write, new_owner).await?;
    }
    Ok(())
}

/// What a mutation does to an activity, as far as who may do it goes.
pub enum ActivityWrite<'a> {
    /// Plans one organized by `organizer` with `bureaus`.
    Create {
        organizer: Uuid,
        bureaus: &'a [PartnerBureau],
    },
    /// Changes `current` to be organized by `organizer` with `bureaus`.
    Update {
        current: &'a ActivityRow,
        organizer: Uuid,
        bureaus: &'a [PartnerBureau],
    },
    /// Moves `current` along its workflow.
    Transition { current: &'a ActivityRow },
    /// Archives `current`.
    Archive { current: &'a ActivityRow },
}

/// Requires the request to make `write`.
pub async fn require_activity_write(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    write: ActivityWrite<'_>,
) -> ApiResult<()> {
    let principal = access::principal(ctx);
    if let Some(bureau) = co_organizing_bureau(&principal) {
        return partner_may(&principal, bureau, &write);
    }
    let (organizer, new_organizer) = match write {
        ActivityWrite::Create { organizer, .. } => (organizer, None),
        ActivityWrite::Update {
            current, organizer, ..
        } => (current.organizer_unit_id, Some(organizer)),
        ActivityWrite::Transition { current } | ActivityWrite::Archive { current } => {
            (current.organizer_unit_id, None)
        }
    };
    access::require_in_replica(ctx, conn, Need::Write, organizer).await?;
    if let Some(new_organizer) = new_organizer.filter(|new| *new != organizer) {
        access::require_in_replica(ctx, conn, Need::Write, new_organizer).await?;
    }
    Ok(())
}

/// What a co-organizing partner key may do: plan, change and move along the activities its
/// bureau co-organizes, keeping its bureau among the co-organizers and the organizer as is.
fn partner_may(
    principal: &Principal,
    bureau: PartnerBureau,
    write: &ActivityWrite<'_>,
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
        ActivityWrite::Create { bureaus, .. } if !names(bureaus) => refuse(format!(
            "plan an activity that {} does not co-organize (name it in partnerBureaus)",
            bureau.as_str()
        )),
        ActivityWrite::Create { .. } => Ok(()),
        ActivityWrite::Update { current, .. } | ActivityWrite::Transition { current }
            if !names(&current.partner_bureaus.0) =>
        {
            refuse(format!(
                "change activity {}, which {} does not co-organize",
                current.activity_id,
                bureau.as_str()
            ))
        }
        ActivityWrite::Update {
            current, organizer, ..
        } if *organizer != current.organizer_unit_id => refuse(format!(
            "move activity {} to another organizer",
            current.activity_id
        )),
        ActivityWrite::Update { bureaus, .. } if !names(bureaus) => refuse(format!(
            "remove {} from the co-organizers of an activity",
            bureau.as_str()
        )),
        ActivityWrite::Update { .. } | ActivityWrite::Transition { .. } => Ok(()),
        ActivityWrite::Archive { current } => refuse(format!(
            "archive activity {}; its organizer's staff do",
            current.activity_id
        )),
    }
}

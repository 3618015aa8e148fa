//! 科普阵地: venues, their workflow (PLANNED → UNDER_CONSTRUCTION → OPEN → CLOSED) and their
//! activities.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use kexie_subgraph_kit::access;
use kexie_subgraph_kit::history;
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, ListPage, RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::activities::{venue_activities, ActivityFilterInput};
use super::entities::Unit;
use super::{load_venue, pool, StaffAudit};
use crate::db;
use crate::db::activities::ActivityRow;
use crate::db::venues::{VenueFilter, VenueRow};
use crate::domain::venue::{VenueFields, MAX_NAME};
use crate::domain::{local_today, VenueKind, VenueStatus};
use crate::policy;
use kexie_subgraph_kit::history::StatusChange;

const MAX_NOTE: usize = 500;

#[Object(name = "Venue")]
impl VenueRow {
    async fn id(&self) -> ID {
        ID(self.venue_id.to_string())
    }
    async fn name(&self) -> &str {
        &self.name
    }
    async fn kind(&self) -> VenueKind {
        self.kind
    }
    async fn status(&self) -> VenueStatus {
        self.status
    }
    /// The statuses `transitionVenue` accepts from here (the workflow; whether the viewer may take the step is
    /// `viewer.may(need: WRITE, unitId: …)` on the owning unit).
    async fn allowed_transitions(&self) -> Vec<VenueStatus> {
        VenueStatus::ALL
            .iter()
            .copied()
            .filter(|to| self.status.can_become(*to))
            .collect()
    }
    /// The unit that owns and runs it.
    async fn owner(&self) -> Unit {
        Unit {
            id: self.owner_unit_id,
        }
    }
    /// 共建单位: who built or runs it with the owner ("与图书馆共同建设").
    async fn co_builders(&self) -> Vec<String> {
        self.co_builders.clone()
    }
    async fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }
    /// Degrees east; with `latitude`, or absent together.
    async fn longitude(&self) -> Option<f64> {
        self.longitude
    }
    /// Degrees north.
    async fn latitude(&self) -> Option<f64> {
        self.latitude
    }
    /// Floor area in square metres.
    async fn floor_area(&self) -> Option<f64> {
        self.floor_area
    }
    /// The day it opened; set when it becomes OPEN.
    async fn opened_on(&self) -> Option<NaiveDate> {
        self.opened_on
    }
    /// Visitors a year (for an online venue, its yearly audience).
    async fn yearly_visitors(&self) -> Option<i32> {
        self.yearly_visitors
    }
    /// Activities held here, newest first; what the request may see of them, as in
    /// `Query.activities`.
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilterInput>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ActivityRow>> {
        venue_activities(ctx, self.venue_id, filter, (first, after), (last, before)).await
    }
    /// Every status change, oldest first, with who, when and why; for staff only (it names
    /// staff members).
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        access::require_staff(ctx, "The history of a venue")?;
        history::of(ctx, self.venue_id).await
    }
    #[graphql(flatten)]
    async fn audit(&self) -> StaffAudit<'_> {
        StaffAudit {
            audit: &self.audit,
            record: "a venue",
        }
    }
    /// When it was archived; archived venues are left out of lists.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.audit.archived_at
    }
}

/// Which venues to list.
#[derive(InputObject, Default)]
#[graphql(name = "VenueFilter")]
pub struct VenueFilterInput {
    /// The owning unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: the venues of every unit in its subtree.
    pub include_subtree: Option<bool>,
    pub kinds: Option<Vec<VenueKind>>,
    pub statuses: Option<Vec<VenueStatus>>,
    /// Part of the name, any case.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: venues written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `venues` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "VenueOrderField")]
pub enum VenueOrderField {
    /// 名称
    Name,
    /// 类型
    Kind,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for VenueOrderField {
    fn column(self) -> SortColumn {
        match self {
            VenueOrderField::Name => SortColumn::text("name"),
            VenueOrderField::Kind => SortColumn::code("kind"),
            VenueOrderField::Status => SortColumn::code("status"),
            VenueOrderField::UpdatedAt => SortColumn::time("updated_at"),
            VenueOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(VenueOrder, "VenueOrder", VenueOrderField);

impl VenueFilterInput {
    /// The filter as the request may apply it: for the public, open venues only and never
    /// archived ones.
    pub(super) fn parse(self, ctx: &Context<'_>) -> ApiResult<VenueFilter> {
        let public_only = policy::venues_public_only(ctx);
        Ok(VenueFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            kinds: self.kinds,
            statuses: self.statuses,
            search: validate::optional_text("filter.search", self.search.as_deref(), MAX_NAME)?,
            include_archived: self.include_archived.unwrap_or(false) && !public_only,
            open_only: public_only,
        })
    }
}

#[derive(Default)]
pub struct VenueQuery;

#[Object]
impl VenueQuery {
    /// A venue by ID (archived ones included); null when there is none. The public sees
    /// only live OPEN venues (null for any other); staff, and partner keys with
    /// `venues-activities:read`, see every venue.
    async fn venue(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<VenueRow>> {
        load_venue(ctx, parse_id("id", &id)?).await
    }

    /// Venues, newest first. The public's list holds only OPEN venues, never archived ones
    /// (other statuses are left out silently); staff, and partner keys with
    /// `venues-activities:read`, list every venue.
    #[allow(clippy::too_many_arguments)]
    async fn venues(
        &self,
        ctx: &Context<'_>,
        filter: Option<VenueFilterInput>,
        order_by: Option<VenueOrder>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<VenueRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::venues::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::venues::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }

    #[graphql(entity)]
    async fn find_venue_by_id(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<VenueRow>> {
        load_venue(ctx, parse_id("id", &id)?).await
    }
}

/// A new venue.
#[derive(InputObject)]
pub struct CreateVenueInput {
    /// The unit that owns and runs it: an active unit.
    pub owner_id: ID,
    pub name: String,
    pub kind: VenueKind,
    /// PLANNED unless given; an existing venue may be registered as UNDER_CONSTRUCTION or
    /// OPEN, never as CLOSED.
    pub status: Option<VenueStatus>,
    pub co_builders: Option<Vec<String>>,
    pub address: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub floor_area: Option<f64>,
    /// Only for an OPEN venue; today (China Standard Time) when left out.
    pub opened_on: Option<NaiveDate>,
    pub yearly_visitors: Option<i32>,
    /// A retried create with the same key returns the first venue and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a venue; absent fields stay as they are, null clears an optional one. The
/// status changes only through `transitionVenue`.
#[derive(InputObject, Default)]
pub struct UpdateVenueInput {
    pub owner_id: Option<ID>,
    pub name: Option<String>,
    pub kind: Option<VenueKind>,
    /// Replaces the whole list.
    pub co_builders: Option<Vec<String>>,
    pub address: MaybeUndefined<String>,
    pub longitude: MaybeUndefined<f64>,
    pub latitude: MaybeUndefined<f64>,
    pub floor_area: MaybeUndefined<f64>,
    /// Only an open or closed venue has one.
    pub opened_on: MaybeUndefined<NaiveDate>,
    pub yearly_visitors: MaybeUndefined<i32>,
}

/// Reads the venue a mutation changes, checking it is live, that the request may change
/// the venues of its owner (and of `new_owner`, when it moves there) and the client's
/// version.
async fn venue_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    venue_id: Uuid,
    expected_version: i32,
    new_owner: Option<Uuid>,
) -> ApiResult<VenueRow> {
    let venue = db::venues::get_for_update(conn, venue_id)
        .await?
        .filter(|venue| venue.audit.archived_at.is_none())
        .ok_or_else(|| ApiError::not_found("Venue", venue_id))?;
    policy::require_venue_write(ctx, conn, venue.owner_unit_id, new_owner).await?;
    validate::expected_version("Venue", venue_id, expected_version, venue.audit.version)?;
    Ok(venue)
}

#[derive(Default)]
pub struct VenueMutation;

#[Object]
impl VenueMutation {
    /// Registers a venue: a plan, a venue being built, or one already open. Staff register
    /// venues for the units of their subtree (`FORBIDDEN` otherwise); leadership, partner
    /// keys and the public may not.
    async fn create_venue(
        &self,
        ctx: &Context<'_>,
        input: CreateVenueInput,
    ) -> ApiResult<VenueRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let owner_id = parse_id("ownerId", &input.owner_id)?;
        let status = input.status.unwrap_or(VenueStatus::Planned);
        status.check_initial()?;
        let opened_on = match status {
            VenueStatus::Open => Some(input.opened_on.unwrap_or_else(local_today)),
            _ => input.opened_on,
        };
        // Copied, not moved: the idempotency claim fingerprints the input as sent.
        let fields = VenueFields {
            name: input.name.clone(),
            kind: input.kind,
            co_builders: input.co_builders.clone().unwrap_or_default(),
            address: input.address.clone(),
            longitude: input.longitude,
            latitude: input.latitude,
            floor_area: input.floor_area,
            opened_on,
            yearly_visitors: input.yearly_visitors,
        }
        .checked(status, local_today())?;
        let venue_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_venue_write(ctx, &mut tx, owner_id, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createVenue",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            venue_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::venues::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Venue", existing));
        }
        require_active_unit(pool, "ownerId", owner_id).await?;
        let venue =
            db::venues::insert(&mut tx, venue_id, owner_id, status, &fields, &actor.subject)
                .await?;
        history::record(&mut tx, venue_id, None, status.as_str(), &actor, None).await?;
        tx.commit().await?;
        Ok(venue)
    }

    /// Changes a venue. Staff change the venues of the units of their subtree; moving one to
    /// another owner needs both units in it (`FORBIDDEN` otherwise).
    async fn update_venue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateVenueInput,
    ) -> ApiResult<VenueRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let venue_id = parse_id("id", &id)?;
        let owner_id = parse_optional_id("ownerId", input.owner_id.as_ref())?;
        let mut tx = pool.begin().await?;
        let current = venue_for_change(ctx, &mut tx, venue_id, expected_version, owner_id).await?;
        let was = current.fields();
        let fields = VenueFields {
            name: input.name.unwrap_or(was.name),
            kind: input.kind.unwrap_or(was.kind),
            co_builders: input.co_builders.unwrap_or(was.co_builders),
            address: validate::patch(input.address, was.address),
            longitude: validate::patch(input.longitude, was.longitude),
            latitude: validate::patch(input.latitude, was.latitude),
            floor_area: validate::patch(input.floor_area, was.floor_area),
            opened_on: validate::patch(input.opened_on, was.opened_on),
            yearly_visitors: validate::patch(input.yearly_visitors, was.yearly_visitors),
        }
        .checked(current.status, local_today())?;
        let owner_id = match owner_id {
            Some(owner_id) if owner_id != current.owner_unit_id => {
                require_active_unit(pool, "ownerId", owner_id).await?;
                owner_id
            }
            _ => current.owner_unit_id,
        };
        let venue =
            db::venues::update(&mut tx, venue_id, owner_id, &fields, &actor.subject).await?;
        tx.commit().await?;
        Ok(venue)
    }

    /// Moves a venue along its workflow: PLANNED → UNDER_CONSTRUCTION → OPEN → CLOSED, or
    /// PLANNED → CLOSED for a plan given up. Becoming OPEN sets `openedOn` (today, China
    /// Standard Time, unless given). Each step is kept in the venue's history. Staff move
    /// the venues of the units of their subtree (`FORBIDDEN` otherwise).
    async fn transition_venue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: VenueStatus,
        note: Option<String>,
        opened_on: Option<NaiveDate>,
    ) -> ApiResult<VenueRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let venue_id = parse_id("id", &id)?;
        let note = validate::optional_text("note", note.as_deref(), MAX_NOTE)?;
        let mut tx = pool.begin().await?;
        let current = venue_for_change(ctx, &mut tx, venue_id, expected_version, None).await?;
        current.status.check_transition(to)?;
        let opened_on = match (to, opened_on) {
            (VenueStatus::Open, given) => Some(given.unwrap_or_else(local_today)),
            (_, Some(_)) => {
                return Err(ApiError::validation(
                    "openedOn",
                    kexie_subgraph_kit::text!(
                        "only a venue becoming OPEN takes an opening date",
                        "只有改为 OPEN（开放）的场馆才填写开放日期"
                    ),
                ))
            }
            (_, None) => current.opened_on,
        };
        // The same checks as any write, for the opening date it now has.
        let fields = VenueFields {
            opened_on,
            ..current.fields()
        }
        .checked(to, local_today())?;
        let venue =
            db::venues::set_status(&mut tx, venue_id, to, fields.opened_on, &actor.subject).await?;
        history::record(
            &mut tx,
            venue_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(venue)
    }

    /// Archives a venue: it leaves the lists; its activities keep pointing at it. Staff
    /// archive the venues of the units of their subtree (`FORBIDDEN` otherwise).
    async fn archive_venue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<VenueRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let venue_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        venue_for_change(ctx, &mut tx, venue_id, expected_version, None).await?;
        let venue = db::venues::archive(&mut tx, venue_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(venue)
    }
}

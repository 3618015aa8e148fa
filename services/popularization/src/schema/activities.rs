//! 科普活动: popularization activities, their workflow (PLANNED → HELD or CANCELLED) and the
//! partner bureaus co-organizing them.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use kexie_subgraph_kit::access;
use kexie_subgraph_kit::history;
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, per_unit_page, refuse_sync_below, ListPage, PageArgs, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::Unit;
use super::{load_activity, load_venue, pool, ActivitiesOfVenue, StaffAudit};
use crate::db;
use crate::db::activities::{ActivityFilter, ActivityReach, ActivityRow};
use crate::db::venues::VenueRow;
use crate::domain::activity::{check_held_by, ActivityFields, MAX_TITLE};
use crate::domain::{
    local_today, ActivityKind, ActivityMode, ActivityStatus, ActivityTopic, Audience,
    PartnerBureau, VenueStatus,
};
use crate::policy::{self, ActivityWrite};
use kexie_subgraph_kit::history::StatusChange;

const MAX_NOTE: usize = 500;

#[Object(name = "Activity")]
impl ActivityRow {
    async fn id(&self) -> ID {
        ID(self.activity_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    async fn kind(&self) -> ActivityKind {
        self.kind
    }
    async fn status(&self) -> ActivityStatus {
        self.status
    }
    /// The statuses `transitionActivity` accepts from here (the workflow; whether the viewer may take the step is
    /// `viewer.may(need: WRITE, unitId: …)` on the owning unit).
    async fn allowed_transitions(&self) -> Vec<ActivityStatus> {
        ActivityStatus::ALL
            .iter()
            .copied()
            .filter(|to| self.status.can_become(*to))
            .collect()
    }
    /// The organizing unit (主办单位).
    async fn organizer(&self) -> Unit {
        Unit {
            id: self.organizer_unit_id,
        }
    }
    /// The bureaus co-organizing it (联合主办); empty when the association organized it
    /// alone.
    async fn partner_bureaus(&self) -> Vec<PartnerBureau> {
        self.partner_bureaus.0.clone()
    }
    /// Whether partner bureaus co-organize it.
    async fn co_organized(&self) -> bool {
        !self.partner_bureaus.0.is_empty()
    }
    /// Where it takes place, when at a venue; null for the public unless the venue is OPEN.
    async fn venue(&self, ctx: &Context<'_>) -> ApiResult<Option<VenueRow>> {
        match self.venue_id {
            Some(venue_id) => load_venue(ctx, venue_id).await,
            None => Ok(None),
        }
    }
    async fn starts_on(&self) -> NaiveDate {
        self.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.ends_on
    }
    /// Whom it is for: one or more of the five key audiences (五大人群) or the general
    /// public.
    async fn audiences(&self) -> Vec<Audience> {
        self.audiences.0.clone()
    }
    /// What it is about (科普主题: 防灾减灾, 食品安全 …); empty when no theme is recorded.
    async fn topics(&self) -> Vec<ActivityTopic> {
        self.topics.0.clone()
    }
    /// People taking part: expected while planned, the final count once held.
    async fn participants(&self) -> i32 {
        self.participants
    }
    /// Viewers, listeners or readers reached online.
    async fn online_reach(&self) -> i32 {
        self.online_reach
    }
    async fn mode(&self) -> ActivityMode {
        self.mode
    }
    /// Every status change, oldest first, with who, when and why; for staff only (it names
    /// staff members).
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        access::require_staff(ctx, "The history of an activity")?;
        history::of(ctx, self.activity_id).await
    }
    #[graphql(flatten)]
    async fn audit(&self) -> StaffAudit<'_> {
        StaffAudit {
            audit: &self.audit,
            record: "an activity",
        }
    }
    /// When it was archived; archived activities are left out of lists.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.audit.archived_at
    }
}

/// Which activities to list.
#[derive(InputObject, Default)]
#[graphql(name = "ActivityFilter")]
pub struct ActivityFilterInput {
    /// The organizing unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: the activities of every unit in its subtree.
    pub include_subtree: Option<bool>,
    pub kinds: Option<Vec<ActivityKind>>,
    pub statuses: Option<Vec<ActivityStatus>>,
    /// Activities for any of these audiences.
    pub audiences: Option<Vec<Audience>>,
    /// Activities on any of these topics.
    pub topics: Option<Vec<ActivityTopic>>,
    /// Activities co-organized by any of these bureaus.
    pub partner_bureaus: Option<Vec<PartnerBureau>>,
    /// Only co-organized activities (true) or only those without partners (false).
    pub co_organized: Option<bool>,
    pub venue_id: Option<ID>,
    /// Starting on or after this day.
    pub starts_from: Option<NaiveDate>,
    /// Starting on or before this day.
    pub starts_to: Option<NaiveDate>,
    pub modes: Option<Vec<ActivityMode>>,
    /// Part of the title, any case.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: activities written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `activities` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ActivityOrderField")]
pub enum ActivityOrderField {
    /// 标题
    Title,
    /// 开始日期
    StartsOn,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for ActivityOrderField {
    fn column(self) -> SortColumn {
        match self {
            ActivityOrderField::Title => SortColumn::text("title"),
            ActivityOrderField::StartsOn => SortColumn::date("starts_on"),
            ActivityOrderField::Status => SortColumn::code("status"),
            ActivityOrderField::UpdatedAt => SortColumn::time("updated_at"),
            ActivityOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(ActivityOrder, "ActivityOrder", ActivityOrderField);

impl ActivityFilterInput {
    /// The filter as the request may apply it: for the public, held activities only (and
    /// for a co-organizing partner, those its bureau co-organizes too), never archived ones.
    pub(super) fn parse(self, ctx: &Context<'_>) -> ApiResult<ActivityFilter> {
        let reach = policy::activity_reach(ctx);
        if let (Some(from), Some(to)) = (self.starts_from, self.starts_to) {
            if to < from {
                return Err(ApiError::validation(
                    "filter.startsTo",
                    kexie_subgraph_kit::text!(
                        "{to} is before startsFrom {from}",
                        "{to} 早于 startsFrom {from}"
                    ),
                ));
            }
        }
        Ok(ActivityFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            kinds: self.kinds,
            statuses: self.statuses,
            audiences: self.audiences,
            topics: self.topics,
            partner_bureaus: self.partner_bureaus,
            co_organized: self.co_organized,
            venue_id: parse_optional_id("filter.venueId", self.venue_id.as_ref())?,
            starts_from: self.starts_from,
            starts_to: self.starts_to,
            modes: self.modes,
            search: validate::optional_text("filter.search", self.search.as_deref(), MAX_TITLE)?,
            include_archived: self.include_archived.unwrap_or(false) && reach == ActivityReach::All,
            reach,
        })
    }
}

/// `Venue.activities`: the venue's page, batched with the other venues of the response.
pub(super) async fn venue_activities(
    ctx: &Context<'_>,
    venue_id: Uuid,
    filter: Option<ActivityFilterInput>,
    (first, after): (Option<i32>, Option<String>),
    (last, before): (Option<i32>, Option<String>),
) -> ApiResult<RecordPage<ActivityRow>> {
    let page = PageArgs::parse(first, after, last, before)?;
    let filter = filter.unwrap_or_default();
    refuse_sync_below(filter.updated_since, "activities")?;
    let mut filter = filter.parse(ctx)?;
    if filter.venue_id.is_some_and(|other| other != venue_id) {
        return Err(ApiError::validation(
            "filter.venueId",
            kexie_subgraph_kit::text!(
                "a venue's own list is always that venue's; leave venueId out",
                "场馆自身的列表总是该场馆的，请省略 venueId"
            ),
        ));
    }
    filter.venue_id = None;
    per_unit_page::<ActivitiesOfVenue>(ctx, venue_id, filter, page).await
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// An activity by ID (archived ones included); null when there is none. The public sees
    /// only live HELD activities (null for any other), a partner key with
    /// `activities:co-organize` also those its bureau co-organizes; staff, and partner keys
    /// with `venues-activities:read`, see every activity.
    async fn activity(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<ActivityRow>> {
        load_activity(ctx, parse_id("id", &id)?).await
    }

    /// Activities, newest first. The public's list holds only HELD activities, never
    /// archived ones (others are left out silently); a partner key with
    /// `activities:co-organize` also lists those its bureau co-organizes; staff, and partner
    /// keys with `venues-activities:read`, list every activity.
    #[allow(clippy::too_many_arguments)]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilterInput>,
        order_by: Option<ActivityOrder>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ActivityRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::activities::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::activities::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }

    #[graphql(entity)]
    async fn find_activity_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<ActivityRow>> {
        load_activity(ctx, parse_id("id", &id)?).await
    }
}

/// A new activity, planned. Partner bureaus' integrations should always send an
/// `idempotencyKey`.
#[derive(InputObject)]
pub struct CreateActivityInput {
    /// The organizing unit: an active unit.
    pub organizer_id: ID,
    pub title: String,
    pub kind: ActivityKind,
    /// The bureaus co-organizing it.
    pub partner_bureaus: Option<Vec<PartnerBureau>>,
    /// A venue that exists and is not CLOSED.
    pub venue_id: Option<ID>,
    pub starts_on: NaiveDate,
    /// The same day as `startsOn` when left out; never before it.
    pub ends_on: Option<NaiveDate>,
    /// At least one.
    pub audiences: Vec<Audience>,
    /// What it is about (防灾减灾, 食品安全 …); none when left out.
    pub topics: Option<Vec<ActivityTopic>>,
    /// Expected participants; 0 when left out.
    pub participants: Option<i32>,
    pub online_reach: Option<i32>,
    #[graphql(default_with = "ActivityMode::Offline")]
    pub mode: ActivityMode,
    /// A retried create with the same key returns the first activity and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to an activity; absent fields stay as they are, null clears the venue. The
/// status changes only through `transitionActivity`.
#[derive(InputObject, Default)]
pub struct UpdateActivityInput {
    pub organizer_id: Option<ID>,
    pub title: Option<String>,
    pub kind: Option<ActivityKind>,
    /// Replaces the whole list.
    pub partner_bureaus: Option<Vec<PartnerBureau>>,
    pub venue_id: MaybeUndefined<ID>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// Replaces the whole list; at least one.
    pub audiences: Option<Vec<Audience>>,
    /// Replaces the whole list.
    pub topics: Option<Vec<ActivityTopic>>,
    pub participants: Option<i32>,
    pub online_reach: Option<i32>,
    pub mode: Option<ActivityMode>,
}

/// Reads the activity a mutation changes and locks it, checking it is live.
async fn activity_for_change(
    conn: &mut sqlx::PgConnection,
    activity_id: Uuid,
) -> ApiResult<ActivityRow> {
    db::activities::get_for_update(conn, activity_id)
        .await?
        .filter(|activity| activity.audit.archived_at.is_none())
        .ok_or_else(|| ApiError::not_found("Activity", activity_id))
}

/// Checks the client's version of `activity`.
fn check_version(activity: &ActivityRow, expected_version: i32) -> ApiResult<()> {
    validate::expected_version(
        "Activity",
        activity.activity_id,
        expected_version,
        activity.audit.version,
    )
}

/// Requires the venue an activity is attached to to exist, be live and not be closed; its
/// row stays share-locked until the activity is written.
async fn require_usable_venue(conn: &mut sqlx::PgConnection, venue_id: Uuid) -> ApiResult<()> {
    let venue = db::venues::get_for_share(conn, venue_id)
        .await?
        .filter(|venue| venue.audit.archived_at.is_none())
        .ok_or_else(|| ApiError::not_found("Venue", venue_id))?;
    if venue.status == VenueStatus::Closed {
        return Err(ApiError::validation(
            "venueId",
            kexie_subgraph_kit::text!(
                "venue {} is CLOSED and takes no activities",
                "场馆 {} 已关闭，不再接受活动",
                venue.name
            ),
        ));
    }
    Ok(())
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Plans an activity. Staff plan activities for the units of their subtree; a partner
    /// key with `activities:co-organize` plans activities its bureau co-organizes (named in
    /// `partnerBureaus`) for any organizer. Anyone else is refused with `FORBIDDEN`.
    async fn create_activity(
        &self,
        ctx: &Context<'_>,
        input: CreateActivityInput,
    ) -> ApiResult<ActivityRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let organizer_id = parse_id("organizerId", &input.organizer_id)?;
        let venue_id = parse_optional_id("venueId", input.venue_id.as_ref())?;
        // Copied, not moved: the idempotency claim fingerprints the input as sent.
        let fields = ActivityFields {
            title: input.title.clone(),
            kind: input.kind,
            partner_bureaus: input.partner_bureaus.clone().unwrap_or_default(),
            venue_id,
            starts_on: input.starts_on,
            ends_on: input.ends_on.unwrap_or(input.starts_on),
            audiences: input.audiences.clone(),
            topics: input.topics.clone().unwrap_or_default(),
            participants: input.participants.unwrap_or(0),
            online_reach: input.online_reach.unwrap_or(0),
            mode: input.mode,
        }
        .checked(ActivityStatus::Planned, local_today())?;
        let activity_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_activity_write(
            ctx,
            &mut tx,
            ActivityWrite::Create {
                organizer: organizer_id,
                bureaus: &fields.partner_bureaus,
            },
        )
        .await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createActivity",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            activity_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::activities::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Activity", existing));
        }
        require_active_unit(pool, "organizerId", organizer_id).await?;
        if let Some(venue_id) = venue_id {
            require_usable_venue(&mut tx, venue_id).await?;
        }
        let activity =
            db::activities::insert(&mut tx, activity_id, organizer_id, &fields, &actor.subject)
                .await?;
        history::record(
            &mut tx,
            activity_id,
            None,
            ActivityStatus::Planned.as_str(),
            &actor,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(activity)
    }

    /// Changes an activity. Staff change the activities the units of their subtree
    /// organize; moving one to another organizer needs both units in it. A partner key with
    /// `activities:co-organize` changes the activities its bureau co-organizes, keeping its
    /// bureau among the co-organizers and the organizer as it is. Anyone else is refused
    /// with `FORBIDDEN`.
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateActivityInput,
    ) -> ApiResult<ActivityRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let activity_id = parse_id("id", &id)?;
        let organizer_id = parse_optional_id("organizerId", input.organizer_id.as_ref())?;
        let venue_change = match input.venue_id {
            MaybeUndefined::Undefined => MaybeUndefined::Undefined,
            MaybeUndefined::Null => MaybeUndefined::Null,
            MaybeUndefined::Value(venue_id) => {
                MaybeUndefined::Value(parse_id("venueId", &venue_id)?)
            }
        };
        let mut tx = pool.begin().await?;
        let current = activity_for_change(&mut tx, activity_id).await?;
        policy::require_activity_write(
            ctx,
            &mut tx,
            ActivityWrite::Update {
                current: &current,
                organizer: organizer_id.unwrap_or(current.organizer_unit_id),
                bureaus: input
                    .partner_bureaus
                    .as_deref()
                    .unwrap_or(&current.partner_bureaus.0),
            },
        )
        .await?;
        check_version(&current, expected_version)?;
        let was = current.fields();
        let starts_on = input.starts_on.unwrap_or(was.starts_on);
        let fields = ActivityFields {
            title: input.title.unwrap_or(was.title),
            kind: input.kind.unwrap_or(was.kind),
            partner_bureaus: input.partner_bureaus.unwrap_or(was.partner_bureaus),
            venue_id: validate::patch(venue_change, was.venue_id),
            starts_on,
            // A one-day activity moved to another day stays a one-day activity.
            ends_on: input.ends_on.unwrap_or(if was.starts_on == was.ends_on {
                starts_on
            } else {
                was.ends_on
            }),
            audiences: input.audiences.unwrap_or(was.audiences),
            topics: input.topics.unwrap_or(was.topics),
            participants: input.participants.unwrap_or(was.participants),
            online_reach: input.online_reach.unwrap_or(was.online_reach),
            mode: input.mode.unwrap_or(was.mode),
        }
        .checked(current.status, local_today())?;
        let organizer_id = match organizer_id {
            Some(organizer_id) if organizer_id != current.organizer_unit_id => {
                require_active_unit(pool, "organizerId", organizer_id).await?;
                organizer_id
            }
            _ => current.organizer_unit_id,
        };
        // A venue that closed after the activity was planned does not stop other changes.
        if let Some(venue_id) = fields
            .venue_id
            .filter(|venue| Some(*venue) != current.venue_id)
        {
            require_usable_venue(&mut tx, venue_id).await?;
        }
        let activity =
            db::activities::update(&mut tx, activity_id, organizer_id, &fields, &actor.subject)
                .await?;
        tx.commit().await?;
        Ok(activity)
    }

    /// Moves a planned activity to HELD (optionally with its final `participants` and
    /// `onlineReach`; only once it has started) or CANCELLED. Each step is kept in the
    /// activity's history. Staff move the activities the units of their subtree organize, a
    /// partner key with `activities:co-organize` those its bureau co-organizes; anyone else
    /// is refused with `FORBIDDEN`.
    #[allow(clippy::too_many_arguments)]
    async fn transition_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: ActivityStatus,
        note: Option<String>,
        participants: Option<i32>,
        online_reach: Option<i32>,
    ) -> ApiResult<ActivityRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let activity_id = parse_id("id", &id)?;
        let note = validate::optional_text("note", note.as_deref(), MAX_NOTE)?;
        if let Some(participants) = participants {
            validate::non_negative("participants", participants)?;
        }
        if let Some(online_reach) = online_reach {
            validate::non_negative("onlineReach", online_reach)?;
        }
        let mut tx = pool.begin().await?;
        let current = activity_for_change(&mut tx, activity_id).await?;
        policy::require_activity_write(
            ctx,
            &mut tx,
            ActivityWrite::Transition { current: &current },
        )
        .await?;
        check_version(&current, expected_version)?;
        current.status.check_transition(to)?;
        if to == ActivityStatus::Held {
            check_held_by(current.starts_on, local_today(), "to")?;
        } else if participants.is_some() || online_reach.is_some() {
            let field = if participants.is_some() {
                "participants"
            } else {
                "onlineReach"
            };
            return Err(ApiError::validation(
                field,
                kexie_subgraph_kit::text!(
                    "only an activity becoming HELD takes final counts",
                    "只有改为 HELD（已举办）的活动才填写最终人数"
                ),
            ));
        }
        let activity = db::activities::set_status(
            &mut tx,
            activity_id,
            to,
            participants.unwrap_or(current.participants),
            online_reach.unwrap_or(current.online_reach),
            &actor.subject,
        )
        .await?;
        history::record(
            &mut tx,
            activity_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(activity)
    }

    /// Archives an activity: it leaves the lists. Staff archive the activities the units
    /// of their subtree organize (`FORBIDDEN` otherwise); partner keys never do.
    async fn archive_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<ActivityRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let activity_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        let current = activity_for_change(&mut tx, activity_id).await?;
        policy::require_activity_write(ctx, &mut tx, ActivityWrite::Archive { current: &current })
            .await?;
        check_version(&current, expected_version)?;
        let activity = db::activities::archive(&mut tx, activity_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(activity)
    }
}

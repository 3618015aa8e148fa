//! 创新活动: matchmaking (供需对接会, 科创会·市州行) and academic exchange (学术交流:
//! conferences, salons, industry seminars, roadshows), PLANNED → HELD (with the attendance)
//! or CANCELLED, with the needs and results presented and the matches brokered there.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::bureau::PartnerBureau;
use kexie_subgraph_kit::history::{self as workflow, StatusChange};
use kexie_subgraph_kit::id::{distinct_ids, new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, per_unit_page, refuse_sync_below, ListPage, PageArgs, PerUnitQuery,
    RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::record::{load_all_by_id, Audit};
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::Unit;
use super::matches::{MatchFilterInput, MatchesOfEvent};
use super::needs::past_day;
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::events::{AttendanceFields, EventFields, EventFilter, EventRow};
use crate::db::matches::MatchRow;
use crate::db::needs::NeedRow;
use crate::db::results::ResultRow;
use crate::domain::{EventKind, EventStatus};
use crate::policy::{self, EventReach, EventWrite};

const MAX_TITLE: usize = 200;
const MAX_PLACE: usize = 200;
const MAX_SUMMARY: usize = 5000;
/// The most needs, or results, one event presents.
const MAX_PRESENTED: usize = 200;
/// The most people one event counts.
const MAX_PARTICIPANTS: i32 = 1_000_000;
/// The longest event, in days.
const MAX_DAYS: i64 = 31;

#[Object(name = "InnovationEvent")]
impl EventRow {
    async fn id(&self) -> ID {
        ID(self.innovation_event_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    async fn kind(&self) -> EventKind {
        self.kind
    }
    /// The organizing unit: an association or a society.
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    /// The partner bureaus co-organizing it (科技局, 工信局 …), in the order given.
    async fn partner_bureaus(&self) -> Vec<PartnerBureau> {
        self.bureaus()
    }
    async fn place(&self) -> Option<&str> {
        self.place.as_deref()
    }
    /// The first day (planned, or held).
    async fn starts_on(&self) -> NaiveDate {
        self.starts_on
    }
    /// The last day; `startsOn` for a one-day event.
    async fn ends_on(&self) -> NaiveDate {
        self.ends_on
    }
    async fn status(&self) -> EventStatus {
        self.status
    }
    /// The statuses `transitionInnovationEvent` accepts from here.
    async fn allowed_transitions(&self) -> Vec<EventStatus> {
        self.status.next()
    }
    /// The needs presented (需求发布), in the order given.
    async fn tech_needs(&self, ctx: &Context<'_>) -> ApiResult<Vec<NeedRow>> {
        load_all_by_id(ctx, &self.need_ids).await
    }
    /// The results presented (成果发布, 路演), in the order given.
    async fn science_results(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResultRow>> {
        load_all_by_id(ctx, &self.result_ids).await
    }
    /// The matches brokered at the event, newest first. For staff and keys with
    /// `innovation:read` (`FORBIDDEN` otherwise).
    async fn matches(
        &self,
        ctx: &Context<'_>,
        filter: Option<MatchFilterInput>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<MatchRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default().for_party(ctx)?;
        per_unit_page::<MatchesOfEvent>(ctx, self.innovation_event_id, filter, page).await
    }
    /// People who took part (人次; 0 until held).
    async fn participants(&self) -> i32 {
        self.participants
    }
    /// Enterprises that took part (0 until held).
    async fn enterprises(&self) -> i32 {
        self.enterprises
    }
    async fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }
    /// Every step from planning on, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        workflow::of(ctx, self.innovation_event_id).await
    }
    /// Increases with every change; send it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.audit.version
    }
    #[graphql(flatten)]
    async fn audit(&self) -> &Audit {
        &self.audit
    }
}

/// Which events to list.
#[derive(InputObject, Default)]
#[graphql(name = "InnovationEventFilter")]
pub struct EventFilterInput {
    /// Organized by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub kinds: Option<Vec<EventKind>>,
    pub statuses: Option<Vec<EventStatus>>,
    /// Co-organized by any of these bureaus.
    pub partner_bureaus: Option<Vec<PartnerBureau>>,
    /// Starting on or after this day.
    pub from: Option<NaiveDate>,
    /// Starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Part of the title or of the place.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: events written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `innovationEvents` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "InnovationEventOrderField")]
pub enum EventOrderField {
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

impl SortField for EventOrderField {
    fn column(self) -> SortColumn {
        match self {
            EventOrderField::Title => SortColumn::text("title"),
            EventOrderField::StartsOn => SortColumn::date("starts_on"),
            EventOrderField::Status => SortColumn::code("status"),
            EventOrderField::UpdatedAt => SortColumn::time("updated_at"),
            EventOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(EventOrder, "InnovationEventOrder", EventOrderField);

fn texts<T: Copy>(values: Option<Vec<T>>, as_str: fn(T) -> &'static str) -> Option<Vec<String>> {
    values.map(|values| values.into_iter().map(|v| as_str(v).to_string()).collect())
}

impl EventFilterInput {
    fn parse(self, ctx: &Context<'_>) -> ApiResult<EventFilter> {
        let reach = policy::event_reach(ctx)?;
        validate::date_order("filter.to", self.from, self.to)?;
        Ok(EventFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            kinds: texts(self.kinds, EventKind::as_str),
            statuses: texts(self.statuses, EventStatus::as_str),
            partner_bureaus: texts(self.partner_bureaus, PartnerBureau::as_str),
            co_organized_by: match reach {
                EventReach::All => None,
                EventReach::CoOrganizedBy(bureau) => Some(bureau.as_str().to_string()),
            },
            from: self.from,
            to: self.to,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.innovationEvents`, whose organizer is the unit it hangs on.
    pub fn for_unit(self, ctx: &Context<'_>, include_subtree: bool) -> ApiResult<EventFilter> {
        refuse_sync_below(self.updated_since, "innovationEvents")?;
        refuse_unit_filter(self.unit_id.as_ref())?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }
}

/// `Unit.innovationEvents` for a batch of units.
pub struct EventsOfUnit(pub PgPool);

impl PerUnitQuery for EventsOfUnit {
    type Filter = EventFilter;
    type Row = EventRow;

    async fn fetch(
        &self,
        ids: &[Uuid],
        filter: &EventFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, EventRow)>> {
        Ok(db::events::of_units(&self.0, ids, filter, page).await?)
    }

    async fn count(&self, ids: &[Uuid], filter: &EventFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::events::count_of_units(&self.0, ids, filter).await?)
    }
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// An innovation event by ID (archived ones too); null when there is none or the caller
    /// may not see it. For staff and keys with `innovation:read`, and for keys with
    /// `innovation-events:co-organize` the events their bureau co-organizes (`FORBIDDEN`
    /// for everyone else).
    async fn innovation_event(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<EventRow>> {
        let reach = policy::event_reach(ctx)?;
        let event = db::events::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop();
        Ok(event.filter(|event| reach.shows(event)))
    }

    /// Innovation events, newest first: for staff and keys with `innovation:read` every
    /// one, for keys with `innovation-events:co-organize` those their bureau co-organizes
    /// (`FORBIDDEN` for everyone else).
    #[allow(clippy::too_many_arguments)]
    async fn innovation_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilterInput>,
        order_by: Option<EventOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<EventRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::events::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::events::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

/// An event to plan (PLANNED).
#[derive(InputObject)]
pub struct CreateInnovationEventInput {
    /// The organizing unit; an active unit.
    pub unit_id: ID,
    pub kind: EventKind,
    pub title: String,
    pub place: Option<String>,
    pub starts_on: NaiveDate,
    /// The last day, at most 31 days after `startsOn`; `startsOn` when absent.
    pub ends_on: Option<NaiveDate>,
    #[graphql(default)]
    pub partner_bureaus: Vec<PartnerBureau>,
    /// Live needs to present, at most 200.
    #[graphql(default)]
    pub tech_need_ids: Vec<ID>,
    /// Live results to present, at most 200.
    #[graphql(default)]
    pub science_result_ids: Vec<ID>,
    /// A retried create with the same key returns the first event and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a planned event; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateInnovationEventInput {
    pub unit_id: Option<ID>,
    pub kind: Option<EventKind>,
    pub title: Option<String>,
    pub place: MaybeUndefined<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub partner_bureaus: Option<Vec<PartnerBureau>>,
    pub tech_need_ids: Option<Vec<ID>>,
    pub science_result_ids: Option<Vec<ID>>,
}

/// Who came to a held event.
#[derive(InputObject)]
pub struct EventAttendanceInput {
    /// People who took part (人次), 0 to 1,000,000.
    pub participants: i32,
    /// Enterprises that took part, at most `participants`.
    pub enterprises: i32,
    pub summary: Option<String>,
}

fn valid_attendance(input: EventAttendanceInput) -> ApiResult<AttendanceFields> {
    if !(0..=MAX_PARTICIPANTS).contains(&input.participants) {
        return Err(ApiError::validation(
            "attendance.participants",
            kexie_subgraph_kit::text!(
                "must be from 0 to {MAX_PARTICIPANTS}",
                "须在 0 到 {MAX_PARTICIPANTS} 之间"
            ),
        ));
    }
    if !(0..=input.participants).contains(&input.enterprises) {
        return Err(ApiError::validation(
            "attendance.enterprises",
            kexie_subgraph_kit::text!("must be from 0 to participants", "须在 0 到参加人数之间"),
        ));
    }
    Ok(AttendanceFields {
        participants: input.participants,
        enterprises: input.enterprises,
        summary: validate::optional_text(
            "attendance.summary",
            input.summary.as_deref(),
            MAX_SUMMARY,
        )?,
    })
}

fn presented_ids(need_ids: &[ID], result_ids: &[ID]) -> ApiResult<(Vec<Uuid>, Vec<Uuid>)> {
    Ok((
        distinct_ids("techNeedIds", need_ids, 0, MAX_PRESENTED, ("need", "needs"))?,
        distinct_ids(
            "scienceResultIds",
            result_ids,
            0,
            MAX_PRESENTED,
            ("result", "results"),
        )?,
    ))
}

/// The event's fields, checked: the title and place, the days in order and at most 31 days
/// long, each bureau named once.
#[allow(clippy::too_many_arguments)]
fn valid_event(
    unit_id: Uuid,
    kind: EventKind,
    title: &str,
    place: Option<&str>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    partner_bureaus: &[PartnerBureau],
    (need_ids, result_ids): (Vec<Uuid>, Vec<Uuid>),
) -> ApiResult<EventFields> {
    validate::year("startsOn", starts_on.year())?;
    if ends_on < starts_on {
        return Err(ApiError::validation(
            "endsOn",
            kexie_subgraph_kit::text!(
                "{ends_on} is before startsOn ({starts_on})",
                "{ends_on} 早于开始日期（{starts_on}）"
            ),
        ));
    }
    if (ends_on - starts_on).num_days() > MAX_DAYS {
        return Err(ApiError::validation(
            "endsOn",
            kexie_subgraph_kit::text!(
                "an event lasts at most {MAX_DAYS} days after its first",
                "活动自首日起最多持续 {MAX_DAYS} 天"
            ),
        ));
    }
    let mut bureaus = Vec::with_capacity(partner_bureaus.len());
    for bureau in partner_bureaus {
        if !bureaus.contains(bureau) {
            bureaus.push(*bureau);
        }
    }
    Ok(EventFields {
        unit_id,
        kind,
        title: validate::text("title", title, MAX_TITLE)?,
        place: validate::optional_text("place", place, MAX_PLACE)?,
        starts_on,
        ends_on,
        partner_bureaus: bureaus,
        need_ids,
        result_ids,
    })
}

/// Refuses presented needs or results that are not live records.
async fn require_presented(conn: &mut sqlx::PgConnection, fields: &EventFields) -> ApiResult<()> {
    let (needs, results) =
        db::events::missing_presented(conn, &fields.need_ids, &fields.result_ids).await?;
    if let Some(need) = needs.first() {
        return Err(ApiError::validation(
            "techNeedIds",
            kexie_subgraph_kit::text!(
                "need {need} does not exist or is archived",
                "技术需求 {need} 不存在或已归档"
            ),
        ));
    }
    if let Some(result) = results.first() {
        return Err(ApiError::validation(
            "scienceResultIds",
            kexie_subgraph_kit::text!(
                "result {result} does not exist or is archived",
                "科技成果 {result} 不存在或已归档"
            ),
        ));
    }
    Ok(())
}

/// Reads and locks the event a mutation changes; refuses an unknown or archived one.
async fn live_event(conn: &mut sqlx::PgConnection, event_id: Uuid) -> ApiResult<EventRow> {
    let row = db::events::get_for_update(conn, event_id).await?;
    validate::live("InnovationEvent", event_id, row, |row| {
        row.audit.is_archived()
    })
}

/// Refuses a change made from another version than the event's.
fn at_version(event: &EventRow, expected_version: i32) -> ApiResult<()> {
    validate::expected_version(
        "InnovationEvent",
        event.innovation_event_id,
        expected_version,
        event.audit.version,
    )
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Plans an event (PLANNED). Staff plan the events of the units of their subtree; a key
    /// with `innovation-events:co-organize` plans events naming its bureau among
    /// `partnerBureaus` (`FORBIDDEN` otherwise).
    async fn create_innovation_event(
        &self,
        ctx: &Context<'_>,
        input: CreateInnovationEventInput,
    ) -> ApiResult<EventRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let presented = presented_ids(&input.tech_need_ids, &input.science_result_ids)?;
        let fields = valid_event(
            unit_id,
            input.kind,
            &input.title,
            input.place.as_deref(),
            input.starts_on,
            input.ends_on.unwrap_or(input.starts_on),
            &input.partner_bureaus,
            presented,
        )?;
        require_active_unit(pool, "unitId", unit_id).await?;
        let event_id = new_id();
        let mut tx = pool.begin().await?;
        let write = EventWrite::Create {
            organizer: unit_id,
            bureaus: &fields.partner_bureaus,
        };
        policy::require_event_write(ctx, &mut tx, write).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createInnovationEvent",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            event_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::events::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("InnovationEvent", existing));
        }
        require_presented(&mut tx, &fields).await?;
        db::events::insert(&mut tx, event_id, &fields, &actor.subject).await?;
        let planned = EventStatus::Planned.as_str();
        workflow::record(&mut tx, event_id, None, planned, &actor, None).await?;
        let event = db::events::get(&mut tx, event_id).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Changes a planned event; a held or cancelled one is refused with
    /// `ILLEGAL_TRANSITION` (a held event's attendance changes with
    /// `recordEventAttendance`). Staff change the events of the units of their subtree
    /// (moving one to another organizer needs both); a co-organizing key changes the events
    /// naming its bureau, keeping it named and the organizer as is (`FORBIDDEN` otherwise).
    async fn update_innovation_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateInnovationEventInput,
    ) -> ApiResult<EventRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let event_id = parse_id("id", &id)?;
        let new_unit = parse_optional_id("unitId", input.unit_id.as_ref())?;
        let new_needs = input
            .tech_need_ids
            .as_deref()
            .map(|ids| distinct_ids("techNeedIds", ids, 0, MAX_PRESENTED, ("need", "needs")))
            .transpose()?;
        let new_results = input
            .science_result_ids
            .as_deref()
            .map(|ids| {
                distinct_ids(
                    "scienceResultIds",
                    ids,
                    0,
                    MAX_PRESENTED,
                    ("result", "results"),
                )
            })
            .transpose()?;
        let mut tx = pool.begin().await?;
        let current = live_event(&mut tx, event_id).await?;
        // Who may make the change depends on the organizer and bureaus it leaves.
        let write = EventWrite::Update {
            current: &current,
            organizer: new_unit.unwrap_or(current.unit_id),
            bureaus: input.partner_bureaus.as_deref(),
        };
        policy::require_event_write(ctx, &mut tx, write).await?;
        at_version(&current, expected_version)?;
        let current_bureaus = current.bureaus();
        let fields = valid_event(
            new_unit.unwrap_or(current.unit_id),
            input.kind.unwrap_or(current.kind),
            input.title.as_deref().unwrap_or(&current.title),
            validate::patch(input.place, current.place.clone()).as_deref(),
            input.starts_on.unwrap_or(current.starts_on),
            input.ends_on.unwrap_or(current.ends_on),
            input.partner_bureaus.as_deref().unwrap_or(&current_bureaus),
            (
                new_needs.unwrap_or_else(|| current.need_ids.clone()),
                new_results.unwrap_or_else(|| current.result_ids.clone()),
            ),
        )?;
        current.status.check_is(EventStatus::Planned, "edited")?;
        if fields.unit_id != current.unit_id {
            require_active_unit(pool, "unitId", fields.unit_id).await?;
        }
        require_presented(&mut tx, &fields).await?;
        db::events::update(&mut tx, event_id, &fields, &actor.subject).await?;
        let event = db::events::get(&mut tx, event_id).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Moves the event one step: PLANNED → HELD (which needs the `attendance`, and a first
    /// day not in the future) or CANCELLED. Staff move the events of the units of their
    /// subtree; a co-organizing key the events naming its bureau (`FORBIDDEN` otherwise).
    async fn transition_innovation_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: EventStatus,
        note: Option<String>,
        attendance: Option<EventAttendanceInput>,
    ) -> ApiResult<EventRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let event_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        let attendance = match (to, attendance) {
            (EventStatus::Held, Some(attendance)) => Some(valid_attendance(attendance)?),
            (EventStatus::Held, None) => {
                return Err(ApiError::validation(
                    "attendance",
                    kexie_subgraph_kit::text!(
                        "a held event records how many took part",
                        "已举办的活动须登记参加人数"
                    ),
                ))
            }
            (_, Some(_)) => {
                return Err(ApiError::validation(
                    "attendance",
                    kexie_subgraph_kit::text!(
                        "is only given when moving to HELD",
                        "仅在改为 HELD（已举办）时填写"
                    ),
                ))
            }
            (_, None) => None,
        };
        let mut tx = pool.begin().await?;
        let current = live_event(&mut tx, event_id).await?;
        let write = EventWrite::Transition { current: &current };
        policy::require_event_write(ctx, &mut tx, write).await?;
        at_version(&current, expected_version)?;
        current.status.check_step(to)?;
        if to == EventStatus::Held {
            past_day("startsOn", current.starts_on)?;
        }
        db::events::set_status(&mut tx, event_id, to, attendance.as_ref(), &actor.subject).await?;
        workflow::record(
            &mut tx,
            event_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        let event = db::events::get(&mut tx, event_id).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Replaces a held event's attendance (counted again afterwards). An event that is not
    /// HELD is refused with `ILLEGAL_TRANSITION`. Staff record the attendance of the events
    /// of the units of their subtree; a co-organizing key of the events naming its bureau
    /// (`FORBIDDEN` otherwise).
    async fn record_event_attendance(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        attendance: EventAttendanceInput,
    ) -> ApiResult<EventRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let event_id = parse_id("id", &id)?;
        let attendance = valid_attendance(attendance)?;
        let mut tx = pool.begin().await?;
        let current = live_event(&mut tx, event_id).await?;
        let write = EventWrite::Transition { current: &current };
        policy::require_event_write(ctx, &mut tx, write).await?;
        at_version(&current, expected_version)?;
        current
            .status
            .check_is(EventStatus::Held, "attendance recorded")?;
        db::events::set_attendance(&mut tx, event_id, &attendance, &actor.subject).await?;
        let event = db::events::get(&mut tx, event_id).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Leaves the event out of lists and figures; it can still be looked up, and the
    /// matches brokered there keep it. Staff archive the events of the units of their
    /// subtree (`FORBIDDEN` otherwise; co-organizing keys never archive).
    async fn archive_innovation_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<EventRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let event_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        let current = live_event(&mut tx, event_id).await?;
        let write = EventWrite::Archive { current: &current };
        policy::require_event_write(ctx, &mut tx, write).await?;
        at_version(&current, expected_version)?;
        db::events::archive(&mut tx, event_id, &actor.subject).await?;
        let event = db::events::get(&mut tx, event_id).await?;
        tx.commit().await?;
        Ok(event)
    }
}

//! 学会党建: the societies' party-building lectures, training, observation visits and work
//! meetings ("开展党的XX大精神宣讲、培训活动不少于20场(次)"), recorded once held.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use kexie_subgraph_kit::figures::china_today;
use kexie_subgraph_kit::id::{new_id, parse_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, ListPage, RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::pool;
use super::units::unit_of;
use crate::db;
use crate::db::party_building::{PartyBuildingFields, PartyBuildingFilter, PartyBuildingRow};
use crate::db::units::UnitRow;
use crate::domain::PartyBuildingKind;
use crate::policy::{require_read_subtree_of, require_record_write};

const MAX_TITLE: usize = 200;
const MAX_SPEAKER: usize = 200;
const MAX_PARTICIPANTS: i32 = 100_000;

#[Object(name = "PartyBuildingActivity")]
impl PartyBuildingRow {
    async fn id(&self) -> ID {
        ID(self.party_building_activity_id.to_string())
    }
    /// The organizing unit: a society, or an association for its societies.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<UnitRow> {
        unit_of(ctx, self.unit_id).await
    }
    async fn kind(&self) -> PartyBuildingKind {
        self.kind
    }
    async fn title(&self) -> &str {
        &self.title
    }
    /// The day it was held (local, UTC+8).
    async fn held_on(&self) -> NaiveDate {
        self.held_on
    }
    /// Who spoke or taught (an expert of the Party school 党校 …).
    async fn speaker(&self) -> Option<&str> {
        self.speaker.as_deref()
    }
    /// People who took part (人次).
    async fn participants(&self) -> i32 {
        self.participants
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

/// Which party-building activities to list.
#[derive(InputObject, Default)]
pub struct PartyBuildingFilterInput {
    pub kinds: Option<Vec<PartyBuildingKind>>,
    /// Held on or after this day.
    pub from: Option<NaiveDate>,
    /// Held on or before this day.
    pub to: Option<NaiveDate>,
    pub include_archived: Option<bool>,
    /// Incremental sync: party-building activities written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `partyBuildingActivities` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "PartyBuildingActivityOrderField")]
pub enum PartyBuildingOrderField {
    /// 标题
    Title,
    /// 举办日期
    HeldOn,
    /// 类型
    Kind,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for PartyBuildingOrderField {
    fn column(self) -> SortColumn {
        match self {
            PartyBuildingOrderField::Title => SortColumn::text("title"),
            PartyBuildingOrderField::HeldOn => SortColumn::date("held_on"),
            PartyBuildingOrderField::Kind => SortColumn::code("kind"),
            PartyBuildingOrderField::UpdatedAt => SortColumn::time("updated_at"),
            PartyBuildingOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(
    PartyBuildingOrder,
    "PartyBuildingActivityOrder",
    PartyBuildingOrderField
);

#[derive(Default)]
pub struct PartyBuildingQuery;

#[Object]
impl PartyBuildingQuery {
    /// A unit's party-building activities (with `includeSubtree`, those of every unit below
    /// it too), newest first. For the staff of the unit and of the units above it
    /// (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn party_building_activities(
        &self,
        ctx: &Context<'_>,
        unit_id: ID,
        #[graphql(default = true)] include_subtree: bool,
        filter: Option<PartyBuildingFilterInput>,
        order_by: Option<PartyBuildingOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<PartyBuildingRow>> {
        let unit_id = parse_id("unitId", &unit_id)?;
        require_read_subtree_of(ctx, unit_id).await?;
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        validate::date_order("filter.to", filter.from, filter.to)?;
        let filter = PartyBuildingFilter {
            unit_id,
            include_subtree,
            kinds: filter
                .kinds
                .map(|kinds| kinds.iter().map(|k| k.as_str().to_string()).collect()),
            from: filter.from,
            to: filter.to,
            include_archived: filter.include_archived.unwrap_or(false),
        };
        let pool = pool(ctx)?.clone();
        let rows = db::party_building::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::party_building::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// A party-building activity held.
#[derive(InputObject)]
pub struct RecordPartyBuildingActivityInput {
    /// The organizing unit; an active unit.
    pub unit_id: ID,
    pub kind: PartyBuildingKind,
    pub title: String,
    /// Not in the future.
    pub held_on: NaiveDate,
    pub speaker: Option<String>,
    /// 0 to 100,000; 0 when absent.
    pub participants: Option<i32>,
    /// A retried record with the same key returns the first activity and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a party-building activity; absent fields stay as they are, null clears the
/// speaker.
#[derive(InputObject, Default)]
pub struct UpdatePartyBuildingActivityInput {
    pub unit_id: Option<ID>,
    pub kind: Option<PartyBuildingKind>,
    pub title: Option<String>,
    pub held_on: Option<NaiveDate>,
    pub speaker: MaybeUndefined<String>,
    pub participants: Option<i32>,
}

fn valid_activity(
    unit_id: Uuid,
    kind: PartyBuildingKind,
    title: &str,
    held_on: NaiveDate,
    speaker: Option<&str>,
    participants: i32,
) -> ApiResult<PartyBuildingFields> {
    validate::year("heldOn", held_on.year())?;
    if held_on > china_today() {
        return Err(ApiError::validation(
            "heldOn",
            kexie_subgraph_kit::text!(
                "{held_on} is in the future: record an activity once held",
                "{held_on} 是将来的日期：活动举办后再登记"
            ),
        ));
    }
    if !(0..=MAX_PARTICIPANTS).contains(&participants) {
        return Err(ApiError::validation(
            "participants",
            kexie_subgraph_kit::text!(
                "must be from 0 to {MAX_PARTICIPANTS}",
                "须在 0 到 {MAX_PARTICIPANTS} 之间"
            ),
        ));
    }
    Ok(PartyBuildingFields {
        unit_id,
        kind,
        title: validate::text("title", title, MAX_TITLE)?,
        held_on,
        speaker: validate::optional_text("speaker", speaker, MAX_SPEAKER)?,
        participants,
    })
}

/// Reads and locks a live activity a mutation changes; the request must write its unit's
/// records, and the client's version must be the activity's.
async fn activity_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
) -> ApiResult<PartyBuildingRow> {
    let row = db::party_building::get_for_update(conn, id).await?;
    let row = validate::live("PartyBuildingActivity", id, row, |row| {
        row.audit.is_archived()
    })?;
    require_record_write(ctx, conn, row.unit_id, None).await?;
    validate::expected_version(
        "PartyBuildingActivity",
        id,
        expected_version,
        row.audit.version,
    )?;
    Ok(row)
}

#[derive(Default)]
pub struct PartyBuildingMutation;

#[Object]
impl PartyBuildingMutation {
    /// Records a party-building activity held. Staff record those of the units of their
    /// subtree (`FORBIDDEN` otherwise).
    async fn record_party_building_activity(
        &self,
        ctx: &Context<'_>,
        input: RecordPartyBuildingActivityInput,
    ) -> ApiResult<PartyBuildingRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let fields = valid_activity(
            unit_id,
            input.kind,
            &input.title,
            input.held_on,
            input.speaker.as_deref(),
            input.participants.unwrap_or(0),
        )?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        require_record_write(ctx, &mut tx, unit_id, Some("unitId")).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "recordPartyBuildingActivity",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::party_building::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("PartyBuildingActivity", existing));
        }
        let row = db::party_building::insert(&mut tx, id, &fields, &actor.subject).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Changes a party-building activity. Staff change those of the units of their subtree;
    /// moving one to another unit needs both (`FORBIDDEN` otherwise).
    async fn update_party_building_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdatePartyBuildingActivityInput,
    ) -> ApiResult<PartyBuildingRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let id = parse_id("id", &id)?;
        let new_unit = input
            .unit_id
            .as_ref()
            .map(|unit| parse_id("unitId", unit))
            .transpose()?;
        let mut tx = pool.begin().await?;
        let current = activity_for_change(ctx, &mut tx, id, expected_version).await?;
        let fields = valid_activity(
            new_unit.unwrap_or(current.unit_id),
            input.kind.unwrap_or(current.kind),
            input.title.as_deref().unwrap_or(&current.title),
            input.held_on.unwrap_or(current.held_on),
            validate::patch(input.speaker, current.speaker.clone()).as_deref(),
            input.participants.unwrap_or(current.participants),
        )?;
        if fields.unit_id != current.unit_id {
            require_record_write(ctx, &mut tx, fields.unit_id, Some("unitId")).await?;
        }
        let row = db::party_building::update(&mut tx, id, &fields, &actor.subject).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Leaves the activity out of lists and figures. Staff archive those of the units of
    /// their subtree (`FORBIDDEN` otherwise).
    async fn archive_party_building_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<PartyBuildingRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        activity_for_change(ctx, &mut tx, id, expected_version).await?;
        let row = db::party_building::archive(&mut tx, id, &actor.subject).await?;
        tx.commit().await?;
        Ok(row)
    }
}

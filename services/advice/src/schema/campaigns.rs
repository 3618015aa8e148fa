//! 征集活动: campaigns collecting advice ("我为XX发展献一计"), research topics (the yearly
//! call) or key technology bottlenecks (卡脖子问题).

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::Unit;
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::campaigns::{CampaignFields, CampaignFilter, CampaignRow};
use crate::domain::{china_today, CampaignKind};
use crate::policy;

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 5000;

#[Object(name = "Campaign")]
impl CampaignRow {
    async fn id(&self) -> ID {
        ID(self.campaign_id.to_string())
    }
    /// e.g. "我为涪城发展献一计".
    async fn title(&self) -> &str {
        &self.title
    }
    async fn kind(&self) -> CampaignKind {
        self.kind
    }
    /// The unit that runs the campaign.
    async fn organizer(&self) -> Unit {
        Unit {
            id: self.organizer_id,
        }
    }
    async fn opens_on(&self) -> NaiveDate {
        self.opens_on
    }
    async fn closes_on(&self) -> NaiveDate {
        self.closes_on
    }
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// Whether the campaign takes submissions on `on` (default: today in China).
    async fn is_open(&self, on: Option<NaiveDate>) -> bool {
        let on = on.unwrap_or_else(china_today);
        self.opens_on <= on && on <= self.closes_on
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

/// Which campaigns to list.
#[derive(InputObject, Default)]
#[graphql(name = "CampaignFilter")]
pub struct CampaignFilterInput {
    /// Campaigns organized by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub kinds: Option<Vec<CampaignKind>>,
    /// Open on this day.
    pub open_on: Option<NaiveDate>,
    /// Part of the title.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: campaigns written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `campaigns` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "CampaignOrderField")]
pub enum CampaignOrderField {
    /// 标题
    Title,
    /// 征集开始日期
    OpensOn,
    /// 类型
    Kind,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for CampaignOrderField {
    fn column(self) -> SortColumn {
        match self {
            CampaignOrderField::Title => SortColumn::text("title"),
            CampaignOrderField::OpensOn => SortColumn::date("opens_on"),
            CampaignOrderField::Kind => SortColumn::code("kind"),
            CampaignOrderField::UpdatedAt => SortColumn::time("updated_at"),
            CampaignOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(CampaignOrder, "CampaignOrder", CampaignOrderField);

impl CampaignFilterInput {
    /// The filter, for staff only: anyone else is refused.
    fn parse(self, ctx: &Context<'_>) -> ApiResult<CampaignFilter> {
        policy::require_reader(ctx, "Campaigns")?;
        Ok(CampaignFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            kinds: self
                .kinds
                .map(|kinds| kinds.iter().map(|kind| kind.as_str().to_string()).collect()),
            open_on: self.open_on,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.campaigns`, whose unit is the one it hangs on.
    pub fn for_unit(self, ctx: &Context<'_>, include_subtree: bool) -> ApiResult<CampaignFilter> {
        refuse_sync_below(self.updated_since, "campaigns")?;
        refuse_unit_filter(self.unit_id.as_ref())?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }
}

/// `Unit.campaigns` for a batch of units.
pub struct CampaignsOfUnit(pub PgPool);

impl PerUnitQuery for CampaignsOfUnit {
    type Filter = CampaignFilter;
    type Row = CampaignRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &CampaignFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, CampaignRow)>> {
        Ok(db::campaigns::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(
        &self,
        unit_ids: &[Uuid],
        filter: &CampaignFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::campaigns::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// A campaign by ID (archived ones too); null when there is none. For staff only
    /// (`FORBIDDEN` otherwise).
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<CampaignRow>> {
        policy::require_reader(ctx, "Campaigns")?;
        Ok(db::campaigns::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }

    /// Campaigns, newest first. For staff only (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignFilterInput>,
        order_by: Option<CampaignOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<CampaignRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::campaigns::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::campaigns::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// A new campaign.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// The organizing unit; an active unit.
    pub organizer_id: ID,
    pub title: String,
    pub kind: CampaignKind,
    pub opens_on: NaiveDate,
    /// On or after `opensOn`.
    pub closes_on: NaiveDate,
    pub description: Option<String>,
    /// A retried create with the same key returns the first campaign and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a campaign; absent fields stay as they are, a null description clears it.
#[derive(InputObject, Default)]
pub struct UpdateCampaignInput {
    pub organizer_id: Option<ID>,
    pub title: Option<String>,
    pub kind: Option<CampaignKind>,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    pub description: MaybeUndefined<String>,
}

/// Checks the fields that need no database.
fn valid_campaign(
    organizer_id: Uuid,
    title: &str,
    kind: CampaignKind,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    description: Option<&str>,
) -> ApiResult<CampaignFields> {
    validate::year("opensOn", opens_on.year())?;
    validate::year("closesOn", closes_on.year())?;
    validate::date_order("closesOn", Some(opens_on), Some(closes_on))?;
    Ok(CampaignFields {
        organizer_id,
        title: validate::text("title", title, MAX_TITLE)?,
        kind,
        opens_on,
        closes_on,
        description: validate::optional_text("description", description, MAX_DESCRIPTION)?,
    })
}

/// Reads and locks the campaign a mutation changes: live, the request may write the
/// campaigns of its organizer (and of `new_organizer`, when it moves there), and at the
/// client's version.
async fn campaign_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    campaign_id: Uuid,
    expected_version: i32,
    new_organizer: Option<Uuid>,
) -> ApiResult<CampaignRow> {
    let row = db::campaigns::get_for_update(conn, campaign_id).await?;
    let row = validate::live("Campaign", campaign_id, row, |row| {
        row.audit.archived_at.is_some()
    })?;
    policy::require_write(ctx, conn, row.organizer_id, new_organizer).await?;
    validate::expected_version("Campaign", campaign_id, expected_version, row.audit.version)?;
    Ok(row)
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Opens a campaign. Staff open campaigns for the units of their subtree (`FORBIDDEN`
    /// otherwise).
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> ApiResult<CampaignRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let organizer_id = parse_id("organizerId", &input.organizer_id)?;
        let fields = valid_campaign(
            organizer_id,
            &input.title,
            input.kind,
            input.opens_on,
            input.closes_on,
            input.description.as_deref(),
        )?;
        require_active_unit(pool, "organizerId", organizer_id).await?;
        let campaign_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_write(ctx, &mut tx, organizer_id, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createCampaign",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            campaign_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::campaigns::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Campaign", existing));
        }
        let campaign = db::campaigns::insert(&mut tx, campaign_id, &fields, &actor.subject).await?;
        tx.commit().await?;
        Ok(campaign)
    }

    /// Changes a campaign. Staff change the campaigns the units of their subtree organize;
    /// moving one to another organizer needs both (`FORBIDDEN` otherwise).
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateCampaignInput,
    ) -> ApiResult<CampaignRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let campaign_id = parse_id("id", &id)?;
        let new_organizer = parse_optional_id("organizerId", input.organizer_id.as_ref())?;
        if let Some(organizer_id) = new_organizer {
            require_active_unit(pool, "organizerId", organizer_id).await?;
        }
        let mut tx = pool.begin().await?;
        let current =
            campaign_for_change(ctx, &mut tx, campaign_id, expected_version, new_organizer).await?;
        let description = validate::patch(input.description, current.description.clone());
        let fields = valid_campaign(
            new_organizer.unwrap_or(current.organizer_id),
            input.title.as_deref().unwrap_or(&current.title),
            input.kind.unwrap_or(current.kind),
            input.opens_on.unwrap_or(current.opens_on),
            input.closes_on.unwrap_or(current.closes_on),
            description.as_deref(),
        )?;
        let campaign = db::campaigns::update(&mut tx, campaign_id, &fields, &actor.subject).await?;
        tx.commit().await?;
        Ok(campaign)
    }

    /// Leaves the campaign out of lists; its submissions keep naming it. Staff archive the
    /// campaigns the units of their subtree organize (`FORBIDDEN` otherwise).
    async fn archive_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<CampaignRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let campaign_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        campaign_for_change(ctx, &mut tx, campaign_id, expected_version, None).await?;
        let campaign = db::campaigns::archive(&mut tx, campaign_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(campaign)
    }
}

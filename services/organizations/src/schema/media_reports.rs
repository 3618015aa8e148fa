//! 宣传报道: reports of the associations' work in the media ("在中央、省级主流媒体刊登信息
//! 53篇"), recorded once published.

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
use crate::db::media_reports::{MediaReportFields, MediaReportFilter, MediaReportRow};
use crate::db::units::UnitRow;
use crate::domain::MediaLevel;
use crate::policy::{require_read_subtree_of, require_record_write};

const MAX_TITLE: usize = 300;
const MAX_OUTLET: usize = 100;
const MAX_URL: usize = 2000;

#[Object(name = "MediaReport")]
impl MediaReportRow {
    async fn id(&self) -> ID {
        ID(self.media_report_id.to_string())
    }
    /// The unit whose work was reported.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<UnitRow> {
        unit_of(ctx, self.unit_id).await
    }
    async fn title(&self) -> &str {
        &self.title
    }
    /// The newspaper, channel or account that published it (人民日报, 四川日报 …).
    async fn outlet(&self) -> &str {
        &self.outlet
    }
    async fn level(&self) -> MediaLevel {
        self.level
    }
    /// The day it was published (local, UTC+8).
    async fn published_on(&self) -> NaiveDate {
        self.published_on
    }
    /// Where it can be read online.
    async fn url(&self) -> Option<&str> {
        self.url.as_deref()
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

/// Which media reports to list.
#[derive(InputObject, Default)]
pub struct MediaReportFilterInput {
    pub levels: Option<Vec<MediaLevel>>,
    /// Published on or after this day.
    pub from: Option<NaiveDate>,
    /// Published on or before this day.
    pub to: Option<NaiveDate>,
    /// Part of the title or of the outlet.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: media reports written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `mediaReports` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "MediaReportOrderField")]
pub enum MediaReportOrderField {
    /// 标题
    Title,
    /// 发布日期
    PublishedOn,
    /// 级别
    Level,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for MediaReportOrderField {
    fn column(self) -> SortColumn {
        match self {
            MediaReportOrderField::Title => SortColumn::text("title"),
            MediaReportOrderField::PublishedOn => SortColumn::date("published_on"),
            MediaReportOrderField::Level => SortColumn::code("level"),
            MediaReportOrderField::UpdatedAt => SortColumn::time("updated_at"),
            MediaReportOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(MediaReportOrder, "MediaReportOrder", MediaReportOrderField);

#[derive(Default)]
pub struct MediaReportQuery;

#[Object]
impl MediaReportQuery {
    /// A unit's media reports (with `includeSubtree`, those of every unit below it too),
    /// newest first. For the staff of the unit and of the units above it (`FORBIDDEN`
    /// otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn media_reports(
        &self,
        ctx: &Context<'_>,
        unit_id: ID,
        #[graphql(default = true)] include_subtree: bool,
        filter: Option<MediaReportFilterInput>,
        order_by: Option<MediaReportOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<MediaReportRow>> {
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
        let filter = MediaReportFilter {
            unit_id,
            include_subtree,
            levels: filter
                .levels
                .map(|levels| levels.iter().map(|l| l.as_str().to_string()).collect()),
            from: filter.from,
            to: filter.to,
            search: validate::search_pattern("filter.search", filter.search.as_deref())?,
            include_archived: filter.include_archived.unwrap_or(false),
        };
        let pool = pool(ctx)?.clone();
        let rows = db::media_reports::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::media_reports::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// A report published.
#[derive(InputObject)]
pub struct RecordMediaReportInput {
    /// The unit whose work was reported; an active unit.
    pub unit_id: ID,
    pub title: String,
    pub outlet: String,
    pub level: MediaLevel,
    /// Not in the future.
    pub published_on: NaiveDate,
    /// An `http` or `https` address.
    pub url: Option<String>,
    /// A retried record with the same key returns the first report and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a media report; absent fields stay as they are, null clears the address.
#[derive(InputObject, Default)]
pub struct UpdateMediaReportInput {
    pub unit_id: Option<ID>,
    pub title: Option<String>,
    pub outlet: Option<String>,
    pub level: Option<MediaLevel>,
    pub published_on: Option<NaiveDate>,
    pub url: MaybeUndefined<String>,
}

fn valid_report(
    unit_id: Uuid,
    title: &str,
    outlet: &str,
    level: MediaLevel,
    published_on: NaiveDate,
    url: Option<&str>,
) -> ApiResult<MediaReportFields> {
    validate::year("publishedOn", published_on.year())?;
    if published_on > china_today() {
        return Err(ApiError::validation(
            "publishedOn",
            kexie_subgraph_kit::text!(
                "{published_on} is in the future: record a report once published",
                "{published_on} 是将来的日期：报道发表后再登记"
            ),
        ));
    }
    let url = validate::optional_text("url", url, MAX_URL)?;
    if let Some(url) = &url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ApiError::validation(
                "url",
                kexie_subgraph_kit::text!(
                    "must be an http or https address",
                    "须为 http 或 https 地址"
                ),
            ));
        }
    }
    Ok(MediaReportFields {
        unit_id,
        title: validate::text("title", title, MAX_TITLE)?,
        outlet: validate::text("outlet", outlet, MAX_OUTLET)?,
        level,
        published_on,
        url,
    })
}

/// Reads and locks a live report a mutation changes; the request must write its unit's
/// records, and the client's version must be the report's.
async fn report_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
) -> ApiResult<MediaReportRow> {
    let row = db::media_reports::get_for_update(conn, id).await?;
    let row = validate::live("MediaReport", id, row, |row| row.audit.is_archived())?;
    require_record_write(ctx, conn, row.unit_id, None).await?;
    validate::expected_version("MediaReport", id, expected_version, row.audit.version)?;
    Ok(row)
}

#[derive(Default)]
pub struct MediaReportMutation;

#[Object]
impl MediaReportMutation {
    /// Records a report published. Staff record those of the units of their subtree
    /// (`FORBIDDEN` otherwise).
    async fn record_media_report(
        &self,
        ctx: &Context<'_>,
        input: RecordMediaReportInput,
    ) -> ApiResult<MediaReportRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let fields = valid_report(
            unit_id,
            &input.title,
            &input.outlet,
            input.level,
            input.published_on,
            input.url.as_deref(),
        )?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        require_record_write(ctx, &mut tx, unit_id, Some("unitId")).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "recordMediaReport",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::media_reports::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("MediaReport", existing));
        }
        let row = db::media_reports::insert(&mut tx, id, &fields, &actor.subject).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Changes a media report. Staff change those of the units of their subtree; moving one
    /// to another unit needs both (`FORBIDDEN` otherwise).
    async fn update_media_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateMediaReportInput,
    ) -> ApiResult<MediaReportRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let id = parse_id("id", &id)?;
        let new_unit = input
            .unit_id
            .as_ref()
            .map(|unit| parse_id("unitId", unit))
            .transpose()?;
        let mut tx = pool.begin().await?;
        let current = report_for_change(ctx, &mut tx, id, expected_version).await?;
        let fields = valid_report(
            new_unit.unwrap_or(current.unit_id),
            input.title.as_deref().unwrap_or(&current.title),
            input.outlet.as_deref().unwrap_or(&current.outlet),
            input.level.unwrap_or(current.level),
            input.published_on.unwrap_or(current.published_on),
            validate::patch(input.url, current.url.clone()).as_deref(),
        )?;
        if fields.unit_id != current.unit_id {
            require_record_write(ctx, &mut tx, fields.unit_id, Some("unitId")).await?;
        }
        let row = db::media_reports::update(&mut tx, id, &fields, &actor.subject).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Leaves the report out of lists and figures. Staff archive those of the units of
    /// their subtree (`FORBIDDEN` otherwise).
    async fn archive_media_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<MediaReportRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        report_for_change(ctx, &mut tx, id, expected_version).await?;
        let row = db::media_reports::archive(&mut tx, id, &actor.subject).await?;
        tx.commit().await?;
        Ok(row)
    }
}

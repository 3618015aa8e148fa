//! 调研课题: research topics of a year, led by a unit (often a learned society), from
//! proposal to the consultation report (决策咨询报告) they conclude with, and the prizes of
//! outstanding results (优秀调研成果评选).

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::history::{self as workflow, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::{Unit, Worker};
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::research_topics::{
    ReportFields, ResearchTopicFields, ResearchTopicFilter, ResearchTopicRow,
};
use crate::domain::{china_today, worker_ids, ResearchAward, ResearchTopicStatus};
use crate::policy;

const MAX_TITLE: usize = 200;
const MAX_REPORT_SUMMARY: usize = 5000;
const MAX_MEMBERS: usize = 30;

/// 决策咨询报告: the consultation report a concluded topic hands to the Party committee and
/// government.
#[derive(SimpleObject)]
pub struct ConsultationReport {
    pub title: String,
    pub summary: Option<String>,
    pub submitted_on: NaiveDate,
}

#[Object(name = "ResearchTopic")]
impl ResearchTopicRow {
    async fn id(&self) -> ID {
        ID(self.research_topic_id.to_string())
    }
    /// The year of the call the topic answers.
    async fn year(&self) -> i32 {
        self.year
    }
    async fn title(&self) -> &str {
        &self.title
    }
    /// The unit leading the research.
    async fn lead_unit(&self) -> Unit {
        Unit {
            id: self.lead_unit_id,
        }
    }
    /// The research team, in the order given.
    async fn members(&self) -> Vec<Worker> {
        self.member_ids
            .iter()
            .map(|id| Worker { id: *id })
            .collect()
    }
    async fn status(&self) -> ResearchTopicStatus {
        self.status
    }
    /// The statuses `transitionResearchTopic` accepts from here.
    async fn allowed_transitions(&self) -> Vec<ResearchTopicStatus> {
        self.status.next()
    }
    /// The consultation report, once concluded.
    async fn report(&self) -> Option<ConsultationReport> {
        match (&self.report_title, self.report_submitted_on) {
            (Some(title), Some(submitted_on)) => Some(ConsultationReport {
                title: title.clone(),
                summary: self.report_summary.clone(),
                submitted_on,
            }),
            _ => None,
        }
    }
    /// The prize of an outstanding result (优秀调研成果), if awarded.
    async fn award(&self) -> Option<ResearchAward> {
        self.award
    }
    async fn awarded_at(&self) -> Option<DateTime<Utc>> {
        self.awarded_at
    }
    /// Every step from the proposal on, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        workflow::of(ctx, self.research_topic_id).await
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

/// Which research topics to list.
#[derive(InputObject, Default)]
#[graphql(name = "ResearchTopicFilter")]
pub struct ResearchTopicFilterInput {
    /// Led by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub year: Option<i32>,
    pub statuses: Option<Vec<ResearchTopicStatus>>,
    /// Only awarded topics (true) or only the others (false).
    pub awarded: Option<bool>,
    /// Part of the title or of the report's title.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: research topics written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `researchTopics` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ResearchTopicOrderField")]
pub enum ResearchTopicOrderField {
    /// 标题
    Title,
    /// 年度
    Year,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for ResearchTopicOrderField {
    fn column(self) -> SortColumn {
        match self {
            ResearchTopicOrderField::Title => SortColumn::text("title"),
            ResearchTopicOrderField::Year => SortColumn::int("year"),
            ResearchTopicOrderField::Status => SortColumn::code("status"),
            ResearchTopicOrderField::UpdatedAt => SortColumn::time("updated_at"),
            ResearchTopicOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(
    ResearchTopicOrder,
    "ResearchTopicOrder",
    ResearchTopicOrderField
);

impl ResearchTopicFilterInput {
    /// The filter, for staff only: anyone else is refused.
    fn parse(self, ctx: &Context<'_>) -> ApiResult<ResearchTopicFilter> {
        policy::require_reader(ctx, "Research topics")?;
        if let Some(year) = self.year {
            validate::year("filter.year", year)?;
        }
        Ok(ResearchTopicFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            year: self.year,
            statuses: self.statuses.map(|values| {
                values
                    .iter()
                    .map(|value| value.as_str().to_string())
                    .collect()
            }),
            awarded: self.awarded,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.researchTopics`, whose unit is the one it hangs on.
    pub fn for_unit(
        self,
        ctx: &Context<'_>,
        include_subtree: bool,
    ) -> ApiResult<ResearchTopicFilter> {
        refuse_sync_below(self.updated_since, "researchTopics")?;
        refuse_unit_filter(self.unit_id.as_ref())?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }
}

/// `Unit.researchTopics` for a batch of units.
pub struct ResearchTopicsOfUnit(pub PgPool);

impl PerUnitQuery for ResearchTopicsOfUnit {
    type Filter = ResearchTopicFilter;
    type Row = ResearchTopicRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &ResearchTopicFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, ResearchTopicRow)>> {
        Ok(db::research_topics::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(
        &self,
        unit_ids: &[Uuid],
        filter: &ResearchTopicFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::research_topics::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct ResearchTopicQuery;

#[Object]
impl ResearchTopicQuery {
    /// A research topic by ID (archived ones too); null when there is none. For staff only
    /// (`FORBIDDEN` otherwise).
    async fn research_topic(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<ResearchTopicRow>> {
        policy::require_reader(ctx, "Research topics")?;
        Ok(
            db::research_topics::find(pool(ctx)?, &[parse_id("id", &id)?])
                .await?
                .pop(),
        )
    }

    /// Research topics, newest first. For staff only (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn research_topics(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResearchTopicFilterInput>,
        order_by: Option<ResearchTopicOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ResearchTopicRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::research_topics::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::research_topics::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// A proposed research topic.
///
/// Members are S&T workers of the talent subgraph, which this subgraph cannot read: only
/// the IDs' shape is checked (well formed, distinct, at most 30).
#[derive(InputObject)]
pub struct CreateResearchTopicInput {
    /// The leading unit; an active unit.
    pub lead_unit_id: ID,
    pub year: i32,
    pub title: String,
    #[graphql(default)]
    pub member_ids: Vec<ID>,
    /// A retried create with the same key returns the first topic and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a topic that is not yet concluded or rejected; absent fields stay as they are.
#[derive(InputObject, Default)]
pub struct UpdateResearchTopicInput {
    pub lead_unit_id: Option<ID>,
    pub year: Option<i32>,
    pub title: Option<String>,
    pub member_ids: Option<Vec<ID>>,
}

/// The report that concludes a topic.
#[derive(InputObject)]
pub struct ConsultationReportInput {
    pub title: String,
    pub summary: Option<String>,
    /// Not in the future, nor before the topic's year.
    pub submitted_on: NaiveDate,
}

fn valid_topic(
    lead_unit_id: Uuid,
    year: i32,
    title: &str,
    member_ids: Vec<Uuid>,
) -> ApiResult<ResearchTopicFields> {
    Ok(ResearchTopicFields {
        lead_unit_id,
        year: validate::year("year", year)?,
        title: validate::text("title", title, MAX_TITLE)?,
        member_ids,
    })
}

fn valid_report(input: ConsultationReportInput, year: i32) -> ApiResult<ReportFields> {
    let title = validate::text("report.title", &input.title, MAX_TITLE)?;
    let summary = validate::optional_text(
        "report.summary",
        input.summary.as_deref(),
        MAX_REPORT_SUMMARY,
    )?;
    if input.submitted_on > china_today() {
        return Err(ApiError::validation(
            "report.submittedOn",
            kexie_subgraph_kit::text!("{} is in the future", "{} 是将来的日期", input.submitted_on),
        ));
    }
    if input.submitted_on.year() < year {
        return Err(ApiError::validation(
            "report.submittedOn",
            kexie_subgraph_kit::text!(
                "{} is before the topic's year {year}",
                "{} 早于课题年度 {year}",
                input.submitted_on
            ),
        ));
    }
    Ok(ReportFields {
        title,
        summary,
        submitted_on: input.submitted_on,
    })
}

/// Reads and locks the topic a mutation changes: live, the request may write the topics of
/// its lead unit (and of `new_unit`, when it moves there), and at the client's version.
async fn topic_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    topic_id: Uuid,
    expected_version: i32,
    new_unit: Option<Uuid>,
) -> ApiResult<ResearchTopicRow> {
    let row = db::research_topics::get_for_update(conn, topic_id).await?;
    let row = validate::live("ResearchTopic", topic_id, row, |row| {
        row.audit.archived_at.is_some()
    })?;
    policy::require_write(ctx, conn, row.lead_unit_id, new_unit).await?;
    validate::expected_version(
        "ResearchTopic",
        topic_id,
        expected_version,
        row.audit.version,
    )?;
    Ok(row)
}

#[derive(Default)]
pub struct ResearchTopicMutation;

#[Object]
impl ResearchTopicMutation {
    /// Proposes a topic (PROPOSED). Staff propose topics led by the units of their
    /// subtree (`FORBIDDEN` otherwise).
    async fn create_research_topic(
        &self,
        ctx: &Context<'_>,
        input: CreateResearchTopicInput,
    ) -> ApiResult<ResearchTopicRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("leadUnitId", &input.lead_unit_id)?;
        let member_ids = worker_ids("memberIds", &input.member_ids, 0, MAX_MEMBERS)?;
        let fields = valid_topic(unit_id, input.year, &input.title, member_ids)?;
        require_active_unit(pool, "leadUnitId", unit_id).await?;
        let topic_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_write(ctx, &mut tx, unit_id, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createResearchTopic",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            topic_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::research_topics::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("ResearchTopic", existing));
        }
        db::research_topics::insert(&mut tx, topic_id, &fields, &actor.subject).await?;
        let proposed = ResearchTopicStatus::Proposed.as_str();
        workflow::record(&mut tx, topic_id, None, proposed, &actor, None).await?;
        let topic = db::research_topics::get(&mut tx, topic_id).await?;
        tx.commit().await?;
        Ok(topic)
    }

    /// Changes a topic. A concluded or rejected topic is a closed record: changing it is
    /// refused with `ILLEGAL_TRANSITION`. Staff change the topics the units of their subtree
    /// lead; moving one to another lead unit needs both (`FORBIDDEN` otherwise).
    async fn update_research_topic(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateResearchTopicInput,
    ) -> ApiResult<ResearchTopicRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let topic_id = parse_id("id", &id)?;
        let new_unit = parse_optional_id("leadUnitId", input.lead_unit_id.as_ref())?;
        let new_members = input
            .member_ids
            .as_deref()
            .map(|ids| worker_ids("memberIds", ids, 0, MAX_MEMBERS))
            .transpose()?;
        let mut tx = pool.begin().await?;
        let current = topic_for_change(ctx, &mut tx, topic_id, expected_version, new_unit).await?;
        current.status.check_editable()?;
        let fields = valid_topic(
            new_unit.unwrap_or(current.lead_unit_id),
            input.year.unwrap_or(current.year),
            input.title.as_deref().unwrap_or(&current.title),
            new_members.unwrap_or_else(|| current.member_ids.clone()),
        )?;
        if let Some(unit_id) = new_unit.filter(|unit_id| *unit_id != current.lead_unit_id) {
            require_active_unit(pool, "leadUnitId", unit_id).await?;
        }
        db::research_topics::update(&mut tx, topic_id, &fields, &actor.subject).await?;
        let topic = db::research_topics::get(&mut tx, topic_id).await?;
        tx.commit().await?;
        Ok(topic)
    }

    /// Moves the topic one step: PROPOSED → APPROVED or REJECTED, APPROVED → IN_PROGRESS,
    /// IN_PROGRESS → CONCLUDED (which requires the `report`; no other step takes one).
    /// Staff move the topics the units of their subtree lead (`FORBIDDEN` otherwise).
    async fn transition_research_topic(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: ResearchTopicStatus,
        note: Option<String>,
        report: Option<ConsultationReportInput>,
    ) -> ApiResult<ResearchTopicRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let topic_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        match (to, &report) {
            (ResearchTopicStatus::Concluded, None) => {
                return Err(ApiError::validation(
                    "report",
                    kexie_subgraph_kit::text!(
                        "concluding a topic needs its consultation report (决策咨询报告)",
                        "结题须提交决策咨询报告"
                    ),
                ))
            }
            (to, Some(_)) if to != ResearchTopicStatus::Concluded => {
                return Err(ApiError::validation(
                    "report",
                    kexie_subgraph_kit::text!(
                        "is only given when moving to CONCLUDED",
                        "仅在改为 CONCLUDED（已结题）时填写"
                    ),
                ))
            }
            _ => {}
        }
        let mut tx = pool.begin().await?;
        let current = topic_for_change(ctx, &mut tx, topic_id, expected_version, None).await?;
        current.status.check_step(to)?;
        let report = report
            .map(|report| valid_report(report, current.year))
            .transpose()?;
        db::research_topics::set_status(&mut tx, topic_id, to, report.as_ref(), &actor.subject)
            .await?;
        workflow::record(
            &mut tx,
            topic_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        let topic = db::research_topics::get(&mut tx, topic_id).await?;
        tx.commit().await?;
        Ok(topic)
    }

    /// Awards a concluded topic's result a prize (优秀调研成果), replacing an earlier one.
    /// A topic that is not CONCLUDED is refused with `ILLEGAL_TRANSITION`. Staff award the
    /// topics the units of their subtree lead (`FORBIDDEN` otherwise).
    async fn award_research_topic(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        award: ResearchAward,
    ) -> ApiResult<ResearchTopicRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let topic_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        let current = topic_for_change(ctx, &mut tx, topic_id, expected_version, None).await?;
        current.status.check_awardable()?;
        db::research_topics::award(&mut tx, topic_id, award, &actor.subject).await?;
        let topic = db::research_topics::get(&mut tx, topic_id).await?;
        tx.commit().await?;
        Ok(topic)
    }

    /// Leaves the topic out of lists; it can still be looked up. Staff archive the topics
    /// the units of their subtree lead (`FORBIDDEN` otherwise).
    async fn archive_research_topic(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<ResearchTopicRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let topic_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        topic_for_change(ctx, &mut tx, topic_id, expected_version, None).await?;
        db::research_topics::archive(&mut tx, topic_id, &actor.subject).await?;
        let topic = db::research_topics::get(&mut tx, topic_id).await?;
        tx.commit().await?;
        Ok(topic)
    }
}

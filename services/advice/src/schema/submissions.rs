//! 建议: advice submissions and their workflow "征集、提炼、报送" (collect, refine, forward):
//! DRAFT → SUBMITTED → UNDER_REVIEW → REFINED → FORWARDED → INSTRUCTED (批示) → ADOPTED,
//! with RETURNED (for revision, then SUBMITTED again) and CLOSED (not adopted) from review.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::history::{self as workflow, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::{Unit, Worker};
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::campaigns::CampaignRow;
use crate::db::submissions::{
    InstructionFields, SubmissionFields, SubmissionFilter, SubmissionRow,
};
use crate::domain::{
    china_today, worker_ids, LeaderLevel, SubmissionCategory, SubmissionChannel, SubmissionStatus,
};
use crate::policy;

const MAX_TITLE: usize = 200;
const MAX_SUMMARY: usize = 2000;
/// A submission's full text: long, but bounded.
const MAX_BODY: usize = 20_000;
const MAX_AUTHORS: usize = 20;
const MAX_LEADER: usize = 100;
const MAX_INSTRUCTION_NOTE: usize = 2000;

/// 批示: a leader's written instruction on a forwarded submission.
#[derive(SimpleObject)]
pub struct Instruction {
    pub leader_level: LeaderLevel,
    /// The leader's post or name, e.g. "市委书记".
    pub leader: Option<String>,
    /// What the leader wrote.
    pub note: Option<String>,
    pub instructed_on: NaiveDate,
}

#[Object(name = "Submission")]
impl SubmissionRow {
    async fn id(&self) -> ID {
        ID(self.submission_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    async fn summary(&self) -> &str {
        &self.summary
    }
    /// The full text.
    async fn body(&self) -> &str {
        &self.body
    }
    async fn category(&self) -> SubmissionCategory {
        self.category
    }
    async fn channel(&self) -> SubmissionChannel {
        self.channel
    }
    async fn status(&self) -> SubmissionStatus {
        self.status
    }
    /// The statuses `transitionSubmission` accepts from here.
    async fn allowed_transitions(&self) -> Vec<SubmissionStatus> {
        self.status.next()
    }
    /// The S&T workers who wrote it, in the order given.
    async fn authors(&self) -> Vec<Worker> {
        self.author_ids
            .iter()
            .map(|id| Worker { id: *id })
            .collect()
    }
    /// The unit that submitted it.
    async fn submitting_unit(&self) -> Unit {
        Unit {
            id: self.submitting_unit_id,
        }
    }
    /// The campaign it answers, if any.
    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Option<CampaignRow>> {
        match self.campaign_id {
            Some(campaign_id) => load_by_id::<CampaignRow>(ctx, campaign_id).await,
            None => Ok(None),
        }
    }
    /// The day (China time) it was first submitted; a resubmission keeps it.
    async fn submitted_on(&self) -> Option<NaiveDate> {
        self.submitted_on
    }
    /// The leader's instruction, once INSTRUCTED.
    async fn instruction(&self) -> Option<Instruction> {
        match (self.instruction_leader_level, self.instructed_on) {
            (Some(leader_level), Some(instructed_on)) => Some(Instruction {
                leader_level,
                leader: self.instruction_leader.clone(),
                note: self.instruction_note.clone(),
                instructed_on,
            }),
            _ => None,
        }
    }
    /// Every step from creation on, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        workflow::of(ctx, self.submission_id).await
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

/// Which submissions to list.
#[derive(InputObject, Default)]
#[graphql(name = "SubmissionFilter")]
pub struct SubmissionFilterInput {
    /// Submitted by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub statuses: Option<Vec<SubmissionStatus>>,
    pub categories: Option<Vec<SubmissionCategory>>,
    pub channels: Option<Vec<SubmissionChannel>>,
    pub campaign_id: Option<ID>,
    /// Written by this worker (among others).
    pub author_id: Option<ID>,
    /// First submitted on or after this day.
    pub submitted_from: Option<NaiveDate>,
    /// First submitted on or before this day.
    pub submitted_to: Option<NaiveDate>,
    /// Part of the title or summary.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: submissions written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `submissions` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "SubmissionOrderField")]
pub enum SubmissionOrderField {
    /// 标题
    Title,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for SubmissionOrderField {
    fn column(self) -> SortColumn {
        match self {
            SubmissionOrderField::Title => SortColumn::text("title"),
            SubmissionOrderField::Status => SortColumn::code("status"),
            SubmissionOrderField::UpdatedAt => SortColumn::time("updated_at"),
            SubmissionOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(SubmissionOrder, "SubmissionOrder", SubmissionOrderField);

impl SubmissionFilterInput {
    /// The filter as the request may apply it: a partner key's lists hold only the
    /// submissions it created; anyone but staff and such keys is refused.
    fn parse(self, ctx: &Context<'_>) -> ApiResult<SubmissionFilter> {
        let created_by = policy::submission_reader(ctx)?;
        validate::date_order("filter.submittedTo", self.submitted_from, self.submitted_to)?;
        Ok(SubmissionFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            statuses: self.statuses.map(|values| {
                values
                    .iter()
                    .map(|value| value.as_str().to_string())
                    .collect()
            }),
            categories: self.categories.map(|values| {
                values
                    .iter()
                    .map(|value| value.as_str().to_string())
                    .collect()
            }),
            channels: self.channels.map(|values| {
                values
                    .iter()
                    .map(|value| value.as_str().to_string())
                    .collect()
            }),
            campaign_id: parse_optional_id("filter.campaignId", self.campaign_id.as_ref())?,
            author_id: parse_optional_id("filter.authorId", self.author_id.as_ref())?,
            submitted_from: self.submitted_from,
            submitted_to: self.submitted_to,
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
            created_by,
        })
    }

    /// The filter of `Unit.submissions`, whose unit is the one it hangs on.
    pub fn for_unit(self, ctx: &Context<'_>, include_subtree: bool) -> ApiResult<SubmissionFilter> {
        refuse_sync_below(self.updated_since, "submissions")?;
        refuse_unit_filter(self.unit_id.as_ref())?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }

    /// The filter of `Worker.submissions`, whose author is the worker it hangs on.
    pub fn for_worker(self, ctx: &Context<'_>) -> ApiResult<SubmissionFilter> {
        refuse_sync_below(self.updated_since, "submissions")?;
        if self.author_id.is_some() {
            return Err(ApiError::validation(
                "filter.authorId",
                kexie_subgraph_kit::text!(
                    "is implied by the worker this list hangs on; leave it out",
                    "已由本列表所属的科技工作者确定，请省略"
                ),
            ));
        }
        self.parse(ctx)
    }
}

/// `Unit.submissions` for a batch of units.
pub struct SubmissionsOfUnit(pub PgPool);

impl PerUnitQuery for SubmissionsOfUnit {
    type Filter = SubmissionFilter;
    type Row = SubmissionRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &SubmissionFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, SubmissionRow)>> {
        Ok(db::submissions::of_units(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(
        &self,
        unit_ids: &[Uuid],
        filter: &SubmissionFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::submissions::count_of_units(&self.0, unit_ids, filter).await?)
    }
}

/// `Worker.submissions` for a batch of workers (the per-unit batching serves any key).
pub struct SubmissionsOfWorker(pub PgPool);

impl PerUnitQuery for SubmissionsOfWorker {
    type Filter = SubmissionFilter;
    type Row = SubmissionRow;

    async fn fetch(
        &self,
        worker_ids: &[Uuid],
        filter: &SubmissionFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, SubmissionRow)>> {
        Ok(db::submissions::of_authors(&self.0, worker_ids, filter, page).await?)
    }

    async fn count(
        &self,
        worker_ids: &[Uuid],
        filter: &SubmissionFilter,
    ) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::submissions::count_of_authors(&self.0, worker_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct SubmissionQuery;

#[Object]
impl SubmissionQuery {
    /// A submission by ID (archived ones too); null when there is none. Staff read every
    /// submission; a partner key with `advice:submit` reads those it created (null for
    /// any other); anyone else is refused with `FORBIDDEN`.
    async fn submission(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<SubmissionRow>> {
        let created_by = policy::submission_reader(ctx)?;
        let submission_id = parse_id("id", &id)?;
        Ok(db::submissions::find(pool(ctx)?, &[submission_id])
            .await?
            .pop()
            .filter(|row| {
                created_by
                    .as_ref()
                    .is_none_or(|by| *by == row.audit.created_by)
            }))
    }

    /// Submissions, newest first. Staff list every submission; a partner key with
    /// `advice:submit` lists those it created; anyone else is refused with `FORBIDDEN`.
    #[allow(clippy::too_many_arguments)]
    async fn submissions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SubmissionFilterInput>,
        order_by: Option<SubmissionOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<SubmissionRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::submissions::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::submissions::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// A new submission, created as a DRAFT (or submitted at once with `submit: true`).
///
/// Authors are S&T workers of the talent subgraph. This subgraph cannot read talent's
/// records, so it checks only that the IDs are well formed, distinct, and 1 to 20 of them;
/// the gateway resolves them through the `Worker` entity.
#[derive(InputObject)]
pub struct CreateSubmissionInput {
    /// The submitting unit; an active unit.
    pub submitting_unit_id: ID,
    pub title: String,
    pub summary: String,
    /// The full text, up to 20,000 characters.
    pub body: String,
    pub category: SubmissionCategory,
    pub channel: SubmissionChannel,
    /// The campaign it answers; required for the CAMPAIGN channel.
    pub campaign_id: Option<ID>,
    /// 1 to 20 distinct worker IDs, first author first.
    pub author_ids: Vec<ID>,
    /// Submit at once (DRAFT → SUBMITTED in the same write), as partner bureaus do.
    #[graphql(default = false)]
    pub submit: bool,
    /// A retried create with the same key returns the first submission and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a DRAFT or RETURNED submission; absent fields stay as they are, a null
/// campaign detaches it. Author IDs are checked as on creation.
#[derive(InputObject, Default)]
pub struct UpdateSubmissionInput {
    pub submitting_unit_id: Option<ID>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub category: Option<SubmissionCategory>,
    pub channel: Option<SubmissionChannel>,
    pub campaign_id: MaybeUndefined<ID>,
    pub author_ids: Option<Vec<ID>>,
}

/// The instruction (批示) that moves a forwarded submission to INSTRUCTED.
#[derive(InputObject)]
pub struct InstructionInput {
    pub leader_level: LeaderLevel,
    /// The leader's post or name.
    pub leader: Option<String>,
    /// What the leader wrote.
    pub note: Option<String>,
    /// Not in the future, nor before the submission was submitted.
    pub instructed_on: NaiveDate,
}

/// Checks the text fields and the channel's need for a campaign.
fn valid_submission(
    fields: (Uuid, Option<Uuid>),
    title: &str,
    summary: &str,
    body: &str,
    category: SubmissionCategory,
    channel: SubmissionChannel,
    author_ids: Vec<Uuid>,
) -> ApiResult<SubmissionFields> {
    let (submitting_unit_id, campaign_id) = fields;
    if channel == SubmissionChannel::Campaign && campaign_id.is_none() {
        return Err(ApiError::validation(
            "campaignId",
            kexie_subgraph_kit::text!(
                "a submission of the CAMPAIGN channel names its campaign",
                "通过征集活动（CAMPAIGN）渠道提交的建言须指明征集活动"
            ),
        ));
    }
    Ok(SubmissionFields {
        submitting_unit_id,
        campaign_id,
        title: validate::text("title", title, MAX_TITLE)?,
        summary: validate::text("summary", summary, MAX_SUMMARY)?,
        body: validate::text("body", body, MAX_BODY)?,
        category,
        channel,
        author_ids,
    })
}

/// The campaign a submission names must exist and still be live.
async fn check_campaign(pool: &PgPool, campaign_id: Uuid) -> ApiResult<()> {
    let campaign = db::campaigns::find(pool, &[campaign_id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("Campaign", campaign_id))?;
    if campaign.audit.archived_at.is_some() {
        return Err(ApiError::validation(
            "campaignId",
            kexie_subgraph_kit::text!(
                "campaign {} is archived",
                "征集活动 {} 已归档",
                campaign.title
            ),
        ));
    }
    Ok(())
}

fn valid_instruction(input: InstructionInput) -> ApiResult<InstructionFields> {
    let today = china_today();
    if input.instructed_on > today {
        return Err(ApiError::validation(
            "instruction.instructedOn",
            kexie_subgraph_kit::text!(
                "{} is in the future",
                "{} 是将来的日期",
                input.instructed_on
            ),
        ));
    }
    Ok(InstructionFields {
        leader_level: input.leader_level,
        leader: validate::optional_text("instruction.leader", input.leader.as_deref(), MAX_LEADER)?,
        note: validate::optional_text(
            "instruction.note",
            input.note.as_deref(),
            MAX_INSTRUCTION_NOTE,
        )?,
        instructed_on: input.instructed_on,
    })
}

/// What a mutation does to a submission, as far as who may do it goes.
enum SubmissionChange {
    /// Edits it, moving it to another submitting unit if given.
    Edit {
        new_unit: Option<Uuid>,
    },
    /// Moves it along the workflow.
    Step(SubmissionStatus),
    Archive,
}

/// Reads and locks the submission a mutation changes: live, the request may make `change`,
/// and at the client's version.
async fn submission_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    submission_id: Uuid,
    expected_version: i32,
    change: SubmissionChange,
) -> ApiResult<SubmissionRow> {
    let row = db::submissions::get_for_update(conn, submission_id).await?;
    let row = validate::live("Submission", submission_id, row, |row| {
        row.audit.archived_at.is_some()
    })?;
    match change {
        SubmissionChange::Edit { new_unit } => {
            policy::require_submission_edit(ctx, conn, &row, new_unit).await?
        }
        SubmissionChange::Step(to) => policy::require_submission_step(ctx, conn, &row, to).await?,
        SubmissionChange::Archive => {
            policy::require_write(ctx, conn, row.submitting_unit_id, None).await?
        }
    }
    validate::expected_version(
        "Submission",
        submission_id,
        expected_version,
        row.audit.version,
    )?;
    Ok(row)
}

#[derive(Default)]
pub struct SubmissionMutation;

#[Object]
impl SubmissionMutation {
    /// Creates a submission as a DRAFT (or SUBMITTED with `submit: true`). Staff create
    /// submissions for the units of their subtree; a partner key with `advice:submit`
    /// for any unit. Anyone else is refused with `FORBIDDEN`.
    async fn create_submission(
        &self,
        ctx: &Context<'_>,
        input: CreateSubmissionInput,
    ) -> ApiResult<SubmissionRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("submittingUnitId", &input.submitting_unit_id)?;
        let campaign_id = parse_optional_id("campaignId", input.campaign_id.as_ref())?;
        let author_ids = worker_ids("authorIds", &input.author_ids, 1, MAX_AUTHORS)?;
        let fields = valid_submission(
            (unit_id, campaign_id),
            &input.title,
            &input.summary,
            &input.body,
            input.category,
            input.channel,
            author_ids,
        )?;
        require_active_unit(pool, "submittingUnitId", unit_id).await?;
        if let Some(campaign_id) = campaign_id {
            check_campaign(pool, campaign_id).await?;
        }
        let submission_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_submission_create(ctx, &mut tx, unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createSubmission",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            submission_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::submissions::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Submission", existing));
        }
        db::submissions::insert(&mut tx, submission_id, &fields, &actor.subject).await?;
        let draft = SubmissionStatus::Draft.as_str();
        workflow::record(&mut tx, submission_id, None, draft, &actor, None).await?;
        if input.submit {
            let submitted = SubmissionStatus::Submitted;
            db::submissions::set_status(
                &mut tx,
                submission_id,
                submitted,
                Some(china_today()),
                None,
                &actor.subject,
            )
            .await?;
            workflow::record(
                &mut tx,
                submission_id,
                Some(draft),
                submitted.as_str(),
                &actor,
                None,
            )
            .await?;
        }
        let submission = db::submissions::get(&mut tx, submission_id).await?;
        tx.commit().await?;
        Ok(submission)
    }

    /// Changes a DRAFT or RETURNED submission. Any other status is refused with
    /// `ILLEGAL_TRANSITION`: the refusal comes from where the submission stands in the
    /// workflow, not from the input, and the way forward is a transition (RETURNED).
    /// Staff change the submissions of the units of their subtree (moving one to another
    /// submitting unit needs both); a partner key with `advice:submit` changes those it
    /// created. Anyone else is refused with `FORBIDDEN`.
    async fn update_submission(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateSubmissionInput,
    ) -> ApiResult<SubmissionRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let submission_id = parse_id("id", &id)?;
        let new_unit = parse_optional_id("submittingUnitId", input.submitting_unit_id.as_ref())?;
        let new_campaign = match &input.campaign_id {
            MaybeUndefined::Value(campaign_id) => {
                MaybeUndefined::Value(parse_id("campaignId", campaign_id)?)
            }
            MaybeUndefined::Null => MaybeUndefined::Null,
            MaybeUndefined::Undefined => MaybeUndefined::Undefined,
        };
        let new_authors = input
            .author_ids
            .as_deref()
            .map(|ids| worker_ids("authorIds", ids, 1, MAX_AUTHORS))
            .transpose()?;
        let mut tx = pool.begin().await?;
        let current = submission_for_change(
            ctx,
            &mut tx,
            submission_id,
            expected_version,
            SubmissionChange::Edit { new_unit },
        )
        .await?;
        current.status.check_editable()?;
        let campaign_id = validate::patch(new_campaign, current.campaign_id);
        let fields = valid_submission(
            (new_unit.unwrap_or(current.submitting_unit_id), campaign_id),
            input.title.as_deref().unwrap_or(&current.title),
            input.summary.as_deref().unwrap_or(&current.summary),
            input.body.as_deref().unwrap_or(&current.body),
            input.category.unwrap_or(current.category),
            input.channel.unwrap_or(current.channel),
            new_authors.unwrap_or_else(|| current.author_ids.clone()),
        )?;
        if let Some(unit_id) = new_unit.filter(|unit_id| *unit_id != current.submitting_unit_id) {
            require_active_unit(pool, "submittingUnitId", unit_id).await?;
        }
        if let Some(campaign_id) = campaign_id.filter(|id| Some(*id) != current.campaign_id) {
            check_campaign(pool, campaign_id).await?;
        }
        db::submissions::update(&mut tx, submission_id, &fields, &actor.subject).await?;
        let submission = db::submissions::get(&mut tx, submission_id).await?;
        tx.commit().await?;
        Ok(submission)
    }

    /// Moves the submission one step along its workflow, recording who, when and the
    /// note. Moving to INSTRUCTED requires the leader's `instruction`; no other step takes
    /// one. A step the workflow does not allow is refused with `ILLEGAL_TRANSITION`.
    ///
    /// Submitting (DRAFT → SUBMITTED, RETURNED → SUBMITTED) is for whoever may change the
    /// submission (see `updateSubmission`). Every later step — review, refinement,
    /// forwarding, instruction, adoption, return, closing — is the review of the
    /// association above the submitting unit: staff of a unit strictly above it, or the
    /// city's administrators. Staff cannot review or adopt their own unit's proposal;
    /// partner keys and leadership take no step of review. Anyone else is refused with
    /// `FORBIDDEN`.
    async fn transition_submission(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: SubmissionStatus,
        note: Option<String>,
        instruction: Option<InstructionInput>,
    ) -> ApiResult<SubmissionRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let submission_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        let instruction = match (to, instruction) {
            (SubmissionStatus::Instructed, Some(instruction)) => {
                Some(valid_instruction(instruction)?)
            }
            (SubmissionStatus::Instructed, None) => {
                return Err(ApiError::validation(
                    "instruction",
                    kexie_subgraph_kit::text!(
                        "moving to INSTRUCTED needs the leader's instruction (批示)",
                        "改为 INSTRUCTED（已获批示）须填写领导批示"
                    ),
                ))
            }
            (_, Some(_)) => {
                return Err(ApiError::validation(
                    "instruction",
                    kexie_subgraph_kit::text!(
                        "is only given when moving to INSTRUCTED",
                        "仅在改为 INSTRUCTED（已获批示）时填写"
                    ),
                ))
            }
            (_, None) => None,
        };
        let mut tx = pool.begin().await?;
        let current = submission_for_change(
            ctx,
            &mut tx,
            submission_id,
            expected_version,
            SubmissionChange::Step(to),
        )
        .await?;
        current.status.check_step(to)?;
        if let (Some(instruction), Some(submitted_on)) = (&instruction, current.submitted_on) {
            if instruction.instructed_on < submitted_on {
                return Err(ApiError::validation(
                    "instruction.instructedOn",
                    kexie_subgraph_kit::text!(
                        "{} is before the submission was submitted on {submitted_on}",
                        "{} 早于建言提交日期 {submitted_on}",
                        instruction.instructed_on
                    ),
                ));
            }
        }
        let submitted_on = (to == SubmissionStatus::Submitted).then(china_today);
        db::submissions::set_status(
            &mut tx,
            submission_id,
            to,
            submitted_on,
            instruction.as_ref(),
            &actor.subject,
        )
        .await?;
        workflow::record(
            &mut tx,
            submission_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        let submission = db::submissions::get(&mut tx, submission_id).await?;
        tx.commit().await?;
        Ok(submission)
    }

    /// Leaves the submission out of lists (whatever its status); it can still be looked up.
    /// Staff archive the submissions of the units of their subtree (`FORBIDDEN`
    /// otherwise).
    async fn archive_submission(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<SubmissionRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let submission_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        submission_for_change(
            ctx,
            &mut tx,
            submission_id,
            expected_version,
            SubmissionChange::Archive,
        )
        .await?;
        db::submissions::archive(&mut tx, submission_id, &actor.subject).await?;
        let submission = db::submissions::get(&mut tx, submission_id).await?;
        tx.commit().await?;
        Ok(submission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_channel_submission_needs_its_campaign() {
        let unit = Uuid::now_v7();
        let fields = valid_submission(
            (unit, None),
            "关于加快电子信息产业发展的建议",
            "摘要",
            "正文",
            SubmissionCategory::Industry,
            SubmissionChannel::Campaign,
            vec![Uuid::now_v7()],
        );
        assert!(matches!(fields, Err(ApiError::Validation { .. })));
    }
}

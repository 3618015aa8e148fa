//! 供需对接: a need brought together with a result or an expert, PROPOSED → NEGOTIATING →
//! CONTRACTED (the contract and its amount) → TRANSFERRED (成果转化), or FAILED before a
//! contract.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::china_today;
use kexie_subgraph_kit::history::{self as workflow, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::{load_by_id, Audit};
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::Worker;
use super::needs::{amount, need_for_change, past_day, step_need};
use super::pool;
use crate::db;
use crate::db::events::EventRow;
use crate::db::matches::{ContractFields, MatchFilter, MatchRow, NewMatch, Party};
use crate::db::needs::NeedRow;
use crate::db::results::ResultRow;
use crate::domain::{EventStatus, MatchStatus, NeedStatus};
use crate::policy;

/// 签约: the contract a match ended in.
#[derive(SimpleObject)]
pub struct Contract {
    pub signed_on: NaiveDate,
    /// 万元.
    pub amount: f64,
}

#[Object(name = "NeedMatch")]
impl MatchRow {
    async fn id(&self) -> ID {
        ID(self.need_match_id.to_string())
    }
    /// The need (null only if it is archived and the caller may not see it).
    async fn need(&self, ctx: &Context<'_>) -> ApiResult<Option<NeedRow>> {
        load_by_id(ctx, self.tech_need_id).await
    }
    /// The result proposed, if a result was.
    async fn science_result(&self, ctx: &Context<'_>) -> ApiResult<Option<ResultRow>> {
        match self.science_result_id {
            Some(id) => load_by_id(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The expert proposed (talent's S&T worker), with or without a result.
    async fn expert(&self) -> Option<Worker> {
        self.expert_id.map(|id| Worker { id })
    }
    /// The event at which the match was brokered (科创会·市州行 …), if any.
    async fn event(&self, ctx: &Context<'_>) -> ApiResult<Option<EventRow>> {
        match self.innovation_event_id {
            Some(id) => load_by_id(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn status(&self) -> MatchStatus {
        self.status
    }
    /// The statuses `transitionNeedMatch` accepts from here.
    async fn allowed_transitions(&self) -> Vec<MatchStatus> {
        self.status.next()
    }
    /// The day it was proposed.
    async fn proposed_on(&self) -> NaiveDate {
        self.proposed_on
    }
    /// The contract, once signed.
    async fn contract(&self) -> Option<Contract> {
        Some(Contract {
            signed_on: self.contract_signed_on?,
            amount: self.contract_amount?,
        })
    }
    /// The day the result was put to use in the enterprise (成果转化).
    async fn transferred_on(&self) -> Option<NaiveDate> {
        self.transferred_on
    }
    /// Every step from the proposal on, oldest first, with who, when and the note.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        workflow::of(ctx, self.need_match_id).await
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

/// Which matches to list.
#[derive(InputObject, Default)]
#[graphql(name = "NeedMatchFilter")]
pub struct MatchFilterInput {
    /// Of the needs this unit published.
    pub unit_id: Option<ID>,
    /// With `unitId`: of the needs of any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub statuses: Option<Vec<MatchStatus>>,
    /// Contracts signed on or after this day.
    pub signed_from: Option<NaiveDate>,
    /// Contracts signed on or before this day.
    pub signed_to: Option<NaiveDate>,
    /// Incremental sync: matches written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `needMatches` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "NeedMatchOrderField")]
pub enum MatchOrderField {
    /// 对接日期
    ProposedOn,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for MatchOrderField {
    fn column(self) -> SortColumn {
        match self {
            MatchOrderField::ProposedOn => SortColumn::date("proposed_on"),
            MatchOrderField::Status => SortColumn::code("status"),
            MatchOrderField::UpdatedAt => SortColumn::time("updated_at"),
            MatchOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(MatchOrder, "NeedMatchOrder", MatchOrderField);

impl MatchFilterInput {
    fn parse(self, ctx: &Context<'_>) -> ApiResult<MatchFilter> {
        policy::require_reader(ctx, "Matches")?;
        validate::date_order("filter.signedTo", self.signed_from, self.signed_to)?;
        Ok(MatchFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            statuses: self
                .statuses
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            signed_from: self.signed_from,
            signed_to: self.signed_to,
        })
    }

    /// The filter of a list on a need, a result or an expert.
    pub fn for_party(self, ctx: &Context<'_>) -> ApiResult<MatchFilter> {
        refuse_sync_below(self.updated_since, "needMatches")?;
        self.parse(ctx)
    }
}

/// The matches of a batch of needs, results or experts.
macro_rules! matches_of {
    ($name:ident, $party:expr) => {
        pub struct $name(pub PgPool);

        impl PerUnitQuery for $name {
            type Filter = MatchFilter;
            type Row = MatchRow;

            async fn fetch(
                &self,
                ids: &[Uuid],
                filter: &MatchFilter,
                page: PageArgs,
            ) -> ApiResult<Vec<(Uuid, MatchRow)>> {
                Ok(db::matches::of_parties(&self.0, $party, ids, filter, page).await?)
            }

            async fn count(
                &self,
                ids: &[Uuid],
                filter: &MatchFilter,
            ) -> ApiResult<Vec<(Uuid, i64)>> {
                Ok(db::matches::count_of_parties(&self.0, $party, ids, filter).await?)
            }
        }
    };
}

matches_of!(MatchesOfNeed, Party::Need);
matches_of!(MatchesOfResult, Party::Result);
matches_of!(MatchesOfExpert, Party::Expert);
matches_of!(MatchesOfEvent, Party::Event);

#[derive(Default)]
pub struct MatchQuery;

#[Object]
impl MatchQuery {
    /// A match by ID; null when there is none. For staff and keys with `innovation:read`
    /// (`FORBIDDEN` otherwise).
    async fn need_match(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<MatchRow>> {
        policy::require_reader(ctx, "Matches")?;
        Ok(db::matches::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }

    /// Matches of live needs, newest first. For staff and keys with `innovation:read`
    /// (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn need_matches(
        &self,
        ctx: &Context<'_>,
        filter: Option<MatchFilterInput>,
        order_by: Option<MatchOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<MatchRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::matches::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::matches::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

/// A result or an expert (or both: the expert behind the result) to propose for a need.
///
/// The expert belongs to the talent subgraph, which this subgraph cannot read: only the
/// ID's shape is checked.
#[derive(InputObject)]
pub struct ProposeNeedMatchInput {
    pub need_id: ID,
    pub science_result_id: Option<ID>,
    pub expert_id: Option<ID>,
    /// The day it was proposed; today (UTC+8) when absent, never in the future nor before
    /// the need was published.
    pub proposed_on: Option<NaiveDate>,
    /// The event at which it was brokered: a live event not cancelled, on or after whose
    /// first day the match is proposed.
    pub event_id: Option<ID>,
    pub note: Option<String>,
    /// A retried proposal with the same key returns the first match and writes nothing.
    pub idempotency_key: Option<String>,
}

/// The contract that moves a match to CONTRACTED.
#[derive(InputObject)]
pub struct ContractInput {
    /// Not in the future, nor before the match was proposed.
    pub signed_on: NaiveDate,
    /// 万元, 0 to 1,000,000.
    pub amount: f64,
}

/// Reads and locks the match a mutation changes, with its need (locked first, as every
/// write to a need's matches does): the request may write the need's unit's records, and
/// the match is at the client's version.
async fn match_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    match_id: Uuid,
    expected_version: i32,
) -> ApiResult<(NeedRow, MatchRow)> {
    let need_id = db::matches::find_need(conn, match_id)
        .await?
        .ok_or_else(|| ApiError::not_found("NeedMatch", match_id))?;
    let need = need_for_change(ctx, conn, need_id, None, None).await?;
    let row = db::matches::get_for_update(conn, match_id)
        .await?
        .ok_or_else(|| ApiError::not_found("NeedMatch", match_id))?;
    validate::expected_version("NeedMatch", match_id, expected_version, row.audit.version)?;
    Ok((need, row))
}

#[derive(Default)]
pub struct MatchMutation;

#[Object]
impl MatchMutation {
    /// Proposes a result, an expert or both for an open need (PROPOSED); a PUBLISHED need
    /// moves to MATCHING with it. The same result, or the same expert without a result,
    /// proposed again while an earlier match of the need is live is `DUPLICATE`. Staff
    /// broker the needs of the units of their subtree (`FORBIDDEN` otherwise).
    async fn propose_need_match(
        &self,
        ctx: &Context<'_>,
        input: ProposeNeedMatchInput,
    ) -> ApiResult<MatchRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let need_id = parse_id("needId", &input.need_id)?;
        let result_id = parse_optional_id("scienceResultId", input.science_result_id.as_ref())?;
        let expert_id = parse_optional_id("expertId", input.expert_id.as_ref())?;
        let event_id = parse_optional_id("eventId", input.event_id.as_ref())?;
        if result_id.is_none() && expert_id.is_none() {
            return Err(ApiError::validation(
                "scienceResultId",
                kexie_subgraph_kit::text!(
                    "a match proposes a result, an expert or both",
                    "对接须提出一项成果、一位专家或两者"
                ),
            ));
        }
        let note = super::note(input.note.as_deref())?;
        let proposed_on = past_day("proposedOn", input.proposed_on.unwrap_or_else(china_today))?;
        let match_id = new_id();
        let mut tx = pool.begin().await?;
        let need = need_for_change(ctx, &mut tx, need_id, None, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "proposeNeedMatch",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            match_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::matches::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("NeedMatch", existing));
        }
        need.status.check_open("matched")?;
        if proposed_on < need.published_on {
            return Err(ApiError::validation(
                "proposedOn",
                kexie_subgraph_kit::text!(
                    "{proposed_on} is before the need was published ({})",
                    "{proposed_on} 早于需求发布日期（{}）",
                    need.published_on
                ),
            ));
        }
        if let Some(result_id) = result_id {
            let result = db::results::find(pool, &[result_id]).await?.pop();
            validate::live("ScienceResult", result_id, result, |row| {
                row.audit.is_archived()
            })?;
        }
        if let Some(event_id) = event_id {
            let event = db::events::find(pool, &[event_id]).await?.pop();
            let event = validate::live("InnovationEvent", event_id, event, |row| {
                row.audit.is_archived()
            })?;
            if event.status == EventStatus::Cancelled {
                return Err(ApiError::validation(
                    "eventId",
                    kexie_subgraph_kit::text!(
                        "event {event_id} was cancelled",
                        "活动 {event_id} 已取消"
                    ),
                ));
            }
            if proposed_on < event.starts_on {
                return Err(ApiError::validation(
                    "proposedOn",
                    kexie_subgraph_kit::text!(
                        "{proposed_on} is before the event's first day ({})",
                        "{proposed_on} 早于活动首日（{}）",
                        event.starts_on
                    ),
                ));
            }
        }
        if db::matches::live_exists(&mut tx, need_id, result_id, expert_id).await? {
            return Err(ApiError::Duplicate(kexie_subgraph_kit::text!(
                "this result or expert is already proposed for the need",
                "该成果或专家已与此需求对接"
            )));
        }
        let new = NewMatch {
            need_id,
            result_id,
            expert_id,
            event_id,
            proposed_on,
        };
        db::matches::insert(&mut tx, match_id, &new, &actor.subject).await?;
        let proposed = MatchStatus::Proposed.as_str();
        workflow::record(&mut tx, match_id, None, proposed, &actor, note.as_deref()).await?;
        if need.status == NeedStatus::Published {
            step_need(&mut tx, &need, NeedStatus::Matching, None, &actor, None).await?;
        }
        let row = db::matches::get(&mut tx, match_id).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Moves the match one step: PROPOSED → NEGOTIATING → CONTRACTED (which needs the
    /// `contract`; a MATCHING need moves to MATCHED with it) → TRANSFERRED (the result put
    /// to use, on `transferredOn`, today when absent), FAILED before a contract. Only the
    /// step to TRANSFERRED is taken once the need is resolved or closed. Staff move the
    /// matches of the needs of the units of their subtree (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn transition_need_match(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        to: MatchStatus,
        note: Option<String>,
        contract: Option<ContractInput>,
        transferred_on: Option<NaiveDate>,
    ) -> ApiResult<MatchRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let match_id = parse_id("id", &id)?;
        let note = super::note(note.as_deref())?;
        match (to, &contract) {
            (MatchStatus::Contracted, None) => {
                return Err(ApiError::validation(
                    "contract",
                    kexie_subgraph_kit::text!(
                        "signing needs the contract: the day and the amount",
                        "签约须填写合同：签订日期和金额"
                    ),
                ))
            }
            (to, Some(_)) if to != MatchStatus::Contracted => {
                return Err(ApiError::validation(
                    "contract",
                    kexie_subgraph_kit::text!(
                        "is only given when moving to CONTRACTED",
                        "仅在改为 CONTRACTED（已签约）时填写"
                    ),
                ))
            }
            _ => {}
        }
        if transferred_on.is_some() && to != MatchStatus::Transferred {
            return Err(ApiError::validation(
                "transferredOn",
                kexie_subgraph_kit::text!(
                    "is only given when moving to TRANSFERRED",
                    "仅在改为 TRANSFERRED（已转化）时填写"
                ),
            ));
        }
        let mut tx = pool.begin().await?;
        let (need, current) = match_for_change(ctx, &mut tx, match_id, expected_version).await?;
        current.status.check_step(to)?;
        if to != MatchStatus::Transferred {
            need.status.check_open("its matches changed")?;
        }
        let contract = contract
            .map(|contract| -> ApiResult<ContractFields> {
                let signed_on = past_day("contract.signedOn", contract.signed_on)?;
                if signed_on < current.proposed_on {
                    return Err(ApiError::validation(
                        "contract.signedOn",
                        kexie_subgraph_kit::text!(
                            "{signed_on} is before the match was proposed ({})",
                            "{signed_on} 早于对接提出日期（{}）",
                            current.proposed_on
                        ),
                    ));
                }
                Ok(ContractFields {
                    signed_on,
                    amount: amount("contract.amount", contract.amount)?,
                })
            })
            .transpose()?;
        let transferred_on = if to == MatchStatus::Transferred {
            let day = past_day("transferredOn", transferred_on.unwrap_or_else(china_today))?;
            if current
                .contract_signed_on
                .is_some_and(|signed_on| day < signed_on)
            {
                return Err(ApiError::validation(
                    "transferredOn",
                    kexie_subgraph_kit::text!(
                        "{day} is before the contract was signed",
                        "{day} 早于合同签订日期"
                    ),
                ));
            }
            Some(day)
        } else {
            None
        };
        db::matches::set_status(
            &mut tx,
            match_id,
            to,
            contract.as_ref(),
            transferred_on,
            &actor.subject,
        )
        .await?;
        workflow::record(
            &mut tx,
            match_id,
            Some(current.status.as_str()),
            to.as_str(),
            &actor,
            note.as_deref(),
        )
        .await?;
        if to == MatchStatus::Contracted && need.status == NeedStatus::Matching {
            step_need(&mut tx, &need, NeedStatus::Matched, None, &actor, None).await?;
        }
        let row = db::matches::get(&mut tx, match_id).await?;
        tx.commit().await?;
        Ok(row)
    }
}

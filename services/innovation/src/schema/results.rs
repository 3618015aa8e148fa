//! 科技成果: scientific results on offer for transfer, with their patents and terms.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::china_today;
use kexie_subgraph_kit::id::{new_id, parse_id, parse_maybe_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, per_unit_page, refuse_sync_below, ListPage, PageArgs, PerUnitQuery,
    RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::{Unit, Worker};
use super::matches::{MatchFilterInput, MatchesOfResult};
use super::needs::past_day;
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::matches::MatchRow;
use crate::db::results::{Owner, ResultFields, ResultFilter, ResultRow};
use crate::domain::{Licensing, ResultMaturity, TechField};
use crate::policy;

const MAX_TITLE: usize = 200;
const MAX_TERMS: usize = 2000;
const MAX_PATENTS: usize = 50;
const MAX_PATENT: usize = 40;

#[Object(name = "ScienceResult")]
impl ResultRow {
    async fn id(&self) -> ID {
        ID(self.science_result_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    /// The unit the result belongs to: a university, a society, an institute, or the unit
    /// of the worker who holds it.
    async fn owner_unit(&self) -> Unit {
        Unit {
            id: self.owner_unit_id,
        }
    }
    /// The S&T worker who holds it, when a person does.
    async fn owner_worker(&self) -> Option<Worker> {
        self.owner_worker_id.map(|id| Worker { id })
    }
    async fn field(&self) -> TechField {
        self.field
    }
    async fn maturity(&self) -> ResultMaturity {
        self.maturity
    }
    /// Patent numbers (专利号) it stands on, in the order given.
    async fn patent_numbers(&self) -> &[String] {
        &self.patent_numbers
    }
    async fn licensing(&self) -> Licensing {
        self.licensing
    }
    /// The terms in words: price, field of use, exclusivity.
    async fn licensing_terms(&self) -> Option<&str> {
        self.licensing_terms.as_deref()
    }
    /// The day it was first offered.
    async fn offered_on(&self) -> NaiveDate {
        self.offered_on
    }
    /// The needs it was proposed for, newest first.
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
        per_unit_page::<MatchesOfResult>(ctx, self.science_result_id, filter, page).await
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

/// Which results to list.
#[derive(InputObject, Default)]
#[graphql(name = "ScienceResultFilter")]
pub struct ResultFilterInput {
    /// Owned by this unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub fields: Option<Vec<TechField>>,
    pub maturities: Option<Vec<ResultMaturity>>,
    /// Part of the title or of the licensing terms.
    pub search: Option<String>,
    pub include_archived: Option<bool>,
    /// Incremental sync: results written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `scienceResults` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ScienceResultOrderField")]
pub enum ResultOrderField {
    /// 标题
    Title,
    /// 发布日期
    OfferedOn,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for ResultOrderField {
    fn column(self) -> SortColumn {
        match self {
            ResultOrderField::Title => SortColumn::text("title"),
            ResultOrderField::OfferedOn => SortColumn::date("offered_on"),
            ResultOrderField::UpdatedAt => SortColumn::time("updated_at"),
            ResultOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(ResultOrder, "ScienceResultOrder", ResultOrderField);

impl ResultFilterInput {
    fn parse(self, ctx: &Context<'_>) -> ApiResult<ResultFilter> {
        policy::require_reader(ctx, "Scientific results")?;
        Ok(ResultFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            fields: self
                .fields
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            maturities: self
                .maturities
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            search: validate::search_pattern("filter.search", self.search.as_deref())?,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.scienceResults` and `Worker.scienceResults`, whose owner is the
    /// one it hangs on.
    pub fn for_owner(self, ctx: &Context<'_>, include_subtree: bool) -> ApiResult<ResultFilter> {
        refuse_sync_below(self.updated_since, "scienceResults")?;
        refuse_unit_filter(self.unit_id.as_ref())?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }
}

/// `Unit.scienceResults` for a batch of units.
pub struct ResultsOfUnit(pub PgPool);

impl PerUnitQuery for ResultsOfUnit {
    type Filter = ResultFilter;
    type Row = ResultRow;

    async fn fetch(
        &self,
        ids: &[Uuid],
        filter: &ResultFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, ResultRow)>> {
        Ok(db::results::of_owners(&self.0, Owner::Unit, ids, filter, page).await?)
    }

    async fn count(&self, ids: &[Uuid], filter: &ResultFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::results::count_of_owners(&self.0, Owner::Unit, ids, filter).await?)
    }
}

/// `Worker.scienceResults` for a batch of workers.
pub struct ResultsOfWorker(pub PgPool);

impl PerUnitQuery for ResultsOfWorker {
    type Filter = ResultFilter;
    type Row = ResultRow;

    async fn fetch(
        &self,
        ids: &[Uuid],
        filter: &ResultFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, ResultRow)>> {
        Ok(db::results::of_owners(&self.0, Owner::Worker, ids, filter, page).await?)
    }

    async fn count(&self, ids: &[Uuid], filter: &ResultFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::results::count_of_owners(&self.0, Owner::Worker, ids, filter).await?)
    }
}

#[derive(Default)]
pub struct ResultQuery;

#[Object]
impl ResultQuery {
    /// A scientific result by ID (archived ones too); null when there is none. For staff
    /// and keys with `innovation:read` (`FORBIDDEN` otherwise).
    async fn science_result(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<ResultRow>> {
        policy::require_reader(ctx, "Scientific results")?;
        Ok(db::results::find(pool(ctx)?, &[parse_id("id", &id)?])
            .await?
            .pop())
    }

    /// Scientific results, newest first. For staff and keys with `innovation:read`
    /// (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn science_results(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResultFilterInput>,
        order_by: Option<ResultOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<ResultRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::results::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::results::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

/// A result to offer.
///
/// The holding worker belongs to the talent subgraph, which this subgraph cannot read:
/// only the ID's shape is checked.
#[derive(InputObject)]
pub struct CreateScienceResultInput {
    /// The owning unit; an active unit.
    pub owner_unit_id: ID,
    pub owner_worker_id: Option<ID>,
    pub title: String,
    pub field: TechField,
    pub maturity: ResultMaturity,
    /// Up to 50 patent numbers, each at most 40 characters, no repeats.
    #[graphql(default)]
    pub patent_numbers: Vec<String>,
    pub licensing: Licensing,
    pub licensing_terms: Option<String>,
    /// The day it was first offered; today (UTC+8) when absent, never in the future.
    pub offered_on: Option<NaiveDate>,
    /// A retried create with the same key returns the first result and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a result; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateScienceResultInput {
    pub owner_unit_id: Option<ID>,
    pub owner_worker_id: MaybeUndefined<ID>,
    pub title: Option<String>,
    pub field: Option<TechField>,
    pub maturity: Option<ResultMaturity>,
    pub patent_numbers: Option<Vec<String>>,
    pub licensing: Option<Licensing>,
    pub licensing_terms: MaybeUndefined<String>,
    pub offered_on: Option<NaiveDate>,
}

fn patent_numbers(numbers: &[String]) -> ApiResult<Vec<String>> {
    if numbers.len() > MAX_PATENTS {
        return Err(ApiError::validation(
            "patentNumbers",
            kexie_subgraph_kit::text!(
                "at most {MAX_PATENTS} patents, got {}",
                "最多 {MAX_PATENTS} 项专利，实际为 {} 项",
                numbers.len()
            ),
        ));
    }
    let mut valid: Vec<String> = Vec::with_capacity(numbers.len());
    for number in numbers {
        let number = validate::text("patentNumbers", number, MAX_PATENT)?;
        if valid.contains(&number) {
            return Err(ApiError::validation(
                "patentNumbers",
                kexie_subgraph_kit::text!("names {number} more than once", "重复列出了 {number}"),
            ));
        }
        valid.push(number);
    }
    Ok(valid)
}

/// Reads and locks the result a mutation changes: live, the request may write the records
/// of its unit (and of `new_unit`), and at the client's version.
async fn result_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    result_id: Uuid,
    expected_version: i32,
    new_unit: Option<Uuid>,
) -> ApiResult<ResultRow> {
    let row = db::results::get_for_update(conn, result_id).await?;
    let row = validate::live("ScienceResult", result_id, row, |row| {
        row.audit.is_archived()
    })?;
    policy::require_write(ctx, conn, row.owner_unit_id, new_unit).await?;
    validate::expected_version(
        "ScienceResult",
        result_id,
        expected_version,
        row.audit.version,
    )?;
    Ok(row)
}

#[derive(Default)]
pub struct ResultMutation;

#[Object]
impl ResultMutation {
    /// Offers a result. Staff offer results owned by the units of their subtree
    /// (`FORBIDDEN` otherwise).
    async fn create_science_result(
        &self,
        ctx: &Context<'_>,
        input: CreateScienceResultInput,
    ) -> ApiResult<ResultRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("ownerUnitId", &input.owner_unit_id)?;
        let fields = ResultFields {
            owner_unit_id: unit_id,
            owner_worker_id: parse_optional_id("ownerWorkerId", input.owner_worker_id.as_ref())?,
            title: validate::text("title", &input.title, MAX_TITLE)?,
            field: input.field,
            maturity: input.maturity,
            patent_numbers: patent_numbers(&input.patent_numbers)?,
            licensing: input.licensing,
            licensing_terms: validate::optional_text(
                "licensingTerms",
                input.licensing_terms.as_deref(),
                MAX_TERMS,
            )?,
            offered_on: past_day("offeredOn", input.offered_on.unwrap_or_else(china_today))?,
        };
        require_active_unit(pool, "ownerUnitId", unit_id).await?;
        let result_id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_write(ctx, &mut tx, unit_id, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createScienceResult",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            result_id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::results::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("ScienceResult", existing));
        }
        db::results::insert(&mut tx, result_id, &fields, &actor.subject).await?;
        let result = db::results::get(&mut tx, result_id).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Changes a result. Staff change the results owned by the units of their subtree;
    /// moving one to another unit needs both (`FORBIDDEN` otherwise).
    async fn update_science_result(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateScienceResultInput,
    ) -> ApiResult<ResultRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let result_id = parse_id("id", &id)?;
        let new_unit = parse_optional_id("ownerUnitId", input.owner_unit_id.as_ref())?;
        let new_worker = parse_maybe_id("ownerWorkerId", input.owner_worker_id)?;
        let mut tx = pool.begin().await?;
        let current =
            result_for_change(ctx, &mut tx, result_id, expected_version, new_unit).await?;
        let fields = ResultFields {
            owner_unit_id: new_unit.unwrap_or(current.owner_unit_id),
            owner_worker_id: validate::patch(new_worker, current.owner_worker_id),
            title: validate::text(
                "title",
                input.title.as_deref().unwrap_or(&current.title),
                MAX_TITLE,
            )?,
            field: input.field.unwrap_or(current.field),
            maturity: input.maturity.unwrap_or(current.maturity),
            patent_numbers: patent_numbers(
                input
                    .patent_numbers
                    .as_deref()
                    .unwrap_or(&current.patent_numbers),
            )?,
            licensing: input.licensing.unwrap_or(current.licensing),
            licensing_terms: validate::optional_text(
                "licensingTerms",
                validate::patch(input.licensing_terms, current.licensing_terms.clone()).as_deref(),
                MAX_TERMS,
            )?,
            offered_on: past_day("offeredOn", input.offered_on.unwrap_or(current.offered_on))?,
        };
        if let Some(unit_id) = new_unit.filter(|unit_id| *unit_id != current.owner_unit_id) {
            require_active_unit(pool, "ownerUnitId", unit_id).await?;
        }
        db::results::update(&mut tx, result_id, &fields, &actor.subject).await?;
        let result = db::results::get(&mut tx, result_id).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Withdraws the result from offer: out of lists and figures, still looked up by ID;
    /// its matches stay. Staff archive the results of the units of their subtree
    /// (`FORBIDDEN` otherwise).
    async fn archive_science_result(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<ResultRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let result_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        result_for_change(ctx, &mut tx, result_id, expected_version, None).await?;
        db::results::archive(&mut tx, result_id, &actor.subject).await?;
        let result = db::results::get(&mut tx, result_id).await?;
        tx.commit().await?;
        Ok(result)
    }
}

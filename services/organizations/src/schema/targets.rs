//! 工作台账: per unit, year and metric, a target value, a responsible person and a deadline
//! ("建立工作台账,明确责任人和时间节点").

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{Datelike, NaiveDate};

use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, ListPage, RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use kexie_subgraph_kit::figures::{china_today, count};
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::target::{self, MeasuredBy, TargetKey, TargetMetric};

use super::units::unit_of;
use super::{load, pool, OwnActualLoader};
use crate::db;
use crate::db::targets::{TargetFields, TargetFilter, TargetRow};
use crate::db::units::UnitRow;
use crate::policy::{self, require_administer_parent, require_read_subtree_of};

/// The fields of the measuring subgraphs that `actual` needs.
const MEASURED: &str = "talentActual popularizationActual adviceActual innovationActual";

#[Object(name = "Target")]
impl TargetRow {
    async fn id(&self) -> ID {
        ID(self.target_id.to_string())
    }
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<UnitRow> {
        unit_of(ctx, self.unit_id).await
    }
    /// The unit the target is for (the subgraphs that measure it count over its subtree).
    async fn unit_id(&self) -> ID {
        ID(self.unit_id.to_string())
    }
    async fn year(&self) -> i32 {
        self.year
    }
    async fn metric(&self) -> TargetMetric {
        self.metric
    }
    async fn target_value(&self) -> i32 {
        self.target_value
    }
    /// 责任人
    async fn responsible_person(&self) -> &str {
        &self.responsible_person
    }
    /// 时间节点
    async fn deadline(&self) -> NaiveDate {
        self.deadline
    }
    async fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    async fn version(&self) -> i32 {
        self.audit.version
    }
    #[graphql(flatten)]
    async fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Measured by the talent subgraph.
    #[graphql(external)]
    async fn talent_actual(&self) -> Option<i32> {
        self.reported.talent
    }
    /// Measured by the popularization subgraph.
    #[graphql(external)]
    async fn popularization_actual(&self) -> Option<i32> {
        self.reported.popularization
    }
    /// Measured by the advice subgraph.
    #[graphql(external)]
    async fn advice_actual(&self) -> Option<i32> {
        self.reported.advice
    }
    /// Measured by the innovation subgraph.
    #[graphql(external)]
    async fn innovation_actual(&self) -> Option<i32> {
        self.reported.innovation
    }

    /// The actual figure, computed from the records of the subgraph that measures the
    /// metric over the unit's subtree for the target's year (see `TargetMetric`); never typed in.
    #[graphql(requires = "talentActual popularizationActual adviceActual innovationActual")]
    async fn actual(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        actual(ctx, self).await
    }

    /// `actual / targetValue`: 1.0 means reached; a target value of zero counts as reached.
    #[graphql(requires = "talentActual popularizationActual adviceActual innovationActual")]
    async fn attainment(&self, ctx: &Context<'_>) -> ApiResult<f64> {
        Ok(target::attainment(
            actual(ctx, self).await?,
            self.target_value,
        ))
    }

    /// Whether the target is on track on `asOf` (default: today, UTC+8): a past year when
    /// `actual` reached the value, a year to come always, the current year when `actual` is
    /// at least the value times the share of the year elapsed on `asOf`.
    #[graphql(requires = "talentActual popularizationActual adviceActual innovationActual")]
    async fn on_track(&self, ctx: &Context<'_>, as_of: Option<NaiveDate>) -> ApiResult<bool> {
        let as_of = as_of.unwrap_or_else(china_today);
        Ok(target::on_track(
            actual(ctx, self).await?,
            self.target_value,
            self.year,
            as_of,
        ))
    }
}

/// A target's actual figure: counted here for the metrics organizations measures, taken
/// from what the measuring subgraph reported (through the gateway) for the others.
///
/// No read check of its own: every resolver that hands out a target has already required
/// the right to read its unit's subtree (`target` and the `Target` entity through
/// [`readable`], `Unit.targets`, `targets` by its filter or `targets_reach`, the mutations
/// by administering the level above), and that right is all `actual` reveals.
async fn actual(ctx: &Context<'_>, target: &TargetRow) -> ApiResult<i32> {
    let (reported, field) = match target.metric.measured_by() {
        MeasuredBy::Organizations => {
            let key = TargetKey {
                unit_id: target.unit_id,
                year: target.year,
                metric: target.metric,
            };
            let actual = load::<OwnActualLoader, _>(ctx, key).await?.unwrap_or(0);
            return Ok(count(actual));
        }
        MeasuredBy::Talent => (target.reported.talent, "talentActual"),
        MeasuredBy::Popularization => (target.reported.popularization, "popularizationActual"),
        MeasuredBy::Advice => (target.reported.advice, "adviceActual"),
        MeasuredBy::Innovation => (target.reported.innovation, "innovationActual"),
    };
    reported.ok_or_else(|| {
        ApiError::validation(
            "actual",
            kexie_subgraph_kit::text!(
                "this metric is measured by another subgraph: ask through the gateway, which \
                 supplies {field} (one of {MEASURED})",
                "此指标由其他子服务统计：请通过网关查询，网关会提供 {field}（{MEASURED} 之一）"
            ),
        )
    })
}

#[derive(InputObject, Default)]
pub struct TargetFilterInput {
    pub unit_id: Option<ID>,
    pub include_subtree: Option<bool>,
    pub year: Option<i32>,
    pub metric: Option<TargetMetric>,
    pub include_archived: Option<bool>,
    /// Incremental sync: targets written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `targets` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "TargetOrderField")]
pub enum TargetOrderField {
    /// 年度
    Year,
    /// 指标
    Metric,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for TargetOrderField {
    fn column(self) -> SortColumn {
        match self {
            TargetOrderField::Year => SortColumn::int("year"),
            TargetOrderField::Metric => SortColumn::code("metric"),
            TargetOrderField::UpdatedAt => SortColumn::time("updated_at"),
            TargetOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(TargetOrder, "TargetOrder", TargetOrderField);

#[derive(Default)]
pub struct TargetQuery;

#[Object]
impl TargetQuery {
    /// A target by ID; null when there is none. Targets are visible to their unit's subtree
    /// (its staff and leadership, and those of the units above it) and to city admins.
    async fn target(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<TargetRow>> {
        readable(
            ctx,
            load_by_id::<TargetRow>(ctx, parse_id("id", &id)?).await?,
        )
        .await
    }

    /// Targets, newest first. Those of `filter.unitId` need the right to read that unit's
    /// subtree; without it, city admins list every target and other staff the targets of
    /// their own unit's subtree.
    #[allow(clippy::too_many_arguments)]
    async fn targets(
        &self,
        ctx: &Context<'_>,
        filter: Option<TargetFilterInput>,
        order_by: Option<TargetOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<TargetRow>> {
        let input = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            input.updated_since,
            order_by,
        )?;
        let mut filter = TargetFilter {
            unit_id: parse_optional_id("filter.unitId", input.unit_id.as_ref())?,
            include_subtree: input.include_subtree.unwrap_or(false),
            year: input.year,
            metric: input.metric,
            include_archived: input.include_archived.unwrap_or(false),
        };
        match filter.unit_id {
            Some(unit_id) => require_read_subtree_of(ctx, unit_id).await?,
            None => {
                if let Some(unit) = policy::targets_reach(ctx)? {
                    filter.unit_id = Some(unit);
                    filter.include_subtree = true;
                }
            }
        }
        let pool = pool(ctx)?.clone();
        let rows = db::targets::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::targets::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

#[derive(InputObject)]
pub struct TargetInput {
    pub unit_id: ID,
    pub year: i32,
    pub metric: TargetMetric,
    pub target_value: i32,
    pub responsible_person: String,
    /// Within the target's year or later.
    pub deadline: NaiveDate,
    pub note: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateTargetInput {
    pub year: Option<i32>,
    pub metric: Option<TargetMetric>,
    pub target_value: Option<i32>,
    pub responsible_person: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub note: MaybeUndefined<String>,
}

struct ValidTarget {
    year: i32,
    metric: TargetMetric,
    target_value: i32,
    responsible_person: String,
    deadline: NaiveDate,
    note: Option<String>,
}

impl ValidTarget {
    fn new(
        year: i32,
        metric: TargetMetric,
        target_value: i32,
        responsible_person: &str,
        deadline: NaiveDate,
        note: Option<&str>,
    ) -> ApiResult<Self> {
        validate::year("year", year)?;
        if deadline.year() < year {
            return Err(ApiError::validation(
                "deadline",
                kexie_subgraph_kit::text!(
                    "{deadline} is before the target's year {year}",
                    "{deadline} 早于目标年度 {year}"
                ),
            ));
        }
        Ok(ValidTarget {
            year,
            metric,
            target_value: validate::non_negative("targetValue", target_value)?,
            responsible_person: validate::text("responsiblePerson", responsible_person, 50)?,
            deadline,
            note: validate::optional_text("note", note, 500)?,
        })
    }

    fn fields(&self) -> TargetFields<'_> {
        TargetFields {
            year: self.year,
            metric: self.metric,
            target_value: self.target_value,
            responsible_person: &self.responsible_person,
            deadline: self.deadline,
            note: self.note.as_deref(),
        }
    }
}

/// `target` unless the principal may not read it (`FORBIDDEN`).
pub(super) async fn readable(
    ctx: &Context<'_>,
    target: Option<TargetRow>,
) -> ApiResult<Option<TargetRow>> {
    if let Some(target) = &target {
        require_read_subtree_of(ctx, target.unit_id).await?;
    }
    Ok(target)
}

fn target_write_error(err: sqlx::Error) -> ApiError {
    match kexie_subgraph_kit::error::violated_constraint(&err) {
        Some("target_unit_year_metric_key") => ApiError::Duplicate(kexie_subgraph_kit::text!(
            "the unit already has a target for this metric and year",
            "该组织已有此指标和年度的目标"
        )),
        _ => err.into(),
    }
}

/// Reads a live target for a change, checks that the principal may set the targets of its
/// unit (administers the level above), then the client's version.
async fn target_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: uuid::Uuid,
    expected_version: i32,
) -> ApiResult<TargetRow> {
    let target = db::targets::get_for_update(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Target", id))?;
    require_administer_parent(ctx, conn, target.unit_id).await?;
    if target.audit.archived_at.is_some() {
        return Err(ApiError::not_found("Target", id));
    }
    validate::expected_version("Target", id, expected_version, target.audit.version)?;
    Ok(target)
}

#[derive(Default)]
pub struct TargetMutation;

#[Object]
impl TargetMutation {
    /// Sets a unit's target for a year and metric. Targets are set by the level above: this
    /// needs the right to administer the unit's parent (a district's admins set the targets
    /// of its townships, not the district's own); the city's own targets are set by city
    /// admins.
    async fn create_target(&self, ctx: &Context<'_>, input: TargetInput) -> ApiResult<TargetRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let target = ValidTarget::new(
            input.year,
            input.metric,
            input.target_value,
            &input.responsible_person,
            input.deadline,
            input.note.as_deref(),
        )?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        require_administer_parent(ctx, &mut tx, unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createTarget",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::targets::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("Target", existing));
        }
        let created = db::targets::insert(&mut tx, id, unit_id, &target.fields(), &actor.subject)
            .await
            .map_err(target_write_error)?;
        tx.commit().await?;
        Ok(created)
    }

    /// Changes a target. Like `createTarget`, this needs the right to administer the parent
    /// of the target's unit (the city's own targets: city admins).
    async fn update_target(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateTargetInput,
    ) -> ApiResult<TargetRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let target_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        let current = target_for_change(ctx, &mut tx, target_id, expected_version).await?;
        let note = validate::patch(input.note, current.note.clone());
        let target = ValidTarget::new(
            input.year.unwrap_or(current.year),
            input.metric.unwrap_or(current.metric),
            input.target_value.unwrap_or(current.target_value),
            input
                .responsible_person
                .as_deref()
                .unwrap_or(&current.responsible_person),
            input.deadline.unwrap_or(current.deadline),
            note.as_deref(),
        )?;
        let updated = db::targets::update(&mut tx, target_id, &target.fields(), &actor.subject)
            .await
            .map_err(target_write_error)?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Archives a target (it stays in the record, with `archivedAt` set). Like
    /// `createTarget`, this needs the right to administer the parent of the target's unit
    /// (the city's own targets: city admins).
    async fn archive_target(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<TargetRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let target_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        target_for_change(ctx, &mut tx, target_id, expected_version).await?;
        let archived = db::targets::archive(&mut tx, target_id, &actor.subject).await?;
        tx.commit().await?;
        Ok(archived)
    }
}

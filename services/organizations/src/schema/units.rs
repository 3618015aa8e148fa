//! Units: the tree of associations, and its reorganizations (created, moved, merged,
//! dissolved), each published to the other subgraphs.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::figures::{ChildFiguresSeries, FiguresPoint, SeriesInput};
use kexie_subgraph_kit::history::{self, StatusChange};
use kexie_subgraph_kit::id::{new_id, parse_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, per_unit_page, refuse_sync_below, ListPage, PageArgs, PerUnitQuery,
    RecordPage, SortColumn, SortField, TotalCount,
};
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::rollup::PeriodInput;

use super::figures::{self, ChildOrganizationFigures, OrganizationFigure, OrganizationFigures};
use super::{
    data, load, pool, require_unit, CurrentTermLoader, TargetsOfUnit, TargetsOfUnitLoader,
    TreeChanged,
};
use crate::db;
use crate::db::leaders::LeadershipRoleRow;
use crate::db::targets::TargetRow;
use crate::db::terms::TermRow;
use crate::db::units::{UnitFields, UnitFilter, UnitRow};
use crate::domain::{Placement, UnitKind, UnitStatus};
use crate::policy;

const MAX_NAME: usize = 100;
const MAX_SHORT_NAME: usize = 30;

#[Object(name = "Unit")]
impl UnitRow {
    async fn id(&self) -> ID {
        ID(self.unit_id.to_string())
    }
    async fn name(&self) -> &str {
        &self.name
    }
    async fn short_name(&self) -> Option<&str> {
        self.short_name.as_deref()
    }
    async fn kind(&self) -> UnitKind {
        self.kind
    }
    /// GB/T 2260 administrative division code: six digits down to county level, nine for a
    /// township; absent for base organizations.
    async fn division_code(&self) -> Option<&str> {
        self.division_code.as_deref()
    }
    async fn status(&self) -> UnitStatus {
        self.status
    }
    async fn founded_on(&self) -> Option<NaiveDate> {
        self.founded_on
    }
    /// The year the unit was named an exemplary grassroots association (示范基层科协).
    async fn exemplary_year(&self) -> Option<i32> {
        self.exemplary_year
    }
    async fn member_count(&self) -> i32 {
        self.member_count
    }
    /// Increases with every change; send it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    async fn created_by(&self) -> &str {
        &self.created_by
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    async fn updated_by(&self) -> &str {
        &self.updated_by
    }

    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<UnitRow>> {
        match self.parent_id {
            Some(parent_id) => load_by_id::<UnitRow>(ctx, parent_id).await,
            None => Ok(None),
        }
    }

    /// The unit this one was merged into.
    async fn merged_into(&self, ctx: &Context<'_>) -> ApiResult<Option<UnitRow>> {
        match self.merged_into_id {
            Some(unit_id) => load_by_id::<UnitRow>(ctx, unit_id).await,
            None => Ok(None),
        }
    }

    /// The units above this one, the city first.
    async fn ancestors(&self, ctx: &Context<'_>) -> ApiResult<Vec<UnitRow>> {
        Ok(db::units::ancestors(pool(ctx)?, self.unit_id).await?)
    }

    /// The units directly below this one (active ones unless `filter.statuses` says otherwise).
    async fn children(
        &self,
        ctx: &Context<'_>,
        filter: Option<UnitFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<UnitRow>> {
        let page = PageArgs::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        refuse_sync_below(filter.updated_since, "units")?;
        let filter = filter.parse()?;
        per_unit_page::<ChildrenQuery>(ctx, self.unit_id, filter, page).await
    }

    /// 换届: the unit's terms of office, latest first.
    async fn terms(&self, ctx: &Context<'_>) -> ApiResult<Vec<TermRow>> {
        Ok(db::terms::of_unit(pool(ctx)?, self.unit_id).await?)
    }

    /// The latest term of office.
    async fn current_term(&self, ctx: &Context<'_>) -> ApiResult<Option<TermRow>> {
        load::<CurrentTermLoader, _>(ctx, self.unit_id).await
    }

    /// Chair, vice chairs (at township level the three heads, 三长) and secretary-general.
    async fn leadership_roles(
        &self,
        ctx: &Context<'_>,
        include_ended: Option<bool>,
    ) -> ApiResult<Vec<LeadershipRoleRow>> {
        Ok(db::leaders::of_unit(pool(ctx)?, self.unit_id, include_ended.unwrap_or(false)).await?)
    }

    /// 工作台账: the unit's own targets, for one year or all. Visible to the unit's subtree
    /// (its staff and leadership, and those of the units above it) and to city admins.
    async fn targets(&self, ctx: &Context<'_>, year: Option<i32>) -> ApiResult<Vec<TargetRow>> {
        policy::require_read_subtree(ctx, self)?;
        let key = TargetsOfUnit {
            unit_id: self.unit_id,
            year,
        };
        Ok(load::<TargetsOfUnitLoader, _>(ctx, key)
            .await?
            .unwrap_or_default())
    }

    /// Creation, merger and dissolution, with who, when and why.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<StatusChange>> {
        history::of(ctx, self.unit_id).await
    }

    /// Organization figures of the unit's whole subtree (the unit included) for `period`.
    /// Visible to the unit's subtree (its staff and leadership, and those of the units above
    /// it) and to city admins.
    async fn organization_figures(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
    ) -> ApiResult<OrganizationFigures> {
        figures::of_unit(ctx, self, period).await
    }

    /// The organization figures of each active direct child's subtree, ranked by `orderBy`
    /// (largest first unless `descending` is false); ties share a rank and are listed by name.
    /// Visible to the unit's subtree and to city admins, as `organizationFigures`.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn organization_figures_by_child(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
        order_by: OrganizationFigure,
        #[graphql(default = true)] descending: bool,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildOrganizationFigures>> {
        figures::by_child(ctx, self, kinds, period, order_by, descending).await
    }

    /// The organization figures of the unit's whole subtree for each calendar month,
    /// quarter or year of a range, each beside the same period a year earlier (同比).
    /// Visible to the unit's subtree and to city admins, as `organizationFigures`.
    #[graphql(directive = kexie_subgraph_kit::rollup::series::apply())]
    async fn organization_figures_series(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
    ) -> ApiResult<Vec<FiguresPoint<OrganizationFigures>>> {
        figures::series(ctx, self, series).await
    }

    /// The series of `organizationFiguresSeries` for each active direct child's subtree,
    /// the children in name order.
    /// With `kinds`, only the children of those kinds (`[DISTRICT]`: a city's districts).
    async fn organization_figures_series_by_child(
        &self,
        ctx: &Context<'_>,
        series: SeriesInput,
        kinds: Option<Vec<UnitKind>>,
    ) -> ApiResult<Vec<ChildFiguresSeries<OrganizationFigures, UnitRow>>> {
        figures::series_by_child(ctx, self, series, kinds).await
    }
}

/// Which units to list.
#[derive(InputObject, Default)]
pub struct UnitFilterInput {
    pub parent_id: Option<ID>,
    /// Units anywhere below this one (not the unit itself).
    pub under_unit_id: Option<ID>,
    pub kinds: Option<Vec<UnitKind>>,
    /// Active units unless given.
    pub statuses: Option<Vec<UnitStatus>>,
    /// Administrative division codes starting with these digits.
    pub division_code_prefix: Option<String>,
    /// Part of the name or short name.
    pub search: Option<String>,
    /// Incremental sync: units written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// Merged and dissolved units come only with `statuses` naming them: see the
    /// sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `units` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "UnitOrderField")]
pub enum UnitOrderField {
    /// 名称
    Name,
    /// 类型
    Kind,
    /// 状态
    Status,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for UnitOrderField {
    fn column(self) -> SortColumn {
        match self {
            UnitOrderField::Name => SortColumn::text("name"),
            UnitOrderField::Kind => SortColumn::code("kind"),
            UnitOrderField::Status => SortColumn::code("status"),
            UnitOrderField::UpdatedAt => SortColumn::time("updated_at"),
            UnitOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(UnitOrder, "UnitOrder", UnitOrderField);

impl UnitFilterInput {
    fn parse(self) -> ApiResult<UnitFilter> {
        Ok(UnitFilter {
            parent_id: parse_optional_id("filter.parentId", self.parent_id.as_ref())?,
            under_unit_id: parse_optional_id("filter.underUnitId", self.under_unit_id.as_ref())?,
            kinds: self
                .kinds
                .map(|kinds| kinds.iter().map(|kind| kind.as_str().to_string()).collect()),
            statuses: self.statuses.map(|statuses| {
                statuses
                    .iter()
                    .map(|status| status.as_str().to_string())
                    .collect()
            }),
            division_code_prefix: validate::optional_text(
                "filter.divisionCodePrefix",
                self.division_code_prefix.as_deref(),
                9,
            )?,
            search: validate::optional_text("filter.search", self.search.as_deref(), MAX_NAME)?,
        })
    }
}

/// `Unit.children` for a batch of units.
pub struct ChildrenQuery(pub PgPool);

impl PerUnitQuery for ChildrenQuery {
    type Filter = UnitFilter;
    type Row = UnitRow;

    async fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &UnitFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, UnitRow)>> {
        Ok(db::units::children(&self.0, unit_ids, filter, page).await?)
    }

    async fn count(&self, unit_ids: &[Uuid], filter: &UnitFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::units::count_children(&self.0, unit_ids, filter).await?)
    }
}

#[derive(Default)]
pub struct UnitQuery;

#[Object]
impl UnitQuery {
    /// A unit by ID; null when there is none.
    async fn unit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<UnitRow>> {
        load_by_id::<UnitRow>(ctx, parse_id("id", &id)?).await
    }

    /// The active unit with this administrative division code.
    async fn unit_by_division_code(
        &self,
        ctx: &Context<'_>,
        division_code: String,
    ) -> ApiResult<Option<UnitRow>> {
        Ok(db::units::find_by_division_code(pool(ctx)?, division_code.trim()).await?)
    }

    /// The city association, root of the tree.
    async fn city(&self, ctx: &Context<'_>) -> ApiResult<Option<UnitRow>> {
        Ok(db::units::root(pool(ctx)?).await?)
    }

    /// Units, newest first.
    #[allow(clippy::too_many_arguments)]
    async fn units(
        &self,
        ctx: &Context<'_>,
        filter: Option<UnitFilterInput>,
        order_by: Option<UnitOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<UnitRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse()?;
        let pool = pool(ctx)?.clone();
        let rows = db::units::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total =
            TotalCount::counted_by(move || db::units::count(pool.clone(), filter.clone(), since));
        Ok(list_connection(rows, &page, total))
    }
}

/// A new unit.
#[derive(InputObject)]
pub struct UnitInput {
    /// Required for every kind but CITY.
    pub parent_id: Option<ID>,
    pub kind: UnitKind,
    pub name: String,
    pub short_name: Option<String>,
    pub division_code: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub exemplary_year: Option<i32>,
    pub member_count: Option<i32>,
    /// A retried create with the same key returns the first unit and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a unit; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateUnitInput {
    pub name: Option<String>,
    pub short_name: MaybeUndefined<String>,
    pub division_code: MaybeUndefined<String>,
    pub founded_on: MaybeUndefined<NaiveDate>,
    pub exemplary_year: MaybeUndefined<i32>,
    pub member_count: Option<i32>,
}

/// Validated unit fields.
struct ValidUnit {
    name: String,
    short_name: Option<String>,
    division_code: Option<String>,
    founded_on: Option<NaiveDate>,
    exemplary_year: Option<i32>,
    member_count: i32,
}

impl ValidUnit {
    fn fields(&self) -> UnitFields<'_> {
        UnitFields {
            name: &self.name,
            short_name: self.short_name.as_deref(),
            division_code: self.division_code.as_deref(),
            founded_on: self.founded_on,
            exemplary_year: self.exemplary_year,
            member_count: self.member_count,
        }
    }

    fn check(self, kind: UnitKind, parent: Option<&UnitRow>) -> ApiResult<Self> {
        kind.check_division_code(
            self.division_code.as_deref(),
            parent.and_then(|parent| parent.division_code.as_deref()),
        )?;
        Ok(self)
    }
}

fn valid_unit(
    name: &str,
    short_name: Option<&str>,
    division_code: Option<&str>,
    founded_on: Option<NaiveDate>,
    exemplary_year: Option<i32>,
    member_count: i32,
) -> ApiResult<ValidUnit> {
    if let Some(year) = exemplary_year {
        validate::year("exemplaryYear", year)?;
    }
    Ok(ValidUnit {
        name: validate::text("name", name, MAX_NAME)?,
        short_name: validate::optional_text("shortName", short_name, MAX_SHORT_NAME)?,
        division_code: division_code
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_string),
        founded_on,
        exemplary_year,
        member_count: validate::non_negative("memberCount", member_count)?,
    })
}

/// Turns a violated unique key of `unit` into a client error.
fn unit_write_error(err: sqlx::Error, division_code: Option<&str>) -> ApiError {
    match kexie_subgraph_kit::error::violated_constraint(&err) {
        Some("unit_division_code_key") => ApiError::Duplicate(kexie_subgraph_kit::text!(
            "division code {} is already used by an active unit",
            "行政区划代码 {} 已被一个在用的组织使用",
            division_code.unwrap_or_default()
        )),
        Some("unit_single_root_key") => ApiError::Duplicate(kexie_subgraph_kit::text!(
            "there is already a city association at the root",
            "根组织（市科协）已存在"
        )),
        _ => err.into(),
    }
}

/// What a tree change does to the unit it acts on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Changes its fields: its own administrators may.
    Fields,
    /// Moves, merges or dissolves it: only the levels above may (and city admins).
    Reorganize,
}

/// Reads the unit a tree change acts on (the tree lock is held), checks that the principal
/// may make the change, then the client's version.
async fn unit_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    unit_id: Uuid,
    expected_version: i32,
    change: Change,
) -> ApiResult<UnitRow> {
    let unit = db::units::get(conn, unit_id).await?;
    policy::require_administer_found(ctx, unit_id, unit.as_ref())?;
    let unit = unit.ok_or_else(|| ApiError::not_found("Unit", unit_id))?;
    if change == Change::Reorganize {
        policy::require_not_own_unit(ctx, &unit)?;
    }
    validate::expected_version("Unit", unit_id, expected_version, unit.version)?;
    Ok(unit)
}

/// Reads a unit a tree change names besides the one it acts on (a new parent, the unit
/// merged into; the tree lock is held) and refuses unless the principal may administer it.
async fn other_unit_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    unit_id: Uuid,
) -> ApiResult<UnitRow> {
    let unit = db::units::get(conn, unit_id).await?;
    policy::require_administer_found(ctx, unit_id, unit.as_ref())?;
    unit.ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

fn require_active(unit: &UnitRow, field: &str) -> ApiResult<()> {
    if unit.status != UnitStatus::Active {
        return Err(ApiError::validation(
            field,
            kexie_subgraph_kit::text!(
                "unit {} is {}",
                "组织 {} 的状态为 {}",
                unit.name,
                unit.status.as_str()
            ),
        ));
    }
    Ok(())
}

/// Numbers the change, commits, and wakes the publisher.
async fn commit_tree_change(
    ctx: &Context<'_>,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    changed: &[UnitRow],
) -> ApiResult<()> {
    let units: Vec<_> = changed.iter().map(UnitRow::replicated).collect();
    db::tree::append(&mut tx, &units).await?;
    tx.commit().await?;
    data::<TreeChanged>(ctx)?.0.notify_one();
    Ok(())
}

#[derive(Default)]
pub struct UnitMutation;

#[Object]
impl UnitMutation {
    /// Creates a unit under `parentId`. Needs the right to administer the parent (a unit
    /// admin creates units anywhere in its subtree); only a city admin creates the city
    /// association at the root.
    async fn create_unit(&self, ctx: &Context<'_>, input: UnitInput) -> ApiResult<UnitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let parent_id = parse_optional_id("parentId", input.parent_id.as_ref())?;
        let unit = valid_unit(
            &input.name,
            input.short_name.as_deref(),
            input.division_code.as_deref(),
            input.founded_on,
            input.exemplary_year,
            input.member_count.unwrap_or(0),
        )?;
        let unit_id = new_id();
        let mut tx = pool.begin().await?;
        db::tree::lock(&mut tx).await?;
        let parent = match parent_id {
            Some(parent_id) => Some(other_unit_for_change(ctx, &mut tx, parent_id).await?),
            None => {
                policy::require_root_creator(ctx)?;
                None
            }
        };
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createUnit",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            unit_id,
        )
        .await?
        {
            tx.rollback().await?;
            return require_unit(pool, existing).await;
        }
        if let Some(parent) = &parent {
            require_active(parent, "parentId")?;
        }
        input
            .kind
            .check_parent(parent.as_ref().map(|parent| parent.kind))?;
        let unit = unit.check(input.kind, parent.as_ref())?;
        let created = db::units::insert(
            &mut tx,
            unit_id,
            parent.as_ref(),
            input.kind,
            &unit.fields(),
            &actor.subject,
        )
        .await
        .map_err(|err| unit_write_error(err, unit.division_code.as_deref()))?;
        history::record(
            &mut tx,
            unit_id,
            None,
            UnitStatus::Active.as_str(),
            &actor,
            None,
        )
        .await?;
        commit_tree_change(ctx, tx, std::slice::from_ref(&created)).await?;
        Ok(created)
    }

    /// Changes a unit's own fields. Needs the right to administer the unit: its own admins
    /// and those above it.
    async fn update_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateUnitInput,
    ) -> ApiResult<UnitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        db::tree::lock(&mut tx).await?;
        let current =
            unit_for_change(ctx, &mut tx, unit_id, expected_version, Change::Fields).await?;
        let short_name = validate::patch(input.short_name, current.short_name.clone());
        let division_code = validate::patch(input.division_code, current.division_code.clone());
        let unit = valid_unit(
            input.name.as_deref().unwrap_or(&current.name),
            short_name.as_deref(),
            division_code.as_deref(),
            validate::patch(input.founded_on, current.founded_on),
            validate::patch(input.exemplary_year, current.exemplary_year),
            input.member_count.unwrap_or(current.member_count),
        )?;
        let parent = match current.parent_id {
            Some(parent_id) => db::units::get(&mut tx, parent_id).await?,
            None => None,
        };
        let unit = unit.check(current.kind, parent.as_ref())?;
        let updated = db::units::update(&mut tx, unit_id, &unit.fields(), &actor.subject)
            .await
            .map_err(|err| unit_write_error(err, unit.division_code.as_deref()))?;
        commit_tree_change(ctx, tx, std::slice::from_ref(&updated)).await?;
        Ok(updated)
    }

    /// Moves a unit, with everything below it, under another parent. A township moved to
    /// another district needs its new `divisionCode`. Needs the right to administer both the
    /// unit and the new parent; a unit's own admins cannot move it (the level above does).
    async fn move_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        new_parent_id: ID,
        division_code: Option<String>,
    ) -> ApiResult<UnitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("id", &id)?;
        let new_parent_id = parse_id("newParentId", &new_parent_id)?;
        let mut tx = pool.begin().await?;
        db::tree::lock(&mut tx).await?;
        let unit =
            unit_for_change(ctx, &mut tx, unit_id, expected_version, Change::Reorganize).await?;
        let new_parent = other_unit_for_change(ctx, &mut tx, new_parent_id).await?;
        require_active(&unit, "id")?;
        require_active(&new_parent, "newParentId")?;
        if new_parent.path.starts_with(&unit.path) {
            return Err(ApiError::validation(
                "newParentId",
                kexie_subgraph_kit::text!(
                    "a unit cannot be moved under itself or one of its own descendants",
                    "组织不能调整到自身或其下级组织之下"
                ),
            ));
        }
        unit.kind.check_parent(Some(new_parent.kind))?;
        let division_code = match division_code.as_deref().map(str::trim) {
            Some("") | None => unit.division_code.clone(),
            Some(code) => Some(code.to_string()),
        };
        unit.kind.check_division_code(
            division_code.as_deref(),
            new_parent.division_code.as_deref(),
        )?;
        let changed = db::units::move_subtree(
            &mut tx,
            &unit,
            &new_parent,
            division_code.as_deref(),
            &actor.subject,
        )
        .await
        .map_err(|err| unit_write_error(err, division_code.as_deref()))?;
        let moved = changed
            .iter()
            .find(|row| row.unit_id == unit_id)
            .cloned()
            .ok_or_else(|| ApiError::internal("the moved unit is missing from its subtree"))?;
        commit_tree_change(ctx, tx, &changed).await?;
        Ok(moved)
    }

    /// Merges a unit into another of the same kind (townships merging): its children move
    /// under the other unit and it hangs there itself, MERGED, so its records roll up there.
    /// Needs the right to administer both units; a unit's own admins cannot merge it away
    /// (the level above does).
    async fn merge_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        into_unit_id: ID,
        note: Option<String>,
    ) -> ApiResult<UnitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("id", &id)?;
        let into_unit_id = parse_id("intoUnitId", &into_unit_id)?;
        let note = validate::optional_text("note", note.as_deref(), 500)?;
        let mut tx = pool.begin().await?;
        db::tree::lock(&mut tx).await?;
        let unit =
            unit_for_change(ctx, &mut tx, unit_id, expected_version, Change::Reorganize).await?;
        let target = other_unit_for_change(ctx, &mut tx, into_unit_id).await?;
        if unit.status != UnitStatus::Active {
            return Err(ApiError::IllegalTransition {
                entity: "Unit",
                from: unit.status.as_str().to_string(),
                to: UnitStatus::Merged.as_str().to_string(),
            });
        }
        require_active(&target, "intoUnitId")?;
        if target.path.starts_with(&unit.path) {
            return Err(ApiError::validation(
                "intoUnitId",
                kexie_subgraph_kit::text!(
                    "a unit cannot be merged into itself or one of its own descendants",
                    "组织不能并入自身或其下级组织"
                ),
            ));
        }
        if target.kind != unit.kind {
            return Err(ApiError::validation(
                "intoUnitId",
                kexie_subgraph_kit::text!(
                    "a {} unit can only merge into another {} unit",
                    "{} 类组织只能并入另一个 {} 类组织",
                    unit.kind.as_str(),
                    unit.kind.as_str()
                ),
            ));
        }
        let changed = db::units::merge(&mut tx, &unit, &target, &actor.subject).await?;
        history::record(
            &mut tx,
            unit_id,
            Some("ACTIVE"),
            "MERGED",
            &actor,
            note.as_deref(),
        )
        .await?;
        let merged = changed
            .iter()
            .find(|row| row.unit_id == unit_id)
            .cloned()
            .ok_or_else(|| ApiError::internal("the merged unit is missing from the change"))?;
        commit_tree_change(ctx, tx, &changed).await?;
        Ok(merged)
    }

    /// Dissolves a unit that has no active units below it; its records stay where they are.
    /// Needs the right to administer the unit; a unit's own admins cannot dissolve it (the
    /// level above does).
    async fn dissolve_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        note: Option<String>,
    ) -> ApiResult<UnitRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("id", &id)?;
        let note = validate::optional_text("note", note.as_deref(), 500)?;
        let mut tx = pool.begin().await?;
        db::tree::lock(&mut tx).await?;
        let unit =
            unit_for_change(ctx, &mut tx, unit_id, expected_version, Change::Reorganize).await?;
        if unit.status != UnitStatus::Active {
            return Err(ApiError::IllegalTransition {
                entity: "Unit",
                from: unit.status.as_str().to_string(),
                to: UnitStatus::Dissolved.as_str().to_string(),
            });
        }
        if db::units::active_children(&mut tx, unit_id).await? > 0 {
            return Err(ApiError::validation(
                "id",
                kexie_subgraph_kit::text!("a unit with active units below it cannot be dissolved; move or merge them first", "下级还有在用组织的组织不能撤销：请先调整或合并下级组织"),
            ));
        }
        let dissolved = db::units::dissolve(&mut tx, unit_id, &actor.subject).await?;
        history::record(
            &mut tx,
            unit_id,
            Some("ACTIVE"),
            "DISSOLVED",
            &actor,
            note.as_deref(),
        )
        .await?;
        commit_tree_change(ctx, tx, std::slice::from_ref(&dissolved)).await?;
        Ok(dissolved)
    }
}

/// Resolves the unit a record belongs to, for the record's `unit` field.
pub(super) async fn unit_of(ctx: &Context<'_>, unit_id: Uuid) -> ApiResult<UnitRow> {
    load_by_id::<UnitRow>(ctx, unit_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Unit", unit_id))
}

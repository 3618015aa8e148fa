//! 校企合作: cooperation agreements between universities (or institutes) and enterprises,
//! in force from the day signed to their end.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::id::{new_id, parse_id, parse_maybe_id, parse_optional_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::page::{
    list_connection, refuse_sync_below, ListPage, PageArgs, PerUnitQuery, RecordPage, SortColumn,
    SortField, TotalCount,
};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::Unit;
use super::needs::past_day;
use super::{pool, refuse_unit_filter};
use crate::db;
use crate::db::cooperation::{AgreementFields, AgreementFilter, AgreementRow};
use crate::domain::TechField;
use crate::policy;

const MAX_TITLE: usize = 200;
const MAX_ENTERPRISE: usize = 200;

#[Object(name = "CooperationAgreement")]
impl AgreementRow {
    async fn id(&self) -> ID {
        ID(self.cooperation_agreement_id.to_string())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    /// The university (or institute) side.
    async fn university(&self) -> Unit {
        Unit {
            id: self.university_unit_id,
        }
    }
    /// The enterprise side, when it is a unit of the tree.
    async fn enterprise(&self) -> Option<Unit> {
        self.enterprise_unit_id.map(|id| Unit { id })
    }
    /// The company, when it is not a unit of the tree (or its name in full).
    async fn enterprise_name(&self) -> Option<&str> {
        self.enterprise_name.as_deref()
    }
    async fn field(&self) -> TechField {
        self.field
    }
    async fn signed_on(&self) -> NaiveDate {
        self.signed_on
    }
    /// The last day in force; null while open-ended.
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.ends_on
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

/// Which agreements to list.
#[derive(InputObject, Default)]
#[graphql(name = "CooperationAgreementFilter")]
pub struct AgreementFilterInput {
    /// Signed by this university unit.
    pub unit_id: Option<ID>,
    /// With `unitId`: by any unit of its subtree.
    pub include_subtree: Option<bool>,
    pub fields: Option<Vec<TechField>>,
    /// In force on this day.
    pub in_force_on: Option<NaiveDate>,
    pub include_archived: Option<bool>,
    /// Incremental sync: agreements written at this time or later, in the order the changes
    /// committed (oldest first); continue with `after` set to the last page's `endCursor`.
    /// See the sync recipe in the README.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `cooperationAgreements` sorts by (`orderBy.field`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "CooperationAgreementOrderField")]
pub enum AgreementOrderField {
    /// 标题
    Title,
    /// 签订日期
    SignedOn,
    /// 更新时间
    UpdatedAt,
    /// 创建时间
    CreatedAt,
}

impl SortField for AgreementOrderField {
    fn column(self) -> SortColumn {
        match self {
            AgreementOrderField::Title => SortColumn::text("title"),
            AgreementOrderField::SignedOn => SortColumn::date("signed_on"),
            AgreementOrderField::UpdatedAt => SortColumn::time("updated_at"),
            AgreementOrderField::CreatedAt => SortColumn::time("created_at"),
        }
    }
}

kexie_subgraph_kit::list_order!(
    AgreementOrder,
    "CooperationAgreementOrder",
    AgreementOrderField
);

impl AgreementFilterInput {
    fn parse(self, ctx: &Context<'_>) -> ApiResult<AgreementFilter> {
        policy::require_reader(ctx, "Cooperation agreements")?;
        Ok(AgreementFilter {
            unit_id: parse_optional_id("filter.unitId", self.unit_id.as_ref())?,
            include_subtree: self.include_subtree.unwrap_or(false),
            fields: self
                .fields
                .map(|values| values.iter().map(|v| v.as_str().to_string()).collect()),
            in_force_on: self.in_force_on,
            include_archived: self.include_archived.unwrap_or(false),
        })
    }

    /// The filter of `Unit.cooperationAgreements`, whose unit is the one it hangs on.
    pub fn for_unit(self, ctx: &Context<'_>, include_subtree: bool) -> ApiResult<AgreementFilter> {
        refuse_sync_below(self.updated_since, "cooperationAgreements")?;
        refuse_unit_filter(self.unit_id.as_ref())?;
        let in_filter = self.include_subtree.unwrap_or(false);
        let mut filter = self.parse(ctx)?;
        filter.include_subtree = include_subtree || in_filter;
        Ok(filter)
    }
}

/// `Unit.cooperationAgreements` for a batch of units.
pub struct AgreementsOfUnit(pub PgPool);

impl PerUnitQuery for AgreementsOfUnit {
    type Filter = AgreementFilter;
    type Row = AgreementRow;

    async fn fetch(
        &self,
        ids: &[Uuid],
        filter: &AgreementFilter,
        page: PageArgs,
    ) -> ApiResult<Vec<(Uuid, AgreementRow)>> {
        Ok(db::cooperation::of_units(&self.0, ids, filter, page).await?)
    }

    async fn count(&self, ids: &[Uuid], filter: &AgreementFilter) -> ApiResult<Vec<(Uuid, i64)>> {
        Ok(db::cooperation::count_of_units(&self.0, ids, filter).await?)
    }
}

#[derive(Default)]
pub struct AgreementQuery;

#[Object]
impl AgreementQuery {
    /// Cooperation agreements, newest first. For staff and keys with `innovation:read`
    /// (`FORBIDDEN` otherwise).
    #[allow(clippy::too_many_arguments)]
    async fn cooperation_agreements(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgreementFilterInput>,
        order_by: Option<AgreementOrder>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<RecordPage<AgreementRow>> {
        let filter = filter.unwrap_or_default();
        let page = ListPage::parse(
            (first, after),
            (last, before),
            filter.updated_since,
            order_by,
        )?;
        let filter = filter.parse(ctx)?;
        let pool = pool(ctx)?.clone();
        let rows = db::cooperation::list(&pool, &filter, page.clone()).await?;
        let since = page.updated_since();
        let total = TotalCount::counted_by(move || {
            db::cooperation::count(pool.clone(), filter.clone(), since)
        });
        Ok(list_connection(rows, &page, total))
    }
}

/// An agreement signed.
#[derive(InputObject)]
pub struct CreateCooperationAgreementInput {
    /// The university (or institute) side; an active unit.
    pub university_unit_id: ID,
    /// The enterprise side when it is a unit of the tree; an active unit.
    pub enterprise_unit_id: Option<ID>,
    /// The company; required without `enterpriseUnitId`.
    pub enterprise_name: Option<String>,
    pub title: String,
    pub field: TechField,
    /// Not in the future.
    pub signed_on: NaiveDate,
    /// The last day in force, not before `signedOn`; absent while open-ended.
    pub ends_on: Option<NaiveDate>,
    /// A retried create with the same key returns the first agreement and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to an agreement; absent fields stay as they are, null clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateCooperationAgreementInput {
    pub university_unit_id: Option<ID>,
    pub enterprise_unit_id: MaybeUndefined<ID>,
    pub enterprise_name: MaybeUndefined<String>,
    pub title: Option<String>,
    pub field: Option<TechField>,
    pub signed_on: Option<NaiveDate>,
    pub ends_on: MaybeUndefined<NaiveDate>,
}

fn valid_agreement(fields: AgreementFields) -> ApiResult<AgreementFields> {
    let enterprise_name = validate::optional_text(
        "enterpriseName",
        fields.enterprise_name.as_deref(),
        MAX_ENTERPRISE,
    )?;
    if fields.enterprise_unit_id.is_none() && enterprise_name.is_none() {
        return Err(ApiError::validation(
            "enterpriseName",
            kexie_subgraph_kit::text!(
                "name the company, or give enterpriseUnitId",
                "请填写企业名称，或给出 enterpriseUnitId"
            ),
        ));
    }
    past_day("signedOn", fields.signed_on)?;
    validate::date_order("endsOn", Some(fields.signed_on), fields.ends_on)?;
    Ok(AgreementFields {
        enterprise_name,
        title: validate::text("title", &fields.title, MAX_TITLE)?,
        ..fields
    })
}

/// Reads and locks the agreement a mutation changes: live, the request may write the
/// records of its university unit (and of `new_unit`), and at the client's version.
async fn agreement_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
    new_unit: Option<Uuid>,
) -> ApiResult<AgreementRow> {
    let row = db::cooperation::get_for_update(conn, id).await?;
    let row = validate::live("CooperationAgreement", id, row, |row| {
        row.audit.is_archived()
    })?;
    policy::require_write(ctx, conn, row.university_unit_id, new_unit).await?;
    validate::expected_version(
        "CooperationAgreement",
        id,
        expected_version,
        row.audit.version,
    )?;
    Ok(row)
}

#[derive(Default)]
pub struct AgreementMutation;

#[Object]
impl AgreementMutation {
    /// Records an agreement. Staff record the agreements of the universities of their
    /// subtree (`FORBIDDEN` otherwise).
    async fn create_cooperation_agreement(
        &self,
        ctx: &Context<'_>,
        input: CreateCooperationAgreementInput,
    ) -> ApiResult<AgreementRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("universityUnitId", &input.university_unit_id)?;
        let enterprise = parse_optional_id("enterpriseUnitId", input.enterprise_unit_id.as_ref())?;
        let fields = valid_agreement(AgreementFields {
            university_unit_id: unit_id,
            enterprise_unit_id: enterprise,
            enterprise_name: input.enterprise_name.clone(),
            title: input.title.clone(),
            field: input.field,
            signed_on: input.signed_on,
            ends_on: input.ends_on,
        })?;
        require_active_unit(pool, "universityUnitId", unit_id).await?;
        if let Some(enterprise) = enterprise {
            require_active_unit(pool, "enterpriseUnitId", enterprise).await?;
        }
        let id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_write(ctx, &mut tx, unit_id, None).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createCooperationAgreement",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::cooperation::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("CooperationAgreement", existing));
        }
        db::cooperation::insert(&mut tx, id, &fields, &actor.subject).await?;
        let agreement = db::cooperation::get(&mut tx, id).await?;
        tx.commit().await?;
        Ok(agreement)
    }

    /// Changes an agreement (its end, when it is ended early or extended). Staff change the
    /// agreements of the universities of their subtree; moving one to another university
    /// needs both (`FORBIDDEN` otherwise).
    async fn update_cooperation_agreement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateCooperationAgreementInput,
    ) -> ApiResult<AgreementRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let agreement_id = parse_id("id", &id)?;
        let new_unit = parse_optional_id("universityUnitId", input.university_unit_id.as_ref())?;
        let new_enterprise = parse_maybe_id("enterpriseUnitId", input.enterprise_unit_id)?;
        let mut tx = pool.begin().await?;
        let current =
            agreement_for_change(ctx, &mut tx, agreement_id, expected_version, new_unit).await?;
        let fields = valid_agreement(AgreementFields {
            university_unit_id: new_unit.unwrap_or(current.university_unit_id),
            enterprise_unit_id: validate::patch(new_enterprise, current.enterprise_unit_id),
            enterprise_name: validate::patch(
                input.enterprise_name,
                current.enterprise_name.clone(),
            ),
            title: input.title.unwrap_or_else(|| current.title.clone()),
            field: input.field.unwrap_or(current.field),
            signed_on: input.signed_on.unwrap_or(current.signed_on),
            ends_on: validate::patch(input.ends_on, current.ends_on),
        })?;
        if let Some(unit_id) = new_unit.filter(|unit_id| *unit_id != current.university_unit_id) {
            require_active_unit(pool, "universityUnitId", unit_id).await?;
        }
        if let Some(enterprise) = fields
            .enterprise_unit_id
            .filter(|enterprise| Some(*enterprise) != current.enterprise_unit_id)
        {
            require_active_unit(pool, "enterpriseUnitId", enterprise).await?;
        }
        db::cooperation::update(&mut tx, agreement_id, &fields, &actor.subject).await?;
        let agreement = db::cooperation::get(&mut tx, agreement_id).await?;
        tx.commit().await?;
        Ok(agreement)
    }

    /// Leaves the agreement out of lists and figures. Staff archive the agreements of the
    /// universities of their subtree (`FORBIDDEN` otherwise).
    async fn archive_cooperation_agreement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<AgreementRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let agreement_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        agreement_for_change(ctx, &mut tx, agreement_id, expected_version, None).await?;
        db::cooperation::archive(&mut tx, agreement_id, &actor.subject).await?;
        let agreement = db::cooperation::get(&mut tx, agreement_id).await?;
        tx.commit().await?;
        Ok(agreement)
    }
}

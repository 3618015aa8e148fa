//! 科创中国 pilot designations: the 试点城市, 创新枢纽城市 and 试点园区 a unit carries, from a year
//! to a year. Public, like the unit directory: a designation is announced, not confidential.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use sqlx::PgPool;
use uuid::Uuid;

use kexie_subgraph_kit::id::{new_id, parse_id};
use kexie_subgraph_kit::idempotency::{self, Claim};
use kexie_subgraph_kit::record::Audit;
use kexie_subgraph_kit::schema::load;
use kexie_subgraph_kit::unit_tree::require_active_unit;
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::entities::Unit;
use super::pool;
use crate::db;
use crate::db::pilots::{PilotFields, PilotRow};
use crate::domain::PilotKind;
use crate::policy;

const MAX_NAME: usize = 200;

#[Object(name = "PilotDesignation")]
impl PilotRow {
    async fn id(&self) -> ID {
        ID(self.pilot_designation_id.to_string())
    }
    /// The unit designated.
    async fn unit(&self) -> Unit {
        Unit { id: self.unit_id }
    }
    async fn kind(&self) -> PilotKind {
        self.kind
    }
    /// The designation as announced, e.g. "科创中国"试点城市.
    async fn name(&self) -> &str {
        &self.name
    }
    async fn from_year(&self) -> i32 {
        self.from_year
    }
    /// The last year in force; null while in force.
    async fn to_year(&self) -> Option<i32> {
        self.to_year
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

/// `Unit.pilotDesignations` for a batch of units: the live designations of each.
pub struct PilotsOfUnit(pub PgPool);

impl Loader<Uuid> for PilotsOfUnit {
    type Value = Vec<PilotRow>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<PilotRow>>, Self::Error> {
        let rows = db::pilots::of_units(&self.0, ids, false)
            .await
            .map_err(ApiError::from)?;
        let mut by_unit: HashMap<Uuid, Vec<PilotRow>> = HashMap::new();
        for row in rows {
            by_unit.entry(row.unit_id).or_default().push(row);
        }
        Ok(by_unit)
    }
}

/// The live designations of `unit`, oldest first, batched with the other units of the
/// request.
pub async fn of_unit(ctx: &Context<'_>, unit: Uuid) -> ApiResult<Vec<PilotRow>> {
    Ok(load::<PilotsOfUnit, _>(ctx, unit)
        .await?
        .unwrap_or_default())
}

/// A designation to record.
#[derive(InputObject)]
pub struct CreatePilotDesignationInput {
    /// The designated unit; an active unit.
    pub unit_id: ID,
    pub kind: PilotKind,
    pub name: String,
    pub from_year: i32,
    /// Not before `fromYear`; absent while in force.
    pub to_year: Option<i32>,
    /// A retried create with the same key returns the first designation and writes nothing.
    pub idempotency_key: Option<String>,
}

/// Changes to a designation; absent fields stay as they are, null clears `toYear`.
#[derive(InputObject, Default)]
pub struct UpdatePilotDesignationInput {
    pub kind: Option<PilotKind>,
    pub name: Option<String>,
    pub from_year: Option<i32>,
    pub to_year: MaybeUndefined<i32>,
}

fn valid_pilot(fields: PilotFields) -> ApiResult<PilotFields> {
    validate::year("fromYear", fields.from_year)?;
    if let Some(to_year) = fields.to_year {
        validate::year("toYear", to_year)?;
        if to_year < fields.from_year {
            return Err(ApiError::validation(
                "toYear",
                kexie_subgraph_kit::text!("is before fromYear", "早于起始年份 fromYear"),
            ));
        }
    }
    Ok(PilotFields {
        name: validate::text("name", &fields.name, MAX_NAME)?,
        ..fields
    })
}

/// Reads and locks the designation a mutation changes: live, recorded by the request's
/// side (above the unit), and at the client's version.
async fn pilot_for_change(
    ctx: &Context<'_>,
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    expected_version: i32,
) -> ApiResult<PilotRow> {
    let row = db::pilots::get_for_update(conn, id).await?;
    let row = validate::live("PilotDesignation", id, row, |row| row.audit.is_archived())?;
    policy::require_designate(ctx, conn, row.unit_id).await?;
    validate::expected_version("PilotDesignation", id, expected_version, row.audit.version)?;
    Ok(row)
}

#[derive(Default)]
pub struct PilotMutation;

#[Object]
impl PilotMutation {
    /// Records a designation. Staff of a unit above the designated unit, or the city's
    /// administrators, record it (`FORBIDDEN` otherwise, the designated unit's own staff
    /// included).
    async fn create_pilot_designation(
        &self,
        ctx: &Context<'_>,
        input: CreatePilotDesignationInput,
    ) -> ApiResult<PilotRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let unit_id = parse_id("unitId", &input.unit_id)?;
        let fields = valid_pilot(PilotFields {
            unit_id,
            kind: input.kind,
            name: input.name.clone(),
            from_year: input.from_year,
            to_year: input.to_year,
        })?;
        require_active_unit(pool, "unitId", unit_id).await?;
        let id = new_id();
        let mut tx = pool.begin().await?;
        policy::require_designate(ctx, &mut tx, unit_id).await?;
        if let Claim::Existing(existing) = idempotency::claim(
            &mut tx,
            "createPilotDesignation",
            &actor,
            input.idempotency_key.as_deref(),
            &input,
            id,
        )
        .await?
        {
            tx.rollback().await?;
            return db::pilots::find(pool, &[existing])
                .await?
                .pop()
                .ok_or_else(|| ApiError::not_found("PilotDesignation", existing));
        }
        db::pilots::insert(&mut tx, id, &fields, &actor.subject).await?;
        let pilot = db::pilots::get(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pilot)
    }

    /// Changes a designation (its last year, when it ends). Recorded as `createPilotDesignation`
    /// is.
    async fn update_pilot_designation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdatePilotDesignationInput,
    ) -> ApiResult<PilotRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let pilot_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        let current = pilot_for_change(ctx, &mut tx, pilot_id, expected_version).await?;
        let fields = valid_pilot(PilotFields {
            unit_id: current.unit_id,
            kind: input.kind.unwrap_or(current.kind),
            name: input.name.unwrap_or_else(|| current.name.clone()),
            from_year: input.from_year.unwrap_or(current.from_year),
            to_year: validate::patch(input.to_year, current.to_year),
        })?;
        db::pilots::update(&mut tx, pilot_id, &fields, &actor.subject).await?;
        let pilot = db::pilots::get(&mut tx, pilot_id).await?;
        tx.commit().await?;
        Ok(pilot)
    }

    /// Withdraws a designation recorded in error (out of lists and figures). Recorded as
    /// `createPilotDesignation` is.
    async fn archive_pilot_designation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<PilotRow> {
        let pool = pool(ctx)?;
        let actor = Actor::of(ctx);
        let pilot_id = parse_id("id", &id)?;
        let mut tx = pool.begin().await?;
        pilot_for_change(ctx, &mut tx, pilot_id, expected_version).await?;
        db::pilots::archive(&mut tx, pilot_id, &actor.subject).await?;
        let pilot = db::pilots::get(&mut tx, pilot_id).await?;
        tx.commit().await?;
        Ok(pilot)
    }
}

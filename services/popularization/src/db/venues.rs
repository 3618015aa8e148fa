//! Venues (科普阵地).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{self, fetch_list, push_list_page};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use super::{
    lateral_prefix, push_any, push_count_select, push_search, push_select, push_units, units_of,
    Listed, Scope,
};
use crate::domain::venue::VenueFields;
use crate::domain::{VenueKind, VenueStatus};

const VENUES: Listed = Listed {
    from: "venue v",
    columns: COLUMNS,
    id: "v.venue_id",
    bare_id: "venue_id",
    unit: "v.owner_unit_id",
};

const COLUMNS: &str = "v.venue_id, v.owner_unit_id, v.name, v.kind, v.status, v.co_builders,
    v.address, v.longitude, v.latitude, v.floor_area, v.opened_on, v.yearly_visitors, v.version,
    v.created_at, v.created_by, v.updated_at, v.updated_by, v.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VenueRow {
    pub venue_id: Uuid,
    pub owner_unit_id: Uuid,
    pub name: String,
    pub kind: VenueKind,
    pub status: VenueStatus,
    pub co_builders: Vec<String>,
    pub address: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub floor_area: Option<f64>,
    pub opened_on: Option<NaiveDate>,
    pub yearly_visitors: Option<i32>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for VenueRow {
    fn id(&self) -> Uuid {
        self.venue_id
    }
}

impl FindById for VenueRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

impl VenueRow {
    /// The venue's own fields, as an update starts from them.
    pub fn fields(&self) -> VenueFields {
        VenueFields {
            name: self.name.clone(),
            kind: self.kind,
            co_builders: self.co_builders.clone(),
            address: self.address.clone(),
            longitude: self.longitude,
            latitude: self.latitude,
            floor_area: self.floor_area,
            opened_on: self.opened_on,
            yearly_visitors: self.yearly_visitors,
        }
    }
}

/// Which venues a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VenueFilter {
    /// The owner; in a per-unit list, the unit asked about instead.
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub kinds: Option<Vec<VenueKind>>,
    pub statuses: Option<Vec<VenueStatus>>,
    pub search: Option<String>,
    pub include_archived: bool,
    /// Only OPEN venues: all the public may see.
    pub open_only: bool,
}

/// The predicates of `filter` but its unit, which the caller has resolved to `units`.
fn push_filter(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &VenueFilter,
    units: Option<Vec<Uuid>>,
) {
    push_units(qb, "v.owner_unit_id", units);
    if let Some(kinds) = &filter.kinds {
        push_any(
            qb,
            "v.kind",
            kinds.iter().map(|kind| kind.as_str()).collect(),
        );
    }
    if let Some(statuses) = &filter.statuses {
        push_any(
            qb,
            "v.status",
            statuses.iter().map(|status| status.as_str()).collect(),
        );
    }
    if let Some(search) = &filter.search {
        push_search(qb, "v.name", search);
    }
    if !filter.include_archived {
        qb.push(" and v.archived_at is null");
    }
    if filter.open_only {
        qb.push(" and v.status = 'OPEN'");
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<VenueRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from venue v where v.venue_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &VenueFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<VenueRow>>> {
    let units = units_of(pool, filter.unit_id, filter.include_subtree).await?;
    let mut qb = QueryBuilder::new(format!(
        "select v.changed_xid::text::bigint as change_seq, {COLUMNS} from venue v where true"
    ));
    push_filter(&mut qb, filter, units);
    push_list_page(
        &mut qb,
        ("v.changed_xid", "v.venue_id", "v.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many venues `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: VenueFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    let units = units_of(&pool, filter.unit_id, filter.include_subtree).await?;
    list_query::count(&pool, "v.updated_at", since, |qb| {
        qb.push("select 1 from venue v where true");
        push_filter(qb, &filter, units);
    })
    .await
}

/// One page of venues for each of `unit_ids` (owned by the unit, or with
/// `filter.include_subtree` by its subtree), in one statement. `filter.unit_id` is not
/// used: the units are the batch's.
pub async fn per_unit(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &VenueFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, VenueRow)>> {
    #[derive(sqlx::FromRow)]
    struct Keyed {
        key_id: Uuid,
        #[sqlx(flatten)]
        venue: VenueRow,
    }
    let scope = if filter.include_subtree {
        Scope::KeySubtree
    } else {
        Scope::KeyColumn("v.owner_unit_id")
    };
    let mut qb = lateral_prefix(unit_ids);
    push_select(
        &mut qb,
        &VENUES,
        scope,
        |qb| push_filter(qb, filter, None),
        page,
    );
    qb.push(") t");
    let rows: Vec<Keyed> = qb
        .build_query_as()
        .persistent(false)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.key_id, row.venue))
        .collect())
}

/// How many venues `filter` shows for each of `unit_ids`, in one statement (`totalCount`).
pub async fn count_per_unit(
    pool: &PgPool,
    unit_ids: &[Uuid],
    filter: &VenueFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    let scope = if filter.include_subtree {
        Scope::KeySubtree
    } else {
        Scope::KeyColumn("v.owner_unit_id")
    };
    list_query::count_per_key(pool, unit_ids, |qb| {
        push_count_select(qb, &VENUES, scope, |qb| push_filter(qb, filter, None))
    })
    .await
}

/// Reads a venue and locks it for the rest of the transaction.
pub async fn get_for_update(
    conn: &mut PgConnection,
    venue_id: Uuid,
) -> sqlx::Result<Option<VenueRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from venue v where v.venue_id = $1 for update"
    ))
    .bind(venue_id)
    .fetch_optional(conn)
    .await
}

/// Reads a venue an activity is being attached to, sharing the lock so that it cannot
/// close or be archived before the activity commits.
pub async fn get_for_share(
    conn: &mut PgConnection,
    venue_id: Uuid,
) -> sqlx::Result<Option<VenueRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from venue v where v.venue_id = $1 for share"
    ))
    .bind(venue_id)
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    venue_id: Uuid,
    owner_unit_id: Uuid,
    status: VenueStatus,
    fields: &VenueFields,
    actor: &str,
) -> sqlx::Result<VenueRow> {
    sqlx::query_as(&format!(
        "insert into venue as v (venue_id, owner_unit_id, status, name, kind, co_builders, address,
                                 longitude, latitude, floor_area, opened_on, yearly_visitors,
                                 created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
         returning {COLUMNS}"
    ))
    .bind(venue_id)
    .bind(owner_unit_id)
    .bind(status)
    .bind(&fields.name)
    .bind(fields.kind)
    .bind(&fields.co_builders)
    .bind(&fields.address)
    .bind(fields.longitude)
    .bind(fields.latitude)
    .bind(fields.floor_area)
    .bind(fields.opened_on)
    .bind(fields.yearly_visitors)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    venue_id: Uuid,
    owner_unit_id: Uuid,
    fields: &VenueFields,
    actor: &str,
) -> sqlx::Result<VenueRow> {
    sqlx::query_as(&format!(
        "update venue v set owner_unit_id = $2, name = $3, kind = $4, co_builders = $5, address = $6,
                longitude = $7, latitude = $8, floor_area = $9, opened_on = $10, yearly_visitors = $11,
                updated_by = $12, version = version + 1
         where v.venue_id = $1 returning {COLUMNS}"
    ))
    .bind(venue_id)
    .bind(owner_unit_id)
    .bind(&fields.name)
    .bind(fields.kind)
    .bind(&fields.co_builders)
    .bind(&fields.address)
    .bind(fields.longitude)
    .bind(fields.latitude)
    .bind(fields.floor_area)
    .bind(fields.opened_on)
    .bind(fields.yearly_visitors)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// Moves the venue to `status`, with its opening date as it then stands.
pub async fn set_status(
    conn: &mut PgConnection,
    venue_id: Uuid,
    status: VenueStatus,
    opened_on: Option<NaiveDate>,
    actor: &str,
) -> sqlx::Result<VenueRow> {
    sqlx::query_as(&format!(
        "update venue v set status = $2, opened_on = $3, updated_by = $4, version = version + 1
         where v.venue_id = $1 returning {COLUMNS}"
    ))
    .bind(venue_id)
    .bind(status)
    .bind(opened_on)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    venue_id: Uuid,
    actor: &str,
) -> sqlx::Result<VenueRow> {
    sqlx::query_as(&format!(
        "update venue v set archived_at = now(), archived_by = $2, updated_by = $2, version = version + 1
         where v.venue_id = $1 returning {COLUMNS}"
    ))
    .bind(venue_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

//! Popularization activities (科普活动).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{self, fetch_list, push_list_page};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use super::{
    lateral_prefix, push_any, push_count_select, push_overlap, push_search, push_select,
    push_units, units_of, Listed, Scope,
};
use crate::domain::activity::ActivityFields;
use crate::domain::{
    ActivityKind, ActivityMode, ActivityStatus, ActivityTopic, Audience, EnumList, PartnerBureau,
};

const ACTIVITIES: Listed = Listed {
    from: "activity a",
    columns: COLUMNS,
    id: "a.activity_id",
    bare_id: "activity_id",
    unit: "a.organizer_unit_id",
};

const COLUMNS: &str = "a.activity_id, a.organizer_unit_id, a.title, a.kind, a.partner_bureaus,
    a.venue_id, a.starts_on, a.ends_on, a.audiences, a.topics, a.participants, a.online_reach, a.mode,
    a.status, a.version, a.created_at, a.created_by, a.updated_at, a.updated_by, a.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ActivityRow {
    pub activity_id: Uuid,
    pub organizer_unit_id: Uuid,
    pub title: String,
    pub kind: ActivityKind,
    #[sqlx(try_from = "Vec<String>")]
    pub partner_bureaus: EnumList<PartnerBureau>,
    pub venue_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[sqlx(try_from = "Vec<String>")]
    pub audiences: EnumList<Audience>,
    #[sqlx(try_from = "Vec<String>")]
    pub topics: EnumList<ActivityTopic>,
    pub participants: i32,
    pub online_reach: i32,
    pub mode: ActivityMode,
    pub status: ActivityStatus,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for ActivityRow {
    fn id(&self) -> Uuid {
        self.activity_id
    }
}

impl FindById for ActivityRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

impl ActivityRow {
    /// The activity's own fields, as an update starts from them.
    pub fn fields(&self) -> ActivityFields {
        ActivityFields {
            title: self.title.clone(),
            kind: self.kind,
            partner_bureaus: self.partner_bureaus.0.clone(),
            venue_id: self.venue_id,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            audiences: self.audiences.0.clone(),
            topics: self.topics.0.clone(),
            participants: self.participants,
            online_reach: self.online_reach,
            mode: self.mode,
        }
    }
}

/// Which activities a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ActivityFilter {
    /// The organizer; in a per-unit list, the unit asked about instead.
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub kinds: Option<Vec<ActivityKind>>,
    pub statuses: Option<Vec<ActivityStatus>>,
    /// Activities for any of these audiences.
    pub audiences: Option<Vec<Audience>>,
    /// Activities on any of these topics.
    pub topics: Option<Vec<ActivityTopic>>,
    /// Activities co-organized by any of these bureaus.
    pub partner_bureaus: Option<Vec<PartnerBureau>>,
    /// Only activities with (true) or without (false) partner bureaus.
    pub co_organized: Option<bool>,
    pub venue_id: Option<Uuid>,
    /// Starting on or after this day.
    pub starts_from: Option<NaiveDate>,
    /// Starting on or before this day.
    pub starts_to: Option<NaiveDate>,
    pub modes: Option<Vec<ActivityMode>>,
    pub search: Option<String>,
    pub include_archived: bool,
    /// Which activities the caller may see at all.
    pub reach: ActivityReach,
}

/// Which activities a caller may see, whatever it asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ActivityReach {
    /// Every activity: staff, and partners that read venues and activities.
    #[default]
    All,
    /// HELD activities only: the public.
    Held,
    /// HELD activities and those the bureau co-organizes: a co-organizing partner.
    HeldOrCoOrganizedBy(PartnerBureau),
}

impl ActivityReach {
    /// Whether `activity` is within reach.
    pub fn shows(self, activity: &ActivityRow) -> bool {
        match self {
            ActivityReach::All => true,
            ActivityReach::Held => activity.status == ActivityStatus::Held,
            ActivityReach::HeldOrCoOrganizedBy(bureau) => {
                activity.status == ActivityStatus::Held
                    || activity.partner_bureaus.0.contains(&bureau)
            }
        }
    }
}

/// The predicates of `filter` but its organizer, which the caller has resolved to `units`.
fn push_filter(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &ActivityFilter,
    units: Option<Vec<Uuid>>,
) {
    push_units(qb, "a.organizer_unit_id", units);
    if let Some(kinds) = &filter.kinds {
        push_any(
            qb,
            "a.kind",
            kinds.iter().map(|kind| kind.as_str()).collect(),
        );
    }
    if let Some(statuses) = &filter.statuses {
        push_any(
            qb,
            "a.status",
            statuses.iter().map(|status| status.as_str()).collect(),
        );
    }
    if let Some(audiences) = &filter.audiences {
        push_overlap(
            qb,
            "a.audiences",
            audiences.iter().map(|audience| audience.as_str()).collect(),
        );
    }
    if let Some(topics) = &filter.topics {
        push_overlap(
            qb,
            "a.topics",
            topics.iter().map(|topic| topic.as_str()).collect(),
        );
    }
    if let Some(bureaus) = &filter.partner_bureaus {
        push_overlap(
            qb,
            "a.partner_bureaus",
            bureaus.iter().map(|bureau| bureau.as_str()).collect(),
        );
    }
    match filter.co_organized {
        Some(true) => {
            qb.push(" and cardinality(a.partner_bureaus) > 0");
        }
        Some(false) => {
            qb.push(" and cardinality(a.partner_bureaus) = 0");
        }
        None => {}
    }
    if let Some(venue_id) = filter.venue_id {
        qb.push(" and a.venue_id = ").push_bind(venue_id);
    }
    if let Some(from) = filter.starts_from {
        qb.push(" and a.starts_on >= ").push_bind(from);
    }
    if let Some(to) = filter.starts_to {
        qb.push(" and a.starts_on <= ").push_bind(to);
    }
    if let Some(modes) = &filter.modes {
        push_any(
            qb,
            "a.mode",
            modes.iter().map(|mode| mode.as_str()).collect(),
        );
    }
    if let Some(search) = &filter.search {
        push_search(qb, "a.title", search);
    }
    if !filter.include_archived {
        qb.push(" and a.archived_at is null");
    }
    match filter.reach {
        ActivityReach::All => {}
        ActivityReach::Held => {
            qb.push(" and a.status = 'HELD'");
        }
        ActivityReach::HeldOrCoOrganizedBy(bureau) => {
            qb.push(" and (a.status = 'HELD' or ")
                .push_bind(bureau.as_str())
                .push("::text = any(a.partner_bureaus))");
        }
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<ActivityRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from activity a where a.activity_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &ActivityFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<ActivityRow>>> {
    let units = units_of(pool, filter.unit_id, filter.include_subtree).await?;
    let mut qb = QueryBuilder::new(format!(
        "select a.changed_xid::text::bigint as change_seq, {COLUMNS} from activity a where true"
    ));
    push_filter(&mut qb, filter, units);
    push_list_page(
        &mut qb,
        ("a.changed_xid", "a.activity_id", "a.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many activities `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: ActivityFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    let units = units_of(&pool, filter.unit_id, filter.include_subtree).await?;
    list_query::count(&pool, "a.updated_at", since, |qb| {
        qb.push("select 1 from activity a where true");
        push_filter(qb, &filter, units);
    })
    .await
}

/// What the keys of a per-key activity list name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActivityOwner {
    /// Organizing units (`Unit.activities`); `filter.include_subtree` widens each to its
    /// subtree.
    Organizer,
    /// Venues (`Venue.activities`).
    Venue,
}

/// One page of activities for each of `keys`, in one statement.
pub async fn per_key(
    pool: &PgPool,
    owner: ActivityOwner,
    keys: &[Uuid],
    filter: &ActivityFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, ActivityRow)>> {
    #[derive(sqlx::FromRow)]
    struct Keyed {
        key_id: Uuid,
        #[sqlx(flatten)]
        activity: ActivityRow,
    }
    let (scope, units) = match owner {
        ActivityOwner::Organizer if filter.include_subtree => (Scope::KeySubtree, None),
        ActivityOwner::Organizer => (Scope::KeyColumn("a.organizer_unit_id"), None),
        // A venue's activities may still be narrowed to a unit's.
        ActivityOwner::Venue => (
            Scope::KeyColumn("a.venue_id"),
            units_of(pool, filter.unit_id, filter.include_subtree).await?,
        ),
    };
    let mut qb = lateral_prefix(keys);
    push_select(
        &mut qb,
        &ACTIVITIES,
        scope,
        |qb| push_filter(qb, filter, units),
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
        .map(|row| (row.key_id, row.activity))
        .collect())
}

/// How many activities `filter` shows for each of `keys`, in one statement (`totalCount`).
pub async fn count_per_key(
    pool: &PgPool,
    owner: ActivityOwner,
    keys: &[Uuid],
    filter: &ActivityFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    let (scope, units) = match owner {
        ActivityOwner::Organizer if filter.include_subtree => (Scope::KeySubtree, None),
        ActivityOwner::Organizer => (Scope::KeyColumn("a.organizer_unit_id"), None),
        ActivityOwner::Venue => (
            Scope::KeyColumn("a.venue_id"),
            units_of(pool, filter.unit_id, filter.include_subtree).await?,
        ),
    };
    list_query::count_per_key(pool, keys, |qb| {
        push_count_select(qb, &ACTIVITIES, scope, |qb| push_filter(qb, filter, units))
    })
    .await
}

/// Reads an activity and locks it for the rest of the transaction.
pub async fn get_for_update(
    conn: &mut PgConnection,
    activity_id: Uuid,
) -> sqlx::Result<Option<ActivityRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from activity a where a.activity_id = $1 for update"
    ))
    .bind(activity_id)
    .fetch_optional(conn)
    .await
}

fn texts<T: Copy>(values: &[T], as_str: fn(T) -> &'static str) -> Vec<&'static str> {
    values.iter().map(|value| as_str(*value)).collect()
}

pub async fn insert(
    conn: &mut PgConnection,
    activity_id: Uuid,
    organizer_unit_id: Uuid,
    fields: &ActivityFields,
    actor: &str,
) -> sqlx::Result<ActivityRow> {
    sqlx::query_as(&format!(
        "insert into activity as a (activity_id, organizer_unit_id, title, kind, partner_bureaus,
                                    venue_id, starts_on, ends_on, audiences, topics,
                                    participants, online_reach, mode, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $14, $10, $11, $12, $13, $13)
         returning {COLUMNS}"
    ))
    .bind(activity_id)
    .bind(organizer_unit_id)
    .bind(&fields.title)
    .bind(fields.kind)
    .bind(texts(&fields.partner_bureaus, PartnerBureau::as_str))
    .bind(fields.venue_id)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(texts(&fields.audiences, Audience::as_str))
    .bind(fields.participants)
    .bind(fields.online_reach)
    .bind(fields.mode)
    .bind(actor)
    .bind(texts(&fields.topics, ActivityTopic::as_str))
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    activity_id: Uuid,
    organizer_unit_id: Uuid,
    fields: &ActivityFields,
    actor: &str,
) -> sqlx::Result<ActivityRow> {
    sqlx::query_as(&format!(
        "update activity a set organizer_unit_id = $2, title = $3, kind = $4, partner_bureaus = $5,
                venue_id = $6, starts_on = $7, ends_on = $8, audiences = $9, participants = $10,
                online_reach = $11, mode = $12, updated_by = $13, topics = $14,
                version = version + 1
         where a.activity_id = $1 returning {COLUMNS}"
    ))
    .bind(activity_id)
    .bind(organizer_unit_id)
    .bind(&fields.title)
    .bind(fields.kind)
    .bind(texts(&fields.partner_bureaus, PartnerBureau::as_str))
    .bind(fields.venue_id)
    .bind(fields.starts_on)
    .bind(fields.ends_on)
    .bind(texts(&fields.audiences, Audience::as_str))
    .bind(fields.participants)
    .bind(fields.online_reach)
    .bind(fields.mode)
    .bind(actor)
    .bind(texts(&fields.topics, ActivityTopic::as_str))
    .fetch_one(conn)
    .await
}

/// Moves the activity to `status` with its counts as they then stand.
pub async fn set_status(
    conn: &mut PgConnection,
    activity_id: Uuid,
    status: ActivityStatus,
    participants: i32,
    online_reach: i32,
    actor: &str,
) -> sqlx::Result<ActivityRow> {
    sqlx::query_as(&format!(
        "update activity a set status = $2, participants = $3, online_reach = $4, updated_by = $5,
                version = version + 1
         where a.activity_id = $1 returning {COLUMNS}"
    ))
    .bind(activity_id)
    .bind(status)
    .bind(participants)
    .bind(online_reach)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive(
    conn: &mut PgConnection,
    activity_id: Uuid,
    actor: &str,
) -> sqlx::Result<ActivityRow> {
    sqlx::query_as(&format!(
        "update activity a set archived_at = now(), archived_by = $2, updated_by = $2,
                version = version + 1
         where a.activity_id = $1 returning {COLUMNS}"
    ))
    .bind(activity_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

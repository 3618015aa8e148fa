//! Webhook subscriptions, the events relayed from every subgraph, and their deliveries.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_subgraph_kit::outbox::OutboxEvent;
use kexie_subgraph_kit::page::PageArgs;
use kexie_subgraph_kit::record::{Audit, Record};

const SUBSCRIPTION_COLUMNS: &str = "s.webhook_subscription_id, s.api_key_id, s.url,
    s.event_types, s.description, s.secret, s.active, s.version, s.created_at, s.created_by,
    s.updated_at, s.updated_by, s.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub webhook_subscription_id: Uuid,
    /// The partner's key it belongs to; `None` for a city admin's.
    pub api_key_id: Option<Uuid>,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub secret: String,
    pub active: bool,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for SubscriptionRow {
    fn id(&self) -> Uuid {
        self.webhook_subscription_id
    }
}

/// The subscriptions of `api_key_id`, or with `None` every one; newest first.
pub async fn subscriptions(
    pool: &PgPool,
    api_key_id: Option<Uuid>,
) -> sqlx::Result<Vec<SubscriptionRow>> {
    sqlx::query_as(&format!(
        "select {SUBSCRIPTION_COLUMNS} from webhook_subscription s
         where s.archived_at is null and ($1::uuid is null or s.api_key_id = $1)
         order by s.webhook_subscription_id desc"
    ))
    .bind(api_key_id)
    .fetch_all(pool)
    .await
}

pub async fn subscription(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<SubscriptionRow>> {
    sqlx::query_as(&format!(
        "select {SUBSCRIPTION_COLUMNS} from webhook_subscription s where s.webhook_subscription_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

pub async fn subscription_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<SubscriptionRow>> {
    sqlx::query_as(&format!(
        "select {SUBSCRIPTION_COLUMNS} from webhook_subscription s
         where s.webhook_subscription_id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// What a subscriber sets on a subscription.
pub struct SubscriptionFields<'a> {
    pub url: &'a str,
    pub event_types: &'a [String],
    pub description: Option<&'a str>,
    pub active: bool,
}

pub async fn insert_subscription(
    conn: &mut PgConnection,
    id: Uuid,
    api_key_id: Option<Uuid>,
    fields: &SubscriptionFields<'_>,
    secret: &str,
    actor: &str,
) -> sqlx::Result<SubscriptionRow> {
    sqlx::query_as(&format!(
        "insert into webhook_subscription as s (webhook_subscription_id, api_key_id, url,
             event_types, description, secret, active, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning {SUBSCRIPTION_COLUMNS}"
    ))
    .bind(id)
    .bind(api_key_id)
    .bind(fields.url)
    .bind(fields.event_types)
    .bind(fields.description)
    .bind(secret)
    .bind(fields.active)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn update_subscription(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &SubscriptionFields<'_>,
    actor: &str,
) -> sqlx::Result<SubscriptionRow> {
    sqlx::query_as(&format!(
        "update webhook_subscription s set url = $2, event_types = $3, description = $4,
             active = $5, updated_by = $6, version = s.version + 1
         where s.webhook_subscription_id = $1 returning {SUBSCRIPTION_COLUMNS}"
    ))
    .bind(id)
    .bind(fields.url)
    .bind(fields.event_types)
    .bind(fields.description)
    .bind(fields.active)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn rotate_secret(
    conn: &mut PgConnection,
    id: Uuid,
    secret: &str,
    actor: &str,
) -> sqlx::Result<SubscriptionRow> {
    sqlx::query_as(&format!(
        "update webhook_subscription s set secret = $2, updated_by = $3, version = s.version + 1
         where s.webhook_subscription_id = $1 returning {SUBSCRIPTION_COLUMNS}"
    ))
    .bind(id)
    .bind(secret)
    .bind(actor)
    .fetch_one(conn)
    .await
}

pub async fn archive_subscription(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
) -> sqlx::Result<SubscriptionRow> {
    sqlx::query_as(&format!(
        "update webhook_subscription s set archived_at = now(), archived_by = $2,
             active = false, updated_by = $2, version = s.version + 1
         where s.webhook_subscription_id = $1 returning {SUBSCRIPTION_COLUMNS}"
    ))
    .bind(id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// The last `seq` stored from each subgraph.
pub async fn source_positions(pool: &PgPool) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("select source, seq from webhook_source order by source")
        .fetch_all(pool)
        .await
}

/// Locks a subgraph's position until the transaction ends; other processes storing the
/// same subgraph's events wait, then see what was stored.
pub async fn lock_source(conn: &mut PgConnection, source: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("select seq from webhook_source where source = $1 for update")
        .bind(source)
        .fetch_one(conn)
        .await
}

pub async fn set_source(conn: &mut PgConnection, source: &str, seq: i64) -> sqlx::Result<()> {
    sqlx::query("update webhook_source set seq = $2 where source = $1")
        .bind(source)
        .bind(seq)
        .execute(conn)
        .await
        .map(drop)
}

/// Who may receive an event: the subscriptions wanting its type, and of partners' only
/// those whose key is live and (with `scope`) holds it; with `partners` false, city
/// admins' only.
pub struct Audience<'a> {
    pub partners: bool,
    pub scope: Option<&'a str>,
}

/// Stores `event` with a delivery for every subscription that wants it; stores nothing
/// when none does. Returns how many deliveries it made.
pub async fn store_event(
    conn: &mut PgConnection,
    source: &str,
    event: &OutboxEvent,
    audience: &Audience<'_>,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "with wanting as (
             select s.webhook_subscription_id from webhook_subscription s
             left join api_key k on k.api_key_id = s.api_key_id
             where s.archived_at is null and $3 = any(s.event_types)
               and (s.api_key_id is null
                    or ($11 and k.revoked_at is null and ($12::text is null or $12 = any(k.scopes))))
         ), stored as (
             insert into webhook_event (event_id, source, source_seq, event_type, record_type,
                 record_id, record_version, unit_id, from_status, to_status, occurred_at)
             select $1, $2, $13, $3, $4, $5, $6, $7, $8, $9, $10
             where exists (select 1 from wanting)
             on conflict (event_id) do nothing
             returning webhook_event_seq
         )
         insert into webhook_delivery (webhook_delivery_id, webhook_subscription_id, webhook_event_seq)
         select gen_random_uuid(), w.webhook_subscription_id, e.webhook_event_seq
         from wanting w cross join stored e",
    )
    .bind(event.event_id)
    .bind(source)
    .bind(&event.event_type)
    .bind(&event.record_type)
    .bind(event.record_id)
    .bind(event.record_version)
    .bind(event.unit_id)
    .bind(&event.from_status)
    .bind(&event.to_status)
    .bind(event.occurred_at)
    .bind(audience.partners)
    .bind(audience.scope)
    .bind(event.seq)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

const DELIVERY_COLUMNS: &str = "d.webhook_delivery_id, d.webhook_subscription_id,
    d.webhook_event_seq, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
    d.last_status_code, d.last_error, d.delivered_at, d.created_at, e.source_seq as seq,
    e.event_id, e.event_type,
    e.record_type, e.record_id, e.record_version, e.unit_id, e.from_status, e.to_status,
    e.occurred_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeliveryRow {
    pub webhook_delivery_id: Uuid,
    pub webhook_subscription_id: Uuid,
    pub webhook_event_seq: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub event: OutboxEvent,
}

/// A subscription's deliveries, newest event first, with `status` only those.
pub async fn deliveries(
    pool: &PgPool,
    subscription_id: Uuid,
    status: Option<&str>,
    page: PageArgs,
) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as(&format!(
        "select {DELIVERY_COLUMNS} from webhook_delivery d
         join webhook_event e on e.webhook_event_seq = d.webhook_event_seq
         where d.webhook_subscription_id = $1 and ($2::text is null or d.status = $2)
           and ($3::uuid is null or d.webhook_event_seq < (select webhook_event_seq
                from webhook_delivery where webhook_delivery_id = $3))
         order by d.webhook_event_seq desc limit $4"
    ))
    .bind(subscription_id)
    .bind(status)
    .bind(page.after)
    .bind(page.limit())
    .fetch_all(pool)
    .await
}

/// How many deliveries the log shows over all pages (`totalCount`).
pub async fn count_deliveries(
    pool: PgPool,
    subscription_id: Uuid,
    status: Option<&'static str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from webhook_delivery
         where webhook_subscription_id = $1 and ($2::text is null or status = $2)",
    )
    .bind(subscription_id)
    .bind(status)
    .fetch_one(&pool)
    .await
}

pub async fn delivery(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<DeliveryRow>> {
    sqlx::query_as(&format!(
        "select {DELIVERY_COLUMNS} from webhook_delivery d
         join webhook_event e on e.webhook_event_seq = d.webhook_event_seq
         where d.webhook_delivery_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Makes a delivery PENDING again, to be attempted at once, with a new window of retries.
pub async fn redeliver(pool: &PgPool, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "update webhook_delivery set status = 'PENDING', next_attempt_at = now(),
             retrying_since = now(), leased_until = null
         where webhook_delivery_id = $1",
    )
    .bind(id)
    .execute(pool)
    .await
    .map(drop)
}

/// A delivery taken for an attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueDelivery {
    pub webhook_delivery_id: Uuid,
    pub attempts: i32,
    pub retrying_since: DateTime<Utc>,
    pub url: String,
    pub secret: String,
    #[sqlx(flatten)]
    pub event: OutboxEvent,
}

/// Takes the next delivery of each active subscription (the oldest PENDING one, if it is
/// due and nobody holds it), up to `limit`, leasing each for `lease` and counting the
/// attempt. A partner's subscriptions rest while its key is revoked.
pub async fn take_due(
    pool: &PgPool,
    limit: i64,
    lease: std::time::Duration,
) -> sqlx::Result<Vec<DueDelivery>> {
    sqlx::query_as(
        "with head as (
             select h.webhook_delivery_id
             from webhook_subscription s
             cross join lateral (
                 select d.webhook_delivery_id, d.next_attempt_at, d.leased_until
                 from webhook_delivery d
                 where d.webhook_subscription_id = s.webhook_subscription_id and d.status = 'PENDING'
                 order by d.webhook_event_seq limit 1
             ) h
             where s.active and s.archived_at is null and h.next_attempt_at <= now()
               and (h.leased_until is null or h.leased_until < now())
               and not exists (select 1 from api_key k
                               where k.api_key_id = s.api_key_id and k.revoked_at is not null)
             limit $1
         ), taken as (
             update webhook_delivery d
             set leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1,
                 last_attempt_at = now()
             from head
             where d.webhook_delivery_id = head.webhook_delivery_id and d.status = 'PENDING'
               and (d.leased_until is null or d.leased_until < now())
             returning d.webhook_delivery_id, d.attempts, d.retrying_since,
                       d.webhook_subscription_id, d.webhook_event_seq
         )
         select t.webhook_delivery_id, t.attempts, t.retrying_since, s.url, s.secret,
                e.source_seq as seq, e.event_id, e.event_type, e.record_type, e.record_id, e.record_version,
                e.unit_id, e.from_status, e.to_status, e.occurred_at
         from taken t
         join webhook_subscription s on s.webhook_subscription_id = t.webhook_subscription_id
         join webhook_event e on e.webhook_event_seq = t.webhook_event_seq",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
}

/// How an attempt ended.
pub enum Outcome<'a> {
    Delivered {
        status_code: i32,
    },
    /// Failed; retried at `retry_at`, or given up with `None`.
    Failed {
        status_code: Option<i32>,
        error: &'a str,
        retry_at: Option<DateTime<Utc>>,
    },
}

pub async fn record_attempt(pool: &PgPool, id: Uuid, outcome: &Outcome<'_>) -> sqlx::Result<()> {
    match outcome {
        Outcome::Delivered { status_code } => sqlx::query(
            "update webhook_delivery set status = 'DELIVERED', delivered_at = now(),
                 leased_until = null, last_status_code = $2, last_error = null
             where webhook_delivery_id = $1 and status = 'PENDING'",
        )
        .bind(id)
        .bind(status_code)
        .execute(pool)
        .await
        .map(drop),
        Outcome::Failed {
            status_code,
            error,
            retry_at,
        } => sqlx::query(
            "update webhook_delivery
             set status = case when $4::timestamptz is null then 'FAILED' else 'PENDING' end,
                 next_attempt_at = coalesce($4, next_attempt_at), leased_until = null,
                 last_status_code = $2, last_error = $3
             where webhook_delivery_id = $1 and status = 'PENDING'",
        )
        .bind(id)
        .bind(status_code)
        .bind(error)
        .bind(retry_at)
        .execute(pool)
        .await
        .map(drop),
    }
}

/// How soon the next waiting delivery of an active subscription falls due, if any waits.
pub async fn next_due_in(pool: &PgPool) -> sqlx::Result<Option<std::time::Duration>> {
    let seconds: Option<f64> = sqlx::query_scalar(
        "select extract(epoch from min(d.next_attempt_at) - now())::float8
         from webhook_delivery d
         join webhook_subscription s on s.webhook_subscription_id = d.webhook_subscription_id
         where d.status = 'PENDING' and s.active and s.archived_at is null",
    )
    .fetch_one(pool)
    .await?;
    // Overdue deliveries are due now; no waiting delivery, no time.
    Ok(seconds.map(|seconds| std::time::Duration::from_secs_f64(seconds.max(0.0))))
}

/// Deliveries waiting.
pub async fn pending_count(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from webhook_delivery where status = 'PENDING'")
        .fetch_one(pool)
        .await
}

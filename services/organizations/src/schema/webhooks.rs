//! Webhook subscriptions (事件推送) for partner keys and city admins: the event types on
//! offer, subscribing an endpoint, the delivery log and redelivery. A partner sees and
//! changes the subscriptions of its own key only; city admins every one; anyone else is
//! refused with `FORBIDDEN`. How events are made and delivered: [`crate::webhooks`].

use std::net::IpAddr;

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use rand::RngCore;
use uuid::Uuid;

use kexie_contract::principal::{Principal, Role};
use kexie_subgraph_kit::access;
use kexie_subgraph_kit::error::Text;
use kexie_subgraph_kit::id::{new_id, parse_id};
use kexie_subgraph_kit::page::{connection, with_total, PageArgs, RecordPage, TotalCount};
use kexie_subgraph_kit::{validate, Actor, ApiError, ApiResult};

use super::pool;
use crate::db::webhooks::{self as db, DeliveryRow, SubscriptionFields, SubscriptionRow};
use crate::webhooks::{event_type, event_types, DeliverySettings, EventType};

/// An event type subscribers may choose.
#[derive(SimpleObject)]
pub struct WebhookEventType {
    /// `activity.status_changed`: the record, a dot, the change (created, updated,
    /// status_changed, archived, moved).
    name: String,
    /// 科普活动·状态变更
    label: String,
    /// The GraphQL type of the records it reports on.
    record_type: &'static str,
    /// Whether the caller may subscribe to it: city admins to all, a partner key to those
    /// its scopes read.
    allowed: bool,
}

/// A subscription to webhook events (never its secret).
#[Object(name = "WebhookSubscription")]
impl SubscriptionRow {
    async fn id(&self) -> ID {
        ID(self.webhook_subscription_id.to_string())
    }
    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.url
    }
    async fn event_types(&self) -> &[String] {
        &self.event_types
    }
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// Inactive subscriptions get no new deliveries and their waiting ones are held.
    async fn active(&self) -> bool {
        self.active
    }
    /// The partner key it belongs to; null for a city admin's.
    async fn api_key_id(&self) -> Option<ID> {
        self.api_key_id.map(|id| ID(id.to_string()))
    }
    async fn version(&self) -> i32 {
        self.audit.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.audit.created_at
    }
    async fn created_by(&self) -> &str {
        &self.audit.created_by
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.audit.updated_at
    }
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.audit.archived_at
    }
    /// Its deliveries, newest event first; with `status`, only those.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<WebhookDeliveryStatus>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<RecordPage<DeliveryRow>> {
        let page = PageArgs::parse(first, after, None, None)?;
        let pool = pool(ctx)?.clone();
        let (subscription, status) = (
            self.webhook_subscription_id,
            status.map(WebhookDeliveryStatus::as_str),
        );
        let rows = db::deliveries(&pool, subscription, status, page).await?;
        let total = TotalCount::counted_by(move || {
            db::count_deliveries(pool.clone(), subscription, status)
        });
        Ok(with_total(
            connection(rows, &page, |row| row.webhook_delivery_id),
            total,
        ))
    }
}

/// Where a delivery stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Retried for the whole window without success; `redeliverWebhookDelivery` tries
    /// again.
    Failed,
}

impl WebhookDeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            WebhookDeliveryStatus::Pending => "PENDING",
            WebhookDeliveryStatus::Delivered => "DELIVERED",
            WebhookDeliveryStatus::Failed => "FAILED",
        }
    }

    fn parse(text: &str) -> ApiResult<Self> {
        match text {
            "PENDING" => Ok(WebhookDeliveryStatus::Pending),
            "DELIVERED" => Ok(WebhookDeliveryStatus::Delivered),
            "FAILED" => Ok(WebhookDeliveryStatus::Failed),
            other => Err(ApiError::internal(format!(
                "a webhook delivery has the unknown status {other}"
            ))),
        }
    }
}

/// One event's delivery to one subscription.
#[Object(name = "WebhookDelivery")]
impl DeliveryRow {
    async fn id(&self) -> ID {
        ID(self.webhook_delivery_id.to_string())
    }
    async fn status(&self) -> ApiResult<WebhookDeliveryStatus> {
        WebhookDeliveryStatus::parse(&self.status)
    }
    /// Attempts made so far, redeliveries included.
    async fn attempts(&self) -> i32 {
        self.attempts
    }
    /// When it is next attempted, while PENDING.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.status == "PENDING").then_some(self.next_attempt_at)
    }
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.last_attempt_at
    }
    /// The HTTP status of the last answer, if there was one.
    async fn last_status_code(&self) -> Option<i32> {
        self.last_status_code
    }
    /// Why the last attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.delivered_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// The event, as the delivery's body carries it.
    async fn event(&self) -> WebhookEvent<'_> {
        WebhookEvent(&self.event)
    }
}

/// An event: what changed, never the record's content.
pub struct WebhookEvent<'a>(&'a kexie_subgraph_kit::outbox::OutboxEvent);

#[Object]
impl WebhookEvent<'_> {
    /// The same on every delivery of the event: receivers drop duplicates by it.
    async fn id(&self) -> ID {
        ID(self.0.event_id.to_string())
    }
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn record_type(&self) -> &str {
        &self.0.record_type
    }
    async fn record_id(&self) -> ID {
        ID(self.0.record_id.to_string())
    }
    /// The record's version after the change: a record's events come in version order.
    async fn record_version(&self) -> Option<i32> {
        self.0.record_version
    }
    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|id| ID(id.to_string()))
    }
    async fn from_status(&self) -> Option<&str> {
        self.0.from_status.as_deref()
    }
    /// The status after the change, for `created` and `status_changed`.
    async fn to_status(&self) -> Option<&str> {
        self.0.to_status.as_deref()
    }
    /// When the change was committed (the writing transaction's clock).
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}

/// A subscription just created, or its secret just rotated: `secret` is shown this once.
#[derive(SimpleObject)]
pub struct WebhookSubscriptionSecret {
    /// Keys the HMAC-SHA256 of every delivery (`Kexie-Webhook-Signature`).
    secret: String,
    subscription: SubscriptionRow,
}

#[derive(InputObject)]
pub struct WebhookSubscriptionInput {
    /// An `https://` URL on a public address (the hub's operators may allow `http://` and
    /// private addresses for internal systems).
    pub url: String,
    /// Names from `webhookEventTypes` the caller may subscribe to; at least one.
    pub event_types: Vec<String>,
    /// Up to 500 characters.
    pub description: Option<String>,
    /// True when not given.
    pub active: Option<bool>,
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every event type, with whether the caller may subscribe to it.
    async fn webhook_event_types(&self, ctx: &Context<'_>) -> Vec<WebhookEventType> {
        let principal = access::principal(ctx);
        event_types()
            .map(|event_type| WebhookEventType {
                name: event_type.name(),
                label: event_type.label(),
                record_type: event_type.record.type_name,
                allowed: event_type.readable_by(&principal),
            })
            .collect()
    }

    /// The caller's subscriptions, newest first: a partner's key's, or for city admins
    /// every one.
    async fn webhook_subscriptions(&self, ctx: &Context<'_>) -> ApiResult<Vec<SubscriptionRow>> {
        let owner = subscriber(ctx)?;
        Ok(db::subscriptions(pool(ctx)?, owner.api_key_id()).await?)
    }

    /// A subscription of the caller's; null when there is none.
    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<SubscriptionRow>> {
        let owner = subscriber(ctx)?;
        let id = parse_id("id", &id)?;
        Ok(db::subscription(pool(ctx)?, id)
            .await?
            .filter(|row| owner.owns(row)))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Subscribes an endpoint to event types; the answer holds the signing secret, shown
    /// this once. Events committed from now on are delivered.
    async fn create_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        input: WebhookSubscriptionInput,
    ) -> ApiResult<WebhookSubscriptionSecret> {
        let owner = subscriber(ctx)?;
        let settings = ctx.data_unchecked::<DeliverySettings>();
        let fields = Fields::parse(&input, &owner, settings)?;
        let secret = new_secret();
        let actor = Actor::of(ctx);
        let mut tx = pool(ctx)?.begin().await?;
        let subscription = db::insert_subscription(
            &mut tx,
            new_id(),
            owner.api_key_id(),
            &fields.as_db(),
            &secret,
            &actor.subject,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(subscription = %subscription.webhook_subscription_id, actor = %actor.subject, "webhook subscription created");
        Ok(WebhookSubscriptionSecret {
            secret,
            subscription,
        })
    }

    /// Changes a subscription's endpoint, event types, description or whether it is
    /// active. `CONFLICT` when `expectedVersion` is not its version.
    async fn update_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: WebhookSubscriptionInput,
    ) -> ApiResult<SubscriptionRow> {
        let owner = subscriber(ctx)?;
        let settings = ctx.data_unchecked::<DeliverySettings>();
        let fields = Fields::parse(&input, &owner, settings)?;
        let id = parse_id("id", &id)?;
        let actor = Actor::of(ctx);
        let mut tx = pool(ctx)?.begin().await?;
        current(&mut tx, &owner, id, expected_version).await?;
        let updated = db::update_subscription(&mut tx, id, &fields.as_db(), &actor.subject).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Gives a subscription a new signing secret, shown this once; deliveries from now on
    /// are signed with it.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<WebhookSubscriptionSecret> {
        let owner = subscriber(ctx)?;
        let id = parse_id("id", &id)?;
        let actor = Actor::of(ctx);
        let secret = new_secret();
        let mut tx = pool(ctx)?.begin().await?;
        current(&mut tx, &owner, id, expected_version).await?;
        let subscription = db::rotate_secret(&mut tx, id, &secret, &actor.subject).await?;
        tx.commit().await?;
        Ok(WebhookSubscriptionSecret {
            secret,
            subscription,
        })
    }

    /// Ends a subscription: no more deliveries; its log stays readable.
    async fn archive_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<SubscriptionRow> {
        let owner = subscriber(ctx)?;
        let id = parse_id("id", &id)?;
        let actor = Actor::of(ctx);
        let mut tx = pool(ctx)?.begin().await?;
        current(&mut tx, &owner, id, expected_version).await?;
        let archived = db::archive_subscription(&mut tx, id, &actor.subject).await?;
        tx.commit().await?;
        Ok(archived)
    }

    /// Attempts a delivery again at once, whatever its status, with a new window of
    /// retries; the event keeps its ID. Deliveries of the same subscription wait behind
    /// it, as they wait behind any earlier event.
    async fn redeliver_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<DeliveryRow> {
        let owner = subscriber(ctx)?;
        let id = parse_id("id", &id)?;
        let pool = pool(ctx)?;
        let delivery = db::delivery(pool, id)
            .await?
            .ok_or_else(|| ApiError::not_found("WebhookDelivery", id))?;
        let subscription = db::subscription(pool, delivery.webhook_subscription_id)
            .await?
            .filter(|row| owner.owns(row))
            .ok_or_else(|| ApiError::not_found("WebhookDelivery", id))?;
        if subscription.audit.archived_at.is_some() {
            return Err(ApiError::validation(
                "id",
                kexie_subgraph_kit::text!(
                    "the delivery's subscription is archived",
                    "该推送所属的订阅已归档"
                ),
            ));
        }
        db::redeliver(pool, id).await?;
        db::delivery(pool, id)
            .await?
            .ok_or_else(|| ApiError::not_found("WebhookDelivery", id))
    }
}

/// Who is subscribing: a partner's key, or the city admins.
enum Subscriber {
    Partner { key_id: Uuid, principal: Principal },
    CityAdmin(Principal),
}

impl Subscriber {
    fn api_key_id(&self) -> Option<Uuid> {
        match self {
            Subscriber::Partner { key_id, .. } => Some(*key_id),
            Subscriber::CityAdmin(_) => None,
        }
    }

    fn principal(&self) -> &Principal {
        match self {
            Subscriber::Partner { principal, .. } | Subscriber::CityAdmin(principal) => principal,
        }
    }

    fn owns(&self, row: &SubscriptionRow) -> bool {
        match self {
            Subscriber::Partner { key_id, .. } => row.api_key_id == Some(*key_id),
            Subscriber::CityAdmin(_) => true,
        }
    }
}

fn subscriber(ctx: &Context<'_>) -> ApiResult<Subscriber> {
    let principal = access::principal(ctx);
    match principal.role {
        Role::CityAdmin => Ok(Subscriber::CityAdmin(principal)),
        Role::Partner => {
            let key_id = principal
                .subject
                .strip_prefix("partner:")
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| ApiError::internal("a partner principal without its key ID"))?;
            Ok(Subscriber::Partner { key_id, principal })
        }
        _ => Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
            "webhooks are for partner keys and the city association's administrators; {} may not",
            "事件推送仅供合作部门密钥和市科协管理员使用；{}无权操作",
            access::describe(&principal)
        ))),
    }
}

/// The subscription `id` of `owner`, locked, at `expected_version`.
async fn current(
    tx: &mut sqlx::PgConnection,
    owner: &Subscriber,
    id: Uuid,
    expected_version: i32,
) -> ApiResult<SubscriptionRow> {
    let row = db::subscription_for_update(tx, id)
        .await?
        .filter(|row| owner.owns(row))
        .ok_or_else(|| ApiError::not_found("WebhookSubscription", id))?;
    if row.audit.archived_at.is_some() {
        return Err(ApiError::validation(
            "id",
            kexie_subgraph_kit::text!("the subscription is archived", "该订阅已归档"),
        ));
    }
    if row.audit.version != expected_version {
        return Err(ApiError::Conflict {
            entity: "WebhookSubscription",
            id: id.to_string(),
            expected: expected_version,
            actual: row.audit.version,
        });
    }
    Ok(row)
}

/// A subscription's fields, checked.
struct Fields {
    url: String,
    event_types: Vec<String>,
    description: Option<String>,
    active: bool,
}

impl Fields {
    fn parse(
        input: &WebhookSubscriptionInput,
        owner: &Subscriber,
        settings: &DeliverySettings,
    ) -> ApiResult<Self> {
        let url = check_url(&input.url, settings)?;
        if input.event_types.is_empty() || input.event_types.len() > 200 {
            return Err(ApiError::validation(
                "input.eventTypes",
                kexie_subgraph_kit::text!(
                    "name 1 to 200 event types",
                    "请列出 1 到 200 个事件类型"
                ),
            ));
        }
        let mut event_types: Vec<String> = Vec::with_capacity(input.event_types.len());
        for name in &input.event_types {
            let known: EventType = event_type(name).ok_or_else(|| {
                ApiError::validation(
                    "input.eventTypes",
                    kexie_subgraph_kit::text!(
                        "{name:?} is not an event type (see webhookEventTypes)",
                        "{name:?} 不是事件类型（见 webhookEventTypes）"
                    ),
                )
            })?;
            if !known.readable_by(owner.principal()) {
                return Err(ApiError::Forbidden(kexie_subgraph_kit::text!(
                    "{} may not follow {name} events",
                    "{}无权订阅 {name} 事件",
                    access::describe(owner.principal())
                )));
            }
            if !event_types.contains(name) {
                event_types.push(name.clone());
            }
        }
        Ok(Fields {
            url,
            event_types,
            description: validate::optional_text(
                "input.description",
                input.description.as_deref(),
                500,
            )?,
            active: input.active.unwrap_or(true),
        })
    }

    fn as_db(&self) -> SubscriptionFields<'_> {
        SubscriptionFields {
            url: &self.url,
            event_types: &self.event_types,
            description: self.description.as_deref(),
            active: self.active,
        }
    }
}

/// An endpoint the hub may POST to: `https://` on a public address, unless the operators
/// allow private targets.
fn check_url(text: &str, settings: &DeliverySettings) -> ApiResult<String> {
    let refuse = |why: Text| Err(ApiError::validation("input.url", why));
    if text.len() > 2000 {
        return refuse(kexie_subgraph_kit::text!(
            "at most 2000 characters",
            "最多 2000 个字符"
        ));
    }
    let Ok(url) = reqwest::Url::parse(text) else {
        return refuse(kexie_subgraph_kit::text!("not a URL", "不是网址"));
    };
    match url.scheme() {
        "https" => {}
        "http" if settings.allow_private_targets => {}
        _ => {
            return refuse(kexie_subgraph_kit::text!(
                "an https:// URL",
                "须为 https:// 网址"
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse(kexie_subgraph_kit::text!(
            "no user name or password in the URL",
            "网址中不能含用户名或密码"
        ));
    }
    let Some(host) = url.host_str() else {
        return refuse(kexie_subgraph_kit::text!(
            "a URL with a host",
            "网址须含主机名"
        ));
    };
    let private = match host.trim_start_matches('[').trim_end_matches(']').parse() {
        Ok(ip) => is_private(ip),
        Err(_) => {
            let host = host.to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    };
    if private && !settings.allow_private_targets {
        return refuse(kexie_subgraph_kit::text!(
            "a public address: loopback and private networks are not reachable",
            "须为公网地址：本机和内网地址无法访问"
        ));
    }
    Ok(url.to_string())
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(ip) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// `whsec_` and 32 random bytes in hex.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

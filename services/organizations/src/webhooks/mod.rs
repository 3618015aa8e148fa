//! Webhooks (事件推送): partners (with their API keys) and city admins subscribe an HTTPS
//! endpoint to event types; every subgraph's writes leave events in its outbox
//! (`kexie_subgraph_kit::outbox`), which reach this subgraph on Redis streams; here they
//! are stored, matched with the subscriptions ([`intake`]) and delivered, signed, with
//! retries ([`delivery`]).
//!
//! An event names what changed — `activity.status_changed` of `Activity` 0190…, version 3,
//! PLANNED → HELD — never the record's content: the subscriber reads that through the API,
//! where its own rights apply. Which subscriber may follow which records is [`CATALOG`]:
//! the same readers the records' lists admit.

pub mod delivery;
pub mod intake;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use kexie_contract::principal::{Principal, Role, Scope};
use kexie_subgraph_kit::metrics::{encode_counters, encode_gauge};

/// A change an event reports; the second half of its type (`activity.created`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    StatusChanged,
    Archived,
    Moved,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::StatusChanged => "status_changed",
            Change::Archived => "archived",
            Change::Moved => "moved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Change::Created => "新建",
            Change::Updated => "修改",
            Change::StatusChanged => "状态变更",
            Change::Archived => "归档",
            Change::Moved => "调整隶属",
        }
    }
}

/// Who may follow a record's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readers {
    /// Any partner key (and city admins).
    AnyPartner,
    /// Partner keys with this scope (and city admins).
    Partners(Scope),
    /// City admins only: staff records.
    CityAdmins,
}

/// A kind of record whose writes leave events.
#[derive(Debug)]
pub struct EventRecord {
    /// The first half of its event types (`activity`).
    pub name: &'static str,
    /// Its GraphQL type.
    pub type_name: &'static str,
    /// Its name for people.
    pub label: &'static str,
    pub changes: &'static [Change],
    pub readers: Readers,
}

use Change::*;

const EDITED: &[Change] = &[Created, Updated, Archived];
const WORKFLOW: &[Change] = &[Created, Updated, StatusChanged, Archived];

/// Every record whose writes leave events, as the subgraphs' outbox migrations attach them.
pub const CATALOG: &[EventRecord] = &[
    EventRecord {
        name: "unit",
        type_name: "Unit",
        label: "组织单位",
        changes: &[Created, Updated, Moved, StatusChanged],
        readers: Readers::AnyPartner,
    },
    EventRecord {
        name: "term",
        type_name: "Term",
        label: "换届",
        changes: EDITED,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "target",
        type_name: "Target",
        label: "工作目标",
        changes: EDITED,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "party_building_activity",
        type_name: "PartyBuildingActivity",
        label: "党建活动",
        changes: EDITED,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "media_report",
        type_name: "MediaReport",
        label: "媒体报道",
        changes: EDITED,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "worker",
        type_name: "Worker",
        label: "科技工作者",
        changes: EDITED,
        readers: Readers::Partners(Scope::ReadPublicTalent),
    },
    EventRecord {
        name: "honor",
        type_name: "Honor",
        label: "荣誉",
        changes: EDITED,
        readers: Readers::Partners(Scope::ReadPublicTalent),
    },
    EventRecord {
        name: "nomination",
        type_name: "Nomination",
        label: "推荐提名",
        changes: WORKFLOW,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "workstation",
        type_name: "Workstation",
        label: "工作站",
        changes: WORKFLOW,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "venue",
        type_name: "Venue",
        label: "科普阵地",
        changes: WORKFLOW,
        readers: Readers::Partners(Scope::ReadVenuesAndActivities),
    },
    EventRecord {
        name: "activity",
        type_name: "Activity",
        label: "科普活动",
        changes: WORKFLOW,
        readers: Readers::Partners(Scope::ReadVenuesAndActivities),
    },
    EventRecord {
        name: "campaign",
        type_name: "Campaign",
        label: "征集活动",
        changes: EDITED,
        readers: Readers::Partners(Scope::SubmitAdvice),
    },
    EventRecord {
        name: "submission",
        type_name: "Submission",
        label: "建言",
        changes: WORKFLOW,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "research_topic",
        type_name: "ResearchTopic",
        label: "调研课题",
        changes: WORKFLOW,
        readers: Readers::CityAdmins,
    },
    EventRecord {
        name: "tech_need",
        type_name: "TechNeed",
        label: "技术需求",
        changes: WORKFLOW,
        readers: Readers::Partners(Scope::ReadInnovation),
    },
    EventRecord {
        name: "science_result",
        type_name: "ScienceResult",
        label: "科技成果",
        changes: EDITED,
        readers: Readers::Partners(Scope::ReadInnovation),
    },
    EventRecord {
        name: "need_match",
        type_name: "NeedMatch",
        label: "供需对接",
        changes: WORKFLOW,
        readers: Readers::Partners(Scope::ReadInnovation),
    },
    EventRecord {
        name: "service_visit",
        type_name: "ServiceVisit",
        label: "服务走访",
        changes: WORKFLOW,
        readers: Readers::Partners(Scope::ReadInnovation),
    },
    EventRecord {
        name: "innovation_event",
        type_name: "InnovationEvent",
        label: "创新活动",
        changes: WORKFLOW,
        readers: Readers::Partners(Scope::ReadInnovation),
    },
    EventRecord {
        name: "cooperation_agreement",
        type_name: "CooperationAgreement",
        label: "合作协议",
        changes: EDITED,
        readers: Readers::Partners(Scope::ReadInnovation),
    },
];

/// An event type of the catalog: `activity.status_changed`.
#[derive(Clone, Copy, Debug)]
pub struct EventType {
    pub record: &'static EventRecord,
    pub change: Change,
}

impl EventType {
    pub fn name(&self) -> String {
        format!("{}.{}", self.record.name, self.change.as_str())
    }

    /// 科普活动·状态变更
    pub fn label(&self) -> String {
        format!("{}·{}", self.record.label, self.change.label())
    }

    /// The scope a partner's key needs, if any; `None` with [`Readers::CityAdmins`] too.
    pub fn scope(&self) -> Option<Scope> {
        match self.record.readers {
            Readers::Partners(scope) => Some(scope),
            _ => None,
        }
    }

    /// Whether `principal` may subscribe to it: city admins to every type, partners to
    /// the types their key's scopes read.
    pub fn readable_by(&self, principal: &Principal) -> bool {
        match (principal.role, self.record.readers) {
            (Role::CityAdmin, _) => true,
            (Role::Partner, Readers::AnyPartner) => true,
            (Role::Partner, Readers::Partners(scope)) => principal.has_scope(scope),
            _ => false,
        }
    }
}

/// Every event type, in catalog order.
pub fn event_types() -> impl Iterator<Item = EventType> {
    CATALOG.iter().flat_map(|record| {
        record
            .changes
            .iter()
            .map(move |&change| EventType { record, change })
    })
}

/// The event type named `name`, if the catalog has it.
pub fn event_type(name: &str) -> Option<EventType> {
    event_types().find(|event_type| event_type.name() == name)
}

/// How deliveries are attempted.
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    /// The wait before the first retry; each retry waits twice the one before.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_retry: Duration,
    /// How long a delivery is retried before it counts as FAILED.
    pub retry_for: Duration,
    /// How long an endpoint may take to answer.
    pub timeout: Duration,
    /// Whether endpoints on loopback and private addresses are allowed (internal systems,
    /// tests); off by default, so a subscription cannot point the hub at its own network.
    pub allow_private_targets: bool,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            first_retry: Duration::from_secs(10),
            max_retry: Duration::from_secs(3600),
            retry_for: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            allow_private_targets: false,
        }
    }
}

impl DeliverySettings {
    /// From `WEBHOOK_FIRST_RETRY_MS`, `WEBHOOK_MAX_RETRY_MS`, `WEBHOOK_RETRY_FOR_SECONDS`,
    /// `WEBHOOK_TIMEOUT_MS` and `WEBHOOK_ALLOW_PRIVATE_TARGETS` (`true`), each defaulting
    /// to the above.
    pub fn from_env() -> anyhow::Result<Self> {
        use anyhow::Context as _;
        fn var<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
            match std::env::var(name) {
                Ok(value) => value
                    .parse()
                    .map(Some)
                    .map_err(|_| anyhow::anyhow!("{name} is not valid: {value:?}")),
                Err(_) => Ok(None),
            }
        }
        let defaults = DeliverySettings::default();
        let millis = |name: &str, default: Duration| -> anyhow::Result<Duration> {
            Ok(var::<u64>(name)?.map_or(default, Duration::from_millis))
        };
        Ok(DeliverySettings {
            first_retry: millis("WEBHOOK_FIRST_RETRY_MS", defaults.first_retry)?,
            max_retry: millis("WEBHOOK_MAX_RETRY_MS", defaults.max_retry)?,
            retry_for: var::<u64>("WEBHOOK_RETRY_FOR_SECONDS")?
                .map_or(defaults.retry_for, Duration::from_secs),
            timeout: millis("WEBHOOK_TIMEOUT_MS", defaults.timeout)?,
            allow_private_targets: var::<bool>("WEBHOOK_ALLOW_PRIVATE_TARGETS")
                .context("WEBHOOK_ALLOW_PRIVATE_TARGETS is true or false")?
                .unwrap_or(false),
        })
    }

    /// The wait after `attempts` failed attempts.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.first_retry
            .saturating_mul(1u32 << doublings)
            .min(self.max_retry)
    }
}

/// What the webhook tasks count, for `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// Deliveries waiting (PENDING), as of the deliverer's last look.
    pub pending: std::sync::atomic::AtomicI64,
    /// Deliveries given up (FAILED) after their window of retries.
    pub given_up: std::sync::atomic::AtomicU64,
    /// Attempts answered 2xx.
    pub delivered: std::sync::atomic::AtomicU64,
    /// Attempts that failed (an error, a timeout or another status).
    pub attempts_failed: std::sync::atomic::AtomicU64,
    /// Events stored from the subgraphs' streams.
    pub events_received: std::sync::atomic::AtomicU64,
}

/// Shared by the tasks and `/metrics`.
pub type Stats = Arc<WebhookStats>;

/// The webhook counters on `/metrics`.
#[derive(Debug)]
pub struct StatsCollector(pub Stats);

impl Collector for StatsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode_gauge(
            &mut encoder,
            "webhook_deliveries_pending",
            "Webhook deliveries waiting to be made or retried.",
            self.0.pending.load(Ordering::Relaxed),
        )?;
        encode_counters(
            &mut encoder,
            &[
                (
                    "webhook_events_received",
                    "Events taken off the subgraphs' streams.",
                    &self.0.events_received,
                ),
                (
                    "webhook_deliveries_delivered",
                    "Delivery attempts the endpoint answered with 2xx.",
                    &self.0.delivered,
                ),
                (
                    "webhook_delivery_attempts_failed",
                    "Delivery attempts that failed: an error, a timeout or another status.",
                    &self.0.attempts_failed,
                ),
                (
                    "webhook_deliveries_given_up",
                    "Deliveries marked FAILED after their window of retries.",
                    &self.0.given_up,
                ),
            ],
        )
    }
}

/// Starts the intake and the deliverer; their handles join the subgraph's background tasks.
pub fn spawn(
    pool: &sqlx::PgPool,
    redis_url: &str,
    namespace: &str,
    settings: DeliverySettings,
    stats: &Stats,
) -> Vec<tokio::task::JoinHandle<()>> {
    let stored = Arc::new(tokio::sync::Notify::new());
    vec![
        tokio::spawn(intake::run(
            pool.clone(),
            redis_url.to_string(),
            namespace.to_string(),
            stats.clone(),
            stored.clone(),
        )),
        tokio::spawn(delivery::run(pool.clone(), settings, stats.clone(), stored)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_one_name_and_backoff_doubles_up_to_its_cap() {
        let names: Vec<String> = event_types().map(|event_type| event_type.name()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(event_type("activity.status_changed").is_some());
        assert!(event_type("activity.moved").is_none());
        let settings = DeliverySettings {
            first_retry: Duration::from_secs(10),
            max_retry: Duration::from_secs(60),
            ..DeliverySettings::default()
        };
        let waits: Vec<u64> = (1..=5).map(|n| settings.backoff(n).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60]);
    }
}

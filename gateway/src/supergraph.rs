//! One loaded supergraph: its API schema, its planner, its subgraphs, and the caches of
//! prepared documents and plans that belong to it (a reload starts them afresh).

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use graphql_tools::static_graphql::schema::Document as SchemaDocument;
use graphql_tools::validation::rules::default_rules_validation_plan;
use graphql_tools::validation::validate::ValidationPlan;
use lru::LruCache;

use crate::config::SubgraphSettings;
use crate::error::{codes, GraphqlError, RequestFailure};
use crate::limits::OperationLimits;
use crate::metrics::{bump, Metrics, SubgraphMetrics};
use crate::operation::{self, OperationKind, PreparedOperation};
use crate::plan::Plan;
use crate::planner::{self, CacheOutcome, PlanCache, QueryPlanner};
use crate::schema::ApiSchema;

/// A subgraph the gateway sends requests to.
pub(crate) struct Subgraph {
    pub name: String,
    pub url: hyper::Uri,
    /// How long one request to it may take.
    pub timeout: std::time::Duration,
    pub metrics: Arc<SubgraphMetrics>,
}

/// The environment variable that overrides the URL of the subgraph `name`:
/// `SUBGRAPH_<NAME>_URL`, the name upper-cased with anything but letters and digits as `_`.
pub fn url_override_variable(name: &str) -> String {
    format!("SUBGRAPH_{}_URL", override_key(name))
}

/// The name part of [`url_override_variable`].
pub(crate) fn override_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A cached prepared document, with the text it was prepared from (hash collisions are
/// told apart by comparing it).
struct DocumentEntry {
    query: Box<str>,
    operation_name: Option<Box<str>>,
    prepared: Arc<PreparedOperation>,
}

/// A supergraph ready to serve.
pub(crate) struct Supergraph {
    pub api: ApiSchema,
    consumer_schema: Arc<SchemaDocument>,
    validation: ValidationPlan,
    planner: QueryPlanner,
    pub subgraphs: Vec<Subgraph>,
    subgraph_index: HashMap<String, usize>,
    possible_types: HashMap<String, HashSet<String>>,
    documents: Mutex<LruCache<u128, Arc<DocumentEntry>>>,
    plans: PlanCache,
    /// A hash of the SDL it was loaded from; a reload of identical text is skipped.
    pub source_hash: u64,
}

impl Supergraph {
    /// Loads `sdl`, with the URL and timeout overrides of `settings`.
    pub(crate) fn load(
        sdl: &str,
        settings: &SubgraphSettings,
        cache_capacity: usize,
        metrics: &Metrics,
    ) -> anyhow::Result<Supergraph> {
        let loaded = planner::load(sdl)?;
        let api = ApiSchema::from_document(&loaded.consumer_schema);
        let mut subgraphs = Vec::with_capacity(loaded.subgraphs.len());
        for declaration in &loaded.subgraphs {
            let url = settings
                .urls
                .get(&override_key(&declaration.name))
                .unwrap_or(&declaration.url);
            let uri: hyper::Uri = url.parse().map_err(|err| {
                anyhow::anyhow!(
                    "the URL of subgraph {:?} ({url:?}) is not a valid URL: {err}; set {}",
                    declaration.name,
                    url_override_variable(&declaration.name)
                )
            })?;
            if uri.scheme_str() != Some("http") || uri.host().is_none() {
                anyhow::bail!(
                    "the URL of subgraph {:?} ({url:?}) must be an http:// URL; set {}",
                    declaration.name,
                    url_override_variable(&declaration.name)
                );
            }
            subgraphs.push(Subgraph {
                name: declaration.name.clone(),
                url: uri,
                timeout: settings.timeout_of(&declaration.name),
                metrics: metrics.subgraph(&declaration.name),
            });
        }
        let subgraph_index = subgraphs
            .iter()
            .enumerate()
            .map(|(index, subgraph)| (subgraph.name.clone(), index))
            .collect();
        let capacity = NonZeroUsize::new(cache_capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        Ok(Supergraph {
            api,
            consumer_schema: loaded.consumer_schema,
            validation: default_rules_validation_plan(),
            planner: loaded.planner,
            subgraphs,
            subgraph_index,
            possible_types: loaded.possible_types,
            documents: Mutex::new(LruCache::new(capacity)),
            plans: PlanCache::new(cache_capacity),
            source_hash: xxhash_rust::xxh3::xxh3_64(sdl.as_bytes()),
        })
    }

    fn document_key(query: &str, operation_name: Option<&str>) -> u128 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(query.as_bytes());
        match operation_name {
            Some(name) => {
                hasher.update(&[1]);
                hasher.update(name.as_bytes());
            }
            None => hasher.update(&[0]),
        }
        hasher.digest128()
    }

    /// The prepared operation if this exact document was prepared before.
    pub(crate) fn cached_operation(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Option<Arc<PreparedOperation>> {
        let key = Self::document_key(query, operation_name);
        let entry = {
            let mut documents = self.documents.lock().unwrap_or_else(|err| err.into_inner());
            documents.get(&key).cloned()
        }?;
        (&*entry.query == query && entry.operation_name.as_deref() == operation_name)
            .then(|| entry.prepared.clone())
    }

    /// Parses, validates, checks against `limits`, normalizes and (when plans do not vary
    /// per request) plans the document, then caches it: a cached document has passed the
    /// limits, which are the same for every request. CPU-bound: callers run it off the async
    /// threads.
    pub(crate) fn prepare(
        &self,
        query: &str,
        operation_name: Option<&str>,
        limits: &OperationLimits,
        metrics: &Metrics,
    ) -> Result<Arc<PreparedOperation>, RequestFailure> {
        limits.check_tokens(query)?;
        let checked = operation::check(
            query,
            operation_name,
            &self.consumer_schema,
            &self.validation,
            limits.parser_token_limit(),
        )?;
        if checked.kind == OperationKind::Subscription {
            return Err(RequestFailure::graphql(GraphqlError::new(
                "Subscriptions are not supported by this gateway over HTTP.",
                codes::SUBSCRIPTION_NOT_SUPPORTED,
            )));
        }
        limits.check_operation(
            &checked.document,
            checked.operation,
            checked.kind,
            &self.api,
        )?;
        let normalized = self
            .planner
            .normalize(&checked.document, checked.operation_name.as_deref())
            .map_err(planning_failed)?;
        let plan = if self.planner.has_progressive_overrides() {
            None
        } else {
            let (plan, outcome) = self
                .planner
                .plan(
                    &normalized,
                    Default::default(),
                    &self.subgraph_index,
                    &self.plans,
                )
                .map_err(planning_failed)?;
            count_plan(metrics, outcome);
            Some(plan)
        };
        let mut prepared = operation::prepared(checked, normalized, plan);
        prepared.rollup = crate::response_cache::selects_rollup(&prepared, &self.api)
            .then(|| crate::response_cache::DocumentDigest::of(query, operation_name));
        let prepared = Arc::new(prepared);
        let key = Self::document_key(query, operation_name);
        let entry = Arc::new(DocumentEntry {
            query: query.into(),
            operation_name: operation_name.map(Into::into),
            prepared: prepared.clone(),
        });
        self.documents
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .put(key, entry);
        Ok(prepared)
    }

    /// The plan to run `prepared` with for one request. `fresh` says whether the operation
    /// was just prepared (its plan lookup is already counted).
    pub(crate) fn plan_for(
        &self,
        prepared: &PreparedOperation,
        fresh: bool,
        metrics: &Metrics,
    ) -> Result<Arc<Plan>, RequestFailure> {
        if let Some(plan) = &prepared.plan {
            if !fresh {
                bump(&metrics.plan_cache_hits);
            }
            return Ok(plan.clone());
        }
        let draw = self.planner.draw_overrides();
        let (plan, outcome) = self
            .planner
            .plan(
                &prepared.normalized,
                draw,
                &self.subgraph_index,
                &self.plans,
            )
            .map_err(planning_failed)?;
        count_plan(metrics, outcome);
        Ok(plan)
    }

    /// Whether an object whose `__typename` is `typename` matches one of `conditions`
    /// (the type itself, or an interface or union it belongs to in the supergraph).
    pub(crate) fn type_matches(&self, typename: &str, conditions: &[String]) -> bool {
        conditions.iter().any(|condition| {
            condition == typename
                || self
                    .possible_types
                    .get(condition)
                    .is_some_and(|members| members.contains(typename))
        })
    }

    pub(crate) fn plan_cache_entries(&self) -> usize {
        self.plans.len()
    }
}

fn count_plan(metrics: &Metrics, outcome: CacheOutcome) {
    match outcome {
        CacheOutcome::Hit => bump(&metrics.plan_cache_hits),
        CacheOutcome::Miss => bump(&metrics.plan_cache_misses),
    }
}

fn planning_failed(message: String) -> RequestFailure {
    tracing::error!(error = %message, "query planning failed");
    RequestFailure::Http {
        status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        error: Box::new(GraphqlError::new(
            format!("The operation could not be planned: {message}"),
            codes::QUERY_PLANNING_FAILED,
        )),
    }
}

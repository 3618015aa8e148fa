//! One loaded supergraph: its API schema, its planner, its subgraphs, and the caches of
//! prepared documents and plans that belong to it (a reload starts them afresh).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use graphql_tools::static_graphql::schema::Document as SchemaDocument;
use graphql_tools::validation::rules::default_rules_validation_plan;
use graphql_tools::validation::validate::ValidationPlan;

use crate::cache::documents::DocumentCache;
use crate::cache::plans::PlanCache;
use crate::forwarded::HeaderRules;
use crate::metrics::Metrics;
use crate::pipeline::execute::transport::Subgraph;
use crate::pipeline::operation::PreparedOperation;
use crate::pipeline::plan::planner::{self, QueryPlanner};
use crate::pipeline::plan::{Plan, PossibleTypes};
use crate::pipeline::schema::ApiSchema;
use crate::tls::{self, SubgraphTls};

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

/// What the gateway knows about subgraphs besides the supergraph: URL, timeout and TLS
/// overrides by [`override_key`], the timeout of the others, and the CA bundle every
/// `https://` connection trusts besides the system's roots.
#[derive(Clone, Debug, Default)]
pub(crate) struct SubgraphSettings {
    pub urls: HashMap<String, String>,
    pub timeouts: HashMap<String, Duration>,
    pub default_timeout: Duration,
    pub tls: HashMap<String, SubgraphTls>,
    pub ca_file: Option<PathBuf>,
    /// The header rules of every subgraph, and those particular subgraphs add.
    pub headers: HeaderRules,
    pub subgraph_headers: HashMap<String, HeaderRules>,
}

impl SubgraphSettings {
    pub(crate) fn timeout_of(&self, name: &str) -> Duration {
        self.timeouts
            .get(&override_key(name))
            .copied()
            .unwrap_or(self.default_timeout)
    }
}

/// A supergraph ready to serve.
pub(crate) struct Supergraph {
    pub api: ApiSchema,
    pub consumer_schema: Arc<SchemaDocument>,
    pub validation: ValidationPlan,
    pub planner: QueryPlanner,
    pub subgraphs: Vec<Subgraph>,
    pub subgraph_index: HashMap<String, usize>,
    pub possible_types: PossibleTypes,
    pub documents: DocumentCache<PreparedOperation>,
    pub plans: PlanCache<Plan>,
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
        let mut api = ApiSchema::from_document(&loaded.consumer_schema);
        api.read_demand_control(&loaded.document);
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
            if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
                anyhow::bail!(
                    "the URL of subgraph {:?} ({url:?}) must be an http:// or https:// URL; set {}",
                    declaration.name,
                    url_override_variable(&declaration.name)
                );
            }
            let own_tls = settings
                .tls
                .get(&override_key(&declaration.name))
                .cloned()
                .unwrap_or_default();
            let client =
                tls::subgraph_config(settings.ca_file.as_deref(), &declaration.name, &own_tls)?
                    .map(tls::client);
            let headers = match settings
                .subgraph_headers
                .get(&override_key(&declaration.name))
            {
                Some(own) => settings.headers.then(own),
                None => settings.headers.clone(),
            };
            subgraphs.push(Subgraph {
                name: declaration.name.clone(),
                url: uri,
                timeout: settings.timeout_of(&declaration.name),
                metrics: metrics.subgraph(&declaration.name),
                client,
                headers: Arc::new(headers),
            });
        }
        let subgraph_index = subgraphs
            .iter()
            .enumerate()
            .map(|(index, subgraph)| (subgraph.name.clone(), index))
            .collect();
        Ok(Supergraph {
            api,
            consumer_schema: loaded.consumer_schema,
            validation: default_rules_validation_plan(),
            planner: loaded.planner,
            subgraphs,
            subgraph_index,
            possible_types: PossibleTypes::new(loaded.possible_types),
            documents: DocumentCache::new(cache_capacity),
            plans: PlanCache::new(cache_capacity),
            source_hash: xxhash_rust::xxh3::xxh3_64(sdl.as_bytes()),
        })
    }

    /// The subgraph named `name`, if the supergraph has it.
    pub(crate) fn subgraph(&self, name: &str) -> Option<&Subgraph> {
        self.subgraph_index
            .get(name)
            .and_then(|index| self.subgraphs.get(*index))
    }
}

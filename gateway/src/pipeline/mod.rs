//! The request path without HTTP, one stage after the other: the prepared document from
//! the document cache, or [`prepare`]d off the async threads (parse, validate, limits,
//! normalize, plan); then the variables coerced, the plan for this request, the response
//! cache, the execution (shared with identical reads it is fresh enough for), and the
//! projection into the client's shape. The HTTP layer and the fuzz target both call
//! [`Pipeline::execute`].

pub(crate) mod data;
pub(crate) mod execute;
pub(crate) mod introspection;
pub(crate) mod limits;
pub(crate) mod operation;
pub(crate) mod parse;
pub(crate) mod plan;
pub(crate) mod project;
pub(crate) mod schema;
pub(crate) mod supergraph;
pub(crate) mod validate;
pub(crate) mod variables;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kexie_contract::language::Language;
use serde_json::{Map, Value};
use tracing::Instrument as _;

use crate::cache::responses::{Lookup, RequestKey, ResponseCache};
use crate::digest::DocumentDigest;
use crate::error::{Code, GraphqlError, RequestFailure};
use crate::forwarded::ForwardedHeaders;
use crate::freshness::versions::{DataVersions, VersionsRead};
use crate::freshness::{InFlight, Joined, ReadStart};
use crate::metrics::{bump, Metrics};
use execute::transport::Transport;
use execute::{Answers, Executor};
use limits::{CostCheck, OperationLimits};
use operation::{selects_rollup, OperationKind, PreparedOperation};
use plan::planner::CacheOutcome;
use plan::Plan;
use supergraph::Supergraph;

/// The parameters of a GraphQL-over-HTTP request, already checked for their JSON types.
#[derive(Debug, Default)]
pub(crate) struct GraphqlRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
}

/// How a request ended, with what the HTTP layer reports of it.
pub(crate) struct Outcome {
    /// The name of the operation that ran or was refused, once the document was prepared:
    /// the one asked for, or that of the document's only operation.
    pub operation_name: Option<String>,
    pub answer: Answer,
}

/// What a request is answered with.
pub(crate) enum Answer {
    /// The operation ran: the response body (`data`, maybe `errors`); `complete` when it has
    /// no errors.
    Executed { body: Bytes, complete: bool },
    /// It was refused before running.
    Refused(RequestFailure),
    /// A mutation arrived over GET.
    MutationOverGet,
}

/// Identical client queries in flight: same document, operation, variables and forwarded
/// headers, against the same supergraph. One is shared only with reads it is fresh enough
/// for ([`crate::freshness`]).
#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientQueryKey {
    operation: SameOperation,
    variables: String,
    headers: ForwardedHeaders,
}

/// A prepared operation, equal only to itself: the document cache hands every request of
/// the same text and operation name (against the same supergraph) the same one, so
/// comparing addresses stands for comparing texts. Held, so the address is not reused
/// while a key names it.
#[derive(Clone)]
struct SameOperation(Arc<PreparedOperation>);

impl PartialEq for SameOperation {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SameOperation {}

impl std::hash::Hash for SameOperation {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state);
    }
}

/// The response of one execution.
#[derive(Clone)]
struct Executed {
    body: Bytes,
    /// Without errors: the response may be cached.
    complete: bool,
}

/// How the pipeline runs requests.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PipelineSettings {
    /// Whether `__schema` and `__type` are answered.
    pub introspection: bool,
    pub limits: OperationLimits,
    /// Share executions between identical client queries in flight.
    pub dedup_client_queries: bool,
    /// One request's deadline, from its arrival.
    pub request_timeout: Duration,
}

/// The gateway's request pipeline.
pub(crate) struct Pipeline {
    supergraph: RwLock<Arc<Supergraph>>,
    transport: Transport,
    pub metrics: Arc<Metrics>,
    introspection: bool,
    limits: OperationLimits,
    request_timeout: Duration,
    client_queries: Option<Arc<InFlight<ClientQueryKey, Executed>>>,
    response_cache: Option<Arc<ResponseCache>>,
    /// Where queries read the data versions, when Redis holds them: for the response cache,
    /// and to share work begun under the same versions.
    data_versions: Option<DataVersions>,
    /// Operations being answered now (from their plan on).
    operations_running: AtomicUsize,
}

/// Counts an operation as running while it lives.
struct Running<'a>(&'a AtomicUsize);

impl<'a> Running<'a> {
    /// Counts one more operation; how many run now, this one included.
    fn start(operations: &'a AtomicUsize) -> (Self, usize) {
        let running = operations.fetch_add(1, Ordering::Relaxed) + 1;
        (Running(operations), running)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pipeline {
    pub(crate) fn new(
        supergraph: Supergraph,
        transport: Transport,
        metrics: Arc<Metrics>,
        settings: PipelineSettings,
        response_cache: Option<Arc<ResponseCache>>,
        data_versions: Option<DataVersions>,
    ) -> Self {
        Pipeline {
            supergraph: RwLock::new(Arc::new(supergraph)),
            transport,
            metrics,
            introspection: settings.introspection,
            limits: settings.limits,
            request_timeout: settings.request_timeout,
            client_queries: settings.dedup_client_queries.then(InFlight::new),
            response_cache,
            data_versions,
            operations_running: AtomicUsize::new(0),
        }
    }

    /// The supergraph serving new requests.
    pub(crate) fn current(&self) -> Arc<Supergraph> {
        self.supergraph
            .read()
            .unwrap_or_else(|err| err.into_inner())
            .clone()
    }

    /// Serves new requests with `supergraph`; requests in flight finish on the old one.
    pub(crate) fn replace(&self, supergraph: Supergraph) {
        *self
            .supergraph
            .write()
            .unwrap_or_else(|err| err.into_inner()) = Arc::new(supergraph);
    }

    /// Runs one request. `over_get` refuses mutations, as GraphQL over HTTP requires.
    pub(crate) async fn execute(
        self: &Arc<Self>,
        request: GraphqlRequest,
        headers: ForwardedHeaders,
        over_get: bool,
    ) -> Outcome {
        let started = Instant::now();
        // Any write acknowledged before the client sent this request was before now.
        let arrived = ReadStart::now();
        let deadline = started + self.request_timeout;
        bump(&self.metrics.graphql_requests);
        let mut operation = None;
        let answer = self
            .execute_inner(
                request,
                headers,
                over_get,
                (arrived, deadline),
                &mut operation,
            )
            .await;
        if !matches!(answer, Answer::Executed { .. }) {
            bump(&self.metrics.rejected_requests);
        }
        let elapsed = started.elapsed();
        self.metrics.request_latency.observe(elapsed);
        match &operation {
            Some(prepared) => {
                self.metrics
                    .observe_operation(prepared.name(), prepared.kind.as_str(), elapsed)
            }
            None => self.metrics.observe_operation(None, "invalid", elapsed),
        }
        Outcome {
            operation_name: operation
                .as_ref()
                .and_then(|prepared| prepared.name().map(str::to_string)),
            answer,
        }
    }

    /// Runs one request that arrived at `arrived` and must be answered by `deadline`;
    /// `operation` receives the operation once it is known, for metrics.
    async fn execute_inner(
        self: &Arc<Self>,
        request: GraphqlRequest,
        headers: ForwardedHeaders,
        over_get: bool,
        (arrived, deadline): (ReadStart, Instant),
        operation: &mut Option<Arc<PreparedOperation>>,
    ) -> Answer {
        let supergraph = self.current();
        let (prepared, fresh) = match supergraph
            .documents
            .get(&request.query, request.operation_name.as_deref())
        {
            Some(prepared) => {
                bump(&self.metrics.document_cache_hits);
                (prepared, false)
            }
            None => {
                bump(&self.metrics.document_cache_misses);
                let task_supergraph = supergraph.clone();
                let metrics = self.metrics.clone();
                let query = request.query.clone();
                let operation_name = request.operation_name.clone();
                let limits = self.limits;
                let prepared = tokio::task::spawn_blocking(move || {
                    prepare(
                        &task_supergraph,
                        &query,
                        operation_name.as_deref(),
                        &limits,
                        &metrics,
                    )
                })
                .await;
                match prepared {
                    Ok(Ok(prepared)) => (prepared, true),
                    Ok(Err(failure)) => return Answer::Refused(failure),
                    Err(err) => {
                        return Answer::Refused(RequestFailure::internal(
                            "The operation could not be prepared.",
                            Code::Internal,
                            &err,
                        ))
                    }
                }
            }
        };
        *operation = Some(prepared.clone());
        if over_get && prepared.kind == OperationKind::Mutation {
            return Answer::MutationOverGet;
        }
        let variables = match variables::coerce(
            prepared.variable_definitions(),
            request.variables.as_ref(),
            &supergraph.api,
        ) {
            Ok(variables) => variables,
            Err(errors) => return Answer::Refused(RequestFailure::Graphql(errors)),
        };
        if prepared.cost_per_request {
            if let Err(failure) = self.limits.check_cost(
                &prepared.document,
                prepared.operation_index(),
                prepared.kind,
                &supergraph.api,
                &variables,
            ) {
                return Answer::Refused(failure);
            }
        }
        let plan = match plan_for(&supergraph, &prepared, fresh, &self.metrics) {
            Ok(plan) => plan,
            Err(failure) => return Answer::Refused(failure),
        };
        let query = prepared.kind == OperationKind::Query;
        let cache = match (&self.response_cache, prepared.rollup) {
            (Some(cache), Some(document)) if query => Some((cache, document)),
            _ => None,
        };
        // Identical client queries share one execution: the one in flight on arrival is noted
        // first, so that it is not lost if it ends while this read reads the versions.
        let client_query = match &self.client_queries {
            Some(in_flight) if query => {
                let key = ClientQueryKey {
                    operation: SameOperation(prepared.clone()),
                    variables: serde_json::to_string(&variables).unwrap_or_default(),
                    headers: headers.clone(),
                };
                let seen = in_flight.seen(&key);
                Some((in_flight, key, seen))
            }
            _ => None,
        };
        // A query that may be cached, or may share work, reads the data versions first: with
        // them it may share work begun earlier under the same versions. Alone, it has nothing
        // to share and skips the round trip to Redis (and goes without versions, as before).
        // A client query shared whole reads them only to join an identical one that began
        // before it arrived: with none in flight it leads at once an execution that promises
        // the versions read last ([`ReadStart::execution`]), and one that began after it
        // arrived serves it by its ticket.
        let (_running, running) = Running::start(&self.operations_running);
        let shares =
            (self.client_queries.is_some() || self.transport.deduplicates()) && running > 1;
        let shares_by_versions = match &client_query {
            Some((_, _, seen)) => seen.as_ref().is_some_and(|seen| !seen.serves(&arrived)),
            None => true,
        };
        let needs_versions = cache.is_some() || (shares && shares_by_versions);
        let versions = match &self.data_versions {
            Some(data_versions) if query && needs_versions => {
                let subgraphs = supergraph.subgraphs.iter().map(|s| s.name.as_str());
                data_versions.read(subgraphs).await
            }
            _ => VersionsRead::Missing,
        };
        // Its answer may only come from work that began after they were read.
        let read = match versions.versions() {
            Some(versions) => ReadStart::after_reading(versions),
            None => arrived,
        };
        let cache_slot = match cache {
            Some((cache, document)) => {
                let request_key = RequestKey {
                    document,
                    variables: &variables,
                    headers: &headers,
                };
                match cache.lookup(&versions, &request_key).await {
                    Lookup::Hit(body) => {
                        return Answer::Executed {
                            body,
                            complete: true,
                        }
                    }
                    Lookup::Miss(slot) => Some((cache.clone(), slot)),
                    Lookup::Bypass => None,
                }
            }
            None => None,
        };
        let run = Run {
            supergraph: supergraph.clone(),
            prepared,
            plan,
            variables,
            headers,
            deadline,
        };
        let executed = match client_query {
            Some((in_flight, key, seen)) => {
                let pipeline = self.clone();
                let language = run.headers.2;
                let (shared, joined) = match seen.and_then(|seen| seen.serving(&read)) {
                    Some(result) => (result, Joined::Yes),
                    None => in_flight.join_or_start(
                        key,
                        &read,
                        || {
                            let earlier = self.data_versions.as_ref().and_then(|data_versions| {
                                let subgraphs =
                                    run.supergraph.subgraphs.iter().map(|s| s.name.as_str());
                                data_versions.last_read(subgraphs)
                            });
                            let (execution_read, guarantee) = read.execution(earlier);
                            // The execution runs in a task of its own, traced under the request
                            // that started it.
                            let execution = async move { pipeline.run(run, &execution_read).await };
                            (guarantee, execution.instrument(tracing::Span::current()))
                        },
                        move || Executed {
                            body: failed_execution(
                                "The execution was abandoned.",
                                Code::Internal,
                                language,
                            ),
                            complete: false,
                        },
                    ),
                };
                if let Joined::Yes = joined {
                    bump(&self.metrics.deduplicated_client_queries);
                }
                // The execution joined may have a later deadline than this request.
                tokio::time::timeout_at(deadline.into(), shared)
                    .await
                    .unwrap_or_else(|_| Executed {
                        body: failed_execution(
                            "The request's deadline passed before the execution it shared finished.",
                            Code::RequestDeadlineExceeded,
                            language,
                        ),
                        complete: false,
                    })
            }
            _ => self.run(run, &read).await,
        };
        if let (Some((cache, slot)), true) = (cache_slot, executed.complete) {
            cache.store(slot, executed.body.clone());
        }
        Answer::Executed {
            body: executed.body,
            complete: executed.complete,
        }
    }

    /// Runs `run` for a read that began at `read`.
    async fn run(&self, run: Run, read: &ReadStart) -> Executed {
        let answers = Answers::for_plan(run.plan.root.as_ref());
        let execution = Executor::new(
            &run.supergraph,
            &self.transport,
            &run.headers,
            &run.variables,
            read,
            run.deadline,
            &answers,
        )
        .run(run.plan.root.as_ref())
        .await;
        let complete = execution.errors.is_empty();
        let body = Bytes::from(project::respond(
            &run.supergraph.api,
            &run.prepared,
            &run.variables,
            execution,
            self.introspection,
            run.headers.2,
        ));
        Executed { body, complete }
    }
}

/// The body of an execution that produced nothing: `data` null and one error the gateway
/// raised, in `language`.
fn failed_execution(message: &str, code: Code, language: Language) -> Bytes {
    let mut error = GraphqlError::new(message, code);
    error.localize(language);
    let mut body = b"{\"data\":null,\"errors\":".to_vec();
    let _ = serde_json::to_writer(&mut body, &[error]);
    body.push(b'}');
    Bytes::from(body)
}

/// One execution's inputs, owned so it can run in a task of its own.
struct Run {
    supergraph: Arc<Supergraph>,
    prepared: Arc<PreparedOperation>,
    plan: Arc<Plan>,
    variables: Map<String, Value>,
    headers: ForwardedHeaders,
    deadline: Instant,
}

/// Parses, validates, checks against `limits`, normalizes and (when plans do not vary per
/// request) plans the document, then caches it: a cached document has passed the limits,
/// which are the same for every request. CPU-bound: callers run it off the async threads.
fn prepare(
    supergraph: &Supergraph,
    query: &str,
    operation_name: Option<&str>,
    limits: &OperationLimits,
    metrics: &Metrics,
) -> Result<Arc<PreparedOperation>, RequestFailure> {
    limits.check_tokens(query)?;
    let document = parse::parse(query, limits.parser_token_limit())?;
    validate::validate(
        &document,
        &supergraph.consumer_schema,
        &supergraph.validation,
    )?;
    let (index, kind, name) = operation::select_operation(&document, operation_name)?;
    if kind == OperationKind::Subscription {
        return Err(RequestFailure::graphql(GraphqlError::new(
            "Subscriptions are not supported by this gateway over HTTP.",
            Code::SubscriptionNotSupported,
        )));
    }
    let cost_check = limits.check_operation(&document, index, kind, &supergraph.api)?;
    let normalized = supergraph
        .planner
        .normalize(&document, name.as_deref())
        .map_err(planning_failed)?;
    let plan = if supergraph.planner.has_progressive_overrides() {
        None
    } else {
        let (plan, outcome) = supergraph
            .planner
            .plan(
                &normalized,
                Default::default(),
                &supergraph.subgraph_index,
                &supergraph.plans,
            )
            .map_err(planning_failed)?;
        count_plan(metrics, outcome);
        Some(plan)
    };
    let mut prepared = PreparedOperation::new(document, index, kind, normalized, plan);
    prepared.cost_per_request = cost_check == CostCheck::PerRequest;
    prepared.rollup = selects_rollup(&prepared, &supergraph.api)
        .then(|| DocumentDigest::of(query, operation_name));
    let prepared = Arc::new(prepared);
    supergraph
        .documents
        .put(query, operation_name, prepared.clone());
    Ok(prepared)
}

/// The plan to run `prepared` with for one request. `fresh` says whether the operation was
/// just prepared (its plan lookup is already counted).
fn plan_for(
    supergraph: &Supergraph,
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
    let draw = supergraph.planner.draw_overrides();
    let (plan, outcome) = supergraph
        .planner
        .plan(
            &prepared.normalized,
            draw,
            &supergraph.subgraph_index,
            &supergraph.plans,
        )
        .map_err(planning_failed)?;
    count_plan(metrics, outcome);
    Ok(plan)
}

fn count_plan(metrics: &Metrics, outcome: CacheOutcome) {
    match outcome {
        CacheOutcome::Hit => bump(&metrics.plan_cache_hits),
        CacheOutcome::Miss => bump(&metrics.plan_cache_misses),
    }
}

/// A planner failure: logged with the planner's message, answered without it (it names
/// the supergraph's internals).
fn planning_failed(message: String) -> RequestFailure {
    RequestFailure::internal(
        "The operation could not be planned.",
        Code::QueryPlanningFailed,
        &message,
    )
}

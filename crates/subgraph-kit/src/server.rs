//! The HTTP surface every subgraph shares: `POST /graphql`, `GET /graphql` (GraphiQL in a
//! browser, queries for other clients), `GET /health` (alive), `GET /ready` (its database
//! answers and its unit-tree replica, if it has one, is caught up) and `GET /metrics`
//! (Prometheus). Every GraphQL request runs in a server span that continues the caller's
//! W3C trace context and is counted per operation.
//!
//! Every GraphQL request must carry the principal the gateway signed
//! ([`kexie_contract::principal::PRINCIPAL_HEADER`]); one without it, or with one that is forged,
//! expired or for another audience, is answered 401 with `UNAUTHENTICATED` and never runs
//! (its body is not even read). A request that is not a GraphQL request (not JSON, no
//! `query`, a batch, not `application/json`, too large) is refused in GraphQL's error shape
//! with a stable code, as [`crate::http_request`] describes.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{Executor, Request};
use async_graphql_axum::GraphQLResponse;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest as _, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tracing::Instrument as _;

use crate::http_request::{self, Refusal};
use crate::metrics::{OperationLabel, SubgraphMetrics};
use crate::rollup::DataVersion;
use crate::storable;
use crate::unit_tree::{RequestCatchUp, TreeCatchUp};
use kexie_contract::language::Language;
use kexie_contract::principal::{self, PrincipalSecret};

#[derive(Clone)]
struct SubgraphState<E> {
    schema: E,
    pool: PgPool,
    principal_secret: Arc<PrincipalSecret>,
    metrics: Arc<SubgraphMetrics>,
    subgraph: Option<Arc<str>>,
    after_mutation: AfterMutation,
    tree_catch_up: Option<TreeCatchUp>,
}

/// What runs after every mutation request, before its response is sent.
#[derive(Clone, Default)]
struct AfterMutation {
    hook: Option<MutationHook>,
    data_version: Option<DataVersion>,
}

/// A subgraph's own step after a mutation (organizations: publish the tree changes).
pub type MutationHook =
    Arc<dyn Fn() -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'static>;

/// The router of the subgraph `name` serving `schema`, whose readiness is its `pool`, for
/// requests whose principal is signed with `secret`. Subgraphs with rollups use
/// [`SubgraphRouter`] to advance their data version.
pub fn router<E: Executor + Clone>(
    name: &str,
    schema: E,
    pool: PgPool,
    secret: PrincipalSecret,
) -> Router {
    SubgraphRouter::new(schema, pool, secret)
        .subgraph(name)
        .build()
}

/// Builds the router of a subgraph, with what [`router`] leaves out.
pub struct SubgraphRouter<E> {
    schema: E,
    pool: PgPool,
    principal_secret: PrincipalSecret,
    subgraph: Option<Arc<str>>,
    after_mutation: AfterMutation,
    tree_catch_up: Option<TreeCatchUp>,
    internal: Option<Router>,
    collectors: Vec<Box<dyn prometheus_client::collector::Collector>>,
}

impl<E: Executor + Clone> SubgraphRouter<E> {
    /// Serves `schema`, ready when `pool` answers, to requests whose principal is signed
    /// with `secret`.
    pub fn new(schema: E, pool: PgPool, secret: PrincipalSecret) -> Self {
        SubgraphRouter {
            schema,
            pool,
            principal_secret: secret,
            subgraph: None,
            after_mutation: AfterMutation::default(),
            tree_catch_up: None,
            internal: None,
            collectors: Vec::new(),
        }
    }

    /// Serves `routes` besides GraphQL: a subgraph's internal endpoints for the gateway,
    /// under `/internal/…`. They check the principal themselves
    /// ([`kexie_contract::principal::from_headers`], role `gateway`).
    pub fn internal_routes(mut self, routes: Router) -> Self {
        self.internal = Some(routes);
        self
    }

    /// Names the subgraph on its request spans (`kexie.subgraph`), which tells the
    /// subgraphs apart when they share one process and so one service name.
    pub fn subgraph(mut self, name: &str) -> Self {
        self.subgraph = Some(name.into());
        self
    }

    /// Advances `version` after every mutation request, before its response is sent, and
    /// serves its counters on `/metrics`.
    pub fn data_version(mut self, version: DataVersion) -> Self {
        self.after_mutation.data_version = Some(version);
        self
    }

    /// Gives every request `catch_up`, which figures over subtrees wait on
    /// ([`crate::unit_tree::catch_up`]).
    pub fn tree_catch_up(mut self, catch_up: TreeCatchUp) -> Self {
        self.tree_catch_up = Some(catch_up);
        self
    }

    /// Runs `hook` after every mutation request, before the data version advances.
    pub fn after_mutation(mut self, hook: MutationHook) -> Self {
        self.after_mutation.hook = Some(hook);
        self
    }

    /// Serves what `collector` counts on `/metrics` too.
    pub fn collector(mut self, collector: impl prometheus_client::collector::Collector) -> Self {
        self.collectors.push(Box::new(collector));
        self
    }

    pub fn build(self) -> Router {
        let internal = self.internal.unwrap_or_default();
        let subgraph_metrics = SubgraphMetrics::new(
            self.pool.clone(),
            self.after_mutation
                .data_version
                .as_ref()
                .map(DataVersion::counters),
            self.collectors,
        );
        Router::new()
            .route(
                "/graphql",
                get(graphql_get::<E>)
                    .post(graphql_post::<E>)
                    .layer(DefaultBodyLimit::max(http_request::MAX_BODY_BYTES)),
            )
            .route("/health", get(|| async { "ok" }))
            .route("/ready", get(ready::<E>))
            .route("/metrics", get(metrics::<E>))
            .with_state(SubgraphState {
                schema: self.schema,
                pool: self.pool,
                principal_secret: Arc::new(self.principal_secret),
                metrics: Arc::new(subgraph_metrics),
                subgraph: self.subgraph,
                after_mutation: self.after_mutation,
                tree_catch_up: self.tree_catch_up,
            })
            .merge(internal)
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn graphql_post<E: Executor>(
    State(state): State<SubgraphState<E>>,
    method: Method,
    headers: HeaderMap,
    body: axum::extract::Request,
) -> Response {
    let principal = match principal::from_headers(&headers, &state.principal_secret) {
        Ok(principal) => principal,
        Err(err) => return unauthenticated(&err),
    };
    // Read only once the caller is known to be the gateway.
    let request = match read_post(&headers, body).await {
        Ok(request) => request,
        Err(refusal) => return refused(refusal),
    };
    let mut request = request.data(principal);
    let selected = Selected::of(&mut request);
    GraphQLResponse::from(state.execute(request, &selected, &method, &headers).await)
        .into_response()
}

/// The GraphQL request of a POST, or why it is not one.
async fn read_post(headers: &HeaderMap, body: axum::extract::Request) -> Result<Request, Refusal> {
    http_request::require_json(headers)?;
    let body = http_request::body_read(Bytes::from_request(body, &()).await)?;
    http_request::from_body(&body)
}

/// The answer to a request that is not a GraphQL request.
fn refused(refusal: Refusal) -> Response {
    tracing::warn!(code = refusal.code, reason = %refusal.message, "request refused: not a GraphQL request");
    refusal.into_response()
}

/// The answer to a request without a valid principal: 401, `UNAUTHENTICATED`.
fn unauthenticated(err: &principal::PrincipalError) -> Response {
    tracing::warn!(error = %err, "request refused: no valid principal");
    Refusal::unauthenticated(format!(
        "{err}; subgraphs answer only requests signed by the gateway"
    ))
    .into_response()
}

async fn graphql_get<E: Executor>(
    State(state): State<SubgraphState<E>>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && uri.query().is_none_or(|query| !query.contains("query=")) {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    let principal = match principal::from_headers(&headers, &state.principal_secret) {
        Ok(principal) => principal,
        Err(err) => return unauthenticated(&err),
    };
    let mut request = match http_request::from_query_string(&uri) {
        Ok(request) => request,
        Err(refusal) => return refused(refusal),
    };
    let selected = Selected::of(&mut request);
    if selected.kind == Some(OperationType::Mutation) {
        // GraphQL over HTTP: a GET (or HEAD) must not change anything.
        return (
            [(header::ALLOW, "POST")],
            Refusal::method_not_allowed("A mutation must be sent with POST."),
        )
            .into_response();
    }
    let request = request.data(principal);
    GraphQLResponse::from(state.execute(request, &selected, &method, &headers).await)
        .into_response()
}

/// The operation a request selects, found in the document the request keeps parsed for
/// execution (it is parsed once).
struct Selected {
    name: Option<String>,
    kind: Option<OperationType>,
    /// Whether the document parsed at all.
    parsed: bool,
}

impl Selected {
    fn of(request: &mut Request) -> Selected {
        let wanted = request.operation_name.clone();
        let Ok(document) = request.parsed_query() else {
            return Selected {
                name: None,
                kind: None,
                parsed: false,
            };
        };
        let mut operations = document.operations.iter();
        // The same choice async-graphql makes: the named one, or the only one.
        let selected = match wanted.as_deref() {
            Some(wanted) => {
                operations.find(|(name, _)| name.is_some_and(|name| name.as_str() == wanted))
            }
            None => match (operations.next(), operations.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            },
        };
        Selected {
            name: selected.and_then(|(name, _)| name.map(|name| name.to_string())),
            kind: selected.map(|(_, operation)| operation.node.ty),
            parsed: true,
        }
    }

    fn label(&self) -> OperationLabel {
        OperationLabel::new(self.name.as_deref(), self.kind)
    }
}

impl<E: Executor> SubgraphState<E> {
    /// Executes `request` inside its server span and counts it.
    async fn execute(
        &self,
        request: Request,
        selected: &Selected,
        method: &Method,
        headers: &HeaderMap,
    ) -> async_graphql::Response {
        let label = selected.label();
        let span_name = match (&selected.name, selected.kind) {
            (Some(name), Some(_)) => format!("{} {name}", label.kind),
            (None, Some(_)) => label.kind.to_string(),
            (_, None) => "GraphQL Operation".to_string(),
        };
        let span = tracing::info_span!(
            "graphql",
            otel.name = span_name,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            graphql.operation.name = selected.name.as_deref(),
            graphql.operation.type = selected.kind.map(|_| label.kind),
            graphql.errors = tracing::field::Empty,
            http.request.method = method.as_str(),
            http.route = "/graphql",
            kexie.subgraph = self.subgraph.as_deref(),
        );
        kexie_contract::telemetry::continue_trace(&span, headers);
        let mut request = match &self.tree_catch_up {
            Some(catch_up) => request
                .data(catch_up.clone())
                .data(RequestCatchUp::default()),
            None => request,
        };
        let started = Instant::now();
        // Errors speak the language the gateway chose for the client.
        let language = Language::preferred(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok()),
        );
        let schema = &self.schema;
        let mut response = language
            .scope(async move {
                match storable::refusal(&mut request) {
                    // Nothing runs, so nothing is written.
                    Some(refused) => async_graphql::Response::from_errors(vec![refused]),
                    None => schema.execute(request).await,
                }
            })
            .instrument(span.clone())
            .await;
        if selected.kind == Some(OperationType::Mutation) {
            self.after_mutation
                .run(&mut response)
                .instrument(span.clone())
                .await;
        }
        self.metrics
            .record(&label, started.elapsed(), &response, selected.parsed);
        if !response.errors.is_empty() {
            span.record("otel.status_code", "error");
            span.record("graphql.errors", response.errors.len());
        }
        response
    }
}

impl AfterMutation {
    async fn run(&self, response: &mut async_graphql::Response) {
        if let Some(hook) = &self.hook {
            hook().await;
        }
        let Some(version) = &self.data_version else {
            return;
        };
        if let Err(err) = version.bump().await {
            // The write may have committed while cached rollups still count without it: the
            // client must not take it as acknowledged.
            tracing::error!(error = %err, "failed to advance the data version after a mutation");
            use async_graphql::ErrorExtensions as _;
            response.errors.push(
                crate::ApiError::internal(
                    "the change could not be confirmed; read it back before retrying",
                )
                .extend()
                .into_server_error(async_graphql::Pos::default()),
            );
        }
    }
}

/// Ready when the database answers and, in a subgraph that replicates the unit tree, the
/// replica has reached the last change organizations published: before that, figures over
/// subtrees would be computed from an older tree (after their bounded wait).
async fn ready<E>(State(state): State<SubgraphState<E>>) -> Response {
    if let Err(err) = sqlx::query("select 1").execute(&state.pool).await {
        tracing::warn!(error = %err, "not ready: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    if let Some(catch_up) = &state.tree_catch_up {
        if let Err((local, published)) = catch_up.caught_up().await {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the unit tree replica is catching up: change {local} of {published}"),
            )
                .into_response();
        }
    }
    "ready".into_response()
}

async fn metrics<E>(State(state): State<SubgraphState<E>>) -> Response {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

/// A subgraph ready to serve: its bound listener, its router and the background tasks it
/// runs (the unit-tree replica or publisher), which stop when it stops.
pub struct SubgraphApp {
    listener: TcpListener,
    router: Router,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl SubgraphApp {
    /// Binds `listen` (port 0 picks a free port; tests read it back with [`Self::port`]).
    pub async fn bind(
        listen: std::net::SocketAddr,
        router: Router,
        background: Vec<tokio::task::JoinHandle<()>>,
    ) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("Failed to listen on {listen}"))?;
        Ok(SubgraphApp {
            listener,
            router,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or(0)
    }

    /// Serves until `shutdown` completes, then stops the background tasks.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let served = serve(self.listener, self.router, shutdown).await;
        for task in self.background {
            task.abort();
        }
        // Spans of the last requests are still buffered; export them before the process
        // goes (blocking: the exporter waits for the collector).
        let _ = tokio::task::spawn_blocking(kexie_contract::telemetry::flush).await;
        Ok(served?)
    }

    /// Serves in the background; for tests and the all-in-one process. The returned
    /// handle stops it when aborted or dropped with [`ServerHandle::stop`].
    pub fn spawn(self) -> ServerHandle {
        let port = self.port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = self
                .run_until(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        ServerHandle {
            port,
            stop: Some(stop),
            task,
        }
    }
}

/// A subgraph serving in the background.
pub struct ServerHandle {
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    /// Stops serving and waits until the server and its background tasks are gone.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

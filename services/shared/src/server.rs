//! The HTTP surface every subgraph shares: `POST /graphql`, `GET /graphql` (GraphiQL in a
//! browser, queries for other clients), `GET /health` (alive) and `GET /ready` (its
//! database answers).

use std::future::Future;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{Executor, Request};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::actor::Actor;

#[derive(Clone)]
struct SubgraphState<E> {
    schema: E,
    pool: PgPool,
}

/// The router of a subgraph serving `schema`, whose readiness is its `pool`.
pub fn router<E: Executor + Clone>(schema: E, pool: PgPool) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get::<E>).post(graphql_post::<E>))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready::<E>))
        .with_state(SubgraphState { schema, pool })
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
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let request = request.into_inner().data(Actor::from_headers(&headers));
    state.schema.execute(request).await.into()
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
    let request = match async_graphql::http::parse_query_string(uri.query().unwrap_or_default()) {
        Ok(request) => request,
        Err(err) => return (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
    };
    if method == Method::GET && is_mutation(&request) {
        // GraphQL over HTTP: a GET must not change anything.
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "mutations must be sent with POST",
        )
            .into_response();
    }
    let request = request.data(Actor::from_headers(&headers));
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

fn is_mutation(request: &Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}

async fn ready<E>(State(state): State<SubgraphState<E>>) -> Response {
    match sqlx::query("select 1").execute(&state.pool).await {
        Ok(_) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
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

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

//! Accepting client connections: HTTP/1.1 with a bound on how long a client may take to send
//! a request's headers and on how many connections may be open at once.
//!
//! `axum::serve` sets neither: a client that opens a connection and sends half a request
//! holds it, and its file descriptor, for as long as it likes; enough of them and the
//! gateway cannot accept anyone (seen with about 20,000). Here:
//!
//! - hyper's header read timeout runs from when a connection is ready for a request —
//!   accepted, or its previous response sent — until the request's headers have arrived,
//!   so it is also the idle keep-alive timeout (hyper starts it when a kept-alive
//!   connection goes idle); past it the connection is closed;
//! - the body has its own timeout, in the GraphQL handler (a 408 there says why);
//! - at most `max_connections` are open: the next is accepted when one closes, and waits
//!   in the kernel's backlog meanwhile, so the process never runs out of descriptors;
//! - over TLS, the handshake must end within the header read timeout too.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// What a client connection may take.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` on `listener` (over TLS with `tls`) until `shutdown` completes; then
/// stops accepting, lets the requests in flight finish and closes idle connections.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(
            router
                .clone()
                .map_request(|request: hyper::Request<Incoming>| request.map(Body::new)),
        );
        let (watcher, builder, tls) = (graceful.watcher(), builder.clone(), tls.clone());
        tokio::spawn(async move {
            // A connection ends with an error when the client goes away, is too slow or
            // fails the handshake: nothing to do about any of these.
            match tls {
                None => {
                    let _ = watcher
                        .watch(builder.serve_connection(TokioIo::new(stream), service))
                        .await;
                }
                Some(tls) => {
                    let handshake =
                        tokio::time::timeout(limits.header_read_timeout, tls.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        let _ = watcher
                            .watch(builder.serve_connection(TokioIo::new(stream), service))
                            .await;
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Accepting failed. A connection reset before it was accepted is the client's business;
/// anything else (out of file descriptors) is logged and retried a little later rather
/// than in a busy loop.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

//! The HTTP/1 connection loop: every wait of the HTTP side is bounded, so that a stop takes
//! seconds whatever the clients do: a request's headers must arrive within
//! [`HEADER_READ_TIMEOUT`], its body may pause at most [`BODY_STALL_TIMEOUT`] between two pieces
//! (then the handler reading it gets 408), and a stop waits [`SHUTDOWN_GRACE`] for the requests
//! in flight before it drops the connections left.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long a client may take to send a request's headers; then the connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request body may pause between two pieces; then reading it fails and the handler
/// answers 408. Measured per piece, not for the whole body, so a large upload over a slow line
/// still arrives.
pub const BODY_STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stop waits for the requests in flight before it drops their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Accepts connections until `stop` turns true, then gives the requests in flight
/// [`SHUTDOWN_GRACE`] to finish and drops whatever connection is still open.
pub async fn serve(listener: TcpListener, app: axum::Router, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, app.clone(), stop.clone()));
                }
                Err(error) => {
                    // Out of file descriptors, typically: wait a little rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = async { drop(stop.wait_for(|stopped| *stopped).await) } => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            grace_ms = SHUTDOWN_GRACE.as_millis(),
            "requests still in flight after the grace period; dropping their connections"
        );
        connections.shutdown().await;
    }
}

/// Serves one HTTP/1 connection; on `stop` it finishes the request in flight and closes.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
        let mut request = request.map(|body| {
            axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
                BODY_STALL_TIMEOUT,
                body,
            ))
        });
        // The peer's address is the source of a sign-in when no trusted proxy names another.
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        tower::ServiceExt::oneshot(app.clone(), request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = async { drop(stop.wait_for(|stopped| *stopped).await) } => {
            connection.as_mut().graceful_shutdown();
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error while stopping");
            }
        }
    }
}

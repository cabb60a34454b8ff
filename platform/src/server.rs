//! The HTTP server loop: accept on a TCP listener, serve HTTP/1.1 per connection with the
//! platform's router, and stop when the [`ShutdownHandle`] is dropped or stopped.
//!
//! Owns the connections: every connection task lives in one `JoinSet` inside the accept task, so
//! aborting that task closes every open connection too, and each request carries a
//! [`ConnectionDropper`] that the fault middleware uses to close its connection without an
//! answer. It does not own any route.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

/// Closes the connection a request came on (used by the fault mode).
#[derive(Clone)]
pub(crate) struct ConnectionDropper(Arc<Notify>);

impl ConnectionDropper {
    pub fn drop_now(&self) {
        self.0.notify_one();
    }
}

/// Stops the server when dropped (or, waiting for it to be gone, with [`ShutdownHandle::stop`]).
#[derive(Debug)]
pub struct ShutdownHandle {
    task: Option<JoinHandle<()>>,
}

impl ShutdownHandle {
    /// Stops accepting, closes every connection, and returns once the server task is gone.
    pub async fn stop(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Runs until the server task ends (it only ends when stopped).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.as_mut() {
            let _ = task.await;
        }
    }
}

impl Drop for ShutdownHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds `addr` and serves `router` on it in a background task.
pub async fn spawn(router: Router, addr: SocketAddr) -> std::io::Result<(SocketAddr, ShutdownHandle)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "platform listening");
    let task = tokio::spawn(accept_loop(listener, router));
    Ok((bound, ShutdownHandle { task: Some(task) }))
}

async fn accept_loop(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let dropper = ConnectionDropper(Arc::new(Notify::new()));
    let per_request = dropper.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(per_request.clone());
        router.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = dropper.0.notified() => tracing::debug!("connection closed by the fault mode"),
    }
}

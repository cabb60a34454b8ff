//! The HTTP server loop: accept on a TCP listener, serve HTTP/1.1 per connection with the
//! platform's router, and stop when the [`ShutdownHandle`] is dropped or stopped.
//!
//! Owns the connections and what bounds them ([`ConnectionLimits`]): at most `max_connections`
//! at once (the others wait in the listen backlog until one ends), a request head within
//! `header_read_timeout`, a body within `body_read_timeout`, and no connection on which nothing
//! moves for `idle_timeout`. Every connection task lives in one `JoinSet` inside the accept task,
//! so aborting that task closes every open connection too, and each request carries a
//! [`ConnectionDropper`] that the fault middleware uses to close its connection without an
//! answer. It does not own any route, nor the answer to a body that timed out (`read_body` turns
//! [`BodyTimeout`] into 408 `body_timeout`).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

/// What bounds the connections of a platform's HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A request head must be complete this long after the connection starts waiting for it:
    /// after accept, and after each answer on a kept-alive connection (so this is also how long
    /// a kept-alive connection may sit idle between requests). Then the connection is closed.
    pub header_read_timeout: Duration,
    /// A request body must be complete this long after its head arrived; else the request is
    /// answered 408 `body_timeout` and the connection closed. Devices give up on a request
    /// after 30 s (`SyncConfig::request_timeout_ms`), so a body still arriving later is one no
    /// device waits for.
    pub body_read_timeout: Duration,
    /// A connection on which no byte moved either way for this long is closed: a client that
    /// stalls in the middle of a request or stops reading its answer.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until one ends.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
        }
    }
}

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
pub async fn spawn(
    router: Router,
    addr: SocketAddr,
    limits: ConnectionLimits,
) -> std::io::Result<(SocketAddr, ShutdownHandle)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, max_connections = limits.max_connections, "platform listening");
    let task = tokio::spawn(accept_loop(listener, router, limits));
    Ok((bound, ShutdownHandle { task: Some(task) }))
}

async fn accept_loop(listener: TcpListener, router: Router, limits: ConnectionLimits) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        // A free slot first: while every slot is taken, new connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the slot semaphore is never closed"),
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let router = router.clone();
                    connections.spawn(async move {
                        serve_connection(stream, peer, router, limits).await;
                        drop(slot);
                    });
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

async fn serve_connection(stream: TcpStream, peer: SocketAddr, router: Router, limits: ConnectionLimits) {
    let _ = stream.set_nodelay(true);
    let dropper = ConnectionDropper(Arc::new(Notify::new()));
    let per_request = dropper.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(per_request.clone());
        // The source address, for the enrollment attempt limits.
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        let deadline = tokio::time::Instant::now() + limits.body_read_timeout;
        let request = request.map(|body| axum::body::Body::new(DeadlineBody::new(body, deadline)));
        router.clone().oneshot(request)
    });
    let activity = Arc::new(Activity::new());
    let io = Watched {
        stream,
        activity: activity.clone(),
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = dropper.0.notified() => tracing::debug!("connection closed by the fault mode"),
        () = activity.idle_for(limits.idle_timeout) => tracing::debug!("idle connection closed"),
    }
}

/// The request body could not be read within `body_read_timeout`.
#[derive(Debug)]
pub(crate) struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// A request body that fails with [`BodyTimeout`] once its deadline passes.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, deadline: tokio::time::Instant) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

impl hyper::body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// When a connection last moved a byte, in ms since it was accepted.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// Returns once no byte has moved for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let quiet = last.elapsed();
            if quiet >= timeout {
                return;
            }
            tokio::time::sleep(timeout - quiet).await;
        }
    }
}

/// A connection's stream that records when it last moved a byte.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Watched {
    fn moved<T>(&self, result: Poll<io::Result<T>>, bytes: usize) -> Poll<io::Result<T>> {
        if bytes > 0 && matches!(result, Poll::Ready(Ok(_))) {
            self.activity.touch();
        }
        result
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        this.moved(result, read)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        let written = match &result {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        this.moved(result, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        let written = match &result {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        this.moved(result, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

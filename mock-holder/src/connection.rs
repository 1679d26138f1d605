//! What a connection may hold, once accepted: the listener's connection limit, a TLS handshake
//! timeout, an idle timeout, and the whole-request timeout; `crate::server` applies them with
//! [`ConnectionLimits`] (with the HTTP/1.1 header-read timeout and the HTTP/2 limits, which
//! hyper enforces itself).
//!
//! * **Limit.** [`Guarded`] takes a permit of the listener's semaphore before the TLS handshake
//!   and holds it until the connection closes. A connection over the limit is closed as soon as
//!   it is accepted, which frees its descriptor at once: the process never runs out of them,
//!   so the other listener, and this one once connections close, keep answering.
//! * **Idle.** [`Idle`] wraps the connection's stream and fails its reads once nothing was read
//!   or written for the idle timeout while no request is in progress (requests are counted by
//!   the [`Tracked`] service of the same connection), which closes an idle keep-alive, a
//!   half-sent request head, or an HTTP/2 connection that sent nothing after its preface.
//! * **Request.** [`request_timeout`] answers 408 (RFC 6749 JSON error) when a request's body
//!   and its handling take longer than the request timeout, and closes its HTTP/1.1 connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{HeaderValue, Request, Response, StatusCode, Version, header};
use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::limits::ConnectionLimits;

/// An acceptor that applies the connection limit, the TLS handshake timeout (of the inner
/// acceptor's whole accept, TLS included) and the idle timeout around `A`.
#[derive(Clone)]
pub(crate) struct Guarded<A> {
    inner: A,
    permits: Arc<Semaphore>,
    handshake_timeout: Duration,
    idle_timeout: Duration,
    listener: &'static str,
}

impl<A> std::fmt::Debug for Guarded<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("listener", &self.listener)
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl<A> Guarded<A> {
    /// Guards `inner` with `limits`, `max_connections` of them at once; `listener` names it in
    /// the log.
    pub(crate) fn new(
        inner: A,
        limits: &ConnectionLimits,
        max_connections: usize,
        listener: &'static str,
    ) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(max_connections)),
            handshake_timeout: limits.tls_handshake_timeout,
            idle_timeout: limits.idle_timeout,
            listener,
        }
    }
}

impl<A, S> Accept<TcpStream, S> for Guarded<A>
where
    A: Accept<TcpStream, Tracked<S>> + Clone + Send + Sync + 'static,
    A::Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    A::Service: Send + 'static,
    A::Future: Send + 'static,
    S: Send + 'static,
{
    type Stream = Idle<A::Stream>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let permit = self.permits.clone().try_acquire_owned();
        let (inner, handshake, idle, listener) = (
            self.inner.clone(),
            self.handshake_timeout,
            self.idle_timeout,
            self.listener,
        );
        Box::pin(async move {
            let Ok(permit) = permit else {
                // Dropping the stream closes it: its descriptor is free again at once.
                drop(stream);
                if should_log(&LAST_LIMIT_LOG) {
                    tracing::warn!(
                        listener,
                        "connection limit reached; connections over it are closed (logged at most once a second)"
                    );
                }
                return Err(io::Error::other("connection limit reached"));
            };
            let active = Arc::new(AtomicUsize::new(0));
            let service = Tracked {
                inner: service,
                active: active.clone(),
            };
            let (stream, service) = tokio::time::timeout(handshake, inner.accept(stream, service))
                .await
                .map_err(|_| {
                    tracing::debug!(listener, "TLS handshake timed out");
                    io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")
                })?
                .inspect_err(|error| {
                    // A refused client certificate ends here: say so, so that whoever reads the
                    // log can tell a refusal from a connection that never came.
                    if should_log(&LAST_HANDSHAKE_LOG) {
                        tracing::info!(
                            listener,
                            %error,
                            "TLS handshake failed; the connection is closed (logged at most once a second)"
                        );
                    }
                })?;
            Ok((Idle::new(stream, idle, active, permit), service))
        })
    }
}

/// When a refusal at the connection limit was last logged (seconds since the epoch).
static LAST_LIMIT_LOG: AtomicU64 = AtomicU64::new(0);
/// When a failed TLS handshake was last logged (seconds since the epoch).
static LAST_HANDSHAKE_LOG: AtomicU64 = AtomicU64::new(0);

/// Whether a connection event last logged at `last` should be logged now: at most once a
/// second, so that a flood of connections does not become a flood of log lines.
fn should_log(last: &AtomicU64) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    last.swap(now, Ordering::Relaxed) != now
}

/// A connection's service that counts the requests in progress on it (for [`Idle`]).
#[derive(Debug, Clone)]
pub(crate) struct Tracked<S> {
    inner: S,
    active: Arc<AtomicUsize>,
}

/// Counts one request in progress while it lives.
#[derive(Debug)]
struct InProgress(Arc<AtomicUsize>);

impl InProgress {
    fn new(active: Arc<AtomicUsize>) -> Self {
        active.fetch_add(1, Ordering::Relaxed);
        Self(active)
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<S, R> tower::Service<R> for Tracked<S>
where
    S: tower::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let in_progress = InProgress::new(self.active.clone());
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await;
            drop(in_progress);
            response
        })
    }
}

/// A connection's stream, failing its reads after the idle timeout (no bytes moved, no request
/// in progress), and holding the connection's permit until it is dropped.
#[derive(Debug)]
pub(crate) struct Idle<T> {
    inner: T,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    active: Arc<AtomicUsize>,
    _permit: OwnedSemaphorePermit,
}

impl<T> Idle<T> {
    fn new(
        inner: T,
        timeout: Duration,
        active: Arc<AtomicUsize>,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            active,
            _permit: permit,
        }
    }

    fn touch(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.timeout);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Idle<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.touch();
                }
                Poll::Ready(result)
            }
            Poll::Pending => {
                if this.active.load(Ordering::Relaxed) > 0 {
                    // A request is being handled (its own timeout bounds it): not idle.
                    this.touch();
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "connection idle for too long",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Idle<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.touch();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Adds the whole-request timeout to `router`: a request whose body and handling take longer
/// than `timeout` is answered 408 with an RFC 6749 error body (and, over HTTP/1.1,
/// `Connection: close`, since the rest of its body was never read).
pub(crate) fn request_timeout(router: axum::Router, timeout: Duration) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |request: Request<axum::body::Body>, next: axum::middleware::Next| async move {
            let version = request.version();
            match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => timed_out(timeout, version),
            }
        },
    ))
}

fn timed_out(timeout: Duration, version: Version) -> Response<axum::body::Body> {
    let body = serde_json::json!({
        "error": "invalid_request",
        "error_description": format!(
            "The request was not received and answered within {} ms",
            timeout.as_millis()
        ),
    });
    let mut response = Response::new(axum::body::Body::from(body.to_string()));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if version < Version::HTTP_2 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

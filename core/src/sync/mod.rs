//! Offline sending: the sync engine that drains the outbox to the command platform.
//!
//! # What is persisted, keyed by what
//!
//! Nothing lives only in memory. The outbox *is* the `report` rows in state `pending`, keyed by
//! the device-made report id (UUID v7) that the platform also stores the report under, so every
//! upload is idempotent end to end. Per row the engine keeps `attempts`, `last_error` (a code)
//! and `next_attempt_at`; a delivered row gets `delivered_at` and the platform's `case_number`,
//! a parked row its `last_error` code and `parked_reason` (codes and field names, no text).
//! The device's credentials (`sync.device_id`, `sync.access_token`, `sync.refresh_token`), a
//! revocation mark and the last success time are in `meta`. `photo_upload` remembers photos
//! the platform confirmed complete; it only saves requests (a `photos_incomplete` answer
//! drops the entry).
//!
//! # Dependent photo uploads
//!
//! A report is committed by the platform only when its photos are complete, so each report is
//! sent as photos first, then `PUT /v1/reports/{id}`. A photo is named by its SHA-256 and
//! `PATCH`ed in chunks from the offset the platform holds, never an assumed one: on a report's
//! first try the first `PATCH` goes from 0 and a platform holding part of the photo answers
//! `upload_offset_mismatch` with its offset; on a retry (after a relaunch or a dropped
//! connection) `HEAD` asks first. Photos shared by reports or devices are uploaded once. On a
//! metered network with `photos_on_metered` off, photo bytes wait (`HEAD` tells which are
//! already there); a report whose photos are all on the platform still goes.
//!
//! What the platform confirmed (a delivery and its case number, a complete photo) is recorded
//! by the `ledger` module in batches, off the request path: a lost record only means the same
//! idempotent request is sent again next run, and the end of every run waits for the records.
//!
//! # Which errors retry and which park
//!
//! Transient — retried with exponential backoff and full jitter, never less than
//! `Retry-After`: no answer (timeout, refused or dropped connection), 5xx, 408, 429
//! (`partial_quota_exceeded` included), `photos_incomplete` (the missing photos are uploaded
//! again first), `upload_length_mismatch` (a stale partial: the photo starts over from 0
//! first). Every write is
//! idempotent (report PUT by id + content, PATCH by offset), so "committed but the answer was
//! lost" is retried as the same request. 401 `token_expired` / `token_invalid`: refresh with
//! the stored refresh token (not rotated, so a lost refresh answer is harmless) and retry.
//! Permanent — the one report is parked with its code and the rest go on: every other 4xx
//! (`validation_failed` with its finding codes, `report_conflict`, malformed bodies, size
//! limits), a local photo that is missing or no longer hashes to its name. 401
//! `device_revoked` stops the whole sync with [`Error::DeviceRevoked`]; nothing is deleted.
//!
//! # Order, parallelism, respawn
//!
//! Pending reports are grouped by reporter; a reporter's reports go one after another in
//! submit order (a later one is never committed before an earlier one is delivered or
//! parked), several reporters' chains run in parallel up to `max_parallel_reports` requests
//! in flight. Photos commit nothing, so within a chain the photos of the next
//! `max_parallel_reports` reports upload while the current one is committed; one worker's
//! phone (one chain) keeps as many requests in flight as several chains do. The reports
//! without photos that follow the current one go with it in one `POST /v1/reports` (up to
//! 50), which the platform commits in the order sent and stops at the first it cannot settle
//! for good, so a run of household checks costs one round trip, not one each; a platform that
//! answers 404, 405 or 413 to a batch gets single `PUT`s from then on. A retry waits
//! without holding a slot. `sync_now` works within a deadline (as a
//! WorkManager / BGTaskScheduler job does); as all state is in the store, the next run —
//! after a relaunch too — picks up where it stopped.
//!
//! # Lifecycle: what stops what
//!
//! Every task a run starts (the reporters' chains and the photo uploads ahead of them) is
//! owned by an abort-on-drop handle, so dropping the future of `sync_now` (a cancelled
//! coroutine, a timeout) aborts all of them: a request in flight is dropped mid-body, so at
//! most one chunk per upload slot leaves after the cancel. [`SyncEngine::start`] runs the
//! engine in a background loop, woken when the network comes back, whose [`SyncTask`] aborts
//! the loop on drop. [`SyncEngine::shutdown`] — also run when the last `SyncEngine` handle is
//! dropped — stops every loop and aborts the runs in flight (they return
//! [`Error::Closed`]). One run at a time works a directory's outbox, whatever number of
//! engines: the run holds the client's outbox lock.
//!
//! # Listeners and threads
//!
//! The listener is called on the runtime's worker threads, from inside the run, so it must
//! return quickly. A listener that panics is contained: the panic is logged once, the run
//! and the background loop go on. The store's writes (retry times, parks, credentials,
//! the ledger's batches) run on the blocking pool, never on the async workers.
//!
//! Logs carry report ids, photo hashes, codes and counts, never report text or photo bytes.
//!
//! It does not own capture (the rows are made by `capture`) nor decide what the platform
//! accepts (the platform validates with the same core function the device ran).

mod clock;
mod ledger;
mod outbox;
mod protocol;

use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::capture::SubmittedReport;
use crate::client::now_ms;
use crate::taxonomy::EventListInfo;
use crate::{Client, Error, Result};

use ledger::Ledger;
use outbox::PendingRow;
use protocol::{BatchAnswer, Failure, Problem, Receipt, TokenGrant, header_u64, network_failure};

/// Installs rustls' `ring` crypto provider as the process default, once; an app (or test) that
/// installed its own keeps it. reqwest is built without a provider of its own (see Cargo.toml).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

const KEY_DEVICE_ID: &str = "sync.device_id";
const KEY_ACCESS_TOKEN: &str = "sync.access_token";
const KEY_REFRESH_TOKEN: &str = "sync.refresh_token";
const KEY_REVOKED: &str = "sync.revoked";
const KEY_LAST_SUCCESS: &str = "sync.last_success_at";
const KEY_PLATFORM_URL: &str = "sync.platform_url";

/// How the engine talks to the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// e.g. `https://platform.example.cn` (no trailing slash needed).
    pub platform_url: String,
    /// Requests in flight at once (reports of different reporters).
    pub max_parallel_reports: usize,
    pub request_timeout_ms: u64,
    pub photo_chunk_bytes: usize,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
}

impl SyncConfig {
    pub fn new(platform_url: impl Into<String>) -> Self {
        Self {
            platform_url: platform_url.into().trim_end_matches('/').to_string(),
            max_parallel_reports: 3,
            request_timeout_ms: 30_000,
            photo_chunk_bytes: 256 * 1024,
            backoff_base_ms: 500,
            backoff_max_ms: 60_000,
        }
    }
}

/// What one `sync_now` did. `delivered`, `pending` and `parked` are totals of the outbox
/// after the run; the `_this_run` counts, `retries` and `bytes_sent` are this run's. Counts
/// are signed, as Kotlin and Swift count (see docs/ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncSummary {
    /// Total delivered, ever, on this device.
    pub delivered: i32,
    /// Total still pending after the run.
    pub pending: i32,
    /// Total parked after the run.
    pub parked: i32,
    pub delivered_this_run: i32,
    pub parked_this_run: i32,
    pub retries: i32,
    pub bytes_sent: i64,
}

/// The outbox at a glance, for a status screen or a support report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QueueHealth {
    pub pending: i32,
    pub oldest_pending_age_ms: Option<i64>,
    pub parked: Vec<ParkedReport>,
    pub last_success_at_ms: Option<i64>,
    pub bytes_waiting: i64,
    pub delivered: i32,
}

/// A report the platform refused for good: `code` is the protocol's, `reason` names fields
/// and finding codes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ParkedReport {
    pub report_id: String,
    pub code: String,
    pub reason: String,
}

/// Connectivity as the host OS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NetworkState {
    pub online: bool,
    pub metered: bool,
}

/// What the user allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NetworkPolicy {
    pub photos_on_metered: bool,
}

/// Receives progress; called on the runtime's worker threads from the engine's tasks, so it
/// must return quickly. A panic in it is contained (logged once; the run goes on).
pub trait SyncListener: Send + Sync {
    fn on_progress(&self, progress: SyncProgress);
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncProgress {
    pub report_id: Option<String>,
    pub event: SyncEvent,
    /// Photo bytes: of the photo being uploaded (`PhotoProgress`), else of the run so far.
    pub bytes_sent: i64,
    pub bytes_total: i64,
    pub delivered: i32,
    pub pending: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SyncEvent {
    Started,
    PhotoProgress,
    ReportDelivered,
    ReportParked,
    Retrying,
    Finished,
}

/// The device's credentials, as stored in `meta`.
#[derive(Debug, Clone)]
struct Credentials {
    device_id: String,
    access_token: String,
    refresh_token: String,
}

/// Drains the outbox of one [`Client`] to one platform. `Send + Sync`; share it as `Arc`.
pub struct SyncEngine {
    inner: Arc<Inner>,
}

struct Inner {
    client: Arc<Client>,
    config: SyncConfig,
    http: reqwest::Client,
    network: RwLock<NetworkState>,
    policy: RwLock<NetworkPolicy>,
    listener: RwLock<Option<Arc<dyn SyncListener>>>,
    credentials: RwLock<Option<Credentials>>,
    /// One token refresh at a time; the others wait and use its token.
    refresh_lock: tokio::sync::Mutex<()>,
    /// Set by [`SyncEngine::shutdown`]: loops end, runs in flight are aborted.
    closed: tokio::sync::watch::Sender<bool>,
    /// The background loops, aborted by [`SyncEngine::shutdown`].
    loops: Mutex<Vec<tokio::task::AbortHandle>>,
    /// A listener panicked once already (logged then, not again).
    listener_failed: AtomicBool,
    /// Photos the platform confirmed complete (mirrors `photo_upload`).
    confirmed: Mutex<HashSet<String>>,
    /// Woken when the network comes back, for the background loop.
    wake: Notify,
    /// The platform answered `POST /v1/reports` as if it did not know it: reports go one by one.
    batch_unsupported: AtomicBool,
    /// The device's clock offset to the platform, learned from every answer.
    clock: clock::DeviceClock,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("platform_url", &self.inner.config.platform_url)
            .finish_non_exhaustive()
    }
}

impl SyncEngine {
    pub fn new(client: Arc<Client>, config: SyncConfig) -> Result<Arc<SyncEngine>> {
        check_platform_url(&config.platform_url)?;
        if config.max_parallel_reports == 0 || config.photo_chunk_bytes == 0 {
            return Err(Error::InvalidArgument {
                field: "sync_config",
                reason: "max_parallel_reports and photo_chunk_bytes must be positive".into(),
            });
        }
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.request_timeout_ms.max(1)))
            .connect_timeout(Duration::from_millis(config.request_timeout_ms.clamp(1, 10_000)))
            .user_agent(concat!("gridpatrol/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network {
                reason: format!("http client: {e}"),
            })?;
        let (credentials, confirmed, clock) = client.store().read(|conn| {
            let credentials = match (
                outbox::meta_get(conn, KEY_DEVICE_ID)?,
                outbox::meta_get(conn, KEY_ACCESS_TOKEN)?,
                outbox::meta_get(conn, KEY_REFRESH_TOKEN)?,
            ) {
                (Some(device_id), Some(access_token), Some(refresh_token)) => Some(Credentials {
                    device_id,
                    access_token,
                    refresh_token,
                }),
                _ => None,
            };
            Ok((
                credentials,
                outbox::confirmed_photos(conn)?,
                clock::DeviceClock::load(conn)?,
            ))
        })?;
        Ok(Arc::new(SyncEngine {
            inner: Arc::new(Inner {
                client,
                config,
                http,
                network: RwLock::new(NetworkState {
                    online: true,
                    metered: false,
                }),
                policy: RwLock::new(NetworkPolicy {
                    photos_on_metered: true,
                }),
                listener: RwLock::new(None),
                credentials: RwLock::new(credentials),
                refresh_lock: tokio::sync::Mutex::new(()),
                closed: tokio::sync::watch::Sender::new(false),
                loops: Mutex::new(Vec::new()),
                listener_failed: AtomicBool::new(false),
                confirmed: Mutex::new(confirmed),
                wake: Notify::new(),
                batch_unsupported: AtomicBool::new(false),
                clock,
            }),
        }))
    }

    /// Enrolls this device with the platform's enrollment code; the credentials are stored.
    /// Enrolling again replaces them (and lifts a revocation mark).
    pub async fn enroll(&self, enrollment_code: &str, device_name: &str) -> Result<String> {
        let inner = &self.inner;
        let label: String = device_name.chars().take(100).collect();
        let response = inner
            .http
            .post(inner.url("/v1/enroll"))
            .json(&serde_json::json!({"enrollment_code": enrollment_code, "label": label}))
            .send()
            .await
            .map_err(|e| Error::Network {
                reason: protocol::network_reason(&e).into(),
            })?;
        if !response.status().is_success() {
            let problem = Problem::read(response).await;
            return Err(Error::Platform {
                status: problem.status,
                code: problem.code,
            });
        }
        let grant: TokenGrant = response.json().await.map_err(|e| Error::Network {
            reason: protocol::network_reason(&e).into(),
        })?;
        let stored = [
            (KEY_DEVICE_ID, grant.device_id.clone()),
            (KEY_ACCESS_TOKEN, grant.access_token.clone()),
            (KEY_REFRESH_TOKEN, grant.refresh_token.clone()),
        ];
        let url = inner.config.platform_url.clone();
        inner
            .write(move |tx| {
                for (key, value) in &stored {
                    outbox::meta_set(tx, key, value)?;
                }
                outbox::meta_set(tx, KEY_PLATFORM_URL, &url)?;
                outbox::meta_delete(tx, KEY_REVOKED)
            })
            .await?;
        *inner.credentials.write().unwrap_or_else(|p| p.into_inner()) = Some(Credentials {
            device_id: grant.device_id.clone(),
            access_token: grant.access_token,
            refresh_token: grant.refresh_token,
        });
        tracing::info!(device_id = %grant.device_id, "device enrolled");
        Ok(grant.device_id)
    }

    /// The platform this data directory last enrolled with, for tools that reopen it later
    /// (`gridpatrol client sync`); apps keep their platform address in their own settings.
    pub fn enrolled_platform_url(client: &Client) -> Result<Option<String>> {
        client
            .store()
            .read(|conn| outbox::meta_get(conn, KEY_PLATFORM_URL))
    }

    pub fn is_enrolled(&self) -> bool {
        self.inner.credentials().is_some()
    }

    /// Works the outbox for at most `deadline`: as much as it can, then returns the counts.
    /// Offline (per [`set_network`](Self::set_network)) it sends nothing.
    pub async fn sync_now(&self, deadline: Duration) -> Result<SyncSummary> {
        Inner::sync_now(&self.inner, deadline).await
    }

    pub fn queue_health(&self) -> Result<QueueHealth> {
        queue_health(&self.inner.client)
    }

    /// Stops every background loop of this engine and aborts its runs in flight (they return
    /// [`Error::Closed`]); later runs return `Closed` at once. Also run when the last handle
    /// is dropped.
    pub fn shutdown(&self) {
        self.inner.closed.send_replace(true);
        let loops = std::mem::take(&mut *self.inner.loops.lock().unwrap_or_else(|p| p.into_inner()));
        for task in loops {
            task.abort();
        }
    }

    pub fn platform_url(&self) -> &str {
        &self.inner.config.platform_url
    }

    /// The device's clock minus the platform's (ms), as learned from the platform's answers;
    /// `None` before the first answer.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        self.inner.clock.offset_ms()
    }

    pub fn set_network(&self, state: NetworkState) {
        *self.inner.network.write().unwrap_or_else(|p| p.into_inner()) = state;
        if state.online {
            self.inner.wake.notify_one();
        }
    }

    pub fn set_policy(&self, policy: NetworkPolicy) {
        *self.inner.policy.write().unwrap_or_else(|p| p.into_inner()) = policy;
        self.inner.wake.notify_one();
    }

    pub fn set_listener(&self, listener: Option<Arc<dyn SyncListener>>) {
        *self.inner.listener.write().unwrap_or_else(|p| p.into_inner()) = listener;
    }

    /// Syncs now and then every `interval` (and whenever the network comes back), until the
    /// returned task is stopped or dropped, or the device is revoked.
    pub fn start(self: &Arc<Self>, interval: Duration) -> SyncTask {
        let inner = self.inner.clone();
        let interval = interval.max(Duration::from_millis(10));
        let handle = runtime().spawn(async move {
            loop {
                let online = inner.network().online;
                if online && inner.credentials().is_some() {
                    match Inner::sync_now(&inner, interval.max(Duration::from_secs(30))).await {
                        Ok(_) => {}
                        Err(Error::DeviceRevoked) => {
                            tracing::warn!("device revoked: background sync stopped");
                            return;
                        }
                        Err(Error::Closed) => return,
                        Err(error) => tracing::warn!(%error, "background sync run failed"),
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = inner.wake.notified() => {}
                }
            }
        });
        {
            let mut loops = self.inner.loops.lock().unwrap_or_else(|p| p.into_inner());
            loops.retain(|task| !task.is_finished());
            loops.push(handle.abort_handle());
        }
        if *self.inner.closed.borrow() {
            handle.abort();
        }
        SyncTask { handle }
    }

    /// Fetches the platform's current event list when it differs from the one in force and
    /// installs it after it verifies; `None` when unchanged.
    pub async fn pull_event_list(&self) -> Result<Option<EventListInfo>> {
        let inner = &self.inner;
        let current = inner.client.event_list_info().sha256;
        let url = inner.url("/v1/event-lists/current");
        let etag = format!("\"{current}\"");
        let response = inner
            .authed(|http| http.get(&url).header(reqwest::header::IF_NONE_MATCH, &etag))
            .await
            .map_err(failure_to_error)?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !response.status().is_success() {
            let problem = Problem::read(response).await;
            return Err(Error::Platform {
                status: problem.status,
                code: problem.code,
            });
        }
        let announced = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_string());
        let body = response.bytes().await.map_err(|e| Error::Network {
            reason: protocol::network_reason(&e).into(),
        })?;
        let list = crate::taxonomy::EventList::from_json(&body)?;
        if let Some(announced) = announced
            && announced != list.info().sha256
        {
            return Err(Error::InvalidArgument {
                field: "event_list",
                reason: "the package does not hash to the ETag the platform sent".into(),
            });
        }
        if list.info().sha256 == current {
            return Ok(None);
        }
        Ok(Some(inner.client.install_event_list(&body)?))
    }
}

impl Drop for SyncEngine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The outbox at a glance; needs no engine (nor enrollment): it is the store's.
pub fn queue_health(client: &Client) -> Result<QueueHealth> {
    let now = now_ms();
    client.store().read(|conn| {
        let (pending, delivered, _) = outbox::counts(conn)?;
        Ok(QueueHealth {
            pending: signed(pending),
            oldest_pending_age_ms: outbox::oldest_pending_submitted_at(conn)?.map(|t| (now - t).max(0)),
            parked: outbox::parked(conn)?,
            last_success_at_ms: outbox::meta_get(conn, KEY_LAST_SUCCESS)?.and_then(|v| v.parse().ok()),
            bytes_waiting: signed_bytes(outbox::bytes_waiting(conn)?),
            delivered: signed(delivered),
        })
    })
}

/// A count as the apps' records carry it (signed; saturating, never wrapping).
fn signed(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

fn signed_bytes(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

/// A platform address the engine can use: `http(s)://host[:port][/path]`, checked when it is
/// given rather than at the first request.
pub fn check_platform_url(url: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidArgument {
        field: "platform_url",
        reason: reason.into(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid("not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("must start with http:// or https://"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    Ok(())
}

/// A task aborted when its handle is dropped (a plain `JoinHandle` detaches it).
pub struct AbortOnDrop<T>(pub tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = std::result::Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

/// The background loop of [`SyncEngine::start`]; aborted by [`stop`](Self::stop) or on drop.
#[derive(Debug)]
pub struct SyncTask {
    handle: tokio::task::JoinHandle<()>,
}

impl SyncTask {
    pub fn stop(&self) {
        self.handle.abort();
    }

    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// The runtime tasks are spawned on: the caller's when there is one, else one of our own
/// (e.g. a host app calling `start` from its main thread). The bindings run everything on
/// this one, so an app has one gridpatrol runtime.
pub fn runtime() -> tokio::runtime::Handle {
    static OWN: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    tokio::runtime::Handle::try_current().unwrap_or_else(|_| {
        OWN.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("gridpatrol-sync")
                .enable_all()
                .build()
                .expect("a tokio runtime can be built")
        })
        .handle()
        .clone()
    })
}

fn failure_to_error(failure: Failure) -> Error {
    match failure {
        Failure::Stop(error) => error,
        Failure::Transient { reason, .. } => Error::Network { reason },
        Failure::Permanent { code, .. } => Error::Platform { status: 400, code },
        Failure::Deferred => Error::Network {
            reason: "deferred".into(),
        },
    }
}

/// The state of one `sync_now` run shared by its tasks.
struct Run {
    deadline: Instant,
    permits: Semaphore,
    retries: AtomicU32,
    bytes_sent: AtomicU64,
    delivered: AtomicU32,
    pending: AtomicU32,
    delivered_this_run: AtomicU32,
    parked_this_run: AtomicU32,
    rng: Mutex<u64>,
    /// Where confirmations go (written in batches by the `ledger` module).
    ledger: Ledger,
}

impl Run {
    /// Sleeps `delay` unless that passes the deadline (then returns false at once).
    async fn sleep(&self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        if until >= self.deadline {
            return false;
        }
        tokio::time::sleep_until(until).await;
        true
    }

    /// Full jitter: uniform in `0..=min(max, base·2^attempts)`.
    fn backoff(&self, config: &SyncConfig, attempts: u32) -> Duration {
        let cap = config
            .backoff_base_ms
            .saturating_mul(1u64 << attempts.min(20))
            .min(config.backoff_max_ms);
        let mut state = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Duration::from_millis(z % (cap + 1))
    }
}

/// A report's photo ids, each once (a report may list the same photo twice).
fn distinct_photos(report: &SubmittedReport) -> Vec<&str> {
    let mut seen = HashSet::new();
    report
        .photos
        .iter()
        .map(|p| p.sha256.as_str())
        .filter(|sha256| seen.insert(*sha256))
        .collect()
}

/// How a report left the outbox.
enum Settled {
    Delivered { case_number: String },
    Parked { code: String, reason: String },
}

/// At most this many reports, and about this many bytes, in one `POST /v1/reports` (the
/// reference platform takes 50 and 1 MiB).
const BATCH_REPORTS: usize = 50;
const BATCH_BYTES: usize = 900 * 1024;

/// The reports after the current one that may go in its batch: the next ones in the chain
/// with no photos to upload and no retry time to wait for, within the batch limits.
fn batch_followers(after: &[Arc<PendingRow>]) -> &[Arc<PendingRow>] {
    let now = now_ms();
    let mut bytes = 0;
    let mut n = 0;
    for row in after.iter().take(BATCH_REPORTS - 1) {
        bytes += row.body.len() + 1;
        if row.photos > 0 || row.next_attempt_at > now || bytes > BATCH_BYTES {
            break;
        }
        n += 1;
    }
    &after[..n]
}

/// The photo uploads of a chain's next reports, started ahead of their reports' turn; aborted
/// when dropped (the chain stopped).
struct PhotosAhead {
    /// Reports of the chain whose photos may upload at once, the current one included.
    window: usize,
    /// The index of the next report to consider.
    next: usize,
    running: VecDeque<(usize, tokio::task::JoinHandle<Result<(), Failure>>)>,
}

impl PhotosAhead {
    fn new(window: usize) -> Self {
        Self {
            window: window.max(1),
            next: 0,
            running: VecDeque::new(),
        }
    }

    /// Starts the photo uploads of reports `current..current + window` not started yet. A
    /// report waiting for a retry time is left to its turn (its wait may be a `Retry-After`),
    /// and nothing starts while photos must wait for an unmetered network.
    fn start_up_to(&mut self, inner: &Arc<Inner>, run: &Arc<Run>, chain: &[Arc<PendingRow>], current: usize) {
        self.next = self.next.max(current);
        if !inner.photos_allowed() {
            return;
        }
        let now = now_ms();
        let handle = runtime();
        while self.next < chain.len() && self.next < current + self.window {
            let row = &chain[self.next];
            if row.next_attempt_at <= now && row.photos > 0 {
                let task = Inner::upload_photos(inner.clone(), run.clone(), row.clone());
                self.running.push_back((self.next, handle.spawn(task)));
            }
            self.next += 1;
        }
    }

    /// How the early photo uploads of report `index` went; `None` when none ran (its
    /// delivery uploads them itself).
    async fn outcome(&mut self, index: usize) -> Option<Result<(), Failure>> {
        while self.running.front().is_some_and(|(i, _)| *i < index) {
            if let Some((_, task)) = self.running.pop_front() {
                task.abort();
            }
        }
        if self.running.front().is_none_or(|(i, _)| *i != index) {
            return None;
        }
        let (_, task) = self.running.pop_front()?;
        // Owned while awaited: a chain aborted now aborts this upload too.
        match AbortOnDrop(task).await {
            Ok(outcome) => Some(outcome),
            Err(join) => {
                tracing::error!(error = %join, "photo upload task failed");
                None
            }
        }
    }
}

impl Drop for PhotosAhead {
    fn drop(&mut self) {
        for (_, task) in &self.running {
            task.abort();
        }
    }
}

impl Inner {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.platform_url)
    }

    fn credentials(&self) -> Option<Credentials> {
        self.credentials.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn network(&self) -> NetworkState {
        *self.network.read().unwrap_or_else(|p| p.into_inner())
    }

    fn photos_allowed(&self) -> bool {
        let network = self.network();
        !network.metered
            || self
                .policy
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .photos_on_metered
    }

    fn emit(&self, run: &Run, report_id: Option<&str>, event: SyncEvent, sent: u64, total: u64) {
        let listener = self.listener.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(listener) = listener {
            let progress = SyncProgress {
                report_id: report_id.map(str::to_string),
                event,
                bytes_sent: signed_bytes(sent),
                bytes_total: signed_bytes(total),
                delivered: signed(run.delivered.load(Ordering::Relaxed)),
                pending: signed(run.pending.load(Ordering::Relaxed)),
            };
            let called = std::panic::catch_unwind(AssertUnwindSafe(|| listener.on_progress(progress)));
            if called.is_err() && !self.listener_failed.swap(true, Ordering::Relaxed) {
                tracing::error!("the sync listener panicked; sync goes on (later panics are not logged)");
            }
        }
    }

    /// A store write on the blocking pool (an fsynced commit must not hold an async worker);
    /// observers are told the outbox may have changed.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let client = self.client.clone();
        let value = tokio::task::spawn_blocking(move || client.store().write(f))
            .await
            .map_err(|join| Error::Internal {
                reason: format!("a store write failed: {join}"),
            })??;
        self.client.outbox_changed();
        Ok(value)
    }

    async fn sync_now(self: &Arc<Self>, deadline: Duration) -> Result<SyncSummary> {
        let mut closed = self.closed.subscribe();
        if *closed.borrow_and_update() {
            return Err(Error::Closed);
        }
        tokio::select! {
            biased;
            _ = closed.wait_for(|closed| *closed) => Err(Error::Closed),
            summary = self.run(deadline) => summary,
        }
    }

    async fn run(self: &Arc<Self>, deadline: Duration) -> Result<SyncSummary> {
        let deadline = Instant::now() + deadline;
        let Ok(_running) = tokio::time::timeout_at(deadline, self.client.outbox_lock().lock()).await else {
            return self.summary(0, 0, 0, 0);
        };
        if self.credentials().is_none() {
            return Err(Error::NotEnrolled);
        }
        if self
            .client
            .store()
            .read(|conn| outbox::meta_get(conn, KEY_REVOKED))?
            .is_some()
        {
            return Err(Error::DeviceRevoked);
        }
        if !self.network().online {
            return self.summary(0, 0, 0, 0);
        }
        let (rows, unreadable) = self.client.store().read(outbox::pending)?;
        for row in &unreadable {
            tracing::warn!(report_id = %String::from_utf8_lossy(&row.key), code = row.code, "report parked");
            outbox::unless_full(
                self.client
                    .store()
                    .write(|tx| outbox::park_unreadable(tx, row, now_ms())),
                "a parked report",
            )?;
        }
        let (_, delivered, _) = self.client.store().read(outbox::counts)?;
        let run = Arc::new(Run {
            deadline,
            permits: Semaphore::new(self.config.max_parallel_reports),
            retries: AtomicU32::new(0),
            bytes_sent: AtomicU64::new(0),
            delivered: AtomicU32::new(delivered),
            pending: AtomicU32::new(rows.len() as u32),
            delivered_this_run: AtomicU32::new(0),
            parked_this_run: AtomicU32::new(0),
            rng: Mutex::new(now_ms() as u64 ^ (Arc::as_ptr(self) as u64)),
            ledger: Ledger::start(self.client.clone(), &runtime()),
        });
        // A run with nothing to send says nothing: no Started/Finished every interval.
        let anything = !rows.is_empty();
        if anything {
            tracing::info!(pending = rows.len(), "sync run started");
            self.emit(&run, None, SyncEvent::Started, 0, 0);
        }

        // One chain per reporter, in submit order.
        let mut order: Vec<String> = Vec::new();
        let mut chains: HashMap<String, Vec<PendingRow>> = HashMap::new();
        for row in rows {
            if !chains.contains_key(&row.reporter_id) {
                order.push(row.reporter_id.clone());
            }
            chains.entry(row.reporter_id.clone()).or_default().push(row);
        }
        let handle = runtime();
        let mut tasks = tokio::task::JoinSet::new();
        for reporter in order {
            let chain = chains
                .remove(&reporter)
                .expect("every reporter in order has a chain");
            tasks.spawn_on(Inner::work_chain(self.clone(), run.clone(), chain), &handle);
        }
        let mut stop: Option<Error> = None;
        loop {
            let next = match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(next)) => next,
                Ok(None) => break,
                // Out of time: in-flight requests are abandoned (each is idempotent).
                Err(_) => break,
            };
            match next {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    stop.get_or_insert(error);
                    tasks.abort_all();
                }
                Err(join) if join.is_cancelled() => {}
                Err(join) => {
                    tracing::error!(error = %join, "sync task panicked");
                    stop.get_or_insert(Error::Internal {
                        reason: "a sync task panicked".into(),
                    });
                    tasks.abort_all();
                }
            }
        }
        drop(tasks);
        let recorded = run.ledger.flush().await;
        if let Some(error) = stop {
            if matches!(error, Error::DeviceRevoked) {
                tracing::warn!("the platform revoked this device; sync stopped, nothing deleted");
                self.write(|tx| outbox::meta_set(tx, KEY_REVOKED, "1")).await?;
            }
            return Err(error);
        }
        outbox::unless_full(recorded, "deliveries")?;
        outbox::unless_full(self.clock.persist(&self.client), "the clock offset")?;
        let summary = self.summary(
            run.delivered_this_run.load(Ordering::Relaxed),
            run.parked_this_run.load(Ordering::Relaxed),
            run.retries.load(Ordering::Relaxed),
            run.bytes_sent.load(Ordering::Relaxed),
        )?;
        if !anything {
            return Ok(summary);
        }
        self.emit(
            &run,
            None,
            SyncEvent::Finished,
            run.bytes_sent.load(Ordering::Relaxed),
            run.bytes_sent.load(Ordering::Relaxed),
        );
        tracing::info!(
            delivered = summary.delivered,
            pending = summary.pending,
            parked = summary.parked,
            retries = summary.retries,
            "sync run finished"
        );
        Ok(summary)
    }

    fn summary(
        &self,
        delivered_this_run: u32,
        parked_this_run: u32,
        retries: u32,
        bytes_sent: u64,
    ) -> Result<SyncSummary> {
        let (pending, delivered, parked) = self.client.store().read(outbox::counts)?;
        Ok(SyncSummary {
            delivered: signed(delivered),
            pending: signed(pending),
            parked: signed(parked),
            delivered_this_run: signed(delivered_this_run),
            parked_this_run: signed(parked_this_run),
            retries: signed(retries),
            bytes_sent: signed_bytes(bytes_sent),
        })
    }

    /// One reporter's reports, in order: a report's PUT waits until the one before it is
    /// delivered or parked, while the photos of the next few are already uploading (a photo
    /// commits nothing on its own). Returns early (leaving the rest pending) when out of time
    /// or when photos must wait; an error stops the whole run.
    async fn work_chain(self: Arc<Self>, run: Arc<Run>, chain: Vec<PendingRow>) -> Result<()> {
        let chain: Vec<Arc<PendingRow>> = chain.into_iter().map(Arc::new).collect();
        let mut ahead = PhotosAhead::new(self.config.max_parallel_reports);
        let mut index = 0;
        'reports: while index < chain.len() {
            let row = &chain[index];
            let mut attempts = row.attempts;
            let wait = row.next_attempt_at - now_ms();
            if wait > 0 && !run.sleep(Duration::from_millis(wait as u64)).await {
                return Ok(());
            }
            ahead.start_up_to(&self, &run, &chain, index);
            let mut photos_ahead = ahead.outcome(index).await;
            loop {
                let result = match photos_ahead.take() {
                    // Their failure is this report's: the same backoff, parking or stop.
                    Some(Err(failure)) => Err(failure),
                    _ => {
                        let _permit = run
                            .permits
                            .acquire()
                            .await
                            .expect("the semaphore is never closed");
                        let followers = batch_followers(&chain[index + 1..]);
                        self.deliver(&run, row, followers, attempts > 0).await
                    }
                };
                match result {
                    Ok(settled) => {
                        for (outcome, row) in settled.into_iter().zip(&chain[index..]) {
                            self.settle(&run, row, outcome).await?;
                            index += 1;
                        }
                        continue 'reports;
                    }
                    Err(Failure::Permanent { code, reason }) => {
                        self.settle(&run, row, Settled::Parked { code, reason }).await?;
                        index += 1;
                        continue 'reports;
                    }
                    Err(Failure::Deferred) => {
                        tracing::debug!(report_id = %row.id, "photos wait for an unmetered network");
                        return Ok(());
                    }
                    Err(Failure::Stop(error)) => return Err(error),
                    Err(Failure::Transient { reason, retry_after }) => {
                        attempts = attempts.saturating_add(1);
                        let mut delay = run.backoff(&self.config, attempts);
                        if let Some(at_least) = retry_after {
                            delay = delay.max(at_least);
                        }
                        let next = now_ms() + delay.as_millis() as i64;
                        let (id, code) = (row.id.clone(), reason.clone());
                        outbox::unless_full(
                            self.write(move |tx| outbox::record_failure(tx, &id, attempts, &code, next))
                                .await,
                            "a retry",
                        )?;
                        run.retries.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(report_id = %row.id, %reason, attempts, delay_ms = delay.as_millis() as u64, "retrying");
                        self.emit(&run, Some(&row.id), SyncEvent::Retrying, 0, 0);
                        if !run.sleep(delay).await {
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Records how one report ended: delivered (in the ledger) or parked (at once).
    async fn settle(&self, run: &Run, row: &PendingRow, outcome: Settled) -> Result<()> {
        match outcome {
            Settled::Delivered { case_number } => {
                run.ledger.delivered(&row.id, &case_number, now_ms());
                run.delivered.fetch_add(1, Ordering::Relaxed);
                run.delivered_this_run.fetch_add(1, Ordering::Relaxed);
                run.pending.fetch_sub(1, Ordering::Relaxed);
                tracing::debug!(report_id = %row.id, %case_number, "report delivered");
                self.emit(run, Some(&row.id), SyncEvent::ReportDelivered, 0, 0);
            }
            Settled::Parked { code, reason } => {
                let (id, stored_code) = (row.id.clone(), code.clone());
                outbox::unless_full(
                    self.write(move |tx| outbox::park(tx, &id, &stored_code, &reason, now_ms()))
                        .await,
                    "a parked report",
                )?;
                run.pending.fetch_sub(1, Ordering::Relaxed);
                run.parked_this_run.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(report_id = %row.id, %code, "report parked");
                self.emit(run, Some(&row.id), SyncEvent::ReportParked, 0, 0);
            }
        }
        Ok(())
    }

    /// Photos first, then the report, with `followers` (the reports after it, photo-less and
    /// due) in one batch when the platform takes batches. `Ok`: how the first reports ended,
    /// in chain order — at least this one; the rest wait for their turn. `retried`: this
    /// report failed before.
    async fn deliver(
        &self,
        run: &Run,
        row: &PendingRow,
        followers: &[Arc<PendingRow>],
        retried: bool,
    ) -> Result<Vec<Settled>, Failure> {
        let report: SubmittedReport = match serde_json::from_str(&row.body) {
            Ok(report) => report,
            Err(_) => {
                return Err(Failure::Permanent {
                    code: "local_report_unreadable".into(),
                    reason: "the stored report does not parse".into(),
                });
            }
        };
        for sha256 in distinct_photos(&report) {
            self.ensure_photo(run, &row.id, sha256, retried).await?;
        }
        if !followers.is_empty()
            && !self.batch_unsupported.load(Ordering::Relaxed)
            && let Some(outcome) = self.send_batch(run, row, followers).await
        {
            return outcome;
        }
        let url = self.url(&format!("/v1/reports/{}", row.id));
        let response = self
            .authed(|http| {
                self.with_clock_offset(http.put(&url))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(row.body.clone())
            })
            .await?;
        if response.status().is_success() {
            let receipt: Receipt = response.json().await.map_err(|e| network_failure(&e))?;
            return Ok(vec![Settled::Delivered {
                case_number: receipt.case_number,
            }]);
        }
        Err(self.refused(run, Problem::read(response).await))
    }

    /// `POST /v1/reports` with `first` and `followers`, which the platform commits in order.
    /// `None` when the platform does not take batches (or answered one unusably): the caller
    /// sends `first` alone, and later runs do not try batches again.
    async fn send_batch(
        &self,
        run: &Run,
        first: &PendingRow,
        followers: &[Arc<PendingRow>],
    ) -> Option<Result<Vec<Settled>, Failure>> {
        let rows: Vec<&PendingRow> = std::iter::once(first)
            .chain(followers.iter().map(|r| r.as_ref()))
            .collect();
        // The stored bodies are the reports' JSON already: no re-encoding.
        let mut body = String::from("{\"reports\":[");
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&row.body);
        }
        body.push_str("]}");
        let url = self.url("/v1/reports");
        let response = match self
            .authed(|http| {
                self.with_clock_offset(http.post(&url))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await
        {
            Ok(response) => response,
            Err(failure) => return Some(Err(failure)),
        };
        let status = response.status().as_u16();
        if matches!(status, 404 | 405 | 413) {
            return self.without_batches(status);
        }
        if !response.status().is_success() {
            return Some(Err(Problem::read(response).await.classify()));
        }
        let answer: BatchAnswer = match response.json().await {
            Ok(answer) => answer,
            Err(e) if e.is_decode() => return self.without_batches(status),
            Err(e) => return Some(Err(network_failure(&e))),
        };
        let mut settled = Vec::new();
        for (position, (result, row)) in answer.results.into_iter().zip(&rows).enumerate() {
            if result.index != position || result.report_id.as_deref().is_some_and(|id| id != row.id) {
                return self.without_batches(status);
            }
            let outcome = match result.receipt {
                Some(receipt) if (200..300).contains(&result.status) => Ok(Settled::Delivered {
                    case_number: receipt.case_number,
                }),
                None if (200..300).contains(&result.status) => return self.without_batches(status),
                _ => match self.refused(run, Problem::from_body(result.status, result.problem)) {
                    Failure::Permanent { code, reason } => Ok(Settled::Parked { code, reason }),
                    failure => Err(failure),
                },
            };
            match outcome {
                Ok(outcome) => settled.push(outcome),
                // The platform stopped here; what settled before stays settled.
                Err(failure) if settled.is_empty() => return Some(Err(failure)),
                Err(_) => break,
            }
        }
        if settled.is_empty() {
            return self.without_batches(status);
        }
        Some(Ok(settled))
    }

    fn without_batches(&self, status: u16) -> Option<Result<Vec<Settled>, Failure>> {
        tracing::info!(
            status,
            "the platform does not take report batches; sending reports one by one"
        );
        self.batch_unsupported.store(true, Ordering::Relaxed);
        None
    }

    /// The failure a refused report upload means; photos the platform says it lacks are
    /// forgotten, so the retry uploads them again.
    fn refused(&self, run: &Run, problem: Problem) -> Failure {
        if problem.code == "photos_incomplete" {
            let missing = problem
                .body
                .get("missing")
                .and_then(|m| m.as_array())
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str());
            for sha in missing {
                self.confirmed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(sha);
                run.ledger.photo_forgotten(sha);
            }
        }
        problem.classify()
    }

    /// A report upload carries the clock offset the device learned, when it knows one.
    fn with_clock_offset(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.clock.offset_ms() {
            Some(offset) => request.header(crate::capture::CLOCK_OFFSET_HEADER, offset.to_string()),
            None => request,
        }
    }

    fn is_confirmed(&self, sha256: &str) -> bool {
        self.confirmed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(sha256)
    }

    fn confirm(&self, run: &Run, sha256: &str, bytes: u64) {
        run.ledger.photo_complete(sha256, bytes, now_ms());
        self.confirmed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sha256.to_string());
    }

    /// The photos of one report, each under its own permit: what [`PhotosAhead`] runs.
    async fn upload_photos(self: Arc<Self>, run: Arc<Run>, row: Arc<PendingRow>) -> Result<(), Failure> {
        // An unreadable body is parked by `deliver`.
        let Ok(report) = serde_json::from_str::<SubmittedReport>(&row.body) else {
            return Ok(());
        };
        for sha256 in distinct_photos(&report) {
            if !self.is_confirmed(sha256) {
                let _permit = run
                    .permits
                    .acquire()
                    .await
                    .expect("the semaphore is never closed");
                self.ensure_photo(&run, &row.id, sha256, row.attempts > 0).await?;
            }
        }
        Ok(())
    }

    /// Makes the platform hold the whole photo: PATCH from the offset it holds.
    ///
    /// The offset comes from a HEAD when the report failed before (`retried`: a part may be
    /// there) or photos may not be sent now (a photo already there lets the report go). On a
    /// first try the first PATCH goes from 0 without asking: a new photo saves a round trip,
    /// and a platform that holds part of it (a run killed mid-upload, the same photo from
    /// another device) answers 409 with its offset, costing one chunk sent in vain.
    async fn ensure_photo(
        &self,
        run: &Run,
        report_id: &str,
        sha256: &str,
        retried: bool,
    ) -> Result<(), Failure> {
        if self.is_confirmed(sha256) {
            return Ok(());
        }
        let url = self.url(&format!("/v1/photos/{sha256}"));
        let ask_first = retried || !self.photos_allowed();
        let head = if ask_first {
            Some(self.authed(|http| http.head(&url)).await?)
        } else {
            None
        };
        let mut held_length = None;
        let mut offset = match head {
            None => 0,
            Some(head) => match head.status().as_u16() {
                200 => {
                    let offset = header_u64(&head, "upload-offset").unwrap_or(0);
                    let length = header_u64(&head, "upload-length");
                    if length == Some(offset) && offset > 0 {
                        self.confirm(run, sha256, offset);
                        return Ok(());
                    }
                    held_length = length;
                    offset
                }
                404 => 0,
                _ => return Err(Problem::read(head).await.classify()),
            },
        };
        if !self.photos_allowed() {
            return Err(Failure::Deferred);
        }
        let bytes = match self.client.photos().read(sha256) {
            Ok(bytes) if crate::media::sha256_hex(&bytes) == sha256 => bytes::Bytes::from(bytes),
            Ok(_) => {
                return Err(Failure::Permanent {
                    code: "local_photo_corrupt".into(),
                    reason: format!("photo {sha256} no longer matches its hash"),
                });
            }
            Err(_) => {
                return Err(Failure::Permanent {
                    code: "local_photo_missing".into(),
                    reason: format!("photo {sha256} is not on the device"),
                });
            }
        };
        let total = bytes.len() as u64;
        if held_length.is_some_and(|length| length != total) {
            // A stale partial of another length: never resumed (its offset may even pass the
            // end of these bytes), started over from 0.
            offset = 0;
        }
        let mut hash_mismatches = 0;
        let mut length_restarts = 0;
        loop {
            if offset >= total {
                // Only a complete, verified photo reports offset == length.
                self.confirm(run, sha256, total);
                return Ok(());
            }
            let end = (offset + self.config.photo_chunk_bytes as u64).min(total);
            let chunk = bytes.slice(offset as usize..end as usize);
            let response = self
                .authed(|http| {
                    http.patch(&url)
                        .header("Upload-Offset", offset)
                        .header("Upload-Length", total)
                        .header(reqwest::header::CONTENT_TYPE, "application/offset+octet-stream")
                        .body(chunk.clone())
                })
                .await?;
            if response.status().is_success() {
                run.bytes_sent.fetch_add(end - offset, Ordering::Relaxed);
                offset = header_u64(&response, "upload-offset").unwrap_or(end);
                self.emit(run, Some(report_id), SyncEvent::PhotoProgress, offset, total);
                continue;
            }
            let problem = Problem::read(response).await;
            match problem.code.as_str() {
                "upload_offset_mismatch" => {
                    offset = problem
                        .body
                        .get("upload_offset")
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0);
                }
                "photo_hash_mismatch" => {
                    hash_mismatches += 1;
                    if hash_mismatches >= 2 {
                        return Err(Failure::Permanent {
                            code: problem.code,
                            reason: format!("photo {sha256} repeatedly failed the platform's hash check"),
                        });
                    }
                    offset = 0;
                }
                // What the platform holds was started with another length (a stale partial):
                // a PATCH from 0 starts it over; again and again is retried later, never parked.
                "upload_length_mismatch" if length_restarts == 0 => {
                    length_restarts += 1;
                    offset = 0;
                }
                _ => return Err(problem.classify()),
            }
        }
    }

    /// Sends a request with the access token; on `token_expired` / `token_invalid` refreshes
    /// once and sends it again. Returns any answer but a 401; no answer is transient.
    async fn authed(
        &self,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Failure> {
        for _ in 0..3 {
            let token = self
                .credentials()
                .ok_or(Failure::Stop(Error::NotEnrolled))?
                .access_token;
            let response = make(&self.http)
                .bearer_auth(&token)
                .send()
                .await
                .map_err(|e| network_failure(&e))?;
            self.clock.learn(&response);
            if response.status() != reqwest::StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            let problem = Problem::read(response).await;
            match problem.code.as_str() {
                // A HEAD answer has no body to name the code: refreshing tells (a revoked
                // device's refresh answers `device_revoked`).
                "token_expired" | "token_invalid" | "" => self.refresh(&token).await?,
                _ => return Err(problem.classify()),
            }
        }
        Err(Failure::Transient {
            reason: "token_refresh_loop".into(),
            retry_after: None,
        })
    }

    /// `POST /v1/token` unless another task already replaced `stale`.
    async fn refresh(&self, stale: &str) -> Result<(), Failure> {
        let _one = self.refresh_lock.lock().await;
        let credentials = self.credentials().ok_or(Failure::Stop(Error::NotEnrolled))?;
        if credentials.access_token != stale {
            return Ok(());
        }
        let response = self
            .http
            .post(self.url("/v1/token"))
            .json(&serde_json::json!({
                "device_id": credentials.device_id,
                "refresh_token": credentials.refresh_token,
            }))
            .send()
            .await
            .map_err(|e| network_failure(&e))?;
        if !response.status().is_success() {
            return Err(Problem::read(response).await.classify());
        }
        let grant: TokenGrant = response.json().await.map_err(|e| network_failure(&e))?;
        let token = grant.access_token.clone();
        self.write(move |tx| outbox::meta_set(tx, KEY_ACCESS_TOKEN, &token))
            .await?;
        self.credentials
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .expect("credentials were present above")
            .access_token = grant.access_token;
        tracing::info!(device_id = %credentials.device_id, "access token refreshed");
        Ok(())
    }
}

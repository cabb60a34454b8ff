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
//! return quickly. Once `shutdown` returned it is not called again: its calls go through a
//! [`CallGate`] that `shutdown` closes, waiting for a call in flight on another worker. A
//! listener that panics is contained: the panic is logged once, the run
//! and the background loop go on. The store's writes (retry times, parks, credentials,
//! the ledger's batches) run on the blocking pool, never on the async workers.
//!
//! Logs carry report ids, photo hashes, codes and counts, never report text or photo bytes.
//!
//! It does not own capture (the rows are made by `capture`) nor decide what the platform
//! accepts (the platform validates with the same core function the device ran).
//!
//! # Where the code is
//!
//! This file holds `SyncEngine`, its shared state and the outbox at a glance; the public records
//! are in `types`. A run and the background loop: `run` (the one place a run decides what it
//! sends, and the backoff); report `PUT` and batch `POST`: `reports`; resumable photos: `photos`;
//! enrollment, tokens and revocation: `credentials`; classifying answers: `protocol`; package
//! downloads (the event list): `packages`; confirmations: `ledger`; the clock offset: `clock`;
//! the outbox's SQL: `outbox`.

mod clock;
mod credentials;
mod ledger;
pub(crate) mod outbox;
mod packages;
mod photos;
mod protocol;
mod reports;
mod run;
pub mod tls;
pub(crate) mod track_queue;
mod tracks;
mod types;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use tokio::sync::Notify;

use crate::call_gate::CallGate;
use crate::client::now_ms;
use crate::taxonomy::EventListInfo;
use crate::{Client, Error, Result};

use credentials::{Credentials, KEY_LAST_SUCCESS};
pub use tls::TlsTrust;
pub use types::{
    NetworkPolicy, NetworkState, ParkedReport, QueueHealth, SyncConfig, SyncEvent, SyncListener,
    SyncProgress, SyncSummary,
};

/// Installs rustls' `ring` crypto provider as the process default, once; an app (or test) that
/// installed its own keeps it. reqwest is built without a provider of its own (see Cargo.toml).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Drains the outbox of one [`Client`] to one platform. `Send + Sync`; share it as `Arc`.
pub struct SyncEngine {
    inner: Arc<Inner>,
}

struct Inner {
    client: Arc<Client>,
    config: SyncConfig,
    /// The trust in force: the config's, else the one stored with the address (see `tls`).
    tls: TlsTrust,
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
    /// Shut by `shutdown`: no listener call after it returns.
    listener_gate: CallGate,
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
        if let Some(trust) = &config.tls {
            trust.check()?;
        }
        install_tls_provider();
        let (credentials, confirmed, clock, stored_trust) = client.store().read(|conn| {
            Ok((
                Credentials::load(conn)?,
                outbox::confirmed_photos(conn)?,
                clock::DeviceClock::load(conn)?,
                credentials::stored_trust(conn, &config.platform_url)?,
            ))
        })?;
        let tls = match (&config.tls, stored_trust) {
            (Some(given), Some(stored)) if *given != stored => {
                // A new pin set (a key rotation) for the enrolled address: it is the one kept.
                client.store().write(|tx| credentials::store_trust(tx, given))?;
                given.clone()
            }
            (Some(given), _) => given.clone(),
            (None, stored) => stored.unwrap_or_default(),
        };
        let mut http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.request_timeout_ms.max(1)))
            .connect_timeout(Duration::from_millis(config.request_timeout_ms.clamp(1, 10_000)))
            .user_agent(concat!("gridpatrol/", env!("CARGO_PKG_VERSION")));
        if let Some(tls_config) = tls.client_config()? {
            http = http.tls_backend_preconfigured(tls_config);
        }
        let http = http.build().map_err(|e| Error::Network {
            reason: format!("http client: {e}"),
        })?;
        Ok(Arc::new(SyncEngine {
            inner: Arc::new(Inner {
                client,
                config,
                tls,
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
                listener_gate: CallGate::default(),
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
        self.inner.enroll(enrollment_code, device_name).await
    }

    /// The platform this data directory last enrolled with, for tools that reopen it later
    /// (`gridpatrol client sync`); apps keep their platform address in their own settings.
    pub fn enrolled_platform_url(client: &Client) -> Result<Option<String>> {
        credentials::enrolled_platform_url(client)
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
    /// [`Error::Closed`]); later runs return `Closed` at once. When it returns the listener is
    /// not called again: a call running on another thread is waited for (see `call_gate`).
    /// Also run when the last handle is dropped.
    pub fn shutdown(&self) {
        self.inner.closed.send_replace(true);
        let loops = std::mem::take(&mut *self.inner.loops.lock().unwrap_or_else(|p| p.into_inner()));
        for task in loops {
            task.abort();
        }
        self.inner.listener_gate.close();
    }

    pub fn platform_url(&self) -> &str {
        &self.inner.config.platform_url
    }

    /// How this engine trusts the platform's certificate (see [`SyncConfig::tls`]).
    pub fn tls_trust(&self) -> &TlsTrust {
        &self.inner.tls
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
        let handle = runtime().spawn(run::background_loop(inner, interval));
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
    /// installs it after it verifies; `None` when unchanged (see `packages`).
    pub async fn pull_event_list(&self) -> Result<Option<EventListInfo>> {
        self.inner.pull_event_list().await
    }

    /// Fetches the platform's component package when it differs from the one installed and
    /// installs it after it verifies; `None` when unchanged (see `packages`).
    pub async fn pull_component_package(&self) -> Result<Option<crate::client::ComponentPackageInfo>> {
        self.inner.pull_component_package().await
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

impl Inner {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.platform_url)
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
}

//! Observers: sync progress, queue health and submits, for the app to turn into a Kotlin
//! `Flow` / Swift `AsyncSequence`.
//!
//! Owns the subscriptions: any number at once, each a [`Subscription`] whose `close()` /
//! `cancel()` (or garbage collection) unsubscribes; closing the `GridPatrol` ends them all.
//! Emission and threads, as documented in docs/ARCHITECTURE.md:
//! - sync progress: during runs that have something to send, on a runtime worker thread, from
//!   inside the run — return quickly;
//! - queue health: once at subscription, then after each outbox change whose health differs
//!   (submit, delivery, park, retry), on a blocking-pool thread, one call at a time;
//! - submits: each report id as it enters the outbox, on a blocking-pool thread, in order.
//!
//! After `close()` returns no observer is called again: a call in flight on another thread is
//! waited for, and none starts later (the core's [`CallGate`]).
//!
//! An observer that throws is contained: the failure is logged once per subscription (without
//! its message, which the app wrote) and the observer keeps being called; sync goes on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use gridpatrol_core::Client;
use gridpatrol_core::call_gate::CallGate;
use gridpatrol_core::sync::{self as core_sync, QueueHealth, SyncListener, SyncProgress, runtime};

use crate::GridPatrol;
use crate::run::blocking;

/// What an observer's failure becomes on the Rust side (any exception it throws).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ObserverError {
    #[error("the observer failed")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ObserverError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed { reason: error.reason }
    }
}

/// Sync progress, during runs with something to send.
#[uniffi::export(with_foreign)]
pub trait SyncObserver: Send + Sync {
    fn on_progress(&self, progress: SyncProgress) -> Result<(), ObserverError>;
}

/// The outbox's health, when it changed.
#[uniffi::export(with_foreign)]
pub trait QueueHealthObserver: Send + Sync {
    fn on_queue_health(&self, health: QueueHealth) -> Result<(), ObserverError>;
}

/// Each report as it enters the outbox.
#[uniffi::export(with_foreign)]
pub trait SubmitObserver: Send + Sync {
    fn on_submitted(&self, report_id: String) -> Result<(), ObserverError>;
}

/// One observer's registration; closing (or dropping) it unsubscribes.
#[derive(uniffi::Object)]
pub struct Subscription {
    cancel: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Subscription {
    fn new(cancel: impl FnOnce() + Send + 'static) -> Arc<Self> {
        Arc::new(Subscription {
            cancel: Mutex::new(Some(Box::new(cancel))),
        })
    }

    fn cancel_now(&self) {
        let cancel = self.cancel.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(cancel) = cancel {
            cancel();
        }
    }
}

#[uniffi::export]
impl Subscription {
    /// Unsubscribes now (closing the handle does the same).
    pub fn cancel(&self) {
        self.cancel_now();
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel_now();
    }
}

/// Logs an observer's first failure only.
#[derive(Default)]
struct FailedOnce(AtomicBool);

impl FailedOnce {
    fn check(&self, what: &str, result: Result<(), ObserverError>) {
        if result.is_err() && !self.0.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                observer = what,
                "an observer threw; it stays subscribed (later failures are not logged)"
            );
        }
    }
}

struct SyncEntry {
    id: u64,
    observer: Arc<dyn SyncObserver>,
    failed: FailedOnce,
}

/// The engine's one listener, fanning progress out to every sync observer.
#[derive(Default)]
pub(crate) struct Fanout {
    next: AtomicU64,
    entries: RwLock<Vec<Arc<SyncEntry>>>,
    gate: Arc<CallGate>,
}

impl SyncListener for Fanout {
    fn on_progress(&self, progress: SyncProgress) {
        // A copy, so an observer that unsubscribes from its callback does not deadlock.
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner()).clone();
        for entry in entries {
            self.gate.call(|| {
                entry
                    .failed
                    .check("sync", entry.observer.on_progress(progress.clone()))
            });
        }
    }
}

/// A `GridPatrol`'s observers.
#[derive(Default)]
pub(crate) struct Observers {
    fanout: Arc<Fanout>,
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Observers {
    pub(crate) fn sync_listener(&self) -> Arc<dyn SyncListener> {
        self.fanout.clone()
    }

    /// Ends every observer task (the instance is closing: they hold its client) and returns
    /// once no observer call is running or can start.
    pub(crate) fn cancel_all(&self) {
        self.fanout.gate.close();
        for task in std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner())) {
            task.abort();
        }
        self.fanout
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn gate(&self) -> Arc<CallGate> {
        self.fanout.gate.clone()
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Arc<Subscription> {
        let handle = runtime().spawn(task).abort_handle();
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle.clone());
        Subscription::new(move || handle.abort())
    }
}

/// Health as observers compare it: the age of the oldest report grows by itself and is not
/// a change.
fn comparable(health: &QueueHealth) -> QueueHealth {
    QueueHealth {
        oldest_pending_age_ms: health.oldest_pending_age_ms.map(|_| 0),
        ..health.clone()
    }
}

async fn watch_queue_health(
    client: Arc<Client>,
    observer: Arc<dyn QueueHealthObserver>,
    gate: Arc<CallGate>,
) {
    let mut changes = client.changes();
    let failed = Arc::new(FailedOnce::default());
    let mut last: Option<QueueHealth> = None;
    loop {
        changes.borrow_and_update();
        let reader = client.clone();
        match blocking(move || Ok(core_sync::queue_health(&reader)?)).await {
            Ok(health) if last.as_ref() != Some(&comparable(&health)) => {
                last = Some(comparable(&health));
                let (observer, failed, gate) = (observer.clone(), failed.clone(), gate.clone());
                let _ = runtime()
                    .spawn_blocking(move || {
                        gate.call(|| failed.check("queue_health", observer.on_queue_health(health)))
                    })
                    .await;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "queue health for an observer failed"),
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

async fn watch_submits(client: Arc<Client>, observer: Arc<dyn SubmitObserver>, gate: Arc<CallGate>) {
    let mut submitted = client.submitted();
    drop(client);
    let failed = Arc::new(FailedOnce::default());
    loop {
        let report_id = match submitted.recv().await {
            Ok(report_id) => report_id,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "a submit observer fell behind");
                continue;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let (observer, failed, gate) = (observer.clone(), failed.clone(), gate.clone());
        let _ = runtime()
            .spawn_blocking(move || gate.call(|| failed.check("submit", observer.on_submitted(report_id))))
            .await;
    }
}

#[uniffi::export]
impl GridPatrol {
    /// Sync progress events of every run (background or `sync_now`) with something to send.
    pub fn observe_sync(&self, observer: Arc<dyn SyncObserver>) -> Arc<Subscription> {
        let fanout = &self.observers.fanout;
        let id = fanout.next.fetch_add(1, Ordering::Relaxed);
        fanout
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::new(SyncEntry {
                id,
                observer,
                failed: FailedOnce::default(),
            }));
        let weak: Weak<Fanout> = Arc::downgrade(fanout);
        Subscription::new(move || {
            if let Some(fanout) = weak.upgrade() {
                fanout
                    .entries
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .retain(|e| e.id != id);
            }
        })
    }

    /// The queue health now, then each time it changes.
    pub fn observe_queue_health(&self, observer: Arc<dyn QueueHealthObserver>) -> Arc<Subscription> {
        self.observers
            .spawn(watch_queue_health(self.client(), observer, self.observers.gate()))
    }

    /// The id of each report submitted from now on.
    pub fn observe_submits(&self, observer: Arc<dyn SubmitObserver>) -> Arc<Subscription> {
        self.observers
            .spawn(watch_submits(self.client(), observer, self.observers.gate()))
    }
}

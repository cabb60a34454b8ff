//! The sync exports: one engine per data directory, made from what the directory holds.
//!
//! Owns the engine slot of a [`GridPatrol`]: at open, a directory enrolled before gets its
//! engine back from the stored platform address and credentials (no `configure_sync` needed
//! after a relaunch); `configure_sync` with the same address keeps the engine, with another
//! one replaces it — the old one is shut down first, so two engines never work one outbox (the
//! core's outbox lock also keeps runs one at a time). The network state, the photo policy and
//! the observers' fan-out outlive a replacement. The protocol is the core's.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gridpatrol_core::Client;
use gridpatrol_core::client::ComponentPackageInfo;
use gridpatrol_core::sync::{
    self as core_sync, NetworkPolicy, NetworkState, QueueHealth, SyncConfig, SyncEngine, SyncListener,
    SyncSummary, SyncTask, TlsTrust,
};
use gridpatrol_core::taxonomy::EventListInfo;

use crate::run::{blocking, on_runtime};
use crate::{GridPatrol, GridPatrolError, Result};

/// The background sync loop of `start_background_sync`: `stop()` or closing it ends the loop;
/// so does closing the `GridPatrol`.
#[derive(uniffi::Object)]
pub struct SyncTaskHandle(SyncTask);

#[uniffi::export]
impl SyncTaskHandle {
    pub fn stop(&self) {
        self.0.stop()
    }

    pub fn is_running(&self) -> bool {
        !self.0.is_finished()
    }
}

struct Settings {
    engine: Option<Arc<SyncEngine>>,
    network: NetworkState,
    policy: NetworkPolicy,
}

pub(crate) struct SyncSlot {
    settings: Mutex<Settings>,
    listener: Arc<dyn SyncListener>,
}

impl SyncSlot {
    /// The slot of a directory just opened: with its engine when the directory is enrolled.
    pub(crate) fn from_directory(client: &Arc<Client>, listener: Arc<dyn SyncListener>) -> Result<Self> {
        let slot = SyncSlot {
            settings: Mutex::new(Settings {
                engine: None,
                network: NetworkState {
                    online: true,
                    metered: false,
                },
                policy: NetworkPolicy {
                    photos_on_metered: true,
                },
            }),
            listener,
        };
        if let Some(url) = SyncEngine::enrolled_platform_url(client)? {
            slot.replace(client, &url, None)?;
        }
        Ok(slot)
    }

    fn settings(&self) -> MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn engine(&self) -> Result<Arc<SyncEngine>> {
        self.settings().engine.clone().ok_or(GridPatrolError::NotEnrolled)
    }

    /// Points the slot at `url`; keeps the engine when it already works with that platform
    /// (and that trust, when one is given).
    fn replace(&self, client: &Arc<Client>, url: &str, tls: Option<TlsTrust>) -> Result<()> {
        let mut config = SyncConfig::new(url);
        config.tls = tls;
        let mut settings = self.settings();
        if settings.engine.as_ref().is_some_and(|e| {
            e.platform_url() == config.platform_url && config.tls.as_ref().is_none_or(|t| t == e.tls_trust())
        }) {
            return Ok(());
        }
        if let Some(old) = settings.engine.take() {
            old.shutdown();
        }
        let engine = SyncEngine::new(client.clone(), config)?;
        engine.set_listener(Some(self.listener.clone()));
        engine.set_network(settings.network);
        engine.set_policy(settings.policy);
        settings.engine = Some(engine);
        Ok(())
    }

    pub(crate) fn shutdown(&self) {
        if let Some(engine) = self.settings().engine.take() {
            engine.shutdown();
        }
    }
}

/// Sync: the outbox drains to the command platform by itself (see `gridpatrol_core::sync`).
#[uniffi::export]
impl GridPatrol {
    /// Points sync at a platform (e.g. `https://platform.example.cn`); a malformed address is
    /// `InvalidArgument` at once. The same address again changes nothing; another one replaces
    /// the engine (its background loops stop: start them again) and needs `enroll`.
    ///
    /// `tls`: pins and/or a private CA for this address (`InvalidArgument` when malformed),
    /// stored with it; left out, the trust stored with the address stays in force (an app
    /// never drops its pins by omission). A platform whose certificate matches no pin is
    /// `TlsPinMismatch`.
    #[uniffi::method(default(tls = None))]
    pub async fn configure_sync(&self, platform_url: String, tls: Option<TlsTrust>) -> Result<()> {
        core_sync::check_platform_url(&platform_url)?;
        if let Some(trust) = &tls {
            trust.check()?;
        }
        let client = self.client();
        let this = self.sync.clone();
        blocking(move || this.replace(&client, &platform_url, tls)).await
    }

    /// Enrolls this device with the platform's enrollment code; returns the device id.
    pub async fn enroll(&self, enrollment_code: String, device_name: String) -> Result<String> {
        let engine = self.sync.engine()?;
        on_runtime(async move { Ok(engine.enroll(&enrollment_code, &device_name).await?) }).await
    }

    /// Whether this data directory is enrolled (read from the directory).
    pub fn is_enrolled(&self) -> bool {
        self.sync.engine().is_ok_and(|e| e.is_enrolled())
    }

    /// Sends what it can within `deadline` (a WorkManager / BGTaskScheduler job). Cancelling
    /// the call aborts every upload it started.
    pub async fn sync_now(&self, deadline: Duration) -> Result<SyncSummary> {
        let engine = self.sync.engine()?;
        on_runtime(async move { Ok(engine.sync_now(deadline).await?) }).await
    }

    /// The outbox at a glance; works enrolled or not.
    pub fn queue_health(&self) -> Result<QueueHealth> {
        Ok(core_sync::queue_health(&self.inner)?)
    }

    /// The host's connectivity callback: online, and whether the network is metered.
    pub fn set_network(&self, online: bool, metered: bool) {
        let state = NetworkState { online, metered };
        let mut settings = self.sync.settings();
        settings.network = state;
        if let Some(engine) = &settings.engine {
            engine.set_network(state);
        }
    }

    /// With `photos_on_metered` false, photo bytes wait for an unmetered network.
    pub fn set_network_policy(&self, photos_on_metered: bool) {
        let policy = NetworkPolicy { photos_on_metered };
        let mut settings = self.sync.settings();
        settings.policy = policy;
        if let Some(engine) = &settings.engine {
            engine.set_policy(policy);
        }
    }

    /// Syncs every `interval` and when the network comes back, until the handle is stopped or
    /// closed, or this instance is closed. Hold the handle: once it is dropped (a Kotlin or
    /// Swift object collected) the loop ends, as a subscription does.
    pub fn start_background_sync(&self, interval: Duration) -> Result<Arc<SyncTaskHandle>> {
        Ok(Arc::new(SyncTaskHandle(self.sync.engine()?.start(interval))))
    }

    /// Installs the platform's current event list when it changed and verifies; null when not.
    pub async fn pull_event_list(&self) -> Result<Option<EventListInfo>> {
        let engine = self.sync.engine()?;
        on_runtime(async move { Ok(engine.pull_event_list().await?) }).await
    }

    /// Installs the platform's current component package when it changed and verifies; null
    /// when not.
    pub async fn pull_component_package(&self) -> Result<Option<ComponentPackageInfo>> {
        let engine = self.sync.engine()?;
        on_runtime(async move { Ok(engine.pull_component_package().await?) }).await
    }
}

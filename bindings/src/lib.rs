//! gridpatrol-ffi: the uniffi surface of gridpatrol-core for Kotlin and Swift.
//!
//! Owns only the exported names: each method is one call into the core, errors cross through
//! [`GridPatrolError`]. No logic lives here (see docs/ARCHITECTURE.md): if a method needs more
//! than a call and a conversion, the missing piece belongs in the core.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use gridpatrol_core::capture::{
    CapturePolicy, Draft, DraftPhoto, OutboxEntry, PhotoKind, Reporter, SubmitOutcome, SubmittedReport,
    ValidationReport, WarningResponse,
};
use gridpatrol_core::client::{Client, GridRef, PhotoRetention};
use gridpatrol_core::location::LocationFix;
use gridpatrol_core::media::PhotoPruneSummary;
use gridpatrol_core::sync::{
    NetworkPolicy, NetworkState, QueueHealth, SyncConfig, SyncEngine, SyncListener, SyncSummary, SyncTask,
};
use gridpatrol_core::taxonomy::{Category, EventListInfo, Problem, Role, SearchHit, Subtype};

mod error;

pub use error::GridPatrolError;

uniffi::setup_scaffolding!();

type Result<T> = std::result::Result<T, GridPatrolError>;

/// The library version (semver), for the host app's about screen and bug reports.
#[uniffi::export]
pub fn library_version() -> String {
    gridpatrol_core::VERSION.to_string()
}

/// One gridpatrol data directory, opened once by the host app and shared by its screens.
#[derive(uniffi::Object)]
pub struct GridPatrol {
    inner: Arc<Client>,
    sync: RwLock<Option<Arc<SyncEngine>>>,
}

impl GridPatrol {
    /// The engine of `configure_sync`; `NotEnrolled` before it.
    fn engine(&self) -> Result<Arc<SyncEngine>> {
        self.sync
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(GridPatrolError::NotEnrolled)
    }
}

/// The background sync loop of `start_background_sync`: `stop()` or dropping it ends the loop.
#[derive(uniffi::Object)]
pub struct SyncTaskHandle(SyncTask);

#[uniffi::export]
impl SyncTaskHandle {
    pub fn stop(&self) {
        self.0.stop()
    }
}

#[uniffi::export]
impl GridPatrol {
    /// Opens the data directory (created on first use), e.g. the app's `filesDir/gridpatrol`.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            inner: Arc::new(Client::open(data_dir)?),
            sync: RwLock::new(None),
        }))
    }

    pub fn version(&self) -> String {
        library_version()
    }

    pub fn data_dir(&self) -> String {
        self.inner.data_dir().display().to_string()
    }

    /// Version, hash and counts of the event list in force.
    pub fn event_list_info(&self) -> EventListInfo {
        self.inner.event_list_info()
    }

    pub fn categories(&self) -> Vec<Category> {
        self.inner.categories()
    }

    /// A subtype with its rules; `NotFound` for an unknown code.
    pub fn subtype(&self, code: String) -> Result<Subtype> {
        Ok(self.inner.subtype(&code)?)
    }

    pub fn problems(&self, subtype_code: String) -> Result<Vec<Problem>> {
        Ok(self.inner.problems_of(&subtype_code)?)
    }

    /// Ranked subtypes for the capture screen's search box: Chinese, pinyin (`jinggai`, `jg`),
    /// English or synonyms; only what `role` may file when a role is given. At most 100 hits.
    pub fn search_event_list(&self, query: String, role: Option<Role>, limit: u32) -> Vec<SearchHit> {
        self.inner.search_event_list(&query, role, limit)
    }

    /// Verifies and installs an event-list package; on any problem nothing changes and
    /// `EventListRejected` lists every problem with its code.
    pub fn install_event_list(&self, package_json: Vec<u8>) -> Result<EventListInfo> {
        Ok(self.inner.install_event_list(&package_json)?)
    }

    /// Returns to the event list bundled with the library.
    pub fn reset_event_list(&self) -> Result<EventListInfo> {
        Ok(self.inner.reset_event_list()?)
    }

    // --- grids -----------------------------------------------------------------------------

    /// Installs the city's grid package (GeoJSON: id, level 1–3, parent_id, name per polygon).
    /// Returns the grid counts at levels 1, 2 and 3.
    pub fn install_grid_package(&self, geojson: String) -> Result<Vec<u32>> {
        Ok(self.inner.install_grid_package(&geojson)?.to_vec())
    }

    /// The grids (level 1 → 3) a WGS-84 position lies in; empty outside every grid.
    pub fn locate(&self, lat: f64, lon: f64) -> Vec<GridRef> {
        self.inner.locate(lat, lon)
    }

    // --- capture ---------------------------------------------------------------------------

    pub fn capture_policy(&self) -> CapturePolicy {
        self.inner.capture_policy()
    }

    pub fn set_capture_policy(&self, policy: CapturePolicy) {
        self.inner.set_capture_policy(policy)
    }

    /// Starts a report; `captured_at_ms` is when capture began (Unix ms), now when null.
    pub fn create_draft(&self, reporter: Reporter, captured_at_ms: Option<i64>) -> Result<Draft> {
        Ok(self.inner.create_draft(reporter, captured_at_ms)?)
    }

    pub fn draft(&self, draft_id: String) -> Result<Draft> {
        Ok(self.inner.draft(&draft_id)?)
    }

    pub fn drafts(&self) -> Result<Vec<Draft>> {
        Ok(self.inner.drafts()?)
    }

    pub fn set_event(
        &self,
        draft_id: String,
        subtype: Option<String>,
        problem: Option<String>,
    ) -> Result<Draft> {
        Ok(self.inner.set_event(&draft_id, subtype, problem)?)
    }

    /// Sets the fix as the OS reported it; GCJ-02 input is converted, WGS-84 is stored.
    pub fn set_location(&self, draft_id: String, fix: LocationFix) -> Result<Draft> {
        Ok(self.inner.set_location(&draft_id, fix)?)
    }

    pub fn clear_location(&self, draft_id: String) -> Result<Draft> {
        Ok(self.inner.clear_location(&draft_id)?)
    }

    /// Adds a JPEG or PNG (the app converts HEIC first): resized, stripped of metadata, hashed
    /// and stored in the data directory.
    pub fn add_photo(&self, draft_id: String, image: Vec<u8>, kind: PhotoKind) -> Result<DraftPhoto> {
        Ok(self.inner.add_photo(&draft_id, &image, kind)?)
    }

    pub fn remove_photo(&self, draft_id: String, sha256: String) -> Result<Draft> {
        Ok(self.inner.remove_photo(&draft_id, &sha256)?)
    }

    /// The stored photo's path, for the app to display it.
    pub fn photo_path(&self, sha256: String) -> Result<String> {
        Ok(self.inner.photo_path(&sha256)?)
    }

    /// Frees disk: unreferenced photo files, and full-size photos of reports delivered more
    /// than `retention.delivered_photo_days` ago (thumbnails stay).
    pub fn prune_photos(&self, retention: PhotoRetention) -> Result<PhotoPruneSummary> {
        Ok(self.inner.prune_photos(retention)?)
    }

    pub fn set_attribute(&self, draft_id: String, code: String, value: String) -> Result<Draft> {
        Ok(self.inner.set_attribute(&draft_id, &code, &value)?)
    }

    pub fn remove_attribute(&self, draft_id: String, code: String) -> Result<Draft> {
        Ok(self.inner.remove_attribute(&draft_id, &code)?)
    }

    pub fn set_description(&self, draft_id: String, text: String) -> Result<Draft> {
        Ok(self.inner.set_description(&draft_id, &text)?)
    }

    pub fn set_component(&self, draft_id: String, component_id: Option<String>) -> Result<Draft> {
        Ok(self.inner.set_component(&draft_id, component_id)?)
    }

    pub fn set_disposed_on_spot(&self, draft_id: String, disposed: bool) -> Result<Draft> {
        Ok(self.inner.set_disposed_on_spot(&draft_id, disposed)?)
    }

    pub fn discard_draft(&self, draft_id: String) -> Result<()> {
        Ok(self.inner.discard_draft(&draft_id)?)
    }

    /// Errors (block submit) and warnings (need acknowledgement), each with a stable code,
    /// the field, and messages in Chinese and English.
    pub fn validate_draft(&self, draft_id: String) -> Result<ValidationReport> {
        Ok(self.inner.validate_draft(&draft_id)?)
    }

    /// Moves a valid draft into the outbox durably; `Rejected` carries the findings when not.
    pub fn submit(&self, draft_id: String, response: WarningResponse) -> Result<SubmitOutcome> {
        Ok(self.inner.submit(&draft_id, response)?)
    }

    pub fn report(&self, report_id: String) -> Result<SubmittedReport> {
        Ok(self.inner.report(&report_id)?)
    }

    /// The outbox, oldest first.
    pub fn queue(&self) -> Result<Vec<OutboxEntry>> {
        Ok(self.inner.queue()?)
    }
}

/// Sync: the outbox drains to the command platform by itself (see `gridpatrol_core::sync`).
#[uniffi::export(async_runtime = "tokio")]
impl GridPatrol {
    /// Points sync at a platform (e.g. `https://platform.example.cn`), with default settings.
    pub fn configure_sync(&self, platform_url: String) -> Result<()> {
        let engine = SyncEngine::new(self.inner.clone(), SyncConfig::new(platform_url))?;
        *self.sync.write().unwrap_or_else(|p| p.into_inner()) = Some(engine);
        Ok(())
    }

    /// Enrolls this device with the platform's enrollment code; returns the device id.
    pub async fn enroll(&self, enrollment_code: String, device_name: String) -> Result<String> {
        Ok(self.engine()?.enroll(&enrollment_code, &device_name).await?)
    }

    pub fn is_enrolled(&self) -> bool {
        self.engine().is_ok_and(|e| e.is_enrolled())
    }

    /// Sends what it can within `deadline_ms` (a WorkManager / BGTaskScheduler job).
    pub async fn sync_now(&self, deadline_ms: u64) -> Result<SyncSummary> {
        Ok(self
            .engine()?
            .sync_now(Duration::from_millis(deadline_ms))
            .await?)
    }

    pub fn queue_health(&self) -> Result<QueueHealth> {
        Ok(self.engine()?.queue_health()?)
    }

    /// The host's connectivity callback: online, and whether the network is metered.
    pub fn set_network(&self, online: bool, metered: bool) -> Result<()> {
        self.engine()?.set_network(NetworkState { online, metered });
        Ok(())
    }

    /// With `photos_on_metered` false, photo bytes wait for an unmetered network.
    pub fn set_network_policy(&self, photos_on_metered: bool) -> Result<()> {
        self.engine()?.set_policy(NetworkPolicy { photos_on_metered });
        Ok(())
    }

    pub fn set_sync_listener(&self, listener: Option<Arc<dyn SyncListener>>) -> Result<()> {
        self.engine()?.set_listener(listener);
        Ok(())
    }

    /// Syncs every `interval_ms` and when the network comes back, until the handle is stopped
    /// or dropped.
    pub fn start_background_sync(&self, interval_ms: u64) -> Result<Arc<SyncTaskHandle>> {
        Ok(Arc::new(SyncTaskHandle(
            self.engine()?.start(Duration::from_millis(interval_ms)),
        )))
    }

    /// Installs the platform's current event list when it changed and verifies; null when not.
    pub async fn pull_event_list(&self) -> Result<Option<EventListInfo>> {
        Ok(self.engine()?.pull_event_list().await?)
    }
}

//! gridpatrol-ffi: the uniffi surface of gridpatrol-core for Kotlin and Swift.
//!
//! Owns only the exported names, the mobile API conventions applied to them (see
//! docs/ARCHITECTURE.md, "Mobile API conventions": slow calls are `async` and run on the core's
//! runtime, durations are `Duration`, kinds are enums, arguments are checked at the call) and
//! the one-instance-per-directory registry. Each method is one call into the core; errors
//! cross through [`GridPatrolError`]. If a method needs more than a call and a conversion, the
//! missing piece belongs in the core.
//!
//! Modules: [`sync`] the sync exports and the one engine per directory, [`observe`] the
//! observers and their subscriptions, [`patrol`] patrols and their figures, [`components`] the
//! component package and the nearest look-up, [`logs`] the core's logs forwarded to the host,
//! [`run`] where calls run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use gridpatrol_core::capture::{
    CapturePolicy, Draft, DraftPhoto, OutboxEntry, PhotoKind, Reporter, SubmitOutcome, SubmittedReport,
    ValidationReport, WarningResponse,
};
use gridpatrol_core::client::{Client, GridRef, PhotoRetention};
use gridpatrol_core::location::LocationFix;
use gridpatrol_core::media::PhotoPruneSummary;
use gridpatrol_core::taxonomy::{Category, EventListInfo, Problem, Role, SearchHit, Subtype};

mod components;
mod error;
mod keys;
mod logs;
mod observe;
mod patrol;
mod run;
mod sync;

pub use error::{ComponentProblem, GridPatrolError, ItemKind, PatrolProblem, PhotoProblem};
use gridpatrol_core::salvage::SalvageSummary;
pub use keys::{KeyStore, KeyStoreError};
pub use logs::{LogLevel, LogRecord, LogSink, install_log_sink};
pub use patrol::{PatrolGap, PatrolStatus, PatrolSummary};

/// A side file found damaged at open: which (`grids.geojson`) and where it was moved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DamagedSideFile {
    pub file: String,
    pub moved_to: Option<String>,
}

impl DamagedSideFile {
    fn from_error(error: &gridpatrol_core::Error) -> Option<Self> {
        match error {
            gridpatrol_core::Error::SideFileDamaged { file, moved_to, .. } => Some(Self {
                file: (*file).into(),
                moved_to: moved_to.as_ref().map(|p| p.display().to_string()),
            }),
            _ => None,
        }
    }
}
pub use observe::{ObserverError, QueueHealthObserver, SubmitObserver, Subscription, SyncObserver};
pub use sync::SyncTaskHandle;

use run::blocking;

uniffi::setup_scaffolding!();

type Result<T> = std::result::Result<T, GridPatrolError>;

/// The library version (semver), for the host app's about screen and bug reports.
#[uniffi::export]
pub fn library_version() -> String {
    gridpatrol_core::VERSION.to_string()
}

/// The grids of an installed grid package, by level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct GridCounts {
    pub level1: i32,
    pub level2: i32,
    pub level3: i32,
}

/// One gridpatrol data directory, shared by the host app's screens and workers: `open` of a
/// directory already open in this process returns the same instance. `close()` (or dropping
/// the last reference) stops background sync, aborts in-flight work and releases the
/// directory.
#[derive(uniffi::Object)]
pub struct GridPatrol {
    inner: Arc<Client>,
    /// The canonical directory, the key in [`open_instances`].
    key: PathBuf,
    sync: Arc<sync::SyncSlot>,
    observers: observe::Observers,
}

/// The instances open in this process, by canonical data directory.
fn open_instances() -> MutexGuard<'static, HashMap<PathBuf, Weak<GridPatrol>>> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, Weak<GridPatrol>>>> = OnceLock::new();
    OPEN.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl GridPatrol {
    fn open_blocking(data_dir: String, key_store: Arc<dyn KeyStore>) -> Result<Arc<Self>> {
        if data_dir.trim().is_empty() {
            return Err(GridPatrolError::InvalidArgument {
                field: "data_dir".into(),
                reason: "must not be empty (it would mean the working directory)".into(),
            });
        }
        let data_error = |e: std::io::Error| GridPatrolError::DataDirectory {
            reason: e.to_string(),
        };
        std::fs::create_dir_all(&data_dir).map_err(data_error)?;
        let key = std::fs::canonicalize(&data_dir).map_err(data_error)?;
        // Held while opening, so two concurrent opens of one directory make one instance.
        let mut open = open_instances();
        if let Some(existing) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(existing);
        }
        let client = Arc::new(Client::open_with_keys(&data_dir, &keys::HostKeys(key_store))?);
        let observers = observe::Observers::default();
        let gp = Arc::new(Self {
            sync: Arc::new(sync::SyncSlot::from_directory(
                &client,
                observers.sync_listener(),
            )?),
            inner: client,
            key: key.clone(),
            observers,
        });
        open.retain(|_, instance| instance.strong_count() > 0);
        open.insert(key, Arc::downgrade(&gp));
        Ok(gp)
    }

    fn client(&self) -> Arc<Client> {
        self.inner.clone()
    }
}

impl Drop for GridPatrol {
    fn drop(&mut self) {
        self.sync.shutdown();
        self.observers.cancel_all();
        let mut open = open_instances();
        if open.get(&self.key).is_some_and(|w| w.strong_count() == 0) {
            open.remove(&self.key);
        }
    }
}

/// Reads of local state: bounded and fast (an indexed SQLite read or memory), so plain calls.
#[uniffi::export]
impl GridPatrol {
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
    /// English or synonyms; only what `role` may file when a role is given. At most 100 hits;
    /// a negative `limit` is `InvalidArgument`.
    pub fn search_event_list(&self, query: String, role: Option<Role>, limit: i32) -> Result<Vec<SearchHit>> {
        let limit = u32::try_from(limit).map_err(|_| GridPatrolError::InvalidArgument {
            field: "limit".into(),
            reason: "must not be negative".into(),
        })?;
        Ok(self.inner.search_event_list(&query, role, limit))
    }

    /// The grids (level 1 → 3) a WGS-84 position lies in; empty outside every grid.
    pub fn locate(&self, lat: f64, lon: f64) -> Vec<GridRef> {
        self.inner.locate(lat, lon)
    }

    pub fn capture_policy(&self) -> CapturePolicy {
        self.inner.capture_policy()
    }

    pub fn set_capture_policy(&self, policy: CapturePolicy) {
        self.inner.set_capture_policy(policy)
    }

    pub fn draft(&self, draft_id: String) -> Result<Draft> {
        Ok(self.inner.draft(&draft_id)?)
    }

    pub fn drafts(&self) -> Result<Vec<Draft>> {
        Ok(self.inner.drafts()?)
    }

    /// Errors (block submit) and warnings (need acknowledgement), each with a stable code,
    /// the field, and messages in Chinese and English.
    pub fn validate_draft(&self, draft_id: String) -> Result<ValidationReport> {
        Ok(self.inner.validate_draft(&draft_id)?)
    }

    pub fn report(&self, report_id: String) -> Result<SubmittedReport> {
        Ok(self.inner.report(&report_id)?)
    }

    /// The outbox, oldest first.
    pub fn queue(&self) -> Result<Vec<OutboxEntry>> {
        Ok(self.inner.queue()?)
    }
}

/// Everything that writes (each write is an fsynced SQLite commit), processes photos or parses
/// packages: `async`, run on the runtime's blocking pool.
#[uniffi::export]
impl GridPatrol {
    /// Opens the data directory (created on first use), e.g. the app's `filesDir/gridpatrol`.
    /// Its store and photos are encrypted under a data key the core makes on first open and
    /// `key_store` wraps; a key the key store lost is `DataKeyLost` (with the unsent reports and
    /// where the old files were kept). A directory already open in this process gives the same
    /// instance; one open by another process is `DataDirectoryInUse`; an empty path is
    /// `InvalidArgument`.
    #[uniffi::constructor]
    pub async fn open(data_dir: String, key_store: Arc<dyn KeyStore>) -> Result<Arc<Self>> {
        blocking(move || Self::open_blocking(data_dir, key_store)).await
    }

    /// A stored photo's JPEG for display (its file is encrypted); `NotFound` when it is not
    /// stored, `PhotoRejected` when its file is damaged.
    pub async fn photo_jpeg(&self, sha256: String) -> Result<Vec<u8>> {
        let client = self.client();
        blocking(move || Ok(client.photo_jpeg(&sha256)?)).await
    }

    /// A stored photo's thumbnail JPEG (kept after the full-size photo is pruned).
    pub async fn thumbnail_jpeg(&self, sha256: String) -> Result<Vec<u8>> {
        let client = self.client();
        blocking(move || Ok(client.thumbnail_jpeg(&sha256)?)).await
    }

    /// Verifies and installs an event-list package; on any problem nothing changes and
    /// `EventListRejected` lists every problem with its code.
    pub async fn install_event_list(&self, package_json: Vec<u8>) -> Result<EventListInfo> {
        let client = self.client();
        blocking(move || Ok(client.install_event_list(&package_json)?)).await
    }

    /// Returns to the event list bundled with the library.
    pub async fn reset_event_list(&self) -> Result<EventListInfo> {
        let client = self.client();
        blocking(move || Ok(client.reset_event_list()?)).await
    }

    /// Installs the city's grid package (GeoJSON: id, level 1–3, parent_id, name per polygon).
    pub async fn install_grid_package(&self, geojson: String) -> Result<GridCounts> {
        let client = self.client();
        blocking(move || {
            let [level1, level2, level3] = client.install_grid_package(&geojson)?.map(|n| n as i32);
            Ok(GridCounts {
                level1,
                level2,
                level3,
            })
        })
        .await
    }

    /// Starts a report; `captured_at_ms` is when capture began (Unix ms), now when null.
    pub async fn create_draft(&self, reporter: Reporter, captured_at_ms: Option<i64>) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.create_draft(reporter, captured_at_ms)?)).await
    }

    /// Sets the subtype and problem; a problem without its subtype is `InvalidArgument`.
    pub async fn set_event(
        &self,
        draft_id: String,
        subtype: Option<String>,
        problem: Option<String>,
    ) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.set_event(&draft_id, subtype, problem)?)).await
    }

    /// Sets the fix as the OS reported it; GCJ-02 input is converted, WGS-84 is stored.
    pub async fn set_location(&self, draft_id: String, fix: LocationFix) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.set_location(&draft_id, fix)?)).await
    }

    pub async fn clear_location(&self, draft_id: String) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.clear_location(&draft_id)?)).await
    }

    /// Adds a JPEG or PNG (the app converts HEIC first): resized, stripped of metadata, hashed
    /// and stored in the data directory.
    pub async fn add_photo(&self, draft_id: String, image: Vec<u8>, kind: PhotoKind) -> Result<DraftPhoto> {
        let client = self.client();
        blocking(move || Ok(client.add_photo(&draft_id, &image, kind)?)).await
    }

    pub async fn remove_photo(&self, draft_id: String, sha256: String) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.remove_photo(&draft_id, &sha256)?)).await
    }

    /// Frees disk: unreferenced photo files, and full-size photos of reports delivered more
    /// than `retention.delivered_photo_days` ago (thumbnails stay).
    pub async fn prune_photos(&self, retention: PhotoRetention) -> Result<PhotoPruneSummary> {
        let client = self.client();
        blocking(move || Ok(client.prune_photos(retention)?)).await
    }

    /// Copies every readable report out of a quarantined store (the `quarantined` folder of a
    /// `StoreCorrupt` error) into this one; the pending ones resume syncing.
    pub async fn salvage(&self, quarantined: String) -> Result<SalvageSummary> {
        let client = self.client();
        blocking(move || Ok(client.salvage(std::path::Path::new(&quarantined))?)).await
    }

    /// Side files (the grid package) found damaged at open and set aside; capture works on
    /// without them (no own-grid checks) until the app installs a good package again.
    pub fn damaged_side_files(&self) -> Vec<DamagedSideFile> {
        self.client()
            .side_file_damage()
            .iter()
            .filter_map(DamagedSideFile::from_error)
            .collect()
    }

    pub async fn set_attribute(&self, draft_id: String, code: String, value: String) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.set_attribute(&draft_id, &code, &value)?)).await
    }

    pub async fn remove_attribute(&self, draft_id: String, code: String) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.remove_attribute(&draft_id, &code)?)).await
    }

    pub async fn set_description(&self, draft_id: String, text: String) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.set_description(&draft_id, &text)?)).await
    }

    pub async fn set_component(&self, draft_id: String, component_id: Option<String>) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.set_component(&draft_id, component_id)?)).await
    }

    pub async fn set_disposed_on_spot(&self, draft_id: String, disposed: bool) -> Result<Draft> {
        let client = self.client();
        blocking(move || Ok(client.set_disposed_on_spot(&draft_id, disposed)?)).await
    }

    pub async fn discard_draft(&self, draft_id: String) -> Result<()> {
        let client = self.client();
        blocking(move || Ok(client.discard_draft(&draft_id)?)).await
    }

    /// Moves a valid draft into the outbox durably; `Rejected` carries the findings when not.
    /// Submit observers and queue-health observers hear of it.
    pub async fn submit(&self, draft_id: String, response: WarningResponse) -> Result<SubmitOutcome> {
        let client = self.client();
        blocking(move || Ok(client.submit(&draft_id, response)?)).await
    }
}

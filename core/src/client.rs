//! The client: one data directory on the phone, with its store and the event list in force.
//!
//! Owns the lifetime of what a host app opens once (`Client::open`) and the choice of event
//! list (the installed package, or the bundled one). Each feature's logic lives in its own
//! module; the client only wires them to the store.
//!
//! One `Client` per data directory: `open` takes the directory's OS lock ([`DirLock`]), so a
//! second instance — another process, or this one while the first is alive — gets
//! [`Error::DataDirectoryInUse`] and never runs the start-up sweep over a live instance's
//! files. The client also carries what every user of the directory shares: the outbox lock
//! (one sync run at a time, whatever number of engines) and the change signals observers
//! follow ([`Client::changes`], [`Client::submitted`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::capture::{
    self, CapturePolicy, DESCRIPTION_HARD_LIMIT_CHARS, Draft, OutboxEntry, Reporter, SubmitOutcome,
    SubmittedReport, VALUE_HARD_LIMIT_CHARS, ValidationReport, WarningResponse,
};
use crate::grid::GridIndex;
use crate::location::LocationFix;
use crate::media::{PhotoConfig, PhotoStore};
use crate::store::{DirLock, Store, sweep_temp_files, write_atomically};
use crate::taxonomy::EventList;
use crate::{Error, Result};

mod components;
mod device_key;
mod event_list;
mod patrol;
mod photos;

pub use components::{ComponentHit, ComponentPackageInfo};
use event_list::load_installed_event_list;
pub use photos::PhotoRetention;

/// The store's file in a data directory.
pub const DATABASE_FILE: &str = "gridpatrol.sqlite3";
const PHOTO_DIR: &str = "media";
/// The development key store's wrapping key, inside the data directory (see [`Client::open`]).
pub const DEVELOPMENT_WRAPPING_KEY: &str = "development-wrapping.key";
use crate::grid::installed::GRID_PACKAGE_FILE;

pub struct Client {
    data_dir: PathBuf,
    store: Store,
    photos: PhotoStore,
    event_list: RwLock<Arc<EventList>>,
    grids: RwLock<Option<Arc<GridIndex>>>,
    /// The installed component package (部件), see `client/components.rs`.
    components: RwLock<Option<Arc<crate::component::ComponentIndex>>>,
    policy: RwLock<CapturePolicy>,
    /// Bumped after every change of the outbox (submit, delivery, park, retry time).
    changes: tokio::sync::watch::Sender<u64>,
    /// The id of each report as it enters the outbox.
    submitted: tokio::sync::broadcast::Sender<String>,
    /// Held by a sync run: one run at a time on this directory's outbox.
    outbox_lock: tokio::sync::Mutex<()>,
    /// Side files found damaged at open and set aside (see `grid::installed`).
    side_file_damage: Vec<Error>,
    tracks: crate::track::TrackRecorder,
    /// The claim-signing key (see `client/device_key.rs`).
    device_key: device_key::DeviceKeySlot,
    /// Last, so the lock is released after the store is closed.
    _lock: DirLock,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// The level-1..3 grids a position lies in, as the app shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GridRef {
    pub id: String,
    pub level: u8,
    pub name: String,
}

/// A plain SQLite connection to a data directory's store, its key set from `keys`: for tools and
/// tests that read the store's tables directly, on a directory no [`Client`] has open. It never
/// makes a key: a directory without one is `InvalidArgument`, and nothing is written.
pub fn open_raw_store(
    data_dir: &Path,
    keys: &dyn crate::keys::KeyStore,
    flags: rusqlite::OpenFlags,
) -> Result<rusqlite::Connection> {
    let data_key = crate::keys::existing_data_key(data_dir, keys)?;
    let conn = rusqlite::Connection::open_with_flags(data_dir.join(DATABASE_FILE), flags)?;
    crate::sqlite::set_key(&conn, &crate::sqlite::CipherKey(data_key.store_key()))?;
    Ok(conn)
}

impl Client {
    /// Opens the data directory, creating it on first use. An empty path is refused (it would
    /// mean the working directory); a directory open elsewhere is [`Error::DataDirectoryInUse`].
    /// Opens with the development key store ([`crate::keys::FileKeyStore`] on
    /// [`DEVELOPMENT_WRAPPING_KEY`] inside the directory): for the CLI, the demo and tests. The
    /// store and photos are encrypted all the same, but the key lies beside them; a phone app
    /// opens with the platform's key store ([`open_with_keys`](Self::open_with_keys)).
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        let data_dir = data_dir.as_ref();
        let keys = crate::keys::FileKeyStore::new(data_dir.join(DEVELOPMENT_WRAPPING_KEY));
        Self::open_with_keys(data_dir, &keys)
    }

    /// Opens the data directory, creating it on first use, with its data key from `keys`
    /// (made on first open; see [`crate::keys`]). A plaintext directory of a release before
    /// encryption is encrypted in place first. A key the key store lost is
    /// [`Error::DataKeyLost`] (the files kept aside; the next open starts afresh).
    pub fn open_with_keys(data_dir: impl AsRef<Path>, keys: &dyn crate::keys::KeyStore) -> Result<Self> {
        let data_dir = data_dir.as_ref().to_path_buf();
        if data_dir.as_os_str().is_empty() {
            return Err(Error::InvalidArgument {
                field: "data_dir",
                reason: "must not be empty".into(),
            });
        }
        std::fs::create_dir_all(&data_dir).map_err(|source| Error::DataDirectory {
            path: data_dir.clone(),
            source,
        })?;
        let lock = DirLock::acquire(&data_dir)?;
        let data_key = crate::keys::open_data_key(&data_dir, DATABASE_FILE, keys)?;
        let store = Store::open_encrypted(
            &data_dir.join(DATABASE_FILE),
            crate::sqlite::CipherKey(data_key.store_key()),
        )?;
        let store = crate::salvage::check_not_lost(store, &data_dir.join(PHOTO_DIR))?;
        let event_list = RwLock::new(load_installed_event_list(&store)?);
        let photos = PhotoStore::new(data_dir.join(PHOTO_DIR), PhotoConfig::default())?
            .sealed_with(crate::media::sealed::PhotoKey::new(data_key.photo_key()));
        photos::seal_legacy_photos(&store, &photos)?;
        // A crash mid-write leaves only temp files (renames are atomic); clear them all.
        sweep_temp_files(&data_dir, &photos)?;
        let (grids, grid_damage) = crate::grid::installed::load_installed(&data_dir)?;
        let grids = RwLock::new(grids.map(Arc::new));
        let components = RwLock::new(components::load_installed(&data_dir, &event_list, &grids)?);
        let client = Self {
            data_dir,
            store,
            photos,
            event_list,
            grids,
            components,
            policy: RwLock::new(CapturePolicy::default()),
            changes: tokio::sync::watch::Sender::new(0),
            submitted: tokio::sync::broadcast::Sender::new(64),
            outbox_lock: tokio::sync::Mutex::new(()),
            _lock: lock,
            side_file_damage: grid_damage.into_iter().collect(),
            tracks: crate::track::TrackRecorder::default(),
            device_key: device_key::DeviceKeySlot::default(),
        };
        client.record_unsent_count();
        Ok(client)
    }

    /// Writes how many reports are not yet delivered beside the data (`crate::keys`): what a
    /// lost data key would cost, said in the lost-key state. At open, after each sync run that
    /// sent something, and at close.
    pub(crate) fn record_unsent_count(&self) {
        match self.store.read(crate::sync::outbox::counts) {
            Ok((pending, _, parked)) => crate::keys::write_unsent_count(&self.data_dir, pending + parked),
            Err(error) => tracing::warn!(%error, "unsent reports not counted"),
        }
    }

    /// Changes whenever the outbox changed (submit, delivery, park, retry time): what queue
    /// health observers wait on. The value is only a counter.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The id of each report submitted from now on. A receiver that falls more than 64 behind
    /// gets `Lagged` and goes on with the newest.
    pub fn submitted(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.submitted.subscribe()
    }

    /// Tells observers the outbox changed.
    pub(crate) fn outbox_changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn outbox_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.outbox_lock
    }

    /// The side files (grid package) found damaged at this open and set aside, each as an
    /// [`Error::SideFileDamaged`] naming it. Capture works without them (no own-grid checks).
    pub fn side_file_damage(&self) -> &[Error] {
        &self.side_file_damage
    }

    /// Copies every readable report from a quarantined store (the folder a
    /// [`Error::StoreCorrupt`] named) into this one; pending reports resume syncing.
    pub fn salvage(&self, quarantined: &Path) -> Result<crate::salvage::SalvageSummary> {
        crate::salvage::salvage(&self.store, quarantined)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Client {
    pub fn capture_policy(&self) -> CapturePolicy {
        *self.policy.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_capture_policy(&self, policy: CapturePolicy) {
        *self.policy.write().unwrap_or_else(|p| p.into_inner()) = policy;
    }

    pub fn photos(&self) -> &PhotoStore {
        &self.photos
    }

    /// Installs the city's grid package (GeoJSON), replacing the previous one after it verifies.
    /// Returns the number of grids at levels 1, 2 and 3.
    pub fn install_grid_package(&self, geojson: &str) -> Result<[u32; 3]> {
        let index = GridIndex::from_geojson_str(geojson)?;
        let counts = index.counts().map(|n| n as u32);
        write_atomically(&self.data_dir.join(GRID_PACKAGE_FILE), geojson.as_bytes())?;
        *self.grids.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(index));
        Ok(counts)
    }

    pub fn has_grids(&self) -> bool {
        self.grids().is_some()
    }

    fn grids(&self) -> Option<Arc<GridIndex>> {
        self.grids.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The grid chain (level 1 → 3) a WGS-84 position lies in; empty outside every grid or
    /// when no grid package is installed.
    pub fn locate(&self, lat: f64, lon: f64) -> Vec<GridRef> {
        let Some(grids) = self.grids() else {
            return Vec::new();
        };
        grids
            .locate(lat, lon)
            .map(|chain| {
                chain
                    .levels()
                    .iter()
                    .map(|g| GridRef {
                        id: g.id.clone(),
                        level: g.level.number(),
                        name: g.name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Starts a report. `captured_at_ms` is when capture began (e.g. the shutter time); now if none.
    pub fn create_draft(&self, reporter: Reporter, captured_at_ms: Option<i64>) -> Result<Draft> {
        check_text("reporter_id", &reporter.reporter_id, 128)?;
        for grid in &reporter.grid_ids {
            check_text("grid_ids", grid, 128)?;
        }
        let now = now_ms();
        let draft = Draft::new(reporter, captured_at_ms.unwrap_or(now), now);
        self.store.write(|tx| capture::insert_draft(tx, &draft))?;
        Ok(draft)
    }

    pub fn draft(&self, id: &str) -> Result<Draft> {
        self.store.read(|conn| capture::load_draft(conn, id))
    }

    /// Unsubmitted drafts, most recently changed first.
    pub fn drafts(&self) -> Result<Vec<Draft>> {
        self.store.read(capture::list_drafts)
    }

    /// Loads, changes and saves a draft in one transaction; an error changes nothing.
    fn update_draft(&self, id: &str, change: impl FnOnce(&mut Draft) -> Result<()>) -> Result<Draft> {
        self.store.write(|tx| {
            let mut draft = capture::load_draft(tx, id)?;
            change(&mut draft)?;
            draft.updated_at_ms = now_ms();
            capture::save_draft(tx, &draft)?;
            Ok(draft)
        })
    }

    /// Sets the subtype and problem (either may be cleared). Attributes the new subtype does
    /// not define are dropped.
    pub fn set_event(&self, id: &str, subtype: Option<String>, problem: Option<String>) -> Result<Draft> {
        if problem.is_some() && subtype.is_none() {
            return Err(Error::InvalidArgument {
                field: "problem",
                reason: "a problem needs its subtype".into(),
            });
        }
        let list = self.event_list();
        if let Some(code) = &subtype {
            list.subtype(code).ok_or_else(|| Error::UnknownCode {
                kind: "subtype",
                code: code.clone(),
            })?;
        }
        if let Some(code) = &problem {
            let found = list.problem(code).ok_or_else(|| Error::UnknownCode {
                kind: "problem",
                code: code.clone(),
            })?;
            if let Some(subtype) = &subtype
                && &found.subtype != subtype
            {
                return Err(Error::InvalidArgument {
                    field: "problem",
                    reason: format!(
                        "problem {code} belongs to subtype {}, not {subtype}",
                        found.subtype
                    ),
                });
            }
        }
        self.update_draft(id, |draft| {
            if let Some(code) = &subtype {
                let defined = &list.subtype(code).expect("checked above").rules.attributes;
                draft
                    .content
                    .attributes
                    .retain(|k, _| defined.iter().any(|a| &a.code == k));
            }
            draft.subtype = subtype;
            draft.problem = problem;
            Ok(())
        })
    }

    /// Sets the fix; GCJ-02 input is converted and WGS-84 stored. An impossible position
    /// (NaN, out of range, negative accuracy) is refused and nothing changes.
    pub fn set_location(&self, id: &str, fix: LocationFix) -> Result<Draft> {
        let input_datum = fix.datum;
        let stored = fix.to_wgs84().map_err(|e| Error::InvalidArgument {
            field: "fix",
            reason: e.to_string(),
        })?;
        self.update_draft(id, |draft| {
            draft.content.fix = Some(stored);
            draft.content.input_datum = Some(input_datum);
            Ok(())
        })
    }

    pub fn clear_location(&self, id: &str) -> Result<Draft> {
        self.update_draft(id, |draft| {
            draft.content.fix = None;
            draft.content.input_datum = None;
            Ok(())
        })
    }

    /// Sets one attribute. With a subtype chosen, the value is checked against the attribute's
    /// type at once and a wrong value is refused.
    pub fn set_attribute(&self, id: &str, code: &str, value: &str) -> Result<Draft> {
        check_text("attribute value", value, VALUE_HARD_LIMIT_CHARS)?;
        let list = self.event_list();
        self.update_draft(id, |draft| {
            let subtype = draft
                .subtype
                .as_deref()
                .and_then(|s| list.subtype(s))
                .ok_or_else(|| Error::InvalidArgument {
                    field: "attributes",
                    reason: "choose the subtype before its attributes".into(),
                })?;
            let attribute = subtype
                .rules
                .attributes
                .iter()
                .find(|a| a.code == code)
                .ok_or_else(|| Error::UnknownCode {
                    kind: "attribute",
                    code: code.into(),
                })?;
            capture::check_attribute_value(attribute, value).map_err(|(_, en)| Error::InvalidArgument {
                field: "attributes",
                reason: en,
            })?;
            draft.content.attributes.insert(code.into(), value.into());
            Ok(())
        })
    }

    pub fn remove_attribute(&self, id: &str, code: &str) -> Result<Draft> {
        self.update_draft(id, |draft| {
            draft.content.attributes.remove(code);
            Ok(())
        })
    }

    /// Sets the description; longer than the hard limit is refused at once (validation
    /// applies the policy's lower limit).
    pub fn set_description(&self, id: &str, text: &str) -> Result<Draft> {
        if text.chars().count() > DESCRIPTION_HARD_LIMIT_CHARS {
            return Err(Error::InvalidArgument {
                field: "description",
                reason: format!("longer than {DESCRIPTION_HARD_LIMIT_CHARS} characters"),
            });
        }
        self.update_draft(id, |draft| {
            draft.content.description = text.into();
            Ok(())
        })
    }

    pub fn set_component(&self, id: &str, component_id: Option<String>) -> Result<Draft> {
        if let Some(component) = &component_id {
            check_text("component_id", component, 128)?;
        }
        self.update_draft(id, |draft| {
            draft.content.component_id = component_id;
            Ok(())
        })
    }

    pub fn set_disposed_on_spot(&self, id: &str, disposed: bool) -> Result<Draft> {
        self.update_draft(id, |draft| {
            draft.content.disposed_on_spot = disposed;
            Ok(())
        })
    }

    /// Deletes an unsubmitted draft. Its photos stay until nothing refers to them.
    pub fn discard_draft(&self, id: &str) -> Result<()> {
        let deleted = self.store.write(|tx| capture::delete_draft(tx, id))?;
        if deleted {
            Ok(())
        } else {
            Err(Error::UnknownCode {
                kind: "draft",
                code: id.into(),
            })
        }
    }

    /// Validates a draft as submit would, without submitting.
    pub fn validate_draft(&self, id: &str) -> Result<ValidationReport> {
        let (list, grids) = (self.event_list(), self.grids());
        self.store.read(|conn| {
            let draft = capture::load_draft(conn, id)?;
            self.validate_in(conn, &draft, &list, grids.as_deref())
        })
    }

    /// Validates against one snapshot of the event list and grids (`submit` builds the report
    /// from the same snapshot, so a list installed meanwhile cannot split the two).
    fn validate_in(
        &self,
        conn: &rusqlite::Connection,
        draft: &Draft,
        list: &EventList,
        grids: Option<&GridIndex>,
    ) -> Result<ValidationReport> {
        let policy = self.capture_policy();
        let earlier = match (&draft.subtype, &draft.content.fix) {
            (Some(subtype), Some(fix)) => capture::reports_nearby(
                conn,
                &capture::NearbyQuery {
                    subtype,
                    lat: fix.lat,
                    lon: fix.lon,
                    radius_m: f64::from(policy.duplicate_radius_m),
                    around_ms: draft.content.captured_at_ms,
                    window_ms: i64::from(policy.duplicate_window_s) * 1000,
                },
            )?,
            _ => Vec::new(),
        };
        let mut report = capture::validate(draft, list, grids, &policy, &earlier, now_ms());
        if let Some(components) = self.components() {
            capture::check_component(draft, list, &components, &mut report);
        }
        Ok(report)
    }

    /// Submits a draft: only without errors and with every warning acknowledged (or overridden
    /// with a reason). The report and its outbox entry are written in one durable transaction
    /// and the draft removed; submitting the same draft again returns the same report id.
    pub fn submit(&self, id: &str, response: WarningResponse) -> Result<SubmitOutcome> {
        if let Some(reason) = &response.override_reason {
            check_text("override_reason", reason, VALUE_HARD_LIMIT_CHARS)?;
        }
        // One snapshot for validating and building: the list the report says it was checked
        // against is the list it was checked against.
        let (list, grids) = (self.event_list(), self.grids());
        let key = self.device_key()?;
        let mut fresh = false;
        let outcome = self.store.write(|tx| {
            if capture::report_exists(tx, id)? {
                return Ok(SubmitOutcome::Submitted { report_id: id.into() });
            }
            let draft = capture::load_draft(tx, id)?;
            let report = self.validate_in(tx, &draft, &list, grids.as_deref())?;
            if !report.is_valid() || !report.unanswered_warnings(&response).is_empty() {
                return Ok(SubmitOutcome::Rejected { report });
            }
            let now = now_ms();
            let mut submitted = capture::assemble(draft, &list, grids.as_deref(), &report, &response, now)?;
            device_key::sign_in(tx, &key, &mut submitted)?;
            capture::submit_draft(tx, &submitted, now)?;
            fresh = true;
            Ok(SubmitOutcome::Submitted {
                report_id: submitted.id,
            })
        })?;
        if let SubmitOutcome::Submitted { report_id } = &outcome
            && fresh
        {
            tracing::info!(report_id = %report_id, "report submitted to the outbox");
            self.outbox_changed();
            let _ = self.submitted.send(report_id.clone());
        }
        Ok(outcome)
    }

    /// This device's claim-signing key (made on first use; enrollment registers its public
    /// half with the platform).
    pub fn device_key(&self) -> Result<Arc<crate::claim::DeviceKey>> {
        self.device_key.get(&self.store)
    }

    /// Signs the pending reports submitted before this device signed (see
    /// `client/device_key.rs`); the sync engine calls it before each run.
    pub(crate) fn sign_unsigned_pending(&self) -> Result<usize> {
        device_key::sign_unsigned_pending(&self.store, &self.device_key)
    }

    pub fn report(&self, id: &str) -> Result<SubmittedReport> {
        self.store.read(|conn| capture::load_report(conn, id))
    }

    /// The outbox, oldest first.
    pub fn queue(&self) -> Result<Vec<OutboxEntry>> {
        self.store.read(capture::list_outbox)
    }
}

fn check_text(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidArgument {
            field,
            reason: "must not be empty".into(),
        });
    }
    if value.chars().count() > max_chars {
        return Err(Error::InvalidArgument {
            field,
            reason: format!("longer than {max_chars} characters"),
        });
    }
    Ok(())
}

pub(crate) use crate::time::now_ms;

#[cfg(test)]
mod tests;

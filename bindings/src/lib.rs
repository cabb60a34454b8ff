//! gridpatrol-ffi: the uniffi surface of gridpatrol-core for Kotlin and Swift.
//!
//! Owns only the exported names: each method is one call into the core, errors cross through
//! [`GridPatrolError`]. No logic lives here (see docs/ARCHITECTURE.md): if a method needs more
//! than a call and a conversion, the missing piece belongs in the core.

use std::sync::Arc;

use gridpatrol_core::Client;
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
    inner: Client,
}

#[uniffi::export]
impl GridPatrol {
    /// Opens the data directory (created on first use), e.g. the app's `filesDir/gridpatrol`.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            inner: Client::open(data_dir)?,
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
}

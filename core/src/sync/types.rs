//! The sync engine's public records and enums: its configuration, what a run did, the outbox at
//! a glance, the network and the user's policy, and the progress a listener receives. They are
//! plain data (the uniffi records the apps see); what the engine does with them lives in the
//! engine's other modules, and it does not own the engine itself (`SyncEngine`, in `mod.rs`).

use super::tls::TlsTrust;

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
    /// How the platform's certificate is trusted (pins, a private CA). `None`: as stored with
    /// this platform address when the directory enrolled (or last configured it), else the
    /// system's trust. `Some` replaces what is stored for the address — an app that passes
    /// `None` at every start keeps its pins; it never drops them by omission.
    pub tls: Option<TlsTrust>,
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
            tls: None,
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
    /// Patrols not yet wholly on the platform after the run (an active one always is).
    pub patrols_waiting: i32,
    /// Patrols whose upload the platform refused for good (their points stay on the device).
    pub patrols_parked: i32,
    /// Track points the platform confirmed in this run.
    pub track_points_sent: i64,
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

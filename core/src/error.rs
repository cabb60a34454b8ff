//! The core's one internal error type.
//!
//! Owns how every failure inside the core is named. It does not decide what the host app sees:
//! `gridpatrol-ffi` converts these into its small public error enum in one place. Messages here
//! must never carry personal data (names, phone numbers, report text, photo bytes): codes,
//! counts and field names only.

use std::path::PathBuf;

use crate::taxonomy::PackageProblems;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the data directory {path} cannot be used: {source}")]
    DataDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the store was written by a newer gridpatrol (schema {found}, this build knows up to {supported})"
    )]
    SchemaTooNew { found: i64, supported: i64 },

    #[error("event list package rejected: {0}")]
    EventListRejected(#[from] PackageProblems),

    #[error("no {kind} with code {code}")]
    UnknownCode { kind: &'static str, code: String },

    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },

    #[error("photo refused: {0}")]
    Photo(#[from] crate::media::MediaError),

    #[error("grid package rejected: {0}")]
    GridPackage(#[from] crate::grid::GridPackageError),

    #[error("component package rejected: {0}")]
    ComponentPackage(#[from] crate::component::ComponentPackageError),

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),

    #[error("json error: {0}")]
    Json(#[from] serde_json::Error),

    /// Sync needs an enrolled device (`SyncEngine::enroll`).
    #[error("this device is not enrolled with a platform")]
    NotEnrolled,

    /// The platform revoked this device: syncing stopped, nothing was deleted; enroll again.
    #[error("the platform revoked this device")]
    DeviceRevoked,

    /// The platform could not be reached (offline, timeout, connection dropped).
    #[error("network error: {reason}")]
    Network { reason: String },

    /// The platform answered with a problem the caller must act on (`code` is the protocol's).
    #[error("platform answered {status} {code}")]
    Platform { status: u16, code: String },
}

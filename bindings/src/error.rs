//! The one public error of the bindings, and the one place core errors become it.
//!
//! Variants are what a host app can act on; fields carry codes and reasons, never personal
//! data. Failures the app cannot act on (SQLite, I/O, JSON) are logged here and reported as
//! `Storage` with a short reason.

use gridpatrol_core::Error;
use gridpatrol_core::taxonomy::PackageProblem;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum GridPatrolError {
    /// The data directory cannot be created or written; the app should pick another or free space.
    #[error("the data directory cannot be used: {reason}")]
    DataDirectory { reason: String },

    /// The data directory was written by a newer library; update the app.
    #[error("the data was written by a newer gridpatrol: {reason}")]
    NewerData { reason: String },

    /// An event-list package failed verification; each problem names the code and field.
    #[error("the event list package was rejected ({count} problems)", count = problems.len())]
    EventListRejected { problems: Vec<PackageProblem> },

    /// No item with that code in the event list in force.
    #[error("no {kind} with code {code}")]
    NotFound { kind: String, code: String },

    /// An argument the app passed is not acceptable.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },

    /// A photo was refused: unsupported format (convert HEIC/WebP to JPEG first), too large,
    /// corrupt, or too many pixels. `kind` is a stable machine code.
    #[error("photo refused ({kind}): {reason}")]
    PhotoRejected { kind: String, reason: String },

    /// A grid package failed verification; `grid_id` names the offending grid when there is one.
    #[error("grid package rejected: {reason}")]
    GridPackageRejected { grid_id: Option<String>, reason: String },

    /// The on-device store failed (disk full, I/O error, corrupt file).
    #[error("storage failure: {reason}")]
    Storage { reason: String },

    /// Sync needs the device enrolled first (`enroll`), or `configure_sync` was not called.
    #[error("this device is not enrolled with a platform")]
    NotEnrolled,

    /// The platform revoked this device: sync stopped, nothing was deleted; enroll again.
    #[error("the platform revoked this device")]
    DeviceRevoked,

    /// The platform could not be reached; sync retries by itself.
    #[error("network error: {reason}")]
    Network { reason: String },

    /// The platform refused a request; `code` is the protocol's stable code.
    #[error("platform answered {status} {code}")]
    Platform { status: u16, code: String },
}

impl From<Error> for GridPatrolError {
    fn from(error: Error) -> Self {
        match error {
            Error::DataDirectory { source, .. } => Self::DataDirectory {
                reason: source.to_string(),
            },
            Error::SchemaTooNew { .. } => Self::NewerData {
                reason: error.to_string(),
            },
            Error::EventListRejected(problems) => Self::EventListRejected { problems: problems.0 },
            Error::UnknownCode { kind, code } => Self::NotFound {
                kind: kind.into(),
                code,
            },
            Error::InvalidArgument { field, reason } => Self::InvalidArgument {
                field: field.into(),
                reason,
            },
            Error::Photo(gridpatrol_core::media::MediaError::Io(_)) => {
                tracing::error!(%error, "photo store failure");
                Self::Storage {
                    reason: error.to_string(),
                }
            }
            Error::Photo(error) => Self::PhotoRejected {
                kind: error.code().into(),
                reason: error.to_string(),
            },
            Error::GridPackage(error) => Self::GridPackageRejected {
                grid_id: error.grid_id().map(str::to_string),
                reason: error.to_string(),
            },
            Error::ComponentPackage(error) => Self::InvalidArgument {
                field: "component_package".into(),
                reason: format!("{}: {error}", error.code()),
            },
            Error::NotEnrolled => Self::NotEnrolled,
            Error::DeviceRevoked => Self::DeviceRevoked,
            Error::Network { reason } => Self::Network { reason },
            Error::Platform { status, code } => Self::Platform { status, code },
            Error::Sqlite(_) | Error::Io(_) | Error::Json(_) => {
                tracing::error!(%error, "storage failure");
                Self::Storage {
                    reason: error.to_string(),
                }
            }
        }
    }
}

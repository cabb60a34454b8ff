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

    /// Another instance holds the data directory: another process (an OS file lock), or one in
    /// this process that did not close within the wait.
    #[error("the data directory is in use by another gridpatrol instance")]
    DataDirectoryInUse,

    /// The instance was closed (or its sync engine replaced) while the call ran.
    #[error("the gridpatrol instance was closed")]
    Closed,

    /// A bug inside the core (a task panicked); the app can only report it.
    #[error("internal error: {reason}")]
    Internal { reason: String },

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
    Photo(crate::media::MediaError),

    #[error("grid package rejected: {0}")]
    GridPackage(#[from] crate::grid::GridPackageError),

    #[error("patrol refused: {0}")]
    Track(#[from] crate::track::TrackError),

    #[error("component package rejected: {0}")]
    ComponentPackage(#[from] crate::component::ComponentPackageError),

    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),

    #[error("i/o error: {0}")]
    Io(std::io::Error),

    /// The disk (or the app's quota) is full: nothing was changed by the failed operation.
    /// Reading the queue and syncing still work; free space and try again.
    #[error("storage is full: {during}")]
    StorageFull { during: &'static str },

    /// The disk failed a read or write (an I/O error from the OS or SQLite).
    #[error("storage i/o error: {during}: {reason}")]
    StorageIo { during: &'static str, reason: String },

    /// The database is damaged or lost reports. `quarantined` is where the damaged files were
    /// moved (`None` when nothing was moved); [`crate::Client::salvage`] copies every readable
    /// report from there into the fresh store.
    #[error("the store is damaged ({reason})")]
    StoreCorrupt {
        reason: &'static str,
        quarantined: Option<PathBuf>,
    },

    /// The key store gave back a key that is not this directory's (its key check differs):
    /// nothing was opened, moved or overwritten.
    #[error("the key store returned a different data key than this directory's")]
    WrongDataKey,

    /// The host's key store cannot answer now (e.g. before the phone's first unlock); nothing
    /// was changed, open again later.
    #[error("the key store is unavailable: {reason}")]
    KeyStoreUnavailable { reason: String },

    /// The data key is lost (the host's key store no longer holds it, or its file is gone): the
    /// directory's files were moved, never deleted, to `kept_aside`, and the next open starts a
    /// fresh store under a new key. `unsent_reports` is how many reports were not yet delivered
    /// when last counted (at open, after each sync run, at close); `None`: never counted.
    #[error("the data key is lost; the old files were kept aside")]
    DataKeyLost {
        unsent_reports: Option<u32>,
        kept_aside: PathBuf,
    },

    /// A side file (a grid or component package) does not parse; it was moved aside to `moved_to`.
    #[error("the side file {file} is damaged and was set aside: {reason}")]
    SideFileDamaged {
        file: &'static str,
        moved_to: Option<PathBuf>,
        reason: String,
    },

    #[error("json error: {0}")]
    Json(#[from] serde_json::Error),

    /// Sync needs an enrolled device (`SyncEngine::enroll`).
    #[error("this device is not enrolled with a platform")]
    NotEnrolled,

    /// The platform revoked this device: syncing stopped, nothing was deleted; enroll again.
    #[error("the platform revoked this device")]
    DeviceRevoked,

    /// The platform's TLS certificate chain holds none of the pinned keys (`SyncConfig::tls`):
    /// the run stopped before sending anything to it; nothing was parked or deleted.
    #[error("the platform's certificate matches none of the pinned keys")]
    TlsPinMismatch,

    /// The platform could not be reached (offline, timeout, connection dropped).
    #[error("network error: {reason}")]
    Network { reason: String },

    /// The platform answered with a problem the caller must act on (`code` is the protocol's).
    #[error("platform answered {status} {code}")]
    Platform { status: u16, code: String },
}

impl Error {
    /// The stable machine code of this error, as the CLI prints it and apps may match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::DataDirectory { .. } => "data_directory",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::EventListRejected(_) => "package_rejected",
            Error::UnknownCode { .. } => "unknown_code",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::Photo(_) => "photo_rejected",
            Error::GridPackage(_) => "grid_package_rejected",
            Error::Sqlite(_) | Error::Io(_) | Error::Json(_) => "storage",
            Error::StorageFull { .. } => "storage_full",
            Error::StorageIo { .. } => "storage_io",
            Error::StoreCorrupt { .. } => "store_corrupt",
            Error::WrongDataKey => "wrong_data_key",
            Error::KeyStoreUnavailable { .. } => "key_store_unavailable",
            Error::DataKeyLost { .. } => "data_key_lost",
            Error::SideFileDamaged { .. } => "side_file_damaged",
            Error::NotEnrolled => "not_enrolled",
            Error::DeviceRevoked => "device_revoked",
            Error::Network { .. } => "network",
            Error::TlsPinMismatch => "tls_pin_mismatch",
            Error::Platform { .. } => "platform",
            Error::DataDirectoryInUse => "data_directory_in_use",
            Error::Closed => "closed",
            Error::Internal { .. } => "internal",
            Error::Track(_) => "track",
            Error::ComponentPackage(_) => "component_package_rejected",
        }
    }
}

/// SQLite's full-disk, I/O and corruption codes become their own variants, so an app can tell
/// "free space" from "the disk failed" from "the store is damaged".
impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match error.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::StorageFull {
                during: "database write",
            },
            Some(ErrorCode::SystemIoFailure) => Error::StorageIo {
                during: "database",
                reason: error.to_string(),
            },
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Error::StoreCorrupt {
                reason: "the database file is damaged",
                quarantined: None,
            },
            _ => Error::Sqlite(error),
        }
    }
}

/// ENOSPC / EDQUOT are `StorageFull`; other OS errors stay `Io`.
impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        if is_full(&error) {
            Error::StorageFull { during: "file write" }
        } else {
            Error::Io(error)
        }
    }
}

/// A photo that cannot be written for lack of space is a full disk, not a refused photo.
impl From<crate::media::MediaError> for Error {
    fn from(error: crate::media::MediaError) -> Self {
        match error {
            crate::media::MediaError::Io(io) if is_full(&io) => Error::StorageFull {
                during: "photo write",
            },
            crate::media::MediaError::Io(io) => Error::StorageIo {
                during: "photo write",
                reason: io.kind().to_string(),
            },
            other => Error::Photo(other),
        }
    }
}

pub(crate) fn is_full(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::StorageFull
        || error.kind() == std::io::ErrorKind::QuotaExceeded
        || error.raw_os_error() == Some(28)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: rusqlite::ffi::ErrorCode, extended: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error {
                code,
                extended_code: extended,
            },
            None,
        )
    }

    #[test]
    fn full_disk_io_and_corruption_have_their_own_codes() {
        use rusqlite::ffi::ErrorCode;
        let full = Error::from(sqlite(ErrorCode::DiskFull, rusqlite::ffi::SQLITE_FULL));
        assert_eq!(full.code(), "storage_full");
        let io = Error::from(sqlite(
            ErrorCode::SystemIoFailure,
            rusqlite::ffi::SQLITE_IOERR_WRITE,
        ));
        assert_eq!(io.code(), "storage_io");
        let corrupt = Error::from(sqlite(ErrorCode::DatabaseCorrupt, rusqlite::ffi::SQLITE_CORRUPT));
        assert_eq!(corrupt.code(), "store_corrupt");
        let not_db = Error::from(sqlite(ErrorCode::NotADatabase, rusqlite::ffi::SQLITE_NOTADB));
        assert_eq!(not_db.code(), "store_corrupt");
        let busy = Error::from(sqlite(ErrorCode::DatabaseBusy, rusqlite::ffi::SQLITE_BUSY));
        assert_eq!(busy.code(), "storage");

        let enospc = Error::from(std::io::Error::from_raw_os_error(28));
        assert_eq!(enospc.code(), "storage_full");
        let photo = Error::from(crate::media::MediaError::Io(std::io::Error::from_raw_os_error(
            28,
        )));
        assert_eq!(photo.code(), "storage_full", "a full disk is not a refused photo");
        let eio = Error::from(crate::media::MediaError::Io(std::io::Error::from_raw_os_error(5)));
        assert_eq!(eio.code(), "storage_io");
    }
}

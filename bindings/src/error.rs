//! The one public error of the bindings, and the one place core errors become it.
//!
//! Variants are what a host app can act on; fields carry codes and reasons, never personal
//! data. Failures the app cannot act on (SQLite, I/O, JSON) are logged here and reported as
//! `Storage` with a short reason; a bug (a panicked task) is `Internal`, never an untyped
//! exception.

use gridpatrol_core::Error;
use gridpatrol_core::component::ComponentPackageError;
use gridpatrol_core::media::MediaError;
use gridpatrol_core::taxonomy::PackageProblem;
use gridpatrol_core::track::TrackError;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum GridPatrolError {
    /// The data directory cannot be created or written; the app should pick another or free space.
    #[error("the data directory cannot be used: {reason}")]
    DataDirectory { reason: String },

    /// Another process holds the data directory (an OS file lock). In one process `open`
    /// returns the instance already open instead.
    #[error("the data directory is in use by another process")]
    DataDirectoryInUse,

    /// The data directory was written by a newer library; update the app.
    #[error("the data was written by a newer gridpatrol: {reason}")]
    NewerData { reason: String },

    /// An event-list package failed verification; each problem names the code and field.
    #[error("the event list package was rejected ({count} problems)", count = problems.len())]
    EventListRejected { problems: Vec<PackageProblem> },

    /// No item of that kind with that code (or id).
    #[error("no {kind:?} with code {code}")]
    NotFound { kind: ItemKind, code: String },

    /// An argument the app passed is not acceptable; nothing changed.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },

    /// A photo was refused: unsupported format (convert HEIC/WebP to JPEG first), too large,
    /// corrupt, or too many pixels.
    #[error("photo refused ({kind:?}): {reason}")]
    PhotoRejected { kind: PhotoProblem, reason: String },

    /// A grid package failed verification; `grid_id` names the offending grid when there is one.
    #[error("grid package rejected: {reason}")]
    GridPackageRejected { grid_id: Option<String>, reason: String },

    /// A patrol call was refused: a bad fix, an unknown or stopped patrol, another patrol
    /// still open, a pause of a paused patrol. `code` is the core's stable code (`fix_in_future`,
    /// `patrol_still_open`, …), `problem` the same as an enum; nothing stored changed.
    #[error("patrol call refused ({code})")]
    PatrolRefused { problem: PatrolProblem, code: String },

    /// A component package failed verification and was rejected whole; the installed one
    /// stays. `code` is the core's stable code (`component.duplicate_id`, …), `component_id`
    /// the component at fault when there is one.
    #[error("component package rejected ({code})")]
    ComponentPackageRejected {
        problem: ComponentProblem,
        code: String,
        component_id: Option<String>,
        reason: String,
    },

    /// The on-device store failed in a way the app cannot act on (an unexpected SQLite or
    /// JSON error); the specific cases below are their own variants.
    #[error("storage failure: {reason}")]
    Storage { reason: String },

    /// The disk is full: nothing was stored by this call (no draft, no file); free space and
    /// try again. Queued reports can still be listed and sent. `during` names the step.
    #[error("the phone's storage is full ({during})")]
    StorageFull { during: String },

    /// The disk failed a read or write (an I/O error from the OS or SQLite).
    #[error("storage i/o error ({during}): {reason}")]
    StorageIo { during: String, reason: String },

    /// The database was damaged or lost reports. `quarantined` is where the damaged files were
    /// moved (absent when nothing was moved); `salvage(quarantined)` on the fresh instance
    /// copies every readable report back and they resume syncing.
    #[error("the on-device store is damaged: {reason}")]
    StoreCorrupt {
        reason: String,
        quarantined: Option<String>,
    },

    /// The key store gave back a key that is not this directory's: nothing was opened, moved
    /// or overwritten.
    #[error("the key store returned a different data key")]
    WrongDataKey,

    /// The key store cannot answer now (e.g. before the first unlock): nothing changed; open
    /// again later.
    #[error("the key store is unavailable: {reason}")]
    KeyStoreUnavailable { reason: String },

    /// The data key is lost: the directory's old files were moved to `kept_aside` (never
    /// deleted) and the next open starts afresh. `unsent_reports`: how many reports were not
    /// delivered when last counted (absent: never counted) — what the app tells the worker.
    #[error("the data key is lost; the old files were kept aside")]
    DataKeyLost {
        unsent_reports: Option<u32>,
        kept_aside: String,
    },

    /// A side file (the grid or component package) failed to parse and was set aside
    /// (`moved_to`); the client keeps working without it (no own-grid checks).
    #[error("the side file {file} is damaged: {reason}")]
    SideFileDamaged {
        file: String,
        moved_to: Option<String>,
        reason: String,
    },

    /// Sync needs the device enrolled first (`enroll`, after `configure_sync`).
    #[error("this device is not enrolled with a platform")]
    NotEnrolled,

    /// The platform revoked this device: sync stopped, nothing was deleted; enroll again.
    #[error("the platform revoked this device")]
    DeviceRevoked,

    /// The platform's certificate holds none of the pinned keys (`TlsTrust.spki_pins`): the
    /// run stopped and sent nothing; no report was parked or deleted. Someone may be
    /// intercepting the connection (or the platform changed its key without a backup pin).
    #[error("the platform's certificate matches none of the pinned keys")]
    TlsPinMismatch,

    /// The platform could not be reached; sync retries by itself.
    #[error("network error: {reason}")]
    Network { reason: String },

    /// The platform refused a request; `code` is the protocol's stable code.
    #[error("platform answered {status} {code}")]
    Platform { status: u16, code: String },

    /// The instance was closed, or its sync engine replaced by `configure_sync`, mid-call.
    #[error("the instance was closed")]
    Closed,

    /// A bug in the library; report it with the library version.
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

/// What a `NotFound` did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemKind {
    Subtype,
    Problem,
    Attribute,
    Draft,
    Report,
    Photo,
}

/// Why a photo was refused (the core's stable codes, as an enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoProblem {
    Empty,
    UnsupportedFormat,
    TooLarge,
    TooManyPixels,
    Corrupt,
    /// A JPEG type phones do not make (lossless, hierarchical, arithmetic, 12-bit).
    UnsupportedJpeg,
    /// Decoding would need more memory than the pipeline's budget.
    TooMuchMemory,
    /// The image data ends before the image does (a cut file).
    Truncated,
    /// The picture is essentially one flat colour: it shows nothing.
    Uniform,
    InvalidPhotoId,
    /// Encoding or configuration failed on the device: not the photo's fault.
    Processing,
}

/// Why a patrol call was refused (the core's `TrackError`, as an enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PatrolProblem {
    /// Latitude or longitude NaN or infinite.
    FixNotFinite,
    FixOutOfRange,
    /// Accuracy NaN, infinite or negative.
    FixBadAccuracy,
    /// Dated more than the allowed clock skew after now.
    FixInFuture,
    FixBeforeStart,
    BatchTooLarge,
    PatrolUnknown,
    PatrolStopped,
    /// Another patrol is open: resume or stop it first.
    PatrolStillOpen,
    /// A pause of a paused patrol, or a resume of an active one.
    AlreadyInState,
    /// A start parameter out of its range.
    InvalidStart,
}

/// Why a component package was rejected (the core's `ComponentPackageError`, as an enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ComponentProblem {
    TooLarge,
    TooManyComponents,
    NotGeoJson,
    InvalidHeader,
    /// The package's SHA-256 differs from the one its download named.
    HashMismatch,
    InvalidId,
    DuplicateId,
    /// A type code that is not one of the event list's component types.
    UnknownType,
    InvalidText,
    InvalidGeometry,
    NonFiniteCoordinate,
    CoordinateOutOfRange,
    /// A component outside the installed grid package's extent.
    OutsideGridExtent,
}

fn patrol_problem(error: &TrackError) -> PatrolProblem {
    match error {
        TrackError::FixNotFinite => PatrolProblem::FixNotFinite,
        TrackError::FixOutOfRange => PatrolProblem::FixOutOfRange,
        TrackError::FixBadAccuracy => PatrolProblem::FixBadAccuracy,
        TrackError::FixInFuture { .. } => PatrolProblem::FixInFuture,
        TrackError::FixBeforeStart => PatrolProblem::FixBeforeStart,
        TrackError::BatchTooLarge { .. } => PatrolProblem::BatchTooLarge,
        TrackError::PatrolUnknown => PatrolProblem::PatrolUnknown,
        TrackError::PatrolStopped => PatrolProblem::PatrolStopped,
        TrackError::PatrolStillOpen => PatrolProblem::PatrolStillOpen,
        TrackError::AlreadyInState { .. } => PatrolProblem::AlreadyInState,
        TrackError::InvalidStart { .. } => PatrolProblem::InvalidStart,
    }
}

fn component_problem(error: &ComponentPackageError) -> ComponentProblem {
    use ComponentPackageError as E;
    match error {
        E::TooLarge { .. } => ComponentProblem::TooLarge,
        E::TooManyComponents { .. } => ComponentProblem::TooManyComponents,
        E::NotGeoJson { .. } => ComponentProblem::NotGeoJson,
        E::InvalidHeader { .. } => ComponentProblem::InvalidHeader,
        E::HashMismatch { .. } => ComponentProblem::HashMismatch,
        E::InvalidId { .. } => ComponentProblem::InvalidId,
        E::DuplicateId { .. } => ComponentProblem::DuplicateId,
        E::UnknownType { .. } => ComponentProblem::UnknownType,
        E::InvalidText { .. } => ComponentProblem::InvalidText,
        E::InvalidGeometry { .. } => ComponentProblem::InvalidGeometry,
        E::NonFiniteCoordinate { .. } => ComponentProblem::NonFiniteCoordinate,
        E::CoordinateOutOfRange { .. } => ComponentProblem::CoordinateOutOfRange,
        E::OutsideGridExtent { .. } => ComponentProblem::OutsideGridExtent,
    }
}

fn item_kind(kind: &str) -> Option<ItemKind> {
    Some(match kind {
        "subtype" => ItemKind::Subtype,
        "problem" => ItemKind::Problem,
        "attribute" => ItemKind::Attribute,
        "draft" => ItemKind::Draft,
        "report" => ItemKind::Report,
        "photo" => ItemKind::Photo,
        _ => return None,
    })
}

fn photo_problem(error: &MediaError) -> PhotoProblem {
    match error {
        MediaError::Empty => PhotoProblem::Empty,
        MediaError::UnsupportedFormat { .. } => PhotoProblem::UnsupportedFormat,
        MediaError::TooLarge { .. } => PhotoProblem::TooLarge,
        MediaError::TooManyPixels { .. } => PhotoProblem::TooManyPixels,
        MediaError::Corrupt { .. } => PhotoProblem::Corrupt,
        MediaError::UnsupportedJpeg { .. } => PhotoProblem::UnsupportedJpeg,
        MediaError::TooMuchMemory { .. } => PhotoProblem::TooMuchMemory,
        MediaError::Truncated => PhotoProblem::Truncated,
        MediaError::Uniform => PhotoProblem::Uniform,
        MediaError::InvalidPhotoId => PhotoProblem::InvalidPhotoId,
        _ => PhotoProblem::Processing,
    }
}

impl From<Error> for GridPatrolError {
    fn from(error: Error) -> Self {
        match error {
            Error::DataDirectory { source, .. } => Self::DataDirectory {
                reason: source.to_string(),
            },
            Error::DataDirectoryInUse => Self::DataDirectoryInUse,
            Error::SchemaTooNew { .. } => Self::NewerData {
                reason: error.to_string(),
            },
            Error::EventListRejected(problems) => Self::EventListRejected { problems: problems.0 },
            Error::UnknownCode { kind, code } => match item_kind(kind) {
                Some(kind) => Self::NotFound { kind, code },
                None => Self::Internal {
                    reason: format!("unknown item kind {kind}"),
                },
            },
            Error::InvalidArgument { field, reason } => Self::InvalidArgument {
                field: field.into(),
                reason,
            },
            Error::Photo(MediaError::Io(_)) => {
                tracing::error!(%error, "photo store failure");
                Self::Storage {
                    reason: error.to_string(),
                }
            }
            Error::Photo(error) => Self::PhotoRejected {
                kind: photo_problem(&error),
                reason: error.to_string(),
            },
            Error::GridPackage(error) => Self::GridPackageRejected {
                grid_id: error.grid_id().map(str::to_string),
                reason: error.to_string(),
            },
            Error::Track(error) => Self::PatrolRefused {
                problem: patrol_problem(&error),
                code: error.code().into(),
            },
            Error::ComponentPackage(error) => Self::ComponentPackageRejected {
                problem: component_problem(&error),
                code: error.code().into(),
                component_id: error.component_id().map(str::to_string),
                reason: error.to_string(),
            },
            Error::NotEnrolled => Self::NotEnrolled,
            Error::DeviceRevoked => Self::DeviceRevoked,
            Error::Network { reason } => Self::Network { reason },
            Error::TlsPinMismatch => {
                tracing::warn!("the platform's certificate matches no pin; sync stopped");
                Self::TlsPinMismatch
            }
            Error::Platform { status, code } => Self::Platform { status, code },
            Error::Closed => Self::Closed,
            Error::Internal { reason } => {
                tracing::error!(%reason, "internal error");
                Self::Internal { reason }
            }
            Error::StorageFull { during } => Self::StorageFull {
                during: during.into(),
            },
            Error::StorageIo { during, reason } => {
                tracing::error!(during, "storage i/o failure");
                Self::StorageIo {
                    during: during.into(),
                    reason,
                }
            }
            Error::StoreCorrupt { reason, quarantined } => {
                tracing::error!(reason, "store corrupt");
                Self::StoreCorrupt {
                    reason: reason.into(),
                    quarantined: quarantined.map(|p| p.display().to_string()),
                }
            }
            Error::WrongDataKey => {
                tracing::error!("the key store returned a different data key");
                Self::WrongDataKey
            }
            Error::KeyStoreUnavailable { reason } => Self::KeyStoreUnavailable { reason },
            Error::DataKeyLost {
                unsent_reports,
                kept_aside,
            } => Self::DataKeyLost {
                unsent_reports,
                kept_aside: kept_aside.display().to_string(),
            },
            Error::SideFileDamaged {
                file,
                moved_to,
                reason,
            } => Self::SideFileDamaged {
                file: file.into(),
                moved_to: moved_to.map(|p| p.display().to_string()),
                reason,
            },
            Error::Json(_) => {
                // serde_json's text quotes the input it could not read: not in a log line.
                tracing::error!("storage failure: stored JSON unreadable");
                Self::Storage {
                    reason: error.to_string(),
                }
            }
            Error::Sqlite(_) | Error::Io(_) => {
                tracing::error!(%error, "storage failure");
                Self::Storage {
                    reason: error.to_string(),
                }
            }
        }
    }
}

impl From<tokio::task::JoinError> for GridPatrolError {
    fn from(join: tokio::task::JoinError) -> Self {
        if join.is_cancelled() {
            Self::Closed
        } else {
            tracing::error!("a gridpatrol task panicked");
            Self::Internal {
                reason: "a task panicked".into(),
            }
        }
    }
}

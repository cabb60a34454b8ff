//! How a core error becomes a CLI failure: the one mapping from [`gridpatrol_core::Error`] to a
//! machine code, a message and an exit code, shared by every command.
//!
//! Owns only that mapping; the commands decide what to call and how to print. It sits apart from
//! `client` so the modules that need it (`client`, `sync_cmd`, `component`, `patrol`) depend on
//! it and not on each other.

use gridpatrol_core::Error;

use crate::Failure;

/// The one place a core error becomes a CLI failure: its machine code, message and exit code
/// (2 when the input was at fault, 1 otherwise).
pub fn core_failure(error: Error) -> Failure {
    let message = error.to_string();
    match error {
        Error::UnknownCode { kind, code } => Failure::new("unknown_code", message, 2)
            .with("kind", kind)
            .with("value", code),
        Error::InvalidArgument { field, .. } => {
            Failure::new("invalid_argument", message, 2).with("field", field)
        }
        Error::Photo(gridpatrol_core::media::MediaError::Io(_)) => Failure::new("storage_io", message, 1),
        Error::Photo(media) => {
            use gridpatrol_core::media::MediaError;
            let exit = match media {
                MediaError::Encode { .. } | MediaError::InvalidConfig { .. } => 1,
                _ => 2,
            };
            Failure::new("photo_rejected", message, exit).with("kind", media.code())
        }
        // The patrol's own code (fix_in_future, patrol_stopped …) is the code scripts switch on.
        Error::Track(track) => Failure::new(track.code(), message, 2).with("kind", track.code()),
        Error::GridPackage(problem) => {
            let failure = Failure::new("grid_package_rejected", message, 2);
            match problem.grid_id() {
                Some(id) => failure.with("grid_id", id),
                None => failure,
            }
        }
        Error::ComponentPackage(problem) => {
            let failure = Failure::new("component_package_rejected", message, 2).with("kind", problem.code());
            match problem.component_id() {
                Some(id) => failure.with("component_id", id),
                None => failure,
            }
        }
        Error::EventListRejected(_) => Failure::new("package_rejected", message, 2),
        Error::NotEnrolled => Failure::new("not_enrolled", message, 1),
        Error::DeviceRevoked => Failure::new("device_revoked", message, 1),
        Error::Network { .. } => Failure::new("network", message, 1),
        Error::TlsPinMismatch => Failure::new("tls_pin_mismatch", message, 1),
        Error::Platform { code, .. } => {
            let code = code.clone();
            Failure::new("platform", message, 1).with("platform_code", code)
        }
        Error::SchemaTooNew { .. } => Failure::new("schema_too_new", message, 1),
        Error::DataDirectoryInUse => Failure::new("data_directory_in_use", message, 1),
        Error::Closed | Error::Internal { .. } => Failure::new("internal", message, 1),
        Error::StorageFull { during } => Failure::new("storage_full", message, 1).with("during", during),
        Error::StorageIo { during, .. } => Failure::new("storage_io", message, 1).with("during", during),
        Error::StoreCorrupt { quarantined, .. } => {
            let failure = Failure::new("store_corrupt", message, 1);
            match quarantined {
                Some(dir) => failure.with("quarantined", dir.display().to_string()),
                None => failure,
            }
        }
        Error::WrongDataKey => Failure::new("wrong_data_key", message, 1),
        Error::KeyStoreUnavailable { .. } => Failure::new("key_store_unavailable", message, 1),
        Error::DataKeyLost {
            unsent_reports,
            kept_aside,
        } => {
            let failure = Failure::new("data_key_lost", message, 1)
                .with("kept_aside", kept_aside.display().to_string());
            match unsent_reports {
                Some(n) => failure.with("unsent_reports", n),
                None => failure,
            }
        }
        Error::SideFileDamaged { file, .. } => {
            Failure::new("side_file_damaged", message, 1).with("file", file)
        }
        Error::DataDirectory { .. } | Error::Sqlite(_) | Error::Io(_) | Error::Json(_) => {
            Failure::new("storage", message, 1)
        }
    }
}

//! The grid package installed on the device (`grids.geojson` in the data directory), read
//! back at open.
//!
//! Owns what happens when that side file is damaged: a file that is not UTF-8 or no longer
//! verifies is moved aside (to `<name>.damaged-<unix ms>`, never deleted) and reported as an
//! [`Error::SideFileDamaged`] naming it, while the client opens without grids: capture goes on
//! without own-grid checks. It does not own installing a package (the client writes it
//! atomically) nor what a package must hold (`package`).

use std::path::Path;

use super::GridIndex;
use crate::Error;

/// The file's name, as errors name it.
pub const GRID_PACKAGE_FILE: &str = "grids.geojson";

/// The installed grids, or none; and the damage found, when the file was set aside.
pub fn load_installed(data_dir: &Path) -> Result<(Option<GridIndex>, Option<Error>), Error> {
    let path = data_dir.join(GRID_PACKAGE_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, None)),
        Err(e) => return Err(e.into()),
    };
    let reason = match std::str::from_utf8(&bytes) {
        Err(_) => "not UTF-8 text".to_string(),
        Ok(text) => match GridIndex::from_geojson_str(text) {
            Ok(index) => return Ok((Some(index), None)),
            Err(error) => error.to_string(),
        },
    };
    let moved_to = data_dir.join(format!("{GRID_PACKAGE_FILE}.damaged-{}", crate::client::now_ms()));
    let moved_to = match std::fs::rename(&path, &moved_to) {
        Ok(()) => Some(moved_to),
        Err(error) => {
            tracing::warn!(%error, "the damaged grid package could not be moved aside");
            None
        }
    };
    tracing::warn!(
        file = GRID_PACKAGE_FILE,
        "installed grid package is damaged; set aside, grid checks are off"
    );
    Ok((
        None,
        Some(Error::SideFileDamaged {
            file: GRID_PACKAGE_FILE,
            moved_to,
            reason,
        }),
    ))
}

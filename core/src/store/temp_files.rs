//! Files a crash may leave half written, and the one sweep that clears them at start-up.
//!
//! Owns how a whole-file write in the data directory is made atomic
//! ([`write_atomically`]: a `<stem>.tmp` beside the target, fsync, rename, fsync of the
//! directory — the grid and component packages) and [`sweep_temp_files`], which removes every
//! temp file a killed process can leave: those `*.tmp` files at the top of the data directory
//! and the photo store's own (`media/…/.<name>.<pid>.<n>.tmp`, see
//! `crate::media::PhotoStore::sweep_temp_files`). SQLite's own journal files are not temp
//! files here: they hold committed data and belong to `crate::sqlite`.
//!
//! The sweep runs only once the data directory's lock is held ([`super::DirLock`]), so it
//! never removes a live instance's file mid-write.

use std::path::Path;

use crate::Result;
use crate::media::PhotoStore;

/// The extension of every temp file written at the top of the data directory.
const TEMP_EXTENSION: &str = "tmp";

/// Writes a file so that a crash leaves either the old or the new content, never a mix; what
/// a crash can leave is a `.tmp` file, removed by the next [`sweep_temp_files`].
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(TEMP_EXTENSION);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Removes every temp file a killed process left in `data_dir` and in `photos`; returns how
/// many. Call it at start-up with the directory's lock held, before anything is written.
pub(crate) fn sweep_temp_files(data_dir: &Path, photos: &PhotoStore) -> Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(data_dir)? {
        let entry = entry?;
        let path = entry.path();
        let is_temp = path.extension().is_some_and(|e| e == TEMP_EXTENSION);
        if is_temp && entry.file_type()?.is_file() {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    if removed > 0 {
        std::fs::File::open(data_dir)?.sync_all()?;
        tracing::info!(removed, "temp files of an interrupted package write removed");
    }
    Ok(removed + photos.sweep_temp_files()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::PhotoConfig;

    #[test]
    fn one_sweep_clears_package_and_photo_temp_files_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path();
        let photos = PhotoStore::new(data.join("media"), PhotoConfig::default()).expect("photos");
        // What interrupted writes leave: the packages' temp files, a photo's temp file.
        write_atomically(&data.join("grids.geojson"), b"{}").expect("grid package");
        std::fs::write(data.join("grids.tmp"), b"half a grid").expect("grid temp");
        std::fs::write(data.join("components.tmp"), b"half").expect("component temp");
        let shard = data.join("media").join("photos").join("ab");
        std::fs::create_dir_all(&shard).expect("shard");
        std::fs::write(shard.join(".abcd.jpg.1.0.tmp"), b"half a photo").expect("photo temp");
        // What must stay: finished files and a folder that merely has the extension.
        std::fs::write(shard.join("abcd.jpg"), b"a photo").expect("photo");
        std::fs::create_dir(data.join("kept.tmp")).expect("folder");

        assert_eq!(sweep_temp_files(data, &photos).expect("sweep"), 3);
        assert!(!data.join("grids.tmp").exists());
        assert!(!data.join("components.tmp").exists());
        assert!(!shard.join(".abcd.jpg.1.0.tmp").exists());
        assert_eq!(std::fs::read(data.join("grids.geojson")).expect("kept"), b"{}");
        assert!(shard.join("abcd.jpg").exists() && data.join("kept.tmp").is_dir());
        assert_eq!(sweep_temp_files(data, &photos).expect("again"), 0);
    }
}

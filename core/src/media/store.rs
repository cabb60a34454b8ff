//! Content-addressed photo storage: `photos/ab/<sha256>.jpg` and `thumbs/ab/<sha256>.jpg`
//! (the thumbnail filed under its photo's id), each written atomically and, in a data
//! directory, sealed under the photo key (`super::sealed`): the id is the SHA-256 of the JPEG,
//! which only a reader with the key sees.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::sealed::{self, PhotoKey};
use super::{MediaError, PhotoConfig, ProcessedPhoto, process};

const PHOTOS: &str = "photos";
const THUMBS: &str = "thumbs";
const TEMP_SUFFIX: &str = ".tmp";

/// What [`PhotoStore::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoPruneSummary {
    pub photos_removed: u32,
    pub thumbs_removed: u32,
    pub bytes_freed: u64,
}

/// Photo files in a data directory, addressed by the SHA-256 of the stored JPEG.
#[derive(Debug, Clone)]
pub struct PhotoStore {
    root: PathBuf,
    config: PhotoConfig,
    /// `None`: plaintext files (tools and tests on a bare folder).
    key: Option<PhotoKey>,
}

impl PhotoStore {
    /// Opens (creating if needed) a store under `root`.
    pub fn new(root: impl Into<PathBuf>, config: PhotoConfig) -> Result<Self, MediaError> {
        config.validate()?;
        let root = root.into();
        fs::create_dir_all(root.join(PHOTOS))?;
        fs::create_dir_all(root.join(THUMBS))?;
        Ok(PhotoStore {
            root,
            config,
            key: None,
        })
    }

    /// The same store with its files sealed under `key` (read and written).
    pub fn sealed_with(mut self, key: PhotoKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The configuration photos are processed with.
    pub fn config(&self) -> &PhotoConfig {
        &self.config
    }

    /// Processes `input` and stores the photo and its thumbnail. Adding the same photo again
    /// returns the same result and leaves one file of each. On any error nothing new is left
    /// in the store.
    pub fn add(&self, input: &[u8]) -> Result<ProcessedPhoto, MediaError> {
        let processed = process(input, &self.config)?;
        let sha = &processed.meta.sha256;
        self.write(&self.file_path(PHOTOS, sha), &processed.photo_jpeg)?;
        self.write(&self.file_path(THUMBS, sha), &processed.thumb_jpeg)?;
        Ok(processed.meta)
    }

    fn write(&self, path: &Path, jpeg: &[u8]) -> Result<(), MediaError> {
        match &self.key {
            Some(key) => write_atomic(path, &sealed::seal(key, jpeg)?),
            None => write_atomic(path, jpeg),
        }
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>, MediaError> {
        let bytes = fs::read(path)?;
        match &self.key {
            Some(key) => Ok(sealed::open(key, &bytes)?),
            None => Ok(bytes),
        }
    }

    /// Seals every plaintext file a release before encryption stored (each rewritten
    /// atomically, so a kill leaves each file plaintext or sealed and the next call finishes);
    /// returns how many. Nothing to do without a key.
    pub fn seal_plaintext_files(&self) -> Result<usize, MediaError> {
        let Some(key) = &self.key else {
            return Ok(0);
        };
        let mut sealed_now = 0;
        for path in self.shard_files()? {
            let is_photo = path.extension().is_some_and(|e| e == "jpg") && !is_hidden(&path);
            if !is_photo {
                continue;
            }
            let bytes = fs::read(&path)?;
            if sealed::is_sealed(&bytes) {
                continue;
            }
            // A same-length file is left alone by `write_atomic`; a sealed file is never the
            // plaintext's length, so this always rewrites.
            write_atomic(&path, &sealed::seal(key, &bytes)?)?;
            sealed_now += 1;
        }
        Ok(sealed_now)
    }

    /// Every file in the photo and thumbnail shards (`photos/ab/…`, `thumbs/ab/…`).
    fn shard_files(&self) -> Result<Vec<PathBuf>, MediaError> {
        let mut files = Vec::new();
        for kind in [PHOTOS, THUMBS] {
            for shard in fs::read_dir(self.root.join(kind))? {
                let shard = shard?.path();
                if !shard.is_dir() {
                    continue;
                }
                for entry in fs::read_dir(&shard)? {
                    files.push(entry?.path());
                }
            }
        }
        Ok(files)
    }

    /// Path of the stored photo with id `sha256` (whether or not it exists).
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf, MediaError> {
        check_id(sha256)?;
        Ok(self.file_path(PHOTOS, sha256))
    }

    /// Path of the thumbnail of the photo with id `sha256` (whether or not it exists).
    pub fn thumb_path_of(&self, sha256: &str) -> Result<PathBuf, MediaError> {
        check_id(sha256)?;
        Ok(self.file_path(THUMBS, sha256))
    }

    /// Whether the photo is stored.
    pub fn contains(&self, sha256: &str) -> Result<bool, MediaError> {
        Ok(self.path_of(sha256)?.is_file())
    }

    /// Reads the stored photo (the JPEG; opened and checked when sealed).
    pub fn read(&self, sha256: &str) -> Result<Vec<u8>, MediaError> {
        self.read_file(&self.path_of(sha256)?)
    }

    /// Reads the thumbnail of the stored photo.
    pub fn read_thumb(&self, sha256: &str) -> Result<Vec<u8>, MediaError> {
        self.read_file(&self.thumb_path_of(sha256)?)
    }

    /// Deletes the photo and its thumbnail; `Ok(false)` when neither existed.
    pub fn remove(&self, sha256: &str) -> Result<bool, MediaError> {
        let mut removed = false;
        for path in [self.path_of(sha256)?, self.thumb_path_of(sha256)?] {
            match fs::remove_file(&path) {
                Ok(()) => {
                    removed = true;
                    if let Some(dir) = path.parent() {
                        sync_dir(dir)?;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(removed)
    }

    /// Deletes the photos not in `keep_photos` and the thumbnails not in `keep_thumbs` that
    /// were last written before `untouched_since` (a photo being added now is not referenced
    /// yet). Temp files are left to [`sweep_temp_files`](Self::sweep_temp_files).
    pub fn prune(
        &self,
        keep_photos: &HashSet<String>,
        keep_thumbs: &HashSet<String>,
        untouched_since: SystemTime,
    ) -> Result<PhotoPruneSummary, MediaError> {
        let mut summary = PhotoPruneSummary::default();
        for (kind, keep) in [(PHOTOS, keep_photos), (THUMBS, keep_thumbs)] {
            for shard in fs::read_dir(self.root.join(kind))? {
                let shard = shard?.path();
                if !shard.is_dir() {
                    continue;
                }
                let mut removed_here = false;
                for entry in fs::read_dir(&shard)? {
                    let entry = entry?;
                    let name = entry.file_name();
                    let Some(sha256) = name.to_str().and_then(|n| n.strip_suffix(".jpg")) else {
                        continue;
                    };
                    if check_id(sha256).is_err() || keep.contains(sha256) {
                        continue;
                    }
                    let meta = entry.metadata()?;
                    if meta.modified()? >= untouched_since {
                        continue;
                    }
                    match fs::remove_file(entry.path()) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e.into()),
                    }
                    removed_here = true;
                    summary.bytes_freed += meta.len();
                    if kind == PHOTOS {
                        summary.photos_removed += 1;
                    } else {
                        summary.thumbs_removed += 1;
                    }
                }
                if removed_here {
                    sync_dir(&shard)?;
                }
            }
        }
        Ok(summary)
    }

    /// Deletes temp files left by a process killed mid-write. Call it at start-up, before
    /// any [`add`](Self::add) runs on this directory; returns how many were removed.
    pub fn sweep_temp_files(&self) -> Result<usize, MediaError> {
        let mut removed = 0;
        for path in self.shard_files()? {
            let is_temp = is_hidden(&path)
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(TEMP_SUFFIX));
            if is_temp {
                fs::remove_file(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn file_path(&self, kind: &str, sha256: &str) -> PathBuf {
        self.root
            .join(kind)
            .join(&sha256[..2])
            .join(format!("{sha256}.jpg"))
    }
}

/// A dot file: the store's temp files are `.<name>.<pid>.<n>.tmp`.
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

fn check_id(sha256: &str) -> Result<(), MediaError> {
    if crate::ids::is_photo_id(sha256) {
        Ok(())
    } else {
        Err(MediaError::InvalidPhotoId)
    }
}

/// Deletes the temp file unless the rename went through.
struct TempGuard<'a> {
    path: &'a Path,
    armed: bool,
}

impl Drop for TempGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(self.path);
        }
    }
}

/// Writes `bytes` to `path` so that readers see either no file or the whole file: temp file
/// in the same directory, fsync, rename, fsync of the directory. An existing file of the same
/// size is content-addressed identical and left alone (idempotent add).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MediaError> {
    if let Ok(existing) = fs::metadata(path)
        && existing.is_file()
        && existing.len() == bytes.len() as u64
    {
        // Fresh again: a prune's grace period must cover a file being referenced anew.
        OpenOptions::new()
            .write(true)
            .open(path)?
            .set_modified(SystemTime::now())?;
        return Ok(());
    }
    let dir = path.parent().expect("store paths always have a shard directory");
    if !dir.is_dir() {
        fs::create_dir_all(dir)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("store file names are ASCII");
    let temp = dir.join(format!(
        ".{name}.{}.{}{TEMP_SUFFIX}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut guard = TempGuard {
        path: &temp,
        armed: true,
    };
    let mut file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path)?;
    guard.armed = false;
    sync_dir(dir)?;
    Ok(())
}

/// Makes a directory entry change (create, rename, unlink) durable.
fn sync_dir(dir: &Path) -> Result<(), MediaError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

//! The on-device SQLite database: connections, durability settings and schema versions.
//!
//! Owns opening the database (WAL, one writer and one reader connection), the transaction
//! discipline (`read(|conn|)` and `write(|tx|)`, one transaction per write) and the schema with
//! its upgrade steps, and the data directory's lock ([`DirLock`]: one open instance per
//! directory, whatever the process). It does not know what reports or packages mean: the modules that own
//! those tables write their own SQL through `read` and `write`.
//!
//! Opening never writes unless a schema step is due, so a store on a full disk can still be
//! read and drained. What keeps a damaged store from costing reports (WAL checks, checkpoints,
//! quarantine) is in [`health`].

mod health;
mod steps;
mod temp_files;

pub(crate) use health::new_dated_dir;
pub use health::{QUARANTINE_DIR, quarantine};
pub(crate) use temp_files::{sweep_temp_files, write_atomically};

use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction};

use crate::sqlite::{CipherKey, Database, Options, Schema, Step};
use crate::{Error, Result};

/// The schema this build writes: one version per step of [`DeviceSchema`].
pub const SCHEMA_VERSION: i64 = DEVICE_STEPS.len() as i64;

/// The on-device schema's steps, oldest first (see [`crate::sqlite::Schema`]). Released steps
/// are never edited; a change is a new step appended here. `schema.sql` next to this file is
/// the schema they produce, written out (a test keeps the two equal).
pub struct DeviceSchema;

impl Schema for DeviceSchema {
    const NAME: &'static str = "device store";
    const STEPS: &'static [Step] = DEVICE_STEPS;
}

const DEVICE_STEPS: &[Step] = &[
    steps::V1_META_AND_EVENT_LISTS,
    steps::V2_REPORT,
    steps::V3_PHOTO_UPLOAD_AND_OUTBOX_INDEX,
    steps::V4_BODY_CHECKSUM,
    crate::track::SCHEMA,
    crate::sync::track_queue::SCHEMA,
];

/// The page size of a new store. A report row (about 1.1–2 KB of JSON) fits whole on an 8 KiB
/// page of the `report` table (WITHOUT ROWID: its rows live in a b-tree whose rows spill to
/// overflow pages beyond about a quarter of a page); on SQLite's 4 KiB pages every report took an
/// overflow page of its own, ~4.8 KB a report, and the readability check at open (every page
/// read, and decrypted) cost three times as much. A commit writes about as many bytes.
pub const PAGE_SIZE: u32 = 8192;

/// The database behind one data directory.
#[derive(Debug)]
pub struct Store {
    db: Database,
    key: Option<CipherKey>,
}

impl Store {
    /// Opens (creating if needed) and upgrades the database at `path`.
    /// A damaged store is moved to quarantine and reported as [`Error::StoreCorrupt`] (see
    /// [`health`]); the next open starts a fresh one.
    /// A plaintext store: for tools and tests on a bare database file. A data directory's
    /// store is always encrypted ([`open_encrypted`](Self::open_encrypted)).
    pub fn open(path: &Path) -> Result<Self> {
        health::guarded(path, || Self::open_checked(path, None))
    }

    /// Opens the store encrypted under `key`; a plaintext store (a release before encryption)
    /// is encrypted in place first, crash-safely (`crate::sqlite::encrypt_in_place`).
    pub fn open_encrypted(path: &Path, key: CipherKey) -> Result<Self> {
        health::guarded(path, || Self::open_checked(path, Some(key)))
    }

    fn open_checked(path: &Path, key: Option<CipherKey>) -> Result<Self> {
        let options = Options {
            // Phones have little RAM and the OS may kill us for temp-file use.
            temp_store_in_memory: true,
            journal_size_limit: Some(4 * 1024 * 1024),
            wal_autocheckpoint_pages: Some(health::CHECKPOINT_WAL_PAGES),
            key,
            page_size: Some(PAGE_SIZE),
        };
        let db = Database::open::<DeviceSchema, Error>(path, options, health::check_readable)?;
        Ok(Self { db, key })
    }

    /// The key the store is encrypted under (`None`: plaintext), for a salvage that reads a
    /// quarantined copy of it.
    pub(crate) fn cipher_key(&self) -> Option<CipherKey> {
        self.key
    }

    /// Whether this open found no schema: a new store, or one whose files were lost.
    pub fn was_created(&self) -> bool {
        self.db.found_version() == 0
    }

    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// Runs `f` on the reader connection. Reads see the last committed write.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.db.read(f)
    }

    /// Runs `f` inside one IMMEDIATE transaction on the writer, committed when `f` succeeds and
    /// rolled back when it fails, so a rejected operation changes nothing stored. A write that
    /// leaves many frames in the WAL checkpoints it ([`health`]).
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.db.write(f)
    }
}

/// The lock file in every data directory; it holds no data.
pub(crate) const LOCK_FILE: &str = "gridpatrol.lock";

/// How long an open waits for an instance of this process that is closing (its tasks are
/// being aborted and drop their last references) to release the directory.
const RELEASE_WAIT: Duration = Duration::from_secs(5);

/// The OS lock on a data directory (`flock` on `gridpatrol.lock`), held as long as the value
/// lives. Another process is refused at once with [`Error::DataDirectoryInUse`]; in this
/// process an open waits up to five seconds for a closing instance to let go, so a close
/// followed by a reopen works. Start-up work that touches files (the photo temp-file sweep)
/// runs only once the lock is held, so it never sees a live instance's files.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    /// The canonical lock file path, the key in [`held_here`].
    path: PathBuf,
}

/// The lock files this process holds. Checked and changed under its mutex together with the
/// OS lock, so "held by us" and "held by another process" are told apart without a race.
fn held_here() -> MutexGuard<'static, HashSet<PathBuf>> {
    static HELD: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    HELD.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl DirLock {
    /// Locks the existing directory `dir`.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.canonicalize()?.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?;
        let give_up = Instant::now() + RELEASE_WAIT;
        loop {
            {
                let mut held = held_here();
                match file.try_lock() {
                    Ok(()) => {
                        held.insert(path.clone());
                        return Ok(DirLock { file, path });
                    }
                    Err(TryLockError::WouldBlock) if held.contains(&path) && Instant::now() < give_up => {}
                    Err(TryLockError::WouldBlock) => return Err(Error::DataDirectoryInUse),
                    Err(TryLockError::Error(e)) => return Err(e.into()),
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let mut held = held_here();
        let _ = self.file.unlock();
        held.remove(&self.path);
    }
}

impl Drop for Store {
    /// At close the WAL is folded into the main file, so a copy of the main file alone (a
    /// backup that skips `-wal`) holds every acknowledged report.
    fn drop(&mut self) {
        self.db.with_writer(health::checkpoint_at_close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_of(conn: &Connection) -> Vec<String> {
        crate::sqlite::schema_text(conn).expect("schema")
    }

    #[test]
    fn fresh_store_is_at_the_current_version_in_wal_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("db")).expect("open");
        store
            .read(|conn| {
                let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
                assert_eq!(version, SCHEMA_VERSION);
                assert_eq!(mode, "wal");
                assert_eq!(sync, 2, "synchronous FULL");
                Ok(())
            })
            .expect("read");
    }

    #[test]
    fn upgrading_step_by_step_gives_the_fresh_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = Store::open(&dir.path().join("fresh")).expect("open");
        let fresh_schema = fresh.read(|c| Ok(schema_of(c))).expect("schema");

        // Walk a database up from every older version, one reopen per step.
        let path = dir.path().join("stepped");
        let mut conn = Connection::open(&path).expect("open");
        for from in 0..SCHEMA_VERSION {
            let tx = conn.transaction().expect("tx");
            crate::sqlite::apply_steps::<DeviceSchema>(&tx, from, from + 1).expect("step");
            tx.commit().expect("commit");
        }
        drop(conn);
        let stepped = Store::open(&path).expect("reopen");
        assert_eq!(stepped.read(|c| Ok(schema_of(c))).expect("schema"), fresh_schema);
    }

    #[test]
    fn reopening_keeps_data_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let store = Store::open(&path).expect("open");
        store
            .write(|tx| Ok(tx.execute("INSERT INTO meta VALUES ('k', 'v')", [])?))
            .expect("write");
        drop(store);
        let store = Store::open(&path).expect("reopen");
        let v: String = store
            .read(|c| Ok(c.query_row("SELECT value FROM meta WHERE key = 'k'", [], |r| r.get(0))?))
            .expect("read");
        assert_eq!(v, "v");
        store
            .write(|tx| Ok(tx.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?))
            .expect("bump");
        drop(store);
        assert!(matches!(Store::open(&path), Err(Error::SchemaTooNew { .. })));
    }

    #[test]
    fn a_directory_locked_elsewhere_is_in_use_and_free_again_once_released() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Another process's lock, as the OS sees it: a separate open file description.
        let other = File::create(dir.path().join(LOCK_FILE)).expect("lock file");
        other.try_lock().expect("the other process locks");
        let started = Instant::now();
        assert!(matches!(
            DirLock::acquire(dir.path()),
            Err(Error::DataDirectoryInUse)
        ));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "another process: refused at once"
        );
        other.unlock().expect("unlock");
        let lock = DirLock::acquire(dir.path()).expect("free again");
        // Held here: a second lock waits for the first to be dropped.
        let waiter = std::thread::spawn({
            let dir = dir.path().to_path_buf();
            move || DirLock::acquire(&dir).map(|_| ())
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(lock);
        waiter.join().expect("thread").expect("acquired after the drop");
    }

    /// Whether the main database file alone (as a backup without `-wal` would copy it) holds
    /// the `meta` row `key`: it does once a checkpoint has folded the write in.
    fn main_file_has(path: &Path, key: &str) -> bool {
        let copy = tempfile::tempdir().expect("tempdir");
        let alone = copy.path().join("main-only");
        std::fs::copy(path, &alone).expect("copy the main file");
        let conn = Connection::open(&alone).expect("open the copy");
        conn.query_row("SELECT count(*) FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, i64>(0)
        })
        .expect("read the copy")
            == 1
    }

    fn put(store: &Store, key: &str, value: &str) {
        store
            .write(|tx| Ok(tx.execute("INSERT OR REPLACE INTO meta VALUES (?1, ?2)", [key, value])?))
            .expect("write");
    }

    #[test]
    fn a_small_write_after_a_checkpoint_is_not_checkpointed_again() {
        // A WAL file once grown past the checkpoint size keeps its length after the checkpoint
        // (SQLite reuses it from the start). Deciding by that length checkpointed after every
        // later write: two more fsyncs per submit.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let store = Store::open(&path).expect("open");
        put(&store, "big", &"x".repeat(700 * 1024));
        assert!(
            main_file_has(&path, "big"),
            "a write past the checkpoint size is folded in"
        );
        put(&store, "small", "1");
        assert!(
            !main_file_has(&path, "small"),
            "a one-page write after the checkpoint stays in the WAL (no checkpoint per write)"
        );
        // Small writes still get folded in once their frames reach the checkpoint size.
        for i in 0..400 {
            put(&store, &format!("k{i}"), &"y".repeat(1000));
        }
        assert!(
            main_file_has(&path, "small"),
            "the WAL is still checkpointed as it fills"
        );
    }

    #[test]
    fn a_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("db")).expect("open");
        let result: Result<()> = store.write(|tx| {
            tx.execute("INSERT INTO meta VALUES ('a', '1')", [])?;
            Err(Error::InvalidArgument {
                field: "test",
                reason: "refused".into(),
            })
        });
        assert!(result.is_err());
        let n: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM meta", [], |r| r.get(0))?))
            .expect("count");
        assert_eq!(n, 0);
    }
}

#[cfg(test)]
mod upgrade_tests;

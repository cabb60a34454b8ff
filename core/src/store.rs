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

pub use health::{QUARANTINE_DIR, quarantine};

use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::{Error, Result};

/// The schema this build writes. Each step in [`upgrade_from`] moves one version up.
pub const SCHEMA_VERSION: i64 = 5;

/// The database behind one data directory.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    /// This open found no schema (a new store, or one whose files were lost).
    created: bool,
}

impl Store {
    /// Opens (creating if needed) and upgrades the database at `path`.
    /// A damaged store is moved to quarantine and reported as [`Error::StoreCorrupt`] (see
    /// [`health`]); the next open starts a fresh one.
    pub fn open(path: &Path) -> Result<Self> {
        health::guarded(path, || Self::open_checked(path))
    }

    fn open_checked(path: &Path) -> Result<Self> {
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        // WAL lets the reader run while a write commits; set once, it persists in the file
        // (asked first: setting it on a WAL store is not a write, but leave nothing to chance).
        let mode: String = writer.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            writer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        }
        health::check_readable(&writer)?;
        let created = upgrade(&mut writer)? == 0;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&reader)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            created,
        })
    }

    /// Whether this open found no schema: a new store, or one whose files were lost.
    pub fn was_created(&self) -> bool {
        self.created
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the reader connection. Reads see the last committed write.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&lock(&self.reader))
    }

    /// Runs `f` inside one IMMEDIATE transaction on the writer, committed when `f` succeeds and
    /// rolled back when it fails, so a rejected operation changes nothing stored.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        health::checkpoint_if_large(&conn, &self.path);
        Ok(value)
    }
}

/// The lock file in every data directory; it holds no data.
const LOCK_FILE: &str = "gridpatrol.lock";

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
        health::checkpoint_at_close(&lock(&self.writer));
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite rolled its transaction
/// back, so the connection is still sound to use.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // FULL: a commit is on disk when it returns, so an accepted report survives power loss too.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Phones have little RAM and the OS may kill us for temp-file use; keep temp tables in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)?;
    Ok(())
}

/// Brings the store to [`SCHEMA_VERSION`]; the version it found.
fn upgrade(conn: &mut Connection) -> Result<i64> {
    // A read first: an up-to-date store is opened without a single write (a full disk can still
    // be read and drained).
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found == SCHEMA_VERSION {
        return Ok(found);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for from in found..SCHEMA_VERSION {
        upgrade_from(&tx, from)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(found)
}

/// One schema step: from version `from` to `from + 1`. Steps are never edited once released;
/// a change is a new step, so every device reaches the same schema whatever it started from.
fn upgrade_from(tx: &Transaction<'_>, from: i64) -> Result<()> {
    match from {
        0 => tx.execute_batch(
            "CREATE TABLE meta (
                 key   TEXT PRIMARY KEY,
                 value TEXT NOT NULL
             ) STRICT;
             -- Event-list packages received from the platform; the bundled list is not stored.
             CREATE TABLE event_list_package (
                 sha256       TEXT PRIMARY KEY,
                 list_version TEXT NOT NULL,
                 body         BLOB NOT NULL,
                 installed_at INTEGER NOT NULL,
                 active       INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
             ) STRICT;
             CREATE UNIQUE INDEX event_list_one_active ON event_list_package (active) WHERE active = 1;",
        )?,
        // One row per report for its whole life: a draft, then in the outbox (pending), then
        // delivered or parked. Submit is one UPDATE of that row, in one fsynced commit, so it
        // writes about as many pages as a bare INSERT (the submit benchmark measures this).
        1 => tx.execute_batch(
            "CREATE TABLE report (
                 -- The device-made id (UUID v7), from the first draft step to the platform.
                 id              TEXT PRIMARY KEY,
                 state           TEXT NOT NULL
                                 CHECK (state IN ('draft', 'pending', 'delivered', 'parked')),
                 reporter_id     TEXT NOT NULL,
                 -- The Draft as JSON while a draft (rewritten whole at each change); the
                 -- SubmittedReport, which is what is uploaded, from submit on.
                 body            TEXT NOT NULL,
                 updated_at      INTEGER NOT NULL,
                 -- Set at submit; NULL for drafts, so duplicate hints never see a draft.
                 subtype         TEXT,
                 problem         TEXT,
                 lat             REAL,
                 lon             REAL,
                 captured_at     INTEGER,
                 photos          INTEGER,
                 submitted_at    INTEGER,
                 -- The outbox: worked by the sync engine.
                 attempts        INTEGER NOT NULL DEFAULT 0,
                 next_attempt_at INTEGER NOT NULL DEFAULT 0,
                 last_error      TEXT,
                 parked_reason   TEXT,
                 delivered_at    INTEGER,
                 case_number     TEXT
             ) STRICT, WITHOUT ROWID;
             -- The possible-duplicate query, answered from the index alone: equality on the
             -- subtype, a range on latitude (a band ~100 m wide), then position and time.
             -- Partial: drafts (no subtype column yet) write no index entries.
             CREATE INDEX report_by_subtype_place ON report (subtype, lat, lon, captured_at)
                 WHERE subtype IS NOT NULL;",
        )?,
        // The sync engine: photos the platform confirmed complete (a cache that saves a HEAD per
        // shared photo; a `photos_incomplete` answer removes the row), and the outbox worklist
        // index (pending rows in submit order).
        2 => tx.execute_batch(
            "CREATE TABLE photo_upload (
                 sha256       TEXT PRIMARY KEY,
                 bytes        INTEGER NOT NULL,
                 completed_at INTEGER NOT NULL
             ) STRICT, WITHOUT ROWID;
             CREATE INDEX report_outbox ON report (submitted_at, id) WHERE state = 'pending';",
        )?,
        // The SHA-256 (hex) of `body` as written, verified before a report is uploaded: a bit
        // flipped on disk parks the report as `local_report_corrupt` instead of sending it.
        // NULL on rows written before this step (they are sent unverified).
        3 => tx.execute_batch("ALTER TABLE report ADD COLUMN body_sha256 TEXT;")?,
        // Patrols and their track points (the SQL is the track module's).
        4 => tx.execute_batch(crate::track::SCHEMA)?,
        _ => unreachable!("upgrade_from is only called below SCHEMA_VERSION"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_of(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type, name")
            .expect("prepare");
        stmt.query_map([], |row| row.get(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
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
            upgrade_from(&tx, from).expect("step");
            tx.pragma_update(None, "user_version", from + 1).expect("version");
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

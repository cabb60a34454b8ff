//! The on-device SQLite database: connections, durability settings and schema versions.
//!
//! Owns opening the database (WAL, one writer and one reader connection), the transaction
//! discipline (`read(|conn|)` and `write(|tx|)`, one transaction per write) and the schema with
//! its upgrade steps. It does not know what reports or packages mean: the modules that own
//! those tables write their own SQL through `read` and `write`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::{Error, Result};

/// The schema this build writes. Each step in [`upgrade_from`] moves one version up.
pub const SCHEMA_VERSION: i64 = 4;

/// The database behind one data directory.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) and upgrades the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        // WAL lets the reader run while a write commits; set once, it persists in the file.
        writer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        upgrade(&mut writer)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&reader)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
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
        Ok(value)
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

fn upgrade(conn: &mut Connection) -> Result<()> {
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
    Ok(())
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
        // Patrols and their track points (the SQL is the track module's).
        3 => tx.execute_batch(crate::track::SCHEMA)?,
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

//! The platform's SQLite database: connections, durability settings and schema versions.
//!
//! Owns opening `platform.db` (WAL, `synchronous=FULL`, one writer and one reader connection),
//! the transaction discipline (`read(|conn|)`, `write(|tx|)`: one IMMEDIATE transaction per
//! write, rolled back when the closure fails) and the schema with its `upgrade_from` steps. It
//! does not know what the rows mean: the modules that own devices, photos and reports write their
//! own SQL through `read` and `write`.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::problem::{ApiError, ApiResult};

/// The schema this build writes. Each step in [`upgrade_from`] moves one version up.
pub const SCHEMA_VERSION: i64 = 4;

#[derive(Debug)]
pub struct Db {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database has schema version {found}; this build supports up to {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
}

impl Db {
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        writer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        upgrade(&mut writer)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&reader)?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// Runs `f` on the reader connection; it sees the last committed write.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
        f(&lock(&self.reader))
    }

    /// Runs `f` inside one IMMEDIATE transaction, committed when `f` succeeds and rolled back
    /// when it fails, so a refused request changes nothing stored.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ApiError::from)?;
        let value = f(&tx)?;
        tx.commit().map_err(ApiError::from)?;
        Ok(value)
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite rolled its transaction
/// back, so the connection is still sound.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // FULL: an answered 201 is on disk, so a device may forget what it sent.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn upgrade(conn: &mut Connection) -> Result<(), OpenError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
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

/// One schema step: from version `from` to `from + 1`. Released steps are never edited.
fn upgrade_from(tx: &Transaction<'_>, from: i64) -> rusqlite::Result<()> {
    match from {
        0 => tx.execute_batch(
            "-- Named counters for /v1/admin/stats (e.g. duplicates_refused).
             CREATE TABLE counter (
                 name  TEXT PRIMARY KEY,
                 value INTEGER NOT NULL
             ) STRICT;
             -- Enrolled devices. Tokens are stored as SHA-256 hashes, never in clear.
             CREATE TABLE device (
                 id                TEXT PRIMARY KEY,
                 label             TEXT,
                 enrolled_at       INTEGER NOT NULL,
                 access_hash       TEXT NOT NULL UNIQUE,
                 access_expires_at INTEGER NOT NULL,
                 refresh_hash      TEXT NOT NULL UNIQUE,
                 revoked_at        INTEGER
             ) STRICT;
             -- Event-list packages the platform serves and validates against; one is current.
             CREATE TABLE event_list (
                 sha256       TEXT PRIMARY KEY,
                 list_version TEXT NOT NULL UNIQUE,
                 body         BLOB NOT NULL,
                 published_at INTEGER NOT NULL,
                 current      INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1))
             ) STRICT;
             CREATE UNIQUE INDEX event_list_one_current ON event_list (current) WHERE current = 1;
             -- Photos by content hash: declared length, and whether fully received and verified.
             -- The bytes held of an incomplete one are the length of its partial file.
             CREATE TABLE photo (
                 sha256       TEXT PRIMARY KEY,
                 length       INTEGER NOT NULL,
                 complete     INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
                 created_at   INTEGER NOT NULL,
                 completed_at INTEGER
             ) STRICT;
             -- Reports as received, keyed by the device-made id; body is the JSON as uploaded.
             CREATE TABLE report (
                 id                TEXT PRIMARY KEY,
                 device_id         TEXT NOT NULL REFERENCES device (id),
                 case_number       TEXT NOT NULL UNIQUE,
                 canonical_sha256  TEXT NOT NULL,
                 body              TEXT NOT NULL,
                 validated_against TEXT NOT NULL,
                 status            TEXT NOT NULL CHECK (status IN ('received', 'dispatched', 'rejected')),
                 reason            TEXT,
                 received_at       INTEGER NOT NULL,
                 updated_at        INTEGER NOT NULL,
                 seq               INTEGER NOT NULL UNIQUE
             ) STRICT;
             CREATE INDEX report_by_device_seq ON report (device_id, seq);
             CREATE TABLE report_photo (
                 report_id TEXT NOT NULL REFERENCES report (id),
                 position  INTEGER NOT NULL,
                 sha256    TEXT NOT NULL REFERENCES photo (sha256),
                 PRIMARY KEY (report_id, position)
             ) STRICT;
             -- The last case number handed out per day (China date, YYYYMMDD).
             CREATE TABLE case_sequence (
                 day  TEXT PRIMARY KEY,
                 last INTEGER NOT NULL
             ) STRICT;",
        ),
        1 => tx.execute_batch(
            "-- Workers the admin registered (POST /v1/admin/workers): the identity a device
             -- enrolled with one of their codes is held to. grids: a sorted JSON array of ids.
             CREATE TABLE worker (
                 id         TEXT PRIMARY KEY,
                 name       TEXT NOT NULL,
                 role       TEXT NOT NULL,
                 grids      TEXT NOT NULL,
                 created_at INTEGER NOT NULL,
                 updated_at INTEGER NOT NULL
             ) STRICT;
             -- One-time enrollment codes, stored as SHA-256 hashes; used_at/device_id once redeemed.
             CREATE TABLE enrollment_code (
                 code_hash  TEXT PRIMARY KEY,
                 worker_id  TEXT NOT NULL REFERENCES worker (id),
                 issued_at  INTEGER NOT NULL,
                 expires_at INTEGER NOT NULL,
                 used_at    INTEGER,
                 device_id  TEXT
             ) STRICT;
             CREATE INDEX enrollment_code_by_worker ON enrollment_code (worker_id);
             -- A device enrolled with a worker's code is that worker's; one enrolled with the
             -- development code is bound to the reporter, role and grids of its first stored report.
             ALTER TABLE device ADD COLUMN worker_id TEXT REFERENCES worker (id);
             ALTER TABLE device ADD COLUMN bound_reporter TEXT;
             ALTER TABLE device ADD COLUMN bound_role TEXT;
             ALTER TABLE device ADD COLUMN bound_grids TEXT;
             -- Which devices sent bytes of a photo (HEAD answers only them and reporters of it).
             CREATE TABLE photo_uploader (
                 sha256    TEXT NOT NULL,
                 device_id TEXT NOT NULL REFERENCES device (id),
                 PRIMARY KEY (sha256, device_id)
             ) STRICT, WITHOUT ROWID;
             CREATE INDEX report_photo_by_sha ON report_photo (sha256);",
        ),
        2 => tx.execute_batch(
            "-- Unfinished photo uploads, each owned by the device that started it (other devices
             -- neither see nor touch it). Its bytes are in photos/partial/<id>.part, whose mtime
             -- is its last activity. From here on `photo` holds only complete photos.
             CREATE TABLE photo_partial (
                 id         INTEGER PRIMARY KEY,
                 device_id  TEXT NOT NULL REFERENCES device (id),
                 sha256     TEXT NOT NULL,
                 length     INTEGER NOT NULL CHECK (length > 0),
                 created_at INTEGER NOT NULL,
                 UNIQUE (device_id, sha256)
             ) STRICT;
             CREATE INDEX photo_partial_by_sha ON photo_partial (sha256);
             CREATE INDEX photo_partial_by_created ON photo_partial (created_at);
             -- Version 1 partials had no owner: dropped (their files are removed at open, the
             -- devices upload those photos again from offset 0).
             DELETE FROM photo WHERE complete = 0;",
        ),
        // How far the sending device's clock was off, in seconds, when beyond the tolerated
        // skew (NULL within it): such reports are received, and flagged for the command centre.
        3 => tx.execute_batch("ALTER TABLE report ADD COLUMN clock_skew_s INTEGER;"),
        _ => unreachable!("upgrade_from is only called below SCHEMA_VERSION"),
    }
}

/// Adds `by` to a named counter.
pub fn bump(tx: &Transaction<'_>, name: &str, by: i64) -> ApiResult<()> {
    tx.execute(
        "INSERT INTO counter (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        rusqlite::params![name, by],
    )?;
    Ok(())
}

/// A named counter's value (0 when never bumped).
pub fn counter(conn: &Connection, name: &str) -> ApiResult<i64> {
    use rusqlite::OptionalExtension as _;
    Ok(conn
        .query_row("SELECT value FROM counter WHERE name = ?1", [name], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
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
    fn fresh_db_is_current_wal_and_full_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("db")).expect("open");
        db.read(|c| {
            let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            assert_eq!((version, mode.as_str(), sync), (SCHEMA_VERSION, "wal", 2));
            Ok(())
        })
        .expect("read");
    }

    #[test]
    fn stepping_up_gives_the_fresh_schema_and_newer_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = Db::open(&dir.path().join("fresh")).expect("open");
        let fresh_schema = fresh.read(|c| Ok(schema_of(c))).expect("schema");
        let path = dir.path().join("stepped");
        let mut conn = Connection::open(&path).expect("open");
        for from in 0..SCHEMA_VERSION {
            let tx = conn.transaction().expect("tx");
            upgrade_from(&tx, from).expect("step");
            tx.pragma_update(None, "user_version", from + 1).expect("version");
            tx.commit().expect("commit");
        }
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .expect("v");
        drop(conn);
        let stepped = Db::open(&path).expect("reopen");
        assert_eq!(stepped.read(|c| Ok(schema_of(c))).expect("schema"), fresh_schema);
        stepped
            .write(|tx| Ok(tx.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?))
            .expect("bump");
        drop(stepped);
        assert!(matches!(Db::open(&path), Err(OpenError::SchemaTooNew { .. })));
    }

    #[test]
    fn a_version_1_database_keeps_its_devices_unbound() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v1");
        let mut conn = Connection::open(&path).expect("open");
        let tx = conn.transaction().expect("tx");
        upgrade_from(&tx, 0).expect("step");
        tx.pragma_update(None, "user_version", 1).expect("version");
        tx.commit().expect("commit");
        conn.execute(
            "INSERT INTO device (id, enrolled_at, access_hash, access_expires_at, refresh_hash)
             VALUES ('d1', 1, 'a', 2, 'r')",
            [],
        )
        .expect("device");
        drop(conn);
        let db = Db::open(&path).expect("upgrade");
        let row: (String, Option<String>, Option<String>) = db
            .read(|c| {
                Ok(
                    c.query_row("SELECT id, worker_id, bound_reporter FROM device", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?,
                )
            })
            .expect("read");
        assert_eq!(row, ("d1".to_string(), None, None));
    }

    #[test]
    fn version_1_partials_are_dropped_and_complete_photos_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v1");
        let mut conn = Connection::open(&path).expect("open");
        let tx = conn.transaction().expect("tx");
        upgrade_from(&tx, 0).expect("v1");
        tx.pragma_update(None, "user_version", 1).expect("version");
        tx.execute_batch(
            "INSERT INTO photo (sha256, length, complete, created_at) VALUES ('a', 10, 1, 1), ('b', 20, 0, 1);",
        )
        .expect("photos");
        tx.commit().expect("commit");
        drop(conn);
        let db = Db::open(&path).expect("upgrade");
        let left: Vec<String> = db
            .read(|c| {
                let mut stmt = c.prepare("SELECT sha256 FROM photo ORDER BY sha256")?;
                let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .expect("read");
        assert_eq!(left, ["a"]);
        let partials: i64 = db
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM photo_partial", [], |r| r.get(0))?))
            .expect("read");
        assert_eq!(partials, 0);
    }

    #[test]
    fn a_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("db")).expect("open");
        let result: ApiResult<()> = db.write(|tx| {
            bump(tx, "x", 1)?;
            Err(ApiError::bad_request("refused", "test"))
        });
        assert!(result.is_err());
        assert_eq!(db.read(|c| counter(c, "x")).expect("read"), 0);
    }
}

//! The platform's SQLite database: which schema it has and the counters.
//!
//! Owns `platform.db`'s schema (the frozen steps in `steps`, listed in [`PLATFORM_STEPS`];
//! `schema.sql` next to this crate's sources is what they make) and the `counter` table. How
//! the file is opened (WAL, `synchronous=FULL`, one writer and one reader connection) and the
//! transaction discipline (`read(|conn|)`, `write(|tx|)`: one IMMEDIATE transaction per write,
//! rolled back when the closure fails) are the shared layer's, `gridpatrol_core::sqlite`. It
//! does not know what the other rows mean: the modules that own devices, photos and reports
//! write their own SQL through `read` and `write`.

mod steps;

use std::path::Path;

use gridpatrol_core::sqlite::{Database, Options, Schema, SchemaTooNew, Step};
use rusqlite::{Connection, Transaction};

use crate::problem::ApiResult;

/// The platform schema's steps, oldest first; step `n` moves `user_version` from `n` to `n + 1`.
/// Released steps are never edited: a change is one more line here (and its SQL in `steps`).
const PLATFORM_STEPS: &[Step] = &[
    steps::V1_BASE,
    steps::V2_WORKERS,
    steps::V3_PARTIALS,
    steps::V4_CLOCK_SKEW,
    steps::V5_PATROLS,
    steps::V6_CLAIMS,
];

/// The schema this build writes: one version per step.
pub const SCHEMA_VERSION: i64 = PLATFORM_STEPS.len() as i64;

/// The platform database's schema (see [`gridpatrol_core::sqlite::Schema`]).
pub struct PlatformSchema;

impl Schema for PlatformSchema {
    const NAME: &'static str = "platform";
    const STEPS: &'static [Step] = PLATFORM_STEPS;
}

#[derive(Debug)]
pub struct Db {
    db: Database,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database has schema version {found}; this build supports up to {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
}

impl From<SchemaTooNew> for OpenError {
    fn from(e: SchemaTooNew) -> Self {
        OpenError::SchemaTooNew {
            found: e.found,
            supported: e.supported,
        }
    }
}

impl Db {
    /// Opens (creating if needed) and upgrades `path`. No integrity check or quarantine: the
    /// platform's operator restores from a backup.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let db = Database::open::<PlatformSchema, OpenError>(path, Options::default(), |_| Ok(()))?;
        Ok(Self { db })
    }

    /// Runs `f` on the reader connection; it sees the last committed write.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
        self.db.read(f)
    }

    /// Runs `f` inside one IMMEDIATE transaction, committed when `f` succeeds and rolled back
    /// when it fails, so a refused request changes nothing stored.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> ApiResult<T>) -> ApiResult<T> {
        self.db.write(f)
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
    use crate::problem::ApiError;
    use gridpatrol_core::sqlite;

    fn schema_of(conn: &Connection) -> Vec<String> {
        sqlite::schema_text(conn).expect("schema")
    }

    fn step(tx: &Transaction<'_>, from: i64) {
        sqlite::apply_steps::<PlatformSchema>(tx, from, from + 1).expect("step");
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
            step(&tx, from);
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
        step(&tx, 0);
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
        step(&tx, 0);
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

#[cfg(test)]
mod upgrade_tests;

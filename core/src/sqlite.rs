//! The one SQLite layer under the device's store ([`crate::store`]) and the reference
//! platform's database: connection setup, durability settings, one writer and one reader
//! connection, the transaction discipline and versioned schema upgrades.
//!
//! Owns how a database file is opened (WAL, `synchronous=FULL`, foreign keys, a busy timeout),
//! `read(|conn|)` / `write(|tx|)` (one IMMEDIATE transaction per write, rolled back when the
//! closure fails, so a refused operation changes nothing stored) and the upgrade rule: a
//! [`Schema`] is a plain ordered list of frozen steps, step `n` moves `PRAGMA user_version` from
//! `n` to `n + 1`, all due steps run in one EXCLUSIVE transaction, and a database already at
//! the current version is opened without a single write (a full disk can still be read).
//!
//! It does not know any table (each owner writes its own SQL through `read` and `write`), nor
//! what counts as a damaged store or when the WAL is checkpointed: the caller passes those in
//! ([`Options::wal_autocheckpoint_pages`], the `check` of [`Database::open`]); the device's are
//! in `crate::store::health`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

mod cipher;
pub use cipher::{CipherKey, FileKind, encrypt_in_place, file_kind, is_encrypted_file, set_key};

/// A database's schema: its name (for messages) and its steps, oldest first. A released step
/// is never edited; a change is a new step appended to the list, so every database reaches the
/// same schema whatever version it started from.
pub trait Schema {
    const NAME: &'static str;
    /// Step `n` (0-based) takes the database from version `n` to `n + 1`.
    const STEPS: &'static [Step];

    /// The version this build writes: the number of steps.
    fn version() -> i64 {
        Self::STEPS.len() as i64
    }
}

/// One frozen schema step: SQL run as one batch inside the upgrade transaction.
pub type Step = &'static str;

/// A database written by a newer build than this one: refused, never downgraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaTooNew {
    pub found: i64,
    pub supported: i64,
}

impl From<SchemaTooNew> for crate::Error {
    fn from(e: SchemaTooNew) -> Self {
        crate::Error::SchemaTooNew {
            found: e.found,
            supported: e.supported,
        }
    }
}

/// Settings that differ between the phone and the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep temp tables and sort spills in memory (phones: the OS may kill an app for
    /// temp-file use).
    pub temp_store_in_memory: bool,
    /// `PRAGMA journal_size_limit`, bytes: how large an idle WAL may stay after a checkpoint.
    pub journal_size_limit: Option<i64>,
    /// `PRAGMA wal_autocheckpoint`, pages: a commit that leaves at least this many frames in
    /// the WAL checkpoints it (PASSIVE). SQLite counts the frames in use, not the file's length,
    /// which stays as large as the WAL ever grew; `None` keeps SQLite's 1000.
    pub wal_autocheckpoint_pages: Option<u32>,
    /// Encrypts the whole file (SQLite3 Multiple Ciphers, ChaCha20-Poly1305) under this key;
    /// `None` (the platform) keeps it plaintext. A plaintext file opened with a key is
    /// encrypted in place first ([`encrypt_in_place`]).
    pub key: Option<CipherKey>,
    /// `PRAGMA page_size` of a new database (an existing one keeps its own); `None`: SQLite's
    /// 4096.
    pub page_size: Option<u32>,
}

/// An open database: one writer connection, one read-only reader connection.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    found_version: i64,
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Database {
    /// Opens (creating if needed) the database at `path` in WAL mode, runs `check` on the
    /// writer before any schema step (e.g. an integrity check), and brings it to
    /// `S::version()`.
    pub fn open<S: Schema, E>(
        path: &Path,
        options: Options,
        check: impl FnOnce(&Connection) -> Result<(), E>,
    ) -> Result<Self, E>
    where
        E: From<rusqlite::Error> + From<SchemaTooNew>,
    {
        if let Some(key) = &options.key {
            encrypt_in_place(path, key, options.page_size)?;
        }
        let mut writer = Connection::open(path)?;
        configure(&writer, &options)?;
        if let Some(size) = options.page_size {
            // Only a database without pages takes a page size; asked first, so an existing one
            // is opened without a write.
            let pages: i64 = writer.query_row("PRAGMA page_count", [], |row| row.get(0))?;
            if pages == 0 {
                writer.pragma_update(None, "page_size", size)?;
            }
        }
        // WAL lets the reader run while a write commits; set once, it persists in the file.
        // Asked first: a store already in WAL mode is opened without a write.
        let mode: String = writer.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            writer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        }
        check(&writer)?;
        let found_version = upgrade::<S, E>(&mut writer)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&reader, &options)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            found_version,
        })
    }

    /// The schema version the file had before this open (0: no schema, a new database).
    pub fn found_version(&self) -> i64 {
        self.found_version
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the reader connection; it sees the last committed write.
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        f(&lock(&self.reader))
    }

    /// Runs `f` inside one IMMEDIATE transaction on the writer, committed when `f` succeeds and
    /// rolled back when it fails, so a refused operation changes nothing stored.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on the writer outside any transaction (e.g. a checkpoint at close).
    pub fn with_writer<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&lock(&self.writer))
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite rolled its transaction
/// back, so the connection is still sound to use.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection, options: &Options) -> rusqlite::Result<()> {
    // The key first: every later statement reads the file.
    if let Some(key) = &options.key {
        cipher::set_key(conn, key)?;
    }
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // FULL: a commit is on disk when it returns (an accepted report survives power loss; an
    // answered 201 may be forgotten by the device).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if options.temp_store_in_memory {
        conn.pragma_update(None, "temp_store", "MEMORY")?;
    }
    if let Some(limit) = options.journal_size_limit {
        conn.pragma_update(None, "journal_size_limit", limit)?;
    }
    if let Some(pages) = options.wal_autocheckpoint_pages {
        conn.pragma_update(None, "wal_autocheckpoint", pages)?;
    }
    Ok(())
}

/// Brings the database to `S::version()`; returns the version it found.
fn upgrade<S: Schema, E>(conn: &mut Connection) -> Result<i64, E>
where
    E: From<rusqlite::Error> + From<SchemaTooNew>,
{
    let supported = S::version();
    // A read first: an up-to-date database is opened without a single write.
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found == supported {
        return Ok(found);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    // Read again under the lock: another connection may have upgraded meanwhile.
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > supported {
        return Err(SchemaTooNew { found, supported }.into());
    }
    apply_steps::<S>(&tx, found, supported)?;
    tx.commit()?;
    Ok(found)
}

/// Runs steps `from..to` of `S` on `tx` and sets `user_version` to `to`. What an open does;
/// public so tests can build a database as an older release left it.
pub fn apply_steps<S: Schema>(tx: &Transaction<'_>, from: i64, to: i64) -> rusqlite::Result<()> {
    for step in &S::STEPS[from as usize..to as usize] {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", to)
}

/// The schema of an open database as comparable text: every table, index, view and trigger
/// (`sqlite_schema` minus SQLite's own objects), ordered by type and name, its SQL with comments
/// removed and whitespace normalised. Two databases with equal texts have the same schema.
pub fn schema_text(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |row| {
        let (kind, name, table, sql): (String, String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        Ok(format!("{kind} {name} on {table}: {}", normalise_sql(&sql)))
    })?;
    rows.collect()
}

/// Every row of every table, each row as column name → value, keyed by table name: what an
/// upgrade test compares before and after (a column an upgrade adds is absent from "before").
pub fn table_rows(conn: &Connection) -> rusqlite::Result<TableRows> {
    let mut tables = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let names = tables
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut all = TableRows::new();
    for table in names {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))?;
        let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
        let rows = stmt
            .query_map([], |row| {
                (0..columns.len())
                    .map(|i| Ok((columns[i].clone(), row.get::<_, Value>(i)?)))
                    .collect::<rusqlite::Result<BTreeMap<_, _>>>()
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        all.insert(table, rows);
    }
    Ok(all)
}

/// Rows by table name, as [`table_rows`] reads them.
pub type TableRows = BTreeMap<String, Vec<BTreeMap<String, Value>>>;

/// One row as [`table_rows`] reads it.
pub type Row = BTreeMap<String, Value>;

/// The [`schema_text`] that a written-out schema file (`schema.sql`) makes, run in memory: what
/// the schema tests compare with a fresh database's.
pub fn schema_of_sql(sql: &str) -> rusqlite::Result<Vec<String>> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(sql)?;
    schema_text(&conn)
}

/// Makes, at `path`, the database an older release's SQL dump describes (a fixture); its
/// `user_version` and rows, to compare with what an upgrade leaves.
pub fn load_fixture(path: &Path, sql: &str) -> rusqlite::Result<(i64, TableRows)> {
    let conn = Connection::open(path)?;
    conn.execute_batch(sql)?;
    let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((version, table_rows(&conn)?))
}

/// What an upgrade lost or changed: for each table of `before`, its rows in order in `after`,
/// every old column with its old value and every column added since NULL. Rows `dropped`
/// accepts (an upgrade step that removes them on purpose) are not expected. Empty: intact.
pub fn upgrade_damage(
    before: &TableRows,
    after: &TableRows,
    dropped: impl Fn(&str, &Row) -> bool,
) -> Vec<String> {
    let mut damage = Vec::new();
    for (table, old_rows) in before {
        let Some(new_rows) = after.get(table) else {
            damage.push(format!("{table}: table gone"));
            continue;
        };
        let expected: Vec<&Row> = old_rows.iter().filter(|row| !dropped(table, row)).collect();
        if new_rows.len() != expected.len() {
            damage.push(format!(
                "{table}: {} rows, {} expected",
                new_rows.len(),
                expected.len()
            ));
            continue;
        }
        for (i, (old, new)) in expected.into_iter().zip(new_rows).enumerate() {
            for (column, value) in old {
                if new.get(column) != Some(value) {
                    damage.push(format!("{table} row {i}: {column} changed"));
                }
            }
            for column in new
                .iter()
                .filter(|(c, v)| !old.contains_key(*c) && **v != Value::Null)
            {
                damage.push(format!("{table} row {i}: added column {} is not NULL", column.0));
            }
        }
    }
    damage
}

/// `sql` without `--` comments, with runs of whitespace as one space and none inside
/// brackets or before a comma, so a schema written out by hand compares equal to what the
/// steps (including `ALTER TABLE ... ADD COLUMN`) left in `sqlite_schema`. Quoted strings are
/// kept as written.
pub fn normalise_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
                for q in chars.by_ref() {
                    out.push(q);
                    if q == '\'' {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        break;
                    }
                }
                pending_space = true;
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
            }
        }
    }
    out
}

/// Writes the space that stood before `next`, unless it only separated punctuation.
fn flush_space(out: &mut String, pending: &mut bool, next: char) {
    if *pending && !out.is_empty() && !matches!(next, ',' | ')') && !out.ends_with('(') {
        out.push(' ');
    }
    *pending = false;
}

#[cfg(test)]
mod tests;

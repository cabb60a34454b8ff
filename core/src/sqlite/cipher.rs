//! Whole-file encryption of a database: the key set on each connection, and the one-time,
//! crash-safe encryption of a plaintext database a release before encryption left.
//!
//! Owns how a [`CipherKey`] reaches SQLite3 Multiple Ciphers (its ChaCha20-Poly1305 scheme, a
//! raw 256-bit key: no key derivation at open) and the in-place migration. It does not make or
//! keep keys (`crate::keys`).
//!
//! The migration never touches the plaintext file until an encrypted copy is complete: the
//! plaintext WAL is folded into the main file, the file is copied to `<name>-encrypting`, the
//! copy is encrypted (`PRAGMA rekey`, in rollback-journal mode as SQLite3MC requires), put back
//! into WAL mode, synced, and renamed over the original. A kill at any point leaves either the
//! plaintext store (the next open starts over, removing the half-made copy) or the encrypted
//! one.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// The first 16 bytes of every plaintext SQLite database file.
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A database's raw 256-bit key. Never printed.
#[derive(Clone, Copy)]
pub struct CipherKey(pub [u8; 32]);

impl fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CipherKey(..)")
    }
}

impl CipherKey {
    fn pragma_value(&self) -> String {
        format!("raw:{}", hex::encode(self.0))
    }
}

/// Sets `key` on a fresh connection, before its first statement reads the file.
pub fn set_key(conn: &Connection, key: &CipherKey) -> rusqlite::Result<()> {
    conn.pragma_update(None, "cipher", "chacha20")?;
    conn.pragma_update(None, "key", key.pragma_value())
}

/// What the file at `path` holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// No file, or an empty one: a new database.
    Missing,
    Plaintext,
    Encrypted,
}

pub fn file_kind(path: &Path) -> std::io::Result<FileKind> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => FileKind::Missing,
        16 if &head == PLAINTEXT_HEADER => FileKind::Plaintext,
        _ => FileKind::Encrypted,
    })
}

/// Whether `path` holds a database that is not plaintext SQLite.
pub fn is_encrypted_file(path: &Path) -> std::io::Result<bool> {
    Ok(file_kind(path)? == FileKind::Encrypted)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Encrypts the plaintext database at `path` under `key` (see the module doc), rebuilt in
/// `page_size` when given; `Ok(false)` when there was nothing to do. The caller holds the directory so nothing else has it open.
pub fn encrypt_in_place(path: &Path, key: &CipherKey, page_size: Option<u32>) -> rusqlite::Result<bool> {
    if file_kind(path).map_err(io_error)? != FileKind::Plaintext {
        // The copy is renamed over the original last, so a store already encrypted has no
        // half-made copy beside it: an open of one costs a 16-byte read.
        return Ok(false);
    }
    let copy = sidecar(path, "-encrypting");
    for leftover in [copy.clone(), sidecar(&copy, "-journal")] {
        remove_if_present(&leftover)?;
    }
    {
        // Fold the WAL into the main file, so the file alone holds every committed write.
        let plain = Connection::open(path)?;
        plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    std::fs::copy(path, &copy).map_err(io_error)?;
    {
        let conn = Connection::open(&copy)?;
        conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
        if let Some(size) = page_size {
            // The copy is rebuilt anyway: in the page size a new store gets.
            conn.pragma_update(None, "page_size", size)?;
            conn.execute_batch("VACUUM")?;
        }
        conn.pragma_update(None, "cipher", "chacha20")?;
        conn.pragma_update(None, "rekey", key.pragma_value())?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    }
    std::fs::File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(io_error)?;
    // The old WAL was truncated and nothing holds the file: its sidecars carry no data.
    for old in [
        sidecar(path, "-wal"),
        sidecar(path, "-shm"),
        sidecar(&copy, "-wal"),
        sidecar(&copy, "-shm"),
    ] {
        remove_if_present(&old)?;
    }
    std::fs::rename(&copy, path).map_err(io_error)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io_error)?;
    }
    Ok(true)
}

fn remove_if_present(path: &Path) -> rusqlite::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(e)),
    }
}

fn io_error(error: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
        Some(format!("encrypting the store: {}", error.kind())),
    )
}

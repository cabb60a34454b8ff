//! Getting reports back from a damaged store, and noticing a store that lost them.
//!
//! Owns two things: the check at open that a store found without a schema while photos remain
//! in `media/` lost its reports (a WAL deleted by a backup, a file truncated to 0) — said with
//! [`Error::StoreCorrupt`] instead of an empty queue — and [`salvage`], which copies every
//! readable report (and the device's sync credentials with its signing key) out of a quarantined store into the
//! fresh one, where pending reports resume syncing. It does not decide what is damaged at the
//! page level (`store::health`) nor judge the reports it copies: a copied body that fails its
//! checksum is parked by the sync engine as `local_report_corrupt`.
//!
//! A damaged page stops a table scan, so ids are gathered from several independent paths —
//! the table forwards and backwards, and each index — and every report is then read by a point
//! lookup, which only touches the pages on its own path.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use crate::store::{QUARANTINE_DIR, Store, quarantine};
use crate::{Error, Result};

/// What [`salvage`] copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SalvageSummary {
    /// Reports (any state, drafts included) copied into the fresh store.
    pub reports_copied: u32,
    /// Reports found in the damaged store that could not be read back.
    pub reports_unreadable: u32,
    /// Reports already in the fresh store (a salvage run twice copies nothing twice).
    pub reports_already_present: u32,
}

/// The columns copied, in the fresh schema's names.
const COLUMNS: &str = "id, state, reporter_id, body, updated_at, subtype, problem, lat, lon, captured_at, \
                       photos, submitted_at, attempts, next_attempt_at, last_error, parked_reason, \
                       delivered_at, case_number, body_sha256";

/// At open: `store` is returned as it is unless this open found no schema at all (a new file:
/// truncated, or its WAL lost while the main file held nothing yet) while photo files remain in
/// `photo_dir`, and no earlier damage was already reported (no `quarantine/` folder): then it
/// is closed, moved to quarantine, and the loss reported. (A store that lost only some reports
/// is not noticed here; the checkpoints bound what a lost WAL can take.)
pub(crate) fn check_not_lost(store: Store, photo_dir: &Path) -> Result<Store> {
    let path = store.path().to_path_buf();
    let already_reported = path.parent().is_some_and(|dir| dir.join(QUARANTINE_DIR).exists());
    if !store.was_created() || already_reported || !has_photo_files(&photo_dir.join("photos"))? {
        return Ok(store);
    }
    drop(store);
    let moved = quarantine(&path)?;
    tracing::error!("a new store while photos remain: the reports were lost; moved to quarantine");
    Err(Error::StoreCorrupt {
        reason: "the store lost its reports while their photos remain",
        quarantined: Some(moved),
    })
}

fn has_photo_files(dir: &Path) -> Result<bool> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            if has_photo_files(&entry.path())? {
                return Ok(true);
            }
        } else if entry.path().extension().is_some_and(|e| e == "jpg") {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Copies every readable report from the quarantined store in `from` (a folder
/// [`Error::StoreCorrupt`] named, or a database file) into `into`, with the device's sync
/// credentials when `into` has none. The quarantined files are only read: they are copied to
/// a scratch folder first, since opening a WAL store replays its log.
pub fn salvage(into: &Store, from: &Path) -> Result<SalvageSummary> {
    let source = database_in(from)?;
    let scratch = scratch_copy(&source)?;
    let conn = Connection::open_with_flags(
        &scratch.1,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // A store quarantined by this release is encrypted under the same key as `into`; one from
    // a release before encryption is plaintext.
    if let Some(key) = into.cipher_key()
        && crate::sqlite::is_encrypted_file(&scratch.1)?
    {
        crate::sqlite::set_key(&conn, &key)?;
    }
    let ids = gather_ids(&conn);
    let mut summary = SalvageSummary::default();
    let mut lookup = conn.prepare(&format!(
        "SELECT {} FROM report WHERE id = ?1",
        source_columns(&conn)
    ))?;
    for id in &ids {
        let row: rusqlite::Result<Vec<Value>> = lookup.query_row([id], |row| {
            (0..19)
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        });
        let Ok(values) = row else {
            summary.reports_unreadable += 1;
            continue;
        };
        let inserted = into.write(|tx| {
            Ok(tx.execute(
                &format!(
                    "INSERT INTO report ({COLUMNS}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
                    (1..=19).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
                ),
                rusqlite::params_from_iter(values.iter()),
            )?)
        })?;
        if inserted == 1 {
            summary.reports_copied += 1;
        } else {
            summary.reports_already_present += 1;
        }
    }
    copy_credentials(&conn, into);
    drop(lookup);
    drop(conn);
    let _ = std::fs::remove_dir_all(&scratch.0);
    tracing::info!(
        copied = summary.reports_copied,
        unreadable = summary.reports_unreadable,
        "reports salvaged from a quarantined store"
    );
    Ok(summary)
}

/// The select list for the source: a store from before `body_sha256` gives NULL for it.
fn source_columns(conn: &Connection) -> String {
    let has_sha = conn.prepare("SELECT body_sha256 FROM report LIMIT 0").is_ok();
    if has_sha {
        COLUMNS.to_string()
    } else {
        COLUMNS.replace("body_sha256", "NULL")
    }
}

/// Every report id reachable by any path that is not damaged.
fn gather_ids(conn: &Connection) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for sql in [
        "SELECT id FROM report ORDER BY id",
        "SELECT id FROM report ORDER BY id DESC",
        "SELECT id FROM report INDEXED BY report_outbox WHERE state = 'pending' ORDER BY submitted_at, id",
        "SELECT id FROM report INDEXED BY report_by_subtype_place WHERE subtype IS NOT NULL",
    ] {
        let Ok(mut stmt) = conn.prepare(sql) else {
            continue;
        };
        let Ok(mut rows) = stmt.query([]) else {
            continue;
        };
        // Stops at the first damaged page on this path; the other paths go on.
        while let Ok(Some(row)) = rows.next() {
            if let Ok(id) = row.get::<_, String>(0) {
                ids.insert(id);
            }
        }
    }
    ids
}

/// The sync credentials and, with them, the claim-signing key they registered and its chain
/// head (`claim.*`): reports signed after the salvage must verify against the key the
/// platform holds for this device. Keys the fresh store already has are kept.
fn copy_credentials(conn: &Connection, into: &Store) {
    let Ok(mut stmt) =
        conn.prepare("SELECT key, value FROM meta WHERE key LIKE 'sync.%' OR key LIKE 'claim.%'")
    else {
        return;
    };
    let Ok(rows) = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))) else {
        return;
    };
    let pairs: Vec<(String, String)> = rows.flatten().collect();
    let copied = into.write(|tx| {
        for (key, value) in &pairs {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                [key, value],
            )?;
        }
        Ok(())
    });
    if let Err(error) = copied {
        tracing::warn!(%error, "sync credentials not salvaged; enroll again");
    }
}

fn database_in(from: &Path) -> Result<PathBuf> {
    if from.is_file() {
        return Ok(from.to_path_buf());
    }
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_file() && !name.ends_with("-wal") && !name.ends_with("-shm") {
            return Ok(path);
        }
    }
    Err(Error::InvalidArgument {
        field: "salvage source",
        reason: "the folder holds no database file".into(),
    })
}

/// Copies the database and its WAL into a scratch folder next to the source; (folder, db).
fn scratch_copy(source: &Path) -> Result<(PathBuf, PathBuf)> {
    let dir = source
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("salvage-{}", crate::client::now_ms()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("db");
    std::fs::copy(source, &db)?;
    let mut wal = source.as_os_str().to_os_string();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        std::fs::copy(&wal, dir.join("db-wal"))?;
    }
    Ok((dir, db))
}

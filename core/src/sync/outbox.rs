//! The SQL of the outbox as the sync engine works it: the pending `report` rows, their retry
//! columns, the photos the platform confirmed, and the engine's keys in `meta`. Pending rows
//! are read one by one: a row that cannot be read, or whose body fails its checksum, is set
//! apart to be parked and never stops the others.

use std::collections::HashSet;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::ParkedReport;
use crate::capture::SubmittedReport;
use crate::{Error, Result};

/// One pending report as the engine needs it.
#[derive(Debug, Clone)]
pub(crate) struct PendingRow {
    pub id: String,
    pub reporter_id: String,
    /// The `SubmittedReport` JSON, uploaded as stored.
    pub body: String,
    pub attempts: u32,
    pub next_attempt_at: i64,
    /// How many photos the report lists.
    pub photos: u32,
}

/// A pending row that cannot be uploaded as stored, by its raw key: `code` is
/// `local_report_unreadable` (a column is not what it must be, e.g. invalid UTF-8) or
/// `local_report_corrupt` (the body no longer matches the checksum written with it).
#[derive(Debug, Clone)]
pub(crate) struct Unreadable {
    pub key: Vec<u8>,
    pub code: &'static str,
    pub reason: &'static str,
}

/// The outbox in submit order (the order kept per reporter), row by row: a row that cannot be
/// read or fails its checksum is returned apart, to be parked, and never stops the others.
pub(crate) fn pending(conn: &Connection) -> Result<(Vec<PendingRow>, Vec<Unreadable>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, reporter_id, body, attempts, next_attempt_at, coalesce(photos, 0), body_sha256
         FROM report WHERE state = 'pending' ORDER BY submitted_at, id",
    )?;
    let mut rows = stmt.query([])?;
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    while let Some(row) = rows.next()? {
        match read_pending(row) {
            Ok(pending) => good.push(pending),
            Err(unreadable) => bad.push(unreadable),
        }
    }
    Ok((good, bad))
}

fn read_pending(row: &rusqlite::Row<'_>) -> std::result::Result<PendingRow, Unreadable> {
    let key = match row.get_ref(0) {
        Ok(ValueRef::Text(bytes) | ValueRef::Blob(bytes)) => bytes.to_vec(),
        _ => Vec::new(),
    };
    let unreadable = |reason| Unreadable {
        key: key.clone(),
        code: "local_report_unreadable",
        reason,
    };
    let text = |index: usize, reason| match row.get_ref(index) {
        Ok(ValueRef::Text(bytes)) => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| unreadable(reason)),
        _ => Err(unreadable(reason)),
    };
    let id = text(0, "the stored report id is not valid text")?;
    let reporter_id = text(1, "the stored reporter id is not valid text")?;
    let body = text(2, "the stored report is not valid text")?;
    let bad_number = |_| unreadable("a stored retry column is not a number");
    let attempts: u32 = row.get(3).map_err(bad_number)?;
    let next_attempt_at: i64 = row.get(4).map_err(bad_number)?;
    let photos: u32 = row.get(5).map_err(bad_number)?;
    match row.get_ref(6) {
        Ok(ValueRef::Null) => {}
        Ok(ValueRef::Text(sha)) if sha == crate::capture::body_sha256(body.as_bytes()).as_bytes() => {}
        _ => {
            return Err(Unreadable {
                key,
                code: "local_report_corrupt",
                reason: "the stored report no longer matches its checksum",
            });
        }
    }
    Ok(PendingRow {
        id,
        reporter_id,
        body,
        attempts,
        next_attempt_at,
        photos,
    })
}

/// Parks an unreadable row by its raw key (which may itself be damaged text).
pub(crate) fn park_unreadable(tx: &Transaction<'_>, row: &Unreadable, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE report SET state = 'parked', last_error = ?2, parked_reason = ?3, updated_at = ?4,
                attempts = attempts + 1
         WHERE CAST(id AS BLOB) = ?1 AND state = 'pending'",
        params![row.key, row.code, row.reason, now],
    )?;
    Ok(())
}

pub(crate) fn mark_delivered(tx: &Transaction<'_>, id: &str, case_number: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE report SET state = 'delivered', delivered_at = ?2, case_number = ?3, updated_at = ?2,
                last_error = NULL, next_attempt_at = 0
         WHERE id = ?1 AND state = 'pending'",
        params![id, now, case_number],
    )?;
    Ok(())
}

/// Parks a report for good: `code` is the protocol's (or a local one), `reason` codes/fields only.
pub(crate) fn park(tx: &Transaction<'_>, id: &str, code: &str, reason: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE report SET state = 'parked', last_error = ?2, parked_reason = ?3, updated_at = ?4,
                attempts = attempts + 1
         WHERE id = ?1 AND state = 'pending'",
        params![id, code, reason, now],
    )?;
    Ok(())
}

pub(crate) fn record_failure(
    tx: &Transaction<'_>,
    id: &str,
    attempts: u32,
    error: &str,
    next_attempt_at: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE report SET attempts = ?2, last_error = ?3, next_attempt_at = ?4
         WHERE id = ?1 AND state = 'pending'",
        params![id, attempts, error, next_attempt_at],
    )?;
    Ok(())
}

/// (pending, delivered, parked)
pub(crate) fn counts(conn: &Connection) -> Result<(u32, u32, u32)> {
    Ok(conn.query_row(
        "SELECT count(*) FILTER (WHERE state = 'pending'),
                count(*) FILTER (WHERE state = 'delivered'),
                count(*) FILTER (WHERE state = 'parked')
         FROM report",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?)
}

pub(crate) fn oldest_pending_submitted_at(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.query_row(
        "SELECT min(submitted_at) FROM report WHERE state = 'pending'",
        [],
        |row| row.get(0),
    )?)
}

pub(crate) fn parked(conn: &Connection) -> Result<Vec<ParkedReport>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, coalesce(last_error, ''), coalesce(parked_reason, '') FROM report
         WHERE state = 'parked' ORDER BY submitted_at, id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(ParkedReport {
            report_id: crate::capture::lossy(row, 0)?,
            code: crate::capture::lossy(row, 1)?,
            reason: crate::capture::lossy(row, 2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Bytes still to send: the pending reports' bodies and their photos not yet confirmed.
pub(crate) fn bytes_waiting(conn: &Connection) -> Result<u64> {
    let confirmed = confirmed_photos(conn)?;
    let mut photos = HashSet::new();
    let mut total = 0u64;
    for row in pending(conn)?.0 {
        total += row.body.len() as u64;
        if let Ok(report) = serde_json::from_str::<SubmittedReport>(&row.body) {
            for photo in report.content.photos {
                if !confirmed.contains(&photo.sha256) && photos.insert(photo.sha256) {
                    total += photo.bytes;
                }
            }
        }
    }
    Ok(total)
}

pub(crate) fn confirmed_photos(conn: &Connection) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare_cached("SELECT sha256 FROM photo_upload")?;
    let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn confirm_photo(tx: &Transaction<'_>, sha256: &str, bytes: u64, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO photo_upload (sha256, bytes, completed_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (sha256) DO NOTHING",
        params![sha256, bytes as i64, now],
    )?;
    Ok(())
}

pub(crate) fn forget_photo(tx: &Transaction<'_>, sha256: &str) -> Result<()> {
    tx.execute("DELETE FROM photo_upload WHERE sha256 = ?1", [sha256])?;
    Ok(())
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

pub(crate) fn meta_set(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

pub(crate) fn meta_delete(tx: &Transaction<'_>, key: &str) -> Result<()> {
    tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    Ok(())
}

/// On a full disk the engine keeps sending: what it cannot record now (a delivery, a retry
/// count, a parking) is only bookkeeping, redone by the next run once space returns (a
/// delivered report is resent idempotently and answered with the same case number).
pub(crate) fn unless_full(result: Result<()>, what: &'static str) -> Result<()> {
    match result {
        Err(Error::StorageFull { .. }) => {
            tracing::warn!(what, "storage full: not recorded now; the next run records it");
            Ok(())
        }
        other => other,
    }
}

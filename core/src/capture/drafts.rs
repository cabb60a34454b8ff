//! Drafts, reports and the outbox in the store: the SQL of capture.
//!
//! A report is one row for its whole life (`state`: draft → pending → delivered | parked). As a
//! draft its body is the `Draft` JSON, rewritten whole inside one transaction at every change
//! (drafts are small, and a document can never be half-updated). `submit` turns the row into
//! a pending report in one UPDATE: the body becomes the `SubmittedReport` that is uploaded and
//! the searchable columns are filled. The pending rows are the outbox. Every body is written
//! with its SHA-256 (`body_sha256`, see [`body_sha256`]), which the sync engine verifies before
//! an upload.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Draft, EarlierReport, OutboxEntry, OutboxState, SubmittedReport};
use crate::{Error, Result};

/// The checksum stored with a body: SHA-256 of its UTF-8 bytes, lower-case hex.
pub(crate) fn body_sha256(body: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(body))
}

pub(crate) fn insert_draft(tx: &Transaction<'_>, draft: &Draft) -> Result<()> {
    let body = serde_json::to_string(draft)?;
    tx.execute(
        "INSERT INTO report (id, state, reporter_id, body, updated_at, body_sha256)
         VALUES (?1, 'draft', ?2, ?3, ?4, ?5)",
        params![
            draft.id,
            draft.content.reporter.reporter_id,
            body,
            draft.updated_at_ms,
            body_sha256(body.as_bytes())
        ],
    )?;
    Ok(())
}

pub(crate) fn load_draft(conn: &Connection, id: &str) -> Result<Draft> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM report WHERE id = ?1 AND state = 'draft'")?
        .query_row([id], |row| row.get(0))
        .optional()?;
    let body = body.ok_or_else(|| Error::UnknownCode {
        kind: "draft",
        code: id.into(),
    })?;
    Ok(serde_json::from_str(&body)?)
}

pub(crate) fn save_draft(tx: &Transaction<'_>, draft: &Draft) -> Result<()> {
    let body = serde_json::to_string(draft)?;
    tx.execute(
        "UPDATE report SET body = ?2, updated_at = ?3, body_sha256 = ?4 WHERE id = ?1 AND state = 'draft'",
        params![draft.id, body, draft.updated_at_ms, body_sha256(body.as_bytes())],
    )?;
    Ok(())
}

pub(crate) fn delete_draft(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM report WHERE id = ?1 AND state = 'draft'", [id])? > 0)
}

pub(crate) fn list_drafts(conn: &Connection) -> Result<Vec<Draft>> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM report WHERE state = 'draft' ORDER BY updated_at DESC, id")?;
    let bodies = stmt.query_map([], |row| row.get::<_, String>(0))?;
    bodies.map(|body| Ok(serde_json::from_str(&body?)?)).collect()
}

/// True once the report left the draft state (submitted, delivered or parked).
pub(crate) fn report_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM report WHERE id = ?1 AND state != 'draft'")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Reports of one subtype captured within `window_ms` of `around_ms` and within about
/// `radius_m` of the position, for the possible-duplicate hint. The distance here is the
/// equirectangular approximation (exact enough at tens of metres, and plain arithmetic that the
/// covering index can answer); validation then measures the candidates exactly.
pub(crate) struct NearbyQuery<'a> {
    pub subtype: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    pub around_ms: i64,
    pub window_ms: i64,
}

pub(crate) fn reports_nearby(conn: &Connection, query: &NearbyQuery<'_>) -> Result<Vec<EarlierReport>> {
    const METRES_PER_DEGREE: f64 = 111_320.0;
    // A little slack so the exact check, not this approximation, decides the edge cases.
    let radius_deg = query.radius_m * 1.05 / METRES_PER_DEGREE;
    let lon_scale = query.lat.to_radians().cos();
    let mut stmt = conn.prepare_cached(
        "SELECT id, subtype, lat, lon, captured_at FROM report
         WHERE subtype = ?1 AND lat BETWEEN ?4 - ?6 AND ?4 + ?6
           AND ((lat - ?4) * (lat - ?4) + (lon - ?5) * ?7 * (lon - ?5) * ?7) <= ?6 * ?6
           AND captured_at BETWEEN ?2 AND ?3
         LIMIT 8",
    )?;
    let rows = stmt.query_map(
        params![
            query.subtype,
            query.around_ms - query.window_ms,
            query.around_ms + query.window_ms,
            query.lat,
            query.lon,
            radius_deg,
            lon_scale
        ],
        |row| {
            Ok(EarlierReport {
                id: row.get(0)?,
                subtype: row.get(1)?,
                lat: row.get(2)?,
                lon: row.get(3)?,
                captured_at_ms: row.get(4)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Turns the draft row into a pending report: the outbox entry is this same row.
pub(crate) fn submit_draft(tx: &Transaction<'_>, report: &SubmittedReport, now_ms: i64) -> Result<()> {
    let body = serde_json::to_string(report)?;
    let changed = tx
        .prepare_cached(
            "UPDATE report SET state = 'pending', body = ?2, updated_at = ?3, subtype = ?4, problem = ?5,
                lat = ?6, lon = ?7, captured_at = ?8, photos = ?9, submitted_at = ?10, body_sha256 = ?11
         WHERE id = ?1 AND state = 'draft'",
        )?
        .execute(params![
            report.id,
            body,
            now_ms,
            report.subtype,
            report.problem,
            report.content.fix.map(|f| f.lat),
            report.content.fix.map(|f| f.lon),
            report.content.captured_at_ms,
            report.content.photos.len() as i64,
            report.submitted_at_ms,
            body_sha256(body.as_bytes()),
        ])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::UnknownCode {
            kind: "draft",
            code: report.id.clone(),
        })
    }
}

/// Pending reports without a signed claim (submitted before this device signed), in submit
/// order, with their stored body and checksum: `(body, body_sha256)`. A body that is not JSON
/// is left to the sync engine's parking.
pub(crate) fn unsigned_pending(conn: &Connection) -> Result<Vec<(String, Option<String>)>> {
    let mut stmt = conn.prepare(
        "SELECT body, body_sha256 FROM report
         WHERE state = 'pending'
           AND CASE WHEN json_valid(body) THEN json_type(body, '$.claim') IS NULL ELSE 0 END
         ORDER BY submitted_at, id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces a pending report's body (and its checksum) with `report`.
pub(crate) fn rewrite_pending_report(tx: &Transaction<'_>, report: &SubmittedReport) -> Result<()> {
    let body = serde_json::to_string(report)?;
    tx.execute(
        "UPDATE report SET body = ?2, body_sha256 = ?3 WHERE id = ?1 AND state = 'pending'",
        params![report.id, body, body_sha256(body.as_bytes())],
    )?;
    Ok(())
}

pub(crate) fn load_report(conn: &Connection, id: &str) -> Result<SubmittedReport> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM report WHERE id = ?1 AND state != 'draft'",
            [id],
            |row| row.get(0),
        )
        .optional()?;
    let body = body.ok_or_else(|| Error::UnknownCode {
        kind: "report",
        code: id.into(),
    })?;
    Ok(serde_json::from_str(&body)?)
}

pub(crate) fn list_outbox(conn: &Connection) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, subtype, problem, state, attempts, submitted_at, parked_reason, photos
         FROM report WHERE state != 'draft'
         ORDER BY submitted_at, id",
    )?;
    // Read leniently: a damaged text column shows as lossy text (the sync engine parks that
    // report), so one bad row never hides the rest of the queue.
    let rows = stmt.query_map([], |row| {
        Ok(OutboxEntry {
            report_id: lossy(row, 0)?,
            subtype: lossy(row, 1)?,
            problem: lossy(row, 2)?,
            state: OutboxState::parse(&lossy(row, 3)?),
            attempts: row.get(4)?,
            enqueued_at_ms: row.get(5)?,
            parked_reason: lossy_opt(row, 6)?,
            photos: row.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The photos the report rows refer to: `(keep_photo, keep_thumb)`. Every row keeps its
/// thumbnails; a delivered report keeps its full photos only when delivered at or after
/// `full_photos_delivered_since_ms` (drafts, pending and parked reports always keep them: they
/// may still be sent).
pub(crate) fn photo_references(
    conn: &Connection,
    full_photos_delivered_since_ms: i64,
) -> Result<(HashSet<String>, HashSet<String>)> {
    /// The part of a Draft or SubmittedReport body that names photos.
    #[derive(serde::Deserialize)]
    struct PhotoIds {
        photos: Vec<PhotoId>,
    }
    #[derive(serde::Deserialize)]
    struct PhotoId {
        sha256: String,
    }
    let mut stmt = conn.prepare("SELECT state, delivered_at, body FROM report")?;
    let mut rows = stmt.query([])?;
    let (mut photos, mut thumbs) = (HashSet::new(), HashSet::new());
    while let Some(row) = rows.next()? {
        let state: String = row.get(0)?;
        let delivered_at: Option<i64> = row.get(1)?;
        let body: String = row.get(2)?;
        let ids: PhotoIds = serde_json::from_str(&body)?;
        let keep_full =
            state != "delivered" || delivered_at.is_none_or(|t| t >= full_photos_delivered_since_ms);
        for photo in ids.photos {
            if keep_full {
                photos.insert(photo.sha256.clone());
            }
            thumbs.insert(photo.sha256);
        }
    }
    Ok((photos, thumbs))
}

/// Whether any report or draft names the photo (a scan: for failure paths only).
pub(crate) fn photo_is_referenced(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM report WHERE instr(body, ?1) > 0 LIMIT 1",
            [sha256],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A text column as text, invalid UTF-8 replaced (for listing, never for uploading).
pub(crate) fn lossy(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<String> {
    Ok(lossy_opt(row, index)?.unwrap_or_default())
}

pub(crate) fn lossy_opt(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(index)? {
        ValueRef::Null => None,
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
    })
}

//! The patrol upload queue's table, `patrol_upload`, and every SQL statement on it.
//!
//! One row per patrol the engine has started uploading: how many of its points the platform
//! confirmed (points `0 .. points_confirmed`, always whole from the start), the SHA-256 of the
//! patrol fields it last confirmed, and whether the patrol is done (stopped, every point and the
//! final fields confirmed) or parked (refused for good, with the protocol's code). A patrol with
//! no row has sent nothing yet. The points themselves are the recorder's (`track_point`): the
//! queue is a cursor over them, so nothing is copied and a kill -9 between a chunk's answer and
//! its record only means the same idempotent chunk is sent again. It does not decide what to
//! send (`sync::tracks`) nor own patrols or points (`track`).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Result;

/// The store's schema step for the upload queue (listed in `store::DEVICE_STEPS`; frozen).
pub(crate) const SCHEMA: &str = "
    CREATE TABLE patrol_upload (
        patrol_id        TEXT PRIMARY KEY REFERENCES patrol (id),
        -- Points 0 .. points_confirmed are on the platform.
        points_confirmed INTEGER NOT NULL DEFAULT 0,
        -- SHA-256 (hex) of the patrol fields (PUT /v1/patrols/{id} body) the platform confirmed.
        meta_sha256      TEXT,
        -- 1: stopped, and everything confirmed; never looked at again.
        done             INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
        -- Refused for good: the protocol's code and a reason (codes only).
        parked_code      TEXT,
        parked_reason    TEXT,
        updated_at       INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
";

/// Where one patrol's upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UploadState {
    pub points_confirmed: u64,
    pub meta_sha256: Option<String>,
}

/// Patrols with something left to send (not done, not parked), oldest first.
pub(super) fn due(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT p.id FROM patrol p LEFT JOIN patrol_upload u ON u.patrol_id = p.id
         WHERE COALESCE(u.done, 0) = 0 AND u.parked_code IS NULL
         ORDER BY p.started_at, p.id",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (patrols not yet wholly on the platform, patrols parked).
pub(super) fn counts(conn: &Connection) -> Result<(u32, u32)> {
    Ok(conn.query_row(
        "SELECT
             (SELECT count(*) FROM patrol p LEFT JOIN patrol_upload u ON u.patrol_id = p.id
              WHERE COALESCE(u.done, 0) = 0 AND u.parked_code IS NULL),
             (SELECT count(*) FROM patrol_upload WHERE parked_code IS NOT NULL)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

pub(super) fn state(conn: &Connection, patrol_id: &str) -> Result<UploadState> {
    let row = conn
        .query_row(
            "SELECT points_confirmed, meta_sha256 FROM patrol_upload WHERE patrol_id = ?1",
            [patrol_id],
            |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((points, meta_sha256)) => UploadState {
            points_confirmed: points.max(0) as u64,
            meta_sha256,
        },
        None => UploadState {
            points_confirmed: 0,
            meta_sha256: None,
        },
    })
}

fn ensure_row(tx: &Transaction<'_>, patrol_id: &str, now: i64) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO patrol_upload (patrol_id, updated_at) VALUES (?1, ?2)",
        params![patrol_id, now],
    )?;
    Ok(())
}

/// The platform confirmed these patrol fields (`None`: it has lost them; send them again).
pub(super) fn record_meta(
    tx: &Transaction<'_>,
    patrol_id: &str,
    sha256: Option<&str>,
    now: i64,
) -> Result<()> {
    ensure_row(tx, patrol_id, now)?;
    tx.execute(
        "UPDATE patrol_upload SET meta_sha256 = ?2, updated_at = ?3 WHERE patrol_id = ?1",
        params![patrol_id, sha256, now],
    )?;
    Ok(())
}

/// The platform holds points `0 .. confirmed` (never moves back).
pub(super) fn record_points(tx: &Transaction<'_>, patrol_id: &str, confirmed: u64, now: i64) -> Result<()> {
    ensure_row(tx, patrol_id, now)?;
    tx.execute(
        "UPDATE patrol_upload SET points_confirmed = max(points_confirmed, ?2), updated_at = ?3
         WHERE patrol_id = ?1",
        params![patrol_id, confirmed as i64, now],
    )?;
    Ok(())
}

pub(super) fn mark_done(tx: &Transaction<'_>, patrol_id: &str, now: i64) -> Result<()> {
    ensure_row(tx, patrol_id, now)?;
    tx.execute(
        "UPDATE patrol_upload SET done = 1, updated_at = ?2 WHERE patrol_id = ?1",
        params![patrol_id, now],
    )?;
    Ok(())
}

pub(super) fn park(tx: &Transaction<'_>, patrol_id: &str, code: &str, reason: &str, now: i64) -> Result<()> {
    ensure_row(tx, patrol_id, now)?;
    tx.execute(
        "UPDATE patrol_upload SET parked_code = ?2, parked_reason = ?3, updated_at = ?4
         WHERE patrol_id = ?1",
        params![patrol_id, code, reason, now],
    )?;
    Ok(())
}

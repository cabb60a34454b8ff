//! The patrol tables and every SQL statement on them. Callers pass the connection or the
//! transaction the [`Store`](crate::store::Store) gave them; nothing here opens one.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{FilterCounts, Patrol, PatrolState, SegmentStart, TrackPoint, TravelMode};
use crate::capture::Reporter;
use crate::taxonomy::Role;
use crate::{Error, Result};

/// The store's schema step for patrols (v5, listed in `store::DEVICE_STEPS`; frozen).
pub(crate) const SCHEMA: &str = "
    CREATE TABLE patrol (
        -- Device-made id (UUID v7).
        id              TEXT PRIMARY KEY,
        reporter_id     TEXT NOT NULL,
        role            TEXT NOT NULL,
        -- The worker's own grid ids, a JSON array of strings.
        grid_ids        TEXT NOT NULL,
        mode            TEXT NOT NULL,
        interval_ms     INTEGER NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('active', 'paused', 'stopped')),
        started_at      INTEGER NOT NULL,
        paused_at       INTEGER,
        stopped_at      INTEGER,
        -- 1 after a resume until the next kept fix (which then starts a segment after a pause).
        resume_break    INTEGER NOT NULL DEFAULT 0 CHECK (resume_break IN (0, 1)),
        -- Refusals counted up to the last durable batch (kept and mock fixes are counted from
        -- track_point, so a batch of kept fixes writes only its points).
        rej_accuracy    INTEGER NOT NULL DEFAULT 0,
        rej_jump        INTEGER NOT NULL DEFAULT 0,
        rej_duplicate   INTEGER NOT NULL DEFAULT 0,
        rej_out_of_order INTEGER NOT NULL DEFAULT 0,
        while_paused    INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    -- At most one open (active or paused) patrol per device.
    CREATE UNIQUE INDEX patrol_one_open ON patrol (state = 'stopped') WHERE state != 'stopped';
    -- Kept fixes only (rejected ones are counted on the patrol row), in time order.
    CREATE TABLE track_point (
        patrol_id   TEXT NOT NULL REFERENCES patrol (id),
        seq         INTEGER NOT NULL,
        fix_time    INTEGER NOT NULL,
        lat         REAL NOT NULL,
        lon         REAL NOT NULL,
        accuracy_m  REAL NOT NULL,
        is_mock     INTEGER NOT NULL CHECK (is_mock IN (0, 1)),
        segment     INTEGER NOT NULL,
        -- How this point follows the previous one: continues, first, gap, pause or jump.
        starts      TEXT NOT NULL,
        PRIMARY KEY (patrol_id, seq)
    ) STRICT, WITHOUT ROWID;
";

const PATROL_COLUMNS: &str = "id, reporter_id, role, grid_ids, mode, interval_ms, state, started_at, \
    paused_at, stopped_at, resume_break, \
    (SELECT count(*) FROM track_point WHERE patrol_id = patrol.id), \
    (SELECT count(*) FROM track_point WHERE patrol_id = patrol.id AND is_mock = 1), \
    rej_accuracy, rej_jump, rej_duplicate, rej_out_of_order, while_paused";

/// A patrol row with the recorder's private columns.
pub(crate) struct PatrolRow {
    pub patrol: Patrol,
    pub resume_break: bool,
}

fn corrupt(what: &'static str) -> Error {
    Error::InvalidArgument {
        field: what,
        reason: "stored value not understood".into(),
    }
}

/// Counts and sequence numbers are stored as SQLite integers (i64) and never negative.
fn count(row: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    row.get::<_, i64>(i).map(|v| v.max(0) as u64)
}

fn patrol_row(row: &Row<'_>) -> rusqlite::Result<(PatrolRowRaw, FilterCounts)> {
    Ok((
        PatrolRowRaw {
            id: row.get(0)?,
            reporter_id: row.get(1)?,
            role: row.get(2)?,
            grid_ids: row.get(3)?,
            mode: row.get(4)?,
            interval_ms: row.get(5)?,
            state: row.get(6)?,
            started_at: row.get(7)?,
            paused_at: row.get(8)?,
            stopped_at: row.get(9)?,
            resume_break: row.get(10)?,
        },
        FilterCounts {
            kept: count(row, 11)?,
            mock: count(row, 12)?,
            accuracy: count(row, 13)?,
            jump: count(row, 14)?,
            duplicate: count(row, 15)?,
            out_of_order: count(row, 16)?,
            while_paused: count(row, 17)?,
        },
    ))
}

struct PatrolRowRaw {
    id: String,
    reporter_id: String,
    role: String,
    grid_ids: String,
    mode: String,
    interval_ms: u32,
    state: String,
    started_at: i64,
    paused_at: Option<i64>,
    stopped_at: Option<i64>,
    resume_break: bool,
}

fn finish(raw: PatrolRowRaw, counts: FilterCounts) -> Result<PatrolRow> {
    let grid_ids: Vec<String> = serde_json::from_str(&raw.grid_ids)?;
    Ok(PatrolRow {
        patrol: Patrol {
            id: raw.id,
            reporter: Reporter {
                reporter_id: raw.reporter_id,
                role: Role::parse(&raw.role).ok_or_else(|| corrupt("patrol.role"))?,
                grid_ids,
            },
            mode: TravelMode::parse(&raw.mode).ok_or_else(|| corrupt("patrol.mode"))?,
            expected_interval_ms: raw.interval_ms,
            state: PatrolState::parse(&raw.state).ok_or_else(|| corrupt("patrol.state"))?,
            started_at_ms: raw.started_at,
            paused_at_ms: raw.paused_at,
            stopped_at_ms: raw.stopped_at,
            counts,
        },
        resume_break: raw.resume_break,
    })
}

pub(crate) fn load_patrol(conn: &Connection, id: &str) -> Result<Option<PatrolRow>> {
    let sql = format!("SELECT {PATROL_COLUMNS} FROM patrol WHERE id = ?1");
    match conn.query_row(&sql, [id], patrol_row).optional()? {
        Some((raw, counts)) => finish(raw, counts).map(Some),
        None => Ok(None),
    }
}

/// The open (active or paused) patrol, if any.
pub(crate) fn load_open_patrol(conn: &Connection) -> Result<Option<PatrolRow>> {
    let sql = format!("SELECT {PATROL_COLUMNS} FROM patrol WHERE state != 'stopped'");
    match conn.query_row(&sql, [], patrol_row).optional()? {
        Some((raw, counts)) => finish(raw, counts).map(Some),
        None => Ok(None),
    }
}

/// The most recently started patrol, open or not.
pub(crate) fn latest_patrol_id(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT id FROM patrol ORDER BY started_at DESC, id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn insert_patrol(conn: &Connection, p: &Patrol) -> Result<()> {
    conn.execute(
        "INSERT INTO patrol (id, reporter_id, role, grid_ids, mode, interval_ms, state, started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            p.id,
            p.reporter.reporter_id,
            p.reporter.role.as_str(),
            serde_json::to_string(&p.reporter.grid_ids)?,
            p.mode.as_str(),
            p.expected_interval_ms,
            p.state.as_str(),
            p.started_at_ms
        ],
    )?;
    Ok(())
}

/// Writes the patrol's state columns and refusal counts.
pub(crate) fn save_patrol(conn: &Connection, p: &Patrol, resume_break: bool) -> Result<()> {
    let c = &p.counts;
    conn.execute(
        "UPDATE patrol SET state = ?2, paused_at = ?3, stopped_at = ?4, resume_break = ?5,
             rej_accuracy = ?6, rej_jump = ?7, rej_duplicate = ?8, rej_out_of_order = ?9,
             while_paused = ?10
         WHERE id = ?1",
        params![
            p.id,
            p.state.as_str(),
            p.paused_at_ms,
            p.stopped_at_ms,
            resume_break,
            c.accuracy as i64,
            c.jump as i64,
            c.duplicate as i64,
            c.out_of_order as i64,
            c.while_paused as i64
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_points(conn: &Connection, patrol_id: &str, points: &[TrackPoint]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO track_point (patrol_id, seq, fix_time, lat, lon, accuracy_m, is_mock, segment, starts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for p in points {
        stmt.execute(params![
            patrol_id,
            p.seq as i64,
            p.time_ms,
            p.lat,
            p.lon,
            p.accuracy_m,
            p.is_mock,
            p.segment,
            p.starts.as_str()
        ])?;
    }
    Ok(())
}

fn point_row(row: &Row<'_>) -> rusqlite::Result<(TrackPoint, String)> {
    Ok((
        TrackPoint {
            seq: count(row, 0)?,
            time_ms: row.get(1)?,
            lat: row.get(2)?,
            lon: row.get(3)?,
            accuracy_m: row.get(4)?,
            is_mock: row.get(5)?,
            segment: row.get(6)?,
            starts: SegmentStart::Continues,
        },
        row.get(7)?,
    ))
}

const POINT_COLUMNS: &str = "seq, fix_time, lat, lon, accuracy_m, is_mock, segment, starts";

fn with_starts((mut point, starts): (TrackPoint, String)) -> Result<TrackPoint> {
    point.starts = SegmentStart::parse(&starts).ok_or_else(|| corrupt("track_point.starts"))?;
    Ok(point)
}

pub(crate) fn last_point(conn: &Connection, patrol_id: &str) -> Result<Option<TrackPoint>> {
    let sql =
        format!("SELECT {POINT_COLUMNS} FROM track_point WHERE patrol_id = ?1 ORDER BY seq DESC LIMIT 1");
    conn.query_row(&sql, [patrol_id], point_row)
        .optional()?
        .map(with_starts)
        .transpose()
}

/// Every stored point of a patrol, in order.
pub(crate) fn load_points(conn: &Connection, patrol_id: &str) -> Result<Vec<TrackPoint>> {
    let sql = format!("SELECT {POINT_COLUMNS} FROM track_point WHERE patrol_id = ?1 ORDER BY seq");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([patrol_id], point_row)?;
    rows.map(|r| with_starts(r?)).collect()
}

/// Up to `limit` stored points of a patrol from `from_seq` on, in order (one upload chunk).
pub(crate) fn load_points_from(
    conn: &Connection,
    patrol_id: &str,
    from_seq: u64,
    limit: u64,
) -> Result<Vec<TrackPoint>> {
    let sql = format!(
        "SELECT {POINT_COLUMNS} FROM track_point WHERE patrol_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![patrol_id, from_seq as i64, limit as i64], point_row)?;
    rows.map(|r| with_starts(r?)).collect()
}

/// Submitted reports by this reporter captured within `[from_ms, to_ms]`: the reports of a
/// patrol (see the module doc for why the link is reporter + time window).
pub(crate) fn reports_in_window(
    conn: &Connection,
    reporter_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM report
         WHERE reporter_id = ?1 AND state != 'draft' AND captured_at BETWEEN ?2 AND ?3
         ORDER BY captured_at, id",
    )?;
    let rows = stmt.query_map(params![reporter_id, from_ms, to_ms], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

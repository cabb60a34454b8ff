//! Patrols and their tracks: what devices upload of them and what the command centre reads.
//!
//! Owns the `patrol` and `patrol_chunk` tables and four endpoints:
//! - `PUT /v1/patrols/{id}`: a patrol's fields (created 201, moved on 200; who, how and when
//!   it started never change, and a stopped patrol is final: 409 `patrol_conflict`);
//! - `PUT /v1/patrols/{id}/chunks/{n}`: points `n·500 ..` (idempotent: the same chunk again,
//!   or an older, shorter version of it, stores nothing; a longer version of the last chunk
//!   replaces it; a different one is 409 `chunk_conflict`; chunk `n` needs chunk `n-1` whole,
//!   else 409 `chunk_out_of_order`, so the points arrive in order);
//! - `GET /v1/patrols/{id}`: the patrol with its live position and the figures, computed with
//!   the core's `track::figures::compute` on the platform's grid package;
//! - `GET /v1/patrols`: the patrols a viewer may see, newest first (active ones only with
//!   `active=true`: the dispatch view).
//!
//! What a chunk or the fields must satisfy is `gridpatrol_core::track::wire`, the rules the
//! device checks with too. The device that first sent a patrol owns it; another device gets
//! 404 for it, as for a patrol that does not exist. A patrol's reporter claim is held to the
//! device's worker like a report's (`binding::authorize`). It does not own devices (`auth`)
//! nor reports.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use gridpatrol_core::track::figures::{self, PatrolFigures};
use gridpatrol_core::track::wire::{self, CHUNK_POINTS, MetaChange, PatrolMeta, TrackChunk, WireError};
use gridpatrol_core::track::{PatrolState, TrackPoint};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::auth::{Device, Viewer};
use crate::problem::{ApiError, ApiResult, Path, Query};
use crate::{Inner, binding, blocking, now_ms, parse_json, read_body};

/// The answer to `PUT /v1/patrols/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatrolReceipt {
    pub patrol_id: String,
    pub state: PatrolState,
    /// Points the platform holds of this patrol.
    pub points: u64,
}

/// The answer to `PUT /v1/patrols/{id}/chunks/{n}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChunkReceipt {
    pub patrol_id: String,
    pub chunk: u64,
    /// Points held of this chunk after the upload.
    pub chunk_points: u64,
    /// Points held of the whole patrol.
    pub points: u64,
}

/// The newest point of a patrol and when it reached the platform.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LivePosition {
    pub t_ms: i64,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    /// Always `wgs84`.
    pub datum: String,
    pub received_at_ms: i64,
}

/// One patrol in a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatrolSummary {
    pub patrol_id: String,
    pub device_id: String,
    pub reporter_id: String,
    pub state: PatrolState,
    /// Not stopped (active or paused).
    pub active: bool,
    pub started_at_ms: i64,
    pub stopped_at_ms: Option<i64>,
    pub points: u64,
    pub duplicate_uploads: u64,
    pub live: Option<LivePosition>,
}

/// `GET /v1/patrols/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct PatrolView {
    #[serde(flatten)]
    pub summary: PatrolSummary,
    pub meta: PatrolMeta,
    pub figures: PatrolFigures,
}

/// `GET /v1/patrols`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatrolList {
    pub patrols: Vec<PatrolSummary>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

fn invalid(error: WireError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "track_invalid",
        "Unprocessable content",
        error.to_string(),
    )
    .with("reason", error.code())
}

fn not_found() -> ApiError {
    ApiError::not_found("patrol_not_found", "No such patrol from this device")
}

fn conflict(code: &'static str, detail: &'static str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, "Conflict", detail)
}

fn checked_id(id: &str) -> ApiResult<()> {
    wire::check_patrol_id(id).map_err(|_| {
        ApiError::bad_request(
            "bad_patrol_id",
            "A patrol id is 1 to 64 letters, digits, '-' or '_'",
        )
    })
}

/// `PUT /v1/patrols/{id}`.
pub(crate) async fn put_patrol(
    device: Device,
    State(state): State<crate::State>,
    Path(patrol_id): Path<String>,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<PatrolReceipt>)> {
    checked_id(&patrol_id)?;
    let bytes = read_body(body, state.config.limits.small_json_bytes).await?;
    let meta: PatrolMeta = parse_json(&bytes)?;
    if meta.patrol_id != patrol_id {
        return Err(ApiError::bad_request(
            "patrol_id_mismatch",
            "The patrol's id differs from the id in the URL",
        ));
    }
    wire::check_meta(&meta).map_err(invalid)?;
    blocking(move || receive_meta(&state, &device.id, meta)).await
}

fn receive_meta(
    state: &Inner,
    device: &str,
    meta: PatrolMeta,
) -> ApiResult<(StatusCode, axum::Json<PatrolReceipt>)> {
    state
        .db
        .read(|c| binding::authorize(state, c, device, &meta.reporter))?;
    let now = now_ms();
    let json = serde_json::to_string(&meta).expect("patrol fields serialize");
    let status = state.db.write(|tx| {
        let stored: Option<(String, String, i64)> = tx
            .query_row(
                "SELECT device_id, meta, points FROM patrol WHERE id = ?1",
                [&meta.patrol_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((owner, stored, _)) = stored else {
            tx.execute(
                "INSERT INTO patrol (id, device_id, reporter_id, meta, state, started_at, stopped_at,
                                     received_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    meta.patrol_id,
                    device,
                    meta.reporter.reporter_id,
                    json,
                    meta.state.as_str(),
                    meta.started_at_ms,
                    meta.stopped_at_ms,
                    now
                ],
            )?;
            return Ok(StatusCode::CREATED);
        };
        if owner != device {
            return Err(conflict(
                "patrol_conflict",
                "This patrol id belongs to another device",
            ));
        }
        let stored: PatrolMeta = serde_json::from_str(&stored)
            .map_err(|_| ApiError::internal("stored patrol fields do not parse"))?;
        match wire::meta_change(&stored, &meta) {
            MetaChange::Same => {
                tx.execute(
                    "UPDATE patrol SET duplicate_uploads = duplicate_uploads + 1 WHERE id = ?1",
                    [&meta.patrol_id],
                )?;
                Ok(StatusCode::OK)
            }
            MetaChange::Conflict => Err(conflict(
                "patrol_conflict",
                "The patrol's reporter, mode or start differ from what was stored, or it is stopped already",
            )),
            MetaChange::Newer => {
                tx.execute(
                    "UPDATE patrol SET meta = ?2, state = ?3, stopped_at = ?4, updated_at = ?5 WHERE id = ?1",
                    params![meta.patrol_id, json, meta.state.as_str(), meta.stopped_at_ms, now],
                )?;
                Ok(StatusCode::OK)
            }
        }
    })?;
    let points = state.db.read(|c| patrol_points(c, &meta.patrol_id))?;
    tracing::info!(patrol_id = %meta.patrol_id, device_id = %device, state = meta.state.as_str(), status = status.as_u16(), "patrol fields received");
    Ok((
        status,
        axum::Json(PatrolReceipt {
            patrol_id: meta.patrol_id,
            state: meta.state,
            points,
        }),
    ))
}

fn patrol_points(conn: &Connection, id: &str) -> ApiResult<u64> {
    let n: i64 = conn.query_row("SELECT points FROM patrol WHERE id = ?1", [id], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// `PUT /v1/patrols/{id}/chunks/{n}`.
pub(crate) async fn put_chunk(
    device: Device,
    State(state): State<crate::State>,
    Path((patrol_id, n)): Path<(String, u64)>,
    body: Body,
) -> ApiResult<axum::Json<ChunkReceipt>> {
    checked_id(&patrol_id)?;
    let bytes = read_body(body, state.config.limits.report_bytes).await?;
    let chunk: TrackChunk = parse_json(&bytes)?;
    wire::check_chunk(n, &chunk).map_err(invalid)?;
    let receipt = blocking(move || {
        state
            .db
            .write(|tx| receive_chunk(tx, &device.id, &patrol_id, n, &chunk.points))
    })
    .await?;
    Ok(axum::Json(receipt))
}

/// How an uploaded chunk relates to the stored one.
#[derive(Debug, PartialEq, Eq)]
enum ChunkChange {
    New,
    /// The same points, or an older (shorter) version of the stored ones: nothing to store.
    Held,
    /// The stored points are a prefix of the new ones: the tail grew.
    Grown,
    Conflict,
}

fn chunk_change(stored: Option<&[TrackPoint]>, new: &[TrackPoint]) -> ChunkChange {
    match stored {
        None => ChunkChange::New,
        Some(old) if new.len() <= old.len() && old.starts_with(new) => ChunkChange::Held,
        Some(old) if new.starts_with(old) => ChunkChange::Grown,
        Some(_) => ChunkChange::Conflict,
    }
}

fn receive_chunk(
    tx: &Transaction<'_>,
    device: &str,
    patrol_id: &str,
    n: u64,
    points: &[TrackPoint],
) -> ApiResult<ChunkReceipt> {
    let owner: Option<String> = tx
        .query_row("SELECT device_id FROM patrol WHERE id = ?1", [patrol_id], |r| {
            r.get(0)
        })
        .optional()?;
    if owner.as_deref() != Some(device) {
        return Err(not_found());
    }
    if n > 0 {
        let before: Option<i64> = tx
            .query_row(
                "SELECT points FROM patrol_chunk WHERE patrol_id = ?1 AND chunk = ?2",
                params![patrol_id, (n - 1) as i64],
                |r| r.get(0),
            )
            .optional()?;
        if before != Some(CHUNK_POINTS as i64) {
            return Err(conflict(
                "chunk_out_of_order",
                "The chunk before this one is not complete on the platform; send it first",
            ));
        }
    }
    let stored: Option<String> = tx
        .query_row(
            "SELECT body FROM patrol_chunk WHERE patrol_id = ?1 AND chunk = ?2",
            params![patrol_id, n as i64],
            |r| r.get(0),
        )
        .optional()?;
    let stored: Option<Vec<TrackPoint>> = stored
        .map(|body| serde_json::from_str(&body))
        .transpose()
        .map_err(|_| ApiError::internal("a stored chunk does not parse"))?;
    let now = now_ms();
    let body = serde_json::to_string(points).expect("track points serialize");
    match chunk_change(stored.as_deref(), points) {
        ChunkChange::Conflict => {
            return Err(conflict(
                "chunk_conflict",
                "The platform holds different points under this chunk number",
            ));
        }
        ChunkChange::Held => {
            tx.execute(
                "UPDATE patrol SET duplicate_uploads = duplicate_uploads + 1 WHERE id = ?1",
                [patrol_id],
            )?;
        }
        ChunkChange::New => {
            tx.execute(
                "INSERT INTO patrol_chunk (patrol_id, chunk, points, body, received_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![patrol_id, n as i64, points.len() as i64, body, now],
            )?;
        }
        ChunkChange::Grown => {
            tx.execute(
                "UPDATE patrol_chunk SET points = ?3, body = ?4, updated_at = ?5
                 WHERE patrol_id = ?1 AND chunk = ?2",
                params![patrol_id, n as i64, points.len() as i64, body, now],
            )?;
        }
    }
    tx.execute(
        "UPDATE patrol SET
             points = (SELECT COALESCE(sum(points), 0) FROM patrol_chunk WHERE patrol_id = ?1)
         WHERE id = ?1",
        [patrol_id],
    )?;
    if let Some(last) = points.last() {
        tx.execute(
            "UPDATE patrol SET live_t = ?2, live_lat = ?3, live_lon = ?4, live_accuracy_m = ?5,
                 live_received_at = ?6, updated_at = ?6
             WHERE id = ?1 AND (live_t IS NULL OR live_t < ?2)",
            params![patrol_id, last.time_ms, last.lat, last.lon, last.accuracy_m, now],
        )?;
    }
    let chunk_points: i64 = tx.query_row(
        "SELECT points FROM patrol_chunk WHERE patrol_id = ?1 AND chunk = ?2",
        params![patrol_id, n as i64],
        |r| r.get(0),
    )?;
    let receipt = ChunkReceipt {
        patrol_id: patrol_id.to_owned(),
        chunk: n,
        chunk_points: chunk_points.max(0) as u64,
        points: patrol_points(tx, patrol_id)?,
    };
    tracing::debug!(
        patrol_id,
        chunk = n,
        points = receipt.points,
        "track chunk received"
    );
    Ok(receipt)
}

const SUMMARY_COLUMNS: &str = "id, device_id, reporter_id, state, started_at, stopped_at, points, \
    duplicate_uploads, live_t, live_lat, live_lon, live_accuracy_m, live_received_at";

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(PatrolSummary, String)> {
    let state: String = r.get(3)?;
    let live_t: Option<i64> = r.get(8)?;
    let live = match live_t {
        Some(t_ms) => Some(LivePosition {
            t_ms,
            lat: r.get(9)?,
            lon: r.get(10)?,
            accuracy_m: r.get(11)?,
            datum: "wgs84".into(),
            received_at_ms: r.get(12)?,
        }),
        None => None,
    };
    Ok((
        PatrolSummary {
            patrol_id: r.get(0)?,
            device_id: r.get(1)?,
            reporter_id: r.get(2)?,
            state: PatrolState::Active,
            active: state != "stopped",
            started_at_ms: r.get(4)?,
            stopped_at_ms: r.get(5)?,
            points: r.get::<_, i64>(6)?.max(0) as u64,
            duplicate_uploads: r.get::<_, i64>(7)?.max(0) as u64,
            live,
        },
        state,
    ))
}

fn with_state((mut summary, state): (PatrolSummary, String)) -> ApiResult<PatrolSummary> {
    summary.state =
        PatrolState::parse(&state).ok_or_else(|| ApiError::internal("a stored patrol state is unknown"))?;
    Ok(summary)
}

/// `GET /v1/patrols/{id}`: the admin, or the device that sent it.
pub(crate) async fn get_patrol(
    viewer: Viewer,
    State(state): State<crate::State>,
    Path(patrol_id): Path<String>,
) -> ApiResult<axum::Json<PatrolView>> {
    checked_id(&patrol_id)?;
    let view = blocking(move || read_view(&state, &viewer, &patrol_id)).await?;
    Ok(axum::Json(view))
}

/// A patrol with its figures, as `viewer` may see it (404 otherwise).
pub(crate) fn read_view(state: &Inner, viewer: &Viewer, patrol_id: &str) -> ApiResult<PatrolView> {
    let (summary, meta, points) = state.db.read(|c| {
        let sql = format!("SELECT {SUMMARY_COLUMNS}, meta FROM patrol WHERE id = ?1");
        let row = c
            .query_row(&sql, [patrol_id], |r| {
                Ok((summary_row(r)?, r.get::<_, String>(13)?))
            })
            .optional()?;
        let Some((summary, meta)) = row else {
            return Err(not_found());
        };
        let summary = with_state(summary)?;
        if !viewer.may_see(&summary.device_id) {
            return Err(not_found());
        }
        Ok((summary, meta, load_track(c, patrol_id)?))
    })?;
    let meta: PatrolMeta =
        serde_json::from_str(&meta).map_err(|_| ApiError::internal("stored patrol fields do not parse"))?;
    let grids = state.grids.as_ref().map(|g| &g.index);
    let patrol = meta.to_patrol();
    let now = now_ms();
    let mut figures = figures::compute(&patrol, &points, grids, now, &Default::default());
    let (from, to) = patrol.report_window(now);
    figures.linked_reports = state
        .db
        .read(|c| linked_reports(c, &summary.device_id, &patrol.reporter.reporter_id, from, to))?;
    Ok(PatrolView {
        summary,
        meta,
        figures,
    })
}

/// The reports this device delivered for the patrol's reporter captured within the window
/// (`Patrol::report_window`), in capture order: the device's own rule, over the platform's rows.
fn linked_reports(
    conn: &Connection,
    device_id: &str,
    reporter_id: &str,
    from: i64,
    to: i64,
) -> ApiResult<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM report
         WHERE device_id = ?1 AND json_extract(body, '$.reporter.reporter_id') = ?2
           AND json_extract(body, '$.captured_at_ms') BETWEEN ?3 AND ?4
         ORDER BY json_extract(body, '$.captured_at_ms'), id",
    )?;
    let rows = stmt.query_map(rusqlite::params![device_id, reporter_id, from, to], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

/// Every stored point of a patrol, in order (at most `MAX_CHUNKS` × 500).
fn load_track(conn: &Connection, patrol_id: &str) -> ApiResult<Vec<TrackPoint>> {
    let mut stmt = conn.prepare("SELECT body FROM patrol_chunk WHERE patrol_id = ?1 ORDER BY chunk")?;
    let mut points = Vec::new();
    for body in stmt.query_map([patrol_id], |r| r.get::<_, String>(0))? {
        let chunk: Vec<TrackPoint> =
            serde_json::from_str(&body?).map_err(|_| ApiError::internal("a stored chunk does not parse"))?;
        points.extend(chunk);
    }
    Ok(points)
}

/// `GET /v1/patrols?active=&device=&limit=`: newest first; a device sees its own, the admin all
/// (or one device's with `device`).
pub(crate) async fn list(
    viewer: Viewer,
    State(state): State<crate::State>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<PatrolList>> {
    let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 500));
    let device = match &viewer {
        Viewer::Admin => query.device,
        Viewer::Device(device) => Some(device.id.clone()),
    };
    let active_only = query.active.unwrap_or(false);
    let patrols = blocking(move || {
        state.db.read(|c| {
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM patrol
                 WHERE (?1 IS NULL OR device_id = ?1) AND (?2 = 0 OR state != 'stopped')
                 ORDER BY started_at DESC, id DESC LIMIT ?3"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params![device, active_only, limit], summary_row)?;
            rows.map(|r| with_state(r?)).collect::<ApiResult<Vec<_>>>()
        })
    })
    .await?;
    Ok(axum::Json(PatrolList { patrols }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridpatrol_core::track::SegmentStart;

    fn points(n: usize) -> Vec<TrackPoint> {
        (0..n)
            .map(|i| TrackPoint {
                seq: i as u64,
                time_ms: 1_000 * i as i64,
                lat: 31.3,
                lon: 120.6 + i as f64 * 1e-5,
                accuracy_m: 5.0,
                is_mock: false,
                segment: 0,
                starts: SegmentStart::Continues,
            })
            .collect()
    }

    #[test]
    fn a_chunk_is_new_held_grown_or_in_conflict() {
        let ten = points(10);
        assert_eq!(chunk_change(None, &ten), ChunkChange::New);
        assert_eq!(chunk_change(Some(&ten), &ten), ChunkChange::Held);
        // An older, shorter version of the tail arriving late stores nothing.
        assert_eq!(chunk_change(Some(&ten), &ten[..4]), ChunkChange::Held);
        let twelve = points(12);
        assert_eq!(chunk_change(Some(&ten), &twelve), ChunkChange::Grown);
        let mut moved = twelve.clone();
        moved[3].lat += 0.001;
        assert_eq!(chunk_change(Some(&ten), &moved), ChunkChange::Conflict);
        assert_eq!(chunk_change(Some(&ten), &moved[..5]), ChunkChange::Conflict);
    }
}

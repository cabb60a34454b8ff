//! Reports: idempotent upload keyed by the device-made id, validation, case numbers, status.
//!
//! Owns the `report`, `report_photo` and `case_sequence` tables. `PUT /v1/reports/{id}` runs
//! the device's own rule set (`gridpatrol_core::capture::validate_submitted`, and
//! `check_component` when the platform serves a component package) against the event
//! list the report names (or the current one when the platform lacks it), checks that every photo
//! is complete, and stores the report once: the same id with the same content (compared by the
//! SHA-256 of its key-sorted canonical JSON) gets the same answer again, different content gets
//! 409. It also answers a device's status queries about its own reports. `receive` is that
//! upload after the body is parsed, shared with the batch upload of [`crate::report_batch`].
//! Ids are the device's (`gridpatrol_core::ids`): any other report or photo id is refused
//! before anything is looked up or stored. A device bound to a worker may only file as that
//! worker (`binding::authorize`, 403 `binding_mismatch`, before validation). A body is stored as the typed report re-serialized:
//! fields this platform does not know are dropped, never stored. It does not change a report's
//! status: `admin` does, through [`set_status`].

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use gridpatrol_core::capture::{CLOCK_OFFSET_HEADER, SubmittedReport, clock_skew_s, validate_submitted};
use rusqlite::{Connection, OptionalExtension as _, Transaction};
use serde::{Deserialize, Serialize};

use crate::auth::Device;
use crate::binding;
use crate::claims;
use crate::db::bump;
use crate::problem::{ApiError, ApiResult, Path, Query};
use crate::{Inner, blocking, now_ms, photos, read_body, utf8_body};

/// Where a report is on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    Received,
    Dispatched,
    Rejected,
}

impl ReportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Received => "received",
            ReportState::Dispatched => "dispatched",
            ReportState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> ReportState {
        match s {
            "dispatched" => ReportState::Dispatched,
            "rejected" => ReportState::Rejected,
            _ => ReportState::Received,
        }
    }
}

/// What the platform says about one report: the upload answer and the status answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportStatus {
    pub report_id: String,
    pub case_number: String,
    pub status: ReportState,
    /// Why it was rejected (set with `rejected`).
    pub reason: Option<String>,
    pub received_at_ms: i64,
    pub updated_at_ms: i64,
    /// This report's position in the device's change feed (`GET /v1/reports?since=`).
    pub cursor: i64,
}

/// The SHA-256 of a report's canonical JSON: the typed report re-serialized with every object's
/// keys sorted, no whitespace. Unknown fields are not part of it.
pub fn canonical_sha256(report: &SubmittedReport) -> String {
    let value = serde_json::to_value(report).expect("a report always serializes");
    gridpatrol_core::canonical::canonical_sha256(&value)
}

const STATUS_COLUMNS: &str = "id, case_number, status, reason, received_at, updated_at, seq";

fn status_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportStatus> {
    Ok(ReportStatus {
        report_id: r.get(0)?,
        case_number: r.get(1)?,
        status: ReportState::parse(&r.get::<_, String>(2)?),
        reason: r.get(3)?,
        received_at_ms: r.get(4)?,
        updated_at_ms: r.get(5)?,
        cursor: r.get(6)?,
    })
}

/// A report the platform holds after an upload: stored by this upload (`201 Created`), or
/// already stored with the same content (`200 OK`, the original receipt).
#[derive(Debug)]
pub(crate) struct Accepted {
    pub status: StatusCode,
    pub receipt: ReportStatus,
}

struct Stored {
    device_id: String,
    canonical: String,
    status: ReportStatus,
}

fn stored(conn: &Connection, id: &str) -> ApiResult<Option<Stored>> {
    Ok(conn
        .query_row(
            &format!("SELECT {STATUS_COLUMNS}, device_id, canonical_sha256 FROM report WHERE id = ?1"),
            [id],
            |r| {
                Ok(Stored {
                    status: status_row(r)?,
                    device_id: r.get(7)?,
                    canonical: r.get(8)?,
                })
            },
        )
        .optional()?)
}

/// The answer to a report id already stored: the original receipt, or 409. The outer result is
/// the transaction's (a 409 still commits its counter); the inner one is the answer.
fn answer_existing(
    tx: &Transaction<'_>,
    existing: Stored,
    device: &str,
    canonical: &str,
) -> ApiResult<ApiResult<Accepted>> {
    bump(tx, "duplicates_refused", 1)?;
    if existing.device_id == device && existing.canonical == canonical {
        tracing::info!(report_id = %existing.status.report_id, "identical report again: original answer");
        return Ok(Ok(Accepted {
            status: StatusCode::OK,
            receipt: existing.status,
        }));
    }
    bump(tx, "report_conflicts", 1)?;
    tracing::warn!(report_id = %existing.status.report_id, "report id reused with different content");
    Ok(Err(ApiError::new(
        StatusCode::CONFLICT,
        "report_conflict",
        "Report id already used",
        "A different report is already stored under this id; this upload was not stored",
    )))
}

/// `PUT /v1/reports/{report_id}`.
pub(crate) async fn upload(
    device: Device,
    State(state): State<crate::State>,
    Path(report_id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<ReportStatus>)> {
    checked_report_id(&report_id)?;
    let bytes = read_body(body, state.config.limits.report_bytes).await?;
    let report = parse_report(&bytes)?;
    if report.id != report_id {
        return Err(ApiError::bad_request(
            "report_id_mismatch",
            "The report's id differs from the id in the URL",
        ));
    }
    let offset = clock_offset(&headers);
    let accepted = blocking(move || receive(&state, &device.id, report, offset)).await?;
    Ok((accepted.status, axum::Json(accepted.receipt)))
}

/// The clock offset a device says it learned (`CLOCK_OFFSET_HEADER`); ignored when unparsable.
pub(crate) fn clock_offset(headers: &axum::http::HeaderMap) -> Option<i64> {
    headers
        .get(CLOCK_OFFSET_HEADER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// 400 `bad_report_id` unless `id` is a report id as devices make them.
pub(crate) fn checked_report_id(id: &str) -> ApiResult<()> {
    if gridpatrol_core::ids::is_report_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_report_id",
            "A report id is a UUID version 7 in lower-case hyphenated form",
        ))
    }
}

/// A report as uploaded: not UTF-8 is 400 `invalid_utf8`, anything else that is not a report
/// is 400 `malformed_report`. Unknown fields are ignored.
pub(crate) fn parse_report(bytes: &[u8]) -> ApiResult<SubmittedReport> {
    serde_json::from_str(utf8_body(bytes)?).map_err(|e| {
        ApiError::bad_request(
            "malformed_report",
            format!("The body is not a SubmittedReport: {e}"),
        )
    })
}

/// A parsed report's upload by `device`: its ids, the same id again, validation, photo checks,
/// storing. The typed report is stored as its JSON (what the platform does not know of it is
/// gone). Every write commits before this returns (a refusal's counter too), so a caller
/// uploading several reports keeps what one committed whatever happens to the next.
pub(crate) fn receive(
    state: &Inner,
    device: &str,
    report: SubmittedReport,
    clock_offset_ms: Option<i64>,
) -> ApiResult<Accepted> {
    check_ids(&report)?;
    let canonical = canonical_sha256(&report);
    // The fast path: the report is already stored (a retry).
    if state.db.read(|c| stored(c, &report.id))?.is_some() {
        return state.db.write(|tx| {
            let existing = stored(tx, &report.id)?.expect("reports are never deleted");
            answer_existing(tx, existing, device, &canonical)
        })?;
    }
    state
        .db
        .read(|c| binding::authorize(state, c, device, &report.content.reporter))?;
    let judged = claims::judge(state, device, &report)?;
    let now = now_ms();
    let validated = validate(state, &report, now, clock_offset_ms)?;
    check_photos(state, &report)?;
    state.db.write(|tx| {
        // Another upload of the same id may have committed since the fast path looked.
        if let Some(existing) = stored(tx, &report.id)? {
            return answer_existing(tx, existing, device, &canonical);
        }
        binding::bind_or_check(state, tx, device, &report.content.reporter)?;
        let receipt = insert(tx, state, device, &report, &canonical, &validated, now)?;
        claims::record(tx, &report.id, &judged)?;
        Ok(Ok(Accepted {
            status: StatusCode::CREATED,
            receipt,
        }))
    })?
}

/// 400 unless the report's id and every photo id are ids as devices make them.
fn check_ids(report: &SubmittedReport) -> ApiResult<()> {
    checked_report_id(&report.id)?;
    for photo in &report.content.photos {
        photos::checked_id(&photo.sha256)?;
    }
    Ok(())
}

/// What validation found that the stored row keeps.
struct Validated {
    /// The SHA-256 of the event list the report was validated against.
    list_sha256: String,
    /// How far the device's clock was off, when beyond the tolerated skew.
    clock_skew_s: Option<i64>,
}

/// The device's own rule set against the event list the report names (the current one when the
/// platform lacks it): 422 `validation_failed` with the findings, its counter committed.
fn validate(
    state: &Inner,
    report: &SubmittedReport,
    now: i64,
    clock_offset_ms: Option<i64>,
) -> ApiResult<Validated> {
    let list = state.lists.for_report(&report.event_list_sha256);
    let grids = state.grids.as_ref().map(|g| &g.index);
    // The component a report names is checked against the package this platform serves.
    let components = state.components.as_ref().map(|c| &c.index);
    let findings = validate_submitted(report, &list, grids, components, &state.config.policy, now);
    let clock_skew_s = clock_skew_s(report, now, clock_offset_ms, &state.config.policy);
    if findings.is_valid() {
        return Ok(Validated {
            list_sha256: list.info().sha256,
            clock_skew_s,
        });
    }
    state.db.write(|tx| bump(tx, "validation_failed", 1))?;
    tracing::info!(
        report_id = %report.id,
        errors = findings.errors.len(),
        "report refused by validation"
    );
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "Report failed validation",
        "The report breaks the event list's rules; it will not be accepted as it is",
    )
    .with(
        "findings",
        serde_json::to_value(&findings.errors).expect("findings serialize"),
    )
    .with(
        "warnings",
        serde_json::to_value(&findings.warnings).expect("findings serialize"),
    )
    .with("event_list_sha256", list.info().sha256))
}

/// Every photo of the report complete (422 `photos_incomplete`), of its declared size (422
/// `photo_size_mismatch`), and all of them together within the limit (422 `photos_too_large`).
fn check_photos(state: &Inner, report: &SubmittedReport) -> ApiResult<()> {
    let shas: Vec<String> = report
        .content
        .photos
        .iter()
        .map(|p| p.sha256.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lengths = state.db.read(|c| photos::complete_lengths(c, &shas))?;
    let missing: Vec<&String> = shas.iter().filter(|s| !lengths.contains_key(*s)).collect();
    if !missing.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "photos_incomplete",
            "Photos missing",
            "Upload every photo of the report completely, then send the report again",
        )
        .with("missing", serde_json::json!(missing)));
    }
    let wrong_size: Vec<&str> = report
        .content
        .photos
        .iter()
        .filter(|p| lengths.get(&p.sha256) != Some(&p.bytes))
        .map(|p| p.sha256.as_str())
        .collect();
    if !wrong_size.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "photo_size_mismatch",
            "Photo sizes differ",
            "A photo's declared byte count differs from the bytes held under its SHA-256",
        )
        .with("photos", serde_json::json!(wrong_size)));
    }
    let total: u64 = shas.iter().map(|s| lengths[s]).sum();
    if total > state.config.limits.photos_total_bytes {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "photos_too_large",
            "Photos too large",
            format!(
                "The report's photos add up to {total} bytes; the limit is {}",
                state.config.limits.photos_total_bytes
            ),
        ));
    }
    Ok(())
}

/// Stores a new report with its case number, feed position and photos; its receipt.
fn insert(
    tx: &Transaction<'_>,
    state: &Inner,
    device: &str,
    report: &SubmittedReport,
    canonical: &str,
    validated: &Validated,
    now: i64,
) -> ApiResult<ReportStatus> {
    let body = serde_json::to_string(report).expect("a report always serializes");
    let case_number = next_case_number(tx, &state.config.case_prefix, now)?;
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO report (id, device_id, case_number, canonical_sha256, body, validated_against,
                             status, reason, received_at, updated_at, seq, clock_skew_s)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'received', NULL, ?7, ?7, ?8, ?9)",
        rusqlite::params![
            report.id,
            device,
            case_number,
            canonical,
            body,
            validated.list_sha256,
            now,
            seq,
            validated.clock_skew_s
        ],
    )?;
    if let Some(skew) = validated.clock_skew_s {
        tracing::info!(report_id = %report.id, clock_skew_s = skew, "report received from a device with a wrong clock");
    }
    for (position, photo) in report.content.photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO report_photo (report_id, position, sha256) VALUES (?1, ?2, ?3)",
            rusqlite::params![report.id, position as i64, photo.sha256],
        )?;
    }
    tracing::info!(report_id = %report.id, case_number = %case_number, "report received");
    Ok(ReportStatus {
        report_id: report.id.clone(),
        case_number,
        status: ReportState::Received,
        reason: None,
        received_at_ms: now,
        updated_at_ms: now,
        cursor: seq,
    })
}

fn next_seq(tx: &Transaction<'_>) -> ApiResult<i64> {
    Ok(tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM report", [], |r| r.get(0))?)
}

/// `{prefix}-{YYYYMMDD}-{NNNNNN}`: the China (UTC+8) date of receipt and that day's sequence.
fn next_case_number(tx: &Transaction<'_>, prefix: &str, now_ms: i64) -> ApiResult<String> {
    let day = china_day(now_ms);
    let n: i64 = tx.query_row(
        "INSERT INTO case_sequence (day, last) VALUES (?1, 1)
         ON CONFLICT (day) DO UPDATE SET last = last + 1
         RETURNING last",
        [&day],
        |r| r.get(0),
    )?;
    Ok(format!("{prefix}-{day}-{n:06}"))
}

fn china_day(now_ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
        .expect("the clock is in range")
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("+8 is a valid offset"));
    format!("{:04}{:02}{:02}", at.year(), u8::from(at.month()), at.day())
}

/// `GET /v1/reports/{report_id}`: the status of one of the device's own reports.
pub(crate) async fn status(
    device: Device,
    State(state): State<crate::State>,
    Path(report_id): Path<String>,
) -> ApiResult<axum::Json<ReportStatus>> {
    checked_report_id(&report_id)?;
    let found = blocking(move || state.db.read(|c| stored(c, &report_id))).await?;
    match found {
        Some(s) if s.device_id == device.id => Ok(axum::Json(s.status)),
        _ => Err(ApiError::not_found(
            "report_not_found",
            "No report of this device has that id",
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    since: i64,
    #[serde(default)]
    limit: Option<u32>,
}

/// The device's reports changed after a cursor, oldest change first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportList {
    pub reports: Vec<ReportStatus>,
    /// Pass as `since` next time; equals `since` when nothing changed.
    pub next_since: i64,
}

/// `GET /v1/reports?since=CURSOR&limit=N` (limit 1-500, default 100).
pub(crate) async fn list(
    device: Device,
    State(state): State<crate::State>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<ReportList>> {
    let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 500));
    let since = query.since;
    let reports = blocking(move || {
        state.db.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {STATUS_COLUMNS} FROM report WHERE device_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(rusqlite::params![device.id, since, limit], status_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    })
    .await?;
    let next_since = reports.last().map_or(since, |r| r.cursor);
    Ok(axum::Json(ReportList { reports, next_since }))
}

/// Sets a report's status (admin). `rejected` needs a reason. Moves the report to the end of its
/// device's change feed. `None` when the id is unknown.
pub(crate) fn set_status(
    state: &Inner,
    report_id: &str,
    status: ReportState,
    reason: Option<String>,
) -> ApiResult<Option<ReportStatus>> {
    state.db.write(|tx| {
        if stored(tx, report_id)?.is_none() {
            return Ok(None);
        }
        let seq = next_seq(tx)?;
        tx.execute(
            "UPDATE report SET status = ?1, reason = ?2, updated_at = ?3, seq = ?4 WHERE id = ?5",
            rusqlite::params![status.as_str(), reason, now_ms(), seq, report_id],
        )?;
        tracing::info!(report_id = %report_id, status = status.as_str(), "report status set");
        Ok(stored(tx, report_id)?.map(|s| s.status))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_day_rolls_over_at_utc_16() {
        // 2026-11-22T16:00:00Z is 2026-11-23 00:00 in China.
        assert_eq!(china_day(1_795_363_200_000 - 1), "20261122");
        assert_eq!(china_day(1_795_363_200_000), "20261123");
    }
}

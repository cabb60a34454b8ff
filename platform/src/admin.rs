//! Admin endpoints, behind the admin bearer token: statistics, workers and their enrollment
//! codes, device revocation, report
//! status changes (so tests and the demo can drive received → dispatched / rejected) and
//! publishing an event list.
//!
//! Owns only the HTTP shape of these operations; the work is in `auth`, `workers`, `reports`
//! and `packages`. What `/v1/admin/stats` counts is documented on [`Stats`].

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Admin;
use crate::db::counter;
use crate::problem::{ApiError, ApiResult, Path};
use crate::reports::{ReportState, ReportStatus};
use crate::{blocking, parse_json, read_body};

/// `GET /v1/admin/stats`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stats {
    /// Reports stored (each once, whatever the retries).
    pub reports: i64,
    pub reports_received: i64,
    pub reports_dispatched: i64,
    pub reports_rejected: i64,
    /// Reports whose signed claim verified against their device's key (see `claims`).
    pub reports_verified: i64,
    /// Complete, verified photos (each content hash once) and their bytes.
    pub photos: i64,
    pub photo_bytes: i64,
    /// Photos with bytes still missing.
    pub partial_photos: i64,
    pub devices: i64,
    pub devices_revoked: i64,
    /// Uploads of a report id already stored that stored nothing: identical repeats answered
    /// with the original receipt (200) plus different content refused (409).
    pub duplicates_refused: i64,
    /// Of `duplicates_refused`, the 409 `report_conflict` answers.
    pub report_conflicts: i64,
    /// `POST /v1/reports` batches processed (answered 200).
    pub report_batches: i64,
    /// 422 `validation_failed` answers.
    pub validation_failed: i64,
    /// Reports refused for their claim (422 `claim_*`, see `claims`).
    pub claims_refused: i64,
    pub event_list_version: String,
    pub event_list_sha256: String,
}

pub(crate) async fn stats(_: Admin, State(state): State<crate::State>) -> ApiResult<axum::Json<Stats>> {
    Ok(axum::Json(blocking(move || read_stats(&state)).await?))
}

/// The counters of `GET /v1/admin/stats`, read directly (the demo and tests in-process).
pub(crate) fn read_stats(state: &crate::State) -> ApiResult<Stats> {
    let info = state.lists.current().info();
    state.db.read(|c| {
        let count = |sql: &str| -> ApiResult<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        Ok(Stats {
            reports: count("SELECT COUNT(*) FROM report")?,
            reports_received: count("SELECT COUNT(*) FROM report WHERE status = 'received'")?,
            reports_dispatched: count("SELECT COUNT(*) FROM report WHERE status = 'dispatched'")?,
            reports_rejected: count("SELECT COUNT(*) FROM report WHERE status = 'rejected'")?,
            reports_verified: count("SELECT COUNT(*) FROM report WHERE verdict = 'verified'")?,
            photos: count("SELECT COUNT(*) FROM photo WHERE complete = 1")?,
            photo_bytes: count("SELECT COALESCE(SUM(length), 0) FROM photo WHERE complete = 1")?,
            partial_photos: count("SELECT COUNT(*) FROM photo_partial")?,
            devices: count("SELECT COUNT(*) FROM device")?,
            devices_revoked: count("SELECT COUNT(*) FROM device WHERE revoked_at IS NOT NULL")?,
            duplicates_refused: counter(c, "duplicates_refused")?,
            report_conflicts: counter(c, "report_conflicts")?,
            report_batches: counter(c, "report_batches")?,
            validation_failed: counter(c, "validation_failed")?,
            claims_refused: counter(c, "claims_refused")?,
            event_list_version: info.list_version,
            event_list_sha256: info.sha256,
        })
    })
}

/// `POST /v1/admin/workers` with `{"worker_id", "name", "role", "grids": [...]}`: registers (or
/// updates) the worker and answers 201 `{"worker_id", "enrollment_code", "expires_at_ms"}`, a
/// new one-time code; the worker's earlier unused codes stop working.
pub(crate) async fn create_worker(
    _: Admin,
    State(state): State<crate::State>,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body, state.config.limits.small_json_bytes).await?;
    let request: crate::workers::WorkerRequest = parse_json(&bytes)?;
    let issued = blocking(move || {
        let (worker, name) = crate::workers::checked(&state, &request)?;
        crate::workers::issue(&state, &worker, &name)
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(issued)).into_response())
}

/// `POST /v1/admin/devices/{device_id}/revoke`.
pub(crate) async fn revoke(
    _: Admin,
    State(state): State<crate::State>,
    Path(device_id): Path<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let id = device_id.clone();
    if blocking(move || crate::auth::revoke(&state, &id)).await? {
        Ok(axum::Json(
            serde_json::json!({"device_id": device_id, "revoked": true}),
        ))
    } else {
        Err(ApiError::not_found("device_not_found", "No device has that id"))
    }
}

#[derive(Debug, Deserialize)]
struct StatusChange {
    status: ReportState,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /v1/admin/reports/{report_id}/status` with `{"status": "dispatched"}` or
/// `{"status": "rejected", "reason": "..."}`.
pub(crate) async fn set_status(
    _: Admin,
    State(state): State<crate::State>,
    Path(report_id): Path<String>,
    body: Body,
) -> ApiResult<axum::Json<ReportStatus>> {
    let bytes = read_body(body, state.config.limits.small_json_bytes).await?;
    let change: StatusChange = parse_json(&bytes)?;
    let reason = change.reason.filter(|r| !r.trim().is_empty());
    match (change.status, &reason) {
        (ReportState::Received, _) => {
            return Err(ApiError::bad_request(
                "bad_status",
                "A report can be set to dispatched or rejected",
            ));
        }
        (ReportState::Rejected, None) => {
            return Err(ApiError::bad_request(
                "reason_required",
                "A rejection needs a reason",
            ));
        }
        _ => {}
    }
    let updated =
        blocking(move || crate::reports::set_status(&state, &report_id, change.status, reason)).await?;
    updated
        .map(axum::Json)
        .ok_or_else(|| ApiError::not_found("report_not_found", "No report has that id"))
}

/// `POST /v1/admin/event-lists` with a package: verified by the core, then current (201).
pub(crate) async fn publish_event_list(
    _: Admin,
    State(state): State<crate::State>,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body, state.config.limits.package_bytes).await?;
    let info = blocking(move || state.lists.publish(&state.db, &bytes)).await?;
    Ok((StatusCode::CREATED, axum::Json(info)).into_response())
}

//! Report batches: `POST /v1/reports`, a run of reports in one round trip.
//!
//! One reporter's reports must commit in submit order, one after another, so a device sending
//! them one `PUT` at a time pays a round trip per report. Owns the batch envelope
//! (`{"reports": [...]}` in, `{"results": [...]}` out), the batch limits, and the one rule of its
//! own: items are processed in order, and processing stops after the first item whose answer a
//! device would retry, because the items after it must not commit before it does. It owns no
//! rule about a single report: every item goes through `reports::receive`, exactly as
//! `PUT /v1/reports/{id}` with the item's own id would, each in its own transaction.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::auth::Device;
use crate::db::bump;
use crate::problem::{ApiError, ApiResult};
use crate::reports::{self, Accepted, ReportStatus};
use crate::{Inner, blocking, read_body, utf8_body};

/// The request body. Items stay raw JSON text, so an item that is not a report is refused alone
/// instead of failing the whole batch.
#[derive(Deserialize)]
struct BatchRequest<'a> {
    #[serde(borrow)]
    reports: Vec<&'a RawValue>,
}

/// What became of one item: the answer `PUT /v1/reports/{id}` would have given it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchItemResult {
    /// The item's position in the request, from 0.
    pub index: usize,
    /// The item's `id`; `None` when the item has no readable string id.
    pub report_id: Option<String>,
    /// The HTTP status the `PUT` would have answered: 201 stored now, 200 already stored, or
    /// the refusal's status.
    pub status: u16,
    /// The receipt, when the report is stored (200 or 201).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReportStatus>,
    /// The problem object the `PUT` would have answered, when the report was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<serde_json::Value>,
}

/// The answer to a batch: one result per processed item, in item order. Items after a
/// retryable refusal were not attempted and have no result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResults {
    pub results: Vec<BatchItemResult>,
}

/// `POST /v1/reports`.
pub(crate) async fn upload(
    device: Device,
    State(state): State<crate::State>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<BatchResults>> {
    let bytes = read_body(body, state.config.limits.batch_bytes).await?;
    let offset = reports::clock_offset(&headers);
    let results = blocking(move || receive_batch(&state, &device.id, &bytes, offset)).await?;
    Ok(axum::Json(results))
}

fn receive_batch(
    state: &Inner,
    device: &str,
    bytes: &[u8],
    clock_offset_ms: Option<i64>,
) -> ApiResult<BatchResults> {
    let request: BatchRequest<'_> = serde_json::from_str(utf8_body(bytes)?).map_err(|e| {
        ApiError::bad_request("malformed_batch", format!("The body is not a report batch: {e}"))
    })?;
    if request.reports.is_empty() {
        return Err(ApiError::bad_request(
            "malformed_batch",
            "The batch holds no reports",
        ));
    }
    let limit = state.config.limits.batch_reports;
    if request.reports.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_many_reports",
            "Payload too large",
            format!(
                "The batch holds {} reports; the limit is {limit}",
                request.reports.len()
            ),
        )
        .with("limit_reports", limit as u64));
    }

    let mut results = Vec::with_capacity(request.reports.len());
    for (index, item) in request.reports.iter().enumerate() {
        let (report_id, outcome) = receive_item(state, device, item, clock_offset_ms);
        let stop = outcome.as_ref().err().is_some_and(is_retryable);
        results.push(item_result(index, report_id, outcome));
        if stop {
            break;
        }
    }
    state.db.write(|tx| bump(tx, "report_batches", 1))?;
    tracing::info!(
        items = request.reports.len(),
        answered = results.len(),
        "report batch processed"
    );
    Ok(BatchResults { results })
}

/// One item, as `PUT /v1/reports/{id}` would take it; also the id to report it under.
fn receive_item(
    state: &Inner,
    device: &str,
    item: &RawValue,
    clock_offset_ms: Option<i64>,
) -> (Option<String>, ApiResult<Accepted>) {
    let text = item.get();
    let limit = state.config.limits.report_bytes;
    // The same limit, and the same refusal, as a PUT body of this size.
    if text.len() > limit {
        return (
            readable_id(text),
            Err(ApiError::too_large("payload_too_large", limit)),
        );
    }
    match reports::parse_report(text.as_bytes()) {
        Ok(report) => {
            let report_id = Some(report.id.clone()).filter(|id| gridpatrol_core::ids::is_report_id(id));
            let outcome = reports::receive(state, device, report, clock_offset_ms);
            (report_id, outcome)
        }
        Err(refused) => (readable_id(text), Err(refused)),
    }
}

/// The `id` of an item that is not a report, when it has one a device would make, so the
/// device can tell which of its reports was refused (other ids are not echoed back).
fn readable_id(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    serde_json::from_str::<IdOnly>(text)
        .ok()
        .map(|item| item.id)
        .filter(|id| gridpatrol_core::ids::is_report_id(id))
}

fn item_result(index: usize, report_id: Option<String>, outcome: ApiResult<Accepted>) -> BatchItemResult {
    match outcome {
        Ok(accepted) => BatchItemResult {
            index,
            report_id,
            status: accepted.status.as_u16(),
            receipt: Some(accepted.receipt),
            problem: None,
        },
        Err(refused) => BatchItemResult {
            index,
            report_id,
            status: refused.status.as_u16(),
            receipt: None,
            problem: Some(refused.body()),
        },
    }
}

/// Whether a device sends this report again later (the platform failed or was busy, or photos
/// are still on their way). The items after it then wait: committing them now would put them
/// before it. Every other refusal is for good, so it holds nothing up.
fn is_retryable(refused: &ApiError) -> bool {
    let status = refused.status;
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::UNPROCESSABLE_ENTITY && refused.code == "photos_incomplete")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: StatusCode, code: &'static str) -> ApiError {
        ApiError::new(status, code, "Test", "test")
    }

    #[test]
    fn only_retryable_refusals_stop_a_batch() {
        for (status, code) in [
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            (StatusCode::SERVICE_UNAVAILABLE, "fault_injected"),
            (StatusCode::REQUEST_TIMEOUT, "timeout"),
            (StatusCode::TOO_MANY_REQUESTS, "fault_injected"),
            (StatusCode::UNPROCESSABLE_ENTITY, "photos_incomplete"),
        ] {
            assert!(is_retryable(&refusal(status, code)), "{status} {code}");
        }
        for (status, code) in [
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            (StatusCode::UNPROCESSABLE_ENTITY, "photo_size_mismatch"),
            (StatusCode::UNPROCESSABLE_ENTITY, "photos_too_large"),
            (StatusCode::CONFLICT, "report_conflict"),
            (StatusCode::BAD_REQUEST, "malformed_report"),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ] {
            assert!(!is_retryable(&refusal(status, code)), "{status} {code}");
        }
    }

    #[test]
    fn an_item_without_a_report_id_has_no_readable_id() {
        let id = "0195a000-0000-7000-8000-000000000001";
        assert_eq!(
            readable_id(&format!(r#"{{"id": "{id}", "photos": 3}}"#)).as_deref(),
            Some(id)
        );
        assert_eq!(readable_id(r#"{"id": "r-1", "photos": 3}"#), None);
        assert_eq!(readable_id(r#"{"id": "nul\u0000id"}"#), None);
        assert_eq!(readable_id(r#"{"id": 7}"#), None);
        assert_eq!(readable_id(r#"{"subtype": "03-001"}"#), None);
        assert_eq!(readable_id("[1, 2]"), None);
    }

    #[test]
    fn results_carry_a_receipt_or_a_problem_never_both() {
        let refused = item_result(
            2,
            None,
            Err(ApiError::bad_request("malformed_report", "not a report")),
        );
        let json = serde_json::to_value(&refused).expect("a result serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "index": 2,
                "report_id": null,
                "status": 400,
                "problem": ApiError::bad_request("malformed_report", "not a report").body(),
            })
        );
        let stored = item_result(
            0,
            Some("r-1".into()),
            Ok(Accepted {
                status: StatusCode::CREATED,
                receipt: ReportStatus {
                    report_id: "r-1".into(),
                    case_number: "WZ-20261123-000001".into(),
                    status: reports::ReportState::Received,
                    reason: None,
                    received_at_ms: 5,
                    updated_at_ms: 5,
                    cursor: 1,
                },
            }),
        );
        let json = serde_json::to_value(&stored).expect("a result serializes");
        assert_eq!(json["status"], 201);
        assert_eq!(json["receipt"]["case_number"], "WZ-20261123-000001");
        assert!(json.get("problem").is_none(), "{json}");
    }
}

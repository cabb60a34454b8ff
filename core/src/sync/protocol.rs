//! The requests of `docs/PROTOCOL.md` and the one place an answer is classified: done,
//! retry (transient), park (permanent), or stop ([`Problem::classify`], pure). Whether a 401
//! refreshes the token first is `credentials::refreshes_token`; what the photo `PATCH` does
//! with an offset or length mismatch is `photos`'.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde::Deserialize;

use crate::Error;

/// Why one step of delivering a report did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Unknown whether anything committed, or busy: retry the same request after a backoff
    /// (at least `retry_after` when the platform said so).
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Refused for good: park this report with the protocol's code and a reason (codes only).
    Permanent { code: String, reason: String },
    /// Photos must wait for an unmetered network (policy); the report stays pending.
    Deferred,
    /// Stop the whole sync (device revoked, credentials refused, the local store failed).
    Stop(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Stop(error)
    }
}

/// An error answer: status, the stable `code`, the problem body and `Retry-After`.
#[derive(Debug)]
pub(crate) struct Problem {
    pub status: u16,
    pub code: String,
    pub body: serde_json::Value,
    pub retry_after: Option<Duration>,
}

impl Problem {
    pub async fn read(response: Response) -> Problem {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
        Problem {
            retry_after,
            ..Problem::from_body(status, body)
        }
    }

    /// A problem object inside a successful answer (a batch result).
    pub fn from_body(status: u16, body: serde_json::Value) -> Problem {
        let code = body
            .get("code")
            .and_then(|c| c.as_str())
            .unwrap_or("")
            .to_string();
        Problem {
            status,
            code,
            body,
            retry_after: None,
        }
    }

    /// The device action of the protocol's table for an answer that is not a success.
    pub fn classify(self) -> Failure {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match (self.status, self.code.as_str()) {
            (401, "device_revoked") => Failure::Stop(Error::DeviceRevoked),
            (401, _) => Failure::Stop(Error::Platform {
                status: self.status,
                code: self.code,
            }),
            // A photo upload whose partial on the platform was stale (expired, or started with
            // another length): the upload starts over from 0, so a retry succeeds.
            (408 | 429, _) | (422, "photos_incomplete") | (409, "upload_length_mismatch") => {
                Failure::Transient {
                    reason: format!("{} {}", self.status, self.code),
                    retry_after: self.retry_after,
                }
            }
            _ if status.is_server_error() => Failure::Transient {
                reason: format!("{} {}", self.status, self.code),
                retry_after: self.retry_after,
            },
            (_, "validation_failed") => Failure::Permanent {
                reason: finding_codes(&self.body),
                code: self.code,
            },
            (403, "binding_mismatch") => Failure::Permanent {
                reason: binding_reason(&self.body),
                code: self.code,
            },
            _ => Failure::Permanent {
                reason: format!("platform answered {} {}", self.status, self.code),
                code: if self.code.is_empty() {
                    format!("http_{}", self.status)
                } else {
                    self.code
                },
            },
        }
    }
}

/// "field: code; ..." of a `validation_failed` problem: what the worker must fix, no text.
fn finding_codes(body: &serde_json::Value) -> String {
    let findings = body.get("findings").and_then(|f| f.as_array());
    let parts: Vec<String> = findings
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{}: {}",
                f.get("field").and_then(|v| v.as_str()).unwrap_or("?"),
                f.get("code").and_then(|v| v.as_str()).unwrap_or("?")
            )
        })
        .collect();
    if parts.is_empty() {
        "validation_failed".into()
    } else {
        parts.join("; ")
    }
}

/// Why a `binding_mismatch` report is parked: the parts of its reporter claim (`reporter`,
/// `role`, `grids`) that differ from the worker the platform bound this device to.
fn binding_reason(body: &serde_json::Value) -> String {
    let parts: Vec<&str> = body
        .get("mismatch")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|part| part.as_str())
        .filter(|part| ["reporter", "role", "grids"].contains(part))
        .collect();
    format!(
        "refused by the platform: this device is bound to another worker (differs: {})",
        if parts.is_empty() {
            "reporter".to_string()
        } else {
            parts.join(", ")
        }
    )
}

/// A request that got no answer: timeout, refused or dropped connection — never permanent —
/// or a platform whose certificate matches no pin, which stops the run.
pub(crate) fn network_failure(error: &reqwest::Error) -> Failure {
    if super::tls::is_pin_mismatch(error) {
        return Failure::Stop(Error::TlsPinMismatch);
    }
    Failure::Transient {
        reason: network_reason(error).into(),
        retry_after: None,
    }
}

/// [`network_failure`] for calls that answer with an [`Error`] (enroll, package downloads).
pub(crate) fn network_error(error: &reqwest::Error) -> Error {
    if super::tls::is_pin_mismatch(error) {
        return Error::TlsPinMismatch;
    }
    Error::Network {
        reason: network_reason(error).into(),
    }
}

pub(crate) fn network_reason(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_body() || error.is_decode() {
        "response_body"
    } else {
        "connection"
    }
}

/// `POST /v1/enroll` and `POST /v1/token` answer with this.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenGrant {
    pub device_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// The receipt of `PUT /v1/reports/{id}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Receipt {
    pub case_number: String,
}

/// The answer of `POST /v1/reports`: one result per report the platform processed, in the
/// order sent; it stops after the first it could not settle for good.
#[derive(Debug, Deserialize)]
pub(crate) struct BatchAnswer {
    pub results: Vec<BatchResult>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BatchResult {
    pub index: usize,
    pub report_id: Option<String>,
    /// The status a `PUT` of this report alone would have answered.
    pub status: u16,
    pub receipt: Option<Receipt>,
    #[serde(default)]
    pub problem: serde_json::Value,
}

/// A numeric header (`Upload-Offset`, `Upload-Length`).
pub(crate) fn header_u64(response: &Response, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_mismatch_is_parked_with_the_parts_that_differ() {
        let body = serde_json::json!({"code": "binding_mismatch", "mismatch": ["reporter", "role"]});
        match Problem::from_body(403, body).classify() {
            Failure::Permanent { code, reason } => {
                assert_eq!(code, "binding_mismatch");
                assert!(reason.ends_with("(differs: reporter, role)"), "{reason}");
            }
            other => panic!("expected a permanent refusal, got {other:?}"),
        }
        // Only the protocol's part names reach the reason, never other text.
        let body = serde_json::json!({"code": "binding_mismatch", "mismatch": ["张三 13800000000"]});
        let Failure::Permanent { reason, .. } = Problem::from_body(403, body).classify() else {
            panic!("permanent");
        };
        assert!(reason.ends_with("(differs: reporter)"), "{reason}");
    }

    fn problem(status: u16, code: &str, retry_after: Option<u64>) -> Problem {
        Problem {
            retry_after: retry_after.map(Duration::from_secs),
            ..Problem::from_body(status, serde_json::json!({"code": code}))
        }
    }

    #[test]
    fn a_stale_partial_or_a_full_partial_quota_is_retried_not_parked() {
        assert!(matches!(
            problem(409, "upload_length_mismatch", None).classify(),
            Failure::Transient { .. }
        ));
        match problem(429, "partial_quota_exceeded", Some(90)).classify() {
            Failure::Transient { retry_after, .. } => assert_eq!(retry_after, Some(Duration::from_secs(90))),
            other => panic!("expected a retry, got {other:?}"),
        }
        // A report id taken by another report stays parked.
        assert!(matches!(
            problem(409, "report_conflict", None).classify(),
            Failure::Permanent { .. }
        ));
    }

    /// The class an answer falls in, for the table below.
    fn class(failure: &Failure) -> &'static str {
        match failure {
            Failure::Transient { .. } => "transient",
            Failure::Permanent { .. } => "permanent",
            Failure::Deferred => "deferred",
            Failure::Stop(_) => "stop",
        }
    }

    #[test]
    fn every_status_and_code_class_gets_its_action() {
        let table: &[(u16, &str, &str)] = &[
            // Busy or unknown whether anything committed: retried.
            (408, "", "transient"),
            (429, "rate_limited", "transient"),
            (429, "partial_quota_exceeded", "transient"),
            (500, "", "transient"),
            (502, "bad_gateway", "transient"),
            (503, "unavailable", "transient"),
            (504, "", "transient"),
            (599, "", "transient"),
            (422, "photos_incomplete", "transient"),
            (409, "upload_length_mismatch", "transient"),
            // Refused for good: this report parks, the others go on.
            (400, "malformed_report", "permanent"),
            (400, "", "permanent"),
            (403, "binding_mismatch", "permanent"),
            (403, "forbidden", "permanent"),
            (404, "not_found", "permanent"),
            (409, "report_conflict", "permanent"),
            (413, "payload_too_large", "permanent"),
            (422, "validation_failed", "permanent"),
            (422, "unknown_code", "permanent"),
            // A code that means "retry" under one status is not a retry under another.
            (400, "photos_incomplete", "permanent"),
            (400, "upload_length_mismatch", "permanent"),
            // A 401 that reaches classification stops the whole sync (refreshable 401s are
            // answered in `credentials` before this).
            (401, "device_revoked", "stop"),
            (401, "credentials_refused", "stop"),
            (401, "", "stop"),
        ];
        for &(status, code, expected) in table {
            let failure = problem(status, code, None).classify();
            assert_eq!(class(&failure), expected, "{status} {code:?}: {failure:?}");
        }
    }

    #[test]
    fn a_revoked_device_stops_with_its_own_error_and_other_401s_with_the_code() {
        assert!(matches!(
            problem(401, "device_revoked", None).classify(),
            Failure::Stop(Error::DeviceRevoked)
        ));
        match problem(401, "credentials_refused", None).classify() {
            Failure::Stop(Error::Platform { status, code }) => {
                assert_eq!((status, code.as_str()), (401, "credentials_refused"));
            }
            other => panic!("expected a stop, got {other:?}"),
        }
    }

    #[test]
    fn a_transient_answer_keeps_retry_after_and_names_status_and_code() {
        for status in [408, 429, 503] {
            match problem(status, "busy", Some(7)).classify() {
                Failure::Transient { reason, retry_after } => {
                    assert_eq!(retry_after, Some(Duration::from_secs(7)));
                    assert_eq!(reason, format!("{status} busy"));
                }
                other => panic!("expected a retry, got {other:?}"),
            }
        }
        match problem(500, "", None).classify() {
            Failure::Transient { retry_after, .. } => assert_eq!(retry_after, None),
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn a_parked_report_keeps_the_code_or_an_http_code_when_there_is_none() {
        let Failure::Permanent { code, reason } = problem(413, "", None).classify() else {
            panic!("permanent");
        };
        assert_eq!(code, "http_413");
        assert_eq!(reason, "platform answered 413 ");
        let Failure::Permanent { code, .. } = problem(409, "report_conflict", None).classify() else {
            panic!("permanent");
        };
        assert_eq!(code, "report_conflict");
    }

    #[test]
    fn a_validation_refusal_is_parked_with_its_finding_codes_only() {
        let body = serde_json::json!({
            "code": "validation_failed",
            "findings": [
                {"field": "location", "code": "outside_grid", "message": "张三 13800000000"},
                {"field": "photos", "code": "too_few"},
            ],
        });
        let Failure::Permanent { code, reason } = Problem::from_body(422, body).classify() else {
            panic!("permanent");
        };
        assert_eq!(code, "validation_failed");
        assert_eq!(reason, "location: outside_grid; photos: too_few");
        let bare = Problem::from_body(422, serde_json::json!({"code": "validation_failed"}));
        let Failure::Permanent { reason, .. } = bare.classify() else {
            panic!("permanent");
        };
        assert_eq!(reason, "validation_failed");
    }

    #[test]
    fn a_batch_result_problem_is_read_from_its_body() {
        let problem = Problem::from_body(409, serde_json::json!({"code": "report_conflict"}));
        assert_eq!((problem.status, problem.code.as_str()), (409, "report_conflict"));
        assert_eq!(problem.retry_after, None);
        // No body, or a body without a code: the code is empty, the status decides.
        assert_eq!(Problem::from_body(502, serde_json::Value::Null).code, "");
    }
}

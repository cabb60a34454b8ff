//! Signed claims on the platform: the device keys registered at enrollment, the verdict on
//! each report's claim at receipt, and the admin's list of reports with their verdicts.
//!
//! Owns `device.public_key` and the report columns `verdict`, `claim_key_id`, `claim_sha256`,
//! `previous_claim_sha256` (step v6). The check itself is the core's
//! (`gridpatrol_core::claim::check`, the same derivation the device signed): a claim whose
//! signature fails or whose report differs from what was signed (a moved fix, a swapped photo,
//! an edited description) is refused with 422 and its code, never stored; a device that
//! registered a key must sign (422 `claim_missing`). Accepted reports say how far they could be
//! checked: `verified`, `unsigned` (a device that registered no key, e.g. an older app) or
//! `key_unknown` (a claim from such a device: kept, flagged). The chain is judged when read, not
//! at receipt — reports of one device arrive out of order (reporters upload in parallel), so a
//! claim whose previous one has not arrived yet is a `gap` until it does; two claims naming the
//! same previous one are a `fork` (a capture replaced or replayed).
//!
//! It does not own the report rows otherwise (`reports`) nor enrollment (`auth`).

use axum::extract::State;
use axum::http::StatusCode;
use gridpatrol_core::capture::SubmittedReport;
use gridpatrol_core::claim::{self, ClaimProblem};
use rusqlite::{Connection, OptionalExtension as _, Transaction};
use serde::{Deserialize, Serialize};

use crate::auth::Admin;
use crate::db::bump;
use crate::problem::{ApiError, ApiResult, Query};
use crate::{Inner, blocking};

/// How far a received report's claim could be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Verified,
    Unsigned,
    KeyUnknown,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Unsigned => "unsigned",
            Verdict::KeyUnknown => "key_unknown",
        }
    }

    fn parse(stored: Option<&str>) -> Verdict {
        match stored {
            Some("verified") => Verdict::Verified,
            Some("key_unknown") => Verdict::KeyUnknown,
            _ => Verdict::Unsigned,
        }
    }
}

/// The verdict on one report, stored with it.
#[derive(Debug, Clone)]
pub(crate) struct Judged {
    pub verdict: Verdict,
    pub key_id: Option<String>,
    pub claim_sha256: Option<String>,
    pub previous_claim_sha256: Option<String>,
}

/// A public key as enrollment takes it: 64 hex digits (32 bytes); 400 otherwise.
pub(crate) fn checked_public_key(hex_key: &str) -> ApiResult<String> {
    match hex::decode(hex_key) {
        Ok(bytes) if bytes.len() == 32 => Ok(hex_key.to_ascii_lowercase()),
        _ => Err(ApiError::bad_request(
            "invalid_public_key",
            "device_public_key must be 64 hex digits (an Ed25519 public key)",
        )),
    }
}

/// The key `device` registered at enrollment.
fn registered_key(conn: &Connection, device: &str) -> ApiResult<Option<Vec<u8>>> {
    let key: Option<String> = conn
        .query_row("SELECT public_key FROM device WHERE id = ?1", [device], |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    Ok(key.and_then(|k| hex::decode(k).ok()))
}

/// Judges `report`'s claim for `device`; a refusal commits its counter and is 422 with the
/// claim problem's code.
pub(crate) fn judge(state: &Inner, device: &str, report: &SubmittedReport) -> ApiResult<Judged> {
    let key = state.db.read(|c| registered_key(c, device))?;
    let outcome = match (&report.claim, key) {
        (None, None) => Ok(Judged {
            verdict: Verdict::Unsigned,
            key_id: None,
            claim_sha256: None,
            previous_claim_sha256: None,
        }),
        (None, Some(_)) => Err((
            "claim_missing",
            "The device registered a key but the report is not signed",
        )),
        // What it states, unchecked: kept for the chain view, flagged.
        (Some(signed), None) => Ok(Judged {
            verdict: Verdict::KeyUnknown,
            key_id: Some(signed.device_key_id.clone()),
            claim_sha256: Some(signed.claim_sha256.clone()),
            previous_claim_sha256: signed.previous_claim_sha256.clone(),
        }),
        (Some(signed), Some(key)) => match claim::check(report, signed, &key) {
            Ok(()) => Ok(Judged {
                verdict: Verdict::Verified,
                key_id: Some(signed.device_key_id.clone()),
                claim_sha256: Some(signed.claim_sha256.clone()),
                previous_claim_sha256: signed.previous_claim_sha256.clone(),
            }),
            Err(problem) => Err((problem.code(), detail(problem))),
        },
    };
    outcome.or_else(|(code, detail)| {
        state.db.write(|tx| bump(tx, "claims_refused", 1))?;
        tracing::warn!(report_id = %report.id, code, "report refused: its claim does not hold");
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "Claim refused",
            detail,
        ))
    })
}

fn detail(problem: ClaimProblem) -> &'static str {
    match problem {
        ClaimProblem::Malformed => "The report's claim is of a version this platform does not read",
        ClaimProblem::KeyMismatch => "The claim was signed by a key this device did not register",
        ClaimProblem::BadSignature => "The claim's signature does not verify",
        ClaimProblem::Mismatch => "The report differs from what its claim signed",
    }
}

/// Stores the verdict with the report row just inserted.
pub(crate) fn record(tx: &Transaction<'_>, report_id: &str, judged: &Judged) -> ApiResult<()> {
    tx.execute(
        "UPDATE report SET verdict = ?2, claim_key_id = ?3, claim_sha256 = ?4, previous_claim_sha256 = ?5
         WHERE id = ?1",
        rusqlite::params![
            report_id,
            judged.verdict.as_str(),
            judged.key_id,
            judged.claim_sha256,
            judged.previous_claim_sha256
        ],
    )?;
    Ok(())
}

/// Where a claim sits in its key's chain, as the platform holds it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chain {
    /// The key's first claim.
    First,
    /// The claim it names as previous is held.
    Linked,
    /// The previous claim is not held: not delivered yet, or removed from the device.
    Gap,
    /// Another held claim names the same previous one.
    Fork,
}

/// One row of `GET /v1/admin/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminReport {
    pub report_id: String,
    pub device_id: String,
    pub case_number: String,
    pub status: String,
    pub received_at_ms: i64,
    pub verdict: Verdict,
    /// `None` for a report without a readable claim.
    pub chain: Option<Chain>,
    pub claim_sha256: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AdminReports {
    pub reports: Vec<AdminReport>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminReportsQuery {
    limit: Option<u32>,
}

/// The newest `limit` reports with their verdicts and chain positions.
pub(crate) fn newest(conn: &Connection, limit: u32) -> ApiResult<Vec<AdminReport>> {
    let mut stmt = conn.prepare(
        "SELECT r.id, r.device_id, r.case_number, r.status, r.received_at, r.verdict, r.claim_sha256,
                r.previous_claim_sha256 IS NULL,
                EXISTS (SELECT 1 FROM report p
                        WHERE p.claim_key_id = r.claim_key_id AND p.claim_sha256 = r.previous_claim_sha256),
                (SELECT COUNT(*) FROM report s
                  WHERE s.claim_key_id = r.claim_key_id AND s.claim_sha256 IS NOT NULL
                    AND s.previous_claim_sha256 IS r.previous_claim_sha256)
         FROM report r ORDER BY r.seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        let claim_sha256: Option<String> = r.get(6)?;
        let (first, linked, siblings): (bool, bool, i64) = (r.get(7)?, r.get(8)?, r.get(9)?);
        let chain = claim_sha256
            .as_ref()
            .map(|_| match (siblings > 1, first, linked) {
                (true, _, _) => Chain::Fork,
                (false, true, _) => Chain::First,
                (false, false, true) => Chain::Linked,
                (false, false, false) => Chain::Gap,
            });
        Ok(AdminReport {
            report_id: r.get(0)?,
            device_id: r.get(1)?,
            case_number: r.get(2)?,
            status: r.get(3)?,
            received_at_ms: r.get(4)?,
            verdict: Verdict::parse(r.get::<_, Option<String>>(5)?.as_deref()),
            chain,
            claim_sha256,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// `GET /v1/admin/reports?limit=N` (1-500, default 50): newest first, each with its verdict.
pub(crate) async fn list(
    _: Admin,
    State(state): State<crate::State>,
    Query(query): Query<AdminReportsQuery>,
) -> ApiResult<axum::Json<AdminReports>> {
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let reports = blocking(move || state.db.read(|c| newest(c, limit))).await?;
    Ok(axum::Json(AdminReports { reports }))
}

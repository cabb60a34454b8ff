//! Report sending: one report by `PUT /v1/reports/{id}`, or it and the photo-less reports that
//! follow it in its chain in one `POST /v1/reports` (up to 50), which the platform commits in
//! the order sent and stops at the first it cannot settle for good.
//!
//! Owns which followers may join a batch ([`batch_followers`], pure), the batch body (the
//! stored report JSON, not re-encoded), reading a batch's per-report results, the fall-back to
//! single `PUT`s when a platform answers a batch with 404, 405, 413 or an unusable answer, and
//! what a refused report means (`photos_incomplete` forgets the photos the platform lacks so
//! the retry uploads them again). A report's photos are made whole first (`photos`).
//!
//! It does not decide retries, order or parallelism (`run`), classify answers (`protocol`) nor
//! record deliveries (`ledger`). Logs carry report ids and codes, never report text.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Inner;
use super::outbox::PendingRow;
use super::photos::distinct_photos;
use super::protocol::{BatchAnswer, Failure, Problem, Receipt, network_failure};
use super::run::Run;
use crate::capture::SubmittedReport;

/// How a report left the outbox.
pub(super) enum Settled {
    Delivered { case_number: String },
    Parked { code: String, reason: String },
}

/// At most this many reports, and about this many bytes, in one `POST /v1/reports` (the
/// reference platform takes 50 and 1 MiB).
const BATCH_REPORTS: usize = 50;
const BATCH_BYTES: usize = 900 * 1024;

/// The reports after the current one that may go in its batch: the next ones in the chain
/// with no photos to upload and no retry time to wait for, within the batch limits.
///
/// Pure: `now` (ms) is when the run looks, so a follower whose retry time is later waits for its
/// turn.
pub(super) fn batch_followers(after: &[Arc<PendingRow>], now: i64) -> &[Arc<PendingRow>] {
    let mut bytes = 0;
    let mut n = 0;
    for row in after.iter().take(BATCH_REPORTS - 1) {
        bytes += row.body.len() + 1;
        if row.photos > 0 || row.next_attempt_at > now || bytes > BATCH_BYTES {
            break;
        }
        n += 1;
    }
    &after[..n]
}

impl Inner {
    /// Photos first, then the report, with `followers` (the reports after it, photo-less and
    /// due) in one batch when the platform takes batches. `Ok`: how the first reports ended,
    /// in chain order — at least this one; the rest wait for their turn. `retried`: this
    /// report failed before.
    pub(super) async fn deliver(
        &self,
        run: &Run,
        row: &PendingRow,
        followers: &[Arc<PendingRow>],
        retried: bool,
    ) -> Result<Vec<Settled>, Failure> {
        let report: SubmittedReport = match serde_json::from_str(&row.body) {
            Ok(report) => report,
            Err(_) => {
                return Err(Failure::Permanent {
                    code: "local_report_unreadable".into(),
                    reason: "the stored report does not parse".into(),
                });
            }
        };
        for sha256 in distinct_photos(&report) {
            self.ensure_photo(run, &row.id, sha256, retried).await?;
        }
        if !followers.is_empty()
            && !self.batch_unsupported.load(Ordering::Relaxed)
            && let Some(outcome) = self.send_batch(run, row, followers).await
        {
            return outcome;
        }
        let url = self.url(&format!("/v1/reports/{}", row.id));
        let response = self
            .authed(|http| {
                self.with_clock_offset(http.put(&url))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(row.body.clone())
            })
            .await?;
        if response.status().is_success() {
            let receipt: Receipt = response.json().await.map_err(|e| network_failure(&e))?;
            return Ok(vec![Settled::Delivered {
                case_number: receipt.case_number,
            }]);
        }
        Err(self.refused(run, Problem::read(response).await))
    }

    /// `POST /v1/reports` with `first` and `followers`, which the platform commits in order.
    /// `None` when the platform does not take batches (or answered one unusably): the caller
    /// sends `first` alone, and later runs do not try batches again.
    async fn send_batch(
        &self,
        run: &Run,
        first: &PendingRow,
        followers: &[Arc<PendingRow>],
    ) -> Option<Result<Vec<Settled>, Failure>> {
        let rows: Vec<&PendingRow> = std::iter::once(first)
            .chain(followers.iter().map(|r| r.as_ref()))
            .collect();
        // The stored bodies are the reports' JSON already: no re-encoding.
        let mut body = String::from("{\"reports\":[");
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&row.body);
        }
        body.push_str("]}");
        let url = self.url("/v1/reports");
        let response = match self
            .authed(|http| {
                self.with_clock_offset(http.post(&url))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await
        {
            Ok(response) => response,
            Err(failure) => return Some(Err(failure)),
        };
        let status = response.status().as_u16();
        if matches!(status, 404 | 405 | 413) {
            return self.without_batches(status);
        }
        if !response.status().is_success() {
            return Some(Err(Problem::read(response).await.classify()));
        }
        let answer: BatchAnswer = match response.json().await {
            Ok(answer) => answer,
            Err(e) if e.is_decode() => return self.without_batches(status),
            Err(e) => return Some(Err(network_failure(&e))),
        };
        let mut settled = Vec::new();
        for (position, (result, row)) in answer.results.into_iter().zip(&rows).enumerate() {
            if result.index != position || result.report_id.as_deref().is_some_and(|id| id != row.id) {
                return self.without_batches(status);
            }
            let outcome = match result.receipt {
                Some(receipt) if (200..300).contains(&result.status) => Ok(Settled::Delivered {
                    case_number: receipt.case_number,
                }),
                None if (200..300).contains(&result.status) => return self.without_batches(status),
                _ => match self.refused(run, Problem::from_body(result.status, result.problem)) {
                    Failure::Permanent { code, reason } => Ok(Settled::Parked { code, reason }),
                    failure => Err(failure),
                },
            };
            match outcome {
                Ok(outcome) => settled.push(outcome),
                // The platform stopped here; what settled before stays settled.
                Err(failure) if settled.is_empty() => return Some(Err(failure)),
                Err(_) => break,
            }
        }
        if settled.is_empty() {
            return self.without_batches(status);
        }
        Some(Ok(settled))
    }

    fn without_batches(&self, status: u16) -> Option<Result<Vec<Settled>, Failure>> {
        tracing::info!(
            status,
            "the platform does not take report batches; sending reports one by one"
        );
        self.batch_unsupported.store(true, Ordering::Relaxed);
        None
    }

    /// The failure a refused report upload means; photos the platform says it lacks are
    /// forgotten, so the retry uploads them again.
    fn refused(&self, run: &Run, problem: Problem) -> Failure {
        if problem.code == "photos_incomplete" {
            let missing = problem
                .body
                .get("missing")
                .and_then(|m| m.as_array())
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str());
            for sha in missing {
                self.confirmed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(sha);
                run.ledger.photo_forgotten(sha);
            }
        }
        problem.classify()
    }

    /// A report upload carries the clock offset the device learned, when it knows one.
    fn with_clock_offset(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.clock.offset_ms() {
            Some(offset) => request.header(crate::capture::CLOCK_OFFSET_HEADER, offset.to_string()),
            None => request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    fn row(n: usize, photos: u32, body_bytes: usize) -> Arc<PendingRow> {
        Arc::new(PendingRow {
            id: format!("report-{n}"),
            reporter_id: "worker".into(),
            body: "x".repeat(body_bytes),
            attempts: 0,
            next_attempt_at: 0,
            photos,
        })
    }

    fn ids(rows: &[Arc<PendingRow>]) -> Vec<&str> {
        rows.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn photo_less_due_followers_join_in_chain_order() {
        let after: Vec<_> = (1..=5).map(|n| row(n, 0, 100)).collect();
        assert_eq!(
            ids(batch_followers(&after, NOW)),
            ["report-1", "report-2", "report-3", "report-4", "report-5"]
        );
        assert!(batch_followers(&[], NOW).is_empty());
    }

    #[test]
    fn a_report_with_photos_ends_the_batch_even_when_later_ones_have_none() {
        let after = vec![row(1, 0, 100), row(2, 0, 100), row(3, 2, 100), row(4, 0, 100)];
        assert_eq!(ids(batch_followers(&after, NOW)), ["report-1", "report-2"]);
        let photos_first = vec![row(1, 1, 100), row(2, 0, 100)];
        assert!(batch_followers(&photos_first, NOW).is_empty());
    }

    #[test]
    fn a_report_waiting_for_its_retry_time_ends_the_batch() {
        let mut waiting = (*row(2, 0, 100)).clone();
        waiting.next_attempt_at = NOW + 1;
        let after = vec![row(1, 0, 100), Arc::new(waiting), row(3, 0, 100)];
        assert_eq!(ids(batch_followers(&after, NOW)), ["report-1"]);
        // Due exactly now: it goes.
        let mut due = (*row(1, 0, 100)).clone();
        due.next_attempt_at = NOW;
        assert_eq!(batch_followers(&[Arc::new(due)], NOW).len(), 1);
    }

    #[test]
    fn a_batch_holds_at_most_fifty_reports_with_the_current_one() {
        let after: Vec<_> = (1..=120).map(|n| row(n, 0, 10)).collect();
        let followers = batch_followers(&after, NOW);
        assert_eq!(followers.len(), BATCH_REPORTS - 1);
        assert_eq!(followers.first().map(|r| r.id.as_str()), Some("report-1"));
        assert_eq!(followers.last().map(|r| r.id.as_str()), Some("report-49"));
    }

    #[test]
    fn a_batch_stops_before_the_follower_that_would_pass_the_byte_limit() {
        // Each body counts with its separating comma.
        let body = BATCH_BYTES / 4 - 1;
        let after: Vec<_> = (1..=6).map(|n| row(n, 0, body)).collect();
        assert_eq!(batch_followers(&after, NOW).len(), 4);
        let too_big = vec![row(1, 0, BATCH_BYTES)];
        assert!(batch_followers(&too_big, NOW).is_empty());
    }
}

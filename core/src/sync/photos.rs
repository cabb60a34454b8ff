//! Resumable photo upload: makes the platform hold each photo of a report, whole, before the
//! report is sent.
//!
//! Owns the `HEAD` / `PATCH` exchange of one photo (from the offset the platform holds, never an
//! assumed one; a stale partial of another length starts over from 0; a repeated hash mismatch
//! parks the report), the photos the platform confirmed complete (in memory, mirrored to
//! `photo_upload` by the ledger), and [`PhotosAhead`]: a chain's next reports' photos uploading
//! while the current report is committed. Photos wait on a metered network unless the policy
//! allows them (`Failure::Deferred`).
//!
//! It does not send reports (`reports`), decide the order of a chain or its retries (`run`),
//! nor read photo files (`media` / the client's photo store). Logs carry photo hashes and
//! counts, never bytes.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::outbox::PendingRow;
use super::protocol::{Failure, Problem, header_u64};
use super::run::Run;
use super::{AbortOnDrop, Inner, SyncEvent, runtime};
use crate::Result;
use crate::capture::SubmittedReport;
use crate::client::now_ms;

/// A report's photo ids, each once (a report may list the same photo twice).
pub(super) fn distinct_photos(report: &SubmittedReport) -> Vec<&str> {
    let mut seen = HashSet::new();
    report
        .content
        .photos
        .iter()
        .map(|p| p.sha256.as_str())
        .filter(|sha256| seen.insert(*sha256))
        .collect()
}

/// The photo uploads of a chain's next reports, started ahead of their reports' turn; aborted
/// when dropped (the chain stopped).
pub(super) struct PhotosAhead {
    /// Reports of the chain whose photos may upload at once, the current one included.
    window: usize,
    /// The index of the next report to consider.
    next: usize,
    running: VecDeque<(usize, tokio::task::JoinHandle<Result<(), Failure>>)>,
}

impl PhotosAhead {
    pub(super) fn new(window: usize) -> Self {
        Self {
            window: window.max(1),
            next: 0,
            running: VecDeque::new(),
        }
    }

    /// Starts the photo uploads of reports `current..current + window` not started yet. A
    /// report waiting for a retry time is left to its turn (its wait may be a `Retry-After`),
    /// and nothing starts while photos must wait for an unmetered network.
    pub(super) fn start_up_to(
        &mut self,
        inner: &Arc<Inner>,
        run: &Arc<Run>,
        chain: &[Arc<PendingRow>],
        current: usize,
    ) {
        self.next = self.next.max(current);
        if !inner.photos_allowed() {
            return;
        }
        let now = now_ms();
        let handle = runtime();
        while self.next < chain.len() && self.next < current + self.window {
            let row = &chain[self.next];
            if row.next_attempt_at <= now && row.photos > 0 {
                let task = Inner::upload_photos(inner.clone(), run.clone(), row.clone());
                self.running.push_back((self.next, handle.spawn(task)));
            }
            self.next += 1;
        }
    }

    /// How the early photo uploads of report `index` went; `None` when none ran (its
    /// delivery uploads them itself).
    pub(super) async fn outcome(&mut self, index: usize) -> Option<Result<(), Failure>> {
        while self.running.front().is_some_and(|(i, _)| *i < index) {
            if let Some((_, task)) = self.running.pop_front() {
                task.abort();
            }
        }
        if self.running.front().is_none_or(|(i, _)| *i != index) {
            return None;
        }
        let (_, task) = self.running.pop_front()?;
        // Owned while awaited: a chain aborted now aborts this upload too.
        match AbortOnDrop(task).await {
            Ok(outcome) => Some(outcome),
            Err(join) => {
                tracing::error!(error = %join, "photo upload task failed");
                None
            }
        }
    }
}

impl Drop for PhotosAhead {
    fn drop(&mut self) {
        for (_, task) in &self.running {
            task.abort();
        }
    }
}

impl Inner {
    pub(super) fn is_confirmed(&self, sha256: &str) -> bool {
        self.confirmed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(sha256)
    }

    pub(super) fn confirm(&self, run: &Run, sha256: &str, bytes: u64) {
        run.ledger.photo_complete(sha256, bytes, now_ms());
        self.confirmed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sha256.to_string());
    }

    /// The photos of one report, each under its own permit: what [`PhotosAhead`] runs.
    pub(super) async fn upload_photos(
        self: Arc<Self>,
        run: Arc<Run>,
        row: Arc<PendingRow>,
    ) -> Result<(), Failure> {
        // An unreadable body is parked by `deliver`.
        let Ok(report) = serde_json::from_str::<SubmittedReport>(&row.body) else {
            return Ok(());
        };
        for sha256 in distinct_photos(&report) {
            if !self.is_confirmed(sha256) {
                let _permit = run
                    .permits
                    .acquire()
                    .await
                    .expect("the semaphore is never closed");
                self.ensure_photo(&run, &row.id, sha256, row.attempts > 0).await?;
            }
        }
        Ok(())
    }

    /// Makes the platform hold the whole photo: PATCH from the offset it holds.
    ///
    /// The offset comes from a HEAD when the report failed before (`retried`: a part may be
    /// there) or photos may not be sent now (a photo already there lets the report go). On a
    /// first try the first PATCH goes from 0 without asking: a new photo saves a round trip,
    /// and a platform that holds part of it (a run killed mid-upload, the same photo from
    /// another device) answers 409 with its offset, costing one chunk sent in vain.
    pub(super) async fn ensure_photo(
        &self,
        run: &Run,
        report_id: &str,
        sha256: &str,
        retried: bool,
    ) -> Result<(), Failure> {
        if self.is_confirmed(sha256) {
            return Ok(());
        }
        let url = self.url(&format!("/v1/photos/{sha256}"));
        let ask_first = retried || !self.photos_allowed();
        let head = if ask_first {
            Some(self.authed(|http| http.head(&url)).await?)
        } else {
            None
        };
        let mut held_length = None;
        let mut offset = match head {
            None => 0,
            Some(head) => match head.status().as_u16() {
                200 => {
                    let offset = header_u64(&head, "upload-offset").unwrap_or(0);
                    let length = header_u64(&head, "upload-length");
                    if length == Some(offset) && offset > 0 {
                        self.confirm(run, sha256, offset);
                        return Ok(());
                    }
                    held_length = length;
                    offset
                }
                404 => 0,
                _ => return Err(Problem::read(head).await.classify()),
            },
        };
        if !self.photos_allowed() {
            return Err(Failure::Deferred);
        }
        let bytes = match self.client.photos().read(sha256) {
            Ok(bytes) if crate::media::sha256_hex(&bytes) == sha256 => bytes::Bytes::from(bytes),
            Ok(_) => {
                return Err(Failure::Permanent {
                    code: "local_photo_corrupt".into(),
                    reason: format!("photo {sha256} no longer matches its hash"),
                });
            }
            Err(crate::media::MediaError::Sealed(_)) => {
                // Damaged, cut or reordered chunks: never uploaded, the report parked.
                return Err(Failure::Permanent {
                    code: "local_photo_corrupt".into(),
                    reason: format!("photo {sha256} is stored damaged (its encrypted file does not open)"),
                });
            }
            Err(_) => {
                return Err(Failure::Permanent {
                    code: "local_photo_missing".into(),
                    reason: format!("photo {sha256} is not on the device"),
                });
            }
        };
        let total = bytes.len() as u64;
        if held_length.is_some_and(|length| length != total) {
            // A stale partial of another length: never resumed (its offset may even pass the
            // end of these bytes), started over from 0.
            offset = 0;
        }
        let mut hash_mismatches = 0;
        let mut length_restarts = 0;
        loop {
            if offset >= total {
                // Only a complete, verified photo reports offset == length.
                self.confirm(run, sha256, total);
                return Ok(());
            }
            let end = (offset + self.config.photo_chunk_bytes as u64).min(total);
            let chunk = bytes.slice(offset as usize..end as usize);
            let response = self
                .authed(|http| {
                    http.patch(&url)
                        .header("Upload-Offset", offset)
                        .header("Upload-Length", total)
                        .header(reqwest::header::CONTENT_TYPE, "application/offset+octet-stream")
                        .body(chunk.clone())
                })
                .await?;
            if response.status().is_success() {
                run.bytes_sent.fetch_add(end - offset, Ordering::Relaxed);
                offset = header_u64(&response, "upload-offset").unwrap_or(end);
                self.emit(run, Some(report_id), SyncEvent::PhotoProgress, offset, total);
                continue;
            }
            let problem = Problem::read(response).await;
            match problem.code.as_str() {
                "upload_offset_mismatch" => {
                    offset = problem
                        .body
                        .get("upload_offset")
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0);
                }
                "photo_hash_mismatch" => {
                    hash_mismatches += 1;
                    if hash_mismatches >= 2 {
                        return Err(Failure::Permanent {
                            code: problem.code,
                            reason: format!("photo {sha256} repeatedly failed the platform's hash check"),
                        });
                    }
                    offset = 0;
                }
                // What the platform holds was started with another length (a stale partial):
                // a PATCH from 0 starts it over; again and again is retried later, never parked.
                "upload_length_mismatch" if length_restarts == 0 => {
                    length_restarts += 1;
                    offset = 0;
                }
                _ => return Err(problem.classify()),
            }
        }
    }
}

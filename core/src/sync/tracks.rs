//! Patrol upload: each patrol's fields and its points, in chunks, exactly once and in order.
//!
//! Owns what a run sends of the patrols: first the recorder's waiting fixes are committed (so
//! the newest fix of an active patrol — the "live" position dispatch needs — goes in this run),
//! then patrol by patrol, oldest first, one request at a time: the patrol's fields
//! (`PUT /v1/patrols/{id}`) when the platform has none yet, its points in chunks of 500
//! (`PUT /v1/patrols/{id}/chunks/{n}`, from the first chunk the platform does not hold whole;
//! the last, growing chunk again each run), then the fields again when they changed (state,
//! counts, the stop). What the platform confirmed is recorded by `track_queue` in one
//! transaction per answer. The wire shapes and the rules they meet are `track::wire`'s, the same
//! the platform checks with.
//!
//! ## Never in the way of reports
//! The patrols go as one task beside the reporters' chains, holding none of their request
//! slots: a report with photos never waits for a long track, and a track never waits for a
//! report. Both end at the run's deadline; what is left goes next run.
//!
//! ## Answers
//! As for reports (`protocol::Problem::classify`): transient → the same request after a
//! backoff (within the run); permanent → this patrol's upload is parked with its code (its
//! points stay in the store) and the next patrol goes; 404 `patrol_not_found` on a chunk (the
//! platform lost the patrol) → its fields are sent again first; stop → the run stops.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Inner;
use super::protocol::{Failure, Problem};
use super::run::Run;
use super::track_queue;
use crate::client::now_ms;
use crate::location::Datum;
use crate::media::sha256_hex;
use crate::track::wire::{CHUNK_POINTS, PatrolMeta, TrackChunk, chunk_of, chunk_range};
use crate::track::{PatrolState, db};
use crate::{Error, Result};

/// What one request left to do for a patrol.
enum Next {
    /// More to send now.
    More,
    /// Nothing more until the patrol records more (or, stopped, never).
    Idle,
}

impl Inner {
    /// Commits the recorder's waiting fixes, so this run sends them.
    pub(super) async fn flush_patrol(&self) -> Result<()> {
        let client = self.client.clone();
        tokio::task::spawn_blocking(move || client.patrol_flush())
            .await
            .map_err(|join| Error::Internal {
                reason: format!("the patrol flush failed: {join}"),
            })?
    }

    /// Every patrol with something to send, oldest first, until done or out of time.
    pub(super) async fn send_patrols(self: Arc<Self>, run: Arc<Run>) -> Result<()> {
        let due = self.client.store().read(track_queue::due)?;
        for patrol_id in due {
            if !self.upload_patrol(&run, &patrol_id).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One patrol, request by request, with retries. `Ok(false)`: out of time.
    async fn upload_patrol(&self, run: &Run, patrol_id: &str) -> Result<bool> {
        let mut attempts = 0u32;
        loop {
            match self.patrol_request(run, patrol_id).await {
                Ok(Next::More) => attempts = 0,
                Ok(Next::Idle) => return Ok(true),
                Err(Failure::Stop(error)) => return Err(error),
                Err(Failure::Permanent { code, reason }) => {
                    tracing::warn!(patrol_id, %code, "patrol upload parked");
                    let id = patrol_id.to_owned();
                    super::outbox::unless_full(
                        self.write(move |tx| track_queue::park(tx, &id, &code, &reason, now_ms()))
                            .await,
                        "a parked patrol",
                    )?;
                    return Ok(true);
                }
                // Photos only; a patrol is never deferred. Try again next run.
                Err(Failure::Deferred) => return Ok(true),
                Err(Failure::Transient { reason, retry_after }) => {
                    attempts = attempts.saturating_add(1);
                    let delay = run.backoff(&self.config, attempts, retry_after);
                    run.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(patrol_id, %reason, attempts, delay_ms = delay.as_millis() as u64, "patrol upload retrying");
                    if !run.sleep(delay).await {
                        return Ok(false);
                    }
                }
            }
        }
    }

    /// The next request for a patrol: its fields if the platform has none, else the first
    /// chunk it lacks, else its fields if they changed; done when stopped and all confirmed.
    async fn patrol_request(&self, run: &Run, patrol_id: &str) -> Result<Next, Failure> {
        let (meta, points, upload) = self.client.store().read(|conn| {
            let row = db::load_patrol(conn, patrol_id)?.ok_or_else(|| Error::Internal {
                reason: "a due patrol has no row".into(),
            })?;
            let points = db::last_point(conn, patrol_id)?.map_or(0, |p| p.seq + 1);
            Ok((
                PatrolMeta::of(&row.patrol),
                points,
                track_queue::state(conn, patrol_id)?,
            ))
        })?;
        let meta_body = serde_json::to_vec(&meta).expect("patrol fields serialize");
        let meta_sha = sha256_hex(&meta_body);
        let meta_current = upload.meta_sha256.as_deref() == Some(meta_sha.as_str());
        if upload.meta_sha256.is_none() || (upload.points_confirmed >= points && !meta_current) {
            self.put_meta(run, patrol_id, meta_body).await?;
            let id = patrol_id.to_owned();
            self.write(move |tx| track_queue::record_meta(tx, &id, Some(&meta_sha), now_ms()))
                .await?;
            return Ok(Next::More);
        }
        if upload.points_confirmed < points {
            let n = chunk_of(upload.points_confirmed);
            let sent = self.put_chunk(run, patrol_id, n).await?;
            let id = patrol_id.to_owned();
            let confirmed = chunk_range(n).start + sent;
            self.write(move |tx| track_queue::record_points(tx, &id, confirmed, now_ms()))
                .await?;
            run.track_points_sent.fetch_add(
                confirmed.saturating_sub(upload.points_confirmed),
                Ordering::Relaxed,
            );
            return Ok(Next::More);
        }
        if meta.state == PatrolState::Stopped {
            let id = patrol_id.to_owned();
            self.write(move |tx| track_queue::mark_done(tx, &id, now_ms()))
                .await?;
            tracing::debug!(patrol_id, points, "patrol delivered");
        }
        Ok(Next::Idle)
    }

    async fn put_meta(&self, run: &Run, patrol_id: &str, body: Vec<u8>) -> Result<(), Failure> {
        let url = self.url(&format!("/v1/patrols/{patrol_id}"));
        let bytes = body.len() as u64;
        let response = self
            .authed(|http| {
                http.put(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        if !response.status().is_success() {
            return Err(Problem::read(response).await.classify());
        }
        run.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }

    /// Sends chunk `n` as the store holds it now; returns how many points it held.
    async fn put_chunk(&self, run: &Run, patrol_id: &str, n: u64) -> Result<u64, Failure> {
        let from = chunk_range(n).start;
        let points = self
            .client
            .store()
            .read(|conn| db::load_points_from(conn, patrol_id, from, CHUNK_POINTS))?;
        let held = points.len() as u64;
        let body = serde_json::to_vec(&TrackChunk {
            datum: Datum::Wgs84,
            points,
        })
        .expect("track points serialize");
        let bytes = body.len() as u64;
        let url = self.url(&format!("/v1/patrols/{patrol_id}/chunks/{n}"));
        let response = self
            .authed(|http| {
                http.put(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        if response.status().is_success() {
            // The answer's body is informational; a cut-off one still confirmed the chunk.
            let _ = response.bytes().await;
            run.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
            return Ok(held);
        }
        let problem = Problem::read(response).await;
        if problem.status == 404 && problem.code == "patrol_not_found" {
            tracing::info!(
                patrol_id,
                "the platform does not know this patrol; sending its fields again"
            );
            let id = patrol_id.to_owned();
            self.write(move |tx| track_queue::record_meta(tx, &id, None, now_ms()))
                .await?;
            return Err(Failure::Transient {
                reason: "patrol_not_found".into(),
                retry_after: Some(std::time::Duration::ZERO),
            });
        }
        Err(problem.classify())
    }
}

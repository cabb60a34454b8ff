//! One sync run and the background loop: what `sync_now` and `SyncEngine::start` do.
//!
//! Owns the [`Run`] (its deadline, the request slots, its counts and the ledger its
//! confirmations go to), the steps of a run (take the outbox lock, check enrollment, revocation
//! and network, park unreadable rows, send, flush the ledger, report the summary), one
//! reporter's chain in submit order with its retries, the backoff between them ([`backoff`],
//! pure: exponential, full jitter, never below `Retry-After`), the deadline (a wait that would
//! pass it ends the chain; the rest stays pending), the progress events, and the loop that runs
//! again every interval and when the network comes back.
//!
//! What a run sends is decided in one place, [`Inner::send`]: today the outbox's reports, one
//! chain per reporter. It does not send anything itself (`reports`, `photos`), classify answers
//! (`protocol`), nor hold credentials (`credentials`).

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::ledger::Ledger;
use super::outbox::{self, PendingRow};
use super::photos::PhotosAhead;
use super::protocol::Failure;
use super::reports::{Settled, batch_followers};
use super::track_queue;
use super::{Inner, SyncConfig, SyncEvent, SyncProgress, SyncSummary, runtime, signed, signed_bytes};
use crate::client::now_ms;
use crate::{Error, Result};

/// The state of one `sync_now` run shared by its tasks.
pub(super) struct Run {
    deadline: Instant,
    pub(super) permits: Semaphore,
    pub(super) retries: AtomicU32,
    pub(super) bytes_sent: AtomicU64,
    /// Track points the platform confirmed in this run (new ones; a re-sent tail counts once).
    pub(super) track_points_sent: AtomicU64,
    delivered: AtomicU32,
    pending: AtomicU32,
    delivered_this_run: AtomicU32,
    parked_this_run: AtomicU32,
    /// The jitter of this run's backoffs.
    rng: Mutex<fastrand::Rng>,
    /// Where confirmations go (written in batches by the `ledger` module).
    pub(super) ledger: Ledger,
}

impl Run {
    /// Sleeps `delay` unless that passes the deadline (then returns false at once).
    pub(super) async fn sleep(&self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        if until >= self.deadline {
            return false;
        }
        tokio::time::sleep_until(until).await;
        true
    }

    pub(super) fn backoff(
        &self,
        config: &SyncConfig,
        attempts: u32,
        retry_after: Option<Duration>,
    ) -> Duration {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        backoff(config, attempts, retry_after, &mut rng)
    }
}

/// The wait before retry number `attempts` (1 for the first retry): full jitter, uniform in
/// `0..=min(backoff_max_ms, backoff_base_ms·2^attempts)`, then at least `retry_after` when the
/// platform said so (a `Retry-After` may exceed `backoff_max_ms`: the platform knows best).
pub(super) fn backoff(
    config: &SyncConfig,
    attempts: u32,
    retry_after: Option<Duration>,
    rng: &mut fastrand::Rng,
) -> Duration {
    let cap = config
        .backoff_base_ms
        .saturating_mul(1u64 << attempts.min(20))
        .min(config.backoff_max_ms);
    let jittered = Duration::from_millis(rng.u64(0..=cap));
    match retry_after {
        Some(at_least) => jittered.max(at_least),
        None => jittered,
    }
}

/// The background loop of `SyncEngine::start`: a run now, then every `interval` and whenever
/// the network comes back, until aborted, closed or revoked.
pub(super) async fn background_loop(inner: Arc<Inner>, interval: Duration) {
    loop {
        let online = inner.network().online;
        if online && inner.credentials().is_some() {
            match Inner::sync_now(&inner, interval.max(Duration::from_secs(30))).await {
                Ok(_) => {}
                Err(Error::DeviceRevoked) => {
                    tracing::warn!("device revoked: background sync stopped");
                    return;
                }
                Err(Error::Closed) => return,
                Err(error) => tracing::warn!(%error, "background sync run failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = inner.wake.notified() => {}
        }
    }
}

impl Inner {
    pub(super) fn emit(&self, run: &Run, report_id: Option<&str>, event: SyncEvent, sent: u64, total: u64) {
        let listener = self.listener.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(listener) = listener {
            let progress = SyncProgress {
                report_id: report_id.map(str::to_string),
                event,
                bytes_sent: signed_bytes(sent),
                bytes_total: signed_bytes(total),
                delivered: signed(run.delivered.load(Ordering::Relaxed)),
                pending: signed(run.pending.load(Ordering::Relaxed)),
            };
            // Through the gate: once `shutdown` returned, no call starts and none is running.
            let called = self
                .listener_gate
                .call(|| std::panic::catch_unwind(AssertUnwindSafe(|| listener.on_progress(progress))));
            if matches!(called, Some(Err(_))) && !self.listener_failed.swap(true, Ordering::Relaxed) {
                tracing::error!("the sync listener panicked; sync goes on (later panics are not logged)");
            }
        }
    }

    pub(super) async fn sync_now(self: &Arc<Self>, deadline: Duration) -> Result<SyncSummary> {
        let mut closed = self.closed.subscribe();
        if *closed.borrow_and_update() {
            return Err(Error::Closed);
        }
        tokio::select! {
            biased;
            _ = closed.wait_for(|closed| *closed) => Err(Error::Closed),
            summary = self.run(deadline) => summary,
        }
    }

    async fn run(self: &Arc<Self>, deadline: Duration) -> Result<SyncSummary> {
        let deadline = Instant::now() + deadline;
        let Ok(_running) = tokio::time::timeout_at(deadline, self.client.outbox_lock().lock()).await else {
            return self.summary(0, 0, 0, 0, 0);
        };
        if self.credentials().is_none() {
            return Err(Error::NotEnrolled);
        }
        if self.is_revoked()? {
            return Err(Error::DeviceRevoked);
        }
        if !self.network().online {
            return self.summary(0, 0, 0, 0, 0);
        }
        // The newest fixes of an active patrol go in this run (the live position).
        if let Err(error) = self.flush_patrol().await {
            tracing::warn!(%error, "waiting patrol fixes could not be committed before sync");
        }
        // Reports from before this device signed are signed now, before they are read to send.
        match self.client.sign_unsigned_pending() {
            Ok(0) => {}
            Ok(signed) => tracing::info!(signed, "pending reports from before signing signed"),
            Err(error) => tracing::warn!(%error, "pending unsigned reports could not be signed"),
        }
        let (rows, unreadable) = self.client.store().read(outbox::pending)?;
        for row in &unreadable {
            tracing::warn!(report_id = %String::from_utf8_lossy(&row.key), code = row.code, "report parked");
            outbox::unless_full(
                self.client
                    .store()
                    .write(|tx| outbox::park_unreadable(tx, row, now_ms())),
                "a parked report",
            )?;
        }
        let (_, delivered, _) = self.client.store().read(outbox::counts)?;
        let run = Arc::new(Run {
            deadline,
            permits: Semaphore::new(self.config.max_parallel_reports),
            retries: AtomicU32::new(0),
            bytes_sent: AtomicU64::new(0),
            track_points_sent: AtomicU64::new(0),
            delivered: AtomicU32::new(delivered),
            pending: AtomicU32::new(rows.len() as u32),
            delivered_this_run: AtomicU32::new(0),
            parked_this_run: AtomicU32::new(0),
            rng: Mutex::new(fastrand::Rng::new()),
            ledger: Ledger::start(self.client.clone(), &runtime()),
        });
        // A run with nothing to send says nothing: no Started/Finished every interval.
        let patrols_due = self.client.store().read(track_queue::due)?.len();
        let anything = !rows.is_empty() || patrols_due > 0;
        if anything {
            tracing::info!(pending = rows.len(), patrols_due, "sync run started");
            self.emit(&run, None, SyncEvent::Started, 0, 0);
        }

        let stop = self.send(&run, rows, patrols_due > 0).await;
        let recorded = run.ledger.flush().await;
        if let Some(error) = stop {
            if matches!(error, Error::DeviceRevoked) {
                self.mark_revoked().await?;
            }
            return Err(error);
        }
        outbox::unless_full(recorded, "deliveries")?;
        outbox::unless_full(self.clock.persist(&self.client), "the clock offset")?;
        let summary = self.summary(
            run.delivered_this_run.load(Ordering::Relaxed),
            run.parked_this_run.load(Ordering::Relaxed),
            run.retries.load(Ordering::Relaxed),
            run.bytes_sent.load(Ordering::Relaxed),
            run.track_points_sent.load(Ordering::Relaxed),
        )?;
        if !anything {
            return Ok(summary);
        }
        self.emit(
            &run,
            None,
            SyncEvent::Finished,
            run.bytes_sent.load(Ordering::Relaxed),
            run.bytes_sent.load(Ordering::Relaxed),
        );
        tracing::info!(
            delivered = summary.delivered,
            pending = summary.pending,
            parked = summary.parked,
            retries = summary.retries,
            track_points = summary.track_points_sent,
            "sync run finished"
        );
        // After the observers heard the end of the run: the count is bookkeeping, from the
        // summary just read, not a new query.
        let unsent = u32::try_from(summary.pending + summary.parked).unwrap_or(0);
        crate::keys::write_unsent_count(self.client.data_dir(), unsent);
        Ok(summary)
    }

    /// The one place a run decides what it sends, until done or out of time: the outbox's
    /// reports, one chain per reporter in submit order, the chains in parallel, and beside them
    /// the patrols (one task, in its own lane: `tracks`). The first error that stops the run
    /// (revoked, the store failed, a task panicked) aborts the rest.
    async fn send(self: &Arc<Self>, run: &Arc<Run>, rows: Vec<PendingRow>, patrols: bool) -> Option<Error> {
        // One chain per reporter, in submit order.
        let mut order: Vec<String> = Vec::new();
        let mut chains: HashMap<String, Vec<PendingRow>> = HashMap::new();
        for row in rows {
            if !chains.contains_key(&row.reporter_id) {
                order.push(row.reporter_id.clone());
            }
            chains.entry(row.reporter_id.clone()).or_default().push(row);
        }
        let handle = runtime();
        let mut tasks = tokio::task::JoinSet::new();
        if patrols {
            tasks.spawn_on(Inner::send_patrols(self.clone(), run.clone()), &handle);
        }
        for reporter in order {
            let chain = chains
                .remove(&reporter)
                .expect("every reporter in order has a chain");
            tasks.spawn_on(Inner::work_chain(self.clone(), run.clone(), chain), &handle);
        }
        let mut stop: Option<Error> = None;
        loop {
            let next = match tokio::time::timeout_at(run.deadline, tasks.join_next()).await {
                Ok(Some(next)) => next,
                Ok(None) => break,
                // Out of time: in-flight requests are abandoned (each is idempotent).
                Err(_) => break,
            };
            match next {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    stop.get_or_insert(error);
                    tasks.abort_all();
                }
                Err(join) if join.is_cancelled() => {}
                Err(join) => {
                    tracing::error!(error = %join, "sync task panicked");
                    stop.get_or_insert(Error::Internal {
                        reason: "a sync task panicked".into(),
                    });
                    tasks.abort_all();
                }
            }
        }
        stop
    }

    fn summary(
        &self,
        delivered_this_run: u32,
        parked_this_run: u32,
        retries: u32,
        bytes_sent: u64,
        track_points_sent: u64,
    ) -> Result<SyncSummary> {
        let ((pending, delivered, parked), (patrols_waiting, patrols_parked)) = self
            .client
            .store()
            .read(|conn| Ok((outbox::counts(conn)?, track_queue::counts(conn)?)))?;
        Ok(SyncSummary {
            patrols_waiting: signed(patrols_waiting),
            patrols_parked: signed(patrols_parked),
            track_points_sent: signed_bytes(track_points_sent),
            delivered: signed(delivered),
            pending: signed(pending),
            parked: signed(parked),
            delivered_this_run: signed(delivered_this_run),
            parked_this_run: signed(parked_this_run),
            retries: signed(retries),
            bytes_sent: signed_bytes(bytes_sent),
        })
    }

    /// One reporter's reports, in order: a report's PUT waits until the one before it is
    /// delivered or parked, while the photos of the next few are already uploading (a photo
    /// commits nothing on its own). Returns early (leaving the rest pending) when out of time
    /// or when photos must wait; an error stops the whole run.
    async fn work_chain(self: Arc<Self>, run: Arc<Run>, chain: Vec<PendingRow>) -> Result<()> {
        let chain: Vec<Arc<PendingRow>> = chain.into_iter().map(Arc::new).collect();
        let mut ahead = PhotosAhead::new(self.config.max_parallel_reports);
        let mut index = 0;
        'reports: while index < chain.len() {
            let row = &chain[index];
            let mut attempts = row.attempts;
            let wait = row.next_attempt_at - now_ms();
            if wait > 0 && !run.sleep(Duration::from_millis(wait as u64)).await {
                return Ok(());
            }
            ahead.start_up_to(&self, &run, &chain, index);
            let mut photos_ahead = ahead.outcome(index).await;
            loop {
                let result = match photos_ahead.take() {
                    // Their failure is this report's: the same backoff, parking or stop.
                    Some(Err(failure)) => Err(failure),
                    _ => {
                        let _permit = run
                            .permits
                            .acquire()
                            .await
                            .expect("the semaphore is never closed");
                        let followers = batch_followers(&chain[index + 1..], now_ms());
                        self.deliver(&run, row, followers, attempts > 0).await
                    }
                };
                match result {
                    Ok(settled) => {
                        for (outcome, row) in settled.into_iter().zip(&chain[index..]) {
                            self.settle(&run, row, outcome).await?;
                            index += 1;
                        }
                        continue 'reports;
                    }
                    Err(Failure::Permanent { code, reason }) => {
                        self.settle(&run, row, Settled::Parked { code, reason }).await?;
                        index += 1;
                        continue 'reports;
                    }
                    Err(Failure::Deferred) => {
                        tracing::debug!(report_id = %row.id, "photos wait for an unmetered network");
                        return Ok(());
                    }
                    Err(Failure::Stop(error)) => return Err(error),
                    Err(Failure::Transient { reason, retry_after }) => {
                        attempts = attempts.saturating_add(1);
                        let delay = run.backoff(&self.config, attempts, retry_after);
                        let next = now_ms() + delay.as_millis() as i64;
                        let (id, code) = (row.id.clone(), reason.clone());
                        outbox::unless_full(
                            self.write(move |tx| outbox::record_failure(tx, &id, attempts, &code, next))
                                .await,
                            "a retry",
                        )?;
                        run.retries.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(report_id = %row.id, %reason, attempts, delay_ms = delay.as_millis() as u64, "retrying");
                        self.emit(&run, Some(&row.id), SyncEvent::Retrying, 0, 0);
                        if !run.sleep(delay).await {
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Records how one report ended: delivered (in the ledger) or parked (at once).
    async fn settle(&self, run: &Run, row: &PendingRow, outcome: Settled) -> Result<()> {
        match outcome {
            Settled::Delivered { case_number } => {
                run.ledger.delivered(&row.id, &case_number, now_ms());
                run.delivered.fetch_add(1, Ordering::Relaxed);
                run.delivered_this_run.fetch_add(1, Ordering::Relaxed);
                run.pending.fetch_sub(1, Ordering::Relaxed);
                tracing::debug!(report_id = %row.id, %case_number, "report delivered");
                self.emit(run, Some(&row.id), SyncEvent::ReportDelivered, 0, 0);
            }
            Settled::Parked { code, reason } => {
                let (id, stored_code) = (row.id.clone(), code.clone());
                outbox::unless_full(
                    self.write(move |tx| outbox::park(tx, &id, &stored_code, &reason, now_ms()))
                        .await,
                    "a parked report",
                )?;
                run.pending.fetch_sub(1, Ordering::Relaxed);
                run.parked_this_run.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(report_id = %row.id, %code, "report parked");
                self.emit(run, Some(&row.id), SyncEvent::ReportParked, 0, 0);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff_config(base_ms: u64, max_ms: u64) -> SyncConfig {
        SyncConfig {
            tls: None,
            backoff_base_ms: base_ms,
            backoff_max_ms: max_ms,
            ..SyncConfig::new("http://127.0.0.1:1")
        }
    }

    /// `draws` backoffs for `attempts`, from a seeded generator (the same numbers every run).
    fn draws(config: &SyncConfig, attempts: u32, retry_after: Option<Duration>, draws: usize) -> Vec<u64> {
        let mut rng = fastrand::Rng::with_seed(0x5EED + u64::from(attempts));
        (0..draws)
            .map(|_| backoff(config, attempts, retry_after, &mut rng).as_millis() as u64)
            .collect()
    }

    #[test]
    fn the_jittered_wait_stays_within_zero_and_the_doubled_base() {
        let config = backoff_config(500, 60_000);
        for (attempts, cap) in [(0, 500), (1, 1_000), (2, 2_000), (3, 4_000), (6, 32_000)] {
            let waits = draws(&config, attempts, None, 2_000);
            assert!(waits.iter().all(|&w| w <= cap), "attempt {attempts}: above {cap}");
            // Full jitter spreads over the whole range, not around one value.
            let (low, high) = (waits.iter().min().copied(), waits.iter().max().copied());
            assert!(
                low.is_some_and(|w| w < cap / 10),
                "attempt {attempts}: lowest {low:?}"
            );
            assert!(
                high.is_some_and(|w| w > cap * 9 / 10),
                "attempt {attempts}: highest {high:?}"
            );
        }
    }

    #[test]
    fn the_wait_never_passes_the_maximum_however_many_attempts() {
        let config = backoff_config(500, 60_000);
        for attempts in [7, 8, 20, 21, 63, 64, u32::MAX] {
            let waits = draws(&config, attempts, None, 500);
            assert!(waits.iter().all(|&w| w <= 60_000), "attempt {attempts}");
            assert!(
                waits.iter().any(|&w| w > 50_000),
                "attempt {attempts}: capped, still jittered"
            );
        }
        // A base so large the doubling would overflow saturates at the maximum.
        let huge = backoff_config(u64::MAX / 2, 60_000);
        assert!(draws(&huge, 30, None, 200).iter().all(|&w| w <= 60_000));
    }

    #[test]
    fn the_wait_is_never_below_retry_after_even_above_the_maximum() {
        let config = backoff_config(500, 60_000);
        let waits = draws(&config, 3, Some(Duration::from_secs(3)), 1_000);
        assert!(waits.iter().all(|&w| (3_000..=4_000).contains(&w)));
        // Jitter above Retry-After is kept.
        assert!(waits.iter().any(|&w| w > 3_000));
        // The platform's Retry-After wins over the engine's own maximum.
        let waits = draws(&config, 3, Some(Duration::from_secs(90)), 100);
        assert!(waits.iter().all(|&w| w == 90_000));
    }

    #[test]
    fn a_zero_base_retries_at_once() {
        assert!(
            draws(&backoff_config(0, 60_000), 5, None, 100)
                .iter()
                .all(|&w| w == 0)
        );
    }
}

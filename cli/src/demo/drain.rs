//! Back online: the platform's network turns bad, and every device drains its outbox to it.
//!
//! Owns the reconnection: the injected faults (on for the drain, off after), one drain task a
//! device retrying until its queue is empty or its time is up, and the delivery bars. It does
//! not own what the queues or the platform hold afterwards (`summary` reads those) nor how the
//! sync engine retries (the core's).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridpatrol_core::sync::{SyncEngine, SyncEvent, SyncListener, SyncProgress};
use gridpatrol_platform::{FaultConfig, Platform};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};

use super::crew::Worker;
use super::summary::Summary;
use super::{Narrator, bar_style, fail};
use crate::Failure;

/// How long a device keeps trying before the demo gives up on its queue.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);
/// How long one sync run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(15);
/// The pause between two runs of a device whose queue is not empty yet.
const BETWEEN_RUNS: Duration = Duration::from_millis(100);

/// The network after reconnection: the share of requests that fail, and the faults' seed.
pub(super) struct BadNetwork {
    pub(super) fault_rate: f64,
    pub(super) seed: u64,
}

/// Signal is back on `network`: every device drains at once; the retries, bytes and time it
/// took go into `summary`. The faults are off again when this returns.
pub(super) async fn reconnect(
    platform: &Platform,
    workers: &[Worker],
    network: BadNetwork,
    narrator: &Narrator,
    summary: &mut Summary,
) -> Result<(), Failure> {
    platform.set_fault(Some(FaultConfig::new(network.fault_rate, network.seed)));
    narrator.say(format!(
        "online    signal is back; {:.0} % of requests fail (resets, timeouts, 5xx, 429, lost answers)",
        network.fault_rate * 100.0
    ));
    let bars = if narrator.quiet {
        MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
    } else {
        MultiProgress::new()
    };
    let reconnected = Instant::now();
    let tasks: Vec<_> = workers
        .iter()
        .map(|worker| {
            let bar = delivery_bar(&bars, worker);
            tokio::spawn(drain_device(worker.engine.clone(), bar))
        })
        .collect();
    for task in tasks {
        let drained = task.await.map_err(|e| fail("internal")(e.to_string()))?;
        summary.retries += drained.retries;
        summary.bytes_sent += drained.bytes_sent;
    }
    summary.seconds = reconnected.elapsed().as_secs_f64();
    bars.clear().ok();
    platform.set_fault(None);
    Ok(())
}

/// A bar under `bars` for `worker`'s outbox, moved by their engine as reports are delivered.
fn delivery_bar(bars: &MultiProgress, worker: &Worker) -> ProgressBar {
    let bar = bars.add(ProgressBar::new(u64::from(worker.submitted)));
    bar.set_style(bar_style("{msg:>12} [{bar:30}] {pos}/{len} delivered {spinner}"));
    bar.set_message(worker.name);
    worker
        .engine
        .set_listener(Some(Arc::new(BarListener(bar.clone()))));
    bar
}

/// What one device's drain cost.
struct Drained {
    retries: i32,
    bytes_sent: i64,
}

/// Sync runs one after another until the device's queue (reports and patrols) is empty or [`DRAIN_LIMIT`] is up.
async fn drain_device(engine: Arc<SyncEngine>, bar: ProgressBar) -> Drained {
    let limit = Instant::now() + DRAIN_LIMIT;
    let mut drained = Drained {
        retries: 0,
        bytes_sent: 0,
    };
    loop {
        let outcome = engine.sync_now(RUN_TIMEOUT).await;
        if let Ok(run) = &outcome {
            drained.retries += run.retries;
            drained.bytes_sent += run.bytes_sent;
            if run.pending == 0 && run.patrols_waiting == 0 {
                break;
            }
        }
        if Instant::now() > limit {
            break;
        }
        tokio::time::sleep(BETWEEN_RUNS).await;
    }
    bar.finish();
    drained
}

/// Moves a device's bar as its reports are delivered.
struct BarListener(ProgressBar);

impl SyncListener for BarListener {
    fn on_progress(&self, progress: SyncProgress) {
        if matches!(progress.event, SyncEvent::ReportDelivered) {
            self.0.inc(1);
        }
    }
}

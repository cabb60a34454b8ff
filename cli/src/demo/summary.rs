//! The day in figures: what the patrol captured and caught, and the numbers printed at the end
//! (or, with `--json`, the one JSON object).
//!
//! Owns the figures, their wording, reading them from the devices' queues and the platform's
//! counters, and the verdict (every queue drained, every delivery on the platform once). It
//! does not capture (`crew`) nor drain (`drain`); those steps add their counts here.

use std::collections::BTreeMap;
use std::time::Duration;

use gridpatrol_core::track::PatrolFigures;
use gridpatrol_platform::Platform;
use serde::Serialize;

use super::crew::Worker;
use super::{Narrator, fail};
use crate::{Failure, print_json};

/// The day's outcome; `--json` prints it.
#[derive(Debug, Default, Serialize)]
pub(super) struct Summary {
    pub(super) captured: u32,
    pub(super) rejected_on_device: u32,
    pub(super) rejected_by_reason: BTreeMap<String, u32>,
    pub(super) submitted: u32,
    delivered: i32,
    platform_reports: i64,
    /// Of those, the reports whose signed claim the platform verified (every one, unless a
    /// report was changed after its phone signed it).
    claims_verified: i64,
    duplicates: i64,
    pending: i32,
    parked: i32,
    pub(super) retries: i32,
    pub(super) bytes_sent: i64,
    photos_on_platform: i64,
    devices: u32,
    faults_injected_rate: f64,
    /// From reconnection to every queue empty (or the time limit).
    pub(super) seconds: f64,
    /// The inspectors' patrols: how many, metres walked in all, gaps (count and seconds).
    patrols: u32,
    distance_walked_m: f64,
    gaps: u32,
    gap_s: f64,
    /// The mean share of each patrol's own grid within 30 m of its track (0.0–1.0).
    own_grid_coverage: f64,
    /// Every patrol on the platform, stopped, with exactly the points its phone holds.
    pub(super) tracks_delivered_exactly_once: bool,
    /// The slowest of the patrols' first fixes from the phone to the platform (ms), in signal.
    fix_to_platform_ms: Option<i64>,
}

impl Summary {
    pub(super) fn new(devices: usize, fault_rate: f64) -> Self {
        Summary {
            devices: devices as u32,
            faults_injected_rate: fault_rate,
            ..Summary::default()
        }
    }

    /// The patrol's line, and one line per reason the devices refused reports for.
    pub(super) fn say_captured(&self, capturing: Duration, narrator: &Narrator) {
        narrator.say(format!(
            "captured  {} reports in {:.1} s: {} in the outboxes, {} caught on the device",
            self.captured,
            capturing.as_secs_f64(),
            self.submitted,
            self.rejected_on_device
        ));
        for (code, count) in &self.rejected_by_reason {
            narrator.say(format!("          ✗ {count:>3}  {code}  {}", explain(code)));
        }
    }

    /// One patrol's figures, added to the day's.
    pub(super) fn add_patrol(&mut self, figures: &PatrolFigures) {
        let shares: Vec<f64> = figures.coverage.iter().filter_map(|c| c.share).collect();
        let share = if shares.is_empty() {
            0.0
        } else {
            shares.iter().sum::<f64>() / shares.len() as f64
        };
        let n = f64::from(self.patrols);
        self.own_grid_coverage = (self.own_grid_coverage * n + share) / (n + 1.0);
        self.patrols += 1;
        self.distance_walked_m += figures.distance_m;
        self.gaps += figures.gaps.len() as u32;
        self.gap_s += figures.gap_s;
    }

    /// A first fix took `ms` from the phone to the platform.
    pub(super) fn add_fix_to_platform(&mut self, ms: i64) {
        self.fix_to_platform_ms = Some(self.fix_to_platform_ms.map_or(ms, |slowest| slowest.max(ms)));
    }

    /// What every device's queue holds after the drain.
    pub(super) fn read_queues(&mut self, workers: &[Worker]) -> Result<(), Failure> {
        for worker in workers {
            let health = worker
                .engine
                .queue_health()
                .map_err(|e| fail("storage")(e.to_string()))?;
            self.pending += health.pending;
            self.parked += health.parked.len() as i32;
            self.delivered += health.delivered;
        }
        Ok(())
    }

    /// What the platform counted on its side.
    pub(super) fn read_platform(&mut self, platform: &Platform) -> Result<(), Failure> {
        let stats = platform.stats().map_err(fail("platform"))?;
        self.platform_reports = stats.reports;
        self.claims_verified = stats.reports_verified;
        self.duplicates = stats.duplicates_refused;
        self.photos_on_platform = stats.photos;
        Ok(())
    }

    /// The JSON object, or the table and whether every submitted report arrived exactly once.
    pub(super) fn print(&self, json: bool) {
        if json {
            print_json(self);
            return;
        }
        out!(
            "\n── the day in numbers ──────────────────────────────────────────\n\
             captured on patrol          {:>6}\n\
             caught on the device        {:>6}   (never sent; the worker fixes them)\n\
             submitted to the outbox     {:>6}\n\
             delivered                   {:>6}\n\
             on the platform             {:>6}   reports, {} photos, {} signed claims verified\n\
             duplicates refused          {:>6}   (retried uploads answered idempotently)\n\
             still pending / parked      {:>6} / {}\n\
             retries                     {:>6}\n\
             bytes sent                  {:>6.1} MB\n\
             reconnect → empty queues    {:>6.1} s\n\
             patrols                     {:>6}   {:.0} m walked, {} gaps ({:.0} s), own grid {:.2} % covered\n\
             first fix → platform        {:>6} ms",
            self.captured,
            self.rejected_on_device,
            self.submitted,
            self.delivered,
            self.platform_reports,
            self.photos_on_platform,
            self.claims_verified,
            self.duplicates,
            self.pending,
            self.parked,
            self.retries,
            self.bytes_sent as f64 / 1e6,
            self.seconds,
            self.patrols,
            self.distance_walked_m,
            self.gaps,
            self.gap_s,
            self.own_grid_coverage * 100.0,
            self.fix_to_platform_ms
                .map_or("-".to_string(), |ms| ms.to_string())
        );
        let exactly_once = self.platform_reports == i64::from(self.submitted) && self.pending == 0;
        out!(
            "{}",
            if exactly_once {
                "every submitted report arrived exactly once."
            } else {
                "NOT every submitted report arrived: see pending / parked above."
            }
        );
        out!(
            "{}",
            if self.tracks_delivered_exactly_once {
                "every patrol's track arrived exactly once."
            } else {
                "NOT every patrol's track arrived whole."
            }
        );
    }

    /// The command fails when a queue did not drain or the platform holds other than what the
    /// devices count as delivered.
    pub(super) fn verdict(&self) -> Result<(), Failure> {
        if self.pending > 0
            || self.platform_reports != i64::from(self.delivered)
            || !self.tracks_delivered_exactly_once
        {
            return Err(Failure::reported("not_drained", 1));
        }
        Ok(())
    }
}

/// The worker's words for a code the device refused a report with.
fn explain(code: &str) -> &'static str {
    match code {
        "photo.too_few" => "no photo of the problem",
        "location.too_inaccurate" => "GPS fix too poor for this kind of event",
        "grid.outside_own" => "the place is outside the worker's own grid",
        "role.not_allowed" => "a volunteer filing a police element",
        "location.mock" => "a mock-location app was on",
        _ => "",
    }
}

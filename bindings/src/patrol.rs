//! The patrol exports (巡查): start, fixes, pause / resume / stop, flush, the open patrol, its
//! figures and its simplified track.
//!
//! Owns only the exported names and the FFI shape of what they return: the core's patrol and
//! figures carry durations as milliseconds or seconds in `f64`, the app sees `Duration`
//! ([`PatrolStatus`], [`PatrolSummary`], [`PatrolGap`]). Filtering, durability, gaps and the
//! figures themselves are `gridpatrol_core::track`'s (its module doc is the design note). Every
//! call that writes or computes is `async` on the blocking pool; reading the open patrol is a
//! plain call.

use std::time::Duration;

use gridpatrol_core::capture::Reporter;
use gridpatrol_core::location::LocationFix;
use gridpatrol_core::track::figures::GridCoverage;
use gridpatrol_core::track::{
    self, BatchOutcome, FilterCounts, FixOutcome, PatrolFigures, PatrolState, SpeedAnomaly, TrackPoint,
    TravelMode,
};

use crate::run::blocking;
use crate::{GridPatrol, GridPatrolError, Result};

/// A patrol as stored: who walks it, how, and where it stands.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PatrolStatus {
    pub id: String,
    pub reporter: Reporter,
    pub mode: TravelMode,
    /// The interval the app asked the OS for fixes at; a silence over 3× this is a gap.
    pub expected_interval: Duration,
    pub state: PatrolState,
    pub started_at_ms: i64,
    /// Set while paused.
    pub paused_at_ms: Option<i64>,
    pub stopped_at_ms: Option<i64>,
    /// Fixes kept and refused, by reason.
    pub counts: FilterCounts,
}

/// A silence longer than 3× the expected interval: recorded, never bridged by a line.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct PatrolGap {
    pub start_ms: i64,
    pub end_ms: i64,
    pub length: Duration,
}

/// What the supervisor checks of a patrol.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PatrolSummary {
    pub patrol_id: String,
    pub state: PatrolState,
    pub points: u64,
    pub segments: u64,
    /// Walked distance on the filtered track (geodesic, within segments only).
    pub distance_m: f64,
    pub moving: Duration,
    pub stopped: Duration,
    pub gaps: Vec<PatrolGap>,
    /// The gaps' total length.
    pub gap_total: Duration,
    /// Share of each own grid within 30 m of the track; empty without a grid package.
    pub coverage: Vec<GridCoverage>,
    /// Time spent outside every own grid; null without grids to test.
    pub outside_own_grids: Option<Duration>,
    pub speed_anomalies: Vec<SpeedAnomaly>,
    pub counts: FilterCounts,
    /// Ids of the submitted reports captured on this patrol.
    pub linked_reports: Vec<String>,
}

/// Seconds as the core computes them; figures are never negative, a NaN would be a core bug
/// and reads as zero rather than failing the whole summary.
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
}

impl From<track::Patrol> for PatrolStatus {
    fn from(p: track::Patrol) -> Self {
        Self {
            id: p.id,
            reporter: p.reporter,
            mode: p.mode,
            expected_interval: Duration::from_millis(p.expected_interval_ms.into()),
            state: p.state,
            started_at_ms: p.started_at_ms,
            paused_at_ms: p.paused_at_ms,
            stopped_at_ms: p.stopped_at_ms,
            counts: p.counts,
        }
    }
}

impl From<PatrolFigures> for PatrolSummary {
    fn from(f: PatrolFigures) -> Self {
        Self {
            patrol_id: f.patrol_id,
            state: f.state,
            points: f.points,
            segments: f.segments,
            distance_m: f.distance_m,
            moving: seconds(f.moving_s),
            stopped: seconds(f.stopped_s),
            gaps: f
                .gaps
                .iter()
                .map(|g| PatrolGap {
                    start_ms: g.start_ms,
                    end_ms: g.end_ms,
                    length: seconds(g.seconds),
                })
                .collect(),
            gap_total: seconds(f.gap_s),
            coverage: f.coverage,
            outside_own_grids: f.outside_own_grids_s.map(seconds),
            speed_anomalies: f.speed_anomalies,
            counts: f.counts,
            linked_reports: f.linked_reports,
        }
    }
}

/// The interval as the core stores it: whole milliseconds, at least 1 ms, at most `u32::MAX`.
fn interval_ms(interval: Duration) -> Result<u32> {
    u32::try_from(interval.as_millis())
        .ok()
        .filter(|ms| *ms > 0)
        .ok_or_else(|| GridPatrolError::InvalidArgument {
            field: "expected_interval".into(),
            reason: "must be between 1 ms and about 49 days".into(),
        })
}

/// A simplification tolerance in metres: finite and not negative.
fn check_epsilon(epsilon_m: f64) -> Result<f64> {
    if epsilon_m.is_finite() && epsilon_m >= 0.0 {
        Ok(epsilon_m)
    } else {
        Err(GridPatrolError::InvalidArgument {
            field: "epsilon_m".into(),
            reason: "must be a finite number of metres, zero or more".into(),
        })
    }
}

/// Reading where the patrol stands: an indexed SQLite read.
#[uniffi::export]
impl GridPatrol {
    /// The open (active or paused) patrol, found again after a relaunch, to resume or stop;
    /// null when none is open.
    pub fn open_patrol(&self) -> Result<Option<PatrolStatus>> {
        Ok(self.inner.open_patrol()?.map(PatrolStatus::from))
    }
}

/// Recording (buffered fixes are committed in batches of 10 or 30 s; see the core's `track`)
/// and computing: `async`, on the blocking pool.
#[uniffi::export]
impl GridPatrol {
    /// Starts a patrol; `PatrolRefused(PATROL_STILL_OPEN)` while another one is open.
    pub async fn start_patrol(
        &self,
        reporter: Reporter,
        mode: TravelMode,
        expected_interval: Duration,
    ) -> Result<PatrolStatus> {
        let expected_interval_ms = interval_ms(expected_interval)?;
        let client = self.client();
        let start = track::PatrolStart {
            reporter,
            mode,
            expected_interval_ms,
        };
        blocking(move || Ok(client.patrol_start(start)?.into())).await
    }

    /// One fix as the OS reported it: kept or refused with the reason (a bad fix is
    /// `PatrolRefused` and changes nothing).
    pub async fn patrol_fix(&self, patrol_id: String, fix: LocationFix) -> Result<FixOutcome> {
        let client = self.client();
        blocking(move || Ok(client.patrol_fix(&patrol_id, fix)?)).await
    }

    /// Fixes the OS delivered late (Android's batched locations), committed in one batch; one
    /// bad fix refuses the whole batch.
    pub async fn patrol_fixes(&self, patrol_id: String, fixes: Vec<LocationFix>) -> Result<BatchOutcome> {
        let client = self.client();
        blocking(move || Ok(client.patrol_fixes(&patrol_id, fixes)?)).await
    }

    pub async fn pause_patrol(&self, patrol_id: String) -> Result<PatrolStatus> {
        let client = self.client();
        blocking(move || Ok(client.patrol_pause(&patrol_id)?.into())).await
    }

    pub async fn resume_patrol(&self, patrol_id: String) -> Result<PatrolStatus> {
        let client = self.client();
        blocking(move || Ok(client.patrol_resume(&patrol_id)?.into())).await
    }

    pub async fn stop_patrol(&self, patrol_id: String) -> Result<PatrolStatus> {
        let client = self.client();
        blocking(move || Ok(client.patrol_stop(&patrol_id)?.into())).await
    }

    /// Commits the fixes waiting for their batch; call it when the app goes to the background.
    pub async fn flush_patrol(&self) -> Result<()> {
        let client = self.client();
        blocking(move || Ok(client.patrol_flush()?)).await
    }

    /// The figures of a patrol (null: the open one, else the latest).
    pub async fn patrol_summary(&self, patrol_id: Option<String>) -> Result<PatrolSummary> {
        let client = self.client();
        blocking(move || Ok(client.patrol_figures(patrol_id)?.into())).await
    }

    /// The track simplified within `epsilon_m` metres for display or upload (null: the open
    /// patrol, else the latest); every point keeps its time and segment, gaps stay gaps.
    pub async fn patrol_track(&self, patrol_id: Option<String>, epsilon_m: f64) -> Result<Vec<TrackPoint>> {
        let epsilon_m = check_epsilon(epsilon_m)?;
        let client = self.client();
        blocking(move || Ok(client.patrol_track(patrol_id, epsilon_m)?)).await
    }
}

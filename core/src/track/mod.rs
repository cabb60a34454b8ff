//! Patrols (巡查): recording the worker's track and computing what the supervisor checks.
//!
//! Owns:
//! - **recording** ([`TrackRecorder`]): start / pause / resume / stop of a patrol by the worker,
//!   ingest of one fix or of a batch the OS delivered late, the filter that decides which fixes
//!   are kept (each refusal counted by reason on the patrol, never silent), the segments and
//!   gaps, and durability in batches;
//! - **figures** ([`figures::PatrolFigures`]): distance, moving / stopped time, gaps, coverage
//!   of the worker's own grids, time outside them, speed anomalies, linked reports;
//! - **simplification** ([`simplify`]) of the track for upload and display.
//!
//! Does not own: uploading tracks (the sync outbox), drawing them on Chinese base maps (datum
//! display helpers live in `location`), nor the worker's grid assignment (it comes with the
//! reporter, as for reports).
//!
//! ## Durability: batches of 10 fixes or 30 s
//! Fixes wait in memory and are written in one transaction when 10 are waiting, or when the
//! waiting kept ones span 30 s of fix time (or the oldest waiting one came 30 s ago), whichever
//! comes first. A refused fix waits like a kept one (its count is a change to the patrol row),
//! so refusals after the last kept fix are committed too. A batch from the OS (`ingest_batch`),
//! pause, resume, stop and [`TrackRecorder::flush`] (the app calls it when it goes to the
//! background; the client calls it on close) commit whatever waits at once, refusals alone
//! included. So a kill -9 loses at most the last 9 fixes, all newer than every committed one and
//! within 30 s of each other; a committed point is never lost, and the filter counts are
//! committed with the fixes they go with. One fsync
//! per 10 fixes is what makes a fix cost about a tenth of a bare durable INSERT (see the
//! `track` benchmark).
//!
//! On relaunch the open patrol (active or paused) is found in the store and continues with its
//! last committed point as the reference; the app resumes or stops it explicitly. There is at
//! most one open patrol per device (a unique index says so).
//!
//! ## The filter, in order
//! Bad input (NaN/inf, out of range, bad accuracy, a time more than 5 min in the future or
//! before the patrol started, a stopped patrol) is a [`TrackError`] with a stable code and
//! changes nothing, not even the counts; a batch with one bad fix is refused whole. Then, for a
//! valid fix: while paused → counted `while_paused`; time equal to the last kept fix's →
//! `duplicate`; earlier → `out_of_order` (a late batch is sorted first, so only fixes older
//! than what is already kept end here); accuracy over the limit (50 m) → `accuracy`; a speed
//! from the last kept fix over the jump limit (50 m/s, after subtracting both accuracy radii) →
//! `jump`. After 3 jumps in a row the fix is kept and starts a new segment (the first fix may
//! have been the wrong one; the recorder must never lock itself out). Mock fixes are kept,
//! flagged on the point and counted.
//!
//! ## Segments and gaps
//! A silence (between kept fixes, or from the start to the first one, or from the last one to
//! the stop or pause) longer than 3× the expected interval is a **gap**: the next point starts
//! a new segment marked `gap`. A resume starts one marked `pause`. Distances and speeds are only
//! taken within a segment, so a gap is never bridged by a straight line.
//!
//! ## Coverage: share of the grid within N m of the track, on a raster
//! Coverage of each own grid is the share of the grid's area within `coverage_radius_m` (30 m:
//! the frontage an inspector sees from the street) of the walked track, measured on a raster of
//! 10 m cells: a cell counts when its centre is inside the grid, and is covered when the track
//! (its segments sampled every half cell) passes within the radius of that centre. This is the
//! "polygon within N m" measure rather than "cells visited": a visited-cell count depends on the
//! cell size chosen (a 100 m cell is "visited" by one corner), while the buffer share does not,
//! and the raster keeps it exact to one cell size, deterministic and bounded in memory (the
//! cell size grows for very large grids so a grid never has more than 1 M cells), without a
//! polygon-buffer dependency.
//!
//! ## Reports of a patrol: reporter + time window
//! A patrol's reports are the submitted reports of the same reporter captured between its start
//! and its stop (or now). No report format or table changes, the platform can make the same
//! join from what it already receives, and with one open patrol per device the window is
//! unambiguous.

pub mod figures;
pub mod import;
pub mod simplify;
pub mod wire;

pub(crate) mod db;
mod error;
mod recorder;

#[cfg(test)]
mod tests;

pub(crate) use db::SCHEMA;
pub use error::TrackError;
pub use figures::{FigureConfig, Gap, PatrolFigures, SpeedAnomaly};
pub use recorder::{BatchOutcome, FixOutcome, TrackConfig, TrackRecorder};

use serde::{Deserialize, Serialize};

use crate::capture::Reporter;

/// A silence longer than this many expected intervals is a gap (the recorder and the figures
/// both use it).
pub const GAP_FACTOR: i64 = 3;

/// How the worker patrols; it sets the speed over which a stretch is a speed anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum TravelMode {
    Walking,
    Cycling,
    Driving,
}

impl TravelMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TravelMode::Walking => "walking",
            TravelMode::Cycling => "cycling",
            TravelMode::Driving => "driving",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Walking, Self::Cycling, Self::Driving]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// The sustained speed above which this mode is implausible: 10 km/h walking (a brisk walk
    /// is 6), 30 km/h cycling; none for driving.
    pub fn anomaly_speed_mps(self) -> Option<f64> {
        match self {
            TravelMode::Walking => Some(10.0 / 3.6),
            TravelMode::Cycling => Some(30.0 / 3.6),
            TravelMode::Driving => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PatrolState {
    Active,
    Paused,
    Stopped,
}

impl PatrolState {
    pub fn as_str(self) -> &'static str {
        match self {
            PatrolState::Active => "active",
            PatrolState::Paused => "paused",
            PatrolState::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Paused, Self::Stopped]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// What the worker gives when starting a patrol.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PatrolStart {
    pub reporter: Reporter,
    pub mode: TravelMode,
    /// The interval the app asked the OS for fixes at (1000 for 1 Hz); gaps are 3× this.
    pub expected_interval_ms: u32,
}

/// How many fixes the filter kept and refused, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct FilterCounts {
    pub kept: u64,
    /// Kept fixes the OS flagged as mock (included in `kept`).
    pub mock: u64,
    pub accuracy: u64,
    pub jump: u64,
    pub duplicate: u64,
    pub out_of_order: u64,
    pub while_paused: u64,
}

impl FilterCounts {
    fn add(&mut self, verdict: FixVerdict) {
        match verdict {
            FixVerdict::Kept => self.kept += 1,
            FixVerdict::KeptMock => {
                self.kept += 1;
                self.mock += 1;
            }
            FixVerdict::Accuracy => self.accuracy += 1,
            FixVerdict::Jump => self.jump += 1,
            FixVerdict::Duplicate => self.duplicate += 1,
            FixVerdict::OutOfOrder => self.out_of_order += 1,
            FixVerdict::WhilePaused => self.while_paused += 1,
        }
    }
}

/// What the filter did with one valid fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum FixVerdict {
    Kept,
    /// Kept, and flagged: the OS said it came from a mock-location provider.
    KeptMock,
    Accuracy,
    Jump,
    Duplicate,
    OutOfOrder,
    WhilePaused,
}

/// A patrol as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Patrol {
    pub id: String,
    pub reporter: Reporter,
    pub mode: TravelMode,
    pub expected_interval_ms: u32,
    pub state: PatrolState,
    pub started_at_ms: i64,
    /// Set while paused.
    pub paused_at_ms: Option<i64>,
    pub stopped_at_ms: Option<i64>,
    /// Counts as of the last durable batch (or including the waiting fixes, from the recorder).
    pub counts: FilterCounts,
}

impl Patrol {
    /// When a report counts as captured on this patrol, by its reporter: from the start to the
    /// stop (or `now_ms` while it runs), both ends included. The one rule the device's figures
    /// and the platform's use.
    pub fn report_window(&self, now_ms: i64) -> (i64, i64) {
        (self.started_at_ms, self.stopped_at_ms.unwrap_or(now_ms))
    }
}

/// How a point follows the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum SegmentStart {
    /// Same segment as the previous point.
    Continues,
    /// The patrol's first point.
    First,
    /// First point after a gap (a silence over 3× the expected interval).
    Gap,
    /// First point after a resume.
    Pause,
    /// First point after the jump filter gave up on the previous reference.
    Jump,
}

impl SegmentStart {
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentStart::Continues => "continues",
            SegmentStart::First => "first",
            SegmentStart::Gap => "gap",
            SegmentStart::Pause => "pause",
            SegmentStart::Jump => "jump",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Continues, Self::First, Self::Gap, Self::Pause, Self::Jump]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// One kept fix of a track, in WGS-84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct TrackPoint {
    /// 0, 1, 2 … in time order within the patrol.
    pub seq: u64,
    pub time_ms: i64,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub is_mock: bool,
    /// Points of one segment are joined by lines; segments are not.
    pub segment: u32,
    pub starts: SegmentStart,
}

//! Patrol figures: what a supervisor checks, computed from the stored track alone.
//!
//! Distances are geodesic and taken only within segments (never across a gap). Moving and
//! stopped time come from *legs*: the track is walked from an anchor point, and a leg ends at
//! the first point at least `min_step_m` from the anchor; GPS jitter while standing still
//! therefore adds neither distance nor moving time. A leg slower than `stop_speed_mps` counts as
//! stopped (its distance too is left out).

use geo::Coord;
use serde::Serialize;

use super::simplify::{LocalProjection, geodesic_m, segments};
use super::{FilterCounts, GAP_FACTOR, Patrol, PatrolState, SegmentStart, TrackPoint};
use crate::grid::{GridIndex, closed_contains};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FigureConfig {
    pub min_step_m: f64,
    pub stop_speed_mps: f64,
    /// A speed anomaly must last at least this long (a few fast seconds are GPS noise).
    pub anomaly_min_s: f64,
    pub coverage_radius_m: f64,
    pub coverage_cell_m: f64,
    /// The raster of one grid never has more cells than this (the cell grows instead).
    pub max_cells: usize,
}

impl Default for FigureConfig {
    fn default() -> Self {
        Self {
            min_step_m: 5.0,
            stop_speed_mps: 0.3,
            anomaly_min_s: 20.0,
            coverage_radius_m: 30.0,
            coverage_cell_m: 10.0,
            max_cells: 1_000_000,
        }
    }
}

/// A silence over 3× the expected interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Gap {
    pub start_ms: i64,
    pub end_ms: i64,
    pub seconds: f64,
}

/// A sustained stretch faster than the patrol's mode allows (a "walk" at 40 km/h).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SpeedAnomaly {
    pub start_ms: i64,
    pub end_ms: i64,
    pub distance_m: f64,
    pub mean_speed_kmh: f64,
}

/// The share of one own grid within the coverage radius of the track.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GridCoverage {
    pub grid_id: String,
    /// 0.0 ..= 1.0; `None` when the grid is not in the installed package.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PatrolFigures {
    pub patrol_id: String,
    pub state: PatrolState,
    pub points: u64,
    pub segments: u64,
    pub distance_m: f64,
    pub moving_s: f64,
    pub stopped_s: f64,
    pub gaps: Vec<Gap>,
    pub gap_s: f64,
    /// Own grids' coverage; empty without a grid package.
    pub coverage: Vec<GridCoverage>,
    /// Time between points that lie outside every own grid; `None` without grids to test.
    pub outside_own_grids_s: Option<f64>,
    pub speed_anomalies: Vec<SpeedAnomaly>,
    pub counts: FilterCounts,
    /// Ids of the submitted reports captured on this patrol (filled by the caller).
    pub linked_reports: Vec<String>,
}

/// A leg between two anchors of one segment.
struct Leg {
    start_ms: i64,
    end_ms: i64,
    distance_m: f64,
}

impl Leg {
    fn seconds(&self) -> f64 {
        (self.end_ms - self.start_ms) as f64 / 1000.0
    }

    fn speed(&self) -> f64 {
        self.distance_m / self.seconds().max(1e-3)
    }
}

/// Legs of one segment.
fn legs(segment: &[TrackPoint], min_step_m: f64) -> Vec<Leg> {
    let mut out = Vec::new();
    let Some(mut anchor) = segment.first() else {
        return out;
    };
    for p in &segment[1..] {
        let d = geodesic_m(anchor, p);
        if d >= min_step_m {
            out.push(Leg {
                start_ms: anchor.time_ms,
                end_ms: p.time_ms,
                distance_m: d,
            });
            anchor = p;
        }
    }
    // The tail shorter than a step is a leg too (the speed rule decides what it counts as),
    // so a segment's end is not cut off its distance.
    let last = segment.last().expect("non-empty");
    if last.time_ms > anchor.time_ms {
        out.push(Leg {
            start_ms: anchor.time_ms,
            end_ms: last.time_ms,
            distance_m: geodesic_m(anchor, last),
        });
    }
    out
}

fn gaps(patrol: &Patrol, points: &[TrackPoint], now_ms: i64) -> Vec<Gap> {
    let limit = GAP_FACTOR * i64::from(patrol.expected_interval_ms);
    let gap = |start_ms: i64, end_ms: i64| Gap {
        start_ms,
        end_ms,
        seconds: (end_ms - start_ms) as f64 / 1000.0,
    };
    let mut out = Vec::new();
    let end = patrol.paused_at_ms.or(patrol.stopped_at_ms).unwrap_or(now_ms);
    let Some(first) = points.first() else {
        if end - patrol.started_at_ms > limit {
            out.push(gap(patrol.started_at_ms, end));
        }
        return out;
    };
    if first.time_ms - patrol.started_at_ms > limit {
        out.push(gap(patrol.started_at_ms, first.time_ms));
    }
    for w in points.windows(2) {
        if w[1].starts == SegmentStart::Gap {
            out.push(gap(w[0].time_ms, w[1].time_ms));
        }
    }
    let last = points.last().expect("non-empty");
    if end - last.time_ms > limit {
        out.push(gap(last.time_ms, end));
    }
    out
}

fn anomalies(legs: &[Leg], limit_mps: f64, min_s: f64, out: &mut Vec<SpeedAnomaly>) {
    for run in legs.chunk_by(|a, b| (a.speed() > limit_mps) == (b.speed() > limit_mps)) {
        let (first, last) = (&run[0], &run[run.len() - 1]);
        let seconds = (last.end_ms - first.start_ms) as f64 / 1000.0;
        if first.speed() > limit_mps && seconds >= min_s {
            let distance_m: f64 = run.iter().map(|l| l.distance_m).sum();
            out.push(SpeedAnomaly {
                start_ms: first.start_ms,
                end_ms: last.end_ms,
                distance_m,
                mean_speed_kmh: distance_m / seconds * 3.6,
            });
        }
    }
}

/// Computes the figures of a patrol from its points (`now_ms` ends an open patrol).
pub fn compute(
    patrol: &Patrol,
    points: &[TrackPoint],
    grids: Option<&GridIndex>,
    now_ms: i64,
    config: &FigureConfig,
) -> PatrolFigures {
    let (mut distance_m, mut moving_s, mut stopped_s) = (0.0, 0.0, 0.0);
    let mut speed_anomalies = Vec::new();
    let mut segment_count = 0;
    for segment in segments(points) {
        segment_count += 1;
        let legs = legs(segment, config.min_step_m);
        for leg in &legs {
            if leg.speed() >= config.stop_speed_mps {
                distance_m += leg.distance_m;
                moving_s += leg.seconds();
            } else {
                stopped_s += leg.seconds();
            }
        }
        if let Some(limit) = patrol.mode.anomaly_speed_mps() {
            anomalies(&legs, limit, config.anomaly_min_s, &mut speed_anomalies);
        }
    }
    let gaps = gaps(patrol, points, now_ms);
    let own = &patrol.reporter.grid_ids;
    let (coverage, outside_own_grids_s) = match grids {
        Some(index) if !own.is_empty() => (
            own.iter()
                .map(|id| GridCoverage {
                    grid_id: id.clone(),
                    share: coverage(index, id, points, config),
                })
                .collect(),
            Some(outside_s(index, own, points)),
        ),
        _ => (Vec::new(), None),
    };
    PatrolFigures {
        patrol_id: patrol.id.clone(),
        state: patrol.state,
        points: points.len() as u64,
        segments: segment_count,
        distance_m,
        moving_s,
        stopped_s,
        gap_s: gaps.iter().map(|g| g.seconds).sum(),
        gaps,
        coverage,
        outside_own_grids_s,
        speed_anomalies,
        counts: patrol.counts,
        linked_reports: Vec::new(),
    }
}

/// Seconds from each point outside every own grid to the next point of its segment.
fn outside_s(index: &GridIndex, own: &[String], points: &[TrackPoint]) -> f64 {
    segments(points)
        .flat_map(|s| s.windows(2))
        .filter(|w| {
            !own.iter()
                .any(|id| index.contains(id, w[0].lat, w[0].lon) == Some(true))
        })
        .map(|w| (w[1].time_ms - w[0].time_ms) as f64 / 1000.0)
        .sum()
}

/// The share of the grid's raster cells within the coverage radius of the track (module doc).
fn coverage(index: &GridIndex, grid_id: &str, points: &[TrackPoint], config: &FigureConfig) -> Option<f64> {
    let grid = index.grid(grid_id)?;
    let (min, max) = (grid.bbox.min(), grid.bbox.max());
    let projection = LocalProjection::new(min.y, min.x);
    let top_right = projection.to_local(max.y, max.x);
    let (width, height) = (top_right.x.max(0.0), top_right.y.max(0.0));
    let area_cell = (width * height / config.max_cells as f64).sqrt();
    let cell = config.coverage_cell_m.max(area_cell).max(1e-3);
    let (nx, ny) = (
        (width / cell).ceil().max(1.0) as usize,
        (height / cell).ceil().max(1.0) as usize,
    );
    let centre = |i: usize, j: usize| Coord {
        x: (i as f64 + 0.5) * cell,
        y: (j as f64 + 0.5) * cell,
    };
    let inside: Vec<bool> = (0..ny)
        .flat_map(|j| (0..nx).map(move |i| (i, j)))
        .map(|(i, j)| {
            let (lat, lon) = projection.to_lat_lon(centre(i, j));
            closed_contains(&grid.area, Coord { x: lon, y: lat })
        })
        .collect();
    let total = inside.iter().filter(|&&b| b).count();
    if total == 0 {
        return Some(0.0);
    }
    let r = config.coverage_radius_m;
    let mut covered = vec![false; inside.len()];
    let mut mark = |c: Coord<f64>| {
        if c.x < -r || c.y < -r || c.x > width + r || c.y > height + r {
            return;
        }
        let (i0, i1) = (
            ((c.x - r) / cell).floor().max(0.0) as usize,
            ((c.x + r) / cell).ceil() as usize,
        );
        let (j0, j1) = (
            ((c.y - r) / cell).floor().max(0.0) as usize,
            ((c.y + r) / cell).ceil() as usize,
        );
        for j in j0..j1.min(ny) {
            for i in i0..i1.min(nx) {
                let k = centre(i, j);
                if (k.x - c.x).hypot(k.y - c.y) <= r {
                    covered[j * nx + i] = true;
                }
            }
        }
    };
    let step = cell / 2.0;
    for segment in segments(points) {
        let local: Vec<Coord<f64>> = segment
            .iter()
            .map(|p| projection.to_local(p.lat, p.lon))
            .collect();
        mark(local[0]);
        for w in local.windows(2) {
            let length = (w[1].x - w[0].x).hypot(w[1].y - w[0].y);
            let n = (length / step).ceil().max(1.0) as usize;
            for k in 1..=n {
                let t = k as f64 / n as f64;
                mark(Coord {
                    x: w[0].x + (w[1].x - w[0].x) * t,
                    y: w[0].y + (w[1].y - w[0].y) * t,
                });
            }
        }
    }
    let hit = inside.iter().zip(&covered).filter(|(i, c)| **i && **c).count();
    Some(hit as f64 / total as f64)
}

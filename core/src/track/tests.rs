//! Recorder and figures on fixtures: durable batches, the filter, gaps, bad input, relaunch,
//! figures, coverage and simplification.

use geo::{Coord, Euclidean, LineString, line_measures::FrechetDistance};
use rusqlite::Connection;

use super::simplify::{LocalProjection, length_m, simplify};
use super::*;
use crate::grid::{GridIndex, GridPackage, RawGrid};
use crate::location::{Datum, LocationFix, LocationProvider};
use crate::store::Store;
use crate::taxonomy::Role;

const T0: i64 = 1_780_000_000_000;
const LAT0: f64 = 31.30;
const LON0: f64 = 120.60;

fn origin() -> LocalProjection {
    LocalProjection::new(LAT0, LON0)
}

/// A fix `x` m east and `y` m north of the origin at `t` ms after T0.
fn fix_at(x: f64, y: f64, t: i64, accuracy_m: f64) -> LocationFix {
    let (lat, lon) = origin().to_lat_lon(Coord { x, y });
    LocationFix {
        lat,
        lon,
        accuracy_m,
        fix_time_ms: T0 + t,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

fn start(grid_ids: &[&str], mode: TravelMode, interval_ms: u32) -> PatrolStart {
    PatrolStart {
        reporter: crate::capture::Reporter {
            reporter_id: "insp-0042".into(),
            role: Role::Inspector,
            grid_ids: grid_ids.iter().map(|g| g.to_string()).collect(),
        },
        mode,
        expected_interval_ms: interval_ms,
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    rec: TrackRecorder,
}

impl Rig {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let store = Store::open(&path).expect("open");
        Self {
            _dir: dir,
            path,
            store,
            rec: TrackRecorder::default(),
        }
    }

    fn start(&self, mode: TravelMode) -> Patrol {
        self.rec
            .start(&self.store, start(&["B"], mode, 1000), T0)
            .expect("start")
    }

    fn feed(&self, id: &str, fix: LocationFix) -> FixOutcome {
        self.rec
            .ingest(&self.store, id, &fix, fix.fix_time_ms)
            .expect("ingest")
    }

    /// Simulates a relaunch: a new store connection and a new recorder on the same file.
    fn relaunch(self) -> Self {
        let Rig {
            _dir,
            path,
            store,
            rec,
        } = self;
        drop(rec);
        drop(store);
        let store = Store::open(&path).expect("reopen");
        Rig {
            _dir,
            path,
            store,
            rec: TrackRecorder::default(),
        }
    }

    fn stored_points(&self, id: &str) -> i64 {
        self.store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM track_point WHERE patrol_id = ?1",
                    [id],
                    |r| r.get(0),
                )?)
            })
            .expect("count")
    }

    /// Every row of the patrol tables, as text.
    fn snapshot(&self) -> Vec<String> {
        self.store
            .read(|c| {
                Ok(dump(c, "patrol")
                    .into_iter()
                    .chain(dump(c, "track_point"))
                    .collect())
            })
            .expect("snapshot")
    }
}

fn dump(conn: &Connection, table: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |row| {
        Ok((0..n)
            .map(|i| format!("{:?}", row.get_ref(i).expect("column")))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .expect("query")
    .map(|r| r.expect("row"))
    .collect()
}

/// A walk east at `speed` m/s, one fix per second from `t0_s`, starting at (x0, 0).
fn walk(x0: f64, t0_s: i64, seconds: i64, speed: f64) -> Vec<LocationFix> {
    (0..seconds)
        .map(|k| fix_at(x0 + speed * k as f64, 0.0, (t0_s + k) * 1000, 5.0))
        .collect()
}

#[test]
fn kept_fixes_are_committed_in_batches_of_ten() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let mut durable = Vec::new();
    for fix in walk(0.0, 1, 25, 1.4) {
        durable.push(rig.feed(&p.id, fix).durable_points);
    }
    assert_eq!(durable[8], 0, "nine waiting fixes are not committed yet");
    assert_eq!(durable[9], 10, "the tenth commits the batch");
    assert_eq!(durable[24], 20);
    assert_eq!(rig.stored_points(&p.id), 20);
    rig.rec.flush(&rig.store).expect("flush");
    assert_eq!(rig.stored_points(&p.id), 25);
}

#[test]
fn thirty_seconds_of_fix_time_commit_a_batch_before_ten_fixes() {
    let rig = Rig::new();
    let p = rig
        .rec
        .start(&rig.store, start(&[], TravelMode::Walking, 10_000), T0)
        .expect("start");
    let outcomes: Vec<u64> = (1..=4)
        .map(|k| {
            rig.feed(&p.id, fix_at(k as f64 * 14.0, 0.0, k * 10_000, 5.0))
                .durable_points
        })
        .collect();
    assert_eq!(
        outcomes,
        [0, 0, 0, 4],
        "the fourth fix makes the waiting ones span 30 s"
    );
}

#[test]
fn each_refusal_is_counted_by_reason_and_mock_fixes_are_kept_flagged() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let verdict = |fix| rig.feed(&p.id, fix).verdict;
    assert_eq!(verdict(fix_at(0.0, 0.0, 1000, 5.0)), FixVerdict::Kept);
    assert_eq!(verdict(fix_at(1.0, 0.0, 1000, 5.0)), FixVerdict::Duplicate);
    assert_eq!(verdict(fix_at(1.0, 0.0, 500, 5.0)), FixVerdict::OutOfOrder);
    assert_eq!(verdict(fix_at(2.0, 0.0, 2000, 80.0)), FixVerdict::Accuracy);
    assert_eq!(
        verdict(fix_at(500.0, 0.0, 3000, 5.0)),
        FixVerdict::Jump,
        "250 m/s"
    );
    let mut mock = fix_at(3.0, 0.0, 4000, 5.0);
    mock.is_mock = true;
    assert_eq!(verdict(mock), FixVerdict::KeptMock);
    rig.rec.pause(&rig.store, &p.id, T0 + 4500).expect("pause");
    assert_eq!(verdict(fix_at(4.0, 0.0, 5000, 5.0)), FixVerdict::WhilePaused);
    let counts = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    let expected = FilterCounts {
        kept: 2,
        mock: 1,
        accuracy: 1,
        jump: 1,
        duplicate: 1,
        out_of_order: 1,
        while_paused: 1,
    };
    assert_eq!(counts, expected);
    let (_, points) = rig
        .rec
        .patrol_with_points(&rig.store, Some(&p.id))
        .expect("points");
    assert_eq!(
        points.iter().map(|p| p.is_mock).collect::<Vec<_>>(),
        [false, true]
    );
    // The counts were committed with the pause, and survive a relaunch.
    let rig = rig.relaunch();
    let counts_after = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    assert_eq!(
        counts_after.while_paused, 0,
        "counted after the last commit, so not durable"
    );
    assert_eq!(
        FilterCounts {
            while_paused: 0,
            ..expected
        },
        counts_after
    );
}

#[test]
fn three_jumps_in_a_row_start_a_new_segment_instead_of_locking_out() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    rig.feed(&p.id, fix_at(0.0, 0.0, 1000, 5.0));
    let verdicts: Vec<FixVerdict> = (2..=4)
        .map(|k| {
            rig.feed(&p.id, fix_at(2000.0 + k as f64, 0.0, k * 1000, 5.0))
                .verdict
        })
        .collect();
    assert_eq!(verdicts, [FixVerdict::Jump, FixVerdict::Jump, FixVerdict::Kept]);
    assert_eq!(
        rig.feed(&p.id, fix_at(2006.0, 0.0, 5000, 5.0)).verdict,
        FixVerdict::Kept
    );
    let (_, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    let starts: Vec<_> = points.iter().map(|p| (p.segment, p.starts)).collect();
    assert_eq!(
        starts,
        [
            (0, SegmentStart::First),
            (1, SegmentStart::Jump),
            (1, SegmentStart::Continues)
        ]
    );
}

#[test]
fn a_silence_over_three_intervals_is_a_gap_never_bridged() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    // 100 s east at 1.4 m/s, 120 s of silence, then 100 s more, 400 m further east.
    let mut fixes = walk(0.0, 1, 100, 1.4);
    fixes.extend(walk(540.0, 221, 100, 1.4));
    for fix in fixes {
        rig.feed(&p.id, fix);
    }
    let stopped = rig.rec.stop(&rig.store, &p.id, T0 + 330_000).expect("stop");
    let (_, points) = rig
        .rec
        .patrol_with_points(&rig.store, Some(&p.id))
        .expect("points");
    let f = figures::compute(&stopped, &points, None, T0 + 400_000, &FigureConfig::default());
    assert_eq!(f.segments, 2);
    let gaps: Vec<(i64, i64)> = f.gaps.iter().map(|g| (g.start_ms - T0, g.end_ms - T0)).collect();
    assert_eq!(
        gaps,
        [(100_000, 221_000), (320_000, 330_000)],
        "the silence and the tail before stop"
    );
    assert!((f.gap_s - 131.0).abs() < 1e-9);
    // 2 × 99 s × 1.4 m/s walked; the 400 m jump across the gap is not in it.
    let walked = 2.0 * 99.0 * 1.4;
    assert!(
        (f.distance_m - walked).abs() < walked * 0.01,
        "distance {}",
        f.distance_m
    );
    // A gap of exactly 3 intervals is not a gap.
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    rig.feed(&p.id, fix_at(0.0, 0.0, 1000, 5.0));
    rig.feed(&p.id, fix_at(4.0, 0.0, 4000, 5.0));
    let (_, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    assert_eq!(points[1].starts, SegmentStart::Continues);
}

#[test]
fn bad_input_is_refused_with_a_stable_code_and_changes_nothing() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    for fix in walk(0.0, 1, 15, 1.4) {
        rig.feed(&p.id, fix);
    }
    let before = rig.snapshot();
    let counts_before = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    let now = T0 + 20_000;
    let good = fix_at(30.0, 0.0, 16_000, 5.0);
    let cases: Vec<(LocationFix, &str)> = vec![
        (
            LocationFix {
                lat: f64::NAN,
                ..good
            },
            "fix_not_finite",
        ),
        (
            LocationFix {
                lon: f64::INFINITY,
                ..good
            },
            "fix_not_finite",
        ),
        (LocationFix { lat: 91.0, ..good }, "fix_out_of_range"),
        (LocationFix { lon: -180.5, ..good }, "fix_out_of_range"),
        (
            LocationFix {
                accuracy_m: -1.0,
                ..good
            },
            "fix_bad_accuracy",
        ),
        (
            LocationFix {
                accuracy_m: f64::NAN,
                ..good
            },
            "fix_bad_accuracy",
        ),
        (
            LocationFix {
                fix_time_ms: now + 6 * 60_000,
                ..good
            },
            "fix_in_future",
        ),
        (
            LocationFix {
                fix_time_ms: T0 - 1,
                ..good
            },
            "fix_before_start",
        ),
    ];
    let code = |r: crate::Result<_>| match r {
        Err(crate::Error::Track(e)) => e.code(),
        other => panic!("expected a track error, got {other:?}"),
    };
    for (fix, expected) in &cases {
        assert_eq!(
            code(rig.rec.ingest(&rig.store, &p.id, fix, now).map(|_| ())),
            *expected
        );
        // In a batch, one bad fix refuses the good ones with it.
        let batch = [good, *fix];
        assert_eq!(
            code(rig.rec.ingest_batch(&rig.store, &p.id, &batch, now).map(|_| ())),
            *expected
        );
    }
    let many = vec![good; TrackConfig::default().max_batch + 1];
    assert_eq!(
        code(rig.rec.ingest_batch(&rig.store, &p.id, &many, now).map(|_| ())),
        "batch_too_large"
    );
    assert_eq!(
        code(rig.rec.ingest(&rig.store, "no-such", &good, now).map(|_| ())),
        "patrol_unknown"
    );
    assert_eq!(
        code(
            rig.rec
                .start(&rig.store, start(&[], TravelMode::Walking, 1000), now)
                .map(|_| ())
        ),
        "patrol_still_open"
    );
    assert_eq!(
        code(rig.rec.resume(&rig.store, &p.id, now).map(|_| ())),
        "patrol_already_in_state"
    );
    assert_eq!(
        code(
            rig.rec
                .start(&rig.store, start(&[], TravelMode::Walking, 5), now)
                .map(|_| ())
        ),
        "patrol_invalid_start"
    );
    assert_eq!(rig.snapshot(), before, "nothing stored changed");
    let counts = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("there")
        .counts;
    assert_eq!(
        counts, counts_before,
        "no refusal was counted as a filter verdict"
    );

    let stopped = rig.rec.stop(&rig.store, &p.id, now).expect("stop");
    assert_eq!(stopped.counts.kept, 15);
    let after_stop = rig.snapshot();
    assert_eq!(
        code(rig.rec.ingest(&rig.store, &p.id, &good, now).map(|_| ())),
        "patrol_stopped"
    );
    assert_eq!(
        code(rig.rec.ingest_batch(&rig.store, &p.id, &[good], now).map(|_| ())),
        "patrol_stopped"
    );
    assert_eq!(
        code(rig.rec.pause(&rig.store, &p.id, now).map(|_| ())),
        "patrol_stopped"
    );
    assert_eq!(rig.snapshot(), after_stop);
}

#[test]
fn an_open_patrol_survives_relaunch_and_continues_from_its_last_committed_point() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    for fix in walk(0.0, 1, 14, 1.4) {
        rig.feed(&p.id, fix);
    }
    // Killed without flush: the 4 waiting fixes are lost, the 10 committed ones are not.
    std::mem::forget(rig.rec);
    let rig = Rig {
        rec: TrackRecorder::default(),
        ..rig
    }
    .relaunch();
    let open = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("still open");
    assert_eq!(
        (open.id.as_str(), open.state, open.counts.kept),
        (p.id.as_str(), PatrolState::Active, 10)
    );
    // Time runs on from the last committed point: fix 11 (1 s after point 10) is accepted.
    let next = rig.feed(&p.id, fix_at(14.0, 0.0, 11_000, 5.0));
    assert_eq!((next.verdict, next.seq), (FixVerdict::Kept, Some(10)));
    rig.rec.pause(&rig.store, &p.id, T0 + 12_000).expect("pause");
    let rig = rig.relaunch();
    let open = rig
        .rec
        .open_patrol(&rig.store)
        .expect("open")
        .expect("still open");
    assert_eq!(open.state, PatrolState::Paused);
    rig.rec.resume(&rig.store, &p.id, T0 + 60_000).expect("resume");
    let rig = rig.relaunch();
    rig.feed(&p.id, fix_at(20.0, 0.0, 61_000, 5.0));
    rig.rec.stop(&rig.store, &p.id, T0 + 62_000).expect("stop");
    let (stopped, points) = rig.rec.patrol_with_points(&rig.store, None).expect("latest");
    assert_eq!(stopped.state, PatrolState::Stopped);
    assert_eq!(
        points.last().map(|p| p.starts),
        Some(SegmentStart::Pause),
        "resume survived relaunch"
    );
    assert!(rig.rec.open_patrol(&rig.store).expect("open").is_none());
    rig.rec
        .start(&rig.store, start(&[], TravelMode::Walking, 1000), T0 + 70_000)
        .expect("a new one");
}

#[test]
fn a_late_batch_is_sorted_filtered_and_committed_at_once() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let mut batch = walk(0.0, 1, 30, 1.4);
    batch.reverse();
    batch.push(batch[3]);
    let out = rig
        .rec
        .ingest_batch(&rig.store, &p.id, &batch, T0 + 120_000)
        .expect("batch");
    assert_eq!(
        (out.counts.kept, out.counts.duplicate, out.durable_points),
        (30, 1, 30)
    );
    assert_eq!(rig.stored_points(&p.id), 30);
    let (_, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    assert!(points.windows(2).all(|w| w[0].time_ms < w[1].time_ms));
}

#[test]
fn moving_and_stopped_time_ignore_jitter_while_standing() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let mut fixes = walk(0.0, 1, 600, 1.4);
    // 300 s standing, with ±2 m of jitter.
    let x = 1.4 * 599.0;
    fixes.extend((0..300).map(|k| {
        let j = ((k * 7919) % 9) as f64 / 2.0 - 2.0;
        fix_at(x + j, j / 2.0, (601 + k) * 1000, 5.0)
    }));
    fixes.extend(walk(x, 901, 600, 1.4));
    for fix in fixes {
        rig.feed(&p.id, fix);
    }
    let (patrol, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    let f = figures::compute(&patrol, &points, None, T0 + 1_501_000, &FigureConfig::default());
    let walked = 2.0 * 599.0 * 1.4;
    assert!(
        (f.distance_m - walked).abs() < walked * 0.01,
        "distance {}",
        f.distance_m
    );
    assert!((f.moving_s - 1198.0).abs() < 15.0, "moving {}", f.moving_s);
    assert!((f.stopped_s - 302.0).abs() < 15.0, "stopped {}", f.stopped_s);
    assert!(f.speed_anomalies.is_empty());
    assert!(f.gaps.is_empty());
}

#[test]
fn a_walking_patrol_at_forty_km_h_is_a_speed_anomaly() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let mut fixes = walk(0.0, 1, 120, 1.4);
    let car = 40.0 / 3.6;
    fixes.extend(walk(1.4 * 120.0, 121, 60, car));
    fixes.extend(walk(1.4 * 120.0 + car * 60.0, 181, 5, 1.4));
    for fix in fixes {
        rig.feed(&p.id, fix);
    }
    let (patrol, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    let f = figures::compute(&patrol, &points, None, T0 + 186_000, &FigureConfig::default());
    assert_eq!(f.speed_anomalies.len(), 1, "{:?}", f.speed_anomalies);
    let a = f.speed_anomalies[0];
    assert!((a.mean_speed_kmh - 40.0).abs() < 3.0, "{a:?}");
    assert!(
        ((a.end_ms - a.start_ms) as f64 / 1000.0 - 60.0).abs() < 6.0,
        "{a:?}"
    );
    // The same ride on a driving patrol is not an anomaly.
    let driving = Patrol {
        mode: TravelMode::Driving,
        ..patrol
    };
    assert!(
        figures::compute(&driving, &points, None, T0, &FigureConfig::default())
            .speed_anomalies
            .is_empty()
    );
}

/// Town T ⊃ community C ⊃ basic grid B: one 200 m × 200 m square with its south-west corner at
/// the origin.
fn square_grid() -> GridIndex {
    let ring: Vec<[f64; 2]> = [(0.0, 0.0), (200.0, 0.0), (200.0, 200.0), (0.0, 200.0), (0.0, 0.0)]
        .iter()
        .map(|&(x, y)| {
            let (lat, lon) = origin().to_lat_lon(Coord { x, y });
            [lon, lat]
        })
        .collect();
    let grid = |id: &str, level, parent: Option<&str>| RawGrid {
        id: id.into(),
        level,
        parent_id: parent.map(Into::into),
        name: format!("{id}网格"),
        polygons: vec![vec![ring.clone()]],
    };
    let raw = vec![
        grid("T", 1, None),
        grid("C", 2, Some("T")),
        grid("B", 3, Some("C")),
    ];
    GridIndex::new(GridPackage::from_raw(raw).expect("valid package"))
}

#[test]
fn coverage_is_the_share_of_the_grid_within_30_m_and_time_outside_is_counted() {
    let index = square_grid();
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    // North along x = 100 m through the whole square (y from 0 to 200 m in 200 s), then 100 s
    // further north, outside the grid.
    for k in 0..=300 {
        rig.feed(&p.id, fix_at(100.0, k as f64, (k + 1) * 1000, 5.0));
    }
    let (patrol, points) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    let f = figures::compute(
        &patrol,
        &points,
        Some(&index),
        T0 + 302_000,
        &FigureConfig::default(),
    );
    // A band 60 m wide over the 200 m height, plus the half-disc past the southern edge is
    // outside: 60 × 200 / 200² = 0.30.
    let share = f.coverage[0].share.expect("B is in the package");
    assert!((share - 0.30).abs() < 0.02, "coverage {share}");
    let outside = f.outside_own_grids_s.expect("grids installed");
    assert!((outside - 100.0).abs() <= 1.0, "outside {outside}");
    // An unknown own grid is reported as such, not as 0 %.
    let stranger = Patrol {
        reporter: crate::capture::Reporter {
            grid_ids: vec!["B".into(), "nowhere".into()],
            ..patrol.reporter.clone()
        },
        ..patrol
    };
    let f = figures::compute(&stranger, &points, Some(&index), T0, &FigureConfig::default());
    assert_eq!(f.coverage[1].share, None);
}

/// A walk along city blocks: straight legs with right-angle turns, small GPS noise.
fn street_walk(seconds: i64) -> Vec<LocationFix> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1000) as f64 / 1000.0 * 0.2 - 0.1
    };
    let (mut x, mut y, mut heading) = (0.0f64, 0.0f64, 0usize);
    let dirs = [(1.0, 0.0), (0.0, 1.0), (1.0, 0.0), (0.0, -1.0)];
    (0..seconds)
        .map(|k| {
            if k > 0 && k % 90 == 0 {
                heading = (heading + 1) % 4;
            }
            x += dirs[heading].0 * 1.4;
            y += dirs[heading].1 * 1.4;
            fix_at(x + noise(), y + noise(), (k + 1) * 1000, 4.0)
        })
        .collect()
}

fn local_line(points: &[TrackPoint], densify_m: f64) -> LineString<f64> {
    let p = origin();
    let mut out: Vec<Coord<f64>> = Vec::new();
    for w in points.windows(2) {
        let (a, b) = (p.to_local(w[0].lat, w[0].lon), p.to_local(w[1].lat, w[1].lon));
        let n = ((a.x - b.x).hypot(a.y - b.y) / densify_m).ceil().max(1.0) as usize;
        out.extend((0..n).map(|k| a + (b - a) * (k as f64 / n as f64)));
    }
    if let Some(last) = points.last() {
        out.push(p.to_local(last.lat, last.lon));
    }
    LineString::new(out)
}

#[test]
fn the_simplified_track_stays_within_epsilon_and_two_percent_of_length() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let mut fixes = street_walk(1500);
    // A gap in the middle: the second half, 2 minutes later.
    for f in &mut fixes[750..] {
        f.fix_time_ms += 120_000;
    }
    rig.rec
        .ingest_batch(&rig.store, &p.id, &fixes, T0 + 2_000_000)
        .expect("batch");
    let (_, raw) = rig.rec.patrol_with_points(&rig.store, None).expect("points");
    for epsilon in [2.0, 5.0] {
        let simple = simplify(&raw, epsilon);
        assert!(
            simple.len() * 20 < raw.len(),
            "{} of {} kept",
            simple.len(),
            raw.len()
        );
        assert!(
            simple.iter().all(|s| raw.contains(s)),
            "each kept point is an original, with its time"
        );
        for (segment, (r, s)) in simplify::segments(&raw)
            .zip(simplify::segments(&simple))
            .enumerate()
        {
            assert_eq!(r[0].segment, s[0].segment, "segment {segment} kept separately");
            // Discrete Fréchet between the raw vertices and the simplified line densified to
            // 0.5 m: within ε + the 0.5 m step, below ε + the 4 m fix accuracy.
            let d = Euclidean.frechet_distance(&local_line(r, 100.0), &local_line(s, 0.5));
            assert!(d <= epsilon + 0.5, "Fréchet {d} m at ε = {epsilon}");
        }
        assert_eq!(simplify::segments(&simple).count(), 2, "the gap is not bridged");
        let (lr, ls) = (length_m(&raw), length_m(&simple));
        assert!((lr - ls).abs() <= 0.02 * lr, "length {ls} vs raw {lr}");
    }
}

#[test]
fn reports_of_the_reporter_within_the_patrol_window_are_linked() {
    let rig = Rig::new();
    let p = rig.start(TravelMode::Walking);
    let stopped = rig.rec.stop(&rig.store, &p.id, T0 + 3_600_000).expect("stop");
    let insert = |id: &str, reporter: &str, state: &str, captured: Option<i64>| {
        rig.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO report (id, state, reporter_id, body, updated_at, captured_at)
                     VALUES (?1, ?2, ?3, '{}', 0, ?4)",
                    rusqlite::params![id, state, reporter, captured],
                )?;
                Ok(())
            })
            .expect("insert");
    };
    insert("r1", "insp-0042", "pending", Some(T0 + 60_000));
    insert("r2", "insp-0042", "delivered", Some(T0 + 3_000_000));
    insert("r3", "insp-0007", "pending", Some(T0 + 60_000));
    insert("r4", "insp-0042", "pending", Some(T0 + 4_000_000));
    insert("r5", "insp-0042", "draft", None);
    let linked = rig
        .rec
        .linked_reports(&rig.store, &stopped, T0 + 9_000_000)
        .expect("linked");
    assert_eq!(linked, ["r1", "r2"]);
}

#[test]
fn the_client_records_a_patrol_and_closing_it_loses_no_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::Client::open(dir.path()).expect("open");
    let p = client
        .patrol_start(start(&[], TravelMode::Walking, 1000))
        .expect("start");
    let t = p.started_at_ms;
    for k in 1..=13 {
        let mut f = fix_at(1.4 * k as f64, 0.0, 0, 5.0);
        f.fix_time_ms = t + k * 1000;
        client.patrol_fix(&p.id, f).expect("fix");
    }
    drop(client);
    let client = crate::Client::open(dir.path()).expect("reopen");
    let open = client.open_patrol().expect("open patrol").expect("still open");
    assert_eq!(
        open.counts.kept, 13,
        "the 3 waiting fixes were committed on close"
    );
    let figures = client.patrol_figures(None).expect("figures");
    assert_eq!(figures.points, 13);
    assert!(
        (figures.distance_m - 12.0 * 1.4).abs() < 0.5,
        "{}",
        figures.distance_m
    );
    client.patrol_stop(&p.id).expect("stop");
    assert_eq!(
        client.patrol_track(Some(p.id.clone()), 5.0).expect("track").len(),
        2
    );
}

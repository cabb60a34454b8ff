//! Figures, coverage and simplification on fixtures.

use geo::{Coord, Euclidean, LineString, line_measures::FrechetDistance};

use super::*;
use crate::grid::{GridIndex, GridPackage, RawGrid};
use crate::track::simplify::{self, length_m, simplify};

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
    let f = crate::track::figures::compute(&patrol, &points, None, T0 + 1_501_000, &FigureConfig::default());
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
    let f = crate::track::figures::compute(&patrol, &points, None, T0 + 186_000, &FigureConfig::default());
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
        crate::track::figures::compute(&driving, &points, None, T0, &FigureConfig::default())
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
    let f = crate::track::figures::compute(
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
    let f = crate::track::figures::compute(&stranger, &points, Some(&index), T0, &FigureConfig::default());
    assert_eq!(f.coverage[1].share, None);
}

/// A walk along city blocks: straight legs with right-angle turns, small GPS noise.
fn street_walk(seconds: i64) -> Vec<LocationFix> {
    let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
    let mut noise = move || rng.f64() * 0.2 - 0.1;
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

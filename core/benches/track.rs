//! Patrol benchmark (plain `fn main`, `harness = false`), two parts:
//!
//! 1. **Ingest.** `TrackRecorder::ingest` of one fix, with its durable batch (10 fixes per
//!    commit, the recorder's default) amortised, against a bare `INSERT` of the same row
//!    (same columns, same WITHOUT ROWID table and key) in a transaction of the same 10 rows with
//!    `COMMIT`, in a separate database with the same settings (WAL, synchronous=FULL) on the same
//!    file system. The two are interleaved batch by batch. Target: median ratio ≤ 1.2.
//! 2. **An 8-hour patrol.** 28,800 fixes at 1 Hz (a street walk around a basic grid of the
//!    Wuzhong sample package, with stops, GPS noise and one screen-locked gap) are stored, then
//!    timed: loading the track, simplifying it (ε = 5 m) and computing every figure (coverage
//!    of the own grid included). Target: under 1 % of 8 hours (288 s).
//!
//! Run: `cargo bench -p gridpatrol-core --bench track [-- --rounds 7 --batches 100]`.
//! Prints PASS or FAIL per target and exits 1 on a FAIL.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use geo::Coord;
use gridpatrol_core::capture::Reporter;
use gridpatrol_core::grid::sample::sample_index;
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::store::Store;
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::track::simplify::{LocalProjection, simplify};
use gridpatrol_core::track::{FigureConfig, PatrolStart, TrackRecorder, TravelMode, figures};
use rusqlite::{Connection, TransactionBehavior, params};

mod common;
use common::{arg, median};

const TARGET_INGEST: f64 = 1.2;
const TARGET_SHARE: f64 = 0.01;
const T0: i64 = 1_780_000_000_000;
const BATCH: usize = 10;

fn fix_at(projection: &LocalProjection, c: Coord<f64>, t_ms: i64) -> LocationFix {
    let (lat, lon) = projection.to_lat_lon(c);
    LocationFix {
        lat,
        lon,
        accuracy_m: 5.0,
        fix_time_ms: t_ms,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

fn start(grid_ids: Vec<String>) -> PatrolStart {
    PatrolStart {
        reporter: Reporter {
            reporter_id: "insp-0042".into(),
            role: Role::Inspector,
            grid_ids,
        },
        mode: TravelMode::Walking,
        expected_interval_ms: 1000,
    }
}

/// The comparison database: same pragmas as the store (core/src/store.rs `configure`) and the
/// same point table.
fn bare_db(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open bare db");
    conn.busy_timeout(Duration::from_secs(5)).expect("busy_timeout");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("synchronous");
    conn.pragma_update(None, "foreign_keys", "ON")
        .expect("foreign_keys");
    conn.pragma_update(None, "temp_store", "MEMORY")
        .expect("temp_store");
    conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)
        .expect("journal_size_limit");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("wal");
    conn.execute_batch(
        "CREATE TABLE track_point (
             patrol_id TEXT NOT NULL, seq INTEGER NOT NULL, fix_time INTEGER NOT NULL,
             lat REAL NOT NULL, lon REAL NOT NULL, accuracy_m REAL NOT NULL,
             is_mock INTEGER NOT NULL, segment INTEGER NOT NULL, starts TEXT NOT NULL,
             PRIMARY KEY (patrol_id, seq)
         ) STRICT, WITHOUT ROWID;",
    )
    .expect("create");
    conn
}

fn bare_batch(conn: &mut Connection, patrol: &str, fixes: &[LocationFix], first_seq: i64) {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .expect("begin");
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO track_point (patrol_id, seq, fix_time, lat, lon, accuracy_m, is_mock, segment, starts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .expect("prepare");
        for (k, f) in fixes.iter().enumerate() {
            stmt.execute(params![
                patrol,
                first_seq + k as i64,
                f.fix_time_ms,
                f.lat,
                f.lon,
                f.accuracy_m,
                f.is_mock,
                0,
                "continues"
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
}

fn ingest_part(dir: &Path, rounds: usize, batches: usize) -> bool {
    let projection = LocalProjection::new(31.30, 120.60);
    let mut ratios = Vec::new();
    let (mut ours_all, mut bare_all) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let store = Store::open(&dir.join(format!("store-{round}.sqlite3"))).expect("store");
        let rec = TrackRecorder::default();
        let patrol = rec.start(&store, start(Vec::new()), T0).expect("start").id;
        let mut bare = bare_db(&dir.join(format!("bare-{round}.sqlite3")));
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for b in 0..batches {
            let fixes: Vec<LocationFix> = (0..BATCH)
                .map(|k| {
                    let s = (b * BATCH + k + 1) as i64;
                    fix_at(
                        &projection,
                        Coord {
                            x: 1.4 * s as f64,
                            y: 0.0,
                        },
                        T0 + s * 1000,
                    )
                })
                .collect();
            let t = Instant::now();
            for f in &fixes {
                black_box(rec.ingest(&store, &patrol, f, f.fix_time_ms).expect("ingest"));
            }
            ours.push(t.elapsed());
            let t = Instant::now();
            bare_batch(&mut bare, &patrol, &fixes, (b * BATCH) as i64);
            theirs.push(t.elapsed());
        }
        let (o, p) = (median(&mut ours), median(&mut theirs));
        ratios.push(o.as_secs_f64() / p.as_secs_f64());
        ours_all.push(o);
        bare_all.push(p);
        println!(
            "round {round}: ingest {:.1} µs/fix, bare insert {:.1} µs/row (batches of {BATCH}), ratio {:.3}",
            o.as_secs_f64() * 1e6 / BATCH as f64,
            p.as_secs_f64() * 1e6 / BATCH as f64,
            ratios[round]
        );
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let (o, p) = (median(&mut ours_all), median(&mut bare_all));
    let pass = ratio <= TARGET_INGEST;
    println!(
        "ingest: median {:.1} µs/fix vs bare {:.1} µs/row; ratio {ratio:.3} (rounds {:.3}..{:.3}), target ≤ {TARGET_INGEST}: {}",
        o.as_secs_f64() * 1e6 / BATCH as f64,
        p.as_secs_f64() * 1e6 / BATCH as f64,
        ratios[0],
        ratios[ratios.len() - 1],
        if pass { "PASS" } else { "FAIL" }
    );
    pass
}

/// An 8-hour walk around the streets of one basic grid: laps of its bounding box shrunk by
/// 40 m, 1 Hz at 1.4 m/s, a 5-minute stop every hour, a 10-minute screen-locked gap at 3 h.
fn eight_hours(centre: Coord<f64>, half: Coord<f64>, projection: &LocalProjection) -> Vec<LocationFix> {
    let corners = [
        Coord {
            x: centre.x - half.x,
            y: centre.y - half.y,
        },
        Coord {
            x: centre.x + half.x,
            y: centre.y - half.y,
        },
        Coord {
            x: centre.x + half.x,
            y: centre.y + half.y,
        },
        Coord {
            x: centre.x - half.x,
            y: centre.y + half.y,
        },
    ];
    let perimeter = 4.0 * (half.x + half.y);
    let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
    let mut noise = move || rng.f64() - 0.5;
    let mut out = Vec::with_capacity(28_800);
    let mut walked = 0.0f64;
    for s in 0..28_800i64 {
        let stopped = s % 3600 >= 3300;
        if !stopped {
            walked += 1.4;
        }
        if (10_800..11_400).contains(&s) {
            continue; // the gap: no fix at all
        }
        let mut along = walked % perimeter;
        let mut k = 0;
        loop {
            let side = if k % 2 == 0 { 2.0 * half.x } else { 2.0 * half.y };
            if along <= side {
                break;
            }
            along -= side;
            k = (k + 1) % 4;
        }
        let (a, b) = (corners[k], corners[(k + 1) % 4]);
        let len = (b.x - a.x).hypot(b.y - a.y);
        let p = a + (b - a) * (along / len);
        out.push(fix_at(
            projection,
            Coord {
                x: p.x + noise(),
                y: p.y + noise(),
            },
            T0 + (s + 1) * 1000,
        ));
    }
    out
}

fn patrol_part(dir: &Path, rounds: usize) -> bool {
    let index = sample_index();
    let grid = index.basic_grids().nth(5000).expect("a basic grid");
    let (min, max) = (grid.bbox.min(), grid.bbox.max());
    let projection = LocalProjection::new(min.y, min.x);
    let top = projection.to_local(max.y, max.x);
    let centre = Coord {
        x: top.x / 2.0,
        y: top.y / 2.0,
    };
    let half = Coord {
        x: (top.x / 2.0 - 40.0).max(20.0),
        y: (top.y / 2.0 - 40.0).max(20.0),
    };
    let fixes = eight_hours(centre, half, &projection);
    let store = Store::open(&dir.join("patrol.sqlite3")).expect("store");
    let rec = TrackRecorder::default();
    let patrol = rec
        .start(&store, start(vec![grid.id.clone()]), T0)
        .expect("start")
        .id;
    for chunk in fixes.chunks(10_000) {
        let now = chunk.last().expect("non-empty").fix_time_ms;
        rec.ingest_batch(&store, &patrol, chunk, now).expect("batch");
    }
    let end = T0 + 28_801_000;
    rec.stop(&store, &patrol, end).expect("stop");
    let config = FigureConfig::default();
    let (mut load, mut simp, mut figs, mut total) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        let (p, points) = rec.patrol_with_points(&store, Some(&patrol)).expect("load");
        let t1 = t.elapsed();
        let simple = simplify(&points, 5.0);
        let t2 = t.elapsed();
        let f = figures::compute(&p, &points, Some(&index), end, &config);
        let t3 = t.elapsed();
        load.push(t1);
        simp.push(t2 - t1);
        figs.push(t3 - t2);
        total.push(t3);
        last = Some((points.len(), simple.len(), f));
    }
    let (points, simple, f) = last.expect("at least one round");
    let total = median(&mut total);
    let share = total.as_secs_f64() / (8.0 * 3600.0);
    let pass = share < TARGET_SHARE;
    println!(
        "8-hour patrol: {points} points → {simple} simplified (ε 5 m); distance {:.0} m, moving {:.0} s, stopped {:.0} s, \
         {} gap(s) {:.0} s, coverage {:.1} %, outside own grid {:.0} s, {} speed anomalies",
        f.distance_m,
        f.moving_s,
        f.stopped_s,
        f.gaps.len(),
        f.gap_s,
        f.coverage[0].share.unwrap_or(0.0) * 100.0,
        f.outside_own_grids_s.unwrap_or(0.0),
        f.speed_anomalies.len()
    );
    println!(
        "8-hour patrol: load {:.1} ms + simplify {:.1} ms + figures {:.1} ms = {:.1} ms median of {rounds}, \
         {:.5} % of 8 h, target < 1 %: {}",
        median(&mut load).as_secs_f64() * 1e3,
        median(&mut simp).as_secs_f64() * 1e3,
        median(&mut figs).as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        share * 100.0,
        if pass { "PASS" } else { "FAIL" }
    );
    pass
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = arg(&args, "--rounds", 7);
    let batches = arg(&args, "--batches", 100);
    // Next to the target directory, on the same file system as a real data directory would be.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let ingest = ingest_part(dir.path(), rounds, batches);
    let patrol = patrol_part(dir.path(), rounds);
    if !(ingest && patrol) {
        std::process::exit(1);
    }
}

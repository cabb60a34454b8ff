//! The child the track crash test (`tests/tests/track_kill9.rs`) SIGKILLs: records a patrol on
//! one store in a loop until it is killed, on a simulated clock (1 Hz fixes as fast as the
//! store takes them).
//!
//! Usage: `patrol_loop <db-file> <seed>`. On stdout, one line per step, each written and
//! flushed only after the call returned:
//!
//! - `ready <patrol>` once the store is open and a patrol is open (found again, or started);
//! - `kept <patrol> <seq> <time> <durable>` after a fix was kept (`durable`: points
//!   `0..durable` are committed);
//! - `batch <patrol> <durable>` after a late batch was committed;
//! - `stopped <patrol>` / `started <patrol>` around stopping one patrol and starting the next.
//!
//! Fixes walk east at 1.4 m/s, with seeded outliers (jumps), duplicates, gaps, late batches,
//! pauses and stops.

use std::io::Write;

use gridpatrol_core::capture::Reporter;
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::store::Store;
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::track::{FixVerdict, PatrolStart, TrackRecorder, TravelMode};
use gridpatrol_tests::Rng;

const T0: i64 = 1_780_000_000_000;

fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    out.write_fmt(line).expect("write to the parent");
    out.write_all(b"\n").expect("write to the parent");
    out.flush().expect("flush to the parent");
}

fn fix(now: i64, offset_m: f64) -> LocationFix {
    let east_m = 1.4 * (now - T0) as f64 / 1000.0 + offset_m;
    LocationFix {
        lat: 31.30,
        lon: 120.60 + east_m / (111_195.0 * 31.30f64.to_radians().cos()),
        accuracy_m: 5.0,
        fix_time_ms: now,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

fn start(rec: &TrackRecorder, store: &Store, now: i64) -> String {
    let start = PatrolStart {
        reporter: Reporter {
            reporter_id: "insp-0042".into(),
            role: Role::Inspector,
            grid_ids: vec!["320506-001-003".into()],
        },
        mode: TravelMode::Walking,
        expected_interval_ms: 1000,
    };
    rec.start(store, start, now).expect("start a patrol").id
}

fn main() {
    const USAGE: &str = "usage: patrol_loop <db-file> <seed>";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, seed] = args.as_slice() else {
        panic!("{USAGE}")
    };
    let mut rng = Rng::new(seed.parse().expect(USAGE));
    let store = Store::open(db.as_ref()).expect("open the store after a kill");
    let rec = TrackRecorder::default();
    // The simulated clock runs on from the newest time the store holds.
    let newest: Option<i64> = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT max(t) FROM (SELECT max(fix_time) AS t FROM track_point
                 UNION ALL SELECT max(max(started_at), coalesce(max(stopped_at), 0)) FROM patrol)",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("newest time");
    let mut now = newest.unwrap_or(T0) + 1000;
    let mut patrol = match rec.open_patrol(&store).expect("open patrol") {
        Some(open) => {
            if open.state == gridpatrol_core::track::PatrolState::Paused {
                rec.resume(&store, &open.id, now).expect("resume");
            }
            open.id
        }
        None => start(&rec, &store, now),
    };
    say(format_args!("ready {patrol}"));
    loop {
        now += if rng.chance(1, 60) { 15_000 } else { 1000 };
        if rng.chance(1, 150) {
            let batch: Vec<LocationFix> = (0..5).rev().map(|k| fix(now + k * 1000, 0.0)).collect();
            now += 4000;
            let out = rec.ingest_batch(&store, &patrol, &batch, now).expect("batch");
            say(format_args!("batch {patrol} {}", out.durable_points));
            continue;
        }
        let ingest = |offset_m: f64| {
            let out = rec
                .ingest(&store, &patrol, &fix(now, offset_m), now)
                .expect("ingest");
            if let (FixVerdict::Kept, Some(seq)) = (out.verdict, out.seq) {
                say(format_args!("kept {patrol} {seq} {now} {}", out.durable_points));
            }
        };
        // One in a hundred is an outlier 5 km off (a jump), then the true fix at the same time.
        ingest(if rng.chance(1, 100) { 5000.0 } else { 0.0 });
        if rng.chance(1, 50) {
            ingest(0.0);
        }
        if rng.chance(1, 300) {
            rec.pause(&store, &patrol, now).expect("pause");
            now += 20_000;
            rec.resume(&store, &patrol, now).expect("resume");
        }
        if rng.chance(1, 500) {
            rec.stop(&store, &patrol, now).expect("stop");
            say(format_args!("stopped {patrol}"));
            now += 1000;
            patrol = start(&rec, &store, now);
            say(format_args!("started {patrol}"));
        }
    }
}

//! Recorder and figures on fixtures: the shared fixtures here, the tests in `recorder` (durable
//! batches, the filter, gaps, bad input, relaunch) and `figures` (figures, coverage,
//! simplification).

use geo::Coord;
use rusqlite::Connection;

use super::simplify::LocalProjection;
use super::*;
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

    /// Simulates a kill -9 and a relaunch: the recorder's waiting fixes are never flushed (no
    /// drop runs), then a new store connection and recorder open the same file.
    fn killed_and_relaunched(mut self) -> Self {
        std::mem::forget(std::mem::take(&mut self.rec));
        self.relaunch()
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

mod figures;
mod recorder;

//! The inspectors' patrols: each walks the streets around their home point while the phone
//! records the track, with one stretch where the screen is locked and the OS delivers no fix.
//!
//! Owns the walk (a loop around a block of the worker's own grid, at walking pace, one fix every
//! 250 ms of fix time: the day compressed so the recorder's "not more than 5 minutes in the
//! future" rule holds), the live-position check at the start (the first fix, in signal at the
//! station, synced and read back from the platform: the dispatch use) and, after the drain,
//! whether every track arrived exactly once. It does not own the recorder nor the upload (the
//! core's), nor the printing (`summary`).

use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::time::now_ms;
use gridpatrol_core::track::{PatrolStart, TravelMode};
use gridpatrol_platform::Platform;

use super::crew::Worker;
use super::summary::Summary;
use super::{Narrator, fail};
use crate::Failure;

/// Fixes of one walk, and the ones the locked screen swallows (a gap over 3× the interval).
const FIXES: u64 = 640;
const LOCKED: std::ops::Range<u64> = 300..420;
/// Fix time between two fixes; the patrol expects one a second (the gap rule's 3 s).
const FIX_SPACING_MS: i64 = 250;
/// Metres walked between two fixes: 1.4 m/s over 250 ms.
const STEP_M: f64 = 0.35;
/// The block walked around: a square this many metres on a side.
const BLOCK_M: f64 = 40.0;

/// A patrol recorded today, to check on the platform after the drain.
pub(super) struct Walked {
    worker: usize,
    patrol_id: String,
}

/// Each inspector starts a patrol in signal (its first fix reaches the platform at once: the
/// time it took is the fix-to-platform figure), then walks offline and stops.
pub(super) async fn patrols(
    workers: &[Worker],
    platform: &Platform,
    summary: &mut Summary,
    narrator: &Narrator,
) -> Result<Vec<Walked>, Failure> {
    let mut walked = Vec::new();
    for (i, worker) in workers.iter().enumerate() {
        if worker.reporter.role != Role::Inspector {
            continue;
        }
        let client = &worker.client;
        let patrol = client
            .patrol_start(PatrolStart {
                reporter: worker.reporter.clone(),
                mode: TravelMode::Walking,
                expected_interval_ms: 1_000,
            })
            .map_err(|e| fail("patrol")(e.to_string()))?;
        let t0 = now_ms();
        client
            .patrol_fix(&patrol.id, fix(worker.home, 0, t0))
            .map_err(|e| fail("patrol")(e.to_string()))?;
        worker
            .engine
            .sync_now(std::time::Duration::from_secs(10))
            .await
            .map_err(|e| fail("sync")(e.to_string()))?;
        let live = platform
            .patrol(&patrol.id)
            .map_err(fail("platform"))?
            .and_then(|view| view.summary.live)
            .ok_or_else(|| fail("patrol")("the first fix did not reach the platform".into()))?;
        summary.add_fix_to_platform(live.received_at_ms - t0);

        for n in (1..FIXES).filter(|n| !LOCKED.contains(n)) {
            client
                .patrol_fix(&patrol.id, fix(worker.home, n, t0))
                .map_err(|e| fail("patrol")(e.to_string()))?;
        }
        client
            .patrol_stop(&patrol.id)
            .map_err(|e| fail("patrol")(e.to_string()))?;
        let figures = client
            .patrol_figures(Some(patrol.id.clone()))
            .map_err(|e| fail("patrol")(e.to_string()))?;
        narrator.say(format!(
            "patrol    {} walked {:.0} m around a block of their grid, {} gap ({:.0} s, screen locked)",
            worker.name,
            figures.distance_m,
            figures.gaps.len(),
            figures.gap_s
        ));
        summary.add_patrol(&figures);
        walked.push(Walked {
            worker: i,
            patrol_id: patrol.id,
        });
    }
    Ok(walked)
}

/// After the drain: whether the platform holds every patrol stopped, with exactly the points
/// its phone holds.
pub(super) fn delivered_exactly_once(
    walked: &[Walked],
    workers: &[Worker],
    platform: &Platform,
) -> Result<bool, Failure> {
    for patrol in walked {
        let device = workers[patrol.worker]
            .client
            .patrol_figures(Some(patrol.patrol_id.clone()))
            .map_err(|e| fail("patrol")(e.to_string()))?;
        let Some(view) = platform.patrol(&patrol.patrol_id).map_err(fail("platform"))? else {
            return Ok(false);
        };
        if view.summary.active
            || view.summary.points != device.points
            || view.figures.distance_m != device.distance_m
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Fix `n` of the walk around the block whose south-west corner is `home`, in WGS-84.
fn fix(home: (f64, f64), n: u64, t0: i64) -> LocationFix {
    let along = (n as f64 * STEP_M) % (4.0 * BLOCK_M);
    let (east, north) = match (along / BLOCK_M) as u32 {
        0 => (along, 0.0),
        1 => (BLOCK_M, along - BLOCK_M),
        2 => (3.0 * BLOCK_M - along, BLOCK_M),
        _ => (0.0, 4.0 * BLOCK_M - along),
    };
    let metres_per_degree = 111_320.0;
    LocationFix {
        lat: home.0 + north / metres_per_degree,
        lon: home.1 + east / (metres_per_degree * home.0.to_radians().cos()),
        accuracy_m: 6.0,
        fix_time_ms: t0 + FIX_SPACING_MS * n as i64,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

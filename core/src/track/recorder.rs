//! The recorder: the open patrol's state in memory, the fix filter and the durable batches.

use std::sync::{Mutex, MutexGuard};

use super::db::{self, PatrolRow};
use super::{
    FilterCounts, FixVerdict, GAP_FACTOR, Patrol, PatrolStart, PatrolState, SegmentStart, TrackError,
    TrackPoint,
};
use crate::location::{FixError, LocationFix, distance_m};
use crate::store::Store;
use crate::{Error, Result};

/// The recorder's limits. [`Default`] is what the app uses; tests and benchmarks may change it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackConfig {
    /// Fixes with a larger accuracy radius (m) are refused (`accuracy`).
    pub max_accuracy_m: f64,
    /// A speed from the last kept fix over this (m/s, after both accuracy radii) is a `jump`.
    pub max_jump_speed_mps: f64,
    /// After this many jumps in a row the next one is kept and starts a new segment.
    pub jump_reset_after: u32,
    /// How far after now a fix may be dated (clock skew between GPS time and the phone's).
    pub future_tolerance_ms: i64,
    /// Commit when this many kept fixes wait…
    pub batch_fixes: usize,
    /// …or when the waiting ones span this much fix time (or waited this long).
    pub batch_span_ms: i64,
    /// The largest batch `ingest_batch` takes in one call (memory stays bounded).
    pub max_batch: usize,
}

impl Default for TrackConfig {
    fn default() -> Self {
        Self {
            max_accuracy_m: 50.0,
            max_jump_speed_mps: 50.0,
            jump_reset_after: 3,
            future_tolerance_ms: 5 * 60 * 1000,
            batch_fixes: 10,
            batch_span_ms: 30_000,
            max_batch: 10_000,
        }
    }
}

/// What happened to one fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FixOutcome {
    pub verdict: FixVerdict,
    /// The point's `seq` when kept.
    pub seq: Option<u64>,
    /// Points `0..durable_points` of this patrol are committed.
    pub durable_points: u64,
}

/// What happened to a batch (committed before the call returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BatchOutcome {
    /// The verdicts of this batch only.
    pub counts: FilterCounts,
    pub durable_points: u64,
}

/// The open patrol as the recorder holds it.
#[derive(Debug)]
struct Live {
    patrol: Patrol,
    resume_break: bool,
    last: Option<TrackPoint>,
    next_seq: u64,
    jump_streak: u32,
    /// Kept points not yet committed, oldest first.
    buffer: Vec<TrackPoint>,
    /// Fixes classified since the last commit, kept or refused: refusals wait for a batch too.
    waiting: usize,
    /// When (wall clock) the oldest waiting fix was classified.
    waiting_since_ms: i64,
    /// The patrol row differs from what is stored (a refusal was counted, or the state changed).
    row_dirty: bool,
}

impl Live {
    fn from_row(row: PatrolRow, last: Option<TrackPoint>) -> Self {
        Self {
            patrol: row.patrol,
            resume_break: row.resume_break,
            next_seq: last.map_or(0, |p| p.seq + 1),
            last,
            jump_streak: 0,
            buffer: Vec::new(),
            waiting: 0,
            waiting_since_ms: 0,
            row_dirty: false,
        }
    }

    fn durable_points(&self) -> u64 {
        self.next_seq - self.buffer.len() as u64
    }

    fn check_time(&self, fix: &LocationFix, now_ms: i64, config: &TrackConfig) -> Result<(), TrackError> {
        if fix.fix_time_ms > now_ms.saturating_add(config.future_tolerance_ms) {
            return Err(TrackError::FixInFuture {
                tolerance_s: config.future_tolerance_ms / 1000,
            });
        }
        if fix.fix_time_ms < self.patrol.started_at_ms {
            return Err(TrackError::FixBeforeStart);
        }
        Ok(())
    }

    /// The filter (see the module doc): decides, and keeps the fix in the buffer if kept.
    fn classify(
        &mut self,
        fix: &LocationFix,
        now_ms: i64,
        config: &TrackConfig,
    ) -> (FixVerdict, Option<u64>) {
        let verdict = self.decide(fix, config);
        self.patrol.counts.add(verdict);
        let kept = matches!(verdict, FixVerdict::Kept | FixVerdict::KeptMock);
        // The first kept fix after a resume clears `resume_break`, a row column.
        self.row_dirty |= !kept
            || self
                .buffer
                .last()
                .is_some_and(|p| p.starts == SegmentStart::Pause);
        let seq = kept.then(|| self.next_seq - 1);
        if self.waiting == 0 {
            self.waiting_since_ms = now_ms;
        }
        self.waiting += 1;
        (verdict, seq)
    }

    fn decide(&mut self, fix: &LocationFix, config: &TrackConfig) -> FixVerdict {
        if self.patrol.state == PatrolState::Paused {
            return FixVerdict::WhilePaused;
        }
        let mut starts = SegmentStart::First;
        if let Some(last) = &self.last {
            if fix.fix_time_ms == last.time_ms {
                return FixVerdict::Duplicate;
            }
            if fix.fix_time_ms < last.time_ms {
                return FixVerdict::OutOfOrder;
            }
        }
        if fix.accuracy_m > config.max_accuracy_m {
            return FixVerdict::Accuracy;
        }
        if let Some(last) = &self.last {
            let dt_ms = fix.fix_time_ms - last.time_ms;
            starts = if self.resume_break {
                SegmentStart::Pause
            } else if dt_ms > GAP_FACTOR * i64::from(self.patrol.expected_interval_ms) {
                SegmentStart::Gap
            } else {
                SegmentStart::Continues
            };
            let moved = distance_m(last.lat, last.lon, fix.lat, fix.lon) - last.accuracy_m - fix.accuracy_m;
            let speed = moved.max(0.0) / (dt_ms as f64 / 1000.0);
            if speed > config.max_jump_speed_mps {
                self.jump_streak += 1;
                if self.jump_streak < config.jump_reset_after {
                    return FixVerdict::Jump;
                }
                starts = SegmentStart::Jump;
            }
        }
        self.jump_streak = 0;
        let segment = match (&self.last, starts) {
            (None, _) => 0,
            (Some(last), SegmentStart::Continues) => last.segment,
            (Some(last), _) => last.segment + 1,
        };
        let point = TrackPoint {
            seq: self.next_seq,
            time_ms: fix.fix_time_ms,
            lat: fix.lat,
            lon: fix.lon,
            accuracy_m: fix.accuracy_m,
            is_mock: fix.is_mock,
            segment,
            starts,
        };
        self.next_seq += 1;
        self.last = Some(point);
        self.resume_break = false;
        self.buffer.push(point);
        if fix.is_mock {
            FixVerdict::KeptMock
        } else {
            FixVerdict::Kept
        }
    }

    /// Whether the waiting fixes (kept or refused: a refusal's count is as durable as a point)
    /// make a batch.
    fn batch_due(&self, now_ms: i64, config: &TrackConfig) -> bool {
        let fix_span_ms = match (self.buffer.first(), self.buffer.last()) {
            (Some(first), Some(last)) => last.time_ms - first.time_ms,
            _ => 0,
        };
        self.waiting > 0
            && (self.waiting >= config.batch_fixes
                || fix_span_ms >= config.batch_span_ms
                || now_ms - self.waiting_since_ms >= config.batch_span_ms)
    }

    /// Something classified or changed is not committed yet.
    fn has_waiting(&self) -> bool {
        !self.buffer.is_empty() || self.row_dirty
    }

    /// Commits the waiting points, and the patrol row if it changed, in one transaction. A
    /// batch of kept fixes writes only its points (kept and mock counts are counted from them),
    /// as many pages as a bare INSERT of the same rows.
    fn commit(&mut self, store: &Store) -> Result<()> {
        store.write(|tx| {
            db::insert_points(tx, &self.patrol.id, &self.buffer)?;
            if self.row_dirty {
                db::save_patrol(tx, &self.patrol, self.resume_break)?;
            }
            Ok(())
        })?;
        self.buffer.clear();
        self.waiting = 0;
        self.row_dirty = false;
        Ok(())
    }
}

/// Checks a fix is a possible position and converts it to WGS-84.
fn valid_fix(fix: &LocationFix) -> Result<LocationFix, TrackError> {
    fix.to_wgs84().map_err(|e| match e {
        FixError::NotFinite => TrackError::FixNotFinite,
        FixError::OutOfRange => TrackError::FixOutOfRange,
        FixError::BadAccuracy => TrackError::FixBadAccuracy,
    })
}

/// `None` until first used: the open patrol is loaded from the store then.
type Slot = Option<Option<Live>>;

/// Records patrols over a [`Store`]. One per data directory (the [`Client`](crate::Client)
/// holds it); every method takes the store and the wall-clock time, so the client's methods are
/// one line and tests can run a patrol of hours in milliseconds.
#[derive(Debug, Default)]
pub struct TrackRecorder {
    config: TrackConfig,
    slot: Mutex<Slot>,
}

impl TrackRecorder {
    pub fn new(config: TrackConfig) -> Self {
        Self {
            config,
            slot: Mutex::new(None),
        }
    }

    pub fn config(&self) -> &TrackConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // A panic mid-call may have left the memory state half changed: reload from the store.
        self.slot.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            guard
        })
    }

    /// Runs `f` on the open patrol (loaded if needed). If `f` fails with a store error, the
    /// memory state is dropped and reloaded next time, so it never runs ahead of the store.
    fn with_live<T>(&self, store: &Store, f: impl FnOnce(&mut Option<Live>) -> Result<T>) -> Result<T> {
        let mut guard = self.lock();
        if guard.is_none() {
            let live = store.read(|conn| {
                Ok(match db::load_open_patrol(conn)? {
                    Some(row) => {
                        let last = db::last_point(conn, &row.patrol.id)?;
                        Some(Live::from_row(row, last))
                    }
                    None => None,
                })
            })?;
            *guard = Some(live);
        }
        let live = guard.as_mut().expect("loaded just above");
        let result = f(live);
        if matches!(result, Err(Error::Sqlite(_) | Error::Io(_))) {
            *guard = None;
        }
        result
    }

    /// The open patrol, or the right refusal for `patrol_id`.
    fn open_one<'a>(store: &Store, live: &'a mut Option<Live>, patrol_id: &str) -> Result<&'a mut Live> {
        match live {
            Some(l) if l.patrol.id == patrol_id => Ok(l),
            _ => {
                let stored = store.read(|conn| db::load_patrol(conn, patrol_id))?;
                Err(match stored {
                    Some(_) => TrackError::PatrolStopped,
                    None => TrackError::PatrolUnknown,
                }
                .into())
            }
        }
    }

    /// Starts a patrol; refused while another is open.
    pub fn start(&self, store: &Store, start: PatrolStart, now_ms: i64) -> Result<Patrol> {
        let reporter = &start.reporter;
        let bad = |field, reason| Err(TrackError::InvalidStart { field, reason }.into());
        if reporter.reporter_id.trim().is_empty() || reporter.reporter_id.chars().count() > 128 {
            return bad("reporter_id", "must be 1 to 128 characters");
        }
        if reporter.grid_ids.len() > 64
            || reporter
                .grid_ids
                .iter()
                .any(|g| g.trim().is_empty() || g.chars().count() > 128)
        {
            return bad("grid_ids", "at most 64 ids of 1 to 128 characters");
        }
        if !(100..=600_000).contains(&start.expected_interval_ms) {
            return bad("expected_interval_ms", "must be 100 to 600000");
        }
        self.with_live(store, |live| {
            if live.is_some() {
                return Err(TrackError::PatrolStillOpen.into());
            }
            let patrol = Patrol {
                id: uuid::Uuid::now_v7().to_string(),
                reporter: start.reporter,
                mode: start.mode,
                expected_interval_ms: start.expected_interval_ms,
                state: PatrolState::Active,
                started_at_ms: now_ms,
                paused_at_ms: None,
                stopped_at_ms: None,
                counts: FilterCounts::default(),
            };
            store.write(|tx| db::insert_patrol(tx, &patrol))?;
            tracing::info!(patrol = %patrol.id, mode = patrol.mode.as_str(), "patrol started");
            *live = Some(Live::from_row(
                PatrolRow {
                    patrol: patrol.clone(),
                    resume_break: false,
                },
                None,
            ));
            Ok(patrol)
        })
    }

    /// Feeds one fix; committed with its batch (see the module doc).
    pub fn ingest(
        &self,
        store: &Store,
        patrol_id: &str,
        fix: &LocationFix,
        now_ms: i64,
    ) -> Result<FixOutcome> {
        let config = self.config;
        self.with_live(store, |live| {
            let live = Self::open_one(store, live, patrol_id)?;
            let fix = valid_fix(fix)?;
            live.check_time(&fix, now_ms, &config)?;
            let (verdict, seq) = live.classify(&fix, now_ms, &config);
            if live.batch_due(now_ms, &config) {
                live.commit(store)?;
            }
            Ok(FixOutcome {
                verdict,
                seq,
                durable_points: live.durable_points(),
            })
        })
    }

    /// Feeds fixes the OS delivered late (any order; sorted by time here) and commits them.
    /// One bad fix refuses the whole batch.
    pub fn ingest_batch(
        &self,
        store: &Store,
        patrol_id: &str,
        fixes: &[LocationFix],
        now_ms: i64,
    ) -> Result<BatchOutcome> {
        let config = self.config;
        if fixes.len() > config.max_batch {
            return Err(TrackError::BatchTooLarge {
                count: fixes.len(),
                limit: config.max_batch,
            }
            .into());
        }
        self.with_live(store, |live| {
            let live = Self::open_one(store, live, patrol_id)?;
            let mut valid = Vec::with_capacity(fixes.len());
            for fix in fixes {
                let fix = valid_fix(fix)?;
                live.check_time(&fix, now_ms, &config)?;
                valid.push(fix);
            }
            valid.sort_by_key(|f| f.fix_time_ms);
            let mut counts = FilterCounts::default();
            for fix in &valid {
                counts.add(live.classify(fix, now_ms, &config).0);
            }
            live.commit(store)?;
            Ok(BatchOutcome {
                counts,
                durable_points: live.durable_points(),
            })
        })
    }

    /// Commits whatever waits (the app calls this when it goes to the background).
    pub fn flush(&self, store: &Store) -> Result<()> {
        self.with_live(store, |live| match live {
            Some(l) if l.has_waiting() => l.commit(store),
            _ => Ok(()),
        })
    }

    fn change_state(&self, store: &Store, patrol_id: &str, now_ms: i64, to: PatrolState) -> Result<Patrol> {
        self.with_live(store, |slot| {
            let live = Self::open_one(store, slot, patrol_id)?;
            let from = live.patrol.state;
            if to != PatrolState::Stopped && from == to {
                return Err(TrackError::AlreadyInState { state: to.as_str() }.into());
            }
            let before = (live.patrol.clone(), live.resume_break);
            match to {
                PatrolState::Paused => live.patrol.paused_at_ms = Some(now_ms),
                PatrolState::Active => {
                    live.patrol.paused_at_ms = None;
                    live.resume_break = true;
                }
                PatrolState::Stopped => live.patrol.stopped_at_ms = Some(now_ms),
            }
            live.patrol.state = to;
            live.row_dirty = true;
            if let Err(e) = live.commit(store) {
                (live.patrol, live.resume_break) = before;
                return Err(e);
            }
            tracing::info!(patrol = %live.patrol.id, state = to.as_str(), "patrol state changed");
            let patrol = live.patrol.clone();
            if to == PatrolState::Stopped {
                *slot = None;
            }
            Ok(patrol)
        })
    }

    pub fn pause(&self, store: &Store, patrol_id: &str, now_ms: i64) -> Result<Patrol> {
        self.change_state(store, patrol_id, now_ms, PatrolState::Paused)
    }

    pub fn resume(&self, store: &Store, patrol_id: &str, now_ms: i64) -> Result<Patrol> {
        self.change_state(store, patrol_id, now_ms, PatrolState::Active)
    }

    /// Stops the patrol (active or paused) and commits what waits; it takes no more fixes.
    pub fn stop(&self, store: &Store, patrol_id: &str, now_ms: i64) -> Result<Patrol> {
        self.change_state(store, patrol_id, now_ms, PatrolState::Stopped)
    }

    /// The open patrol (after a relaunch too), with counts including the waiting fixes.
    pub fn open_patrol(&self, store: &Store) -> Result<Option<Patrol>> {
        self.with_live(store, |live| Ok(live.as_ref().map(|l| l.patrol.clone())))
    }

    /// A patrol by id (`None`: the open one, else the latest), and its points, waiting ones included.
    pub fn patrol_with_points(
        &self,
        store: &Store,
        patrol_id: Option<&str>,
    ) -> Result<(Patrol, Vec<TrackPoint>)> {
        self.with_live(store, |live| {
            let id = match (patrol_id, live.as_ref()) {
                (Some(id), _) => id.to_owned(),
                (None, Some(l)) => l.patrol.id.clone(),
                (None, None) => store
                    .read(db::latest_patrol_id)?
                    .ok_or(Error::Track(TrackError::PatrolUnknown))?,
            };
            match live.as_ref() {
                Some(l) if l.patrol.id == id => {
                    let mut points = store.read(|conn| db::load_points(conn, &id))?;
                    points.extend_from_slice(&l.buffer);
                    Ok((l.patrol.clone(), points))
                }
                _ => store.read(|conn| {
                    let row = db::load_patrol(conn, &id)?.ok_or(Error::Track(TrackError::PatrolUnknown))?;
                    Ok((row.patrol, db::load_points(conn, &id)?))
                }),
            }
        })
    }

    /// The submitted reports captured on this patrol (reporter + time window, see the module doc).
    pub fn linked_reports(&self, store: &Store, patrol: &Patrol, now_ms: i64) -> Result<Vec<String>> {
        let (from, to) = patrol.report_window(now_ms);
        store.read(|conn| db::reports_in_window(conn, &patrol.reporter.reporter_id, from, to))
    }
}

//! A patrol on the wire: the two bodies a device uploads (`PUT /v1/patrols/{id}` and
//! `PUT /v1/patrols/{id}/chunks/{n}`, see docs/PROTOCOL.md) and the rules they must meet.
//!
//! Owns the shapes ([`PatrolMeta`], [`TrackChunk`]), the chunking ([`CHUNK_POINTS`], which
//! points chunk `n` holds) and the checks ([`check_meta`], [`check_chunk`], [`meta_change`]),
//! one function each, used by the device before it sends and by the platform when it
//! receives. It does not send anything (`sync::tracks`) nor store anything (the recorder on the
//! device, `platform::patrols` on the platform).
//!
//! ## Why fixed chunks of 500 points
//! Chunk `n` holds the points with `seq` in `n·500 .. n·500+500`. A chunk is therefore named
//! by what it contains, so an upload is idempotent without any id beyond the patrol's: the
//! same chunk sent twice (its answer was lost) is the same request. The last chunk of an active
//! patrol grows as fixes come in and is sent again, longer, on each run — the platform keeps the
//! longer of two versions where one is a prefix of the other, and refuses (409) two versions
//! that disagree. A chunk is at most ~60 KB of JSON: small enough for a weak signal, large
//! enough that an 8-hour patrol at 1 Hz is 58 requests.

use serde::{Deserialize, Serialize};

use super::{FilterCounts, Patrol, PatrolState, TrackPoint, TravelMode};
use crate::capture::Reporter;
use crate::location::Datum;

/// Points per chunk.
pub const CHUNK_POINTS: u64 = 500;

/// The most chunks one patrol may have (100,000 points: 27 hours at 1 Hz), which bounds what
/// the platform holds and computes per patrol.
pub const MAX_CHUNKS: u64 = 200;

/// `PUT /v1/patrols/{id}`: the patrol's own fields, sent when it starts and whenever its state
/// or counts change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolMeta {
    pub patrol_id: String,
    pub reporter: Reporter,
    pub mode: TravelMode,
    pub expected_interval_ms: u32,
    pub state: PatrolState,
    pub started_at_ms: i64,
    #[serde(default)]
    pub paused_at_ms: Option<i64>,
    #[serde(default)]
    pub stopped_at_ms: Option<i64>,
    pub counts: FilterCounts,
}

impl PatrolMeta {
    pub fn of(patrol: &Patrol) -> Self {
        Self {
            patrol_id: patrol.id.clone(),
            reporter: patrol.reporter.clone(),
            mode: patrol.mode,
            expected_interval_ms: patrol.expected_interval_ms,
            state: patrol.state,
            started_at_ms: patrol.started_at_ms,
            paused_at_ms: patrol.paused_at_ms,
            stopped_at_ms: patrol.stopped_at_ms,
            counts: patrol.counts,
        }
    }

    /// The patrol as the figures take it.
    pub fn to_patrol(&self) -> Patrol {
        Patrol {
            id: self.patrol_id.clone(),
            reporter: self.reporter.clone(),
            mode: self.mode,
            expected_interval_ms: self.expected_interval_ms,
            state: self.state,
            started_at_ms: self.started_at_ms,
            paused_at_ms: self.paused_at_ms,
            stopped_at_ms: self.stopped_at_ms,
            counts: self.counts,
        }
    }
}

/// `PUT /v1/patrols/{id}/chunks/{n}`: up to [`CHUNK_POINTS`] kept points, in WGS-84.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackChunk {
    pub datum: Datum,
    pub points: Vec<TrackPoint>,
}

/// Why a meta or a chunk is refused, with the stable code the platform answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the patrol id is not a device-made id of 1 to 64 letters, digits or dashes")]
    BadPatrolId,
    #[error("the reporter id is empty")]
    NoReporter,
    #[error("the expected interval is 0")]
    NoInterval,
    #[error("the stop (or pause) is before the start, or a stopped patrol has no stop time")]
    BadTimes,
    #[error("the chunk number is past the most chunks a patrol may have")]
    TooManyChunks,
    #[error("a chunk holds 1 to 500 points")]
    ChunkSize,
    #[error("the points' seq are not n*500, n*500+1, ... in order")]
    BadSeq,
    #[error("a point's coordinates or accuracy are not finite or out of range")]
    BadPoint,
    #[error("the points' times are not strictly increasing")]
    BadTimeOrder,
    #[error("points must be WGS-84")]
    NotWgs84,
}

impl WireError {
    pub fn code(self) -> &'static str {
        match self {
            WireError::BadPatrolId => "bad_patrol_id",
            WireError::NoReporter => "no_reporter",
            WireError::NoInterval => "no_interval",
            WireError::BadTimes => "bad_times",
            WireError::TooManyChunks => "too_many_chunks",
            WireError::ChunkSize => "chunk_size",
            WireError::BadSeq => "bad_seq",
            WireError::BadPoint => "bad_point",
            WireError::BadTimeOrder => "bad_time_order",
            WireError::NotWgs84 => "not_wgs84",
        }
    }
}

/// A patrol id as devices make them (a UUID) or tests name them: 1–64 ASCII letters, digits,
/// `-` or `_`, so it is safe in a URL path and a log line.
pub fn check_patrol_id(id: &str) -> Result<(), WireError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(WireError::BadPatrolId) }
}

/// What a patrol's own fields must satisfy on their own.
pub fn check_meta(meta: &PatrolMeta) -> Result<(), WireError> {
    check_patrol_id(&meta.patrol_id)?;
    if meta.reporter.reporter_id.trim().is_empty() {
        return Err(WireError::NoReporter);
    }
    if meta.expected_interval_ms == 0 {
        return Err(WireError::NoInterval);
    }
    let before_start = |t: Option<i64>| t.is_some_and(|t| t < meta.started_at_ms);
    if before_start(meta.stopped_at_ms)
        || before_start(meta.paused_at_ms)
        || (meta.state == PatrolState::Stopped) != meta.stopped_at_ms.is_some()
    {
        return Err(WireError::BadTimes);
    }
    Ok(())
}

/// How a new version of a patrol's fields relates to the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaChange {
    Same,
    /// State, pause or counts moved on: store the new version.
    Newer,
    /// Who, how or when it started differ, or a stopped patrol changed: refused (409).
    Conflict,
}

pub fn meta_change(stored: &PatrolMeta, new: &PatrolMeta) -> MetaChange {
    if stored == new {
        return MetaChange::Same;
    }
    let fixed_differ = stored.reporter != new.reporter
        || stored.mode != new.mode
        || stored.expected_interval_ms != new.expected_interval_ms
        || stored.started_at_ms != new.started_at_ms;
    if fixed_differ || stored.state == PatrolState::Stopped {
        return MetaChange::Conflict;
    }
    MetaChange::Newer
}

/// The `seq` range chunk `n` holds.
pub fn chunk_range(n: u64) -> std::ops::Range<u64> {
    n * CHUNK_POINTS..(n + 1) * CHUNK_POINTS
}

/// Which chunk holds point `seq`.
pub fn chunk_of(seq: u64) -> u64 {
    seq / CHUNK_POINTS
}

/// What chunk `n` must satisfy on its own: 1–500 points, `seq` contiguous from `n·500`,
/// strictly increasing times, finite WGS-84 coordinates in range, a finite accuracy ≥ 0.
pub fn check_chunk(n: u64, chunk: &TrackChunk) -> Result<(), WireError> {
    if n >= MAX_CHUNKS {
        return Err(WireError::TooManyChunks);
    }
    if chunk.datum != Datum::Wgs84 {
        return Err(WireError::NotWgs84);
    }
    if chunk.points.is_empty() || chunk.points.len() as u64 > CHUNK_POINTS {
        return Err(WireError::ChunkSize);
    }
    let first = chunk_range(n).start;
    for (i, p) in chunk.points.iter().enumerate() {
        if p.seq != first + i as u64 {
            return Err(WireError::BadSeq);
        }
        let in_range = p.lat.is_finite()
            && p.lon.is_finite()
            && (-90.0..=90.0).contains(&p.lat)
            && (-180.0..=180.0).contains(&p.lon)
            && p.accuracy_m.is_finite()
            && p.accuracy_m >= 0.0;
        if !in_range {
            return Err(WireError::BadPoint);
        }
    }
    if chunk.points.windows(2).any(|w| w[1].time_ms <= w[0].time_ms) {
        return Err(WireError::BadTimeOrder);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Role;
    use crate::track::SegmentStart;

    fn point(seq: u64) -> TrackPoint {
        TrackPoint {
            seq,
            time_ms: 1_000 * seq as i64,
            lat: 31.3,
            lon: 120.6,
            accuracy_m: 5.0,
            is_mock: false,
            segment: 0,
            starts: if seq == 0 {
                SegmentStart::First
            } else {
                SegmentStart::Continues
            },
        }
    }

    fn chunk(n: u64, len: u64) -> TrackChunk {
        TrackChunk {
            datum: Datum::Wgs84,
            points: chunk_range(n).take(len as usize).map(point).collect(),
        }
    }

    fn meta() -> PatrolMeta {
        PatrolMeta {
            patrol_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            reporter: Reporter {
                reporter_id: "w-1".into(),
                role: Role::Inspector,
                grid_ids: vec!["g1".into()],
            },
            mode: TravelMode::Walking,
            expected_interval_ms: 1_000,
            state: PatrolState::Active,
            started_at_ms: 1_000,
            paused_at_ms: None,
            stopped_at_ms: None,
            counts: FilterCounts::default(),
        }
    }

    #[test]
    fn a_chunk_holds_its_own_contiguous_seq_range() {
        assert_eq!(check_chunk(0, &chunk(0, 500)), Ok(()));
        assert_eq!(check_chunk(3, &chunk(3, 1)), Ok(()));
        assert_eq!(check_chunk(0, &chunk(0, 0)), Err(WireError::ChunkSize));
        // Chunk 1's points sent as chunk 2.
        assert_eq!(check_chunk(2, &chunk(1, 10)), Err(WireError::BadSeq));
        let mut too_long = chunk(0, 500);
        too_long.points.push(point(500));
        assert_eq!(check_chunk(0, &too_long), Err(WireError::ChunkSize));
        let mut hole = chunk(0, 10);
        hole.points.remove(4);
        assert_eq!(check_chunk(0, &hole), Err(WireError::BadSeq));
        assert_eq!(
            check_chunk(MAX_CHUNKS, &chunk(MAX_CHUNKS, 1)),
            Err(WireError::TooManyChunks)
        );
        assert_eq!(chunk_of(499), 0);
        assert_eq!(chunk_of(500), 1);
    }

    #[test]
    fn a_chunk_with_a_bad_point_time_or_datum_is_refused() {
        for bad in [f64::NAN, f64::INFINITY, 91.0, -90.5] {
            let mut c = chunk(0, 3);
            c.points[1].lat = bad;
            assert_eq!(check_chunk(0, &c), Err(WireError::BadPoint), "lat {bad}");
        }
        let mut c = chunk(0, 3);
        c.points[2].lon = 180.01;
        assert_eq!(check_chunk(0, &c), Err(WireError::BadPoint));
        let mut c = chunk(0, 3);
        c.points[0].accuracy_m = -1.0;
        assert_eq!(check_chunk(0, &c), Err(WireError::BadPoint));
        let mut c = chunk(0, 3);
        c.points[2].time_ms = c.points[1].time_ms;
        assert_eq!(check_chunk(0, &c), Err(WireError::BadTimeOrder));
        let mut c = chunk(0, 3);
        c.datum = Datum::Gcj02;
        assert_eq!(check_chunk(0, &c), Err(WireError::NotWgs84));
    }

    #[test]
    fn a_meta_needs_an_id_a_reporter_an_interval_and_consistent_times() {
        assert_eq!(check_meta(&meta()), Ok(()));
        for id in ["", "a/b", "x".repeat(65).as_str(), "ü"] {
            let m = PatrolMeta {
                patrol_id: id.into(),
                ..meta()
            };
            assert_eq!(check_meta(&m), Err(WireError::BadPatrolId), "{id:?}");
        }
        let mut m = meta();
        m.reporter.reporter_id = " ".into();
        assert_eq!(check_meta(&m), Err(WireError::NoReporter));
        let m = PatrolMeta {
            expected_interval_ms: 0,
            ..meta()
        };
        assert_eq!(check_meta(&m), Err(WireError::NoInterval));
        let stopped_early = PatrolMeta {
            state: PatrolState::Stopped,
            stopped_at_ms: Some(999),
            ..meta()
        };
        assert_eq!(check_meta(&stopped_early), Err(WireError::BadTimes));
        let stopped_without_time = PatrolMeta {
            state: PatrolState::Stopped,
            ..meta()
        };
        assert_eq!(check_meta(&stopped_without_time), Err(WireError::BadTimes));
    }

    #[test]
    fn a_meta_may_move_on_but_not_change_who_or_reopen() {
        let stored = meta();
        assert_eq!(meta_change(&stored, &stored), MetaChange::Same);
        let mut counted = meta();
        counted.counts.jump = 2;
        assert_eq!(meta_change(&stored, &counted), MetaChange::Newer);
        let stopped = PatrolMeta {
            state: PatrolState::Stopped,
            stopped_at_ms: Some(9_000),
            ..meta()
        };
        assert_eq!(meta_change(&stored, &stopped), MetaChange::Newer);
        assert_eq!(meta_change(&stopped, &stored), MetaChange::Conflict);
        let mut other = meta();
        other.reporter.reporter_id = "w-2".into();
        assert_eq!(meta_change(&stored, &other), MetaChange::Conflict);
        let later = PatrolMeta {
            started_at_ms: 2_000,
            ..meta()
        };
        assert_eq!(meta_change(&stored, &later), MetaChange::Conflict);
    }

    #[test]
    fn the_wire_json_round_trips_and_refuses_unknown_fields() {
        let c = chunk(0, 2);
        let json = serde_json::to_string(&c).expect("serializes");
        assert!(
            json.starts_with(r#"{"datum":"wgs84","points":[{"seq":0,"time_ms":0,"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<TrackChunk>(&json).expect("parses"), c);
        let m = serde_json::to_value(meta()).expect("serializes");
        assert_eq!(m["mode"], "walking");
        assert_eq!(m["state"], "active");
        let mut extra = m.clone();
        extra["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<PatrolMeta>(extra).is_err());
    }
}

//! Fixes from a file: GPX 1.1 track points and CSV rows, read as a stream.
//!
//! Owns the two file formats, the check of every point before any is fed, and the feeding in
//! batches through a caller's function (the CLI passes `Client::patrol_fixes`). Does not own the
//! filter (the recorder decides what is kept, as for fixes from the OS) nor which patrol the
//! fixes go to.
//!
//! ## Bounded memory
//! Both readers pull one event (GPX, with `quick-xml`) or one line (CSV) at a time from a
//! `BufRead`, and hold one point plus one batch of fixes: a 500 MB file is read in the memory of
//! a few kilobytes. A single XML event or CSV line over [`MAX_EVENT_BYTES`] (a text node of
//! hundreds of megabytes, a file without line breaks) is refused where it passes the limit,
//! before it is held whole.
//!
//! ## Nothing stored changes on bad input
//! [`check`] reads the whole file once and refuses it at the first bad point, with its position
//! (CSV line, or GPX track point number and byte offset) and never the text found there; only
//! then does [`feed`] read it again and hand the fixes over in batches. Each batch is durable
//! once fed (like a late batch from the OS), so a storage failure in the second pass leaves the
//! batches before it committed; the error says how many points were fed.
//!
//! ## GPX
//! Every `trkpt` (GPX 1.1, WGS-84 by the standard) with its `lat` and `lon` attributes and its
//! `<time>` (RFC 3339) child; a point without a time is refused (`bad_time`). The accuracy is an
//! `<accuracy>` element (metres) anywhere inside the point, as Android loggers write it under
//! `<extensions>`; otherwise the caller's default. `hdop` is not turned into metres: the factor
//! depends on the receiver. Waypoints and route points are not a track and are skipped.
//!
//! ## CSV
//! A header row, then one fix per row, comma-separated, no quoting (every field is a number, a
//! time or a flag). Columns by name, in any order, case-insensitive; others are ignored:
//! - `time` (RFC 3339, e.g. `2026-11-23T09:30:00+08:00`) or `time_ms` (Unix milliseconds);
//! - `lat`, `lon`: decimal degrees, WGS-84;
//! - `accuracy` (or `accuracy_m`): metres, optional (empty: the caller's default);
//! - `mock`: `true`/`false`/`1`/`0`, optional.

mod csv;
mod gpx;

use std::fmt;
use std::io::{self, BufRead};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{BatchOutcome, FilterCounts, TrackError};
use crate::location::{Datum, FixError, LocationFix, LocationProvider};

/// The largest XML event or CSV line accepted (a track point is about 100 bytes).
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// The file formats [`check`] and [`feed`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Gpx,
    Csv,
}

impl FileFormat {
    /// The format a file name says (`.gpx`, `.csv`, any case).
    pub fn from_extension(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "gpx" => Some(Self::Gpx),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// Where in the file a point was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A CSV line, 1-based (the header is line 1).
    Line(u64),
    /// The n-th GPX track point (1-based), starting at this byte offset.
    TrackPoint { number: u64, byte: u64 },
    /// A byte offset of a GPX file (an error outside any track point).
    Byte(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, "line {line}"),
            Position::TrackPoint { number, byte } => write!(f, "track point {number} (byte {byte})"),
            Position::Byte(byte) => write!(f, "byte {byte}"),
        }
    }
}

/// Why a file was refused. Messages name the position and the field, never the text found.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file does not start with a `<gpx>` element (or is not XML at all).
    #[error("not a GPX file")]
    NotGpx,
    /// The XML breaks off or is not well formed.
    #[error("malformed GPX at {at}")]
    MalformedGpx { at: Position },
    /// The CSV header lacks a required column (or there is no header).
    #[error("CSV header has no {missing} column")]
    BadCsvHeader { missing: &'static str },
    /// A CSV row with too few fields, or a field that is not what its column holds.
    #[error("bad row at {at}: {reason}")]
    BadRow { at: Position, reason: &'static str },
    #[error("missing or unreadable time at {at}")]
    BadTime { at: Position },
    /// Latitude/longitude missing, not a number, NaN/inf or out of range.
    #[error("missing or impossible coordinates at {at}")]
    BadCoordinate { at: Position },
    #[error("accuracy at {at} is not a finite number of metres, zero or more")]
    BadAccuracy { at: Position },
    /// One XML event or CSV line over [`MAX_EVENT_BYTES`].
    #[error("an element or line over {limit} bytes at {at}")]
    TooLarge { at: Position, limit: usize },
    /// A point the recorder would refuse (in the future, before the patrol started).
    #[error("point at {at} refused: {error}")]
    Refused { at: Position, error: TrackError },
    /// There is no open patrol to import into (the caller decides which patrol is meant).
    #[error("no active patrol: start one first")]
    NoActivePatrol,
    #[error("the file could not be read: {0}")]
    Io(io::ErrorKind),
    /// Feeding a batch failed after `fed` points were committed.
    #[error("import stopped after {fed} points: {source}")]
    Feed {
        fed: u64,
        #[source]
        source: crate::Error,
    },
}

impl ImportError {
    /// A stable machine code for the kind of refusal.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::NotGpx => "not_gpx",
            ImportError::MalformedGpx { .. } => "malformed_gpx",
            ImportError::BadCsvHeader { .. } => "bad_csv_header",
            ImportError::BadRow { .. } => "bad_row",
            ImportError::BadTime { .. } => "bad_time",
            ImportError::BadCoordinate { .. } => "bad_coordinate",
            ImportError::BadAccuracy { .. } => "bad_accuracy",
            ImportError::TooLarge { .. } => "too_large",
            ImportError::Refused { error, .. } => error.code(),
            ImportError::NoActivePatrol => "no_active_patrol",
            ImportError::Io(_) => "unreadable_file",
            ImportError::Feed { source, .. } => source.code(),
        }
    }

    /// Where in the file, when the refusal is about one place.
    pub fn position(&self) -> Option<Position> {
        match self {
            ImportError::MalformedGpx { at }
            | ImportError::BadRow { at, .. }
            | ImportError::BadTime { at }
            | ImportError::BadCoordinate { at }
            | ImportError::BadAccuracy { at }
            | ImportError::TooLarge { at, .. }
            | ImportError::Refused { at, .. } => Some(*at),
            _ => None,
        }
    }
}

/// How points are read: the accuracy of points that carry none, and the format.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportOptions {
    pub format: FileFormat,
    pub default_accuracy_m: f64,
}

/// The times a point may have: not before the patrol started, not more than the recorder's
/// clock-skew tolerance after now (the recorder's own rules, checked before anything is fed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub started_at_ms: i64,
    pub now_ms: i64,
    pub future_tolerance_ms: i64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub points_read: u64,
    pub batches: u64,
    /// The recorder's verdicts over all batches.
    pub counts: FilterCounts,
    pub durable_points: u64,
}

/// Reads the whole file and refuses it at its first bad point; returns the number of points.
pub fn check(reader: impl BufRead, options: ImportOptions, window: TimeWindow) -> Result<u64, ImportError> {
    let mut points = 0;
    for_each_point(reader, options, |at, fix| {
        if fix.fix_time_ms > window.now_ms.saturating_add(window.future_tolerance_ms) {
            let tolerance_s = window.future_tolerance_ms / 1000;
            return Err(ImportError::Refused {
                at,
                error: TrackError::FixInFuture { tolerance_s },
            });
        }
        if fix.fix_time_ms < window.started_at_ms {
            let error = TrackError::FixBeforeStart;
            return Err(ImportError::Refused { at, error });
        }
        points += 1;
        Ok(())
    })?;
    Ok(points)
}

/// Reads the file (already [`check`]ed) and hands its fixes to `send` in batches of `batch`.
pub fn feed(
    reader: impl BufRead,
    options: ImportOptions,
    batch: usize,
    mut send: impl FnMut(Vec<LocationFix>) -> crate::Result<BatchOutcome>,
) -> Result<ImportSummary, ImportError> {
    let batch = batch.max(1);
    let mut summary = ImportSummary::default();
    let mut waiting = Vec::with_capacity(batch);
    let mut fed = 0u64;
    let mut send_waiting = |waiting: &mut Vec<LocationFix>, summary: &mut ImportSummary| {
        let count = waiting.len() as u64;
        let fixes = std::mem::replace(waiting, Vec::with_capacity(batch));
        let outcome = send(fixes).map_err(|source| ImportError::Feed { fed, source })?;
        fed += count;
        summary.batches += 1;
        merge_counts(&mut summary.counts, &outcome.counts);
        summary.durable_points = outcome.durable_points;
        Ok::<(), ImportError>(())
    };
    for_each_point(reader, options, |_, fix| {
        waiting.push(fix);
        summary.points_read += 1;
        if waiting.len() >= batch {
            send_waiting(&mut waiting, &mut summary)?;
        }
        Ok(())
    })?;
    if !waiting.is_empty() {
        send_waiting(&mut waiting, &mut summary)?;
    }
    Ok(summary)
}

fn merge_counts(into: &mut FilterCounts, from: &FilterCounts) {
    into.kept += from.kept;
    into.mock += from.mock;
    into.accuracy += from.accuracy;
    into.jump += from.jump;
    into.duplicate += from.duplicate;
    into.out_of_order += from.out_of_order;
    into.while_paused += from.while_paused;
}

/// Calls `each` with every point of the file in order, stopping at the first error.
pub fn for_each_point(
    reader: impl BufRead,
    options: ImportOptions,
    each: impl FnMut(Position, LocationFix) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    match options.format {
        FileFormat::Gpx => gpx::points(reader, options.default_accuracy_m, each),
        FileFormat::Csv => csv::points(reader, options.default_accuracy_m, each),
    }
}

/// A fix from a file: WGS-84, from a GNSS receiver, checked as a position.
fn file_fix(
    at: Position,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
    time_ms: i64,
    is_mock: bool,
) -> Result<LocationFix, ImportError> {
    let fix = LocationFix {
        lat,
        lon,
        accuracy_m,
        fix_time_ms: time_ms,
        provider: LocationProvider::Gps,
        is_mock,
        datum: Datum::Wgs84,
    };
    fix.to_wgs84().map_err(|e| match e {
        FixError::NotFinite | FixError::OutOfRange => ImportError::BadCoordinate { at },
        FixError::BadAccuracy => ImportError::BadAccuracy { at },
    })
}

fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text.trim(), &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

// ---- GPX ----

#[cfg(test)]
#[path = "../tests/import.rs"]
mod tests;

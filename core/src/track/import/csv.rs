//! CSV rows, read one bounded line at a time (see the parent module for the columns and the
//! bounds). Owns the header and the columns. Does not check the fix itself (`file_fix` in the
//! parent does, as for GPX).

use std::io::{BufRead, Read};

use super::{ImportError, MAX_EVENT_BYTES, Position, file_fix, parse_rfc3339_ms};
use crate::location::LocationFix;

/// Where each column is in a row.
struct Columns {
    time: usize,
    time_is_ms: bool,
    lat: usize,
    lon: usize,
    accuracy: Option<usize>,
    mock: Option<usize>,
    /// Fields a row must have at least.
    needed: usize,
}

impl Columns {
    fn from_header(header: &str) -> Result<Self, ImportError> {
        let names: Vec<String> = header
            .trim_start_matches('\u{feff}')
            .split(',')
            .map(|n| n.trim().to_ascii_lowercase())
            .collect();
        let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
        let (time, time_is_ms) = match (find(&["time"]), find(&["time_ms"])) {
            (Some(i), _) => (i, false),
            (None, Some(i)) => (i, true),
            (None, None) => return Err(ImportError::BadCsvHeader { missing: "time" }),
        };
        let lat = find(&["lat"]).ok_or(ImportError::BadCsvHeader { missing: "lat" })?;
        let lon = find(&["lon"]).ok_or(ImportError::BadCsvHeader { missing: "lon" })?;
        let accuracy = find(&["accuracy", "accuracy_m"]);
        let mock = find(&["mock"]);
        let needed = 1 + [Some(time), Some(lat), Some(lon), accuracy, mock]
            .into_iter()
            .flatten()
            .max()
            .expect("time, lat and lon are always there");
        Ok(Self {
            time,
            time_is_ms,
            lat,
            lon,
            accuracy,
            mock,
            needed,
        })
    }

    fn fix(&self, at: Position, row: &str, default_accuracy_m: f64) -> Result<LocationFix, ImportError> {
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        if fields.len() < self.needed {
            return Err(ImportError::BadRow {
                at,
                reason: "fewer fields than the header",
            });
        }
        let number = |i: usize| fields[i].parse::<f64>().ok();
        let (Some(lat), Some(lon)) = (number(self.lat), number(self.lon)) else {
            return Err(ImportError::BadCoordinate { at });
        };
        let time = fields[self.time];
        let time_ms = if self.time_is_ms {
            time.parse::<i64>().ok()
        } else {
            parse_rfc3339_ms(time)
        }
        .ok_or(ImportError::BadTime { at })?;
        let accuracy_m = match self.accuracy.map(|i| fields[i]) {
            None | Some("") => default_accuracy_m,
            Some(text) => text.parse::<f64>().map_err(|_| ImportError::BadAccuracy { at })?,
        };
        let is_mock = match self.mock.map(|i| fields[i].to_ascii_lowercase()) {
            None => false,
            Some(flag) => match flag.as_str() {
                "" | "false" | "0" => false,
                "true" | "1" => true,
                _ => {
                    return Err(ImportError::BadRow {
                        at,
                        reason: "mock is not true/false/1/0",
                    });
                }
            },
        };
        file_fix(at, lat, lon, accuracy_m, time_ms, is_mock)
    }
}

/// Reads one line of at most [`MAX_EVENT_BYTES`] into `line` (without the line break);
/// `false` at the end of the file.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, at: Position) -> Result<bool, ImportError> {
    line.clear();
    let read = reader
        .take(MAX_EVENT_BYTES as u64 + 1)
        .read_until(b'\n', line)
        .map_err(|e| ImportError::Io(e.kind()))?;
    if read == 0 {
        return Ok(false);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > MAX_EVENT_BYTES {
        return Err(ImportError::TooLarge {
            at,
            limit: MAX_EVENT_BYTES,
        });
    }
    Ok(true)
}

pub(super) fn points(
    mut reader: impl BufRead,
    default_accuracy_m: f64,
    mut each: impl FnMut(Position, LocationFix) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut line = Vec::new();
    let mut number = 1u64;
    if !read_line(&mut reader, &mut line, Position::Line(number))? {
        return Err(ImportError::BadCsvHeader { missing: "time" });
    }
    let header = std::str::from_utf8(&line).map_err(|_| ImportError::BadCsvHeader { missing: "time" })?;
    let columns = Columns::from_header(header)?;
    loop {
        number += 1;
        let at = Position::Line(number);
        if !read_line(&mut reader, &mut line, at)? {
            return Ok(());
        }
        let row = std::str::from_utf8(&line).map_err(|_| ImportError::BadRow {
            at,
            reason: "not UTF-8 text",
        })?;
        if row.trim().is_empty() {
            continue;
        }
        each(at, columns.fix(at, row, default_accuracy_m)?)?;
    }
}

//! GPX 1.1 track points, read one XML event at a time (see the parent module for the format
//! and the bounds). Owns the XML: which elements make a point and where its accuracy is. Does
//! not check the fix itself (`file_fix` in the parent does, as for CSV).

use std::io::{self, BufRead, Read};

use quick_xml::events::{BytesStart, Event};

use super::{ImportError, MAX_EVENT_BYTES, Position, file_fix, parse_rfc3339_ms};
use crate::location::LocationFix;

/// A reader that fails once more than `limit` bytes pass without [`Limited::reset`]: quick-xml
/// reads one event whole into its buffer, so this bounds the buffer.
struct Limited<R> {
    inner: R,
    since_reset: usize,
    limit: usize,
    exceeded: bool,
}

impl<R> Limited<R> {
    fn reset(&mut self) {
        self.since_reset = 0;
    }
}

impl<R: BufRead> Read for Limited<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Limited<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.since_reset > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("xml event over the size limit"));
        }
        // Never more than one byte past the limit, whatever the inner reader holds.
        let room = self.limit + 1 - self.since_reset;
        let available = self.inner.fill_buf()?;
        Ok(&available[..available.len().min(room)])
    }

    fn consume(&mut self, amount: usize) {
        self.since_reset += amount;
        self.inner.consume(amount);
    }
}

/// What the text being read inside a track point is.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Time,
    Accuracy,
}

/// A track point being read.
struct Partial {
    at: Position,
    lat: Option<f64>,
    lon: Option<f64>,
    time: Option<String>,
    accuracy: Option<String>,
    reading: Option<Field>,
}

pub(super) fn points(
    reader: impl BufRead,
    default_accuracy_m: f64,
    mut each: impl FnMut(Position, LocationFix) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let limited = Limited {
        inner: reader,
        since_reset: 0,
        limit: MAX_EVENT_BYTES,
        exceeded: false,
    };
    let mut xml = quick_xml::Reader::from_reader(limited);
    xml.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut seen_root = false;
    let mut number = 0u64;
    let mut point: Option<Partial> = None;
    loop {
        buf.clear();
        xml.get_mut().reset();
        let byte = xml.buffer_position();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(_) if xml.get_mut().exceeded => {
                let at = point.as_ref().map_or(Position::Byte(byte), |p| p.at);
                return Err(ImportError::TooLarge {
                    at,
                    limit: MAX_EVENT_BYTES,
                });
            }
            Err(quick_xml::Error::Io(io)) => return Err(ImportError::Io(io.kind())),
            Err(_) if !seen_root => return Err(ImportError::NotGpx),
            Err(_) => {
                return Err(ImportError::MalformedGpx {
                    at: Position::Byte(byte),
                });
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                if e.local_name().as_ref() != b"gpx" {
                    return Err(ImportError::NotGpx);
                }
                seen_root = true;
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if !seen_root => {
                return Err(ImportError::NotGpx);
            }
            Event::Start(e) => match (e.local_name().as_ref(), point.as_mut()) {
                (b"trkpt", _) => {
                    number += 1;
                    point = Some(start_point(&e, Position::TrackPoint { number, byte })?);
                }
                (b"time", Some(p)) => p.reading = Some(Field::Time),
                (b"accuracy", Some(p)) => p.reading = Some(Field::Accuracy),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"trkpt" => {
                number += 1;
                let at = Position::TrackPoint { number, byte };
                start_point(&e, at)?;
                return Err(ImportError::BadTime { at });
            }
            Event::Text(text) => {
                if let Some(p) = point.as_mut()
                    && let Some(field) = p.reading
                {
                    let text = std::str::from_utf8(&text).unwrap_or("").to_owned();
                    match field {
                        Field::Time => p.time = Some(text),
                        Field::Accuracy => p.accuracy = Some(text),
                    }
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"trkpt" => {
                    if let Some(p) = point.take() {
                        let fix = finish_point(p, default_accuracy_m)?;
                        each(fix.0, fix.1)?;
                    }
                }
                b"time" | b"accuracy" => {
                    if let Some(p) = point.as_mut() {
                        p.reading = None;
                    }
                }
                _ => {}
            },
            Event::Eof => {
                return match (seen_root, point) {
                    (false, _) => Err(ImportError::NotGpx),
                    (true, Some(p)) => Err(ImportError::MalformedGpx { at: p.at }),
                    (true, None) => Ok(()),
                };
            }
            _ => {}
        }
    }
}

fn start_point(element: &BytesStart<'_>, at: Position) -> Result<Partial, ImportError> {
    let mut partial = Partial {
        at,
        lat: None,
        lon: None,
        time: None,
        accuracy: None,
        reading: None,
    };
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|_| ImportError::MalformedGpx { at })?;
        let value = || {
            std::str::from_utf8(&attribute.value)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        match attribute.key.local_name().as_ref() {
            b"lat" => partial.lat = value(),
            b"lon" => partial.lon = value(),
            _ => {}
        }
    }
    Ok(partial)
}

fn finish_point(point: Partial, default_accuracy_m: f64) -> Result<(Position, LocationFix), ImportError> {
    let at = point.at;
    let (Some(lat), Some(lon)) = (point.lat, point.lon) else {
        return Err(ImportError::BadCoordinate { at });
    };
    let time_ms = point
        .time
        .as_deref()
        .and_then(parse_rfc3339_ms)
        .ok_or(ImportError::BadTime { at })?;
    let accuracy_m = match point.accuracy.as_deref() {
        Some(text) => text
            .trim()
            .parse::<f64>()
            .map_err(|_| ImportError::BadAccuracy { at })?,
        None => default_accuracy_m,
    };
    Ok((at, file_fix(at, lat, lon, accuracy_m, time_ms, false)?))
}

// ---- CSV ----

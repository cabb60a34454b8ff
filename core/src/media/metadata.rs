//! EXIF facts read from the input before it is stripped: capture time, GPS position and
//! time, orientation. A damaged or absent EXIF block never rejects a photo; the facts it
//! could not give are simply `None` (orientation falls back to 1).

use exif::{In, Reader, Tag, Value};

/// A calendar date and wall-clock time as written by the camera.
///
/// EXIF stores local time without a zone; `offset_minutes` is set only when the camera also
/// wrote `OffsetTimeOriginal` (or, for GPS time, always `Some(0)` because GPS time is UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExifDateTime {
    /// Year, e.g. 2024.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=60 (leap second allowed).
    pub second: u8,
    /// Offset from UTC in minutes, when known.
    pub offset_minutes: Option<i16>,
}

impl std::fmt::Display for ExifDateTime {
    /// ISO 8601 / RFC 3339 style: `2024-05-17T14:03:22` or `2024-05-17T14:03:22+02:00`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        match self.offset_minutes {
            Some(0) => f.write_str("Z"),
            Some(off) => {
                let sign = if off < 0 { '-' } else { '+' };
                let abs = off.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)
            }
            None => Ok(()),
        }
    }
}

impl ExifDateTime {
    fn is_plausible(&self) -> bool {
        self.year >= 1
            && (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self
                .offset_minutes
                .is_none_or(|o| (-18 * 60..=18 * 60).contains(&o))
    }
}

/// A GPS position in decimal degrees (WGS 84), south and west negative.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsPosition {
    /// Latitude, -90..=90.
    pub latitude: f64,
    /// Longitude, -180..=180.
    pub longitude: f64,
}

/// EXIF facts of the input photo, for the caller's consistency checks. None of these are
/// written to the stored files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoExif {
    /// `DateTimeOriginal` (+ `OffsetTimeOriginal` when present).
    pub taken_at: Option<ExifDateTime>,
    /// `GPSLatitude`/`GPSLongitude` with their N/S, E/W references.
    pub gps: Option<GpsPosition>,
    /// `GPSDateStamp` + `GPSTimeStamp`, always UTC.
    pub gps_time_utc: Option<ExifDateTime>,
    /// EXIF orientation 1..=8 as found (1 when absent or invalid); already applied to the
    /// stored pixels.
    pub orientation: u16,
}

impl Default for PhotoExif {
    fn default() -> Self {
        PhotoExif {
            taken_at: None,
            gps: None,
            gps_time_utc: None,
            orientation: 1,
        }
    }
}

/// Parses a TIFF-structured EXIF block. Never fails: unreadable parts give `None`.
pub(crate) fn read_exif(tiff: Option<&[u8]>) -> PhotoExif {
    let Some(tiff) = tiff else {
        return PhotoExif::default();
    };
    let exif = match Reader::new().continue_on_error(true).read_raw(tiff.to_vec()) {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => return PhotoExif::default(),
    };
    let field = |tag: Tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);

    let orientation = field(Tag::Orientation)
        .and_then(|v| v.get_uint(0))
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);

    let taken_at = field(Tag::DateTimeOriginal)
        .and_then(first_ascii)
        .and_then(|s| exif::DateTime::from_ascii(s).ok())
        .map(|mut dt| {
            if let Some(off) = field(Tag::OffsetTimeOriginal).and_then(first_ascii) {
                // An unparsable offset leaves the time as local time without zone.
                let _ = dt.parse_offset(off);
            }
            ExifDateTime {
                year: dt.year,
                month: dt.month,
                day: dt.day,
                hour: dt.hour,
                minute: dt.minute,
                second: dt.second,
                offset_minutes: dt.offset,
            }
        })
        .filter(ExifDateTime::is_plausible);

    let coord = |value: Tag, reference: Tag, negative: u8, max: f64| -> Option<f64> {
        let degrees = dms_to_degrees(field(value)?)?;
        let sign = match field(reference).and_then(first_ascii).and_then(|r| r.first()) {
            Some(r) if r.eq_ignore_ascii_case(&negative) => -1.0,
            _ => 1.0,
        };
        Some(sign * degrees).filter(|d| d.abs() <= max)
    };
    let gps = match (
        coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', 90.0),
        coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', 180.0),
    ) {
        (Some(latitude), Some(longitude)) => Some(GpsPosition { latitude, longitude }),
        _ => None,
    };

    let gps_time_utc = gps_time(field(Tag::GPSDateStamp), field(Tag::GPSTimeStamp));

    PhotoExif {
        taken_at,
        gps,
        gps_time_utc,
        orientation,
    }
}

fn first_ascii(value: &Value) -> Option<&[u8]> {
    match value {
        Value::Ascii(strings) => strings.first().map(Vec::as_slice),
        _ => None,
    }
}

/// Three rationals (degrees, minutes, seconds) to decimal degrees.
fn dms_to_degrees(value: &Value) -> Option<f64> {
    let Value::Rational(parts) = value else {
        return None;
    };
    let mut total = 0.0;
    for (part, scale) in parts.iter().take(3).zip([1.0, 60.0, 3600.0]) {
        if part.denom == 0 {
            return None;
        }
        total += part.to_f64() / scale;
    }
    (!parts.is_empty() && total.is_finite()).then_some(total)
}

fn gps_time(date: Option<&Value>, time: Option<&Value>) -> Option<ExifDateTime> {
    let date = first_ascii(date?)?;
    // "YYYY:MM:DD"
    let num = |range: std::ops::Range<usize>| -> Option<u16> {
        std::str::from_utf8(date.get(range)?).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let Value::Rational(hms) = time? else {
        return None;
    };
    let mut parts = [0u8; 3];
    for (slot, r) in parts.iter_mut().zip(hms.iter()) {
        if r.denom == 0 {
            return None;
        }
        let v = (r.num / r.denom).min(255);
        *slot = u8::try_from(v).ok()?;
    }
    Some(ExifDateTime {
        year,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        hour: parts[0],
        minute: parts[1],
        second: parts[2],
        offset_minutes: Some(0),
    })
    .filter(ExifDateTime::is_plausible)
}

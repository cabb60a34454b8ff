//! Location evidence: a fix as the phone reported it, its datum, and distances on the ground.
//!
//! Owns the fix record (coordinates, accuracy, time, provider, mock flag, input datum), the
//! GCJ-02 → WGS-84 conversion (fixes picked on Chinese base maps arrive in GCJ-02; we store
//! WGS-84 only) and the haversine distance. It does not decide whether a fix is good enough
//! for a report: that is validation's job, from the subtype's rules.

use serde::{Deserialize, Serialize};

/// Where a fix came from. A manual pin is not a measurement and is never confused with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum LocationProvider {
    Gps,
    Network,
    Fused,
    ManualPin,
}

impl LocationProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationProvider::Gps => "gps",
            LocationProvider::Network => "network",
            LocationProvider::Fused => "fused",
            LocationProvider::ManualPin => "manual_pin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Gps, Self::Network, Self::Fused, Self::ManualPin]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// The coordinate system of a fix as given to us. WGS-84 is what GPS reports; GCJ-02 is what a
/// pin on AMap or Tencent Maps gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Datum {
    Wgs84,
    Gcj02,
}

impl Datum {
    pub fn as_str(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Wgs84, Self::Gcj02].into_iter().find(|d| d.as_str() == s)
    }
}

/// A fix as the host app hands it over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LocationFix {
    pub lat: f64,
    pub lon: f64,
    /// Horizontal accuracy radius in metres (68 % confidence, as Android and iOS report it).
    pub accuracy_m: f64,
    /// When the fix was taken, Unix milliseconds.
    pub fix_time_ms: i64,
    pub provider: LocationProvider,
    /// The OS said the fix came from a mock-location provider.
    pub is_mock: bool,
    pub datum: Datum,
}

/// Why a fix cannot even be stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FixError {
    #[error("latitude/longitude must be finite numbers")]
    NotFinite,
    #[error("latitude must be within -90..=90 and longitude within -180..=180")]
    OutOfRange,
    #[error("accuracy must be a finite number of metres, zero or more")]
    BadAccuracy,
}

impl LocationFix {
    /// The same fix in WGS-84, after checking it is a possible position at all.
    pub fn to_wgs84(self) -> Result<LocationFix, FixError> {
        if !self.lat.is_finite() || !self.lon.is_finite() {
            return Err(FixError::NotFinite);
        }
        if !(-90.0..=90.0).contains(&self.lat) || !(-180.0..=180.0).contains(&self.lon) {
            return Err(FixError::OutOfRange);
        }
        if !self.accuracy_m.is_finite() || self.accuracy_m < 0.0 {
            return Err(FixError::BadAccuracy);
        }
        let (lat, lon) = match self.datum {
            Datum::Wgs84 => (self.lat, self.lon),
            Datum::Gcj02 => gcj02_to_wgs84(self.lat, self.lon),
        };
        Ok(LocationFix {
            lat,
            lon,
            datum: Datum::Wgs84,
            ..self
        })
    }
}

/// Great-circle distance in metres (haversine on a sphere of the mean Earth radius).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

// GCJ-02 is WGS-84 plus a published, deterministic offset (Krasovsky ellipsoid parameters);
// outside mainland China no offset is applied.
const GCJ_A: f64 = 6_378_245.0;
const GCJ_EE: f64 = 0.006_693_421_622_965_943;

fn outside_china(lat: f64, lon: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS-84 → GCJ-02 (what a Chinese base map shows for a GPS position).
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    if outside_china(lat, lon) {
        return (lat, lon);
    }
    let d_lat = offset_lat(lon - 105.0, lat - 35.0);
    let d_lon = offset_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - GCJ_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = d_lat * 180.0 / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = d_lon * 180.0 / (GCJ_A / sqrt_magic * rad_lat.cos() * PI);
    (lat + d_lat, lon + d_lon)
}

/// GCJ-02 → WGS-84, by fixed-point iteration on the forward transform: converges to well under
/// a millimetre in a few steps, far better than the one-step approximation (~1–2 m off).
pub fn gcj02_to_wgs84(lat: f64, lon: f64) -> (f64, f64) {
    let (mut wlat, mut wlon) = (lat, lon);
    for _ in 0..10 {
        let (glat, glon) = wgs84_to_gcj02(wlat, wlon);
        let (dlat, dlon) = (glat - lat, glon - lon);
        wlat -= dlat;
        wlon -= dlon;
        if dlat.abs() < 1e-10 && dlon.abs() < 1e-10 {
            break;
        }
    }
    (wlat, wlon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_offset_in_suzhou_is_a_few_hundred_metres_and_round_trips() {
        // Suzhou: the GCJ-02 shift is several hundred metres; the inverse must undo it to < 1 cm.
        let (lat, lon) = (31.2989, 120.5853);
        let (glat, glon) = wgs84_to_gcj02(lat, lon);
        let shift = distance_m(lat, lon, glat, glon);
        assert!((300.0..800.0).contains(&shift), "shift {shift} m");
        let (wlat, wlon) = gcj02_to_wgs84(glat, glon);
        assert!(distance_m(lat, lon, wlat, wlon) < 0.01);
    }

    #[test]
    fn outside_china_nothing_moves() {
        assert_eq!(wgs84_to_gcj02(48.85, 2.35), (48.85, 2.35));
        assert_eq!(gcj02_to_wgs84(48.85, 2.35), (48.85, 2.35));
    }

    #[test]
    fn impossible_fixes_are_refused_and_gcj_input_is_stored_as_wgs84() {
        let fix = LocationFix {
            lat: 31.2,
            lon: 120.6,
            accuracy_m: 8.0,
            fix_time_ms: 0,
            provider: LocationProvider::Gps,
            is_mock: false,
            datum: Datum::Gcj02,
        };
        let stored = fix.to_wgs84().expect("valid");
        assert_eq!(stored.datum, Datum::Wgs84);
        assert!(distance_m(fix.lat, fix.lon, stored.lat, stored.lon) > 100.0);
        assert_eq!(
            LocationFix { lat: f64::NAN, ..fix }.to_wgs84(),
            Err(FixError::NotFinite)
        );
        assert_eq!(
            LocationFix {
                lon: f64::INFINITY,
                ..fix
            }
            .to_wgs84(),
            Err(FixError::NotFinite)
        );
        assert_eq!(
            LocationFix { lat: 91.0, ..fix }.to_wgs84(),
            Err(FixError::OutOfRange)
        );
        assert_eq!(
            LocationFix { lon: -180.5, ..fix }.to_wgs84(),
            Err(FixError::OutOfRange)
        );
        assert_eq!(
            LocationFix {
                accuracy_m: -1.0,
                ..fix
            }
            .to_wgs84(),
            Err(FixError::BadAccuracy)
        );
    }

    #[test]
    fn distance_is_right_on_a_known_pair() {
        // One degree of latitude is ~111.2 km.
        let d = distance_m(31.0, 120.5, 32.0, 120.5);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
    }
}

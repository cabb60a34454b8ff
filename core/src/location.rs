//! Location evidence: a fix as the phone reported it, its datum, and distances on the ground.
//!
//! Owns the fix record (coordinates, accuracy, time, provider, mock flag, input datum), the
//! datums and the conversions between them — WGS-84 ↔ GCJ-02 ↔ BD-09, both ways — and the
//! haversine distance. Fixes picked on Chinese base maps arrive in GCJ-02 (AMap, Tencent) or
//! BD-09 (Baidu); the core stores WGS-84 only, and converts back for display ([`convert`],
//! [`BaseMap`]). Outside mainland China no datum moves a point. It does not decide whether a
//! fix is good enough for a report: that is validation's job, from the subtype's rules.

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

/// The coordinate system of a position. WGS-84 is what GPS reports (and the only datum the
/// core stores); GCJ-02 is what a pin on AMap or Tencent Maps gives; BD-09 is Baidu Maps'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Datum {
    Wgs84,
    Gcj02,
    Bd09,
}

impl Datum {
    pub fn as_str(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
            Datum::Bd09 => "bd09",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Wgs84, Self::Gcj02, Self::Bd09]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// A base map the host app draws pins and tracks on, and the datum it expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum BaseMap {
    /// AMap (高德): GCJ-02.
    Amap,
    /// Tencent Maps (腾讯): GCJ-02.
    Tencent,
    /// Baidu Maps (百度): BD-09.
    Baidu,
    /// OpenStreetMap and other WGS-84 maps.
    Wgs84,
}

impl BaseMap {
    pub fn datum(self) -> Datum {
        match self {
            BaseMap::Amap | BaseMap::Tencent => Datum::Gcj02,
            BaseMap::Baidu => Datum::Bd09,
            BaseMap::Wgs84 => Datum::Wgs84,
        }
    }

    /// A stored (WGS-84) position as this map wants it, `(lat, lon)`.
    pub fn show(self, lat: f64, lon: f64) -> (f64, f64) {
        convert(lat, lon, Datum::Wgs84, self.datum())
    }

    /// A stored (WGS-84) track, `(lat, lon)` each, as this map wants it; order kept.
    pub fn show_track(self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points.iter().map(|&(lat, lon)| self.show(lat, lon)).collect()
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
        let (lat, lon) = convert(self.lat, self.lon, self.datum, Datum::Wgs84);
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

/// `(lat, lon)` from one datum to another; the identity outside mainland China and when
/// `from == to`. Inverse directions are solved by iteration, so a round trip is exact to well
/// under a centimetre (tested on a grid of points over China).
pub fn convert(lat: f64, lon: f64, from: Datum, to: Datum) -> (f64, f64) {
    if from == to {
        return (lat, lon);
    }
    let (wlat, wlon) = match from {
        Datum::Wgs84 => (lat, lon),
        Datum::Gcj02 => gcj02_to_wgs84(lat, lon),
        Datum::Bd09 => {
            let (glat, glon) = bd09_to_gcj02(lat, lon);
            gcj02_to_wgs84(glat, glon)
        }
    };
    match to {
        Datum::Wgs84 => (wlat, wlon),
        Datum::Gcj02 => wgs84_to_gcj02(wlat, wlon),
        Datum::Bd09 => {
            let (glat, glon) = wgs84_to_gcj02(wlat, wlon);
            gcj02_to_bd09(glat, glon)
        }
    }
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

// BD-09 is GCJ-02 moved by Baidu's published polar offset.
const BD_X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

/// GCJ-02 → BD-09 (Baidu Maps); the identity outside mainland China.
pub fn gcj02_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    if outside_china(lat, lon) {
        return (lat, lon);
    }
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * BD_X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * BD_X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// BD-09 → GCJ-02, by fixed-point iteration on the forward transform (the usual closed-form
/// inverse is off by up to a few decimetres).
pub fn bd09_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    if outside_china(lat, lon) {
        return (lat, lon);
    }
    let (mut glat, mut glon) = (lat - 0.006, lon - 0.0065);
    for _ in 0..10 {
        let (blat, blon) = gcj02_to_bd09(glat, glon);
        let (dlat, dlon) = (blat - lat, blon - lon);
        glat -= dlat;
        glon -= dlon;
        if dlat.abs() < 1e-10 && dlon.abs() < 1e-10 {
            break;
        }
    }
    (glat, glon)
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

    const ALL: [Datum; 3] = [Datum::Wgs84, Datum::Gcj02, Datum::Bd09];

    #[test]
    fn every_datum_pair_round_trips_under_a_metre_on_a_grid_over_china() {
        // 0.5° steps over mainland China's box, away from its edge (where the "outside China"
        // cut-off itself moves points across it).
        let mut worst: f64 = 0.0;
        let mut points = 0;
        let mut lat = 18.5;
        while lat <= 53.0 {
            let mut lon = 74.0;
            while lon <= 134.5 {
                for from in ALL {
                    for to in ALL {
                        let (x, y) = convert(lat, lon, from, to);
                        let (blat, blon) = convert(x, y, to, from);
                        worst = worst.max(distance_m(lat, lon, blat, blon));
                    }
                }
                points += 1;
                lon += 0.5;
            }
            lat += 0.5;
        }
        assert!(points > 8000, "{points} points");
        assert!(worst < 1.0, "worst round trip {worst} m");
        assert!(
            worst < 0.01,
            "worst round trip {worst} m (iteration should reach cm)"
        );
    }

    #[test]
    fn bd09_is_gcj02_plus_baidus_offset_in_suzhou() {
        // The published offset is a few hundred metres on top of GCJ-02's, north-east.
        let (lat, lon) = (31.2989, 120.5853);
        let (glat, glon) = convert(lat, lon, Datum::Wgs84, Datum::Gcj02);
        let (blat, blon) = convert(lat, lon, Datum::Wgs84, Datum::Bd09);
        let extra = distance_m(glat, glon, blat, blon);
        assert!((500.0..1200.0).contains(&extra), "BD-09 − GCJ-02 = {extra} m");
        assert!(blat > glat && blon > glon);
        assert_eq!(BaseMap::Baidu.show(lat, lon), (blat, blon));
        assert_eq!(BaseMap::Amap.show(lat, lon), (glat, glon));
        assert_eq!(BaseMap::Tencent.show(lat, lon), (glat, glon));
        assert_eq!(BaseMap::Wgs84.show(lat, lon), (lat, lon));
        let track = BaseMap::Baidu.show_track(&[(lat, lon), (glat, glon)]);
        assert_eq!(track[0], (blat, blon));
        assert_eq!(track.len(), 2);
    }

    #[test]
    fn no_datum_moves_a_point_outside_china() {
        for (lat, lon) in [(48.85, 2.35), (40.71, -74.0), (-33.9, 151.2), (35.68, 139.76)] {
            for from in ALL {
                for to in ALL {
                    assert_eq!(convert(lat, lon, from, to), (lat, lon), "{from:?}->{to:?}");
                }
            }
        }
    }

    #[test]
    fn a_baidu_pin_is_stored_as_wgs84_and_says_so() {
        let fix = LocationFix {
            lat: 31.31,
            lon: 120.6,
            accuracy_m: 5.0,
            fix_time_ms: 0,
            provider: LocationProvider::ManualPin,
            is_mock: false,
            datum: Datum::Bd09,
        };
        let stored = fix.to_wgs84().expect("valid");
        assert_eq!(stored.datum, Datum::Wgs84);
        let (blat, blon) = convert(stored.lat, stored.lon, Datum::Wgs84, Datum::Bd09);
        assert!(distance_m(blat, blon, fix.lat, fix.lon) < 0.01);
        assert_eq!(Datum::parse("bd09"), Some(Datum::Bd09));
    }

    #[test]
    fn distance_is_right_on_a_known_pair() {
        // One degree of latitude is ~111.2 km.
        let d = distance_m(31.0, 120.5, 32.0, 120.5);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
    }
}

//! Track simplification for upload and display, and the local metric projection it works in.
//!
//! Douglas–Peucker (geo's `SimplifyIdx`) per segment, in local metres (an equirectangular
//! projection about the track's first point: under 0.1 % scale error across a city), keeping
//! indices so each kept vertex is an original point with its timestamp. Segments are simplified
//! separately, so a gap stays a gap.

use geo::{Coord, Distance, Geodesic, LineString, Point, SimplifyIdx};

use super::TrackPoint;

/// Metres per degree of latitude on the mean Earth sphere.
const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// Lon/lat ↔ local metres about an origin (x east, y north).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalProjection {
    lat0: f64,
    lon0: f64,
    kx: f64,
}

impl LocalProjection {
    pub fn new(lat0: f64, lon0: f64) -> Self {
        Self {
            lat0,
            lon0,
            kx: M_PER_DEG * lat0.to_radians().cos(),
        }
    }

    pub fn to_local(&self, lat: f64, lon: f64) -> Coord<f64> {
        Coord {
            x: (lon - self.lon0) * self.kx,
            y: (lat - self.lat0) * M_PER_DEG,
        }
    }

    /// Back to (lat, lon).
    pub fn to_lat_lon(&self, c: Coord<f64>) -> (f64, f64) {
        (self.lat0 + c.y / M_PER_DEG, self.lon0 + c.x / self.kx)
    }
}

/// Geodesic (WGS-84 ellipsoid) distance in metres.
pub fn geodesic_m(a: &TrackPoint, b: &TrackPoint) -> f64 {
    Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// The runs of points that share a segment, in order.
pub fn segments(points: &[TrackPoint]) -> impl Iterator<Item = &[TrackPoint]> {
    points.chunk_by(|a, b| a.segment == b.segment)
}

/// Geodesic length within segments (gaps not bridged).
pub fn length_m(points: &[TrackPoint]) -> f64 {
    segments(points)
        .flat_map(|s| s.windows(2))
        .map(|w| geodesic_m(&w[0], &w[1]))
        .sum()
}

/// The points Douglas–Peucker keeps at `epsilon_m`, per segment; each segment keeps its first
/// and last point. `epsilon_m <= 0` keeps everything.
pub fn simplify(points: &[TrackPoint], epsilon_m: f64) -> Vec<TrackPoint> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let projection = LocalProjection::new(first.lat, first.lon);
    let mut kept = Vec::new();
    for segment in segments(points) {
        let line: LineString<f64> = segment
            .iter()
            .map(|p| projection.to_local(p.lat, p.lon))
            .collect();
        kept.extend(line.simplify_idx(epsilon_m).into_iter().map(|i| segment[i]));
    }
    kept
}

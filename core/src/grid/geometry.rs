//! Point-in-polygon and point-to-boundary distance on lon/lat polygons.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, Distance, Haversine, MultiPolygon, Point, Polygon};

/// Where a point is relative to one closed ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingPos {
    Outside,
    OnBoundary,
    Inside,
}

/// Winding-number test of `c` against a closed ring, with an exact (robust) orientation
/// predicate and a short cut for points on the ring (the same rules as geo's
/// `coord_pos_relative_to_ring`). Exactness is what makes two grids that share an edge agree on
/// which side of it any point lies.
fn ring_position(ring: &[Coord<f64>], c: Coord<f64>) -> RingPos {
    let mut winding = 0i32;
    for pair in ring.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // Upward edges include their start and exclude their end, downward edges the reverse,
        // horizontal edges count only for the on-boundary test.
        if a.y <= c.y {
            if b.y >= c.y {
                let o = RobustKernel::orient2d(a, b, c);
                if o == Orientation::CounterClockwise && b.y != c.y {
                    winding += 1;
                } else if o == Orientation::Collinear && between(c.x, a.x, b.x) {
                    return RingPos::OnBoundary;
                }
            }
        } else if b.y <= c.y {
            let o = RobustKernel::orient2d(a, b, c);
            if o == Orientation::Clockwise {
                winding -= 1;
            } else if o == Orientation::Collinear && between(c.x, a.x, b.x) {
                return RingPos::OnBoundary;
            }
        }
    }
    if winding == 0 {
        RingPos::Outside
    } else {
        RingPos::Inside
    }
}

fn between(x: f64, a: f64, b: f64) -> bool {
    if a <= b {
        a <= x && x <= b
    } else {
        b <= x && x <= a
    }
}

/// True when `c` (x = lon, y = lat) is inside `area` or on its boundary (edges of holes
/// included): the closed set.
pub fn closed_contains(area: &MultiPolygon<f64>, c: Coord<f64>) -> bool {
    area.0.iter().any(|polygon| polygon_closed_contains(polygon, c))
}

fn polygon_closed_contains(polygon: &Polygon<f64>, c: Coord<f64>) -> bool {
    match ring_position(&polygon.exterior().0, c) {
        RingPos::Outside => false,
        RingPos::OnBoundary => true,
        RingPos::Inside => polygon
            .interiors()
            .iter()
            .all(|hole| ring_position(&hole.0, c) != RingPos::Inside),
    }
}

/// Many areas' rings packed into one array, so that testing a candidate touches one or two
/// cache lines instead of following four pointers (which is what costs on a phone).
#[derive(Debug, Default)]
pub(crate) struct PackedAreas {
    coords: Vec<Coord<f64>>,
    /// Ring `r` is `coords[ring_start[r]..ring_start[r + 1]]`; a hole has its top bit set.
    ring_start: Vec<u32>,
    /// Area `k`'s rings are `ring_start[area_start[k]..area_start[k + 1]]`.
    area_start: Vec<u32>,
}

const HOLE: u32 = 1 << 31;

impl PackedAreas {
    pub(crate) fn new() -> Self {
        Self {
            coords: Vec::new(),
            ring_start: Vec::new(),
            area_start: vec![0],
        }
    }

    pub(crate) fn push(&mut self, area: &MultiPolygon<f64>) {
        for polygon in &area.0 {
            for (k, ring) in std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .enumerate()
            {
                let start = u32::try_from(self.coords.len()).expect("under 2^31 positions");
                assert!(start < HOLE, "under 2^31 positions");
                self.ring_start.push(if k == 0 { start } else { start | HOLE });
                self.coords.extend_from_slice(&ring.0);
            }
        }
        self.area_start
            .push(u32::try_from(self.ring_start.len()).expect("under 2^32 rings"));
    }

    /// Positions of ring `r` and whether it is a hole.
    fn ring(&self, r: usize) -> (&[Coord<f64>], bool) {
        let start = self.ring_start[r];
        let end = self
            .ring_start
            .get(r + 1)
            .map_or(self.coords.len(), |&e| (e & !HOLE) as usize);
        (&self.coords[(start & !HOLE) as usize..end], start & HOLE != 0)
    }

    /// [`closed_contains`] for area `k`.
    pub(crate) fn closed_contains(&self, k: usize, c: Coord<f64>) -> bool {
        let (first, last) = (self.area_start[k] as usize, self.area_start[k + 1] as usize);
        let mut r = first;
        while r < last {
            let (exterior, _) = self.ring(r);
            let mut holes_end = r + 1;
            while holes_end < last && self.ring(holes_end).1 {
                holes_end += 1;
            }
            match ring_position(exterior, c) {
                RingPos::OnBoundary => return true,
                RingPos::Inside
                    if (r + 1..holes_end).all(|h| ring_position(self.ring(h).0, c) != RingPos::Inside) =>
                {
                    return true;
                }
                _ => {}
            }
            r = holes_end;
        }
        false
    }
}

/// Metres from `c` (x = lon, y = lat) to the nearest point of `area`'s boundary (exteriors and
/// holes), whether `c` is inside or outside.
///
/// The nearest point is found on a local equirectangular projection centred on `c` (exact
/// enough at grid scale: well under 0.1 % at 10 km), and the distance to it is the haversine
/// great-circle distance on the mean Earth radius.
pub fn distance_to_boundary_m(area: &MultiPolygon<f64>, c: Coord<f64>) -> f64 {
    let kx = c.y.to_radians().cos();
    let mut best_d2 = f64::INFINITY;
    let mut best = c;
    let rings = area
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    for ring in rings {
        for line in ring.lines() {
            // Projected segment a→b relative to c (c at the origin), in scaled degrees.
            let (ax, ay) = ((line.start.x - c.x) * kx, line.start.y - c.y);
            let (dx, dy) = ((line.end.x - line.start.x) * kx, line.end.y - line.start.y);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (px, py) = (ax + t * dx, ay + t * dy);
            let d2 = px * px + py * py;
            if d2 < best_d2 {
                best_d2 = d2;
                best = Coord {
                    x: line.start.x + t * (line.end.x - line.start.x),
                    y: line.start.y + t * (line.end.y - line.start.y),
                };
            }
        }
    }
    if best_d2.is_infinite() {
        return f64::INFINITY;
    }
    Haversine.distance(Point(c), Point(best))
}

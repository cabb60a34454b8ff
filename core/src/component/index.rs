//! The index over a package's components: by id, and nearest by type within a radius.

use rstar::primitives::GeomWithData;
use rstar::{AABB, RStarInsertionStrategy, RTree, RTreeParams};

use super::{Component, ComponentPackage};
use crate::location::distance_m;

/// The widest search radius accepted, in metres; larger asks are clamped.
pub const MAX_RADIUS_M: f64 = 5_000.0;
/// The most components one query returns.
pub const MAX_RESULTS: usize = 100;
/// Metres per degree of latitude on the haversine sphere.
const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// Wider nodes than rstar's default (6), as for the grid index: a shallower tree over tens of
/// thousands of points, fewer dependent loads per query.
struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 6;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// `[lon, lat]`, with the component's place in the package and its type's place in `type_codes`.
type Entry = GeomWithData<[f64; 2], (u32, u16)>;

/// What the capture screen asks: components of some types (empty: any) within `radius_m` of a
/// WGS-84 position, nearest first, at most `limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyQuery<'a> {
    pub lat: f64,
    pub lon: f64,
    pub types: &'a [String],
    pub radius_m: f64,
    pub limit: usize,
}

/// One answer: the component and how far it is, in metres.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NearbyComponent<'a> {
    pub component: &'a Component,
    pub distance_m: f64,
}

/// A validated package, indexed. Built once at install or start-up; queries take no locks.
pub struct ComponentIndex {
    package: ComponentPackage,
    tree: RTree<Entry, Params>,
    /// The distinct type codes in the package, sorted: a query's types become a bit set over these.
    type_codes: Vec<String>,
}

impl std::fmt::Debug for ComponentIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentIndex")
            .field("version", &self.package.version)
            .field("components", &self.package.components.len())
            .finish_non_exhaustive()
    }
}

impl ComponentIndex {
    pub fn new(package: ComponentPackage) -> Self {
        let mut type_codes: Vec<String> = package.components.iter().map(|c| c.type_code.clone()).collect();
        type_codes.sort_unstable();
        type_codes.dedup();
        let entries = package
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let t = type_codes
                    .binary_search(&c.type_code)
                    .expect("every type code was collected above");
                Entry::new([c.lon, c.lat], (i as u32, t as u16))
            })
            .collect();
        Self {
            tree: RTree::bulk_load_with_params(entries),
            package,
            type_codes,
        }
    }

    /// Verifies and indexes package bytes (see [`ComponentPackage::from_bytes`]).
    pub fn from_package(
        bytes: &[u8],
        list: &crate::taxonomy::EventList,
        grids: Option<&crate::grid::GridIndex>,
        expected_sha256: Option<&str>,
    ) -> Result<Self, super::ComponentPackageError> {
        ComponentPackage::from_bytes(bytes, list, grids, expected_sha256).map(Self::new)
    }

    pub fn version(&self) -> &str {
        &self.package.version
    }

    pub fn sha256(&self) -> &str {
        &self.package.sha256
    }

    pub fn len(&self) -> usize {
        self.package.components.len()
    }

    pub fn is_empty(&self) -> bool {
        self.package.components.is_empty()
    }

    /// Every component, sorted by id.
    pub fn components(&self) -> &[Component] {
        &self.package.components
    }

    pub fn get(&self, id: &str) -> Option<&Component> {
        self.package
            .components
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.package.components[i])
    }

    /// Components of the asked types within the radius, nearest first (ties by id). A position
    /// that is not finite, or a radius that is not positive, finds nothing.
    pub fn nearest(&self, query: &NearbyQuery<'_>) -> Vec<NearbyComponent<'_>> {
        // NaN first: `f64::min` would turn a NaN radius into the cap.
        if !query.lat.is_finite()
            || !query.lon.is_finite()
            || query.radius_m.is_nan()
            || query.radius_m <= 0.0
        {
            return Vec::new();
        }
        let radius = query.radius_m.min(MAX_RADIUS_M);
        let limit = query.limit.min(MAX_RESULTS);
        if limit == 0 {
            return Vec::new();
        }
        // The asked types as a bit set over this package's types (≤ 153 of them in any list).
        let mut wanted = vec![query.types.is_empty(); self.type_codes.len()];
        for t in query.types {
            if let Ok(i) = self.type_codes.binary_search(t) {
                wanted[i] = true;
            }
        }
        if !wanted.contains(&true) {
            return Vec::new();
        }
        let envelope = search_envelope(query.lat, query.lon, radius);
        // A cheap flat-earth bound first (within 0.1 % of haversine at these distances; 1 %
        // margin), the exact haversine only for what passes it.
        let kx = query.lat.to_radians().cos() * M_PER_DEG;
        let bound = (radius * 1.01 + 1.0).powi(2);
        let mut found: Vec<NearbyComponent<'_>> = Vec::with_capacity(16);
        for entry in self.tree.locate_in_envelope(&envelope) {
            let (i, t) = entry.data;
            if !wanted[t as usize] {
                continue;
            }
            let [lon, lat] = *entry.geom();
            let (dx, dy) = ((lon - query.lon) * kx, (lat - query.lat) * M_PER_DEG);
            if dx * dx + dy * dy > bound {
                continue;
            }
            let c = &self.package.components[i as usize];
            let d = distance_m(query.lat, query.lon, c.lat, c.lon);
            if d <= radius {
                found.push(NearbyComponent {
                    component: c,
                    distance_m: d,
                });
            }
        }
        sort_nearest(&mut found, |n| (n.distance_m, n.component.id.as_str()));
        found.truncate(limit);
        found
    }
}

/// A lon/lat box that holds every point within `radius_m` (haversine) of the centre, with a
/// margin: the exact distance filter runs after it.
pub fn search_envelope(lat: f64, lon: f64, radius_m: f64) -> AABB<[f64; 2]> {
    let dlat = radius_m / M_PER_DEG * 1.001 + 1e-9;
    let widest_lat = (lat.abs() + dlat).min(89.0).to_radians();
    let dlon = (radius_m / (M_PER_DEG * widest_lat.cos()) * 1.001 + 1e-9).min(180.0);
    AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat])
}

/// Sorts by the key (distance, then id): the one order device, platform and benchmark share.
pub fn sort_nearest<T>(items: &mut [T], key: impl Fn(&T) -> (f64, &str)) {
    items.sort_unstable_by(|a, b| {
        let (da, ia) = key(a);
        let (db, ib) = key(b);
        da.total_cmp(&db).then_with(|| ia.cmp(ib))
    });
}

//! The spatial index over a package's basic grids, and the look-ups built on it.

use std::collections::HashMap;
use std::ops::ControlFlow;

use geo::{Coord, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RStarInsertionStrategy, RTree, RTreeParams};

use super::geometry::PackedAreas;
use super::{Grid, GridLevel, GridPackage, GridPackageError, closed_contains, distance_to_boundary_m};

/// Node sizes for the R-tree. Wider nodes than rstar's default (6) make the tree over ~10k
/// envelopes two levels shallower: fewer dependent pointer loads per look-up, which is what
/// costs on a phone. (On the benchmark machine 6 and 16 measure the same.)
struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 6;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

const NO_PARENT: u32 = u32::MAX;

/// The grids a point is in, from the town/street down to the basic grid.
#[derive(Debug, Clone, Copy)]
pub struct GridChain<'a> {
    /// Level 1.
    pub town: &'a Grid,
    /// Level 2.
    pub community: &'a Grid,
    /// Level 3.
    pub basic: &'a Grid,
}

impl<'a> GridChain<'a> {
    /// Level 1, 2, 3 in that order.
    pub fn levels(&self) -> [&'a Grid; 3] {
        [self.town, self.community, self.basic]
    }

    /// The ids of level 1, 2, 3 in that order.
    pub fn ids(&self) -> [&'a str; 3] {
        [&self.town.id, &self.community.id, &self.basic.id]
    }
}

impl PartialEq for GridChain<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.ids() == other.ids()
    }
}

/// A validated grid package with an R-tree over its basic grids' envelopes. Immutable; share it
/// behind an `Arc` and swap the whole index when a new package arrives.
///
/// A [`Self::locate`] is one R-tree descent plus an exact point-in-polygon test of the basic
/// grids whose envelope holds the point (about 1.25 on the sample package), on rings packed in
/// one array in Hilbert order; it allocates nothing.
#[derive(Debug)]
pub struct GridIndex {
    /// Sorted by id, so a smaller position means a smaller id.
    grids: Vec<Grid>,
    by_id: HashMap<String, u32>,
    /// Position of each grid's parent in `grids`, `NO_PARENT` for level 1.
    parent: Vec<u32>,
    /// The basic grids in "slot" order (along a Hilbert curve, so neighbours are near in
    /// memory): slot `k` is `grids[slot_grid[k]]`, its rings are `areas` entry `k`, and the
    /// R-tree's entries carry slots.
    slot_grid: Vec<u32>,
    areas: PackedAreas,
    tree: RTree<Entry, Params>,
}

impl GridIndex {
    /// Parses, validates and indexes a GeoJSON grid package.
    pub fn from_geojson_str(json: &str) -> Result<Self, GridPackageError> {
        GridPackage::from_geojson_str(json).map(Self::new)
    }

    /// Indexes a validated package (a few tens of ms for the 11,000-grid sample).
    pub fn new(package: GridPackage) -> Self {
        let grids = package.into_grids();
        let by_id: HashMap<String, u32> = grids
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.clone(), to_u32(i)))
            .collect();
        let parent = grids
            .iter()
            .map(|g| g.parent_id.as_ref().map_or(NO_PARENT, |p| by_id[p.as_str()]))
            .collect();
        let mut slot_grid: Vec<u32> = (0..grids.len())
            .filter(|&i| grids[i].level == GridLevel::Basic)
            .map(to_u32)
            .collect();
        let extent = slot_grid
            .iter()
            .map(|&i| grids[i as usize].bbox)
            .reduce(|a, b| {
                Rect::new(
                    Coord {
                        x: a.min().x.min(b.min().x),
                        y: a.min().y.min(b.min().y),
                    },
                    Coord {
                        x: a.max().x.max(b.max().x),
                        y: a.max().y.max(b.max().y),
                    },
                )
            })
            .expect("a package has at least one basic grid");
        slot_grid.sort_by_key(|&i| (hilbert_key(extent, grids[i as usize].bbox.center()), i));
        let mut areas = PackedAreas::new();
        let mut entries: Vec<Entry> = Vec::with_capacity(slot_grid.len());
        for (slot, &i) in slot_grid.iter().enumerate() {
            let g = &grids[i as usize];
            areas.push(&g.area);
            let (min, max) = (g.bbox.min(), g.bbox.max());
            entries.push(GeomWithData::new(
                Rectangle::from_corners([min.x, min.y], [max.x, max.y]),
                to_u32(slot),
            ));
        }
        Self {
            grids,
            by_id,
            parent,
            slot_grid,
            areas,
            tree: RTree::bulk_load_with_params(entries),
        }
    }

    /// The chain of the basic grid containing the point (WGS-84 degrees), or `None` when it is in
    /// no basic grid (or not finite). A point on the boundary of several basic grids goes to the
    /// one with the smallest id (see the module doc).
    pub fn locate(&self, lat: f64, lon: f64) -> Option<GridChain<'_>> {
        self.locate_basic(lat, lon).map(|i| self.chain_of(i))
    }

    /// Like [`Self::locate`], but only the basic grid.
    pub fn locate_basic_grid(&self, lat: f64, lon: f64) -> Option<&Grid> {
        self.locate_basic(lat, lon).map(|i| &self.grids[i])
    }

    fn locate_basic(&self, lat: f64, lon: f64) -> Option<usize> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let c = Coord { x: lon, y: lat };
        // `best` is a position in `grids`, which follows id order.
        let mut best: Option<u32> = None;
        let _ = self.tree.locate_all_at_point_int(&[lon, lat], |entry| {
            let slot = entry.data as usize;
            let position = self.slot_grid[slot];
            if best.is_none_or(|b| position < b) && self.areas.closed_contains(slot, c) {
                best = Some(position);
            }
            ControlFlow::<()>::Continue(())
        });
        best.map(|b| b as usize)
    }

    fn chain_of(&self, basic: usize) -> GridChain<'_> {
        let community = self.parent[basic] as usize;
        let town = self.parent[community] as usize;
        GridChain {
            town: &self.grids[town],
            community: &self.grids[community],
            basic: &self.grids[basic],
        }
    }

    /// The grid with this id, at any level.
    pub fn grid(&self, id: &str) -> Option<&Grid> {
        self.by_id.get(id).map(|&i| &self.grids[i as usize])
    }

    /// The chain from level 1 down to this basic grid; `None` when `id` is not a basic grid.
    pub fn chain(&self, id: &str) -> Option<GridChain<'_>> {
        let &i = self.by_id.get(id)?;
        (self.grids[i as usize].level == GridLevel::Basic).then(|| self.chain_of(i as usize))
    }

    /// Whether the grid (any level) contains the point, boundary included. `None` when there is
    /// no grid with this id or the point is not finite.
    pub fn contains(&self, grid_id: &str, lat: f64, lon: f64) -> Option<bool> {
        let grid = self.grid(grid_id)?;
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let c = Coord { x: lon, y: lat };
        let (min, max) = (grid.bbox.min(), grid.bbox.max());
        let in_box = min.x <= lon && lon <= max.x && min.y <= lat && lat <= max.y;
        Some(in_box && closed_contains(&grid.area, c))
    }

    /// Metres from the point to the grid (any level): 0 inside or on the boundary, otherwise the
    /// haversine distance to the nearest point of its boundary. `None` when there is no grid with
    /// this id or the point is not finite.
    pub fn distance_to_grid_m(&self, grid_id: &str, lat: f64, lon: f64) -> Option<f64> {
        if self.contains(grid_id, lat, lon)? {
            return Some(0.0);
        }
        let grid = self.grid(grid_id)?;
        Some(distance_to_boundary_m(&grid.area, Coord { x: lon, y: lat }))
    }

    /// Every grid, sorted by id.
    pub fn grids(&self) -> &[Grid] {
        &self.grids
    }

    /// The basic grids, sorted by id.
    pub fn basic_grids(&self) -> impl Iterator<Item = &Grid> {
        self.grids.iter().filter(|g| g.level == GridLevel::Basic)
    }

    /// How many grids of each level: `[level 1, level 2, level 3]`.
    pub fn counts(&self) -> [usize; 3] {
        let mut counts = [0; 3];
        for g in &self.grids {
            counts[usize::from(g.level.number()) - 1] += 1;
        }
        counts
    }

    /// Low level, for callers that bring their own candidate search (the benchmark's SQLite
    /// R*Tree does): the basic grids are numbered `0..basic_slot_count()` in index order.
    pub fn basic_slot_count(&self) -> usize {
        self.slot_grid.len()
    }

    /// The basic grid in slot `slot`.
    pub fn basic_slot_grid(&self, slot: usize) -> &Grid {
        &self.grids[self.slot_grid[slot] as usize]
    }

    /// The point-in-polygon test [`Self::locate`] runs on a candidate: whether the basic grid in
    /// slot `slot` contains the point, boundary included.
    pub fn basic_slot_contains(&self, slot: usize, lat: f64, lon: f64) -> bool {
        self.areas.closed_contains(slot, Coord { x: lon, y: lat })
    }
}

/// Position along a Hilbert curve of order 16 over `extent`.
fn hilbert_key(extent: Rect<f64>, p: Coord<f64>) -> u64 {
    const SIDE: u32 = 1 << 16;
    let scale = |v: f64, lo: f64, hi: f64| -> u32 {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
        // In 0..SIDE after the clamp, so the cast is exact.
        ((t * f64::from(SIDE - 1)).round().clamp(0.0, f64::from(SIDE - 1))) as u32
    };
    let (mut x, mut y) = (
        scale(p.x, extent.min().x, extent.max().x),
        scale(p.y, extent.min().y, extent.max().y),
    );
    let mut d = 0u64;
    let mut s = SIDE / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = SIDE - 1 - x;
                y = SIDE - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

fn to_u32(i: usize) -> u32 {
    u32::try_from(i).expect("a grid package holds fewer than 4 billion grids")
}

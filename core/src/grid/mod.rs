//! Grids (网格): the nested areas a city is cut into, and finding which one a GPS fix is in.
//!
//! Owns:
//! - **grid packages**: loading and validating a GeoJSON `FeatureCollection` of grids at three
//!   nested levels (1 = town/street 镇/街道, 2 = village/community 村/社区, 3 = basic grid), see
//!   [`GridPackage`] and [`GridPackageError`];
//! - **the spatial index** over the basic grids ([`GridIndex`], an R-tree of envelopes);
//! - **locate**: the level 1 → 2 → 3 [`GridChain`] of the basic grid a point is in;
//! - **distances**: metres from a point to a grid's boundary, for "320 m outside your grid";
//! - a deterministic **sample package** of Wuzhong district ([`sample`]) for tests and demos.
//!
//! Does not own:
//! - which grid a worker is assigned to (that comes from the platform with the worker's account);
//! - validation policy (whether a fix 320 m outside the grid is accepted is the caller's rule);
//! - coordinate datum conversion: everything here is WGS-84 lon/lat as the package gives it. A
//!   fix in GCJ-02 (what many Chinese map SDKs return) must be converted before it gets here.
//!
//! ## The boundary rule
//! Grids are closed sets: a point on a grid's edge or vertex is *in* that grid. A point on a
//! shared edge or vertex is therefore in several basic grids, and [`GridIndex::locate`] picks
//! **the one with the smallest id** (byte-wise string order). The same rule settles overlapping
//! grids in a faulty package, so one package and one point always give one answer. The
//! point-in-polygon test uses exact (robust) orientation predicates, so two grids that share an
//! edge always agree on which side of it a point lies.

mod error;
mod geometry;
mod index;
pub mod installed;
mod package;
pub mod sample;

pub use error::GridPackageError;
pub use geometry::{closed_contains, distance_to_boundary_m};
pub use index::{GridChain, GridIndex};
pub use package::{Grid, GridLevel, GridPackage, RawGrid};

#[cfg(test)]
mod tests;

//! Components (部件): the city's street furniture — lamps, manhole covers, trees, signs … — and
//! finding the ones near a fix, so a report can name the lamp it is about.
//!
//! Owns:
//! - **component packages**: a GeoJSON `FeatureCollection` of points, each with an id, a type
//!   code from the event list's 153 component types, a name and the managing department, owning
//!   unit and maintenance unit; versioned and SHA-256 verified, validated whole against the event
//!   list and the grid package's extent ([`ComponentPackage`], [`ComponentPackageError`] with
//!   stable [`ComponentPackageError::code`]s; format in `docs/COMPONENT_PACKAGE.md`);
//! - **the index** ([`ComponentIndex`]): look-up by id and the offline nearest-by-type query
//!   within a radius over an R-tree;
//! - a deterministic **sample package** of Wuzhong ([`sample`]) laid over the sample grids.
//!
//! Does not own:
//! - whether a report's component is acceptable (that is the capture rule
//!   `capture::check_component`, which asks this index);
//! - downloading (the platform serves the package like the grid package, with an `ETag`; the
//!   device passes the tag to [`ComponentIndex::from_package`] to verify the bytes);
//! - datums: coordinates are converted to WGS-84 once, at load, from the datum the package names.

mod error;
mod index;
mod package;
pub mod sample;

pub use error::ComponentPackageError;
pub use index::{
    ComponentIndex, MAX_RADIUS_M, MAX_RESULTS, NearbyComponent, NearbyQuery, search_envelope, sort_nearest,
};
pub use package::{
    Component, ComponentPackage, MAX_COMPONENTS, MAX_PACKAGE_BYTES, MAX_TEXT_CHARS, RawComponent,
};

#[cfg(test)]
mod tests;

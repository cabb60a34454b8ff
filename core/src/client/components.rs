//! The client's component package (部件): install, reload at start-up, nearest look-up.
//!
//! Owns only the wiring of [`crate::component`] to one data directory: the package file
//! (`components.geojson`, written atomically, verified again on every open) and the index in
//! memory. Validation of a report's component is `capture::check_component`, called from
//! `Client::validate_in`.

use std::path::Path;
use std::sync::{Arc, RwLock};

use super::{Client, write_atomically};
use crate::Result;
use crate::component::{ComponentIndex, NearbyComponent, NearbyQuery};
use crate::grid::GridIndex;
use crate::location::Datum;
use crate::taxonomy::EventList;

const COMPONENT_PACKAGE_FILE: &str = "components.geojson";

/// The installed component package, as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComponentPackageInfo {
    pub version: String,
    pub sha256: String,
    pub components: u32,
}

/// A component near a position, for "lamp 320506-LD-00421, 12 m".
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComponentHit {
    pub id: String,
    pub type_code: String,
    /// The type's name from the event list in force (zh / en).
    pub type_name_zh: String,
    pub type_name_en: String,
    pub name: String,
    pub managing_department: String,
    pub owning_unit: String,
    pub maintenance_unit: String,
    pub lat: f64,
    pub lon: f64,
    /// The datum of `lat`/`lon`: always WGS-84 (convert with `BaseMap::show` to draw it).
    pub datum: Datum,
    pub distance_m: f64,
}

impl ComponentHit {
    /// An index answer with its type's names from `list`.
    pub fn new(n: &NearbyComponent<'_>, list: &EventList) -> Self {
        let c = n.component;
        let kind = list.component_type(&c.type_code);
        Self {
            id: c.id.clone(),
            type_code: c.type_code.clone(),
            type_name_zh: kind.map(|k| k.name_zh.clone()).unwrap_or_default(),
            type_name_en: kind.map(|k| k.name_en.clone()).unwrap_or_default(),
            name: c.name.clone(),
            managing_department: c.managing_department.clone(),
            owning_unit: c.owning_unit.clone(),
            maintenance_unit: c.maintenance_unit.clone(),
            lat: c.lat,
            lon: c.lon,
            datum: Datum::Wgs84,
            distance_m: n.distance_m,
        }
    }

    /// The components of `types` (any type when empty) within `radius_m` of a WGS-84 position,
    /// nearest first, at most `limit`, with their types' names from `list`: what the capture
    /// screen's picker and `gridpatrol component nearest` show.
    pub fn nearest(
        index: &ComponentIndex,
        list: &EventList,
        lat: f64,
        lon: f64,
        types: &[String],
        radius_m: f64,
        limit: u32,
    ) -> Vec<ComponentHit> {
        let query = NearbyQuery {
            lat,
            lon,
            types,
            radius_m,
            limit: limit as usize,
        };
        index.nearest(&query).iter().map(|n| Self::new(n, list)).collect()
    }
}

impl Client {
    /// Verifies a component package (against the event list in force, the installed grids'
    /// extent and, when given, the SHA-256 the download's `ETag` named) and makes it the one in
    /// force. A package with any problem is rejected whole; the previous one stays.
    pub fn install_component_package(
        &self,
        bytes: &[u8],
        expected_sha256: Option<&str>,
    ) -> Result<ComponentPackageInfo> {
        let grids = self.grids();
        let index =
            ComponentIndex::from_package(bytes, &self.event_list(), grids.as_deref(), expected_sha256)?;
        write_atomically(&self.data_dir.join(COMPONENT_PACKAGE_FILE), bytes)?;
        let info = info_of(&index);
        *self.components.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(index));
        tracing::info!(version = %info.version, sha256 = %info.sha256, components = info.components, "component package installed");
        Ok(info)
    }

    pub fn component_package_info(&self) -> Option<ComponentPackageInfo> {
        self.components().map(|index| info_of(&index))
    }

    pub(super) fn components(&self) -> Option<Arc<ComponentIndex>> {
        self.components.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Components of the given types (empty: any) within `radius_m` of a WGS-84 position,
    /// nearest first, at most `limit` (radius and limit are clamped, see
    /// [`crate::component::MAX_RADIUS_M`]). Empty when no package is installed.
    pub fn nearest_components(
        &self,
        lat: f64,
        lon: f64,
        types: &[String],
        radius_m: f64,
        limit: u32,
    ) -> Vec<ComponentHit> {
        let Some(index) = self.components() else {
            return Vec::new();
        };
        ComponentHit::nearest(&index, &self.event_list(), lat, lon, types, radius_m, limit)
    }
}

fn info_of(index: &ComponentIndex) -> ComponentPackageInfo {
    ComponentPackageInfo {
        version: index.version().into(),
        sha256: index.sha256().into(),
        components: index.len() as u32,
    }
}

/// The installed package, verified again: a file is only a file. One that no longer verifies
/// (damaged, or a new event list dropped a type) is set aside with a log line, not fatal.
pub(super) fn load_installed(
    data_dir: &Path,
    list: &RwLock<Arc<EventList>>,
    grids: &RwLock<Option<Arc<GridIndex>>>,
) -> Result<Option<Arc<ComponentIndex>>> {
    let bytes = match std::fs::read(data_dir.join(COMPONENT_PACKAGE_FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let list = list.read().unwrap_or_else(|p| p.into_inner()).clone();
    let grids = grids.read().unwrap_or_else(|p| p.into_inner()).clone();
    match ComponentIndex::from_package(&bytes, &list, grids.as_deref(), None) {
        Ok(index) => Ok(Some(Arc::new(index))),
        Err(error) => {
            tracing::warn!(
                code = error.code(),
                "installed component package no longer verifies; component checks are off"
            );
            Ok(None)
        }
    }
}

//! Component packages: parsing the GeoJSON text and validating it whole.

use std::collections::HashSet;
use std::fmt;

use geo::Rect;
use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};
use sha2::{Digest, Sha256};

use super::ComponentPackageError;
use crate::grid::GridIndex;
use crate::location::{Datum, convert};
use crate::taxonomy::EventList;

/// The largest package accepted, in bytes (the Wuzhong sample is ~15 MB).
pub const MAX_PACKAGE_BYTES: usize = 64 * 1024 * 1024;
/// The most components one package may hold.
pub const MAX_COMPONENTS: usize = 300_000;
/// The longest name, department or unit, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
const MAX_ID_LEN: usize = 64;

/// One component as a package describes it, before validation (also how tests and the sample
/// generator build packages without going through JSON). Coordinates are in the package's datum.
#[derive(Debug, Clone, PartialEq)]
pub struct RawComponent {
    pub id: String,
    pub type_code: String,
    pub name: String,
    pub managing_department: String,
    pub owning_unit: String,
    pub maintenance_unit: String,
    pub lon: f64,
    pub lat: f64,
}

/// One validated component; `lat`/`lon` are WGS-84 whatever the package's datum was.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Component {
    pub id: String,
    pub type_code: String,
    pub name: String,
    pub managing_department: String,
    pub owning_unit: String,
    pub maintenance_unit: String,
    pub lat: f64,
    pub lon: f64,
}

/// A validated package: unique printable ids, type codes the event list knows, a non-empty name,
/// finite in-range coordinates inside the grid package's extent (when grids are installed).
#[derive(Debug, Clone)]
pub struct ComponentPackage {
    pub version: String,
    /// The datum the package's coordinates were given in (stored components are WGS-84).
    pub datum: Datum,
    /// SHA-256 of the package bytes as received (the `ETag` the platform serves).
    pub sha256: String,
    /// Sorted by id.
    pub components: Vec<Component>,
}

impl ComponentPackage {
    /// Parses and validates a package. `expected_sha256` (the download's `ETag`, unquoted) is
    /// checked first when given; `grids` bounds where components may lie.
    pub fn from_bytes(
        bytes: &[u8],
        list: &EventList,
        grids: Option<&GridIndex>,
        expected_sha256: Option<&str>,
    ) -> Result<Self, ComponentPackageError> {
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(ComponentPackageError::TooLarge {
                bytes: bytes.len(),
                max: MAX_PACKAGE_BYTES,
            });
        }
        let sha256 = hex::encode(Sha256::digest(bytes));
        if let Some(expected) = expected_sha256 {
            let expected = expected.trim().trim_matches('"').to_ascii_lowercase();
            if expected != sha256 {
                return Err(ComponentPackageError::HashMismatch {
                    expected,
                    found: sha256,
                });
            }
        }
        let wire: WirePackage = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_data() && e.to_string().starts_with(TOO_MANY) {
                return ComponentPackageError::TooManyComponents { max: MAX_COMPONENTS };
            }
            // serde's own text may quote the input; say only where and what kind.
            ComponentPackageError::NotGeoJson {
                reason: format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            }
        })?;
        if wire.kind != "FeatureCollection" {
            return Err(ComponentPackageError::NotGeoJson {
                reason: "top-level `type` is not FeatureCollection".into(),
            });
        }
        let header = wire
            .gridpatrol
            .ok_or(ComponentPackageError::InvalidHeader { field: "kind" })?;
        if header.kind.as_deref() != Some("components") {
            return Err(ComponentPackageError::InvalidHeader { field: "kind" });
        }
        let version = header
            .version
            .filter(|v| valid_id(v))
            .ok_or(ComponentPackageError::InvalidHeader { field: "version" })?;
        let datum = header
            .datum
            .as_deref()
            .and_then(Datum::parse)
            .ok_or(ComponentPackageError::InvalidHeader { field: "datum" })?;
        let mut raw = Vec::with_capacity(wire.features.0.len());
        for (index, feature) in wire.features.0.into_iter().enumerate() {
            raw.push(feature.into_raw(index)?);
        }
        let mut package = Self::from_raw(raw, version, datum, list, grids)?;
        package.sha256 = sha256;
        Ok(package)
    }

    /// Validates components built in code; the first problem found, feature by feature in the
    /// given order, is returned. `sha256` is left empty.
    pub fn from_raw(
        raw: Vec<RawComponent>,
        version: String,
        datum: Datum,
        list: &EventList,
        grids: Option<&GridIndex>,
    ) -> Result<Self, ComponentPackageError> {
        if raw.len() > MAX_COMPONENTS {
            return Err(ComponentPackageError::TooManyComponents { max: MAX_COMPONENTS });
        }
        let extent = grids.and_then(grid_extent);
        let mut ids: HashSet<&str> = HashSet::with_capacity(raw.len());
        let mut positions = Vec::with_capacity(raw.len());
        for (index, c) in raw.iter().enumerate() {
            if !valid_id(&c.id) {
                return Err(ComponentPackageError::InvalidId { index });
            }
            if !ids.insert(&c.id) {
                return Err(ComponentPackageError::DuplicateId { id: c.id.clone() });
            }
            if list.component_type(&c.type_code).is_none() {
                return Err(ComponentPackageError::UnknownType {
                    id: c.id.clone(),
                    type_code: c.type_code.clone(),
                });
            }
            let texts = [
                ("name", &c.name, true),
                ("managing_department", &c.managing_department, false),
                ("owning_unit", &c.owning_unit, false),
                ("maintenance_unit", &c.maintenance_unit, false),
            ];
            for (field, text, required) in texts {
                if (required && text.trim().is_empty()) || text.chars().count() > MAX_TEXT_CHARS {
                    return Err(ComponentPackageError::InvalidText {
                        id: c.id.clone(),
                        field,
                    });
                }
            }
            if !c.lat.is_finite() || !c.lon.is_finite() {
                return Err(ComponentPackageError::NonFiniteCoordinate { id: c.id.clone() });
            }
            if !(-90.0..=90.0).contains(&c.lat) || !(-180.0..=180.0).contains(&c.lon) {
                return Err(ComponentPackageError::CoordinateOutOfRange { id: c.id.clone() });
            }
            let (lat, lon) = convert(c.lat, c.lon, datum, Datum::Wgs84);
            let inside = |e: &Rect<f64>| {
                (e.min().x..=e.max().x).contains(&lon) && (e.min().y..=e.max().y).contains(&lat)
            };
            if extent.as_ref().is_some_and(|e| !inside(e)) {
                return Err(ComponentPackageError::OutsideGridExtent { id: c.id.clone() });
            }
            positions.push((lat, lon));
        }
        drop(ids);
        let mut components: Vec<Component> = raw
            .into_iter()
            .zip(positions)
            .map(|(c, (lat, lon))| Component {
                id: c.id,
                type_code: c.type_code,
                name: c.name,
                managing_department: c.managing_department,
                owning_unit: c.owning_unit,
                maintenance_unit: c.maintenance_unit,
                lat,
                lon,
            })
            .collect();
        components.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(Self {
            version,
            datum,
            sha256: String::new(),
            components,
        })
    }
}

/// Ids and versions: 1..=64 printable ASCII characters, no spaces.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// The envelope of every grid in the package (lon = x, lat = y).
fn grid_extent(grids: &GridIndex) -> Option<Rect<f64>> {
    grids.grids().iter().map(|g| g.bbox).reduce(|a, b| {
        Rect::new(
            geo::Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            geo::Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        )
    })
}

// ---- wire format ----

#[derive(Deserialize)]
struct WirePackage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    gridpatrol: Option<WireHeader>,
    features: Features,
}

#[derive(Deserialize)]
struct WireHeader {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    datum: Option<String>,
}

#[derive(Deserialize)]
struct WireFeature {
    #[serde(default)]
    geometry: Option<WireGeometry>,
    #[serde(default)]
    properties: Option<WireProperties>,
}

#[derive(Deserialize)]
struct WireGeometry {
    #[serde(rename = "type")]
    kind: String,
    /// Any JSON: only a Point's `[lon, lat]` is used, anything else is `invalid_geometry`.
    #[serde(default)]
    coordinates: serde_json::Value,
}

#[derive(Deserialize)]
struct WireProperties {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    type_code: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    managing_department: Option<String>,
    #[serde(default)]
    owning_unit: Option<String>,
    #[serde(default)]
    maintenance_unit: Option<String>,
}

const TOO_MANY: &str = "too many features";

/// The features, refused as soon as there are more than [`MAX_COMPONENTS`].
struct Features(Vec<WireFeature>);

impl<'de> Deserialize<'de> for Features {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FeaturesVisitor;
        impl<'de> Visitor<'de> for FeaturesVisitor {
            type Value = Features;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of features")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Features, A::Error> {
                let mut features = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(feature) = seq.next_element::<WireFeature>()? {
                    if features.len() == MAX_COMPONENTS {
                        return Err(de::Error::custom(TOO_MANY));
                    }
                    features.push(feature);
                }
                Ok(Features(features))
            }
        }
        deserializer.deserialize_seq(FeaturesVisitor)
    }
}

impl WireFeature {
    fn into_raw(self, index: usize) -> Result<RawComponent, ComponentPackageError> {
        let p = self
            .properties
            .ok_or(ComponentPackageError::InvalidId { index })?;
        let id = p.id.ok_or(ComponentPackageError::InvalidId { index })?;
        let position = self
            .geometry
            .as_ref()
            .filter(|g| g.kind == "Point")
            .and_then(|g| g.coordinates.as_array())
            .filter(|c| (2..=3).contains(&c.len()))
            .and_then(|c| Some((c[0].as_f64()?, c[1].as_f64()?)));
        let Some((lon, lat)) = position else {
            return Err(ComponentPackageError::InvalidGeometry { id });
        };
        Ok(RawComponent {
            id,
            type_code: p.type_code.unwrap_or_default(),
            name: p.name.unwrap_or_default(),
            managing_department: p.managing_department.unwrap_or_default(),
            owning_unit: p.owning_unit.unwrap_or_default(),
            maintenance_unit: p.maintenance_unit.unwrap_or_default(),
            lon,
            lat,
        })
    }
}

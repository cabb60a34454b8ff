//! Grid packages: parsing a GeoJSON `FeatureCollection` of grids and validating it whole.

use std::collections::HashMap;
use std::fmt;

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::GridPackageError;

/// How deep in the nesting a grid is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GridLevel {
    /// Level 1: town or street (镇/街道).
    Town = 1,
    /// Level 2: village or community (村/社区).
    Community = 2,
    /// Level 3: basic grid, the one a worker patrols.
    Basic = 3,
}

impl GridLevel {
    pub fn from_number(n: i64) -> Option<Self> {
        match n {
            1 => Some(Self::Town),
            2 => Some(Self::Community),
            3 => Some(Self::Basic),
            _ => None,
        }
    }

    /// 1, 2 or 3, as packages write it.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The level a grid of this level's parent must have (none for level 1).
    pub fn parent(self) -> Option<Self> {
        match self {
            Self::Town => None,
            Self::Community => Some(Self::Town),
            Self::Basic => Some(Self::Community),
        }
    }
}

/// One grid as a package describes it, before validation (also how tests and the sample
/// generator build packages without going through JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct RawGrid {
    pub id: String,
    pub level: i64,
    pub parent_id: Option<String>,
    pub name: String,
    /// Polygons, each a list of rings (exterior first, then holes), each ring a closed list of
    /// `[lon, lat]` positions (WGS-84 degrees).
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// One validated grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub id: String,
    pub level: GridLevel,
    /// `None` exactly for level 1.
    pub parent_id: Option<String>,
    pub name: String,
    /// x = longitude, y = latitude.
    pub area: MultiPolygon<f64>,
    /// The envelope of `area`.
    pub bbox: Rect<f64>,
}

/// A validated grid package: unique ids, levels 1..=3, every parent present and one level up,
/// finite in-range coordinates, closed non-degenerate rings, non-empty names.
///
/// Not checked (too costly on a phone, and the platform that cuts grids checks them): that rings
/// do not self-intersect, that grids of one level do not overlap, and that a grid lies inside its
/// parent. Overlaps do not break [`super::GridIndex::locate`]: the smallest-id rule still gives
/// one answer.
#[derive(Debug, Clone)]
pub struct GridPackage {
    /// Sorted by id.
    grids: Vec<Grid>,
}

impl GridPackage {
    /// Parses and validates a GeoJSON `FeatureCollection` whose features carry the properties
    /// `id`, `level`, `parent_id` and `name` and a Polygon or MultiPolygon geometry.
    pub fn from_geojson_str(json: &str) -> Result<Self, GridPackageError> {
        let collection: FeatureCollection<'_> =
            serde_json::from_str(json).map_err(|e| GridPackageError::NotGeoJson(e.to_string()))?;
        if collection.kind != "FeatureCollection" {
            return Err(GridPackageError::NotGeoJson(format!(
                "top-level `type` is {:?}",
                collection.kind
            )));
        }
        let mut raw = Vec::with_capacity(collection.features.len());
        for (index, feature) in collection.features.into_iter().enumerate() {
            raw.push(feature.into_raw(index)?);
        }
        Self::from_raw(raw)
    }

    /// Validates grids built in code. Problems are looked for feature by feature in the given
    /// order (ids, levels, names and geometry first, then parents), and the first one found is
    /// returned.
    pub fn from_raw(raw: Vec<RawGrid>) -> Result<Self, GridPackageError> {
        let mut levels: HashMap<&str, GridLevel> = HashMap::with_capacity(raw.len());
        for (index, grid) in raw.iter().enumerate() {
            if grid.id.trim().is_empty() {
                return Err(GridPackageError::MissingId { index });
            }
            let level = GridLevel::from_number(grid.level).ok_or_else(|| GridPackageError::InvalidLevel {
                id: grid.id.clone(),
                found: grid.level.to_string(),
            })?;
            if levels.insert(&grid.id, level).is_some() {
                return Err(GridPackageError::DuplicateId { id: grid.id.clone() });
            }
            if grid.name.trim().is_empty() {
                return Err(GridPackageError::EmptyName { id: grid.id.clone() });
            }
            check_geometry(&grid.id, &grid.polygons)?;
        }
        for grid in &raw {
            let level = levels[grid.id.as_str()];
            check_parent(grid, level, &levels)?;
        }
        if !levels.values().any(|l| *l == GridLevel::Basic) {
            return Err(GridPackageError::NoBasicGrids);
        }
        drop(levels);

        let mut grids: Vec<Grid> = raw
            .into_iter()
            .map(|g| {
                let level = GridLevel::from_number(g.level).expect("levels were checked above");
                let area = to_multi_polygon(&g.polygons);
                let bbox = area
                    .bounding_rect()
                    .expect("checked geometry has at least one position");
                Grid {
                    id: g.id,
                    level,
                    parent_id: g.parent_id,
                    name: g.name,
                    area,
                    bbox,
                }
            })
            .collect();
        grids.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(Self { grids })
    }

    /// Every grid, sorted by id.
    pub fn grids(&self) -> &[Grid] {
        &self.grids
    }

    pub fn into_grids(self) -> Vec<Grid> {
        self.grids
    }
}

fn check_parent(
    grid: &RawGrid,
    level: GridLevel,
    levels: &HashMap<&str, GridLevel>,
) -> Result<(), GridPackageError> {
    match (level.parent(), &grid.parent_id) {
        (None, None) => Ok(()),
        (None, Some(parent_id)) => Err(GridPackageError::UnexpectedParent {
            id: grid.id.clone(),
            parent_id: parent_id.clone(),
        }),
        (Some(_), None) => Err(GridPackageError::MissingParent {
            id: grid.id.clone(),
            level: level.number(),
        }),
        (Some(wanted), Some(parent_id)) => match levels.get(parent_id.as_str()) {
            None => Err(GridPackageError::DanglingParent {
                id: grid.id.clone(),
                parent_id: parent_id.clone(),
            }),
            Some(found) if *found != wanted => Err(GridPackageError::ParentLevelMismatch {
                id: grid.id.clone(),
                level: level.number(),
                parent_id: parent_id.clone(),
                parent_level: found.number(),
            }),
            Some(_) => Ok(()),
        },
    }
}

fn check_geometry(id: &str, polygons: &[Vec<Vec<[f64; 2]>>]) -> Result<(), GridPackageError> {
    let invalid = |reason: String| GridPackageError::InvalidGeometry {
        id: id.to_owned(),
        reason,
    };
    if polygons.is_empty() {
        return Err(invalid("has no polygon".into()));
    }
    for (polygon, rings) in polygons.iter().enumerate() {
        if rings.is_empty() {
            return Err(invalid(format!("polygon {polygon} has no ring")));
        }
        for (ring, positions) in rings.iter().enumerate() {
            for (position, &[lon, lat]) in positions.iter().enumerate() {
                if !lon.is_finite() || !lat.is_finite() {
                    return Err(GridPackageError::NonFiniteCoordinate {
                        id: id.to_owned(),
                        polygon,
                        ring,
                        position,
                    });
                }
                if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                    return Err(GridPackageError::CoordinateOutOfRange {
                        id: id.to_owned(),
                        polygon,
                        ring,
                        position,
                        lon,
                        lat,
                    });
                }
            }
            let degenerate = |reason| GridPackageError::DegenerateRing {
                id: id.to_owned(),
                polygon,
                ring,
                reason,
            };
            let (Some(first), Some(last)) = (positions.first(), positions.last()) else {
                return Err(degenerate("it has no position"));
            };
            if positions.len() > 1 && first != last {
                return Err(GridPackageError::UnclosedRing {
                    id: id.to_owned(),
                    polygon,
                    ring,
                });
            }
            if positions.len() < 4 {
                return Err(degenerate("it has fewer than 3 corners"));
            }
            if twice_area(positions) == 0.0 {
                return Err(degenerate("it encloses no area"));
            }
        }
    }
    Ok(())
}

/// Twice the signed area of a closed ring (shoelace, relative to the first position to keep the
/// products small).
fn twice_area(ring: &[[f64; 2]]) -> f64 {
    let [x0, y0] = ring[0];
    ring.windows(2)
        .map(|w| (w[0][0] - x0) * (w[1][1] - y0) - (w[1][0] - x0) * (w[0][1] - y0))
        .sum()
}

fn to_multi_polygon(polygons: &[Vec<Vec<[f64; 2]>>]) -> MultiPolygon<f64> {
    let ring = |positions: &Vec<[f64; 2]>| -> LineString<f64> {
        positions
            .iter()
            .map(|&[x, y]| Coord { x, y })
            .collect::<Vec<_>>()
            .into()
    };
    MultiPolygon(
        polygons
            .iter()
            .map(|rings| {
                let exterior = ring(&rings[0]);
                let holes = rings[1..].iter().map(ring).collect();
                Polygon::new(exterior, holes)
            })
            .collect(),
    )
}

// ---- GeoJSON wire format ----

#[derive(Deserialize)]
struct FeatureCollection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<Feature<'a>>,
}

#[derive(Deserialize)]
struct Feature<'a> {
    #[serde(default)]
    properties: Option<Map<String, Value>>,
    #[serde(borrow, default)]
    geometry: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<Position>>),
    MultiPolygon(Vec<Vec<Vec<Position>>>),
}

/// A GeoJSON position: `[lon, lat]`, any further members (altitude) ignored.
struct Position([f64; 2]);

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PositionVisitor;
        impl<'de> Visitor<'de> for PositionVisitor {
            type Value = Position;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a position [lon, lat]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Position, A::Error> {
                let lon = seq
                    .next_element::<f64>()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let lat = seq
                    .next_element::<f64>()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Position([lon, lat]))
            }
        }
        deserializer.deserialize_seq(PositionVisitor)
    }
}

impl Feature<'_> {
    fn into_raw(self, index: usize) -> Result<RawGrid, GridPackageError> {
        let properties = self.properties.unwrap_or_default();
        let id = match properties.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => return Err(GridPackageError::MissingId { index }),
        };
        let level = match properties.get("level") {
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().expect("checked just above"),
            other => {
                return Err(GridPackageError::InvalidLevel {
                    id,
                    found: other.map_or_else(|| "missing".into(), Value::to_string),
                });
            }
        };
        let parent_id = match properties.get("parent_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(GridPackageError::DanglingParent {
                    id,
                    parent_id: other.to_string(),
                });
            }
        };
        let name = match properties.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let Some(geometry) = self.geometry else {
            return Err(GridPackageError::InvalidGeometry {
                id,
                reason: "is missing".into(),
            });
        };
        let polygons = match serde_json::from_str::<Geometry>(geometry.get()) {
            Ok(Geometry::Polygon(rings)) => vec![unwrap_rings(rings)],
            Ok(Geometry::MultiPolygon(polygons)) => polygons.into_iter().map(unwrap_rings).collect(),
            Err(e) => {
                return Err(GridPackageError::InvalidGeometry {
                    id,
                    reason: format!("is not a valid Polygon or MultiPolygon: {e}"),
                });
            }
        };
        Ok(RawGrid {
            id,
            level,
            parent_id,
            name,
            polygons,
        })
    }
}

fn unwrap_rings(rings: Vec<Vec<Position>>) -> Vec<Vec<[f64; 2]>> {
    rings
        .into_iter()
        .map(|ring| ring.into_iter().map(|p| p.0).collect())
        .collect()
}

//! Why a grid package was rejected.

/// The first problem found in a grid package. A package with any problem is rejected whole.
///
/// Every variant about one grid names its `id` (or, when the id itself is the problem, the
/// feature's position in the collection) and the property or geometry part at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridPackageError {
    #[error("not a GeoJSON FeatureCollection: {0}")]
    NotGeoJson(String),

    #[error("the package holds no basic (level 3) grid")]
    NoBasicGrids,

    #[error("feature #{index}: field `id` is missing, not a string or empty")]
    MissingId { index: usize },

    #[error("grid {id}: id is used by more than one feature")]
    DuplicateId { id: String },

    #[error("grid {id}: field `level` is {found}, expected 1, 2 or 3")]
    InvalidLevel { id: String, found: String },

    #[error("grid {id}: field `name` is missing or empty")]
    EmptyName { id: String },

    #[error("grid {id}: field `parent_id` is required for a level {level} grid")]
    MissingParent { id: String, level: u8 },

    #[error("grid {id}: field `parent_id` must be null for a level 1 grid (found {parent_id})")]
    UnexpectedParent { id: String, parent_id: String },

    #[error("grid {id}: field `parent_id` names {parent_id}, which is not in the package")]
    DanglingParent { id: String, parent_id: String },

    #[error(
        "grid {id}: field `parent_id` names {parent_id} of level {parent_level}, \
         a level {level} grid needs a parent of level {}", level - 1
    )]
    ParentLevelMismatch {
        id: String,
        level: u8,
        parent_id: String,
        parent_level: u8,
    },

    #[error("grid {id}: field `geometry` {reason}")]
    InvalidGeometry { id: String, reason: String },

    #[error(
        "grid {id}: field `geometry` polygon {polygon} ring {ring} position {position} \
         is not a finite number"
    )]
    NonFiniteCoordinate {
        id: String,
        polygon: usize,
        ring: usize,
        position: usize,
    },

    #[error(
        "grid {id}: field `geometry` polygon {polygon} ring {ring} position {position} \
         ({lon}, {lat}) is outside lon -180..180 / lat -90..90"
    )]
    CoordinateOutOfRange {
        id: String,
        polygon: usize,
        ring: usize,
        position: usize,
        lon: f64,
        lat: f64,
    },

    #[error("grid {id}: field `geometry` polygon {polygon} ring {ring} is not closed")]
    UnclosedRing { id: String, polygon: usize, ring: usize },

    #[error("grid {id}: field `geometry` polygon {polygon} ring {ring} is degenerate: {reason}")]
    DegenerateRing {
        id: String,
        polygon: usize,
        ring: usize,
        reason: &'static str,
    },
}

impl GridPackageError {
    /// The grid the problem is about, when it is about one grid.
    pub fn grid_id(&self) -> Option<&str> {
        match self {
            Self::NotGeoJson(_) | Self::NoBasicGrids | Self::MissingId { .. } => None,
            Self::DuplicateId { id }
            | Self::InvalidLevel { id, .. }
            | Self::EmptyName { id }
            | Self::MissingParent { id, .. }
            | Self::UnexpectedParent { id, .. }
            | Self::DanglingParent { id, .. }
            | Self::ParentLevelMismatch { id, .. }
            | Self::InvalidGeometry { id, .. }
            | Self::NonFiniteCoordinate { id, .. }
            | Self::CoordinateOutOfRange { id, .. }
            | Self::UnclosedRing { id, .. }
            | Self::DegenerateRing { id, .. } => Some(id),
        }
    }
}

//! Why a component package was rejected.
//!
//! Messages name the component id and the field at fault, never the names, units or
//! coordinates the package holds.

/// The first problem found in a component package; a package with any problem is rejected
/// whole and nothing installed changes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComponentPackageError {
    #[error("the package is {bytes} bytes; at most {max} are accepted")]
    TooLarge { bytes: usize, max: usize },

    #[error("the package holds more than {max} components")]
    TooManyComponents { max: usize },

    #[error("not a component package (GeoJSON FeatureCollection): {reason}")]
    NotGeoJson { reason: String },

    #[error("the package header `gridpatrol.{field}` is missing or invalid")]
    InvalidHeader { field: &'static str },

    #[error("the package's SHA-256 is {found}, the download said {expected}")]
    HashMismatch { expected: String, found: String },

    #[error("feature #{index}: field `id` is missing, empty, longer than 64 or not printable ASCII")]
    InvalidId { index: usize },

    #[error("component {id}: id is used by more than one feature")]
    DuplicateId { id: String },

    #[error("component {id}: type code {type_code} is not one of the event list's component types")]
    UnknownType { id: String, type_code: String },

    #[error("component {id}: field `{field}` is missing, empty or too long")]
    InvalidText { id: String, field: &'static str },

    #[error("component {id}: field `geometry` must be a Point")]
    InvalidGeometry { id: String },

    #[error("component {id}: coordinates are not finite numbers")]
    NonFiniteCoordinate { id: String },

    #[error("component {id}: coordinates are outside lon -180..180 / lat -90..90")]
    CoordinateOutOfRange { id: String },

    #[error("component {id}: the position lies outside the grid package's extent")]
    OutsideGridExtent { id: String },
}

impl ComponentPackageError {
    /// The stable machine code (apps, the CLI and the platform switch on it; never reworded).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "component_package.too_large",
            Self::TooManyComponents { .. } => "component_package.too_many_components",
            Self::NotGeoJson { .. } => "component_package.not_geojson",
            Self::InvalidHeader { .. } => "component_package.invalid_header",
            Self::HashMismatch { .. } => "component_package.hash_mismatch",
            Self::InvalidId { .. } => "component.invalid_id",
            Self::DuplicateId { .. } => "component.duplicate_id",
            Self::UnknownType { .. } => "component.unknown_type",
            Self::InvalidText { .. } => "component.invalid_text",
            Self::InvalidGeometry { .. } => "component.invalid_geometry",
            Self::NonFiniteCoordinate { .. } => "component.non_finite_coordinate",
            Self::CoordinateOutOfRange { .. } => "component.coordinate_out_of_range",
            Self::OutsideGridExtent { .. } => "component.outside_grid_extent",
        }
    }

    /// The component the problem is about, when it is about one.
    pub fn component_id(&self) -> Option<&str> {
        match self {
            Self::DuplicateId { id }
            | Self::UnknownType { id, .. }
            | Self::InvalidText { id, .. }
            | Self::InvalidGeometry { id }
            | Self::NonFiniteCoordinate { id }
            | Self::CoordinateOutOfRange { id }
            | Self::OutsideGridExtent { id } => Some(id),
            _ => None,
        }
    }
}

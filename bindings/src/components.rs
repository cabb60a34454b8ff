//! The component exports (部件): install the city's component package, read what is installed,
//! and the nearest components for the capture screen ("lamp 320506-LD-00421, 12 m").
//!
//! Owns only the exported names and the checks of the app's arguments; verification of a
//! package (hash, ids, types, extent) and the R-tree look-up are `gridpatrol_core::component`'s.
//! Installing parses and indexes tens of thousands of points: `async` on the blocking pool. The
//! look-up is an in-memory R-tree query: a plain call.

use gridpatrol_core::client::{ComponentHit, ComponentPackageInfo};

use crate::run::blocking;
use crate::{GridPatrol, GridPatrolError, Result};

fn invalid(field: &str, reason: &str) -> GridPatrolError {
    GridPatrolError::InvalidArgument {
        field: field.into(),
        reason: reason.into(),
    }
}

#[uniffi::export]
impl GridPatrol {
    /// Verifies a component package (GeoJSON points, see COMPONENT_PACKAGE.md) against the
    /// event list in force, the installed grids' extent and, when given, the SHA-256 its
    /// download's `ETag` named, and makes it the one in force. A package with any problem is
    /// `ComponentPackageRejected` and the previous one stays.
    pub async fn install_component_package(
        &self,
        package: Vec<u8>,
        expected_sha256: Option<String>,
    ) -> Result<ComponentPackageInfo> {
        let client = self.client();
        blocking(move || Ok(client.install_component_package(&package, expected_sha256.as_deref())?)).await
    }

    /// The installed component package; null when none is.
    pub fn component_package_info(&self) -> Option<ComponentPackageInfo> {
        self.inner.component_package_info()
    }

    /// Components of the given type codes (empty: any type) within `radius_m` of a WGS-84
    /// position, nearest first, at most `limit` (the core caps both). Empty without a package.
    /// Non-finite coordinates, a radius that is not a positive number, or a negative limit are
    /// `InvalidArgument`.
    pub fn nearest_components(
        &self,
        lat: f64,
        lon: f64,
        type_codes: Vec<String>,
        radius_m: f64,
        limit: i32,
    ) -> Result<Vec<ComponentHit>> {
        if !(lat.is_finite() && lon.is_finite()) {
            return Err(invalid("lat/lon", "must be finite numbers"));
        }
        if !(radius_m.is_finite() && radius_m > 0.0) {
            return Err(invalid("radius_m", "must be a positive number of metres"));
        }
        let limit = u32::try_from(limit).map_err(|_| invalid("limit", "must not be negative"))?;
        Ok(self
            .inner
            .nearest_components(lat, lon, &type_codes, radius_m, limit))
    }
}

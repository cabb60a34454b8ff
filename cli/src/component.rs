//! `gridpatrol component …`: the components (部件) near a position, and installing a component
//! package into a client's data directory.
//!
//! Owns the arguments and the output shape only; the look-up is the core's
//! (`gridpatrol_core::component`, `Client::nearest_components`).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use gridpatrol_core::Client;
use gridpatrol_core::client::ComponentHit;
use gridpatrol_core::component::{ComponentIndex, sample};
use gridpatrol_core::location::{Datum, convert};
use gridpatrol_core::taxonomy::EventList;
use serde_json::json;

use crate::core_error::core_failure;
use crate::{Failure, print_json};

#[derive(Subcommand)]
pub enum Command {
    /// Components near a position, nearest first: "street lamp 320506-LD-00421, 12 m"
    ///
    /// From the client's installed package with --data, a package file with --file, else the
    /// Wuzhong sample package. No component within the radius gives `[]` and exit 0.
    #[command(verbatim_doc_comment)]
    Nearest {
        /// Latitude, decimal degrees in --datum.
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        /// Longitude, decimal degrees in --datum.
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        /// The datum of --lat/--lon: wgs84 (GPS), gcj02 (AMap/Tencent pin) or bd09 (Baidu pin).
        #[arg(long, default_value = "wgs84")]
        datum: String,
        /// Only components of this type code (e.g. 01037 street lamp); repeat for several.
        #[arg(long = "type")]
        types: Vec<String>,
        /// Search radius in metres (at most 5000).
        #[arg(long, default_value_t = 50.0, allow_negative_numbers = true)]
        radius: f64,
        /// At most this many components (at most 100).
        #[arg(long, default_value_t = 10)]
        limit: u32,
        /// A client data directory: use its installed component package.
        #[arg(long, conflicts_with = "file")]
        data: Option<PathBuf>,
        /// A component package file (GeoJSON FeatureCollection of points).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print a JSON array of {id, type, type_name_zh, type_name_en, name, distance_m, lat, lon, datum, ...}.
        #[arg(long)]
        json: bool,
    },
    /// Installs a component package into a client's data directory (default: the Wuzhong
    /// sample); a package that does not verify is refused whole (exit 2) and nothing changes.
    Install {
        #[arg(long)]
        data: PathBuf,
        /// A component package file; default: the Wuzhong sample package.
        #[arg(long)]
        file: Option<PathBuf>,
        /// The SHA-256 the download's ETag named; the package must hash to it.
        #[arg(long)]
        sha256: Option<String>,
        /// Print {version, sha256, components} as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    pub fn json(&self) -> bool {
        match self {
            Command::Nearest { json, .. } | Command::Install { json, .. } => *json,
        }
    }
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Nearest {
            lat,
            lon,
            datum,
            types,
            radius,
            limit,
            data,
            file,
            json,
        } => {
            let datum = Datum::parse(&datum)
                .ok_or_else(|| invalid(format!("unknown datum {datum:?}; use wgs84, gcj02 or bd09")))?;
            if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
                return Err(invalid(
                    "latitude must be within -90..=90 and longitude within -180..=180".into(),
                ));
            }
            if !radius.is_finite() || radius <= 0.0 {
                return Err(invalid("--radius must be a positive number of metres".into()));
            }
            let list = EventList::bundled();
            if let Some(unknown) = types.iter().find(|t| list.component_type(t).is_none()) {
                return Err(Failure::new(
                    "unknown_code",
                    format!("no component type with code {unknown}"),
                    2,
                )
                .with("kind", "component_type"));
            }
            let (lat, lon) = convert(lat, lon, datum, Datum::Wgs84);
            let hits = match (data, file) {
                (Some(data), _) => {
                    let client = Client::open(&data).map_err(core_failure)?;
                    if client.component_package_info().is_none() {
                        return Err(Failure::new(
                            "no_component_package",
                            format!(
                                "{} has no component package; run `gridpatrol component install`",
                                data.display()
                            ),
                            1,
                        ));
                    }
                    client.nearest_components(lat, lon, &types, radius, limit)
                }
                (None, file) => {
                    let index = load(file.as_deref(), &list)?;
                    ComponentHit::nearest(&index, &list, lat, lon, &types, radius, limit)
                }
            };
            print_hits(&hits, json);
            Ok(())
        }
        Command::Install {
            data,
            file,
            sha256,
            json,
        } => {
            let bytes = match &file {
                Some(path) => read(path)?,
                None => sample::sample_package().into_bytes(),
            };
            let client = Client::open(&data).map_err(core_failure)?;
            if !client.has_grids() {
                client
                    .install_grid_package(&gridpatrol_core::grid::sample::sample_package())
                    .map_err(core_failure)?;
            }
            let info = client
                .install_component_package(&bytes, sha256.as_deref())
                .map_err(core_failure)?;
            if json {
                print_json(&info);
            } else {
                out!(
                    "installed component package {} ({} components, sha256 {})",
                    info.version,
                    info.components,
                    info.sha256
                );
            }
            Ok(())
        }
    }
}

fn invalid(message: String) -> Failure {
    Failure::new("invalid_argument", message, 2)
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::new("unreadable_file", format!("{}: {e}", path.display()), 1))
}

/// The package at `file` (checked without a grid extent), or the sample.
fn load(file: Option<&Path>, list: &EventList) -> Result<ComponentIndex, Failure> {
    let Some(path) = file else {
        return Ok(sample::sample_index(list, None));
    };
    let bytes = read(path)?;
    ComponentIndex::from_package(&bytes, list, None, None).map_err(|e| core_failure(e.into()))
}

fn print_hits(hits: &[ComponentHit], json: bool) {
    if json {
        print_json(
            &hits
                .iter()
                .map(|h| {
                    json!({
                        "id": h.id,
                        "type": h.type_code,
                        "type_name_zh": h.type_name_zh,
                        "type_name_en": h.type_name_en,
                        "name": h.name,
                        "distance_m": (h.distance_m * 10.0).round() / 10.0,
                        "lat": h.lat,
                        "lon": h.lon,
                        "datum": h.datum.as_str(),
                        "managing_department": h.managing_department,
                        "owning_unit": h.owning_unit,
                        "maintenance_unit": h.maintenance_unit,
                    })
                })
                .collect::<Vec<_>>(),
        );
    } else if hits.is_empty() {
        out!("no component within the radius");
    } else {
        for h in hits {
            out!(
                "{:>7.1} m  {}  {} {}",
                h.distance_m,
                h.id,
                h.type_code,
                h.type_name_zh
            );
        }
    }
}

//! `gridpatrol grid …`: which grids a position lies in, and what a grid package holds.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use gridpatrol_core::grid::{GridIndex, sample};
use serde_json::json;

use crate::{Failure, print_json};

#[derive(Subcommand)]
pub enum Command {
    /// The grids a WGS-84 position lies in, level 1 down to 3
    ///
    /// Level 1 is the town or street (镇/街道), 2 the village or community (村/社区), 3 the basic
    /// grid. A position in no grid gives an empty chain (`[]` with --json) and exit 0.
    Locate {
        /// Latitude, WGS-84 decimal degrees.
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        /// Longitude, WGS-84 decimal degrees.
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        /// A grid package (GeoJSON FeatureCollection); default: the Wuzhong sample package.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print a JSON array of {id, level, name}, level 1 first.
        #[arg(long)]
        json: bool,
    },
    /// Number of grids at each level of a package (default: the Wuzhong sample package).
    Stats {
        /// A grid package (GeoJSON FeatureCollection); default: the Wuzhong sample package.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print {level_1, level_2, level_3, total} as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    pub fn json(&self) -> bool {
        match self {
            Command::Locate { json, .. } | Command::Stats { json, .. } => *json,
        }
    }
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Locate { lat, lon, file, json } => locate(&load(file.as_deref())?, lat, lon, json),
        Command::Stats { file, json } => stats(&load(file.as_deref())?, json),
    }
}

/// The package at `file`, or the sample.
fn load(file: Option<&Path>) -> Result<GridIndex, Failure> {
    let Some(path) = file else {
        return Ok(sample::sample_index());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new("unreadable_file", format!("{}: {e}", path.display()), 1))?;
    GridIndex::from_geojson_str(&text).map_err(|e| {
        let failure = Failure::new("grid_package_rejected", format!("{}: {e}", path.display()), 2);
        match e.grid_id() {
            Some(id) => failure.with("grid_id", id),
            None => failure,
        }
    })
}

fn locate(index: &GridIndex, lat: f64, lon: f64, json: bool) -> Result<(), Failure> {
    if !lat.is_finite()
        || !lon.is_finite()
        || !(-90.0..=90.0).contains(&lat)
        || !(-180.0..=180.0).contains(&lon)
    {
        return Err(Failure::new(
            "invalid_argument",
            format!(
                "invalid position {lat}, {lon}: latitude must be within -90..=90 and longitude within -180..=180"
            ),
            2,
        ));
    }
    let chain: Vec<_> = index
        .locate(lat, lon)
        .map(|chain| chain.levels().to_vec())
        .unwrap_or_default();
    if json {
        print_json(
            &chain
                .iter()
                .map(|g| json!({"id": g.id, "level": g.level.number(), "name": g.name}))
                .collect::<Vec<_>>(),
        );
    } else if chain.is_empty() {
        out!("{lat}, {lon} lies in no grid");
    } else {
        for grid in chain {
            out!("{}  {}  {}", grid.level.number(), grid.id, grid.name);
        }
    }
    Ok(())
}

fn stats(index: &GridIndex, json: bool) -> Result<(), Failure> {
    let [towns, communities, basic] = index.counts();
    if json {
        print_json(&json!({
            "level_1": towns,
            "level_2": communities,
            "level_3": basic,
            "total": towns + communities + basic,
        }));
    } else {
        out!("level 1 (town/street 镇/街道):          {towns}");
        out!("level 2 (village/community 村/社区):    {communities}");
        out!("level 3 (basic grid 基础网格):          {basic}");
    }
    Ok(())
}

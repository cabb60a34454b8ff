//! `gridpatrol client --data DIR patrol …`: record a patrol from a script, one fix per call or
//! a whole GPX/CSV file, and read its figures.
//!
//! Owns the arguments and the output only. Recording, the fix filter, the figures and the file
//! readers are the core's (`track`, `track::import`). Each call opens the data directory, so
//! every fix is committed when the command exits (the client flushes on close).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use gridpatrol_core::Client;
use gridpatrol_core::capture::Reporter;
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::time::now_ms;
use gridpatrol_core::track::import::{self, FileFormat, ImportError, ImportOptions, Position, TimeWindow};
use gridpatrol_core::track::{PatrolFigures, PatrolStart, TrackConfig, TravelMode};
use serde_json::json;

use crate::core_error::core_failure;
use crate::{Failure, print_json};

/// Fixes handed to the core per durable batch during an import.
const IMPORT_BATCH: usize = 1_000;

#[derive(Subcommand)]
pub enum Command {
    /// Start a patrol (one open patrol per device)
    Start {
        /// The reporter's role.
        #[arg(long, value_parser = ["inspector", "volunteer", "grid_leader", "police_officer"])]
        role: String,
        /// The reporter's id on the platform.
        #[arg(long, value_name = "ID")]
        reporter: String,
        /// A basic (level 3) grid the reporter is assigned to; repeat for several.
        #[arg(long = "grid", value_name = "GRID_ID", required = true)]
        grids: Vec<String>,
        /// How the worker patrols (sets the speed that counts as an anomaly).
        #[arg(long, default_value = "walking", value_parser = ["walking", "cycling", "driving"])]
        mode: String,
        /// The interval the phone asks for fixes at, ms; a silence over 3× this is a gap.
        #[arg(long, value_name = "MS", default_value_t = 1_000)]
        interval_ms: u32,
        #[arg(long)]
        json: bool,
    },
    /// Feed one fix to the active patrol (or --patrol ID)
    Fix {
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        /// Horizontal accuracy in metres.
        #[arg(long, value_name = "M", default_value_t = 10.0, allow_negative_numbers = true)]
        accuracy: f64,
        /// When the fix was taken, Unix milliseconds; default now.
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
        time_ms: Option<i64>,
        /// The OS reported a mock-location provider (the fix is kept and flagged).
        #[arg(long)]
        mock: bool,
        #[arg(long, default_value = "gps", value_parser = ["gps", "network", "fused", "manual_pin"])]
        provider: String,
        /// The coordinate system of --lat/--lon.
        #[arg(long, default_value = "wgs84", value_parser = ["wgs84", "gcj02"])]
        datum: String,
        #[arg(long, value_name = "ID")]
        patrol: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Stop the active patrol (or --patrol ID)
    Stop {
        #[arg(long, value_name = "ID")]
        patrol: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The figures of the active patrol, else the last one (or --patrol ID)
    Show {
        #[arg(long, value_name = "ID")]
        patrol: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Feed the fixes of a GPX 1.1 or CSV file to the active patrol
    ///
    /// GPX: every trkpt with lat, lon and <time>; accuracy from an <accuracy> element (e.g. under
    /// <extensions>), else --accuracy. CSV: a header row naming the columns, in any order:
    /// time (RFC 3339) or time_ms (Unix ms), lat, lon (WGS-84), optional accuracy (m) and mock
    /// (true/false). The whole file is checked before the first fix is fed: a bad point refuses
    /// the file, with its line or track-point number, and nothing is stored.
    #[command(verbatim_doc_comment)]
    Import {
        /// The file; its format from the extension unless --format says.
        file: PathBuf,
        #[arg(long, value_parser = ["gpx", "csv"])]
        format: Option<String>,
        /// Accuracy in metres of points that carry none.
        #[arg(long, value_name = "M", default_value_t = 10.0)]
        accuracy: f64,
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    pub fn json(&self) -> bool {
        match self {
            Command::Start { json, .. }
            | Command::Fix { json, .. }
            | Command::Stop { json, .. }
            | Command::Show { json, .. }
            | Command::Import { json, .. } => *json,
        }
    }
}

pub fn run(client: &Client, data: &Path, command: Command) -> Result<(), Failure> {
    match command {
        Command::Start {
            role,
            reporter,
            grids,
            mode,
            interval_ms,
            json,
        } => start(client, data, &role, reporter, grids, &mode, interval_ms, json),
        Command::Fix {
            lat,
            lon,
            accuracy,
            time_ms,
            mock,
            provider,
            datum,
            patrol,
            json,
        } => {
            let provider = LocationProvider::parse(&provider).expect("clap allows only known providers");
            let datum = Datum::parse(&datum).expect("clap allows only known datums");
            let fix = LocationFix {
                lat,
                lon,
                accuracy_m: accuracy,
                fix_time_ms: time_ms.unwrap_or_else(now_ms),
                provider,
                is_mock: mock,
                datum,
            };
            self::fix(client, patrol, fix, json)
        }
        Command::Stop { patrol, json } => stop(client, patrol, json),
        Command::Show { patrol, json } => show(client, patrol, json),
        Command::Import {
            file,
            format,
            accuracy,
            json,
        } => import_file(client, &file, format.as_deref(), accuracy, json),
    }
}

fn no_active_patrol() -> Failure {
    Failure::new(
        ImportError::NoActivePatrol.code(),
        "no active patrol: gridpatrol client --data DIR patrol start",
        2,
    )
}

/// The patrol a call is about: the one named, else the open one.
fn target(client: &Client, patrol: Option<String>) -> Result<String, Failure> {
    match patrol {
        Some(id) => Ok(id),
        None => client
            .open_patrol()
            .map_err(core_failure)?
            .map(|p| p.id)
            .ok_or_else(no_active_patrol),
    }
}

#[allow(clippy::too_many_arguments)]
fn start(
    client: &Client,
    data: &Path,
    role: &str,
    reporter_id: String,
    grid_ids: Vec<String>,
    mode: &str,
    interval_ms: u32,
    json: bool,
) -> Result<(), Failure> {
    let role = Role::parse(role).expect("clap allows only known roles");
    let mode = TravelMode::parse(mode).expect("clap allows only known modes");
    crate::client::ensure_grids(client, data, json)?;
    let start = PatrolStart {
        reporter: Reporter {
            reporter_id,
            role,
            grid_ids,
        },
        mode,
        expected_interval_ms: interval_ms,
    };
    let patrol = client.patrol_start(start).map_err(core_failure)?;
    if json {
        print_json(&json!({"status": "started", "patrol": patrol}));
    } else {
        out!(
            "started patrol {} ({}, fixes every {} ms)",
            patrol.id,
            mode.as_str(),
            interval_ms
        );
    }
    Ok(())
}

fn fix(client: &Client, patrol: Option<String>, fix: LocationFix, json: bool) -> Result<(), Failure> {
    let id = target(client, patrol)?;
    let outcome = client.patrol_fix(&id, fix).map_err(core_failure)?;
    if json {
        print_json(&json!({
            "status": "ok",
            "patrol_id": id,
            "verdict": outcome.verdict,
            "seq": outcome.seq,
            "durable_points": outcome.durable_points,
        }));
    } else {
        let verdict = serde_json::to_value(outcome.verdict).expect("a verdict serializes");
        out!("fix {} on patrol {id}", verdict.as_str().unwrap_or("?"));
    }
    Ok(())
}

fn stop(client: &Client, patrol: Option<String>, json: bool) -> Result<(), Failure> {
    let id = target(client, patrol)?;
    let patrol = client.patrol_stop(&id).map_err(core_failure)?;
    if json {
        print_json(&json!({"status": "stopped", "patrol": patrol}));
    } else {
        out!("stopped patrol {} ({} fixes kept)", patrol.id, patrol.counts.kept);
    }
    Ok(())
}

fn show(client: &Client, patrol: Option<String>, json: bool) -> Result<(), Failure> {
    let figures = client.patrol_figures(patrol).map_err(core_failure)?;
    if json {
        print_json(&figures);
    } else {
        print_figures(&figures);
    }
    Ok(())
}

fn print_figures(f: &PatrolFigures) {
    out!(
        "patrol {} ({})",
        f.patrol_id,
        serde_json::to_value(f.state).expect("serializes")
    );
    out!(
        "  distance        {:.0} m over {} points in {} segment(s)",
        f.distance_m,
        f.points,
        f.segments
    );
    out!("  moving/stopped  {:.0} s / {:.0} s", f.moving_s, f.stopped_s);
    out!("  gaps            {} ({:.0} s)", f.gaps.len(), f.gap_s);
    for gap in &f.gaps {
        out!("    {:.0} s from {} to {}", gap.seconds, gap.start_ms, gap.end_ms);
    }
    for coverage in &f.coverage {
        match coverage.share {
            Some(share) => out!(
                "  coverage        {:.1} % of grid {}",
                share * 100.0,
                coverage.grid_id
            ),
            None => out!(
                "  coverage        grid {} is not in the grid package",
                coverage.grid_id
            ),
        }
    }
    if let Some(outside) = f.outside_own_grids_s {
        out!("  outside own     {outside:.0} s");
    }
    out!("  speed anomalies {}", f.speed_anomalies.len());
    out!(
        "  fixes           {} kept ({} mock); refused: {} accuracy, {} jump, {} duplicate, {} out of order, {} while paused",
        f.counts.kept,
        f.counts.mock,
        f.counts.accuracy,
        f.counts.jump,
        f.counts.duplicate,
        f.counts.out_of_order,
        f.counts.while_paused
    );
    out!("  reports         {}", f.linked_reports.len());
}

/// An import refusal as a CLI failure: its code, and where in the file (never what was there).
fn import_failure(error: ImportError) -> Failure {
    let message = error.to_string();
    let code = error.code();
    let position = error.position();
    let mut failure = match error {
        ImportError::Feed { fed, source } => core_failure(source).with("fed", fed),
        ImportError::Io(_) => Failure::new(code, message, 1),
        _ => Failure::new(code, message, 2),
    };
    match position {
        Some(Position::Line(line)) => failure = failure.with("line", line),
        Some(Position::TrackPoint { number, byte }) => {
            failure = failure.with("point", number).with("byte", byte);
        }
        Some(Position::Byte(byte)) => failure = failure.with("byte", byte),
        None => {}
    }
    failure
}

fn open_file(path: &Path) -> Result<BufReader<File>, Failure> {
    File::open(path).map(BufReader::new).map_err(|e| {
        Failure::new("unreadable_file", format!("{}: {e}", path.display()), 1)
            .with("path", path.display().to_string())
    })
}

/// Checks the whole file, then feeds it in batches (see `track::import`'s module doc).
fn import_file(
    client: &Client,
    path: &Path,
    format: Option<&str>,
    default_accuracy_m: f64,
    json: bool,
) -> Result<(), Failure> {
    let format = match format {
        Some("gpx") => FileFormat::Gpx,
        Some(_) => FileFormat::Csv,
        None => FileFormat::from_extension(path).ok_or_else(|| {
            Failure::new(
                "bad_argument",
                "the file is neither .gpx nor .csv: say --format",
                2,
            )
        })?,
    };
    let patrol = client
        .open_patrol()
        .map_err(core_failure)?
        .ok_or_else(no_active_patrol)?;
    let options = ImportOptions {
        format,
        default_accuracy_m,
    };
    let window = TimeWindow {
        started_at_ms: patrol.started_at_ms,
        now_ms: now_ms(),
        future_tolerance_ms: TrackConfig::default().future_tolerance_ms,
    };
    import::check(open_file(path)?, options, window).map_err(import_failure)?;
    let summary = import::feed(open_file(path)?, options, IMPORT_BATCH, |fixes| {
        client.patrol_fixes(&patrol.id, fixes)
    })
    .map_err(import_failure)?;
    if json {
        print_json(&json!({
            "status": "imported",
            "patrol_id": patrol.id,
            "points_read": summary.points_read,
            "batches": summary.batches,
            "counts": summary.counts,
            "durable_points": summary.durable_points,
        }));
    } else {
        out!(
            "imported {} points into patrol {} in {} batch(es): {} kept",
            summary.points_read,
            patrol.id,
            summary.batches,
            summary.counts.kept
        );
    }
    Ok(())
}

//! `gridpatrol client …`: the field client on a data directory, driven from scripts.
//!
//! Does what the capture screen does, one flag per step, through the same `Client` API the apps
//! use: open the data directory, create a draft, set its event, fix, photos and attributes,
//! and submit it into the outbox. Validation is the core's; this module only turns arguments
//! into calls and outcomes into text or JSON.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use gridpatrol_core::capture::{
    Finding, OutboxEntry, PhotoKind, Reporter, SubmitOutcome, ValidationReport, WarningResponse,
};
use gridpatrol_core::grid::sample;
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::{Client, Error};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::core_error::core_failure;
use crate::{Failure, print_json};

#[derive(clap::Args)]
pub struct Args {
    /// The data directory (store, photos, installed packages), as on the phone; created on
    /// first use.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Capture one report and submit it into the outbox
    ///
    /// Creates a draft, applies every option as the capture screen would, validates it against
    /// the event list in force and submits it. If the data directory has no grid package yet,
    /// the Wuzhong sample package is installed first (the development default).
    ///
    /// Outcomes:
    ///   submitted  the report is in the outbox (exit 0);
    ///   invalid    validation errors, or warnings neither acknowledged (--ack-warnings) nor
    ///              overridden (--override-reason): nothing is submitted, each finding is
    ///              printed with its code and its message in Chinese and English, and the
    ///              draft stays on the device under the printed id, as it would for a worker
    ///              to fix and resubmit (exit 2);
    ///   error      a bad argument, an unknown code, an unreadable or refused photo: a code
    ///              and a message, no draft is kept (exit 2 for bad input, 1 otherwise).
    #[command(verbatim_doc_comment)]
    Capture(Box<CaptureArgs>),
    /// The outbox: submitted reports waiting to be sent, oldest first.
    Queue {
        /// Print a JSON array of the outbox entries instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Enroll this device with a platform (for development: `gridpatrol serve`)
    Enroll {
        /// The platform's base URL, e.g. http://127.0.0.1:8080
        #[arg(long)]
        platform: String,
        /// The enrollment code: a worker's one-time code from the admin (POST /v1/admin/workers),
        /// or the development code of `gridpatrol serve`.
        #[arg(long)]
        code: String,
        /// How the platform labels this device.
        #[arg(long, default_value = "gridpatrol cli")]
        device_name: String,
        /// A pinned key, `sha256/<base64 of the certificate's SubjectPublicKeyInfo>` (repeat for
        /// a backup key); stored with the platform and checked by every later `sync`.
        #[arg(long = "tls-pin")]
        tls_pins: Vec<String>,
        /// A PEM file of the private CA that issued the platform's certificate (instead of the
        /// system's trust store).
        #[arg(long)]
        tls_ca: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Patrols: start, feed fixes (one, or a GPX/CSV file), stop, show the figures
    Patrol {
        #[command(subcommand)]
        command: crate::patrol::Command,
    },
    /// Deliver the outbox to the enrolled platform: photos, then each report, exactly once
    Sync {
        /// Stop after this many seconds even if reports are still waiting (they stay queued).
        #[arg(long, default_value_t = 60)]
        deadline_s: u64,
        /// Print {"delivered","pending","parked",...} as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct CaptureArgs {
    /// The reporter's role.
    #[arg(long, value_parser = ["inspector", "volunteer", "grid_leader", "police_officer"])]
    role: String,
    /// The reporter's id on the platform.
    #[arg(long, value_name = "ID")]
    reporter: String,
    /// A basic (level 3) grid the reporter is assigned to; repeat for several.
    #[arg(long = "grid", value_name = "GRID_ID", required = true)]
    grids: Vec<String>,
    /// The subtype (细类) code, e.g. 04-001.
    #[arg(long, value_name = "CODE")]
    subtype: String,
    /// The problem code under the subtype, e.g. 04-001-01.
    #[arg(long, value_name = "CODE")]
    problem: String,
    /// Latitude of the fix, decimal degrees in --datum.
    #[arg(long, allow_negative_numbers = true)]
    lat: f64,
    /// Longitude of the fix, decimal degrees in --datum.
    #[arg(long, allow_negative_numbers = true)]
    lon: f64,
    /// Horizontal accuracy of the fix in metres, as the phone reports it.
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    accuracy: f64,
    /// When the fix was taken, RFC 3339 (e.g. 2026-11-23T09:30:00+08:00).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time_ms)]
    fix_time: i64,
    /// Where the fix came from.
    #[arg(long, default_value = "gps", value_parser = ["gps", "network", "fused", "manual_pin"])]
    provider: String,
    /// The coordinate system of --lat/--lon (gcj02: a pin on AMap or Tencent Maps).
    #[arg(long, default_value = "wgs84", value_parser = ["wgs84", "gcj02"])]
    datum: String,
    /// The OS reported the fix as coming from a mock-location provider.
    #[arg(long)]
    mock: bool,
    /// A photo of the problem (JPEG or PNG); repeat for several.
    #[arg(long = "photo", value_name = "PATH")]
    photos: Vec<PathBuf>,
    /// A photo taken after the problem was dealt with on the spot; repeat for several.
    #[arg(long = "after-photo", value_name = "PATH")]
    after_photos: Vec<PathBuf>,
    /// An attribute of the subtype as code=value (choices by key, multi-choices comma-separated,
    /// datetimes in RFC 3339); repeat for several.
    #[arg(long = "attr", value_name = "CODE=VALUE", value_parser = parse_attribute)]
    attributes: Vec<(String, String)>,
    /// Free-text description.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    /// The component's (部件) number, e.g. as printed on the lamp post or manhole cover.
    #[arg(long, value_name = "ID")]
    component: Option<String>,
    /// The problem was dealt with on the spot (needs an --after-photo where the subtype says so).
    #[arg(long)]
    disposed_on_spot: bool,
    /// When capture started, RFC 3339; default now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time_ms)]
    captured_at: Option<i64>,
    /// Acknowledge every warning validation raises.
    #[arg(long)]
    ack_warnings: bool,
    /// Override every warning with this reason (stored with the report).
    #[arg(long, value_name = "TEXT")]
    override_reason: Option<String>,
    /// Print one JSON object: the outcome, or the error with its code.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub fn json(&self) -> bool {
        match &self.command {
            Command::Capture(capture) => capture.json,
            Command::Queue { json } => *json,
            Command::Enroll { json, .. } | Command::Sync { json, .. } => *json,
            Command::Patrol { command } => command.json(),
        }
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    match args.command {
        Command::Capture(capture) => self::capture(&args.data, &capture),
        Command::Queue { json } => queue(&open(&args.data)?, json),
        Command::Enroll {
            platform,
            code,
            device_name,
            tls_pins,
            tls_ca,
            json,
        } => {
            let tls = crate::sync_cmd::tls_trust(tls_pins, tls_ca.as_deref())?;
            crate::sync_cmd::enroll(open(&args.data)?, &platform, tls, &code, &device_name, json)
        }
        Command::Sync { deadline_s, json } => crate::sync_cmd::sync(open(&args.data)?, deadline_s, json),
        Command::Patrol { command } => crate::patrol::run(&open(&args.data)?, &args.data, command),
    }
}

/// Opens the data directory; a damaged side file set aside at open is a warning on stderr (the
/// command goes on, without own-grid checks), with its code.
fn open(data: &Path) -> Result<Client, Failure> {
    let client = Client::open(data).map_err(core_failure)?;
    for damage in client.side_file_damage() {
        eprintln!("warning [{}]: {damage}; grid checks are off", damage.code());
    }
    Ok(client)
}

fn parse_time_ms(text: &str) -> Result<i64, String> {
    let at = OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time like 2026-11-23T09:30:00+08:00 ({e})"))?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| "out of range".to_owned())
}

fn parse_attribute(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((code, value)) if !code.trim().is_empty() => Ok((code.trim().to_owned(), value.to_owned())),
        _ => Err("expected CODE=VALUE, e.g. cover_state=missing".to_owned()),
    }
}

fn bad_argument(message: String) -> Failure {
    Failure::new("bad_argument", message, 2)
}

/// Reads a photo through the core's bounded reader: a file over the input limit (or a device
/// such as `/dev/zero`) is refused at the limit without being read whole.
fn read_photo(client: &Client, path: &Path) -> Result<Vec<u8>, Failure> {
    use gridpatrol_core::media::{MediaError, read_photo_file};
    read_photo_file(path, client.photos().config()).map_err(|e| match e {
        MediaError::Io(io) => Failure::new("unreadable_file", format!("{}: {io}", path.display()), 1)
            .with("path", path.display().to_string()),
        refused => core_failure(Error::Photo(refused)).with("path", path.display().to_string()),
    })
}

/// Runs every photo through the pipeline in memory, one at a time, before anything is written:
/// a refused photo (the second of three, say) then leaves no draft and no files of the others
/// behind. Costs a second pass over each photo, which a scripted capture can afford.
fn check_photos(client: &Client, photos: &[(&Path, PhotoKind)]) -> Result<(), Failure> {
    for (path, _) in photos {
        let bytes = read_photo(client, path)?;
        gridpatrol_core::media::process(&bytes, client.photos().config())
            .map_err(|e| core_failure(Error::Photo(e)).with("path", path.display().to_string()))?;
    }
    Ok(())
}

/// A data directory without a grid package gets the Wuzhong sample (the development default),
/// said on stderr unless the output is JSON.
pub fn ensure_grids(client: &Client, data: &Path, json: bool) -> Result<(), Failure> {
    if client.has_grids() {
        return Ok(());
    }
    let counts = client
        .install_grid_package(&sample::sample_package())
        .map_err(core_failure)?;
    if !json {
        eprintln!(
            "note: {} had no grid package; installed the Wuzhong sample ({} / {} / {} grids at levels 1 / 2 / 3)",
            data.display(),
            counts[0],
            counts[1],
            counts[2]
        );
    }
    Ok(())
}

fn capture(data: &Path, args: &CaptureArgs) -> Result<(), Failure> {
    let role =
        Role::parse(&args.role).ok_or_else(|| bad_argument(format!("unknown role {:?}", args.role)))?;
    let provider = LocationProvider::parse(&args.provider)
        .ok_or_else(|| bad_argument(format!("unknown provider {:?}", args.provider)))?;
    let datum =
        Datum::parse(&args.datum).ok_or_else(|| bad_argument(format!("unknown datum {:?}", args.datum)))?;
    let photos: Vec<(&Path, PhotoKind)> = [
        (&args.photos, PhotoKind::Evidence),
        (&args.after_photos, PhotoKind::After),
    ]
    .into_iter()
    .flat_map(|(paths, kind)| paths.iter().map(move |p| (p.as_path(), kind)))
    .collect();

    let client = open(data)?;
    // Every photo is read and checked before anything is written, so a typo in a path or a
    // refused photo leaves no draft and no photo files behind.
    check_photos(&client, &photos)?;
    ensure_grids(&client, data, args.json)?;
    let reporter = Reporter {
        reporter_id: args.reporter.clone(),
        role,
        grid_ids: args.grids.clone(),
    };
    let draft = client
        .create_draft(reporter, args.captured_at)
        .map_err(core_failure)?;
    let fix = LocationFix {
        lat: args.lat,
        lon: args.lon,
        accuracy_m: args.accuracy,
        fix_time_ms: args.fix_time,
        provider,
        is_mock: args.mock,
        datum,
    };
    let outcome = fill(&client, &draft.id, args, fix, &photos).and_then(|()| {
        let acknowledged = if args.ack_warnings {
            let report = client.validate_draft(&draft.id).map_err(core_failure)?;
            report.warnings.into_iter().map(|w| w.code).collect()
        } else {
            Vec::new()
        };
        let response = WarningResponse {
            acknowledged,
            override_reason: args.override_reason.clone(),
        };
        client.submit(&draft.id, response).map_err(core_failure)
    });
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(failure) => {
            // A draft the arguments could not even be applied to is of no use to anyone.
            let _ = client.discard_draft(&draft.id);
            return Err(failure);
        }
    };
    match outcome {
        SubmitOutcome::Submitted { report_id } => {
            if args.json {
                print_json(&json!({"status": "submitted", "report_id": report_id}));
            } else {
                out!("submitted report {report_id}: in the outbox, sent when the device is online");
            }
            Ok(())
        }
        SubmitOutcome::Rejected { report } => {
            if args.json {
                print_json(&json!({
                    "status": "invalid",
                    "report_id": draft.id,
                    "errors": findings_json(&report.errors),
                    "warnings": findings_json(&report.warnings),
                }));
            } else {
                print_rejection(&draft.id, &report, args);
            }
            Err(Failure::reported("invalid", 2))
        }
    }
}

/// Applies the arguments to the draft, one `Client` call per step, as the capture screen does.
fn fill(
    client: &Client,
    id: &str,
    args: &CaptureArgs,
    fix: LocationFix,
    photos: &[(&Path, PhotoKind)],
) -> Result<(), Failure> {
    client
        .set_event(id, Some(args.subtype.clone()), Some(args.problem.clone()))
        .map_err(core_failure)?;
    client.set_location(id, fix).map_err(core_failure)?;
    // One photo in memory at a time.
    for (path, kind) in photos {
        let bytes = read_photo(client, path)?;
        client
            .add_photo(id, &bytes, *kind)
            .map_err(|e| core_failure(e).with("path", path.display().to_string()))?;
    }
    for (code, value) in &args.attributes {
        client.set_attribute(id, code, value).map_err(core_failure)?;
    }
    if let Some(text) = &args.description {
        client.set_description(id, text).map_err(core_failure)?;
    }
    if let Some(component) = &args.component {
        client
            .set_component(id, Some(component.clone()))
            .map_err(core_failure)?;
    }
    if args.disposed_on_spot {
        client.set_disposed_on_spot(id, true).map_err(core_failure)?;
    }
    Ok(())
}

fn findings_json(findings: &[Finding]) -> Vec<serde_json::Value> {
    findings
        .iter()
        .map(|f| json!({"code": f.code, "field": f.field, "message_zh": f.message_zh, "message_en": f.message_en}))
        .collect()
}

fn print_rejection(draft_id: &str, report: &ValidationReport, args: &CaptureArgs) {
    out!("not submitted 未提交; the draft stays on this device as {draft_id}");
    for (label, findings) in [("error 错误", &report.errors), ("warning 提示", &report.warnings)] {
        for finding in findings {
            out!("  {label} [{}] ({})", finding.code, finding.field);
            out!("    {}", finding.message_zh);
            out!("    {}", finding.message_en);
        }
    }
    if report.errors.is_empty() && !args.ack_warnings {
        out!("  every warning needs an answer: --ack-warnings, or --override-reason TEXT");
    }
}

fn queue(client: &Client, json: bool) -> Result<(), Failure> {
    let entries = client.queue().map_err(core_failure)?;
    if json {
        print_json(&entries);
        return Ok(());
    }
    if entries.is_empty() {
        out!("the outbox is empty");
        return Ok(());
    }
    out!(
        "{:<36}  {:<9}  {:>8}  {:>6}  {:<25}  {:<6}  problem",
        "report_id",
        "state",
        "attempts",
        "photos",
        "enqueued_at",
        "subtype"
    );
    for entry in &entries {
        print_entry(entry);
    }
    out!("{} report(s)", entries.len());
    Ok(())
}

fn print_entry(entry: &OutboxEntry) {
    let enqueued = OffsetDateTime::from_unix_timestamp_nanos(i128::from(entry.enqueued_at_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| entry.enqueued_at_ms.to_string());
    out!(
        "{:<36}  {:<9}  {:>8}  {:>6}  {:<25}  {:<6}  {}",
        entry.report_id,
        entry.state.as_str(),
        entry.attempts,
        entry.photos,
        enqueued,
        entry.subtype,
        entry.problem
    );
    if let Some(reason) = &entry.parked_reason {
        out!("    parked: {reason}");
    }
}

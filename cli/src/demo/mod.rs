//! `gridpatrol demo`: a patrol day, end to end, on this machine.
//!
//! The scenario: a reference platform in-process on 127.0.0.1, several inspectors and
//! volunteers (each a device with its own data directory) capturing reports over the sample
//! grids with real JPEG photos made here, some reports wrong in the ways field reports go wrong
//! and caught on the device, an offline window while the outboxes fill, then reconnection with
//! injected network faults while every device drains its queue. Everything it does goes through
//! the same public API an app uses; the summary comes from the devices' queues and the
//! platform's own counters.
//!
//! This module owns the arguments and the day as a sequence of named steps, the platform's
//! start, and the narration (quiet under `--json`). It does not own the steps' work: the workers
//! and their captures are [`crew`], going back online is [`drain`], the figures and the JSON
//! are [`summary`], the photos' pixels are [`photo`], the inspectors' patrols are [`walk`].

mod crew;
mod drain;
mod photo;
mod summary;
mod walk;

use std::fmt::Display;
use std::path::{Path, PathBuf};

use clap::Parser;
use gridpatrol_platform::{Config, Platform, ShutdownHandle};
use indicatif::ProgressStyle;

use crate::Failure;
use summary::Summary;

#[derive(Parser)]
pub struct Args {
    /// Reports the workers try to file during the day (some are wrong and stay on the device).
    #[arg(long, default_value_t = 60)]
    reports: u32,
    /// Share of requests the network/platform fails after reconnection (0.0–0.9).
    #[arg(long, default_value_t = 0.3)]
    fault_rate: f64,
    /// Seed of the day's events and of the faults: the same seed, the same day.
    #[arg(long, default_value_t = 20_261_123)]
    seed: u64,
    /// Keep the devices' and the platform's data in this directory instead of a temporary one.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// Print only the summary, as one JSON object.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub fn json(&self) -> bool {
        self.json
    }
}

/// The code the platform is configured with and every phone enrols with.
const ENROLLMENT_CODE: &str = "WZ-DEMO-2026";

pub fn run(args: Args) -> Result<(), Failure> {
    if !(0.0..=0.9).contains(&args.fault_rate) {
        return Err(Failure::new(
            "bad_argument",
            "--fault-rate must be within 0.0..=0.9",
            2,
        ));
    }
    let temp;
    let root = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir().map_err(|e| Failure::new("storage", e.to_string(), 1))?;
            temp.path().to_path_buf()
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("internal", e.to_string(), 1))?;
    runtime.block_on(day(args, root))
}

/// The day, hour by hour.
async fn day(args: Args, root: PathBuf) -> Result<(), Failure> {
    let narrator = Narrator { quiet: args.json };
    // Seeded: the same seed, the same day (which workers, events, mistakes and fixes).
    let mut dice = fastrand::Rng::with_seed(args.seed);
    let grids = gridpatrol_core::grid::sample::sample_package();

    // 07:30 — the command platform is up.
    let command = CommandPlatform::start(&root, &grids, &narrator).await?;

    // 08:00 — workers start their day: each phone opens its data, gets the grids, enrols.
    let mut workers = crew::enrol(&root, &grids, &command.url).await?;
    narrator.say(format!(
        "devices   {} phones enrolled (3 inspectors, 1 grid leader, 2 volunteers)",
        workers.len()
    ));

    let mut summary = Summary::new(workers.len(), args.fault_rate);
    // 08:30 — the inspectors start their patrols at the station, in signal (the first fix
    // reaches the command centre's map), and walk their blocks; the tracks wait on the phones.
    let walked = walk::patrols(&workers, &command.platform, &mut summary, &narrator).await?;

    // 09:00–17:00 — patrol. The signal is gone (basements, old lanes): nothing syncs.
    narrator.say("offline   no signal: every report and track waits in its phone's outbox");
    let capturing = crew::patrol(&mut workers, args.reports, &mut dice, &mut summary, &narrator)?;
    summary.say_captured(capturing, &narrator);

    // 17:30 — back in signal, on a bad network: a share of requests fail in every way.
    let network = drain::BadNetwork {
        fault_rate: args.fault_rate,
        seed: args.seed,
    };
    drain::reconnect(&command.platform, &workers, network, &narrator, &mut summary).await?;

    summary.tracks_delivered_exactly_once =
        walk::delivered_exactly_once(&walked, &workers, &command.platform)?;
    summary.read_queues(&workers)?;
    summary.read_platform(&command.platform)?;
    summary.print(args.json);
    summary.verdict()
}

/// The reference platform serving on a local port for as long as this lives.
struct CommandPlatform {
    platform: Platform,
    url: String,
    /// Dropping it stops the server, so it is held for the whole day.
    _server: ShutdownHandle,
}

impl CommandPlatform {
    async fn start(root: &Path, grids: &str, narrator: &Narrator) -> Result<Self, Failure> {
        let mut config = Config::new(ENROLLMENT_CODE, "demo-admin-token");
        config.grid_package = Some(grids.to_string());
        let platform =
            Platform::open(root.join("platform"), config).map_err(|e| fail("platform")(e.to_string()))?;
        let (addr, server) = platform
            .spawn("127.0.0.1:0".parse().expect("a literal socket address"))
            .await
            .map_err(|e| fail("platform")(e.to_string()))?;
        let url = format!("http://{addr}");
        narrator.say(format!(
            "platform  listening on {url} (reference platform, in-process)"
        ));
        Ok(Self {
            platform,
            url,
            _server: server,
        })
    }
}

/// Prints the day's running commentary, or nothing when only the JSON summary is wanted.
struct Narrator {
    quiet: bool,
}

impl Narrator {
    fn say(&self, line: impl Display) {
        if !self.quiet {
            out!("{line}");
        }
    }
}

fn fail(code: &'static str) -> impl Fn(String) -> Failure {
    move |message| Failure::new(code, message, 1)
}

/// The look of every progress bar in the demo; `template` says what it shows.
fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("a valid progress template")
        .progress_chars("=> ")
}

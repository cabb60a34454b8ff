//! `gridpatrol demo`: a patrol day, end to end, on this machine.
//!
//! Owns the scenario only: a reference platform in-process on 127.0.0.1, several inspectors and
//! volunteers (each a device with its own data directory) capturing reports over the sample
//! grids with real JPEG photos made here, some reports wrong in the ways field reports go wrong
//! and caught on the device, an offline window while the outboxes fill, then reconnection with
//! injected network faults while every device drains its queue. Everything it does goes through
//! the same public API an app uses; the summary comes from the devices' queues and the
//! platform's own counters.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use gridpatrol_core::Client;
use gridpatrol_core::capture::{PhotoKind, Reporter, SubmitOutcome, WarningResponse};
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::sync::{SyncConfig, SyncEngine, SyncEvent, SyncListener, SyncProgress};
use gridpatrol_core::taxonomy::{Datatype, OwnGridPolicy, Role, Subtype};
use gridpatrol_platform::{Config, FaultConfig, Platform};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::{Failure, print_json};

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

/// The day's outcome; `--json` prints it.
#[derive(Debug, Default, Serialize)]
struct Summary {
    captured: u32,
    rejected_on_device: u32,
    rejected_by_reason: BTreeMap<String, u32>,
    submitted: u32,
    delivered: i32,
    platform_reports: i64,
    duplicates: i64,
    pending: i32,
    parked: i32,
    retries: i32,
    bytes_sent: i64,
    photos_on_platform: i64,
    devices: u32,
    faults_injected_rate: f64,
    /// From reconnection to every queue empty (or the time limit).
    seconds: f64,
}

/// A small deterministic generator: the demo must be the same day for the same seed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

struct Worker {
    name: &'static str,
    reporter: Reporter,
    /// A point inside the worker's own basic grid.
    home: (f64, f64),
    client: Arc<Client>,
    engine: Arc<SyncEngine>,
    submitted: u32,
}

/// What goes wrong in the field, caught on the device.
#[derive(Clone, Copy)]
enum Mistake {
    NoPhoto,
    PoorFix,
    WrongGrid,
    VolunteerFilesPoliceElement,
    MockLocation,
}

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

fn fail(code: &'static str) -> impl Fn(String) -> Failure {
    move |message| Failure::new(code, message, 1)
}

async fn day(args: Args, root: PathBuf) -> Result<(), Failure> {
    let say = |line: String| {
        if !args.json {
            out!("{line}");
        }
    };
    let mut dice = Dice(args.seed);
    let grids = gridpatrol_core::grid::sample::sample_package();

    // 07:30 — the command platform is up.
    let mut config = Config::new(ENROLLMENT_CODE, "demo-admin-token");
    config.grid_package = Some(grids.clone());
    let platform =
        Platform::open(root.join("platform"), config).map_err(|e| fail("platform")(e.to_string()))?;
    let (addr, _server) = platform
        .spawn("127.0.0.1:0".parse().expect("a literal socket address"))
        .await
        .map_err(|e| fail("platform")(e.to_string()))?;
    let url = format!("http://{addr}");
    say(format!(
        "platform  listening on {url} (reference platform, in-process)"
    ));

    // 08:00 — workers start their day: each phone opens its data, gets the grids, enrols.
    let crew: [(&str, Role, (f64, f64)); 6] = [
        ("inspector 1", Role::Inspector, (31.2712, 120.6187)),
        ("inspector 2", Role::Inspector, (31.2190, 120.5620)),
        ("inspector 3", Role::Inspector, (31.1630, 120.6410)),
        ("grid leader", Role::GridLeader, (31.2405, 120.6655)),
        ("volunteer 1", Role::Volunteer, (31.2702, 120.6215)),
        ("volunteer 2", Role::Volunteer, (31.1905, 120.5905)),
    ];
    let mut workers = Vec::new();
    for (i, (name, role, home)) in crew.into_iter().enumerate() {
        let client =
            Client::open(root.join(format!("device-{i}"))).map_err(|e| fail("storage")(e.to_string()))?;
        client
            .install_grid_package(&grids)
            .map_err(|e| fail("grid_package_rejected")(e.to_string()))?;
        let chain = client.locate(home.0, home.1);
        let own = chain
            .last()
            .map(|g| g.id.clone())
            .ok_or_else(|| fail("internal")(format!("{name}'s home is in no grid")))?;
        let client = Arc::new(client);
        // A compressed day: retries wait at most 2 s (phones default to minutes, to spare the
        // battery), so the demo shows the queue draining instead of a phone waiting.
        let mut sync_config = SyncConfig::new(url.clone());
        sync_config.backoff_base_ms = 100;
        sync_config.backoff_max_ms = 2_000;
        let engine = SyncEngine::new(client.clone(), sync_config).map_err(|e| fail("sync")(e.to_string()))?;
        engine
            .enroll(ENROLLMENT_CODE, &format!("demo phone {i}"))
            .await
            .map_err(|e| fail("enrollment")(e.to_string()))?;
        let reporter = Reporter {
            reporter_id: format!("wz-demo-{i:02}"),
            role,
            grid_ids: vec![own],
        };
        workers.push(Worker {
            name,
            reporter,
            home,
            client,
            engine,
            submitted: 0,
        });
    }
    say(format!(
        "devices   {} phones enrolled (3 inspectors, 1 grid leader, 2 volunteers)",
        workers.len()
    ));

    // 09:00–17:00 — patrol. The signal is gone (basements, old lanes): nothing syncs.
    say("offline   no signal: every report waits in its phone's outbox".to_string());
    let mut summary = Summary {
        devices: workers.len() as u32,
        faults_injected_rate: args.fault_rate,
        ..Summary::default()
    };
    let capture_bar = bar(&args, u64::from(args.reports), "capturing");
    let list = workers[0].client.event_list();
    let started = Instant::now();
    for n in 0..args.reports {
        let w = dice.below(workers.len());
        let mistake = if dice.chance(0.2) {
            Some(
                [
                    Mistake::NoPhoto,
                    Mistake::PoorFix,
                    Mistake::WrongGrid,
                    Mistake::VolunteerFilesPoliceElement,
                    Mistake::MockLocation,
                ][dice.below(5)],
            )
        } else {
            None
        };
        let outcome = capture_one(&workers, w, mistake, n, &list, &mut dice).map_err(fail("capture"))?;
        summary.captured += 1;
        match outcome {
            Captured::Submitted => {
                summary.submitted += 1;
                workers[w].submitted += 1;
            }
            Captured::Rejected(code) => {
                summary.rejected_on_device += 1;
                *summary.rejected_by_reason.entry(code).or_default() += 1;
            }
        }
        capture_bar.inc(1);
    }
    capture_bar.finish_and_clear();
    say(format!(
        "captured  {} reports in {:.1} s: {} in the outboxes, {} caught on the device",
        summary.captured,
        started.elapsed().as_secs_f64(),
        summary.submitted,
        summary.rejected_on_device
    ));
    for (code, count) in &summary.rejected_by_reason {
        say(format!("          ✗ {count:>3}  {code}  {}", explain(code)));
    }

    // 17:30 — back in signal, on a bad network: a share of requests fail in every way.
    platform.set_fault(Some(FaultConfig::new(args.fault_rate, args.seed)));
    say(format!(
        "online    signal is back; {:.0} % of requests fail (resets, timeouts, 5xx, 429, lost answers)",
        args.fault_rate * 100.0
    ));
    let multi = if args.json {
        MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
    } else {
        MultiProgress::new()
    };
    let reconnect = Instant::now();
    let mut tasks = Vec::new();
    for worker in &workers {
        let bar = multi.add(ProgressBar::new(u64::from(worker.submitted)));
        bar.set_style(style());
        bar.set_message(worker.name);
        worker
            .engine
            .set_listener(Some(Arc::new(BarListener(bar.clone()))));
        let engine = worker.engine.clone();
        tasks.push(tokio::spawn(async move {
            let limit = Instant::now() + Duration::from_secs(120);
            let mut retries = 0;
            let mut bytes = 0;
            loop {
                let outcome = engine.sync_now(Duration::from_secs(15)).await;
                if let Ok(run) = &outcome {
                    retries += run.retries;
                    bytes += run.bytes_sent;
                    if run.pending == 0 {
                        break;
                    }
                }
                if Instant::now() > limit {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            bar.finish();
            (retries, bytes)
        }));
    }
    for task in tasks {
        let (retries, bytes) = task.await.map_err(|e| fail("internal")(e.to_string()))?;
        summary.retries += retries;
        summary.bytes_sent += bytes;
    }
    summary.seconds = reconnect.elapsed().as_secs_f64();
    multi.clear().ok();
    platform.set_fault(None);

    for worker in &workers {
        let health = worker
            .engine
            .queue_health()
            .map_err(|e| fail("storage")(e.to_string()))?;
        summary.pending += health.pending;
        summary.parked += health.parked.len() as i32;
        summary.delivered += health.delivered;
    }
    let stats = platform.stats().map_err(fail("platform"))?;
    summary.platform_reports = stats.reports;
    summary.duplicates = stats.duplicates_refused;
    summary.photos_on_platform = stats.photos;

    if args.json {
        print_json(&summary);
    } else {
        out!(
            "\n── the day in numbers ──────────────────────────────────────────\n\
             captured on patrol          {:>6}\n\
             caught on the device        {:>6}   (never sent; the worker fixes them)\n\
             submitted to the outbox     {:>6}\n\
             delivered                   {:>6}\n\
             on the platform             {:>6}   reports, {} photos\n\
             duplicates refused          {:>6}   (retried uploads answered idempotently)\n\
             still pending / parked      {:>6} / {}\n\
             retries                     {:>6}\n\
             bytes sent                  {:>6.1} MB\n\
             reconnect → empty queues    {:>6.1} s",
            summary.captured,
            summary.rejected_on_device,
            summary.submitted,
            summary.delivered,
            summary.platform_reports,
            summary.photos_on_platform,
            summary.duplicates,
            summary.pending,
            summary.parked,
            summary.retries,
            summary.bytes_sent as f64 / 1e6,
            summary.seconds
        );
        let exactly_once = summary.platform_reports == i64::from(summary.submitted) && summary.pending == 0;
        out!(
            "{}",
            if exactly_once {
                "every submitted report arrived exactly once."
            } else {
                "NOT every submitted report arrived: see pending / parked above."
            }
        );
    }
    if summary.pending > 0 || summary.platform_reports != i64::from(summary.delivered) {
        return Err(Failure::reported("not_drained", 1));
    }
    Ok(())
}

/// Which subtypes a capture may pick.
type SubtypeFilter = Box<dyn Fn(&Subtype) -> bool>;

enum Captured {
    Submitted,
    /// The first error's code.
    Rejected(String),
}

/// One worker captures one report, right or with `mistake`, and taps submit.
fn capture_one(
    workers: &[Worker],
    w: usize,
    mistake: Option<Mistake>,
    n: u32,
    list: &gridpatrol_core::taxonomy::EventList,
    dice: &mut Dice,
) -> Result<Captured, String> {
    let err = |e: gridpatrol_core::Error| e.to_string();
    let worker = &workers[w];
    let role = worker.reporter.role;
    // Police elements are filed by the volunteer who should not (the mistake), else by no one
    // who may not; other mistakes need a subtype where they matter.
    let (reporter, fits): (Reporter, SubtypeFilter) = match mistake {
        Some(Mistake::VolunteerFilesPoliceElement) => {
            let volunteer = workers
                .iter()
                .find(|x| x.reporter.role == Role::Volunteer)
                .unwrap_or(worker);
            (
                volunteer.reporter.clone(),
                Box::new(|s: &Subtype| s.rules.police_element.is_some()),
            )
        }
        Some(Mistake::NoPhoto) => (
            worker.reporter.clone(),
            Box::new(move |s: &Subtype| s.rules.roles.contains(&role) && s.rules.evidence.min_photos > 0),
        ),
        Some(Mistake::WrongGrid) => (
            worker.reporter.clone(),
            Box::new(move |s: &Subtype| {
                s.rules.roles.contains(&role) && s.rules.location.own_grid == OwnGridPolicy::Error
            }),
        ),
        _ => (
            worker.reporter.clone(),
            Box::new(move |s: &Subtype| s.rules.roles.contains(&role)),
        ),
    };
    let candidates: Vec<&Subtype> = list.subtypes().iter().filter(|s| fits(s)).collect();
    let subtype = candidates[dice.below(candidates.len())];
    let problems = list.problems_of(&subtype.code);
    let problem = problems[dice.below(problems.len())];

    let client = &workers
        .iter()
        .find(|x| x.reporter.reporter_id == reporter.reporter_id)
        .unwrap_or(worker)
        .client;
    let now = now_ms();
    let draft = client.create_draft(reporter, Some(now)).map_err(err)?;
    client
        .set_event(&draft.id, Some(subtype.code.clone()), Some(problem.code.clone()))
        .map_err(err)?;

    let home = workers
        .iter()
        .find(|x| x.reporter.reporter_id == draft.content.reporter.reporter_id)
        .unwrap_or(worker)
        .home;
    let (lat, lon) = match mistake {
        // Across the district, in somebody else's grid.
        Some(Mistake::WrongGrid) => workers[(w + 1) % workers.len()].home,
        _ => (
            home.0 + (dice.below(9) as f64 - 4.0) * 0.00002,
            home.1 + (dice.below(9) as f64 - 4.0) * 0.00002,
        ),
    };
    let limit = f64::from(subtype.rules.location.max_accuracy_m);
    let accuracy = match mistake {
        Some(Mistake::PoorFix) => (limit * 6.0).max(300.0),
        _ => (limit * 0.5).min(12.0),
    };
    let fix = LocationFix {
        lat,
        lon,
        accuracy_m: accuracy,
        fix_time_ms: now,
        provider: LocationProvider::Gps,
        is_mock: matches!(mistake, Some(Mistake::MockLocation)),
        datum: Datum::Wgs84,
    };
    client.set_location(&draft.id, fix).map_err(err)?;

    let photos = match mistake {
        Some(Mistake::NoPhoto) => 0,
        _ => subtype.rules.evidence.min_photos.max(1),
    };
    for p in 0..photos {
        client
            .add_photo(&draft.id, &photo(n * 10 + p), PhotoKind::Evidence)
            .map_err(err)?;
    }
    for attribute in subtype.rules.attributes.iter().filter(|a| a.required) {
        let value = match attribute.datatype {
            Datatype::Number => attribute
                .min
                .unwrap_or(1)
                .max(1)
                .min(attribute.max.unwrap_or(i64::MAX))
                .to_string(),
            Datatype::Datetime => "2026-11-23T09:30:00+08:00".to_string(),
            Datatype::SingleChoice | Datatype::MultiChoice => {
                attribute.values[dice.below(attribute.values.len())].key.clone()
            }
            Datatype::String | Datatype::Text => "现场核实".to_string(),
        };
        client
            .set_attribute(&draft.id, &attribute.code, &value)
            .map_err(err)?;
    }
    if subtype.rules.component.as_ref().is_some_and(|c| c.required) {
        client
            .set_component(&draft.id, Some(format!("WZ-{}-{:04}", subtype.code, n)))
            .map_err(err)?;
    }
    client
        .set_description(&draft.id, &format!("{}：{}", subtype.name_zh, problem.name_zh))
        .map_err(err)?;

    // The worker reads the warnings (a possible duplicate nearby, say) and confirms them.
    let warnings = client.validate_draft(&draft.id).map_err(err)?.warnings;
    let response = WarningResponse {
        acknowledged: warnings.into_iter().map(|w| w.code).collect(),
        override_reason: None,
    };
    match client.submit(&draft.id, response).map_err(err)? {
        SubmitOutcome::Submitted { .. } => Ok(Captured::Submitted),
        SubmitOutcome::Rejected { report } => {
            let code = report
                .errors
                .first()
                .map(|f| f.code.clone())
                .unwrap_or_else(|| "warning".into());
            client.discard_draft(&draft.id).map_err(err)?;
            Ok(Captured::Rejected(code))
        }
    }
}

fn explain(code: &str) -> &'static str {
    match code {
        "photo.too_few" => "no photo of the problem",
        "location.too_inaccurate" => "GPS fix too poor for this kind of event",
        "grid.outside_own" => "the place is outside the worker's own grid",
        "role.not_allowed" => "a volunteer filing a police element",
        "location.mock" => "a mock-location app was on",
        _ => "",
    }
}

/// A camera-like JPEG (1600×1200: sky, a wall, a street with a few objects; different for each
/// `seed`), what a phone would hand us.
fn photo(seed: u32) -> Vec<u8> {
    let tint = (seed * 37 % 60) as u8;
    let image = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let grain = ((x * 31 + y * 17 + seed * 7) % 13) as u8;
        if y < 400 {
            image::Rgb([120 + (y / 8) as u8, 160 + (y / 10) as u8, 220 - tint / 2])
        } else if y < 800 && !(x / 200 + seed).is_multiple_of(3) {
            image::Rgb([150 + grain + tint, 140 + grain, 130 + grain])
        } else if (x.abs_diff(800 + seed % 400) < 90) && y > 700 {
            image::Rgb([200, 40 + tint, 30])
        } else {
            image::Rgb([70 + grain, 72 + grain, 75 + grain])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .expect("encoding an in-memory RGB image cannot fail");
    out
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} delivered {spinner}")
        .expect("a valid progress template")
        .progress_chars("=> ")
}

fn bar(args: &Args, len: u64, message: &'static str) -> ProgressBar {
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len}")
            .expect("a valid progress template")
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Moves a device's bar as its reports are delivered.
struct BarListener(ProgressBar);

impl SyncListener for BarListener {
    fn on_progress(&self, progress: SyncProgress) {
        if matches!(progress.event, SyncEvent::ReportDelivered) {
            self.0.inc(1);
        }
    }
}

//! The crew: the simulated workers, each a phone, and the reports they capture on patrol.
//!
//! Owns who the workers are (name, role, home point), their phones' enrolment, which report
//! each capture is and which field mistake it carries, and one capture's steps as a worker
//! takes them: pick the event, take the fix, photograph, describe, submit. It does not own
//! going back online (`drain`), the figures (`summary`) nor the photos' pixels (`photo`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastrand::Rng;
use gridpatrol_core::Client;
use gridpatrol_core::capture::{PhotoKind, Reporter, SubmitOutcome, WarningResponse};
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::sync::{SyncConfig, SyncEngine};
use gridpatrol_core::taxonomy::{Attribute, Datatype, EventList, OwnGridPolicy, Problem, Role, Subtype};
use gridpatrol_core::time::now_ms;
use indicatif::ProgressBar;

use super::summary::Summary;
use super::{ENROLLMENT_CODE, Narrator, bar_style, fail, photo};
use crate::Failure;

/// Who works today: a name for the screen, a role, and a point inside their own basic grid.
const ROSTER: [(&str, Role, (f64, f64)); 6] = [
    ("inspector 1", Role::Inspector, (31.2712, 120.6187)),
    ("inspector 2", Role::Inspector, (31.2190, 120.5620)),
    ("inspector 3", Role::Inspector, (31.1630, 120.6410)),
    ("grid leader", Role::GridLeader, (31.2405, 120.6655)),
    ("volunteer 1", Role::Volunteer, (31.2702, 120.6215)),
    ("volunteer 2", Role::Volunteer, (31.1905, 120.5905)),
];

pub(super) struct Worker {
    pub(super) name: &'static str,
    pub(super) reporter: Reporter,
    /// A point inside the worker's own basic grid.
    pub(super) home: (f64, f64),
    pub(super) client: Arc<Client>,
    pub(super) engine: Arc<SyncEngine>,
    /// Reports this worker put in the outbox: the length of their phone's delivery bar.
    pub(super) submitted: u32,
}

/// Every worker's phone opens its own data directory under `root`, installs the grids and
/// enrols with the platform at `url`.
pub(super) async fn enrol(root: &Path, grids: &str, url: &str) -> Result<Vec<Worker>, Failure> {
    let mut workers = Vec::new();
    for (i, (name, role, home)) in ROSTER.into_iter().enumerate() {
        let client =
            Client::open(root.join(format!("device-{i}"))).map_err(|e| fail("storage")(e.to_string()))?;
        client
            .install_grid_package(grids)
            .map_err(|e| fail("grid_package_rejected")(e.to_string()))?;
        let own = client
            .locate(home.0, home.1)
            .last()
            .map(|g| g.id.clone())
            .ok_or_else(|| fail("internal")(format!("{name}'s home is in no grid")))?;
        let client = Arc::new(client);
        // A compressed day: retries wait at most 2 s (phones default to minutes, to spare the
        // battery), so the demo shows the queue draining instead of a phone waiting.
        let mut sync_config = SyncConfig::new(url.to_string());
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
    Ok(workers)
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

const MISTAKES: [Mistake; 5] = [
    Mistake::NoPhoto,
    Mistake::PoorFix,
    Mistake::WrongGrid,
    Mistake::VolunteerFilesPoliceElement,
    Mistake::MockLocation,
];

/// The patrol: `reports` captures by workers the dice pick, one in five with a mistake, each
/// counted in `summary`. Returns how long capturing took.
pub(super) fn patrol(
    workers: &mut [Worker],
    reports: u32,
    dice: &mut Rng,
    summary: &mut Summary,
    narrator: &Narrator,
) -> Result<Duration, Failure> {
    let capture_bar = if narrator.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(reports))
    };
    capture_bar.set_style(bar_style("{msg:>12} [{bar:30}] {pos}/{len}"));
    capture_bar.set_message("capturing");
    let list = workers[0].client.event_list();
    let started = Instant::now();
    for n in 0..reports {
        let w = dice.usize(..workers.len());
        let mistake = if dice.f64() < 0.2 {
            Some(MISTAKES[dice.usize(..MISTAKES.len())])
        } else {
            None
        };
        let outcome = capture_one(workers, w, mistake, n, &list, dice).map_err(fail("capture"))?;
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
    Ok(started.elapsed())
}

enum Captured {
    Submitted,
    /// The first error's code.
    Rejected(String),
}

/// What a capture files: the subtype and one of its problems.
struct Event<'a> {
    subtype: &'a Subtype,
    problem: &'a Problem,
}

/// Worker `w` captures report `n`, right or with `mistake`, and taps submit.
fn capture_one(
    workers: &[Worker],
    w: usize,
    mistake: Option<Mistake>,
    n: u32,
    list: &EventList,
    dice: &mut Rng,
) -> Result<Captured, String> {
    let filer = filer(workers, w, mistake);
    let event = pick_event(filer.reporter.role, mistake, list, dice);
    let client = &filer.client;
    let now = now_ms();
    let draft = client
        .create_draft(filer.reporter.clone(), Some(now))
        .map_err(message)?;
    client
        .set_event(
            &draft.id,
            Some(event.subtype.code.clone()),
            Some(event.problem.code.clone()),
        )
        .map_err(message)?;
    // Across the district, in somebody else's grid.
    let elsewhere = workers[(w + 1) % workers.len()].home;
    let fix = take_fix(filer.home, elsewhere, event.subtype, mistake, now, dice);
    client.set_location(&draft.id, fix).map_err(message)?;
    photograph(client, &draft.id, event.subtype, mistake, n)?;
    describe(client, &draft.id, &event, n, dice)?;
    submit(client, &draft.id)
}

fn message(error: gridpatrol_core::Error) -> String {
    error.to_string()
}

/// Who files the report: the volunteer who should not, for a police element filed by a
/// volunteer (the mistake), else worker `w`.
fn filer(workers: &[Worker], w: usize, mistake: Option<Mistake>) -> &Worker {
    let worker = &workers[w];
    match mistake {
        Some(Mistake::VolunteerFilesPoliceElement) => workers
            .iter()
            .find(|x| x.reporter.role == Role::Volunteer)
            .unwrap_or(worker),
        _ => worker,
    }
}

/// Step 1: the event. Police elements are filed by the volunteer who should not (the
/// mistake), else by no one who may not; other mistakes need a subtype where they matter.
fn pick_event<'a>(role: Role, mistake: Option<Mistake>, list: &'a EventList, dice: &mut Rng) -> Event<'a> {
    let fits = |s: &Subtype| match mistake {
        Some(Mistake::VolunteerFilesPoliceElement) => s.rules.police_element.is_some(),
        Some(Mistake::NoPhoto) => s.rules.roles.contains(&role) && s.rules.evidence.min_photos > 0,
        Some(Mistake::WrongGrid) => {
            s.rules.roles.contains(&role) && s.rules.location.own_grid == OwnGridPolicy::Error
        }
        _ => s.rules.roles.contains(&role),
    };
    let candidates: Vec<&Subtype> = list.subtypes().iter().filter(|s| fits(s)).collect();
    let subtype = candidates[dice.usize(..candidates.len())];
    let problems = list.problems_of(&subtype.code);
    let problem = problems[dice.usize(..problems.len())];
    Event { subtype, problem }
}

/// Step 2: the fix. A few metres from `home` and well within the subtype's accuracy limit;
/// at `elsewhere` for a wrong grid, far too coarse for a poor fix, from a mock app for a mock.
fn take_fix(
    home: (f64, f64),
    elsewhere: (f64, f64),
    subtype: &Subtype,
    mistake: Option<Mistake>,
    now: i64,
    dice: &mut Rng,
) -> LocationFix {
    let (lat, lon) = match mistake {
        Some(Mistake::WrongGrid) => elsewhere,
        _ => (
            home.0 + (dice.usize(..9) as f64 - 4.0) * 0.00002,
            home.1 + (dice.usize(..9) as f64 - 4.0) * 0.00002,
        ),
    };
    let limit = f64::from(subtype.rules.location.max_accuracy_m);
    let accuracy = match mistake {
        Some(Mistake::PoorFix) => (limit * 6.0).max(300.0),
        _ => (limit * 0.5).min(12.0),
    };
    LocationFix {
        lat,
        lon,
        accuracy_m: accuracy,
        fix_time_ms: now,
        provider: LocationProvider::Gps,
        is_mock: matches!(mistake, Some(Mistake::MockLocation)),
        datum: Datum::Wgs84,
    }
}

/// Step 3: the photos the subtype asks for (one at least), none for a missing photo.
fn photograph(
    client: &Client,
    draft: &str,
    subtype: &Subtype,
    mistake: Option<Mistake>,
    n: u32,
) -> Result<(), String> {
    let photos = match mistake {
        Some(Mistake::NoPhoto) => 0,
        _ => subtype.rules.evidence.min_photos.max(1),
    };
    for p in 0..photos {
        client
            .add_photo(draft, &photo::camera_jpeg(n * 10 + p), PhotoKind::Evidence)
            .map_err(message)?;
    }
    Ok(())
}

/// Step 4: the description: every required attribute, the component where one is required,
/// and the text.
fn describe(client: &Client, draft: &str, event: &Event, n: u32, dice: &mut Rng) -> Result<(), String> {
    let subtype = event.subtype;
    for attribute in subtype.rules.attributes.iter().filter(|a| a.required) {
        let value = attribute_value(attribute, dice);
        client
            .set_attribute(draft, &attribute.code, &value)
            .map_err(message)?;
    }
    if subtype.rules.component.as_ref().is_some_and(|c| c.required) {
        client
            .set_component(draft, Some(format!("WZ-{}-{:04}", subtype.code, n)))
            .map_err(message)?;
    }
    client
        .set_description(draft, &format!("{}：{}", subtype.name_zh, event.problem.name_zh))
        .map_err(message)?;
    Ok(())
}

/// A value the attribute accepts, as a worker would enter it.
fn attribute_value(attribute: &Attribute, dice: &mut Rng) -> String {
    match attribute.datatype {
        Datatype::Number => attribute
            .min
            .unwrap_or(1)
            .max(1)
            .min(attribute.max.unwrap_or(i64::MAX))
            .to_string(),
        Datatype::Datetime => "2026-11-23T09:30:00+08:00".to_string(),
        Datatype::SingleChoice | Datatype::MultiChoice => {
            attribute.values[dice.usize(..attribute.values.len())].key.clone()
        }
        Datatype::String | Datatype::Text => "现场核实".to_string(),
    }
}

/// Step 5: submit. The worker reads the warnings (a possible duplicate nearby, say) and
/// confirms them; a report the device refuses is discarded, its first error's code kept.
fn submit(client: &Client, draft: &str) -> Result<Captured, String> {
    let warnings = client.validate_draft(draft).map_err(message)?.warnings;
    let response = WarningResponse {
        acknowledged: warnings.into_iter().map(|w| w.code).collect(),
        override_reason: None,
    };
    match client.submit(draft, response).map_err(message)? {
        SubmitOutcome::Submitted { .. } => Ok(Captured::Submitted),
        SubmitOutcome::Rejected { report } => {
            let code = report
                .errors
                .first()
                .map(|f| f.code.clone())
                .unwrap_or_else(|| "warning".into());
            client.discard_draft(draft).map_err(message)?;
            Ok(Captured::Rejected(code))
        }
    }
}

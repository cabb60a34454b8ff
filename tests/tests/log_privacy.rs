//! Every log line of a full capture + patrol + sync run, at TRACE level, as the host's
//! `LogSink` receives it (through the bindings' forwarder), holds no personal data: no
//! description text, reporter id, phone number, coordinate with more than 3 decimals, photo
//! bytes, or parser error text quoting input. The fixture strings are distinctive so a leak
//! cannot hide; bad packages and values carrying marker strings are fed on purpose.
//!
//! One test in this file: the tracing subscriber is the process's.

mod sync_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridpatrol_core::capture::{PhotoKind, Reporter, SubmitOutcome, WarningResponse};
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::track::TravelMode;
use gridpatrol_ffi::{GridPatrol, LogLevel, LogRecord, LogSink, ObserverError, install_log_sink};
use gridpatrol_tests::{now_ms, textured_jpeg};
use sync_support::{CODE, TestPlatform};

const REPORTER: &str = "reporter-LIUFANG-5521";
const DESCRIPTION: &str = "路灯不亮 DESCRIPTION-MARKER 联系人王秀英";
const PHONE: &str = "13987654321";
/// Strings put in bad input; a log line quoting a parser error would carry them.
const QUOTED: [&str; 4] = [
    "QUOTED-EVENTLIST-MARKER",
    "QUOTED-GRIDS-MARKER",
    "QUOTED-COMPONENTS-MARKER",
    "QUOTED-ATTRIBUTE-MARKER",
];

#[derive(Default)]
struct Collect(Mutex<Vec<LogRecord>>);

impl LogSink for Collect {
    fn log(&self, record: LogRecord) -> Result<(), ObserverError> {
        self.0.lock().expect("sink lock").push(record);
        Ok(())
    }
}

impl Collect {
    fn lines(&self) -> Vec<LogRecord> {
        self.0.lock().expect("sink lock").clone()
    }
}

/// Numbers like 31.2712 or 120.62543: a latitude/longitude of the fixture area (30–32 N,
/// 119–122 E) written with more than 3 decimals.
fn precise_coordinates(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && (bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let whole = &text[start..i];
        if i < bytes.len() && bytes[i] == b'.' {
            let dot = i;
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let decimals = i - dot - 1;
            if decimals > 3 && matches!(whole, "30" | "31" | "32" | "119" | "120" | "121" | "122") {
                found.push(text[start..i].to_string());
            }
        }
    }
    found
}

#[test]
fn precise_coordinates_are_found() {
    assert_eq!(
        precise_coordinates("at 31.2712,120.625431 x"),
        ["31.2712", "120.625431"]
    );
    assert!(precise_coordinates("lat=31.271 lon=120.625 took 1.23456ms id 9931.12345").is_empty());
}

fn fix(lat: f64, lon: f64, time_ms: i64) -> LocationFix {
    LocationFix {
        lat,
        lon,
        accuracy_m: 5.0,
        fix_time_ms: time_ms,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_data_in_any_log_line_of_a_full_run() {
    let sink = Arc::new(Collect::default());
    install_log_sink(sink.clone(), LogLevel::Trace).expect("the forwarder installs");
    let tmp = tempfile::tempdir().expect("tmp");
    let platform = TestPlatform::start(tmp.path()).await;
    let gp = GridPatrol::open(
        tmp.path().join("device").display().to_string(),
        gridpatrol_tests::ffi_keys(tmp.path().join("device")),
    )
    .await
    .expect("open");

    // Packages, good and bad (each bad one quoting a marker in what a parser would print).
    let grids = gridpatrol_core::grid::sample::sample_package();
    gp.install_grid_package(grids).await.expect("grids");
    let components = gridpatrol_core::component::sample::sample_package().into_bytes();
    gp.install_component_package(components.clone(), None)
        .await
        .expect("components");
    let bad_list = format!(r#"{{"header": {{"list_version": ["{}"]}}}}"#, QUOTED[0]);
    assert!(gp.install_event_list(bad_list.into_bytes()).await.is_err());
    let bad_grids = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"{}"}}]}}"#,
        QUOTED[1]
    );
    assert!(gp.install_grid_package(bad_grids).await.is_err());
    let bad_components = format!(
        r#"{{"type":"FeatureCollection","gridpatrol":"{}","features":[]}}"#,
        QUOTED[2]
    );
    assert!(
        gp.install_component_package(bad_components.into_bytes(), None)
            .await
            .is_err()
    );

    // A patrol past a lamp, with a late batch and a refused fix.
    let lamp = gp
        .nearest_components(31.2989, 120.5853, vec!["01037".into()], 2000.0, 1)
        .expect("nearest")
        .pop()
        .expect("a lamp near the fixture place");
    let own_grid = gp
        .locate(lamp.lat, lamp.lon)
        .pop()
        .expect("the lamp is in a grid")
        .id;
    let reporter = Reporter {
        reporter_id: REPORTER.into(),
        role: Role::Inspector,
        grid_ids: vec![own_grid],
    };
    let patrol = gp
        .start_patrol(reporter.clone(), TravelMode::Walking, Duration::from_secs(1))
        .await
        .expect("patrol");
    let step = 1.2 / 111_320.0;
    let at = |s: i64| {
        fix(
            lamp.lat - 40.0 * step + s as f64 * step,
            lamp.lon + 0.000_013_7,
            patrol.started_at_ms + s * 1000,
        )
    };
    for s in 1..=30 {
        gp.patrol_fix(patrol.id.clone(), at(s)).await.expect("fix");
    }
    gp.patrol_fixes(patrol.id.clone(), (40..=60).map(at).collect())
        .await
        .expect("late batch");
    assert!(
        gp.patrol_fix(patrol.id.clone(), fix(f64::NAN, 120.0, now_ms()))
            .await
            .is_err()
    );

    // A report on the patrol naming the lamp, with a photo and personal data in its text.
    let draft = gp.create_draft(reporter, None).await.expect("draft");
    gp.set_event(draft.id.clone(), Some("04-004".into()), Some("04-004-01".into()))
        .await
        .expect("event");
    let mut here = at(40);
    here.fix_time_ms = now_ms();
    gp.set_location(draft.id.clone(), here).await.expect("location");
    assert!(
        gp.set_attribute(draft.id.clone(), "lamp_state".into(), QUOTED[3].into())
            .await
            .is_err()
    );
    gp.set_attribute(draft.id.clone(), "lamp_state".into(), "all_out".into())
        .await
        .expect("attribute");
    gp.set_component(draft.id.clone(), Some(lamp.id.clone()))
        .await
        .expect("component");
    let photo = textured_jpeg(800, 600, 77);
    gp.add_photo(draft.id.clone(), photo.clone(), PhotoKind::Evidence)
        .await
        .expect("photo");
    gp.set_description(draft.id.clone(), format!("{DESCRIPTION} 电话 {PHONE}"))
        .await
        .expect("description");
    let warnings = gp.validate_draft(draft.id.clone()).expect("validate").warnings;
    let response = WarningResponse {
        acknowledged: warnings.into_iter().map(|w| w.code).collect(),
        override_reason: None,
    };
    let outcome = gp.submit(draft.id.clone(), response).await.expect("submit");
    assert!(matches!(outcome, SubmitOutcome::Submitted { .. }), "{outcome:?}");
    gp.stop_patrol(patrol.id.clone()).await.expect("stop");
    let summary = gp.patrol_summary(Some(patrol.id.clone())).await.expect("summary");
    assert_eq!(summary.linked_reports.len(), 1);

    // Sync it.
    gp.configure_sync(platform.url(), None).await.expect("configure");
    gp.enroll(CODE.into(), "log privacy phone".into())
        .await
        .expect("enroll");
    let run = gp.sync_now(Duration::from_secs(30)).await.expect("sync");
    assert_eq!(run.delivered_this_run, 1);

    // The last line of the run: the queue is delivered in order, so every earlier line is in.
    gp.install_component_package(components, None)
        .await
        .expect("again");
    let lines = loop {
        let lines = sink.lines();
        if lines
            .iter()
            .filter(|r| r.message.contains("component package installed"))
            .count()
            == 2
        {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    drop(gp);

    // The platform runs in this process for the test; its lines are not the device's.
    let device: Vec<&LogRecord> = lines
        .iter()
        .filter(|r| !r.target.starts_with("gridpatrol_platform"))
        .collect();
    assert!(
        device
            .iter()
            .any(|r| r.target.starts_with("gridpatrol_core::sync")),
        "the sync run logged: {device:#?}"
    );
    assert!(device.iter().any(|r| r.message.contains("patrol started")));
    assert!(
        lines.iter().all(|r| !r.message.contains("were dropped")),
        "no line was dropped"
    );
    let photo_head = String::from_utf8_lossy(&photo[..16]);
    let jpeg_markers = ["[255, 216, 255", "ffd8ff", "FFD8FF", "/9j/", photo_head.as_ref()];
    for record in &device {
        let line = format!("{} {}", record.target, record.message);
        for secret in [REPORTER, PHONE, "DESCRIPTION-MARKER", "王秀英", "路灯不亮"]
            .into_iter()
            .chain(QUOTED)
        {
            assert!(!line.contains(secret), "{secret:?} in the log line {line:?}");
        }
        for marker in &jpeg_markers {
            assert!(!line.contains(marker), "photo bytes in the log line {line:?}");
        }
        let coordinates = precise_coordinates(&line);
        assert!(
            coordinates.is_empty(),
            "exact coordinates {coordinates:?} in {line:?}"
        );
    }
    eprintln!(
        "log privacy: {} device lines checked ({} in all)",
        device.len(),
        lines.len()
    );
}

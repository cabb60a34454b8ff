//! `gridpatrol client …` and `gridpatrol grid …` as scripts call them: real JPEGs, real fixes in
//! the sample grids, the bundled event list's rules; JSON shapes, finding codes and exit codes.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in the sample package (Wuzhong, 长桥街道).
const LAT: &str = "31.28";
const LON: &str = "120.62";
/// Another point, in a different basic grid.
const OTHER_LAT: &str = "31.30";
const OTHER_LON: &str = "120.70";

fn gridpatrol(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridpatrol"))
        .args(args)
        .output()
        .expect("run gridpatrol")
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).expect("format")
}

/// A textured RGB photo encoded as JPEG; `seed` makes each one different.
fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let noise =
            (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ seed.wrapping_mul(83_492_791)) % 56;
        let r = (x / 8 + y / 16 + seed * 31) % 200 + noise;
        let g = (x * y / 64 + seed * 7) % 180 + noise;
        let b = ((x / 3) ^ (y / 5)) % 190 + noise;
        image::Rgb([r as u8, g as u8, b as u8])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut Cursor::new(&mut bytes), 85)
        .encode_image(&image)
        .expect("encode JPEG");
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// The grid chain at a point, as `grid locate --json` gives it.
fn locate(lat: &str, lon: &str) -> Vec<Value> {
    let output = gridpatrol(&["grid", "locate", "--lat", lat, "--lon", lon, "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    json_of(&output).as_array().expect("array").clone()
}

fn basic_grid(lat: &str, lon: &str) -> String {
    let chain = locate(lat, lon);
    assert_eq!(chain.len(), 3, "{chain:?}");
    chain[2]["id"].as_str().expect("id").to_owned()
}

fn subtype(code: &str) -> Value {
    let output = gridpatrol(&["taxonomy", "show", code, "--json"]);
    assert!(output.status.success());
    json_of(&output)
}

/// A test device: a data directory and a place for photos.
struct Device {
    dir: TempDir,
    data: String,
}

impl Device {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data").to_str().expect("utf8").to_owned();
        Self { dir, data }
    }

    fn photo(&self, name: &str, width: u32, height: u32, seed: u32) -> String {
        write(self.dir.path(), name, &jpeg(width, height, seed))
            .to_str()
            .expect("utf8")
            .to_owned()
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        write(self.dir.path(), name, bytes)
            .to_str()
            .expect("utf8")
            .to_owned()
    }

    /// `client capture` with `args` after the data directory.
    fn capture(&self, args: &[&str]) -> Output {
        let mut all = vec!["client", "--data", &self.data, "capture"];
        all.extend_from_slice(args);
        gridpatrol(&all)
    }

    fn queue(&self) -> Vec<Value> {
        let output = gridpatrol(&["client", "--data", &self.data, "queue", "--json"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        json_of(&output).as_array().expect("array").clone()
    }
}

/// A manhole cover report (04-001) by an inspector in the grid they stand in, with every
/// attribute and the component its rules require; `extra` is appended (and may repeat a flag).
fn manhole_args(grid: &str, fix_time: &str, accuracy: &str, extra: &[&str]) -> Vec<String> {
    let rules = &subtype("04-001")["rules"];
    let mut args: Vec<String> = [
        "--role",
        "inspector",
        "--reporter",
        "w-0001",
        "--grid",
        grid,
        "--subtype",
        "04-001",
        "--problem",
        "04-001-01",
        "--lat",
        LAT,
        "--lon",
        LON,
        "--accuracy",
        accuracy,
        "--fix-time",
        fix_time,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for attribute in rules["attributes"].as_array().expect("attributes") {
        if attribute["required"] == true {
            let key = attribute["values"][0]["key"]
                .as_str()
                .expect("a choice attribute");
            args.push("--attr".into());
            args.push(format!("{}={key}", attribute["code"].as_str().expect("code")));
        }
    }
    if rules["component"]["required"] == true {
        args.extend(["--component".into(), "CL-0042".into()]);
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn run_capture(device: &Device, args: &[String]) -> Output {
    device.capture(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn codes(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect()
}

/// Asserts an `invalid` outcome (exit 2) and returns it.
fn invalid(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let outcome = json_of(output);
    assert_eq!(outcome["status"], "invalid");
    assert!(!outcome["report_id"].as_str().expect("draft id").is_empty());
    for finding in outcome["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .chain(outcome["warnings"].as_array().expect("warnings"))
    {
        for key in ["code", "field", "message_zh", "message_en"] {
            assert!(
                finding[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} in {finding}"
            );
        }
    }
    outcome
}

/// Asserts an error object (non-zero exit) and returns it.
fn error_of(output: &Output) -> Value {
    assert!(!output.status.success());
    let error = json_of(output);
    assert_eq!(error["status"], "error");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error
}

#[test]
fn a_valid_capture_is_submitted_and_queued_pending() {
    let device = Device::new();
    let grid = basic_grid(LAT, LON);
    let rules = &subtype("04-001")["rules"];
    let min_photos = rules["evidence"]["min_photos"]
        .as_u64()
        .expect("min_photos")
        .max(1);
    let photos: Vec<String> = (0..min_photos)
        .map(|i| device.photo(&format!("p{i}.jpg"), 1600, 1200, i as u32))
        .collect();
    let mut extra = vec!["--description", "井盖缺失，已设置警示", "--json"];
    for photo in &photos {
        extra.extend(["--photo", photo]);
    }
    let output = run_capture(&device, &manhole_args(&grid, &now(), "5", &extra));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let outcome = json_of(&output);
    assert_eq!(outcome["status"], "submitted");
    let report_id = outcome["report_id"].as_str().expect("report_id");

    let queue = device.queue();
    assert_eq!(queue.len(), 1, "{queue:?}");
    let entry = &queue[0];
    assert_eq!(entry["report_id"], report_id);
    assert_eq!(entry["subtype"], "04-001");
    assert_eq!(entry["problem"], "04-001-01");
    assert_eq!(entry["state"], "pending");
    assert_eq!(entry["attempts"], 0);
    assert_eq!(entry["photos"], min_photos);
    assert!(entry["enqueued_at_ms"].as_i64().expect("enqueued_at_ms") > 1_700_000_000_000);

    // The human table names the report.
    let table = gridpatrol(&["client", "--data", &device.data, "queue"]);
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains(report_id) && text.contains("pending"), "{text}");
}

#[test]
fn a_possible_duplicate_is_a_warning_that_ack_warnings_answers() {
    let device = Device::new();
    let grid = basic_grid(LAT, LON);
    let first = device.photo("a.jpg", 1600, 1200, 1);
    let second = device.photo("b.jpg", 1600, 1200, 2);
    let submitted = run_capture(
        &device,
        &manhole_args(&grid, &now(), "5", &["--photo", &first, "--json"]),
    );
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stdout)
    );

    // The same kind of event, at the same place, again: a warning, not acknowledged.
    let again = manhole_args(&grid, &now(), "5", &["--photo", &second, "--json"]);
    let outcome = invalid(&run_capture(&device, &again));
    assert!(codes(&outcome["errors"]).is_empty(), "{outcome}");
    assert_eq!(codes(&outcome["warnings"]), ["report.possible_duplicate"]);

    let acknowledged = manhole_args(
        &grid,
        &now(),
        "5",
        &["--photo", &second, "--ack-warnings", "--json"],
    );
    let output = run_capture(&device, &acknowledged);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(json_of(&output)["status"], "submitted");

    let overridden = manhole_args(
        &grid,
        &now(),
        "5",
        &["--photo", &second, "--override-reason", "另一处井盖", "--json"],
    );
    assert!(run_capture(&device, &overridden).status.success());
    assert_eq!(device.queue().len(), 3);
}

#[test]
fn no_photo_is_invalid_with_photo_too_few_in_chinese_and_english() {
    let device = Device::new();
    let rules = &subtype("04-001")["rules"];
    assert!(rules["evidence"]["min_photos"].as_u64().expect("min_photos") >= 1);
    let output = run_capture(
        &device,
        &manhole_args(&basic_grid(LAT, LON), &now(), "5", &["--json"]),
    );
    let outcome = invalid(&output);
    assert_eq!(codes(&outcome["errors"]), ["photo.too_few"]);
    let finding = &outcome["errors"][0];
    assert_eq!(finding["field"], "photos");
    assert!(finding["message_zh"].as_str().expect("zh").contains("照片"));
    assert!(finding["message_en"].as_str().expect("en").contains("photo"));
    // Rejected reports never reach the outbox.
    assert!(device.queue().is_empty());

    // Without --json the same findings are printed for a person, in both languages.
    let output = run_capture(&device, &manhole_args(&basic_grid(LAT, LON), &now(), "5", &[]));
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("photo.too_few") && text.contains("照片") && text.contains("photo(s)"),
        "{text}"
    );
    assert!(text.contains("stays on this device"), "{text}");
}

#[test]
fn a_poor_fix_is_too_inaccurate() {
    let device = Device::new();
    let limit = subtype("04-001")["rules"]["location"]["max_accuracy_m"]
        .as_f64()
        .expect("limit");
    let photo = device.photo("p.jpg", 1600, 1200, 3);
    let accuracy = (limit * 10.0).to_string();
    let outcome = invalid(&run_capture(
        &device,
        &manhole_args(
            &basic_grid(LAT, LON),
            &now(),
            &accuracy,
            &["--photo", &photo, "--json"],
        ),
    ));
    assert_eq!(codes(&outcome["errors"]), ["location.too_inaccurate"]);
}

#[test]
fn a_mock_location_is_refused() {
    let device = Device::new();
    let photo = device.photo("p.jpg", 1600, 1200, 4);
    let outcome = invalid(&run_capture(
        &device,
        &manhole_args(
            &basic_grid(LAT, LON),
            &now(),
            "5",
            &["--photo", &photo, "--mock", "--json"],
        ),
    ));
    assert!(codes(&outcome["errors"]).contains(&"location.mock"), "{outcome}");
}

#[test]
fn a_too_small_photo_is_flagged() {
    let device = Device::new();
    let photo = device.photo("small.jpg", 200, 150, 5);
    let outcome = invalid(&run_capture(
        &device,
        &manhole_args(&basic_grid(LAT, LON), &now(), "5", &["--photo", &photo, "--json"]),
    ));
    assert_eq!(codes(&outcome["errors"]), ["photo.too_small"]);
    assert_eq!(outcome["errors"][0]["field"], "photos[0]");
}

#[test]
fn outside_own_grid_is_an_error_where_the_subtype_says_so() {
    // 01-003 (domestic violence): no photo needed, own-grid policy "error".
    let rules = &subtype("01-003")["rules"];
    assert_eq!(rules["location"]["own_grid"], "error");
    assert!(
        rules["roles"]
            .as_array()
            .expect("roles")
            .contains(&Value::from("inspector"))
    );
    let here = basic_grid(LAT, LON);
    let elsewhere = basic_grid(OTHER_LAT, OTHER_LON);
    assert_ne!(here, elsewhere);
    let device = Device::new();
    let args = |grid: &str| {
        device.capture(&[
            "--role",
            "inspector",
            "--reporter",
            "w-0002",
            "--grid",
            grid,
            "--subtype",
            "01-003",
            "--problem",
            "01-003-01",
            "--lat",
            LAT,
            "--lon",
            LON,
            "--accuracy",
            "8",
            "--fix-time",
            &now(),
            "--json",
        ])
    };
    let outcome = invalid(&args(&elsewhere));
    assert_eq!(codes(&outcome["errors"]), ["grid.outside_own"]);
    assert!(
        outcome["errors"][0]["message_en"]
            .as_str()
            .expect("en")
            .contains(&here),
        "{outcome}"
    );

    // Several assigned grids: one of them is where the worker stands.
    let output = device.capture(&[
        "--role",
        "inspector",
        "--reporter",
        "w-0002",
        "--grid",
        &elsewhere,
        "--grid",
        &here,
        "--subtype",
        "01-003",
        "--problem",
        "01-003-01",
        "--lat",
        LAT,
        "--lon",
        LON,
        "--accuracy",
        "8",
        "--fix-time",
        &now(),
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn a_volunteer_may_not_file_a_police_element_subtype() {
    // 01-018 (risk of dispute escalation) is a police element, not open to volunteers.
    let subtype = subtype("01-018");
    let rules = &subtype["rules"];
    assert!(!rules["police_element"].is_null());
    assert!(
        !rules["roles"]
            .as_array()
            .expect("roles")
            .contains(&Value::from("volunteer"))
    );
    let problem = subtype["problems"][0]["code"].as_str().expect("problem");
    let device = Device::new();
    let grid = basic_grid(LAT, LON);
    let output = device.capture(&[
        "--role",
        "volunteer",
        "--reporter",
        "v-0001",
        "--grid",
        &grid,
        "--subtype",
        "01-018",
        "--problem",
        problem,
        "--lat",
        LAT,
        "--lon",
        LON,
        "--accuracy",
        "8",
        "--fix-time",
        &now(),
        "--attr",
        "involved_people=3",
        "--attr",
        "dispute_stage=new",
        "--attr",
        "clue_source=patrol",
        "--json",
    ]);
    let outcome = invalid(&output);
    assert_eq!(codes(&outcome["errors"]), ["role.not_allowed"]);
}

#[test]
fn photos_the_pipeline_refuses_are_errors_with_the_media_kind() {
    let device = Device::new();
    let grid = basic_grid(LAT, LON);
    // The start of an iPhone HEIC file: an ISO-BMFF `ftyp` box with brand `heic`.
    let mut heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec();
    heic.extend(std::iter::repeat_n(0u8, 4096));
    let heic = device.file("IMG_0001.HEIC", &heic);
    let error = error_of(&run_capture(
        &device,
        &manhole_args(&grid, &now(), "5", &["--photo", &heic, "--json"]),
    ));
    assert_eq!(error["code"], "photo_rejected");
    assert_eq!(error["kind"], "unsupported_format");
    assert_eq!(error["path"], heic.as_str());

    let mut corrupt = jpeg(1600, 1200, 6);
    corrupt.truncate(400);
    let corrupt = device.file("corrupt.jpg", &corrupt);
    let error = error_of(&run_capture(
        &device,
        &manhole_args(&grid, &now(), "5", &["--photo", &corrupt, "--json"]),
    ));
    assert_eq!(error["code"], "photo_rejected");
    assert_eq!(error["kind"], "truncated");

    let missing = device.dir.path().join("missing.jpg");
    let output = run_capture(
        &device,
        &manhole_args(
            &grid,
            &now(),
            "5",
            &["--photo", missing.to_str().expect("utf8"), "--json"],
        ),
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(error_of(&output)["code"], "unreadable_file");

    // None of these left anything in the outbox.
    assert!(device.queue().is_empty());
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            out.extend(files_under(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

#[test]
fn a_refused_second_photo_leaves_no_draft_and_no_files() {
    let device = Device::new();
    let grid = basic_grid(LAT, LON);
    let first = device.photo("first.jpg", 1600, 1200, 21);
    let mut cut = jpeg(1600, 1200, 22);
    cut.truncate(cut.len() / 2);
    cut.extend_from_slice(&[0xFF, 0xD9]);
    let cut = device.file("cut.jpg", &cut);
    let output = run_capture(
        &device,
        &manhole_args(
            &grid,
            &now(),
            "5",
            &["--photo", &first, "--photo", &cut, "--json"],
        ),
    );
    let error = error_of(&output);
    assert_eq!(error["kind"], "truncated");
    assert_eq!(error["path"], cut.as_str());
    assert!(device.queue().is_empty());
    let media = Path::new(&device.data).join("media");
    assert_eq!(
        files_under(&media),
        Vec::<PathBuf>::new(),
        "photo files left behind"
    );
    let client = gridpatrol_core::Client::open(&device.data).expect("open the data directory");
    assert_eq!(
        client.drafts().expect("drafts").len(),
        0,
        "a draft was left behind"
    );
    drop(client);

    // A device or a file over the limit is refused at the limit, not read whole.
    let error = error_of(&run_capture(
        &device,
        &manhole_args(&grid, &now(), "5", &["--photo", "/dev/zero", "--json"]),
    ));
    assert_eq!(
        (error["code"].as_str(), error["kind"].as_str()),
        (Some("photo_rejected"), Some("too_large"))
    );
}

#[test]
fn bad_arguments_are_json_errors_with_a_code() {
    let device = Device::new();
    let grid = basic_grid(LAT, LON);
    let with = |flag: &str, value: &str| {
        let mut args = manhole_args(&grid, &now(), "5", &["--json"]);
        let at = args.iter().position(|a| a == flag).expect("flag present");
        args[at + 1] = value.to_owned();
        run_capture(&device, &args)
    };

    let nan = error_of(&with("--lat", "NaN"));
    assert!(
        ["invalid_argument", "bad_argument"].contains(&nan["code"].as_str().expect("code")),
        "{nan}"
    );
    let output = with("--lat", "abc");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(error_of(&output)["code"], "bad_argument");
    assert_eq!(error_of(&with("--fix-time", "yesterday"))["code"], "bad_argument");
    assert_eq!(error_of(&with("--role", "mayor"))["code"], "bad_argument");
    assert_eq!(error_of(&with("--accuracy", "-3"))["code"], "invalid_argument");

    let unknown = with("--subtype", "09-999");
    assert_eq!(unknown.status.code(), Some(2));
    let unknown = error_of(&unknown);
    assert_eq!(unknown["code"], "unknown_code");
    assert_eq!(unknown["kind"], "subtype");

    let mut args = manhole_args(&grid, &now(), "5", &["--json"]);
    let at = args
        .iter()
        .position(|a| a.starts_with("cover_state="))
        .expect("cover_state attribute");
    args[at] = "cover_state=purple".into();
    assert_eq!(error_of(&run_capture(&device, &args))["code"], "invalid_argument");

    let args = manhole_args(&grid, &now(), "5", &["--provider", "carrier_pigeon", "--json"]);
    assert_eq!(error_of(&run_capture(&device, &args))["code"], "bad_argument");

    // A missing required option too.
    let output = gridpatrol(&[
        "client",
        "--data",
        &device.data,
        "capture",
        "--role",
        "inspector",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(error_of(&output)["code"], "bad_argument");

    assert!(device.queue().is_empty());
}

#[test]
fn grid_locate_gives_the_chain_from_level_one_down_or_nothing() {
    let chain = locate(LAT, LON);
    let levels: Vec<u64> = chain
        .iter()
        .map(|g| g["level"].as_u64().expect("level"))
        .collect();
    assert_eq!(levels, [1, 2, 3]);
    for pair in chain.windows(2) {
        let (parent, child) = (
            pair[0]["id"].as_str().expect("id"),
            pair[1]["id"].as_str().expect("id"),
        );
        assert!(child.starts_with(parent), "{parent} → {child}");
    }
    assert!(
        chain
            .iter()
            .all(|g| g["name"].as_str().is_some_and(|n| !n.is_empty()))
    );
    assert!(locate("0", "0").is_empty());
    assert!(locate("-33.86", "151.21").is_empty());

    let stats = gridpatrol(&["grid", "stats", "--json"]);
    assert!(stats.status.success());
    let stats = json_of(&stats);
    assert_eq!(stats["level_1"], 16);
    assert!(stats["level_3"].as_u64().expect("level_3") > 10_000);

    // A package of one's own: a bad one is rejected with a code, a good one is used.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "bad.geojson",
        br#"{"type":"FeatureCollection","features":[]}"#,
    );
    let output = gridpatrol(&[
        "grid",
        "locate",
        "--lat",
        LAT,
        "--lon",
        LON,
        "--file",
        bad.to_str().expect("utf8"),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(error_of(&output)["code"], "grid_package_rejected");
    let square = |id: &str, level: u8, parent: Option<&str>| {
        serde_json::json!({"type": "Feature",
            "properties": {"id": id, "level": level, "parent_id": parent, "name": format!("网格 {id}")},
            "geometry": {"type": "Polygon", "coordinates": [[[120.0, 31.0], [121.0, 31.0], [121.0, 32.0], [120.0, 32.0], [120.0, 31.0]]]}})
    };
    let package = serde_json::json!({"type": "FeatureCollection",
        "features": [square("T", 1, None), square("T-C", 2, Some("T")), square("T-C-B", 3, Some("T-C"))]});
    let good = write(dir.path(), "good.geojson", package.to_string().as_bytes());
    let output = gridpatrol(&[
        "grid",
        "locate",
        "--lat",
        LAT,
        "--lon",
        LON,
        "--file",
        good.to_str().expect("utf8"),
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let ids: Vec<Value> = json_of(&output)
        .as_array()
        .expect("array")
        .iter()
        .map(|g| g["id"].clone())
        .collect();
    assert_eq!(ids, ["T", "T-C", "T-C-B"]);

    let nan = gridpatrol(&["grid", "locate", "--lat", "NaN", "--lon", LON, "--json"]);
    assert_eq!(nan.status.code(), Some(2));
    assert_eq!(error_of(&nan)["code"], "invalid_argument");
}

#[test]
fn help_explains_the_commands_and_that_a_rejected_draft_stays() {
    let help = gridpatrol(&["client", "--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--data <DIR>") && text.contains("capture") && text.contains("queue"),
        "{text}"
    );

    let help = gridpatrol(&["client", "--data", "unused", "capture", "--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "draft stays on the device",
        "--ack-warnings",
        "--override-reason",
        "manual_pin",
        "gcj02",
        "RFC 3339",
        "exit 2",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }

    let help = gridpatrol(&["grid", "--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("locate") && text.contains("stats"), "{text}");
}

#[test]
fn enroll_checks_its_tls_pins_and_ca_before_anything_is_sent() {
    let dir = TempDir::new().expect("tempdir");
    let data = dir.path().join("device");
    let data = data.to_str().expect("utf-8 path");
    let enroll = |extra: &[&str]| {
        let mut args = vec![
            "client",
            "--data",
            data,
            "enroll",
            "--platform",
            "https://127.0.0.1:9",
            "--code",
            "X",
            "--json",
        ];
        args.extend_from_slice(extra);
        gridpatrol(&args)
    };
    let bad_pin = error_of(&enroll(&["--tls-pin", "sha256/short"]));
    assert_eq!(bad_pin["code"], "invalid_argument", "{bad_pin}");
    assert!(
        !bad_pin["message"].as_str().expect("message").contains("short"),
        "the message quotes the input: {bad_pin}"
    );
    let ca = write(dir.path(), "ca.pem", b"not a certificate");
    let bad_ca = error_of(&enroll(&["--tls-ca", ca.to_str().expect("path")]));
    assert_eq!(bad_ca["code"], "invalid_argument", "{bad_ca}");
    let no_ca = error_of(&enroll(&["--tls-ca", "/nonexistent/ca.pem"]));
    assert_eq!(no_ca["code"], "invalid_argument", "{no_ca}");
    // A well-formed pin gets as far as the network (nothing listens on port 9).
    let pin = format!("sha256/{}=", "A".repeat(43));
    let unreachable = error_of(&enroll(&["--tls-pin", &pin]));
    assert_eq!(unreachable["code"], "network", "{unreachable}");
}

//! `gridpatrol client --data DIR patrol …` as scripts call it: start, fix, stop, show and import
//! (GPX and CSV), their JSON shapes, the refusals with their codes (nothing stored changes), and
//! an import of a GPX file larger than the memory bound, in bounded memory.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use gridpatrol_core::time::now_ms;
use serde_json::Value;
use tempfile::TempDir;

/// A point in the sample grid 320506-08-011-0043 (徐亭社区第43网格).
const LAT: f64 = 31.28;
const LON: f64 = 120.62;
const GRID: &str = "320506-08-011-0043";

fn gridpatrol(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridpatrol"))
        .args(args)
        .output()
        .expect("run gridpatrol")
}

fn patrol(data: &Path, args: &[&str]) -> Output {
    let data = data.to_str().expect("a UTF-8 temp path");
    let mut all = vec!["client", "--data", data, "patrol"];
    all.extend_from_slice(args);
    all.push("--json");
    gridpatrol(&all)
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

fn ok(output: Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    json_of(&output)
}

/// A refusal: exit 2, the code, and the JSON error object.
fn refused(output: Output, code: &str) -> Value {
    let value = json_of(&output);
    assert_eq!(value["status"], "error", "{value}");
    assert_eq!(value["code"], code, "{value}");
    assert_eq!(output.status.code(), Some(2), "{value}");
    value
}

fn start(data: &Path) -> Value {
    ok(patrol(
        data,
        &[
            "start",
            "--reporter",
            "wz-07",
            "--role",
            "inspector",
            "--grid",
            GRID,
            "--interval-ms",
            "1000",
        ],
    ))
}

fn fix(data: &Path, lat: f64, lon: f64, time_ms: i64) -> Output {
    patrol(
        data,
        &[
            "fix",
            "--lat",
            &lat.to_string(),
            "--lon",
            &lon.to_string(),
            "--accuracy",
            "5",
            "--time-ms",
            &time_ms.to_string(),
        ],
    )
}

#[test]
fn start_fix_stop_show_with_a_gap_and_the_distance_in_metres() {
    let dir = TempDir::new().expect("temp dir");
    let data = dir.path();
    refused(fix(data, LAT, LON, now_ms()), "no_active_patrol");

    let started = start(data);
    assert_eq!(started["status"], "started");
    let id = started["patrol"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(started["patrol"]["state"], "active");
    assert_eq!(started["patrol"]["reporter"]["grid_ids"][0], GRID);
    let t0 = started["patrol"]["started_at_ms"]
        .as_i64()
        .expect("started_at_ms");
    refused(
        patrol(
            data,
            &["start", "--reporter", "x", "--role", "inspector", "--grid", GRID],
        ),
        "patrol_still_open",
    );

    // 10 fixes 1 s apart walking north ~1.1 m/s, a 60 s silence, 5 more.
    let step = 0.00001;
    let mut last = None;
    for i in 0..15 {
        let time = t0 + 100 + i * 1_000 + if i >= 10 { 60_000 } else { 0 };
        let out = ok(fix(data, LAT + step * i as f64, LON, time));
        assert_eq!(out["status"], "ok");
        assert_eq!(out["patrol_id"], id.as_str());
        assert_eq!(out["verdict"], "kept");
        assert_eq!(out["seq"], i);
        last = Some(out);
    }
    assert_eq!(
        last.expect("fixes")["durable_points"],
        14,
        "the newest waits for its batch; the exit flushes it"
    );
    let duplicate = ok(fix(data, LAT, LON, t0 + 100 + 14 * 1_000 + 60_000));
    assert_eq!(duplicate["verdict"], "duplicate");

    let shown = ok(patrol(data, &["show"]));
    assert_eq!(shown["patrol_id"], id.as_str());
    assert_eq!(shown["state"], "active");
    assert_eq!(shown["points"], 15);
    assert_eq!(shown["segments"], 2, "the gap is not bridged");
    let distance = shown["distance_m"].as_f64().expect("distance_m");
    // 13 one-second steps of 1.11 m (the step across the gap does not count).
    assert!((distance - 13.0 * 1.112).abs() < 0.5, "distance {distance} m");
    let gaps = shown["gaps"].as_array().expect("gaps");
    assert!(
        gaps.iter()
            .any(|g| (g["seconds"].as_f64().expect("seconds") - 61.0).abs() < 0.01),
        "{shown}"
    );
    assert_eq!(shown["coverage"][0]["grid_id"], GRID);
    assert!(shown["coverage"][0]["share"].as_f64().expect("share") > 0.0);
    assert_eq!(shown["counts"]["kept"], 15);
    // (The duplicate's count is not asserted: the recorder commits refusal counts with the next
    // batch, and a process that exits with no kept fix waiting does not write them.)
    assert!(shown["linked_reports"].is_array());

    let stopped = ok(patrol(data, &["stop"]));
    assert_eq!(stopped["status"], "stopped");
    assert_eq!(stopped["patrol"]["state"], "stopped");
    assert!(stopped["patrol"]["stopped_at_ms"].as_i64().expect("stopped_at") >= t0);
    refused(patrol(data, &["stop"]), "no_active_patrol");

    // The last patrol, by default and by id; a fix for it is refused and changes nothing.
    let by_id = ok(patrol(data, &["show", "--patrol", &id]));
    assert_eq!(by_id["state"], "stopped");
    assert_eq!(ok(patrol(data, &["show"]))["patrol_id"], id.as_str());
    refused(
        patrol(
            data,
            &["fix", "--lat", "31.28", "--lon", "120.62", "--patrol", &id],
        ),
        "patrol_stopped",
    );
    refused(patrol(data, &["show", "--patrol", "nope"]), "patrol_unknown");
    assert_eq!(ok(patrol(data, &["show"]))["points"], 15);
}

#[test]
fn bad_fixes_are_refused_with_codes_and_change_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let data = dir.path();
    let t0 = start(data)["patrol"]["started_at_ms"]
        .as_i64()
        .expect("started_at_ms");
    ok(fix(data, LAT, LON, t0 + 10));
    let cases: [(&[&str], &str); 5] = [
        (&["fix", "--lat", "NaN", "--lon", "120.62"], "fix_not_finite"),
        (&["fix", "--lat", "91", "--lon", "120.62"], "fix_out_of_range"),
        (
            &["fix", "--lat", "31.28", "--lon", "120.62", "--accuracy", "-3"],
            "fix_bad_accuracy",
        ),
        (
            &[
                "fix",
                "--lat",
                "31.28",
                "--lon",
                "120.62",
                "--time-ms",
                "99999999999999",
            ],
            "fix_in_future",
        ),
        (
            &["fix", "--lat", "31.28", "--lon", "120.62", "--time-ms", "1000"],
            "fix_before_start",
        ),
    ];
    for (args, code) in cases {
        let error = refused(patrol(data, args), code);
        assert!(
            !error["message"].as_str().expect("message").contains("120.62"),
            "{error}"
        );
    }
    let shown = ok(patrol(data, &["show"]));
    assert_eq!(shown["points"], 1);
    assert_eq!(shown["counts"]["kept"], 1);
    assert_eq!(shown["counts"]["accuracy"], 0);
}

fn gpx_point(lat: f64, lon: f64, time_ms: i64, extra: &str) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(time_ms) * 1_000_000)
        .expect("a time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    format!("<trkpt lat=\"{lat:.7}\" lon=\"{lon:.7}\"><time>{time}</time>{extra}</trkpt>\n")
}

const GPX_HEAD: &str = "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" creator=\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n";
const GPX_TAIL: &str = "</trkseg></trk></gpx>\n";

#[test]
fn import_gpx_and_csv_into_the_active_patrol() {
    let dir = TempDir::new().expect("temp dir");
    let data = dir.path().join("data");
    let file = dir.path().join("walk.gpx");
    let mut gpx = String::from(GPX_HEAD);
    let t0 = start(&data)["patrol"]["started_at_ms"]
        .as_i64()
        .expect("started_at_ms");
    for i in 0..30 {
        let extra = if i == 3 {
            "<extensions><accuracy>80</accuracy></extensions>"
        } else {
            ""
        };
        gpx.push_str(&gpx_point(
            LAT + 0.00001 * f64::from(i),
            LON,
            t0 + 1_000 + i64::from(i) * 2_000,
            extra,
        ));
    }
    gpx.push_str(GPX_TAIL);
    std::fs::write(&file, &gpx).expect("write gpx");
    let out = ok(patrol(&data, &["import", file.to_str().expect("utf-8")]));
    assert_eq!(out["status"], "imported");
    assert_eq!(out["points_read"], 30);
    assert_eq!(out["batches"], 1);
    assert_eq!(out["counts"]["kept"], 29);
    assert_eq!(out["counts"]["accuracy"], 1, "the 80 m point is over the limit");
    assert_eq!(out["durable_points"], 29);

    let csv = dir.path().join("more.csv");
    let mut text = String::from("time_ms,lat,lon,accuracy,mock\n");
    for i in 0..5 {
        text.push_str(&format!(
            "{},{},{LON},4,{}\n",
            t0 + 61_000 + i * 2_000,
            LAT + 0.0003 + 0.00001 * i as f64,
            i == 2
        ));
    }
    std::fs::write(&csv, text).expect("write csv");
    let out = ok(patrol(&data, &["import", csv.to_str().expect("utf-8")]));
    assert_eq!(
        (out["points_read"].as_u64(), out["counts"]["kept"].as_u64()),
        (Some(5), Some(5))
    );
    assert_eq!(out["counts"]["mock"], 1);
    let shown = ok(patrol(&data, &["show"]));
    assert_eq!(shown["points"], 34);
    assert!(shown["distance_m"].as_f64().expect("distance") > 30.0, "{shown}");
}

#[test]
fn a_bad_file_is_refused_where_it_is_bad_and_nothing_is_imported() {
    let dir = TempDir::new().expect("temp dir");
    let data = dir.path().join("data");
    let path = |name: &str| dir.path().join(name);
    let write = |name: &str, text: &str| {
        std::fs::write(path(name), text).expect("write");
        path(name).to_str().expect("utf-8").to_owned()
    };
    let no_patrol = write("early.csv", "time_ms,lat,lon\n");
    refused(patrol(&data, &["import", &no_patrol]), "no_active_patrol");
    let t0 = start(&data)["patrol"]["started_at_ms"]
        .as_i64()
        .expect("started_at_ms");
    let good = gpx_point(LAT, LON, t0 + 1_000, "");
    let cases = [
        (
            write("html.gpx", "<html><body>hello</body></html>"),
            "not_gpx",
            None,
        ),
        (
            write(
                "cut.gpx",
                &format!("{GPX_HEAD}{good}<trkpt lat=\"31.2\" lon=\"120.6\"><time>"),
            ),
            "malformed_gpx",
            None,
        ),
        (
            write(
                "notime.gpx",
                &format!("{GPX_HEAD}{good}<trkpt lat=\"31.28\" lon=\"120.62\"></trkpt>{GPX_TAIL}"),
            ),
            "bad_time",
            Some(("point", 2)),
        ),
        (
            write(
                "nan.gpx",
                &format!(
                    "{GPX_HEAD}{good}{good}<trkpt lat=\"NaN\" lon=\"120.62\"><time>2026-01-01T00:00:00Z</time></trkpt>{GPX_TAIL}"
                ),
            ),
            "bad_coordinate",
            Some(("point", 3)),
        ),
        (
            write(
                "future.csv",
                &format!(
                    "time_ms,lat,lon\n{},31.28,120.62\n{},31.28,120.62\n",
                    t0 + 1_000,
                    t0 + 86_400_000
                ),
            ),
            "fix_in_future",
            Some(("line", 3)),
        ),
        (write("header.csv", "when,where\n1,2\n"), "bad_csv_header", None),
        (
            write(
                "nan.csv",
                &format!("time_ms,lat,lon\n{},NaN,120.62\n", t0 + 1_000),
            ),
            "bad_coordinate",
            Some(("line", 2)),
        ),
    ];
    for (file, code, at) in cases {
        let error = refused(patrol(&data, &["import", &file]), code);
        if let Some((key, value)) = at {
            assert_eq!(error[key], value, "{error}");
        }
        let message = error["message"].as_str().expect("message");
        assert!(
            !message.contains("120.62") && !message.contains("hello"),
            "quotes no input: {message}"
        );
    }
    let shown = ok(patrol(&data, &["show"]));
    assert_eq!(shown["points"], 0, "no refused file stored a point: {shown}");
    refused(patrol(&data, &["import", &write("walk.txt", "")]), "bad_argument");
    let missing = path("missing.gpx");
    let output = patrol(&data, &["import", missing.to_str().expect("utf-8")]);
    assert_eq!(
        (json_of(&output)["code"].as_str(), output.status.code()),
        (Some("unreadable_file"), Some(1))
    );
}

/// Peak resident set of a running child, in kB (VmHWM only grows, so the last read is the peak
/// up to then; it is read every few milliseconds until the child exits).
fn run_measuring_peak(mut command: Command) -> (Output, u64) {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let status = format!("/proc/{}/status", child.id());
    let watcher = std::thread::spawn(move || {
        let mut peak = 0;
        while let Ok(text) = std::fs::read_to_string(&status) {
            let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            else {
                break;
            };
            peak = peak.max(kb);
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let output = child.wait_with_output().expect("wait");
    (output, watcher.join().expect("watcher"))
}

/// The import of a GPX file twice the memory bound runs within the bound: the file is streamed,
/// never held.
#[test]
fn a_large_gpx_imports_in_bounded_memory() {
    const POINTS: i64 = 40_000;
    const PEAK_LIMIT_KB: u64 = 60 * 1024;
    let dir = TempDir::new().expect("temp dir");
    let data = dir.path().join("data");
    let file = dir.path().join("large.gpx");
    let t0 = start(&data)["patrol"]["started_at_ms"]
        .as_i64()
        .expect("started_at_ms");
    // Each point carries a 3 kB description (as some loggers write), so the file is large with a
    // number of points a debug build imports in seconds; all fall within the patrol's window.
    let padding = format!("<desc>{}</desc>", "walking along the lane ".repeat(150));
    let mut out = BufWriter::new(std::fs::File::create(&file).expect("create"));
    out.write_all(GPX_HEAD.as_bytes()).expect("write");
    for i in 0..POINTS {
        let point = gpx_point(LAT + 1e-7 * i as f64, LON, t0 + 1_000 + i * 5, &padding);
        out.write_all(point.as_bytes()).expect("write");
    }
    out.write_all(GPX_TAIL.as_bytes()).expect("write");
    out.flush().expect("flush");
    drop(out);
    let size = std::fs::metadata(&file).expect("metadata").len();
    assert!(
        size > 2 * PEAK_LIMIT_KB * 1024,
        "the file ({size} bytes) is larger than twice the bound"
    );

    let mut command = Command::new(env!("CARGO_BIN_EXE_gridpatrol"));
    command
        .args(["client", "--data"])
        .arg(&data)
        .args(["patrol", "import"])
        .arg(&file)
        .arg("--json");
    let (output, peak_kb) = run_measuring_peak(command);
    let summary = ok(output);
    assert_eq!(summary["points_read"], POINTS);
    assert_eq!(summary["batches"], POINTS / 1_000);
    assert!(peak_kb > 0, "the peak was measured");
    assert!(
        peak_kb < PEAK_LIMIT_KB,
        "peak RSS {peak_kb} kB over {PEAK_LIMIT_KB} kB for a {size}-byte file"
    );
    eprintln!("imported {size} bytes ({POINTS} points) with a peak RSS of {peak_kb} kB");
}

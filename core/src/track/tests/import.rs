//! The GPX and CSV readers on small files: what each reads, and where each refuses.

use super::*;

const T0: i64 = 1_795_000_000_000;

fn gpx_options() -> ImportOptions {
    ImportOptions {
        format: FileFormat::Gpx,
        default_accuracy_m: 10.0,
    }
}

fn csv_options() -> ImportOptions {
    ImportOptions {
        format: FileFormat::Csv,
        default_accuracy_m: 10.0,
    }
}

fn points(text: &str, options: ImportOptions) -> Result<Vec<(Position, LocationFix)>, ImportError> {
    let mut out = Vec::new();
    for_each_point(text.as_bytes(), options, |at, fix| {
        out.push((at, fix));
        Ok(())
    })?;
    Ok(out)
}

fn gpx(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<metadata><time>2000-01-01T00:00:00Z</time></metadata>
<wpt lat="1" lon="1"><time>2000-01-01T00:00:00Z</time></wpt>
<trk><trkseg>{body}</trkseg></trk></gpx>"#
    )
}

#[test]
fn gpx_track_points_are_read_with_time_and_accuracy() {
    let text = gpx(r#"
<trkpt lat="31.28" lon="120.62"><ele>3</ele><time>2026-11-23T09:30:00+08:00</time></trkpt>
<trkpt lat="31.2801" lon="120.6201"><time>2026-11-23T01:30:05Z</time><extensions><accuracy>4.5</accuracy></extensions></trkpt>"#);
    let read = points(&text, gpx_options()).expect("a valid GPX");
    assert_eq!(
        read.len(),
        2,
        "the waypoint and the metadata time are not track points"
    );
    let (at, first) = read[0];
    assert!(matches!(at, Position::TrackPoint { number: 1, .. }));
    assert_eq!((first.lat, first.lon, first.accuracy_m), (31.28, 120.62, 10.0));
    assert_eq!(read[1].1.fix_time_ms - first.fix_time_ms, 5_000);
    assert_eq!(read[1].1.accuracy_m, 4.5);
    assert_eq!(first.datum, Datum::Wgs84);
}

#[test]
fn gpx_refusals_have_codes_and_positions() {
    let cases = [
        ("time,lat,lon\n".to_owned(), "not_gpx"),
        ("<html><body/></html>".to_owned(), "not_gpx"),
        (String::new(), "not_gpx"),
        (gpx(r#"<trkpt lat="31.28" lon="120.62"></trkpt>"#), "bad_time"),
        (gpx(r#"<trkpt lat="31.28" lon="120.62"/>"#), "bad_time"),
        (
            gpx(r#"<trkpt lat="31.28" lon="120.62"><time>yesterday</time></trkpt>"#),
            "bad_time",
        ),
        (
            gpx(r#"<trkpt lat="NaN" lon="120.62"><time>2026-11-23T01:30:05Z</time></trkpt>"#),
            "bad_coordinate",
        ),
        (
            gpx(r#"<trkpt lat="91" lon="120.62"><time>2026-11-23T01:30:05Z</time></trkpt>"#),
            "bad_coordinate",
        ),
        (
            gpx(r#"<trkpt lon="120.62"><time>2026-11-23T01:30:05Z</time></trkpt>"#),
            "bad_coordinate",
        ),
        (
            gpx(
                r#"<trkpt lat="31" lon="120"><time>2026-11-23T01:30:05Z</time><accuracy>-1</accuracy></trkpt>"#,
            ),
            "bad_accuracy",
        ),
        (
            "<gpx><trk><trkseg><trkpt lat=\"31\" lon=\"120\"><time>".to_owned(),
            "malformed_gpx",
        ),
        ("<gpx><trk></trkseg></gpx>".to_owned(), "malformed_gpx"),
    ];
    for (text, code) in cases {
        let error = points(&text, gpx_options()).expect_err(code);
        assert_eq!(error.code(), code, "{text}");
        assert!(
            !error.to_string().contains("120.62"),
            "the message quotes no input: {error}"
        );
    }
    let error = points(
        &gpx(
            r#"<trkpt lat="31" lon="120"><time>2026-11-23T01:30:05Z</time></trkpt>
<trkpt lat="31" lon="120"><time>soon</time></trkpt>"#,
        ),
        gpx_options(),
    )
    .expect_err("the second point has no readable time");
    assert!(matches!(
        error.position(),
        Some(Position::TrackPoint { number: 2, .. })
    ));
    assert!(error.to_string().contains("track point 2"), "{error}");
}

#[test]
fn a_huge_text_node_is_refused_at_the_limit() {
    let text = format!(
        "<gpx><trk><trkseg><trkpt lat=\"31\" lon=\"120\"><desc>{}</desc></trkpt></trkseg></trk></gpx>",
        "x".repeat(MAX_EVENT_BYTES * 4)
    );
    let error = points(&text, gpx_options()).expect_err("over the limit");
    assert_eq!(error.code(), "too_large");
}

#[test]
fn csv_columns_by_name_in_any_order() {
    let text = "\u{feff}Lon,extra,TIME_MS,lat,accuracy,mock\r\n120.62,x,1795000000000,31.28,,\r\n\n120.63,y,1795000005000,31.29,3,true\n";
    let read = points(text, csv_options()).expect("a valid CSV");
    assert_eq!(read.len(), 2, "the empty line is skipped");
    assert_eq!(read[0].0, Position::Line(2));
    assert_eq!(read[1].0, Position::Line(4));
    assert_eq!(
        (read[0].1.lat, read[0].1.lon, read[0].1.accuracy_m),
        (31.28, 120.62, 10.0)
    );
    assert_eq!((read[1].1.accuracy_m, read[1].1.is_mock), (3.0, true));
    assert_eq!(read[1].1.fix_time_ms, 1_795_000_005_000);

    let rfc = points(
        "time,lat,lon\n2026-11-23T09:30:00+08:00,31.28,120.62\n",
        csv_options(),
    )
    .expect("RFC 3339");
    assert_eq!(rfc[0].1.fix_time_ms, 1_795_397_400_000);
}

#[test]
fn csv_refusals_name_the_line() {
    let cases = [
        ("", "bad_csv_header"),
        ("lat,lon\n31,120\n", "bad_csv_header"),
        ("time,lat\n", "bad_csv_header"),
        ("time_ms,lat,lon\n1795000000000,NaN,120.62\n", "bad_coordinate"),
        ("time_ms,lat,lon\n1795000000000,31.28,inf\n", "bad_coordinate"),
        ("time_ms,lat,lon\n1795000000000,north,120.62\n", "bad_coordinate"),
        ("time_ms,lat,lon\nnoon,31.28,120.62\n", "bad_time"),
        ("time,lat,lon\n1795000000000,31.28,120.62\n", "bad_time"),
        (
            "time_ms,lat,lon,accuracy\n1795000000000,31.28,120.62,NaN\n",
            "bad_accuracy",
        ),
        ("time_ms,lat,lon\n1795000000000,31.28\n", "bad_row"),
        (
            "time_ms,lat,lon,mock\n1795000000000,31.28,120.62,maybe\n",
            "bad_row",
        ),
    ];
    for (text, code) in cases {
        let error = points(text, csv_options()).expect_err(code);
        assert_eq!(error.code(), code, "{text:?}");
        assert!(!error.to_string().contains("120.62"), "{error}");
    }
    let error = points(
        "time_ms,lat,lon\n1795000000000,31.28,120.62\n1795000000000,31.28,120.62\nx,31,120\n",
        csv_options(),
    )
    .expect_err("line 4");
    assert_eq!(error.position(), Some(Position::Line(4)));
    let long = format!("time_ms,lat,lon\n{}", "1".repeat(MAX_EVENT_BYTES * 3));
    assert_eq!(
        points(&long, csv_options()).expect_err("too long").code(),
        "too_large"
    );
}

fn csv_of(times: &[i64]) -> String {
    let mut text = String::from("time_ms,lat,lon\n");
    for (i, t) in times.iter().enumerate() {
        text.push_str(&format!("{t},{},120.62\n", 31.28 + i as f64 * 1e-5));
    }
    text
}

#[test]
fn check_refuses_times_outside_the_patrol_window() {
    let window = TimeWindow {
        started_at_ms: T0,
        now_ms: T0 + 60_000,
        future_tolerance_ms: 300_000,
    };
    let ok = csv_of(&[T0, T0 + 1_000, T0 + 360_000]);
    assert_eq!(check(ok.as_bytes(), csv_options(), window).expect("inside"), 3);
    let future = csv_of(&[T0, T0 + 360_001]);
    let error = check(future.as_bytes(), csv_options(), window).expect_err("future");
    assert_eq!(
        (error.code(), error.position()),
        ("fix_in_future", Some(Position::Line(3)))
    );
    let before = csv_of(&[T0 - 1]);
    let error = check(before.as_bytes(), csv_options(), window).expect_err("before");
    assert_eq!(error.code(), "fix_before_start");
}

#[test]
fn feed_hands_over_full_batches_then_the_rest() {
    let times: Vec<i64> = (0..25).map(|i| T0 + i * 1_000).collect();
    let text = csv_of(&times);
    let mut sizes = Vec::new();
    let summary = feed(text.as_bytes(), csv_options(), 10, |fixes| {
        sizes.push(fixes.len());
        let counts = FilterCounts {
            kept: fixes.len() as u64,
            ..FilterCounts::default()
        };
        Ok(BatchOutcome {
            counts,
            durable_points: sizes.iter().sum::<usize>() as u64,
        })
    })
    .expect("fed");
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(
        (summary.points_read, summary.batches, summary.counts.kept),
        (25, 3, 25)
    );
    assert_eq!(summary.durable_points, 25);

    let mut calls = 0;
    let error = feed(text.as_bytes(), csv_options(), 10, |_| {
        calls += 1;
        if calls == 2 {
            return Err(crate::Error::StorageFull { during: "test" });
        }
        Ok(BatchOutcome {
            counts: FilterCounts::default(),
            durable_points: 10,
        })
    })
    .expect_err("the second batch fails");
    assert!(matches!(error, ImportError::Feed { fed: 10, .. }), "{error:?}");
    assert_eq!(error.code(), "storage_full");
}

//! `gridpatrol component …` as scripts call it: nearest components over the Wuzhong sample (by
//! type, radius and datum), installing a package into a client, and the errors' codes.

use std::process::{Command, Output};

use serde_json::Value;

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

/// Lamp 320506-LD-00421's position in the sample, from the library itself.
fn lamp_position() -> (f64, f64) {
    let list = gridpatrol_core::taxonomy::EventList::bundled();
    let index = gridpatrol_core::component::sample::sample_index(&list, None);
    let lamp = index.get("320506-LD-00421").expect("sample lamp");
    (lamp.lat, lamp.lon)
}

#[test]
fn nearest_lists_ids_types_and_distances_nearest_first() {
    let (lat, lon) = lamp_position();
    // ~12 m north of the lamp.
    let (lat, lon) = ((lat + 0.000_108).to_string(), lon.to_string());
    let out = gridpatrol(&[
        "component",
        "nearest",
        "--lat",
        &lat,
        "--lon",
        &lon,
        "--type",
        "01037",
        "--radius",
        "60",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hits = json_of(&out);
    let hits = hits.as_array().expect("a list");
    assert!(!hits.is_empty());
    assert_eq!(hits[0]["id"], "320506-LD-00421");
    assert_eq!(hits[0]["type"], "01037");
    assert_eq!(hits[0]["datum"], "wgs84");
    let d0 = hits[0]["distance_m"].as_f64().expect("distance");
    assert!((11.0..13.0).contains(&d0), "{d0}");
    let distances: Vec<f64> = hits
        .iter()
        .map(|h| h["distance_m"].as_f64().expect("distance"))
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]));
    assert!(distances.iter().all(|d| *d <= 60.0));
    assert!(hits.iter().all(|h| h["type"] == "01037"));

    // Any type within a wider radius finds more kinds; a tiny radius finds nothing.
    let any = json_of(&gridpatrol(&[
        "component",
        "nearest",
        "--lat",
        &lat,
        "--lon",
        &lon,
        "--radius",
        "300",
        "--limit",
        "100",
        "--json",
    ]));
    let kinds: std::collections::HashSet<&str> = any
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|h| h["type"].as_str())
        .collect();
    assert!(kinds.len() > 1, "{kinds:?}");
    let none = json_of(&gridpatrol(&[
        "component",
        "nearest",
        "--lat",
        &lat,
        "--lon",
        &lon,
        "--type",
        "01037",
        "--radius",
        "1",
        "--json",
    ]));
    assert_eq!(none, Value::Array(Vec::new()));
}

#[test]
fn a_baidu_pin_finds_the_same_lamp() {
    let (lat, lon) = lamp_position();
    let (blat, blon) = gridpatrol_core::location::convert(
        lat,
        lon,
        gridpatrol_core::location::Datum::Wgs84,
        gridpatrol_core::location::Datum::Bd09,
    );
    let out = gridpatrol(&[
        "component",
        "nearest",
        "--lat",
        &blat.to_string(),
        "--lon",
        &blon.to_string(),
        "--datum",
        "bd09",
        "--type",
        "01037",
        "--json",
    ]);
    let hits = json_of(&out);
    assert_eq!(hits[0]["id"], "320506-LD-00421");
    assert!(hits[0]["distance_m"].as_f64().expect("distance") < 0.1);
}

#[test]
fn bad_arguments_are_typed_errors() {
    let code = |args: &[&str]| {
        let out = gridpatrol(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        json_of(&out)["code"].as_str().expect("code").to_owned()
    };
    let base = [
        "component",
        "nearest",
        "--lat",
        "31.2",
        "--lon",
        "120.6",
        "--json",
    ];
    assert_eq!(code(&[&base[..], &["--type", "99999"]].concat()), "unknown_code");
    assert_eq!(
        code(&[&base[..], &["--radius", "-5"]].concat()),
        "invalid_argument"
    );
    assert_eq!(
        code(&[&base[..], &["--datum", "osgb36"]].concat()),
        "invalid_argument"
    );
    assert_eq!(
        code(&["component", "nearest", "--lat", "95", "--lon", "120.6", "--json"]),
        "invalid_argument"
    );
    assert_eq!(
        code(&["component", "nearest", "--lat", "NaN", "--lon", "120.6", "--json"]),
        "invalid_argument"
    );
}

#[test]
fn install_refuses_a_bad_package_whole_and_serves_the_good_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("phone");
    let data_s = data.to_str().expect("utf-8 path");
    let bad = dir.path().join("bad.geojson");
    let feature = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[120.6,31.2]},"properties":{"id":"X-1","type_code":"01037","name":"路灯"}}"#;
    std::fs::write(
        &bad,
        format!(
            r#"{{"type":"FeatureCollection","gridpatrol":{{"kind":"components","version":"v1","datum":"wgs84"}},"features":[{feature},{feature}]}}"#
        ),
    )
    .expect("write");
    let out = gridpatrol(&[
        "component",
        "install",
        "--data",
        data_s,
        "--file",
        bad.to_str().expect("path"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let error = json_of(&out);
    assert_eq!(error["code"], "component_package_rejected");
    assert_eq!(error["kind"], "component.duplicate_id");
    assert_eq!(error["component_id"], "X-1");
    let out = gridpatrol(&[
        "component",
        "nearest",
        "--lat",
        "31.2",
        "--lon",
        "120.6",
        "--data",
        data_s,
        "--json",
    ]);
    assert_eq!(json_of(&out)["code"], "no_component_package");

    let out = gridpatrol(&["component", "install", "--data", data_s, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let info = json_of(&out);
    assert!(info["components"].as_u64().expect("count") > 50_000);
    let (lat, lon) = lamp_position();
    let out = gridpatrol(&[
        "component",
        "nearest",
        "--lat",
        &lat.to_string(),
        "--lon",
        &lon.to_string(),
        "--data",
        data_s,
        "--type",
        "01037",
        "--json",
    ]);
    assert_eq!(json_of(&out)[0]["id"], "320506-LD-00421");
}

use std::sync::OnceLock;

use super::sample::{self, sample_components};
use super::*;
use crate::grid::GridIndex;
use crate::location::{Datum, convert, distance_m};
use crate::taxonomy::EventList;

fn list() -> std::sync::Arc<EventList> {
    EventList::bundled()
}

fn grids() -> &'static GridIndex {
    static GRIDS: OnceLock<GridIndex> = OnceLock::new();
    GRIDS.get_or_init(crate::grid::sample::sample_index)
}

fn sample() -> &'static ComponentIndex {
    static INDEX: OnceLock<ComponentIndex> = OnceLock::new();
    INDEX.get_or_init(|| sample::sample_index(&list(), Some(grids())))
}

fn lamp(id: &str, lon: f64, lat: f64) -> RawComponent {
    RawComponent {
        id: id.into(),
        type_code: "01037".into(),
        name: "路灯".into(),
        managing_department: "城管局".into(),
        owning_unit: String::new(),
        maintenance_unit: String::new(),
        lon,
        lat,
    }
}

fn rejected(raw: Vec<RawComponent>) -> ComponentPackageError {
    ComponentPackage::from_raw(raw, "v1".into(), Datum::Wgs84, &list(), Some(grids()))
        .expect_err("must be rejected")
}

fn package_json(features: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","gridpatrol":{{"kind":"components","version":"v1","datum":"wgs84"}},"features":[{features}]}}"#
    )
}

fn feature(id: &str, type_code: &str, lon: f64, lat: f64) -> String {
    format!(
        r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"id":"{id}","type_code":"{type_code}","name":"路灯"}}}}"#
    )
}

fn from_json(text: &str) -> Result<ComponentPackage, ComponentPackageError> {
    ComponentPackage::from_bytes(text.as_bytes(), &list(), Some(grids()), None)
}

#[test]
fn the_sample_package_parses_to_what_the_generator_made_and_is_byte_identical() {
    let text = sample::sample_package();
    assert_eq!(text, sample::sample_package());
    let package = from_json(&text).expect("the sample verifies");
    assert_eq!(package.version, sample::VERSION);
    assert_eq!(
        package.sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
    );
    assert!(package.components.len() > 50_000, "{}", package.components.len());
    assert_eq!(package.components, sample().components());
    let types: std::collections::HashSet<&str> =
        package.components.iter().map(|c| c.type_code.as_str()).collect();
    for wanted in ["01037", "01001", "04002", "02012", "03005"] {
        assert!(types.contains(wanted), "no {wanted}");
    }
    // Every sample component lies in some basic grid, not only in the extent.
    let outside = package
        .components
        .iter()
        .step_by(97)
        .filter(|c| grids().locate(c.lat, c.lon).is_none())
        .count();
    assert_eq!(outside, 0);
    assert!(sample().get("320506-LD-00421").is_some());
    assert!(sample().get("320506-LD-99999").is_none());
}

#[test]
fn a_duplicate_id_is_rejected_naming_it() {
    let e = rejected(vec![
        lamp("A-1", 120.5, 31.2),
        lamp("A-2", 120.5, 31.2),
        lamp("A-1", 120.6, 31.2),
    ]);
    assert_eq!(e, ComponentPackageError::DuplicateId { id: "A-1".into() });
    assert_eq!(e.code(), "component.duplicate_id");
    assert_eq!(e.component_id(), Some("A-1"));
}

#[test]
fn an_unknown_type_code_is_rejected() {
    let mut bad = lamp("A-1", 120.5, 31.2);
    bad.type_code = "01016".into(); // not among the 153 (the standard skips it)
    let e = rejected(vec![bad]);
    assert_eq!(e.code(), "component.unknown_type");
    let e = from_json(&package_json(&feature("B-1", "99999", 120.5, 31.2))).expect_err("rejected");
    assert_eq!(e.code(), "component.unknown_type");
}

#[test]
fn impossible_and_far_away_coordinates_are_rejected() {
    let code = |lon, lat| rejected(vec![lamp("A-1", lon, lat)]).code();
    assert_eq!(code(f64::NAN, 31.2), "component.non_finite_coordinate");
    assert_eq!(code(120.5, f64::INFINITY), "component.non_finite_coordinate");
    assert_eq!(code(120.5, 91.0), "component.coordinate_out_of_range");
    assert_eq!(code(-181.0, 31.2), "component.coordinate_out_of_range");
    // Beijing is a valid place but not in Wuzhong's grid package.
    assert_eq!(code(116.4, 39.9), "component.outside_grid_extent");
    // Without grids installed, the extent is not checked.
    ComponentPackage::from_raw(
        vec![lamp("A-1", 116.4, 39.9)],
        "v1".into(),
        Datum::Wgs84,
        &list(),
        None,
    )
    .expect("no extent to check");
}

#[test]
fn bad_ids_names_and_geometry_are_rejected() {
    assert_eq!(
        rejected(vec![lamp("", 120.5, 31.2)]).code(),
        "component.invalid_id"
    );
    assert_eq!(
        rejected(vec![lamp("has space", 120.5, 31.2)]).code(),
        "component.invalid_id"
    );
    let mut unnamed = lamp("A-1", 120.5, 31.2);
    unnamed.name = " ".into();
    assert_eq!(
        rejected(vec![unnamed]),
        ComponentPackageError::InvalidText {
            id: "A-1".into(),
            field: "name"
        }
    );
    let mut long = lamp("A-1", 120.5, 31.2);
    long.maintenance_unit = "长".repeat(MAX_TEXT_CHARS + 1);
    assert_eq!(rejected(vec![long]).code(), "component.invalid_text");
    let line = package_json(
        r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[120.5,31.2],[120.6,31.2]]},"properties":{"id":"L-1","type_code":"01037","name":"x"}}"#,
    );
    assert_eq!(
        from_json(&line).expect_err("rejected").code(),
        "component.invalid_geometry"
    );
}

#[test]
fn a_broken_file_header_or_hash_is_rejected_without_quoting_it() {
    let e = from_json(r#"{"type":"FeatureCollection","features":[{"properties":{"id":12345678}}]}"#)
        .expect_err("x");
    assert_eq!(e.code(), "component_package.not_geojson");
    assert!(!e.to_string().contains("12345678"), "{e}");
    assert_eq!(
        from_json("not json").expect_err("x").code(),
        "component_package.not_geojson"
    );
    let no_header = r#"{"type":"FeatureCollection","features":[]}"#;
    assert_eq!(
        from_json(no_header).expect_err("x"),
        ComponentPackageError::InvalidHeader { field: "kind" }
    );
    let bad_datum = package_json("").replace("wgs84", "osgb36");
    assert_eq!(
        from_json(&bad_datum).expect_err("x"),
        ComponentPackageError::InvalidHeader { field: "datum" }
    );
    let text = package_json(&feature("A-1", "01037", 120.5, 31.2));
    let good = ComponentPackage::from_bytes(text.as_bytes(), &list(), Some(grids()), None).expect("valid");
    let quoted = format!("\"{}\"", good.sha256);
    ComponentPackage::from_bytes(text.as_bytes(), &list(), Some(grids()), Some(&quoted))
        .expect("ETag matches");
    let e = ComponentPackage::from_bytes(text.as_bytes(), &list(), Some(grids()), Some(&"0".repeat(64)))
        .expect_err("mismatch");
    assert_eq!(e.code(), "component_package.hash_mismatch");
}

#[test]
fn oversized_packages_are_refused_before_parsing() {
    let huge = vec![b' '; MAX_PACKAGE_BYTES + 1];
    let e = ComponentPackage::from_bytes(&huge, &list(), None, None).expect_err("too large");
    assert_eq!(e.code(), "component_package.too_large");
    let features = vec!["{}"; MAX_COMPONENTS + 1].join(",");
    let e = from_json(&package_json(&features)).expect_err("too many");
    assert_eq!(
        e,
        ComponentPackageError::TooManyComponents { max: MAX_COMPONENTS }
    );
}

#[test]
fn a_gcj02_package_is_stored_in_wgs84() {
    let (glat, glon) = convert(31.2, 120.5, Datum::Wgs84, Datum::Gcj02);
    let text = package_json(&feature("A-1", "01037", glon, glat)).replace("wgs84", "gcj02");
    let package = from_json(&text).expect("valid");
    assert_eq!(package.datum, Datum::Gcj02);
    let c = &package.components[0];
    assert!(distance_m(c.lat, c.lon, 31.2, 120.5) < 0.01);
}

#[test]
fn nearest_agrees_with_a_full_scan_by_type_and_radius() {
    let index = sample();
    let lamps = vec!["01037".to_string()];
    let any: Vec<String> = Vec::new();
    let mut checked = 0;
    for (i, c) in index.components().iter().step_by(2_503).enumerate() {
        // Near a component, not on it.
        let (lat, lon) = (c.lat + 0.0003 * (i % 3) as f64, c.lon - 0.0002);
        for (types, radius) in [(&lamps, 80.0), (&any, 150.0), (&lamps, 1.0)] {
            let got = index.nearest(&NearbyQuery {
                lat,
                lon,
                types,
                radius_m: radius,
                limit: 100,
            });
            let mut want: Vec<(f64, &str)> = index
                .components()
                .iter()
                .filter(|o| types.is_empty() || types.contains(&o.type_code))
                .map(|o| (distance_m(lat, lon, o.lat, o.lon), o.id.as_str()))
                .filter(|(d, _)| *d <= radius)
                .collect();
            sort_nearest(&mut want, |w| (w.0, w.1));
            want.truncate(100);
            let got: Vec<(f64, &str)> = got
                .iter()
                .map(|n| (n.distance_m, n.component.id.as_str()))
                .collect();
            assert_eq!(got, want);
            checked += 1;
        }
    }
    assert!(checked > 50);
}

#[test]
fn nearest_finds_the_lamp_a_worker_stands_by_and_refuses_nonsense() {
    let index = sample();
    let lamp = index.get("320506-LD-00421").expect("sample lamp");
    let (lat, lon) = (lamp.lat + 0.0001, lamp.lon);
    let types = vec!["01037".to_string()];
    let found = index.nearest(&NearbyQuery {
        lat,
        lon,
        types: &types,
        radius_m: 50.0,
        limit: 3,
    });
    assert_eq!(found[0].component.id, lamp.id);
    assert!(
        (found[0].distance_m - 11.1).abs() < 0.2,
        "{}",
        found[0].distance_m
    );
    assert!(found.len() <= 3 && found.iter().all(|n| n.component.type_code == "01037"));
    assert!(found.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
    for (lat, lon, radius) in [
        (f64::NAN, lon, 50.0),
        (lat, f64::INFINITY, 50.0),
        (lat, lon, -1.0),
        (lat, lon, f64::NAN),
    ] {
        assert!(
            index
                .nearest(&NearbyQuery {
                    lat,
                    lon,
                    types: &types,
                    radius_m: radius,
                    limit: 3
                })
                .is_empty()
        );
    }
    // A huge radius is clamped, and the answer bounded.
    let wide = index.nearest(&NearbyQuery {
        lat,
        lon,
        types: &[],
        radius_m: 1e9,
        limit: 1_000_000,
    });
    assert_eq!(wide.len(), MAX_RESULTS);
    assert!(wide.iter().all(|n| n.distance_m <= MAX_RADIUS_M));
}

#[test]
fn the_generator_count_matches_its_doc() {
    let n = sample_components().len();
    assert!((60_000..75_000).contains(&n), "{n}");
}

// ---- through the Client: install, reopen, nothing changes on a bad package ----

fn sample_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(sample::sample_package)
}

#[test]
fn a_client_installs_verifies_and_reloads_the_component_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::Client::open(dir.path()).expect("open");
    client
        .install_grid_package(&crate::grid::sample::sample_package())
        .expect("grids");
    assert!(client.component_package_info().is_none());
    assert!(client.nearest_components(31.2, 120.6, &[], 100.0, 5).is_empty());

    let bytes = sample_text().as_bytes();
    let wrong = "f".repeat(64);
    let e = client
        .install_component_package(bytes, Some(&wrong))
        .expect_err("hash mismatch");
    assert!(matches!(
        e,
        crate::Error::ComponentPackage(ComponentPackageError::HashMismatch { .. })
    ));
    assert!(
        client.component_package_info().is_none(),
        "a refused package installs nothing"
    );

    let info = client.install_component_package(bytes, None).expect("install");
    assert_eq!(info.version, sample::VERSION);
    assert_eq!(info.components as usize, sample().len());

    let lamp = sample().get("320506-LD-00421").expect("lamp");
    let types = vec!["01037".to_string()];
    let hits = client.nearest_components(lamp.lat + 0.0001, lamp.lon, &types, 50.0, 3);
    assert_eq!(hits[0].id, lamp.id);
    assert_eq!(hits[0].type_name_zh, "路灯");
    assert_eq!(hits[0].datum, Datum::Wgs84);

    // A bad package (a duplicate id) is refused whole; the installed one stays, on disk too.
    let bad = package_json(
        &[
            feature("A-1", "01037", 120.5, 31.2),
            feature("A-1", "01037", 120.5, 31.2),
        ]
        .join(","),
    );
    let e = client
        .install_component_package(bad.as_bytes(), None)
        .expect_err("duplicate");
    assert!(matches!(
        e,
        crate::Error::ComponentPackage(ComponentPackageError::DuplicateId { .. })
    ));
    assert_eq!(client.component_package_info(), Some(info.clone()));
    drop(client);
    let reopened = crate::Client::open(dir.path()).expect("reopen");
    assert_eq!(reopened.component_package_info(), Some(info));
}

//! Each validation rule function on its own: a draft and a subtype made in the test (a bundled
//! subtype with its rules set as the case needs), so a rule is checked without a `Client`, a
//! store or the other rules.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::{CapturePolicy, Draft, DraftPhoto, PhotoKind, ReportContent, Reporter, ValidationReport};
use super::{event_rules, evidence_rules, field_rules, location_rules};
use crate::capture::EarlierReport;
use crate::grid::GridIndex;
use crate::location::{Datum, LocationFix, LocationProvider};
use crate::taxonomy::{Attribute, ComponentRule, Datatype, EventList, OwnGridPolicy, Role, Subtype};

const NOW: i64 = 1_780_000_000_000;

fn list() -> Arc<EventList> {
    EventList::bundled()
}

fn grids() -> &'static GridIndex {
    static GRIDS: OnceLock<GridIndex> = OnceLock::new();
    GRIDS.get_or_init(crate::grid::sample::sample_index)
}

/// A bundled subtype (its codes are real) whose rules each test sets as it needs.
fn subtype() -> Subtype {
    let mut subtype = list().subtypes()[0].clone();
    subtype.rules.roles = vec![Role::Inspector];
    subtype.rules.evidence.min_photos = 1;
    subtype.rules.evidence.max_photos = 3;
    subtype.rules.evidence.after_photo_to_close_on_spot = true;
    subtype.rules.on_site_disposal = true;
    subtype.rules.attributes.clear();
    subtype.rules.component = None;
    subtype.rules.location.required = true;
    subtype.rules.location.max_accuracy_m = 30;
    subtype.rules.location.manual_pin_allowed = false;
    subtype.rules.location.own_grid = OwnGridPolicy::Error;
    subtype
}

fn a_fix(lat: f64, lon: f64) -> LocationFix {
    LocationFix {
        lat,
        lon,
        accuracy_m: 5.0,
        fix_time_ms: NOW - 1_000,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

fn photo(kind: PhotoKind) -> DraftPhoto {
    DraftPhoto {
        sha256: "ab".repeat(32),
        kind,
        width: 1920,
        height: 1440,
        bytes: 400_000,
        original_width: 4000,
        original_height: 3000,
        exif_taken_at_ms: None,
        exif_lat: None,
        exif_lon: None,
    }
}

/// The first basic grid of the sample, and a point inside it.
fn own_grid_and_point() -> (String, f64, f64) {
    let grids = grids();
    for lat_step in 0..200 {
        for lon_step in 0..200 {
            let (lat, lon) = (31.20 + lat_step as f64 * 0.001, 120.55 + lon_step as f64 * 0.001);
            if let Some(chain) = grids.locate(lat, lon) {
                return (chain.basic.id.clone(), lat, lon);
            }
        }
    }
    panic!("the sample grids cover none of the scanned area");
}

/// A draft of `subtype` that every rule accepts: one evidence photo, an accurate fix.
fn draft(subtype: &Subtype) -> Draft {
    let problem = list().problems_of(&subtype.code)[0].code.clone();
    Draft {
        id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        subtype: Some(subtype.code.clone()),
        problem: Some(problem),
        content: ReportContent {
            reporter: Reporter {
                reporter_id: "insp-rules".into(),
                role: Role::Inspector,
                grid_ids: vec![],
            },
            fix: Some(a_fix(31.27, 120.62)),
            input_datum: Some(Datum::Wgs84),
            photos: vec![photo(PhotoKind::Evidence)],
            attributes: HashMap::new(),
            description: String::new(),
            component_id: None,
            disposed_on_spot: false,
            captured_at_ms: NOW - 2_000,
        },
        updated_at_ms: NOW - 1_000,
    }
}

fn without_fix(draft: &Draft) -> Draft {
    let mut draft = draft.clone();
    draft.content.fix = None;
    draft
}

fn codes(report: &ValidationReport) -> Vec<&str> {
    report.codes()
}

/// Runs one rule on a fresh report and gives its codes.
fn run(rule: impl FnOnce(&mut ValidationReport)) -> Vec<String> {
    let mut report = ValidationReport::default();
    rule(&mut report);
    codes(&report).into_iter().map(String::from).collect()
}

#[test]
fn the_event_rules_name_a_missing_unknown_or_foreign_subtype_and_problem() {
    let list = list();
    let subtype = subtype();
    let good = draft(&subtype);
    let mut found = None;
    assert!(run(|r| found = event_rules::subtype(&good, &list, r).map(|s| s.code.clone())).is_empty());
    assert_eq!(
        found.as_deref(),
        Some(subtype.code.as_str()),
        "the subtype in force is handed on"
    );
    assert!(run(|r| event_rules::problem(&good, &list, Some(&subtype), r)).is_empty());

    let none = Draft {
        subtype: None,
        problem: None,
        ..good.clone()
    };
    assert_eq!(
        run(|r| assert!(event_rules::subtype(&none, &list, r).is_none())),
        ["subtype.missing"]
    );
    assert_eq!(
        run(|r| event_rules::problem(&none, &list, None, r)),
        ["problem.missing"]
    );

    let unknown = Draft {
        subtype: Some("99-999".into()),
        problem: Some("99-999-99".into()),
        ..good.clone()
    };
    assert_eq!(
        run(|r| assert!(event_rules::subtype(&unknown, &list, r).is_none())),
        ["subtype.unknown"]
    );
    assert_eq!(
        run(|r| event_rules::problem(&unknown, &list, None, r)),
        ["problem.unknown"]
    );

    let other = &list.subtypes()[1];
    let foreign = Draft {
        problem: Some(list.problems_of(&other.code)[0].code.clone()),
        ..good
    };
    assert_eq!(
        run(|r| event_rules::problem(&foreign, &list, Some(&subtype), r)),
        ["problem.mismatch"]
    );
    // Without a subtype in force a real problem has nothing to mismatch.
    assert!(run(|r| event_rules::problem(&foreign, &list, None, r)).is_empty());
}

#[test]
fn the_role_rule_refuses_a_role_the_subtype_does_not_list() {
    let mut subtype = subtype();
    let mut volunteer = draft(&subtype);
    volunteer.content.reporter.role = Role::Volunteer;
    assert_eq!(
        run(|r| event_rules::role(&volunteer, &subtype, r)),
        ["role.not_allowed"]
    );
    subtype.rules.roles.push(Role::Volunteer);
    assert!(run(|r| event_rules::role(&volunteer, &subtype, r)).is_empty());
}

#[test]
fn the_photo_counts_rule_counts_evidence_for_the_minimum_and_all_photos_for_the_maximum() {
    let subtype = subtype();
    let mut d = draft(&subtype);
    assert!(run(|r| evidence_rules::photo_counts(&d, &subtype, r)).is_empty());
    d.content.photos = vec![photo(PhotoKind::After)];
    assert_eq!(
        run(|r| evidence_rules::photo_counts(&d, &subtype, r)),
        ["photo.too_few"]
    );
    d.content.photos = vec![
        photo(PhotoKind::Evidence),
        photo(PhotoKind::Evidence),
        photo(PhotoKind::After),
        photo(PhotoKind::After),
    ];
    assert_eq!(
        run(|r| evidence_rules::photo_counts(&d, &subtype, r)),
        ["photo.too_many"]
    );
}

#[test]
fn the_disposal_rule_needs_a_subtype_that_allows_it_and_its_after_photo() {
    let mut subtype = subtype();
    let mut d = draft(&subtype);
    assert!(
        run(|r| evidence_rules::disposal(&d, &subtype, r)).is_empty(),
        "not closed on the spot"
    );
    d.content.disposed_on_spot = true;
    assert_eq!(
        run(|r| evidence_rules::disposal(&d, &subtype, r)),
        ["photo.after_missing"]
    );
    d.content.photos.push(photo(PhotoKind::After));
    assert!(run(|r| evidence_rules::disposal(&d, &subtype, r)).is_empty());
    subtype.rules.on_site_disposal = false;
    assert_eq!(
        run(|r| evidence_rules::disposal(&d, &subtype, r)),
        ["disposal.not_allowed"]
    );
}

#[test]
fn the_photo_consistency_rule_checks_size_and_exif_against_the_fix() {
    let policy = CapturePolicy::default();
    let subtype = subtype();
    let mut d = draft(&subtype);
    assert!(run(|r| evidence_rules::photo_consistency(&d, &policy, r)).is_empty());
    d.content.photos[0].original_width = policy.min_photo_short_edge - 1;
    let fix = d.content.fix.expect("the draft has a fix");
    d.content.photos.push(DraftPhoto {
        exif_taken_at_ms: Some(fix.fix_time_ms - i64::from(policy.exif_time_tolerance_s) * 1000 - 60_000),
        exif_lat: Some(fix.lat + 0.05),
        exif_lon: Some(fix.lon),
        ..photo(PhotoKind::Evidence)
    });
    assert_eq!(
        run(|r| evidence_rules::photo_consistency(&d, &policy, r)),
        [
            "photo.too_small",
            "photo.exif_time_mismatch",
            "photo.exif_gps_mismatch"
        ]
    );
    // Without a fix there is nothing to compare EXIF with; the size still counts.
    d.content.fix = None;
    assert_eq!(
        run(|r| evidence_rules::photo_consistency(&d, &policy, r)),
        ["photo.too_small"]
    );
}

fn attribute(code: &str, datatype: Datatype, required: bool) -> Attribute {
    Attribute {
        code: code.into(),
        datatype,
        required,
        order: 1,
        label_zh: "数量".into(),
        label_en: "Count".into(),
        values: vec![],
        max_length: None,
        min: Some(1),
        max: Some(10),
    }
}

#[test]
fn the_attribute_rule_names_missing_invalid_and_unknown_attributes() {
    let mut subtype = subtype();
    subtype.rules.attributes = vec![
        attribute("count", Datatype::Number, true),
        attribute("depth", Datatype::Number, false),
    ];
    let mut d = draft(&subtype);
    assert_eq!(
        run(|r| field_rules::attributes(&d, &subtype, r)),
        ["attribute.missing"],
        "only the required one"
    );
    d.content.attributes.insert("count".into(), "3".into());
    assert!(run(|r| field_rules::attributes(&d, &subtype, r)).is_empty());
    d.content.attributes.insert("count".into(), "11".into());
    d.content.attributes.insert("zeta".into(), "x".into());
    d.content.attributes.insert("alpha".into(), "y".into());
    let mut report = ValidationReport::default();
    field_rules::attributes(&d, &subtype, &mut report);
    let fields: Vec<&str> = report.errors.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        codes(&report),
        ["attribute.invalid", "attribute.unknown", "attribute.unknown"]
    );
    assert_eq!(
        fields,
        ["attributes.count", "attributes.alpha", "attributes.zeta"],
        "unknown ones in code order"
    );
}

#[test]
fn the_component_rule_needs_a_number_that_is_not_blank() {
    let mut subtype = subtype();
    let mut d = draft(&subtype);
    assert!(
        run(|r| field_rules::component_given(&d, &subtype, r)).is_empty(),
        "no component rule"
    );
    subtype.rules.component = Some(ComponentRule {
        required: true,
        types: vec![],
    });
    assert_eq!(
        run(|r| field_rules::component_given(&d, &subtype, r)),
        ["component.missing"]
    );
    d.content.component_id = Some("   ".into());
    assert_eq!(
        run(|r| field_rules::component_given(&d, &subtype, r)),
        ["component.missing"]
    );
    d.content.component_id = Some("LD-0001".into());
    assert!(run(|r| field_rules::component_given(&d, &subtype, r)).is_empty());
}

#[test]
fn the_description_rule_counts_characters_not_bytes() {
    let policy = CapturePolicy::default();
    let subtype = subtype();
    let mut d = draft(&subtype);
    d.content.description = "井".repeat(policy.description_max_chars as usize);
    assert!(
        run(|r| field_rules::description(&d, &policy, r)).is_empty(),
        "at the limit"
    );
    d.content.description.push('盖');
    assert_eq!(
        run(|r| field_rules::description(&d, &policy, r)),
        ["description.too_long"]
    );
}

#[test]
fn the_fix_rule_names_each_kind_of_bad_fix() {
    let policy = CapturePolicy::default();
    let mut subtype = subtype();
    let good = draft(&subtype);
    let rule = |d: &Draft, s: &Subtype| run(|r| location_rules::fix(d, s, &policy, NOW, r));
    assert!(rule(&good, &subtype).is_empty());
    assert_eq!(rule(&without_fix(&good), &subtype), ["location.missing"]);
    let with = |change: fn(&mut LocationFix)| {
        let mut d = good.clone();
        change(d.content.fix.as_mut().expect("the draft has a fix"));
        d
    };
    assert_eq!(rule(&with(|f| f.lat = f64::NAN), &subtype), ["location.invalid"]);
    assert_eq!(rule(&with(|f| f.lon = 181.0), &subtype), ["location.invalid"]);
    assert_eq!(
        rule(&with(|f| (f.lat, f.lon) = (0.0, 0.0)), &subtype),
        ["location.null_island"]
    );
    assert_eq!(rule(&with(|f| f.is_mock = true), &subtype), ["location.mock"]);
    assert_eq!(
        rule(&with(|f| f.accuracy_m = 31.0), &subtype),
        ["location.too_inaccurate"]
    );
    let pin = with(|f| (f.provider, f.accuracy_m) = (LocationProvider::ManualPin, 500.0));
    assert_eq!(rule(&pin, &subtype), ["location.manual_pin_not_allowed"]);
    subtype.rules.location.manual_pin_allowed = true;
    assert!(
        rule(&pin, &subtype).is_empty(),
        "an allowed pin is not judged by accuracy"
    );
    subtype.rules.location.required = false;
    assert!(rule(&without_fix(&good), &subtype).is_empty());
}

#[test]
fn the_own_grid_rule_is_an_error_or_a_warning_as_the_subtype_says() {
    let (own, lat, lon) = own_grid_and_point();
    let mut subtype = subtype();
    let mut d = draft(&subtype);
    d.content.reporter.grid_ids = vec![own];
    d.content.fix = Some(a_fix(lat, lon));
    let rule = |d: &Draft, s: &Subtype, g: Option<&GridIndex>| run(|r| location_rules::own_grid(d, s, g, r));
    assert!(
        rule(&d, &subtype, Some(grids())).is_empty(),
        "inside the own grid"
    );
    let mut away = d.clone();
    away.content.fix = Some(a_fix(lat + 0.2, lon + 0.2));
    assert_eq!(rule(&away, &subtype, Some(grids())), ["grid.outside_own"]);
    assert!(
        rule(&away, &subtype, None).is_empty(),
        "no grids installed: no check"
    );
    subtype.rules.location.own_grid = OwnGridPolicy::Warning;
    let mut report = ValidationReport::default();
    location_rules::own_grid(&away, &subtype, Some(grids()), &mut report);
    assert_eq!(
        (report.errors.len(), codes(&report)),
        (0, vec!["grid.outside_own"])
    );
    subtype.rules.location.own_grid = OwnGridPolicy::NoCheck;
    assert!(rule(&away, &subtype, Some(grids())).is_empty());
    // A fix that is no position is the fix rule's finding, not a distance to the grid.
    subtype.rules.location.own_grid = OwnGridPolicy::Error;
    away.content.fix = Some(a_fix(0.0, 0.0));
    assert!(rule(&away, &subtype, Some(grids())).is_empty());
}

#[test]
fn the_duplicate_rule_warns_of_the_same_subtype_nearby_and_recent_only() {
    let policy = CapturePolicy::default();
    let subtype = subtype();
    let d = draft(&subtype);
    let fix = d.content.fix.expect("the draft has a fix");
    let earlier = |id: &str, code: &str, lat: f64, at: i64| EarlierReport {
        id: id.into(),
        subtype: code.into(),
        lat,
        lon: fix.lon,
        captured_at_ms: at,
    };
    let window = i64::from(policy.duplicate_window_s) * 1000;
    let rule = |e: &[EarlierReport]| run(|r| location_rules::duplicate(&d, &subtype, &policy, e, r));
    assert_eq!(
        rule(&[earlier(
            "r1",
            &subtype.code,
            fix.lat,
            d.content.captured_at_ms - 1000
        )]),
        ["report.possible_duplicate"]
    );
    assert!(
        rule(&[earlier(&d.id, &subtype.code, fix.lat, d.content.captured_at_ms)]).is_empty(),
        "itself"
    );
    assert!(
        rule(&[earlier("r2", "99-999", fix.lat, d.content.captured_at_ms)]).is_empty(),
        "another subtype"
    );
    assert!(
        rule(&[earlier(
            "r3",
            &subtype.code,
            fix.lat + 0.01,
            d.content.captured_at_ms
        )])
        .is_empty(),
        "1 km away"
    );
    assert!(
        rule(&[earlier(
            "r4",
            &subtype.code,
            fix.lat,
            d.content.captured_at_ms - window - 1
        )])
        .is_empty(),
        "too long ago"
    );
}

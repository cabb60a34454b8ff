//! The JSON of a draft (the stored body of a draft row) and of a submitted report (the stored
//! body of a pending row, and what the platform receives) pinned against fixtures written by the
//! release before the one report shape: stored bodies and the wire must read the same, whatever
//! the Rust types look like. Compared as JSON values (key order is not part of the format; the
//! platform hashes canonical JSON).

use std::collections::HashMap;

use super::{Draft, DraftPhoto, PhotoKind, ReportContent, Reporter, SubmittedReport};
use crate::location::{Datum, LocationFix, LocationProvider};
use crate::taxonomy::Role;

const DRAFT_JSON: &str = include_str!("fixtures/draft.json");
const REPORT_JSON: &str = include_str!("fixtures/report.json");

fn reporter() -> Reporter {
    Reporter {
        reporter_id: "insp-0001".into(),
        role: Role::Inspector,
        grid_ids: vec!["320506001001".into()],
    }
}

fn fix() -> LocationFix {
    LocationFix {
        lat: 31.27,
        lon: 120.62,
        accuracy_m: 6.5,
        fix_time_ms: 1_780_000_000_000,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

fn photos() -> Vec<DraftPhoto> {
    vec![
        DraftPhoto {
            sha256: "ab".repeat(32),
            kind: PhotoKind::Evidence,
            width: 1920,
            height: 1440,
            bytes: 412_345,
            original_width: 4000,
            original_height: 3000,
            exif_taken_at_ms: Some(1_779_999_990_000),
            exif_lat: Some(31.2701),
            exif_lon: Some(120.6199),
        },
        DraftPhoto {
            sha256: "cd".repeat(32),
            kind: PhotoKind::After,
            width: 1920,
            height: 1080,
            bytes: 300_001,
            original_width: 1920,
            original_height: 1080,
            exif_taken_at_ms: None,
            exif_lat: None,
            exif_lon: None,
        },
    ]
}

fn attributes() -> HashMap<String, String> {
    HashMap::from([
        ("hazard_level".to_string(), "general".to_string()),
        ("company_name".to_string(), "苏州某机械厂有限公司".to_string()),
    ])
}

/// Every content field set, so the fixtures pin each one's name and form.
fn content() -> ReportContent {
    ReportContent {
        reporter: reporter(),
        fix: Some(fix()),
        input_datum: Some(Datum::Gcj02),
        photos: photos(),
        attributes: attributes(),
        description: "地下污水井内有人作业，井口无人监护。".into(),
        component_id: Some("LD-000123".into()),
        disposed_on_spot: true,
        captured_at_ms: 1_780_000_001_000,
    }
}

fn sample_draft() -> Draft {
    Draft {
        id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        subtype: Some("03-018".into()),
        problem: Some("03-018-01".into()),
        content: content(),
        updated_at_ms: 1_780_000_050_000,
    }
}

fn sample_report() -> SubmittedReport {
    SubmittedReport {
        id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        category: "03".into(),
        subtype: "03-018".into(),
        problem: "03-018-01".into(),
        content: content(),
        grid_id: Some("320506001001".into()),
        submitted_at_ms: 1_780_000_060_000,
        event_list_version: "2026.11".into(),
        event_list_sha256: "ef".repeat(32),
        acknowledged_warnings: vec!["photo.exif_time_mismatch".into()],
        override_reason: Some("现场确认".into()),
        claim: None,
    }
}

fn value(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("the fixture is JSON")
}

#[test]
fn a_draft_writes_and_reads_the_json_of_the_fixture() {
    let written = serde_json::to_string(&sample_draft()).expect("serialise");
    assert_eq!(
        value(&written),
        value(DRAFT_JSON),
        "the stored draft JSON changed"
    );
    let read: Draft = serde_json::from_str(DRAFT_JSON).expect("the fixture reads as a Draft");
    assert_eq!(read, sample_draft());
}

#[test]
fn a_submitted_report_writes_and_reads_the_json_of_the_fixture() {
    let written = serde_json::to_string(&sample_report()).expect("serialise");
    assert_eq!(
        value(&written),
        value(REPORT_JSON),
        "the report's wire JSON changed"
    );
    let read: SubmittedReport = serde_json::from_str(REPORT_JSON).expect("the fixture reads as a report");
    assert_eq!(read, sample_report());
}

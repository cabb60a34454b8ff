//! Capture through the `Client`: drafts that survive restarts, validation findings in zh/en,
//! submit into the outbox exactly once, warnings that need an answer.

use std::sync::OnceLock;

use crate::Client;
use crate::capture::*;
use crate::location::{Datum, LocationFix, LocationProvider};
use crate::taxonomy::Role;

/// A 1280×960 textured JPEG, made once: enough detail to look like a photo, big enough to pass.
fn photo() -> &'static [u8] {
    static PHOTO: OnceLock<Vec<u8>> = OnceLock::new();
    PHOTO.get_or_init(|| jpeg(1280, 960, 7))
}

fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let v = (x * 7 + y * 13 + seed * 31) ^ (x * y / 97);
        image::Rgb([(v % 251) as u8, (v / 3 % 241) as u8, ((x + y + seed) % 239) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .expect("encode test jpeg");
    out
}

fn now() -> i64 {
    crate::client::now_ms()
}

fn inspector(grids: &[&str]) -> Reporter {
    Reporter {
        reporter_id: "insp-0001".into(),
        role: Role::Inspector,
        grid_ids: grids.iter().map(|g| g.to_string()).collect(),
    }
}

fn fix(lat: f64, lon: f64, accuracy_m: f64) -> LocationFix {
    LocationFix {
        lat,
        lon,
        accuracy_m,
        fix_time_ms: now(),
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

const LAT: f64 = 31.2700;
const LON: f64 = 120.6200;

/// A blocked fire lane (03-001: 1..9 photos, ≤ 30 m, own grid = error), ready to submit.
fn fire_lane_draft(client: &Client, reporter: Reporter) -> Draft {
    let draft = client.create_draft(reporter, None).expect("create");
    client
        .set_event(&draft.id, Some("03-001".into()), Some("03-001-01".into()))
        .expect("event");
    client.set_location(&draft.id, fix(LAT, LON, 8.0)).expect("fix");
    client
        .add_photo(&draft.id, photo(), PhotoKind::Evidence)
        .expect("photo");
    client.draft(&draft.id).expect("reload")
}

fn codes(report: &ValidationReport) -> Vec<&str> {
    report.codes()
}

#[test]
fn every_step_of_a_draft_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = {
        let client = Client::open(dir.path()).expect("open");
        let draft = client.create_draft(inspector(&[]), None).expect("create");
        client
            .set_event(&draft.id, Some("04-001".into()), Some("04-001-02".into()))
            .expect("event");
        client.set_location(&draft.id, fix(LAT, LON, 5.0)).expect("fix");
        let photo = client
            .add_photo(&draft.id, photo(), PhotoKind::Evidence)
            .expect("photo");
        assert_eq!(
            photo.width.max(photo.height),
            1280,
            "under the 1920 px limit: not resized"
        );
        client
            .set_attribute(&draft.id, "cover_state", "broken")
            .expect("attribute");
        client
            .set_description(&draft.id, "人行道上的井盖碎了")
            .expect("description");
        client
            .set_component(&draft.id, Some("WS-0192".into()))
            .expect("component");
        draft.id
    };
    let client = Client::open(dir.path()).expect("reopen");
    let draft = client.draft(&id).expect("draft survived");
    assert_eq!(draft.problem.as_deref(), Some("04-001-02"));
    assert_eq!(draft.content.photos.len(), 1);
    assert_eq!(
        draft.content.attributes.get("cover_state").map(String::as_str),
        Some("broken")
    );
    assert_eq!(draft.content.description, "人行道上的井盖碎了");
    assert_eq!(draft.content.component_id.as_deref(), Some("WS-0192"));
    assert!(
        client
            .photos()
            .contains(&draft.content.photos[0].sha256)
            .expect("photo file")
    );
    assert_eq!(client.drafts().expect("list").len(), 1);
    assert!(client.validate_draft(&id).expect("validate").is_valid());
}

#[test]
fn report_ids_are_uuid_v7_and_never_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let id = client.create_draft(inspector(&[]), None).expect("create").id;
        assert!(crate::ids::is_report_id(&id), "{id}");
        let uuid = uuid::Uuid::parse_str(&id).expect("uuid");
        assert_eq!(uuid.get_version_num(), 7);
        assert!(seen.insert(id));
    }
}

#[test]
fn submit_moves_a_valid_draft_to_the_outbox_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let draft = fire_lane_draft(&client, inspector(&[]));
    let outcome = client
        .submit(&draft.id, WarningResponse::default())
        .expect("submit");
    assert_eq!(
        outcome,
        SubmitOutcome::Submitted {
            report_id: draft.id.clone()
        }
    );
    // Again: the same id, still one report and one outbox row, and the draft is gone.
    let again = client
        .submit(&draft.id, WarningResponse::default())
        .expect("submit again");
    assert_eq!(again, outcome);
    let queue = client.queue().expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].report_id, draft.id);
    assert_eq!(queue[0].state, OutboxState::Pending);
    assert_eq!(queue[0].photos, 1);
    assert!(client.draft(&draft.id).is_err());
    drop(client);

    let client = Client::open(dir.path()).expect("reopen");
    let report = client.report(&draft.id).expect("report survives");
    assert_eq!(report.subtype, "03-001");
    assert_eq!(report.category, "03");
    assert_eq!(report.event_list_sha256, client.event_list_info().sha256);
    assert_eq!(report.content.photos[0].sha256, draft.content.photos[0].sha256);
}

#[test]
fn findings_have_codes_fields_and_both_languages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let draft = client.create_draft(inspector(&[]), None).expect("create");
    let report = client.validate_draft(&draft.id).expect("validate");
    assert_eq!(codes(&report), ["subtype.missing", "problem.missing"]);

    client
        .set_event(&draft.id, Some("04-001".into()), Some("04-001-01".into()))
        .expect("event");
    let report = client.validate_draft(&draft.id).expect("validate");
    for code in [
        "photo.too_few",
        "attribute.missing",
        "component.missing",
        "location.missing",
    ] {
        assert!(report.has(code), "{code} missing from {:?}", codes(&report));
    }
    for finding in report.findings() {
        assert!(!finding.field.is_empty());
        assert!(
            finding
                .message_zh
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{finding:?}"
        );
        assert!(finding.message_en.is_ascii(), "{finding:?}");
    }
    let outcome = client
        .submit(&draft.id, WarningResponse::default())
        .expect("submit");
    assert!(matches!(outcome, SubmitOutcome::Rejected { .. }));
    assert!(client.queue().expect("queue").is_empty());
    assert!(
        client.draft(&draft.id).is_ok(),
        "a rejected draft stays to be fixed"
    );
}

#[test]
fn location_rules_catch_bad_fixes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let draft = fire_lane_draft(&client, inspector(&[]));
    let check = |fix: LocationFix, expected: &str| {
        client.set_location(&draft.id, fix).expect("set");
        let report = client.validate_draft(&draft.id).expect("validate");
        assert!(report.has(expected), "{expected} not in {:?}", codes(&report));
        assert!(!report.is_valid());
    };
    check(fix(LAT, LON, 300.0), "location.too_inaccurate");
    check(
        LocationFix {
            is_mock: true,
            ..fix(LAT, LON, 5.0)
        },
        "location.mock",
    );
    check(
        LocationFix {
            provider: LocationProvider::ManualPin,
            ..fix(LAT, LON, 0.0)
        },
        "location.manual_pin_not_allowed",
    );
    check(
        LocationFix {
            fix_time_ms: draft.content.captured_at_ms - 3_600_000,
            ..fix(LAT, LON, 5.0)
        },
        "location.stale",
    );
    check(
        LocationFix {
            fix_time_ms: now() + 3_600_000,
            ..fix(LAT, LON, 5.0)
        },
        "location.in_future",
    );
    check(fix(0.0, 0.0, 5.0), "location.null_island");

    // Impossible positions are refused before storing, and the stored fix is unchanged.
    client
        .set_location(&draft.id, fix(LAT, LON, 5.0))
        .expect("good fix");
    let before = client.draft(&draft.id).expect("draft");
    for bad in [
        fix(f64::NAN, LON, 5.0),
        fix(LAT, f64::INFINITY, 5.0),
        fix(95.0, LON, 5.0),
        fix(LAT, LON, -3.0),
    ] {
        assert!(matches!(
            client.set_location(&draft.id, bad),
            Err(crate::Error::InvalidArgument { field: "fix", .. })
        ));
    }
    assert_eq!(
        client.draft(&draft.id).expect("draft").content.fix,
        before.content.fix
    );
    assert!(client.validate_draft(&draft.id).expect("validate").is_valid());
}

#[test]
fn gcj02_input_is_stored_as_wgs84() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let draft = client.create_draft(inspector(&[]), None).expect("create");
    let (glat, glon) = crate::location::wgs84_to_gcj02(LAT, LON);
    let stored = client
        .set_location(
            &draft.id,
            LocationFix {
                datum: Datum::Gcj02,
                ..fix(glat, glon, 5.0)
            },
        )
        .expect("set");
    let f = stored.content.fix.expect("fix");
    assert_eq!(f.datum, Datum::Wgs84);
    assert_eq!(stored.content.input_datum, Some(Datum::Gcj02));
    assert!(crate::location::distance_m(f.lat, f.lon, LAT, LON) < 0.05);
}

#[test]
fn roles_problems_and_attributes_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    // A volunteer filing a police element (01-018 纠纷激化风险).
    let volunteer = Reporter {
        role: Role::Volunteer,
        ..inspector(&[])
    };
    let draft = client.create_draft(volunteer, None).expect("create");
    client
        .set_event(&draft.id, Some("01-018".into()), Some("01-018-01".into()))
        .expect("event");
    assert!(
        client
            .validate_draft(&draft.id)
            .expect("validate")
            .has("role.not_allowed")
    );

    // A problem from another subtype is refused when set.
    assert!(matches!(
        client.set_event(&draft.id, Some("01-018".into()), Some("03-001-01".into())),
        Err(crate::Error::InvalidArgument { field: "problem", .. })
    ));
    assert!(matches!(
        client.set_event(&draft.id, Some("09-999".into()), None),
        Err(crate::Error::UnknownCode { kind: "subtype", .. })
    ));

    // Attributes: typed at once; out of range and unknown keys refused; nothing stored changes.
    client
        .set_attribute(&draft.id, "involved_people", "12")
        .expect("number");
    for (code, value) in [
        ("involved_people", "many"),
        ("involved_people", "1"),
        ("dispute_stage", "furious"),
    ] {
        assert!(matches!(
            client.set_attribute(&draft.id, code, value),
            Err(crate::Error::InvalidArgument { .. })
        ));
    }
    assert!(matches!(
        client.set_attribute(&draft.id, "no_such_thing", "x"),
        Err(crate::Error::UnknownCode {
            kind: "attribute",
            ..
        })
    ));
    let stored = client.draft(&draft.id).expect("draft");
    assert_eq!(stored.content.attributes.len(), 1);
    assert_eq!(stored.content.attributes["involved_people"], "12");
}

#[test]
fn outside_own_grid_is_an_error_with_the_distance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    client
        .install_grid_package(&crate::grid::sample::sample_package())
        .expect("grids");
    let here = client.locate(LAT, LON);
    assert_eq!(here.len(), 3, "the sample covers the test point");
    let own = here[2].id.clone();
    // A basic grid a few kilometres away.
    let far = client.locate(LAT + 0.04, LON + 0.04);
    let other = far[2].id.clone();
    assert_ne!(own, other);

    let draft = fire_lane_draft(&client, inspector(&[&own]));
    assert!(client.validate_draft(&draft.id).expect("validate").is_valid());

    let elsewhere = fire_lane_draft(&client, inspector(&[&other]));
    let report = client.validate_draft(&elsewhere.id).expect("validate");
    let finding = report
        .errors
        .iter()
        .find(|f| f.code == "grid.outside_own")
        .expect("outside own grid");
    assert!(
        finding.message_en.contains(" m outside your own grid"),
        "{}",
        finding.message_en
    );
    assert!(finding.message_zh.contains("米"));
}

#[test]
fn a_possible_duplicate_needs_an_answer_which_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let first = fire_lane_draft(&client, inspector(&[]));
    client
        .submit(&first.id, WarningResponse::default())
        .expect("first");

    let second = fire_lane_draft(&client, inspector(&[]));
    let report = client.validate_draft(&second.id).expect("validate");
    assert!(report.is_valid());
    let warning = report
        .warnings
        .iter()
        .find(|w| w.code == "report.possible_duplicate")
        .expect("duplicate hint");
    assert!(warning.message_en.contains(&first.id), "names the earlier report");

    let unanswered = client
        .submit(&second.id, WarningResponse::default())
        .expect("submit");
    assert!(matches!(unanswered, SubmitOutcome::Rejected { .. }));
    let answered = WarningResponse {
        acknowledged: vec!["report.possible_duplicate".into()],
        override_reason: None,
    };
    assert_eq!(
        client.submit(&second.id, answered).expect("submit"),
        SubmitOutcome::Submitted {
            report_id: second.id.clone()
        }
    );
    let stored = client.report(&second.id).expect("report");
    assert_eq!(stored.acknowledged_warnings, ["report.possible_duplicate"]);

    // An override reason answers every warning and is kept with the report.
    let third = fire_lane_draft(&client, inspector(&[]));
    let overridden = WarningResponse {
        acknowledged: vec![],
        override_reason: Some("另一侧通道，不是同一处".into()),
    };
    assert!(matches!(
        client.submit(&third.id, overridden).expect("submit"),
        SubmitOutcome::Submitted { .. }
    ));
    assert_eq!(
        client
            .report(&third.id)
            .expect("report")
            .override_reason
            .as_deref(),
        Some("另一侧通道，不是同一处")
    );
}

#[test]
fn photo_evidence_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let draft = fire_lane_draft(&client, inspector(&[]));
    // The same photo twice is attached once.
    client
        .add_photo(&draft.id, photo(), PhotoKind::Evidence)
        .expect("again");
    assert_eq!(client.draft(&draft.id).expect("draft").content.photos.len(), 1);

    // Closing on the spot needs an "after" photo.
    client.set_disposed_on_spot(&draft.id, true).expect("disposed");
    assert!(
        client
            .validate_draft(&draft.id)
            .expect("validate")
            .has("photo.after_missing")
    );
    client
        .add_photo(&draft.id, &jpeg(1024, 768, 3), PhotoKind::After)
        .expect("after photo");
    assert!(client.validate_draft(&draft.id).expect("validate").is_valid());

    // A too-small photo is a validation error on that photo.
    client
        .add_photo(&draft.id, &jpeg(320, 240, 5), PhotoKind::Evidence)
        .expect("small photo");
    let report = client.validate_draft(&draft.id).expect("validate");
    let small = report
        .errors
        .iter()
        .find(|f| f.code == "photo.too_small")
        .expect("too small");
    assert_eq!(small.field, "photos[2]");
}

#[test]
fn photo_exif_far_from_the_fix_warns() {
    let list = crate::taxonomy::EventList::bundled();
    let policy = CapturePolicy::default();
    let now = now();
    let taken = fix(LAT, LON, 5.0);
    let draft = Draft {
        id: "d".into(),
        subtype: Some("03-001".into()),
        problem: Some("03-001-01".into()),
        content: ReportContent {
            reporter: inspector(&[]),
            fix: Some(taken),
            input_datum: Some(Datum::Wgs84),
            photos: vec![DraftPhoto {
                sha256: "0".repeat(64),
                kind: PhotoKind::Evidence,
                width: 1920,
                height: 1440,
                bytes: 400_000,
                original_width: 4000,
                original_height: 3000,
                exif_taken_at_ms: Some(taken.fix_time_ms - 3 * 86_400_000),
                exif_lat: Some(LAT + 0.05),
                exif_lon: Some(LON),
            }],
            attributes: Default::default(),
            description: String::new(),
            component_id: None,
            disposed_on_spot: false,
            captured_at_ms: now,
        },
        updated_at_ms: now,
    };
    let report = validate(&draft, &list, None, &policy, &[], now);
    assert!(report.is_valid());
    assert!(report.has("photo.exif_time_mismatch"));
    assert!(report.has("photo.exif_gps_mismatch"));

    let mut future = draft.clone();
    future.content.captured_at_ms = now + 3_600_000;
    future.content.description = "字".repeat(policy.description_max_chars as usize + 1);
    let report = validate(&future, &list, None, &policy, &[], now);
    assert!(report.has("capture.in_future"));
    assert!(report.has("description.too_long"));
}

#[test]
fn duplicate_hint_respects_the_radius() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");
    let first = fire_lane_draft(&client, inspector(&[]));
    client
        .submit(&first.id, WarningResponse::default())
        .expect("first");
    // 0.00036° of latitude ≈ 40 m (inside the 50 m radius); 0.0008° ≈ 89 m (outside).
    for (dlat, dlon, expect) in [
        (0.00036, 0.0, true),
        (0.0, 0.00040, true),
        (0.0008, 0.0, false),
        (0.0, 0.0009, false),
    ] {
        let draft = fire_lane_draft(&client, inspector(&[]));
        client
            .set_location(&draft.id, fix(LAT + dlat, LON + dlon, 5.0))
            .expect("fix");
        let report = client.validate_draft(&draft.id).expect("validate");
        assert_eq!(
            report.has("report.possible_duplicate"),
            expect,
            "offset ({dlat}, {dlon})"
        );
        client.discard_draft(&draft.id).expect("discard");
    }
    // Another subtype at the same spot is no duplicate.
    let lamp = client.create_draft(inspector(&[]), None).expect("create");
    client
        .set_event(&lamp.id, Some("04-001".into()), Some("04-001-01".into()))
        .expect("event");
    client.set_location(&lamp.id, fix(LAT, LON, 5.0)).expect("fix");
    assert!(
        !client
            .validate_draft(&lamp.id)
            .expect("validate")
            .has("report.possible_duplicate")
    );
}

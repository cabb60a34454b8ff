//! Hostile and malformed input through the client API: each case fails with a clear typed
//! error and changes nothing stored (the draft, the draft list, the outbox and the files under
//! `media/` are compared before and after). Strings that look like SQL are data: stored and
//! read back verbatim. Submit's own rules: idempotent, errors block, warnings need an answer.

use std::path::Path;
use std::sync::OnceLock;

use gridpatrol_core::capture::{Draft, OutboxEntry, PhotoKind, SubmitOutcome, WarningResponse};
use gridpatrol_core::location::{Datum, LocationFix};
use gridpatrol_core::media::MediaError;
use gridpatrol_core::{Client, Error};
use gridpatrol_ffi::{GridPatrol, GridPatrolError, ItemKind, PhotoProblem};
use gridpatrol_tests::{
    DUPLICATE_WARNING, OTHER_PROBLEM, OTHER_SUBTYPE, PROBLEM, Rng, SUBTYPE, ack_duplicates, fill_valid_draft,
    gps_fix, inspector, place, textured_jpeg,
};
use tempfile::TempDir;

/// One good 800×600 photo, made once per test binary.
fn good_jpeg() -> &'static [u8] {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    JPEG.get_or_init(|| textured_jpeg(800, 600, 11))
}

/// Everything a failed call must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    draft: Draft,
    drafts: Vec<Draft>,
    queue: Vec<OutboxEntry>,
    media_files: usize,
}

fn snapshot(client: &Client, id: &str) -> Snapshot {
    Snapshot {
        draft: client.draft(id).expect("draft"),
        drafts: client.drafts().expect("drafts"),
        queue: client.queue().expect("queue"),
        media_files: count_files(&client.data_dir().join("media")),
    }
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    if e.path().is_dir() {
                        count_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A client on a fresh data directory and a complete, valid draft (one photo).
fn valid_draft() -> (TempDir, Client, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path().join("data")).expect("open");
    let id = client
        .create_draft(inspector("insp-0042"), None)
        .expect("create_draft")
        .id;
    fill_valid_draft(&client, &id, good_jpeg(), place(0));
    assert!(
        client.validate_draft(&id).expect("validate").is_valid(),
        "the fixture draft is valid"
    );
    (dir, client, id)
}

/// Runs `call`, which must fail, checks the error and that nothing stored changed.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    client: &Client,
    id: &str,
    case: &str,
    call: impl FnOnce() -> gridpatrol_core::Result<T>,
    expected: impl FnOnce(&Error) -> bool,
) {
    let before = snapshot(client, id);
    match call() {
        Ok(value) => panic!("{case}: accepted ({value:?})"),
        Err(error) => assert!(expected(&error), "{case}: unexpected error {error:?}"),
    }
    assert_eq!(snapshot(client, id), before, "{case}: something stored changed");
}

// --- photos --------------------------------------------------------------------------------

/// `jpeg` cut just after its start-of-scan header, followed by `n` seeded random bytes.
fn random_scan_data(jpeg: &[u8], n: usize) -> Vec<u8> {
    let sos = jpeg.windows(2).position(|m| m == [0xFF, 0xDA]).expect("SOS");
    let len = usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]));
    let mut out = jpeg[..sos + 2 + len].to_vec();
    let mut rng = Rng::new(7);
    out.extend((0..n).map(|_| rng.next_u64() as u8));
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A well-formed PNG header declaring `width` × `height` (8-bit RGB) and a token IDAT.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn heic() -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0x18];
    b.extend_from_slice(b"ftypheic");
    b.extend_from_slice(b"\0\0\0\0mif1heic");
    b.resize(4096, 0);
    b
}

fn is_media(code: &'static str) -> impl Fn(&Error) -> bool {
    move |e| matches!(e, Error::Photo(m) if m.code() == code)
}

#[test]
fn hostile_photos_are_refused_by_kind_and_leave_nothing_behind() {
    let (_dir, client, id) = valid_draft();
    let good = good_jpeg();
    let (c, i) = (&client, id.as_str());
    let add = move |bytes: Vec<u8>| move || c.add_photo(i, &bytes, PhotoKind::Evidence);

    refused(
        &client,
        &id,
        "truncated JPEG",
        add(good[..good.len() / 2].to_vec()),
        |e| matches!(e, Error::Photo(MediaError::Truncated)),
    );
    refused(
        &client,
        &id,
        "JPEG cut inside its header",
        add(good[..40].to_vec()),
        is_media("truncated"),
    );
    let mut soi_then_noise = vec![0xFF, 0xD8];
    let mut rng = Rng::new(3);
    soi_then_noise.extend((0..20_000).map(|_| rng.next_u64() as u8 | 1));
    refused(&client, &id, "SOI then random bytes", add(soi_then_noise), |e| {
        matches!(e, Error::Photo(MediaError::Corrupt { .. }))
    });
    refused(
        &client,
        &id,
        "valid header, random scan data",
        add(random_scan_data(good, good.len() / 3)),
        is_media("corrupt"),
    );
    refused(
        &client,
        &id,
        "PNG declaring 50,000 × 50,000",
        add(png_declaring(50_000, 50_000)),
        |e| {
            matches!(
                e,
                Error::Photo(MediaError::TooManyPixels {
                    width: 50_000,
                    height: 50_000,
                    ..
                })
            )
        },
    );
    refused(&client, &id, "0-byte file", add(Vec::new()), |e| {
        matches!(e, Error::Photo(MediaError::Empty))
    });
    refused(
        &client,
        &id,
        "HEIC",
        add(heic()),
        |e| matches!(e, Error::Photo(MediaError::UnsupportedFormat { detected }) if detected == "HEIC"),
    );
    // A good photo for a draft that does not exist: refused before any file is written.
    refused(
        &client,
        &id,
        "photo for an unknown draft",
        || client.add_photo("00000000-0000-7000-8000-000000000000", good, PhotoKind::Evidence),
        |e| matches!(e, Error::UnknownCode { kind: "draft", .. }),
    );
    // Still a valid draft that submits.
    assert!(matches!(
        client.submit(&id, WarningResponse::default()),
        Ok(SubmitOutcome::Submitted { .. })
    ));
}

// --- location ------------------------------------------------------------------------------

#[test]
fn impossible_fixes_are_refused_and_change_nothing() {
    let (_dir, client, id) = valid_draft();
    let good = gps_fix(31.3, 120.6);
    let cases = [
        (
            "NaN latitude",
            LocationFix {
                lat: f64::NAN,
                ..good
            },
        ),
        (
            "NaN longitude",
            LocationFix {
                lon: f64::NAN,
                ..good
            },
        ),
        (
            "+inf latitude",
            LocationFix {
                lat: f64::INFINITY,
                ..good
            },
        ),
        (
            "-inf longitude",
            LocationFix {
                lon: f64::NEG_INFINITY,
                ..good
            },
        ),
        (
            "latitude 90.000001",
            LocationFix {
                lat: 90.000_001,
                ..good
            },
        ),
        ("latitude -1e308", LocationFix { lat: -1e308, ..good }),
        ("longitude 180.5", LocationFix { lon: 180.5, ..good }),
        ("longitude -181", LocationFix { lon: -181.0, ..good }),
        (
            "negative accuracy",
            LocationFix {
                accuracy_m: -1.0,
                ..good
            },
        ),
        (
            "NaN accuracy",
            LocationFix {
                accuracy_m: f64::NAN,
                ..good
            },
        ),
        (
            "infinite accuracy",
            LocationFix {
                accuracy_m: f64::INFINITY,
                ..good
            },
        ),
        (
            "NaN GCJ-02 latitude",
            LocationFix {
                lat: f64::NAN,
                datum: Datum::Gcj02,
                ..good
            },
        ),
    ];
    for (case, fix) in cases {
        refused(
            &client,
            &id,
            case,
            || client.set_location(&id, fix),
            |e| matches!(e, Error::InvalidArgument { field: "fix", .. }),
        );
    }
    // The boundary itself is a position (and stored as given).
    let edge = client
        .set_location(
            &id,
            LocationFix {
                lat: 90.0,
                lon: -180.0,
                ..good
            },
        )
        .expect("edge fix");
    assert_eq!(edge.content.fix.map(|f| (f.lat, f.lon)), Some((90.0, -180.0)));
}

// --- text ----------------------------------------------------------------------------------

#[test]
fn descriptions_have_a_hard_limit_and_a_policy_limit() {
    let (_dir, client, id) = valid_draft();
    let megabyte = "井".repeat(350_000); // 1.05 MB of UTF-8
    assert!(megabyte.len() > 1_000_000);
    refused(
        &client,
        &id,
        "1 MB description",
        || client.set_description(&id, &megabyte),
        |e| {
            matches!(
                e,
                Error::InvalidArgument {
                    field: "description",
                    ..
                }
            )
        },
    );

    let limit = client.capture_policy().description_max_chars as usize;
    assert_eq!(limit, 2000);
    let at_limit = "巡".repeat(limit);
    assert_eq!(
        client
            .set_description(&id, &at_limit)
            .expect("2,000 chars accepted")
            .content
            .description,
        at_limit
    );
    assert!(client.validate_draft(&id).expect("validate").is_valid());

    let over = "巡".repeat(limit + 1);
    client
        .set_description(&id, &over)
        .expect("stored: under the hard limit");
    let report = client.validate_draft(&id).expect("validate");
    assert_eq!(
        report.errors.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
        ["description.too_long"]
    );
    let before = snapshot(&client, &id);
    assert!(matches!(
        client.submit(&id, ack_duplicates()),
        Ok(SubmitOutcome::Rejected { .. })
    ));
    assert_eq!(snapshot(&client, &id), before);
    assert!(client.queue().expect("queue").is_empty());
}

// --- codes and attributes ------------------------------------------------------------------

#[test]
fn unknown_and_mismatched_codes_are_refused() {
    let (_dir, client, id) = valid_draft();
    let set = |s: &str, p: Option<&str>| {
        let (s, p) = (s.to_owned(), p.map(str::to_owned));
        let (client, id) = (&client, &id);
        move || client.set_event(id, Some(s), p)
    };
    refused(
        &client,
        &id,
        "unknown subtype",
        set("99-999", None),
        |e| matches!(e, Error::UnknownCode { kind: "subtype", code } if code == "99-999"),
    );
    refused(
        &client,
        &id,
        "unknown problem",
        set(SUBTYPE, Some("03-018-99")),
        |e| matches!(e, Error::UnknownCode { kind: "problem", code } if code == "03-018-99"),
    );
    refused(
        &client,
        &id,
        "problem of another subtype",
        set(SUBTYPE, Some(OTHER_PROBLEM)),
        |e| matches!(e, Error::InvalidArgument { field: "problem", .. }),
    );
    refused(
        &client,
        &id,
        "SQL as a subtype code",
        set("'); DROP TABLE report; --", None),
        |e| matches!(e, Error::UnknownCode { kind: "subtype", .. }),
    );
    refused(
        &client,
        &id,
        "unknown draft",
        || client.draft("no-such-draft"),
        |e| matches!(e, Error::UnknownCode { kind: "draft", .. }),
    );
    refused(
        &client,
        &id,
        "submit an unknown draft",
        || client.submit("no-such-draft", ack_duplicates()),
        |e| matches!(e, Error::UnknownCode { kind: "draft", .. }),
    );
}

#[test]
fn attribute_values_of_the_wrong_type_are_refused() {
    let (_dir, client, id) = valid_draft();
    let attr = |code: &str, value: &str| {
        let (code, value) = (code.to_owned(), value.to_owned());
        let (client, id) = (&client, &id);
        move || client.set_attribute(id, &code, &value)
    };
    let invalid = |e: &Error| {
        matches!(
            e,
            Error::InvalidArgument {
                field: "attributes",
                ..
            }
        )
    };
    refused(
        &client,
        &id,
        "unknown choice key",
        attr("hazard_level", "catastrophic"),
        invalid,
    );
    refused(
        &client,
        &id,
        "choice by its label",
        attr("hazard_level", "一般"),
        invalid,
    );
    refused(
        &client,
        &id,
        "two keys for a single choice",
        attr("hazard_level", "general,major"),
        invalid,
    );
    refused(
        &client,
        &id,
        "string over its max_length",
        attr("company_name", &"厂".repeat(101)),
        invalid,
    );
    refused(&client, &id, "blank string", attr("company_name", "   "), |e| {
        matches!(
            e,
            Error::InvalidArgument {
                field: "attribute value",
                ..
            }
        )
    });
    refused(
        &client,
        &id,
        "unknown attribute",
        attr("floors", "3"),
        |e| matches!(e, Error::UnknownCode { kind: "attribute", code } if code == "floors"),
    );
    refused(
        &client,
        &id,
        "value over the hard limit",
        attr("company_name", &"x".repeat(2_001)),
        |e| {
            matches!(
                e,
                Error::InvalidArgument {
                    field: "attribute value",
                    ..
                }
            )
        },
    );

    // Numbers: a draft of 01-031 (rental_rooms: number 1..=200).
    let other = client
        .create_draft(inspector("insp-0042"), None)
        .expect("create")
        .id;
    refused(
        &client,
        &other,
        "attribute before the subtype",
        || client.set_attribute(&other, "rental_rooms", "3"),
        invalid,
    );
    client
        .set_event(&other, Some(OTHER_SUBTYPE.into()), Some(OTHER_PROBLEM.into()))
        .expect("set_event");
    for (case, value) in [
        ("text for a number", "three"),
        ("NaN", "NaN"),
        ("infinity", "inf"),
        ("overflowing to infinity", "1e400"),
        ("below the minimum", "0"),
        ("above the maximum", "201"),
        ("SQL for a number", "1; DROP TABLE report"),
    ] {
        refused(
            &client,
            &other,
            case,
            attr_on(&client, &other, "rental_rooms", value),
            invalid,
        );
    }
    assert_eq!(
        client
            .set_attribute(&other, "rental_rooms", "12")
            .expect("a number")
            .content
            .attributes["rental_rooms"],
        "12"
    );
}

fn attr_on<'a>(
    client: &'a Client,
    id: &'a str,
    code: &'a str,
    value: &'a str,
) -> impl FnOnce() -> gridpatrol_core::Result<Draft> + 'a {
    move || client.set_attribute(id, code, value)
}

// --- strings that look like SQL ------------------------------------------------------------

#[test]
fn sql_looking_strings_are_stored_verbatim() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let client = Client::open(&data).expect("open");
    let tables_before = tables(&data);

    let reporter = "Robert'); DROP TABLE report; --";
    let description = "'); DROP TABLE report; -- \"quoted\" back\\slash \u{0} nul 😀 \u{202e}rtl";
    let company = "Robert'); --";
    let component = "'; DELETE FROM outbox WHERE '1'='1";
    let id = client
        .create_draft(inspector(reporter), None)
        .expect("create_draft")
        .id;
    fill_valid_draft(&client, &id, good_jpeg(), place(0));
    client.set_description(&id, description).expect("description");
    client
        .set_attribute(&id, "company_name", company)
        .expect("attribute");
    client
        .set_component(&id, Some(component.into()))
        .expect("component");

    let draft = client.draft(&id).expect("draft");
    assert_eq!(draft.content.reporter.reporter_id, reporter);
    assert_eq!(draft.content.description, description);
    assert_eq!(draft.content.attributes["company_name"], company);
    assert_eq!(draft.content.component_id.as_deref(), Some(component));

    assert_eq!(
        client.submit(&id, WarningResponse::default()).expect("submit"),
        SubmitOutcome::Submitted {
            report_id: id.clone()
        }
    );
    let report = client.report(&id).expect("report");
    assert_eq!(report.content.reporter.reporter_id, reporter);
    assert_eq!(report.content.description, description);
    assert_eq!(report.content.attributes["company_name"], company);
    assert_eq!(report.content.component_id.as_deref(), Some(component));
    assert_eq!(client.queue().expect("queue").len(), 1);
    drop(client);

    assert_eq!(tables(&data), tables_before, "tables intact");
    let db = read_only(&data);
    let stored: String = db
        .query_row("SELECT reporter_id FROM report WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .expect("reporter column");
    assert_eq!(stored, reporter);
    let reopened = Client::open(&data).expect("reopen");
    assert_eq!(
        reopened.report(&id).expect("report").content.description,
        description
    );
}

fn read_only(data: &Path) -> rusqlite::Connection {
    gridpatrol_tests::raw_store(data, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
}

fn tables(data: &Path) -> Vec<String> {
    let db = read_only(data);
    let names = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .expect("list tables");
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok");
    names
}

// --- the same through the FFI --------------------------------------------------------------

/// Runs an async export to completion, as a coroutine scope would.
fn block<F: std::future::Future>(call: F) -> F::Output {
    gridpatrol_core::sync::runtime().block_on(call)
}

#[test]
fn the_ffi_reports_public_error_variants() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = block(GridPatrol::open(
        dir.path().join("data").display().to_string(),
        gridpatrol_tests::ffi_keys(dir.path().join("data")),
    ))
    .expect("open");
    let id = block(app.create_draft(inspector("insp-0042"), None))
        .expect("create_draft")
        .id;
    let before = app.draft(id.clone()).expect("draft");

    match block(app.add_photo(id.clone(), heic(), PhotoKind::Evidence)) {
        Err(GridPatrolError::PhotoRejected { kind, reason }) => {
            assert_eq!(kind, PhotoProblem::UnsupportedFormat);
            assert!(reason.contains("HEIC"), "{reason}");
        }
        other => panic!("expected PhotoRejected, got {other:?}"),
    }
    let good = good_jpeg();
    match block(app.add_photo(id.clone(), good[..good.len() / 2].to_vec(), PhotoKind::Evidence)) {
        Err(GridPatrolError::PhotoRejected { kind, .. }) => assert_eq!(kind, PhotoProblem::Truncated),
        other => panic!("expected PhotoRejected, got {other:?}"),
    }
    match block(app.set_location(
        id.clone(),
        LocationFix {
            lat: f64::NAN,
            ..gps_fix(31.3, 120.6)
        },
    )) {
        Err(GridPatrolError::InvalidArgument { field, .. }) => assert_eq!(field, "fix"),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    match block(app.set_description(id.clone(), "井".repeat(350_000))) {
        Err(GridPatrolError::InvalidArgument { field, .. }) => assert_eq!(field, "description"),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    match block(app.set_event(id.clone(), Some("99-999".into()), None)) {
        Err(GridPatrolError::NotFound { kind, code }) => {
            assert_eq!((kind, code.as_str()), (ItemKind::Subtype, "99-999"))
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(app.draft(id).expect("draft"), before);
    assert_eq!(count_files(&dir.path().join("data/media")), 0);
}

// --- submit's own rules --------------------------------------------------------------------

#[test]
fn submitting_the_same_draft_twice_gives_one_report() {
    let (_dir, client, id) = valid_draft();
    let first = client.submit(&id, WarningResponse::default()).expect("submit");
    assert_eq!(
        first,
        SubmitOutcome::Submitted {
            report_id: id.clone()
        }
    );
    let second = client
        .submit(&id, WarningResponse::default())
        .expect("submit again");
    assert_eq!(second, first);
    let queue = client.queue().expect("queue");
    assert_eq!(
        queue.iter().map(|e| e.report_id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    assert!(
        matches!(client.draft(&id), Err(Error::UnknownCode { kind: "draft", .. })),
        "the draft is gone"
    );
    assert!(client.drafts().expect("drafts").is_empty());
}

#[test]
fn a_draft_with_errors_is_rejected_and_queues_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path().join("data")).expect("open");
    let id = client
        .create_draft(inspector("insp-0042"), None)
        .expect("create")
        .id;
    client
        .set_event(&id, Some(SUBTYPE.into()), Some(PROBLEM.into()))
        .expect("set_event");
    let before = snapshot(&client, &id);
    match client.submit(&id, ack_duplicates()).expect("submit") {
        SubmitOutcome::Rejected { report } => {
            let codes: Vec<&str> = report.errors.iter().map(|f| f.code.as_str()).collect();
            for code in ["photo.too_few", "attribute.missing", "location.missing"] {
                assert!(codes.contains(&code), "{code} missing from {codes:?}");
            }
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(snapshot(&client, &id), before);
    assert!(client.queue().expect("queue").is_empty());
}

#[test]
fn warnings_must_be_acknowledged_and_are_recorded() {
    let (_dir, client, first) = valid_draft();
    assert!(matches!(
        client.submit(&first, WarningResponse::default()),
        Ok(SubmitOutcome::Submitted { .. })
    ));

    // The same subtype at the same place: a possible duplicate (a warning, not an error).
    let second = client
        .create_draft(inspector("insp-0042"), None)
        .expect("create")
        .id;
    fill_valid_draft(&client, &second, &textured_jpeg(800, 600, 12), place(0));
    let findings = client.validate_draft(&second).expect("validate");
    assert!(findings.is_valid(), "{findings:?}");
    assert_eq!(
        findings
            .warnings
            .iter()
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>(),
        [DUPLICATE_WARNING]
    );

    let before = snapshot(&client, &second);
    for unanswered in [
        WarningResponse::default(),
        WarningResponse {
            acknowledged: vec!["photo.exif_time_mismatch".into()],
            override_reason: None,
        },
    ] {
        match client.submit(&second, unanswered.clone()).expect("submit") {
            SubmitOutcome::Rejected { report } => {
                assert!(report.errors.is_empty());
                assert!(report.has(DUPLICATE_WARNING));
            }
            other => panic!("{unanswered:?}: expected Rejected, got {other:?}"),
        }
        assert_eq!(snapshot(&client, &second), before, "{unanswered:?}");
    }

    // A blank override reason is no answer: refused outright.
    let blank = WarningResponse {
        acknowledged: Vec::new(),
        override_reason: Some("   ".into()),
    };
    refused(
        &client,
        &second,
        "blank override reason",
        || client.submit(&second, blank),
        |e| {
            matches!(
                e,
                Error::InvalidArgument {
                    field: "override_reason",
                    ..
                }
            )
        },
    );

    assert_eq!(
        client.submit(&second, ack_duplicates()).expect("submit"),
        SubmitOutcome::Submitted {
            report_id: second.clone()
        }
    );
    let report = client.report(&second).expect("report");
    assert_eq!(report.acknowledged_warnings, [DUPLICATE_WARNING]);
    assert_eq!(report.override_reason, None);

    // An override reason answers every warning and is stored with them.
    let third = client
        .create_draft(inspector("insp-0042"), None)
        .expect("create")
        .id;
    fill_valid_draft(&client, &third, &textured_jpeg(800, 600, 13), place(0));
    let reason = "同一井口两处作业点，非重复";
    let response = WarningResponse {
        acknowledged: Vec::new(),
        override_reason: Some(reason.into()),
    };
    assert!(matches!(
        client.submit(&third, response),
        Ok(SubmitOutcome::Submitted { .. })
    ));
    let report = client.report(&third).expect("report");
    assert_eq!(report.acknowledged_warnings, [DUPLICATE_WARNING]);
    assert_eq!(report.override_reason.as_deref(), Some(reason));
    assert_eq!(client.queue().expect("queue").len(), 3);
}

//! Hostile request bodies and ids over real HTTP: invalid UTF-8 anywhere, unknown fields, ids
//! no device makes, bodies announcing more than the limit, and what of all that reaches the log
//! (nothing). Every log line and panic message of this test binary is captured in memory, the
//! same lines `gridpatrol serve` writes to stderr, at every level.

mod common;

use std::io::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::*;
use gridpatrol_core::capture::SubmittedReport;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Every log line and panic message written so far by this test binary.
fn log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| Mutex::new(Vec::new()))
}

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        log()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every `tracing` event (all levels) and every panic message outside the tests' own
/// code (a failed assertion is not the platform's) to [`log`].
fn capture_log() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .try_init();
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.location().is_some_and(|at| at.file().contains("tests/")) {
                let _ = writeln!(LogWriter, "PANIC {info}");
            }
            default(info);
        }));
    });
}

fn log_text() -> String {
    String::from_utf8_lossy(&log().lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

async fn put_raw(served: &Served, device: &Device, url_id: &str, body: Vec<u8>) -> Response {
    served
        .http
        .put(served.url(&format!("/v1/reports/{url_id}")))
        .bearer_auth(&device.token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the platform answers the PUT")
}

async fn post_batch(served: &Served, device: &Device, body: Vec<u8>) -> Response {
    served
        .http
        .post(served.url("/v1/reports"))
        .bearer_auth(&device.token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the platform answers the batch")
}

/// `text` with `"MARK"` (as a JSON string) replaced by bytes that are not UTF-8.
fn with_invalid_utf8(text: &str) -> Vec<u8> {
    let at = text.find("\"MARK\"").expect("the text has the mark");
    let mut bytes = text.as_bytes()[..at + 1].to_vec();
    bytes.extend_from_slice(b"\xff\xfe\xc3(\x80 not utf-8");
    bytes.extend_from_slice(&text.as_bytes()[at + 5..]);
    assert!(std::str::from_utf8(&bytes).is_err());
    bytes
}

fn stored_bodies(served: &Served) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        served.dir.path().join("platform.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the platform database read-only");
    let mut stmt = db
        .prepare("SELECT body FROM report ORDER BY seq")
        .expect("select");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("bodies")
}

/// The platform still answers (a panicking handler leaves no answer).
async fn assert_alive(served: &Served) {
    let response = served
        .http
        .get(served.url("/v1/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn invalid_utf8_anywhere_in_a_body_is_400_invalid_utf8() {
    capture_log();
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(1, 2_000);
    upload_photo(&served, &device, &photo).await;
    let report = report("0195c000-0000-7000-8000-000000000001", &photo);

    // In an unknown field (the reported panic), in a known one, in a batch item, in enrollment.
    let mut unknown = serde_json::to_value(&report).expect("json");
    unknown["from_a_newer_device"] = json!("MARK");
    let unknown = with_invalid_utf8(&unknown.to_string());
    let mut known = report.clone();
    known.content.description = "MARK".into();
    let known = with_invalid_utf8(&serde_json::to_string(&known).expect("json"));
    for body in [unknown.clone(), known] {
        let response = put_raw(&served, &device, &report.id, body).await;
        problem(response, StatusCode::BAD_REQUEST, "invalid_utf8").await;
    }
    let mut batch = b"{\"reports\": [".to_vec();
    batch.extend_from_slice(&unknown);
    batch.extend_from_slice(b"]}");
    problem(
        post_batch(&served, &device, batch).await,
        StatusCode::BAD_REQUEST,
        "invalid_utf8",
    )
    .await;
    let response = served
        .http
        .post(served.url("/v1/enroll"))
        .header("content-type", "application/json")
        .body(with_invalid_utf8(
            &json!({"enrollment_code": CODE, "label": "MARK"}).to_string(),
        ))
        .send()
        .await
        .expect("enroll");
    problem(response, StatusCode::BAD_REQUEST, "invalid_utf8").await;

    assert_alive(&served).await;
    assert_eq!(served.admin_stats().await["reports"], 0);
    assert!(!log_text().contains("PANIC"), "a handler panicked");
}

#[tokio::test]
async fn unknown_fields_are_dropped_never_stored() {
    capture_log();
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(2, 2_000);
    upload_photo(&served, &device, &photo).await;
    let single = report("0195c000-0000-7000-8000-000000000011", &photo);
    let in_batch = report("0195c000-0000-7000-8000-000000000012", &photo);
    let newer = |report: &SubmittedReport| {
        let mut value = serde_json::to_value(report).expect("json");
        value["from_a_newer_device"] = json!({"note": "unknown-field-payload"});
        value
    };

    let response = put_raw(
        &served,
        &device,
        &single.id,
        newer(&single).to_string().into_bytes(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let batch = json!({"reports": [newer(&in_batch)]}).to_string().into_bytes();
    let results: Value = post_batch(&served, &device, batch)
        .await
        .json()
        .await
        .expect("results");
    assert_eq!(results["results"][0]["status"], 201, "{results}");
    // The same report without the field is the same report.
    let again = put_report(&served, &device, &single).await;
    assert_eq!(again.status(), StatusCode::OK);

    let bodies = stored_bodies(&served);
    assert_eq!(bodies.len(), 2);
    for (body, report) in bodies.iter().zip([&single, &in_batch]) {
        assert!(!body.contains("from_a_newer_device"), "{body}");
        assert_eq!(*body, serde_json::to_string(report).expect("json"));
    }
}

#[tokio::test]
async fn ids_no_device_makes_are_400_bad_report_id_and_nothing_is_stored() {
    capture_log();
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(3, 2_000);
    upload_photo(&served, &device, &photo).await;
    // 100 KB goes in a batch item only: no URL that long gets through an HTTP stack.
    let long = "a".repeat(100_000);
    let longish = "a".repeat(1_000);
    let bad_ids = [
        "",
        "nul\u{0}id",
        "a/b/../c",
        long.as_str(),
        longish.as_str(),
        "0195C000-0000-7000-8000-000000000021",
        "0195c000-0000-4000-8000-000000000021",
    ];

    for id in bad_ids.iter().filter(|id| !id.is_empty() && id.len() < 10_000) {
        let body = serde_json::to_vec(&report(id, &photo)).expect("json");
        let url_id: String = id
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'-' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let response = put_raw(&served, &device, &url_id, body).await;
        problem(response, StatusCode::BAD_REQUEST, "bad_report_id").await;
        let response = served
            .http
            .get(served.url(&format!("/v1/reports/{url_id}")))
            .bearer_auth(&device.token)
            .send()
            .await
            .expect("status");
        problem(response, StatusCode::BAD_REQUEST, "bad_report_id").await;
    }

    let valid = report("0195c000-0000-7000-8000-000000000022", &photo);
    let mut items: Vec<Value> = bad_ids
        .iter()
        .map(|id| serde_json::to_value(report(id, &photo)).expect("json"))
        .collect();
    items.push(serde_json::to_value(&valid).expect("json"));
    let body = json!({ "reports": items }).to_string().into_bytes();
    let response = post_batch(&served, &device, body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("results");
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), bad_ids.len() + 1);
    for result in &results[..bad_ids.len()] {
        assert_eq!(result["status"], 400, "{result}");
        assert_eq!(result["problem"]["code"], "bad_report_id", "{result}");
        // A bad id is not echoed back.
        assert_eq!(result["report_id"], Value::Null, "{result}");
    }
    assert_eq!(results[bad_ids.len()]["status"], 201);
    assert_eq!(results[bad_ids.len()]["report_id"], valid.id.as_str());

    assert_eq!(served.admin_stats().await["reports"], 1);
    assert_eq!(stored_bodies(&served).len(), 1);
}

#[tokio::test]
async fn photo_ids_are_checked_by_the_photo_routes_and_in_reports() {
    capture_log();
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(4, 2_000);
    let upper = sha256_hex(&photo).to_uppercase();
    let response = served
        .http
        .head(served.url(&format!("/v1/photos/{upper}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = patch_photo(&served, &device, &upper, 0, photo.len() as u64, &photo).await;
    problem(response, StatusCode::BAD_REQUEST, "bad_photo_id").await;

    // A report naming a photo by something that is no photo id: refused for good, not "upload
    // the missing photos" (a device would loop on that).
    let mut bad = report("0195c000-0000-7000-8000-000000000031", &photo);
    bad.content.photos[0].sha256 = "../../photos/x".into();
    problem(
        put_report(&served, &device, &bad).await,
        StatusCode::BAD_REQUEST,
        "bad_photo_id",
    )
    .await;
    assert_eq!(served.admin_stats().await["reports"], 0);
}

/// Sends `head` and one body byte on a raw connection; the answer (status line on) if the
/// platform answers within `within`.
async fn raw_answer(served: &Served, head: &str, within: Duration) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(served.addr)
        .await
        .expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(b"{").await.expect("one byte");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
        }
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_body_announcing_more_than_the_limit_is_413_at_once() {
    capture_log();
    let served = start(config()).await;
    let device = enroll(&served).await;
    let addr = served.addr;
    // No body byte is ever sent: an answer at all (within the read bound) shows the platform
    // did not wait for the body, and 413 (not 408) that it refused on the announced length.
    for head in [
        format!(
            "POST /v1/enroll HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 2147483648\r\n\r\n"
        ),
        format!(
            "PUT /v1/reports/0195c000-0000-7000-8000-000000000041 HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\ncontent-length: 2147483648\r\n\r\n",
            device.token
        ),
    ] {
        let answer = raw_answer(&served, &head, Duration::from_secs(5))
            .await
            .expect("answered, not held open");
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("\"code\":\"payload_too_large\""), "{answer}");
    }
}

#[tokio::test]
async fn nothing_from_a_hostile_request_reaches_the_log() {
    capture_log();
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(5, 2_000);
    upload_photo(&served, &device, &photo).await;
    const TEXT: &str = "LOGMARK-消防通道-描述-7f3a9c";
    const LAT: f64 = 31.271_234_5;
    const LON: f64 = 120.621_234_5;
    let marked = |id: &str| {
        let mut report = report(id, &photo);
        report.content.description = TEXT.into();
        let fix = report.content.fix.as_mut().expect("the fixture has a fix");
        fix.lat = LAT;
        fix.lon = LON;
        report
    };

    // Stored, then a conflicting upload of the same id, then one failing validation.
    let good = marked("0195c000-0000-7000-8000-000000000051");
    assert_eq!(
        put_report(&served, &device, &good).await.status(),
        StatusCode::CREATED
    );
    let mut conflicting = good.clone();
    conflicting.content.description = format!("{TEXT} again");
    assert_eq!(
        put_report(&served, &device, &conflicting).await.status(),
        StatusCode::CONFLICT
    );
    let mut invalid = marked("0195c000-0000-7000-8000-000000000052");
    invalid.subtype = format!("{TEXT}-subtype");
    put_report(&served, &device, &invalid).await;
    // Invalid UTF-8 in an unknown field, with the description and coordinates around it.
    let mut value = serde_json::to_value(marked("0195c000-0000-7000-8000-000000000053")).expect("json");
    value["x"] = json!("MARK");
    let id = value["id"].as_str().expect("id").to_owned();
    let body = with_invalid_utf8(&value.to_string());
    put_raw(&served, &device, &id, body).await;
    // A huge body (over the limit) full of the description; malformed JSON quoting it.
    let huge = format!("{{\"description\": \"{}\"}}", TEXT.repeat(20_000)).into_bytes();
    put_raw(&served, &device, &id, huge.clone()).await;
    post_batch(&served, &device, huge).await;
    put_raw(
        &served,
        &device,
        &id,
        format!("{{\"description\": \"{TEXT}\", ").into_bytes(),
    )
    .await;
    // Ids made of the description, in the URL and in a batch.
    let marked_id = marked(&format!("{TEXT}-id"));
    put_raw(
        &served,
        &device,
        "LOGMARK-in-url",
        serde_json::to_vec(&marked_id).expect("json"),
    )
    .await;
    let batch = json!({"reports": [marked_id, {"id": format!("{TEXT}-id"), "description": TEXT}]});
    post_batch(&served, &device, batch.to_string().into_bytes()).await;
    assert_alive(&served).await;

    let log = log_text();
    assert!(log.contains("report received"), "the log is captured: {log}");
    for secret in [
        "LOGMARK",
        "消防通道",
        "7f3a9c",
        "31.27123",
        "120.62123",
        "PANIC",
        "not utf-8",
    ] {
        assert!(!log.contains(secret), "{secret:?} reached the log:\n{log}");
    }
}

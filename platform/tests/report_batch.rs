//! `POST /v1/reports` over real HTTP: a run of reports stored in item order, each item answered
//! as its own `PUT` would be, processing stopped by a retryable answer only, the batch limits,
//! and fault injection applied to the batch as a whole.

mod common;

use common::*;
use gridpatrol_core::capture::SubmittedReport;
use gridpatrol_platform::{FaultConfig, FaultKind};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

async fn post_batch(served: &Served, device: &Device, body: impl Into<reqwest::Body>) -> Response {
    served
        .http
        .post(served.url("/v1/reports"))
        .bearer_auth(&device.token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post batch")
}

fn batch_of(reports: &[&SubmittedReport]) -> String {
    serde_json::to_string(&json!({ "reports": reports })).expect("reports serialize")
}

/// Asserts a 200 JSON batch answer whose results are numbered in order; returns the results.
async fn results_of(response: Response) -> Vec<Value> {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("application/json")
    );
    let body: Value = response.json().await.expect("batch answer json");
    let results = body["results"].as_array().expect("results array").clone();
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["index"], index, "{result}");
    }
    results
}

async fn get_status(served: &Served, device: &Device, report_id: &str) -> Response {
    served
        .http
        .get(served.url(&format!("/v1/reports/{report_id}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("get status")
}

/// Asserts a stored result and that its receipt is what the platform now says about the report.
async fn assert_stored(
    served: &Served,
    device: &Device,
    result: &Value,
    status: StatusCode,
    report: &SubmittedReport,
) {
    assert_eq!(result["status"], status.as_u16(), "{result}");
    assert_eq!(result["report_id"], report.id.as_str(), "{result}");
    assert!(result.get("problem").is_none(), "{result}");
    let now: Value = get_status(served, device, &report.id)
        .await
        .json()
        .await
        .expect("status json");
    assert_eq!(result["receipt"], now);
}

/// Asserts a refused result carrying the problem+json a PUT would answer; returns the problem.
fn assert_refused<'a>(
    result: &'a Value,
    status: StatusCode,
    code: &str,
    report_id: Option<&str>,
) -> &'a Value {
    assert_eq!(result["status"], status.as_u16(), "{result}");
    assert_eq!(result["report_id"], json!(report_id), "{result}");
    assert!(result.get("receipt").is_none(), "{result}");
    let problem = &result["problem"];
    assert_eq!(problem["code"], code, "{result}");
    assert_eq!(problem["status"], status.as_u16());
    assert_eq!(problem["type"], format!("urn:gridpatrol:problem:{code}"));
    assert!(problem["title"].is_string() && problem["detail"].is_string());
    problem
}

async fn assert_not_stored(served: &Served, device: &Device, report_id: &str) {
    problem(
        get_status(served, device, report_id).await,
        StatusCode::NOT_FOUND,
        "report_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_batch_is_stored_in_item_order_and_repeating_it_answers_the_original_receipts() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photos: Vec<Vec<u8>> = (0..3).map(|seed| photo_bytes(40 + seed, 8_000)).collect();
    for photo in &photos {
        upload_photo(&served, &device, photo).await;
    }
    // Ids deliberately not in sorted order: the platform must keep the items' order.
    let reports: Vec<SubmittedReport> = [
        "0195b000-0000-7000-8000-000000000003",
        "0195b000-0000-7000-8000-000000000001",
        "0195b000-0000-7000-8000-000000000002",
    ]
    .iter()
    .zip(&photos)
    .map(|(id, photo)| report(id, photo))
    .collect();
    let batch = batch_of(&reports.iter().collect::<Vec<_>>());

    let first = results_of(post_batch(&served, &device, batch.clone()).await).await;
    assert_eq!(first.len(), 3);
    for (result, report) in first.iter().zip(&reports) {
        assert_stored(&served, &device, result, StatusCode::CREATED, report).await;
    }
    let case_numbers: Vec<&str> = first
        .iter()
        .map(|r| r["receipt"]["case_number"].as_str().expect("case number"))
        .collect();
    let cursors: Vec<i64> = first
        .iter()
        .map(|r| r["receipt"]["cursor"].as_i64().expect("cursor"))
        .collect();
    // Case numbers (date, then the day's sequence) and cursors rise strictly in item order.
    assert!(
        case_numbers.windows(2).all(|pair| pair[0] < pair[1]),
        "{case_numbers:?}"
    );
    assert!(cursors.windows(2).all(|pair| pair[0] < pair[1]), "{cursors:?}");
    let feed: Value = served
        .http
        .get(served.url("/v1/reports?since=0"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list json");
    let feed_ids: Vec<&str> = feed["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| r["report_id"].as_str().expect("id"))
        .collect();
    let sent_ids: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(feed_ids, sent_ids);

    // The same batch again (its answer was lost): the original receipts, nothing new stored.
    let again = results_of(post_batch(&served, &device, batch).await).await;
    assert_eq!(again.len(), 3);
    for ((result, original), report) in again.iter().zip(&first).zip(&reports) {
        assert_stored(&served, &device, result, StatusCode::OK, report).await;
        assert_eq!(result["receipt"], original["receipt"]);
    }
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["reports"].as_i64(), stats["duplicates_refused"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(stats["report_conflicts"], 0);
}

#[tokio::test]
async fn an_item_failing_validation_is_refused_alone() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(50, 4_000);
    upload_photo(&served, &device, &photo).await;
    let before = report("0195b000-0000-7000-8000-000000000011", &photo);
    let mut bare = report("0195b000-0000-7000-8000-000000000012", &photo);
    bare.content.photos.clear();
    let after = report("0195b000-0000-7000-8000-000000000013", &photo);

    let results = results_of(post_batch(&served, &device, batch_of(&[&before, &bare, &after])).await).await;
    assert_eq!(results.len(), 3);
    assert_stored(&served, &device, &results[0], StatusCode::CREATED, &before).await;
    let refused = assert_refused(
        &results[1],
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some(&bare.id),
    );
    assert_eq!(refused["findings"][0]["code"], "photo.too_few", "{refused}");
    assert!(refused["warnings"].is_array() && refused["event_list_sha256"].is_string());
    // The very problem a PUT of that report answers.
    let put = put_report(&served, &device, &bare).await;
    let put_problem = problem(put, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(*refused, put_problem);
    assert_stored(&served, &device, &results[2], StatusCode::CREATED, &after).await;
    assert_not_stored(&served, &device, &bare.id).await;
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["reports"].as_i64(), stats["validation_failed"].as_i64()),
        (Some(2), Some(2))
    );
}

#[tokio::test]
async fn an_item_with_incomplete_photos_stops_the_batch_until_they_arrive() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let ready = photo_bytes(60, 4_000);
    upload_photo(&served, &device, &ready).await;
    let late = photo_bytes(61, 6_000);
    let late_sha = sha256_hex(&late);
    // Half of it: still incomplete.
    patch_photo(&served, &device, &late_sha, 0, late.len() as u64, &late[..3_000]).await;
    let first = report("0195b000-0000-7000-8000-000000000021", &ready);
    let waiting = report("0195b000-0000-7000-8000-000000000022", &late);
    let third = report("0195b000-0000-7000-8000-000000000023", &ready);
    let batch = batch_of(&[&first, &waiting, &third]);

    let results = results_of(post_batch(&served, &device, batch.clone()).await).await;
    assert_eq!(results.len(), 2, "no result after the retryable item");
    assert_stored(&served, &device, &results[0], StatusCode::CREATED, &first).await;
    let refused = assert_refused(
        &results[1],
        StatusCode::UNPROCESSABLE_ENTITY,
        "photos_incomplete",
        Some(&waiting.id),
    );
    assert_eq!(refused["missing"], json!([late_sha]));
    assert_not_stored(&served, &device, &waiting.id).await;
    assert_not_stored(&served, &device, &third.id).await;
    assert_eq!(served.admin_stats().await["reports"], 1);

    // Once the photo is complete the same batch goes through, in order.
    patch_photo(
        &served,
        &device,
        &late_sha,
        3_000,
        late.len() as u64,
        &late[3_000..],
    )
    .await;
    let results = results_of(post_batch(&served, &device, batch).await).await;
    assert_eq!(results.len(), 3);
    assert_stored(&served, &device, &results[0], StatusCode::OK, &first).await;
    assert_stored(&served, &device, &results[1], StatusCode::CREATED, &waiting).await;
    assert_stored(&served, &device, &results[2], StatusCode::CREATED, &third).await;
    assert!(results[1]["receipt"]["cursor"].as_i64() < results[2]["receipt"]["cursor"].as_i64());
}

#[tokio::test]
async fn an_item_reusing_a_stored_id_with_other_content_is_a_conflict() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(70, 4_000);
    upload_photo(&served, &device, &photo).await;
    let original = report("0195b000-0000-7000-8000-000000000031", &photo);
    assert_eq!(
        put_report(&served, &device, &original).await.status(),
        StatusCode::CREATED
    );
    let mut changed = original.clone();
    changed.content.description = "另一个描述".into();
    let next = report("0195b000-0000-7000-8000-000000000032", &photo);

    let results = results_of(post_batch(&served, &device, batch_of(&[&changed, &next])).await).await;
    assert_eq!(results.len(), 2);
    assert_refused(
        &results[0],
        StatusCode::CONFLICT,
        "report_conflict",
        Some(&original.id),
    );
    assert_stored(&served, &device, &results[1], StatusCode::CREATED, &next).await;
    let stats = served.admin_stats().await;
    assert_eq!(stats["reports"], 2);
    assert_eq!(
        (
            stats["duplicates_refused"].as_i64(),
            stats["report_conflicts"].as_i64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn malformed_and_oversized_items_are_refused_alone() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(80, 4_000);
    upload_photo(&served, &device, &photo).await;
    let first = report("0195b000-0000-7000-8000-000000000041", &photo);
    let mut oversized = report("0195b000-0000-7000-8000-000000000042", &photo);
    oversized.content.description = "长".repeat(100_000); // ~300 KB of UTF-8, over the 256 KiB of a report
    let last = report("0195b000-0000-7000-8000-000000000043", &photo);
    let body = json!({"reports": [
        first,
        {"id": "0195b000-0000-7000-8000-0000000000ff", "subtype": "03-001"},
        42,
        oversized,
        last,
    ]});

    let results = results_of(post_batch(&served, &device, body.to_string()).await).await;
    assert_eq!(results.len(), 5);
    assert_stored(&served, &device, &results[0], StatusCode::CREATED, &first).await;
    assert_refused(
        &results[1],
        StatusCode::BAD_REQUEST,
        "malformed_report",
        Some("0195b000-0000-7000-8000-0000000000ff"),
    );
    assert_refused(&results[2], StatusCode::BAD_REQUEST, "malformed_report", None);
    let too_large = assert_refused(
        &results[3],
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        Some(&oversized.id),
    );
    assert_eq!(too_large["limit_bytes"], 256 * 1024);
    assert_stored(&served, &device, &results[4], StatusCode::CREATED, &last).await;
    assert_not_stored(&served, &device, &oversized.id).await;
    assert_eq!(served.admin_stats().await["reports"], 2);
}

#[tokio::test]
async fn each_item_is_stored_as_its_typed_report_without_unknown_fields() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(90, 4_000);
    upload_photo(&served, &device, &photo).await;
    let report = report("0195b000-0000-7000-8000-000000000051", &photo);
    // Pretty-printed, with a field the platform does not know: accepted, the field dropped.
    let mut item = serde_json::to_value(&report).expect("report json");
    item["x_device_note"] = json!("not kept");
    let item_text = serde_json::to_string_pretty(&item).expect("pretty json");
    let body = format!("{{\n  \"reports\" : [ {item_text}\n  ]\n}}");

    let results = results_of(post_batch(&served, &device, body).await).await;
    assert_stored(&served, &device, &results[0], StatusCode::CREATED, &report).await;
    let db = rusqlite::Connection::open_with_flags(
        served.dir.path().join("platform.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the platform database read-only");
    let stored: String = db
        .query_row("SELECT body FROM report WHERE id = ?1", [&report.id], |r| {
            r.get(0)
        })
        .expect("stored body");
    assert_eq!(stored, serde_json::to_string(&report).expect("report json"));
    assert!(!stored.contains("x_device_note"), "{stored}");
}

#[tokio::test]
async fn a_body_that_is_not_a_batch_is_400() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(100, 1_000);
    let valid = serde_json::to_value(report("0195b000-0000-7000-8000-000000000061", &photo)).expect("json");
    for body in [
        "{not json".to_owned(),
        "{}".to_owned(),
        json!({"reports": []}).to_string(),
        json!({"reports": valid}).to_string(),
        json!([valid]).to_string(),
    ] {
        let response = post_batch(&served, &device, body.clone()).await;
        problem(response, StatusCode::BAD_REQUEST, "malformed_batch").await;
    }
    assert_eq!(served.admin_stats().await["reports"], 0);
}

#[tokio::test]
async fn a_batch_over_its_limits_is_413() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(110, 4_000);
    upload_photo(&served, &device, &photo).await;

    let many: Vec<SubmittedReport> = (0..51)
        .map(|n| report(&format!("0195b000-0000-7000-8000-0000000007{n:02}"), &photo))
        .collect();
    let response = post_batch(&served, &device, batch_of(&many.iter().collect::<Vec<_>>())).await;
    let body = problem(response, StatusCode::PAYLOAD_TOO_LARGE, "batch_too_many_reports").await;
    assert_eq!(body["limit_reports"], 50);

    // Five items each under the report limit, together over the 1 MiB of a batch.
    let large: Vec<SubmittedReport> = (0..5)
        .map(|n| {
            let mut report = report(&format!("0195b000-0000-7000-8000-0000000008{n:02}"), &photo);
            report.content.description = "长".repeat(80_000); // ~240 KB
            report
        })
        .collect();
    let response = post_batch(&served, &device, batch_of(&large.iter().collect::<Vec<_>>())).await;
    let body = problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(body["limit_bytes"], 1024 * 1024);

    // Exactly the limit of items is fine.
    let results =
        results_of(post_batch(&served, &device, batch_of(&many[..50].iter().collect::<Vec<_>>())).await)
            .await;
    assert_eq!(results.len(), 50);
    assert!(results.iter().all(|r| r["status"] == 201));
    assert_eq!(served.admin_stats().await["reports"], 50);
}

#[tokio::test]
async fn a_batch_needs_a_device_token() {
    let served = start(config()).await;
    let photo = photo_bytes(120, 1_000);
    let report = report("0195b000-0000-7000-8000-000000000071", &photo);
    let anonymous = served
        .http
        .post(served.url("/v1/reports"))
        .json(&json!({ "reports": [report] }))
        .send()
        .await
        .expect("send");
    problem(anonymous, StatusCode::UNAUTHORIZED, "token_missing").await;
}

#[tokio::test]
async fn a_fault_applies_to_the_whole_batch() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(130, 4_000);
    upload_photo(&served, &device, &photo).await;
    let reports: Vec<SubmittedReport> = (1..=3)
        .map(|n| report(&format!("0195b000-0000-7000-8000-00000000008{n}"), &photo))
        .collect();
    let batch = batch_of(&reports.iter().collect::<Vec<_>>());

    // Failed before processing: nothing stored.
    served.platform.set_fault(Some(
        FaultConfig::new(1.0, 5).with_kinds(&[FaultKind::InternalError]),
    ));
    let response = post_batch(&served, &device, batch.clone()).await;
    problem(response, StatusCode::INTERNAL_SERVER_ERROR, "fault_injected").await;
    served.platform.set_fault(None);
    assert_eq!(served.admin_stats().await["reports"], 0);

    // Processed whole, then the answer lost: the retry gets every original receipt.
    served.platform.set_fault(Some(
        FaultConfig::new(1.0, 5).with_kinds(&[FaultKind::CommitThenError]),
    ));
    let response = post_batch(&served, &device, batch.clone()).await;
    problem(response, StatusCode::INTERNAL_SERVER_ERROR, "fault_injected").await;
    served.platform.set_fault(None);
    assert_eq!(served.admin_stats().await["reports"], 3);
    let retry = results_of(post_batch(&served, &device, batch).await).await;
    assert_eq!(retry.len(), 3);
    for (result, report) in retry.iter().zip(&reports) {
        assert_stored(&served, &device, result, StatusCode::OK, report).await;
    }
}

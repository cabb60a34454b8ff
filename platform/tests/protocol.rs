//! The sync protocol over real HTTP on 127.0.0.1: enrollment and tokens, packages, photos,
//! reports, status, limits, admin.

mod common;

use common::*;
use gridpatrol_core::taxonomy::{EventList, Role};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn enrollment_refresh_and_revocation() {
    let served = start(config()).await;
    let bad = served
        .http
        .post(served.url("/v1/enroll"))
        .json(&serde_json::json!({"enrollment_code": "WRONG"}))
        .send()
        .await
        .expect("send");
    problem(bad, StatusCode::UNAUTHORIZED, "enrollment_refused").await;

    let device = enroll(&served).await;
    let list = |token: String| {
        let request = served.http.get(served.url("/v1/reports")).bearer_auth(token);
        async move { request.send().await.expect("send") }
    };
    assert_eq!(list(device.token.clone()).await.status(), StatusCode::OK);
    let none = served
        .http
        .get(served.url("/v1/reports"))
        .send()
        .await
        .expect("send");
    problem(none, StatusCode::UNAUTHORIZED, "token_missing").await;

    // Refresh: a new access token; the old one stops working; retrying refresh is safe.
    let refresh = |device_id: &str, refresh: &str| {
        served
            .http
            .post(served.url("/v1/token"))
            .json(&serde_json::json!({"device_id": device_id, "refresh_token": refresh}))
            .send()
    };
    let first: Value = refresh(&device.id, &device.refresh)
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let second: Value = refresh(&device.id, &device.refresh)
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let new_token = second["access_token"].as_str().expect("token").to_owned();
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(second["refresh_token"], device.refresh.as_str());
    problem(
        list(device.token.clone()).await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    assert_eq!(list(new_token.clone()).await.status(), StatusCode::OK);
    let wrong = refresh(&device.id, "gpr_nope").await.expect("send");
    problem(wrong, StatusCode::UNAUTHORIZED, "refresh_refused").await;

    // Revocation needs the admin token, then every call says device_revoked.
    let url = served.url(&format!("/v1/admin/devices/{}/revoke", device.id));
    let refused = served
        .http
        .post(&url)
        .bearer_auth("not-admin")
        .send()
        .await
        .expect("send");
    problem(refused, StatusCode::UNAUTHORIZED, "admin_token_invalid").await;
    let revoked = served
        .http
        .post(&url)
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send");
    assert_eq!(revoked.status(), StatusCode::OK);
    problem(list(new_token).await, StatusCode::UNAUTHORIZED, "device_revoked").await;
    let again = refresh(&device.id, &device.refresh).await.expect("send");
    problem(again, StatusCode::UNAUTHORIZED, "device_revoked").await;
    let unknown = served
        .http
        .post(served.url("/v1/admin/devices/nope/revoke"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send");
    problem(unknown, StatusCode::NOT_FOUND, "device_not_found").await;
}

#[tokio::test]
async fn event_list_download_with_etag_and_grids() {
    let mut cfg = config();
    cfg.grid_package = Some(gridpatrol_core::grid::sample::sample_package());
    let served = start(cfg).await;
    let device = enroll(&served).await;
    let info = EventList::bundled().info();

    let response = served
        .http
        .get(served.url("/v1/event-lists/current"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let etag = header(&response, "etag").expect("etag");
    assert_eq!(etag, format!("\"{}\"", info.sha256));
    assert_eq!(
        header(&response, "event-list-version").as_deref(),
        Some(info.list_version.as_str())
    );
    let body = response.bytes().await.expect("body");
    let list = EventList::from_json(&body).expect("the served package verifies");
    assert_eq!(list.info().sha256, info.sha256);

    for path in [
        "/v1/event-lists/current".to_owned(),
        format!("/v1/event-lists/{}", info.list_version),
    ] {
        let cached = served
            .http
            .get(served.url(&path))
            .bearer_auth(&device.token)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("send");
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(cached.bytes().await.expect("body").is_empty());
    }
    let by_version = served
        .http
        .get(served.url(&format!("/v1/event-lists/{}", info.list_version)))
        .bearer_auth(&device.token)
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .expect("send");
    assert_eq!(by_version.status(), StatusCode::OK);
    let missing = served
        .http
        .get(served.url("/v1/event-lists/XX-1999.01"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    problem(missing, StatusCode::NOT_FOUND, "event_list_not_found").await;

    let grids = served
        .http
        .get(served.url("/v1/grids/current"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    assert_eq!(grids.status(), StatusCode::OK);
    let grid_tag = header(&grids, "etag").expect("etag");
    let geojson = grids.text().await.expect("text");
    gridpatrol_core::grid::GridIndex::from_geojson_str(&geojson).expect("the served grid package loads");
    let cached = served
        .http
        .get(served.url("/v1/grids/current"))
        .bearer_auth(&device.token)
        .header("if-none-match", grid_tag)
        .send()
        .await
        .expect("send");
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn no_grid_package_is_a_clear_404() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let response = served
        .http
        .get(served.url("/v1/grids/current"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    problem(response, StatusCode::NOT_FOUND, "grid_package_unavailable").await;
}

#[tokio::test]
async fn report_upload_is_idempotent_and_conflicts_are_refused() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(1, 50_000);
    upload_photo(&served, &device, &photo).await;
    let report = report("0195a000-0000-7000-8000-000000000001", &photo);

    let first = put_report(&served, &device, &report).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let case = first["case_number"].as_str().expect("case number");
    assert!(
        case.starts_with("WZ-") && case.len() == "WZ-20261123-000001".len() && case.ends_with("-000001"),
        "{case}"
    );
    assert_eq!(first["status"], "received");
    assert_eq!(first["report_id"], report.id.as_str());

    let again = put_report(&served, &device, &report).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["reports"].as_i64(), stats["duplicates_refused"].as_i64()),
        (Some(1), Some(1))
    );

    let mut changed = report.clone();
    changed.content.description = "不同的描述".into();
    let conflict = put_report(&served, &device, &changed).await;
    problem(conflict, StatusCode::CONFLICT, "report_conflict").await;

    // Another device may not take over the id either.
    let other = enroll(&served).await;
    let stolen = put_report(&served, &other, &report).await;
    problem(stolen, StatusCode::CONFLICT, "report_conflict").await;
    let foreign = served
        .http
        .get(served.url(&format!("/v1/reports/{}", report.id)))
        .bearer_auth(&other.token)
        .send()
        .await
        .expect("send");
    problem(foreign, StatusCode::NOT_FOUND, "report_not_found").await;

    let stats = served.admin_stats().await;
    assert_eq!(stats["reports"], 1);
    assert_eq!(
        stats["duplicates_refused"], 3,
        "one identical repeat + two conflicts"
    );
    assert_eq!(stats["report_conflicts"], 2);
    assert_eq!(stats["photos"], 1);
    assert_eq!(stats["photo_bytes"], 50_000);

    // A second report gets the next case number.
    let second = report_with_id("0195a000-0000-7000-8000-000000000002", &photo);
    let second = put_report(&served, &device, &second).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let second: Value = second.json().await.expect("json");
    assert!(second["case_number"].as_str().expect("case").ends_with("-000002"));
}

fn report_with_id(id: &str, photo: &[u8]) -> gridpatrol_core::capture::SubmittedReport {
    report(id, photo)
}

#[tokio::test]
async fn photo_upload_resumes_and_is_verified() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(7, 300_000);
    let sha = sha256_hex(&photo);
    let total = photo.len() as u64;
    let url = served.url(&format!("/v1/photos/{sha}"));

    let nothing = served
        .http
        .head(&url)
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    assert_eq!(nothing.status(), StatusCode::NOT_FOUND);

    let half = photo.len() / 2;
    let response = patch_photo(&served, &device, &sha, 0, total, &photo[..half]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "upload-offset"), Some(half.to_string()));

    let held = served
        .http
        .head(&url)
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    assert_eq!(held.status(), StatusCode::OK);
    assert_eq!(header(&held, "upload-offset"), Some(half.to_string()));
    assert_eq!(header(&held, "upload-length"), Some(total.to_string()));

    // A chunk from the wrong offset is refused with the offset held.
    let wrong = patch_photo(&served, &device, &sha, 10, total, &photo[10..half]).await;
    assert_eq!(header(&wrong, "upload-offset"), Some(half.to_string()));
    let body = problem(wrong, StatusCode::CONFLICT, "upload_offset_mismatch").await;
    assert_eq!(body["upload_offset"], half as u64);

    // The rest, in two chunks.
    let three_q = half + half / 2;
    let response = patch_photo(&served, &device, &sha, half as u64, total, &photo[half..three_q]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = patch_photo(&served, &device, &sha, three_q as u64, total, &photo[three_q..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "upload-offset"), Some(total.to_string()));
    let held = served
        .http
        .head(&url)
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    assert_eq!(header(&held, "upload-offset"), Some(total.to_string()));
    // Sending the whole photo again: it is complete, the offset says so.
    let again = patch_photo(&served, &device, &sha, 0, total, &photo).await;
    problem(again, StatusCode::CONFLICT, "upload_offset_mismatch").await;

    // Corrupt content: discarded, 422, nothing held.
    let good = photo_bytes(9, 20_000);
    let good_sha = sha256_hex(&good);
    let mut corrupt = good.clone();
    corrupt[12_345] ^= 0xff;
    let response = patch_photo(&served, &device, &good_sha, 0, good.len() as u64, &corrupt).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "photo_hash_mismatch").await;
    let gone = served
        .http
        .head(served.url(&format!("/v1/photos/{good_sha}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    let bad_id = patch_photo(&served, &device, "not-a-hash", 0, 3, b"abc").await;
    problem(bad_id, StatusCode::BAD_REQUEST, "bad_photo_id").await;
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["photos"].as_i64(), stats["partial_photos"].as_i64()),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn a_report_before_its_photos_is_refused_until_they_arrive() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(3, 40_000);
    let report = report("0195a000-0000-7000-8000-0000000000a1", &photo);
    let early = put_report(&served, &device, &report).await;
    let body = problem(early, StatusCode::UNPROCESSABLE_ENTITY, "photos_incomplete").await;
    assert_eq!(body["missing"], serde_json::json!([sha256_hex(&photo)]));

    // Half a photo is still incomplete.
    let sha = sha256_hex(&photo);
    patch_photo(&served, &device, &sha, 0, photo.len() as u64, &photo[..1000]).await;
    let early = put_report(&served, &device, &report).await;
    problem(early, StatusCode::UNPROCESSABLE_ENTITY, "photos_incomplete").await;

    patch_photo(&served, &device, &sha, 1000, photo.len() as u64, &photo[1000..]).await;
    assert_eq!(
        put_report(&served, &device, &report).await.status(),
        StatusCode::CREATED
    );

    // A declared size that differs from the bytes held is refused.
    let mut lying = report.clone();
    lying.id = "0195a000-0000-7000-8000-0000000000a2".into();
    lying.content.photos[0].bytes += 1;
    let response = put_report(&served, &device, &lying).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "photo_size_mismatch").await;
}

#[tokio::test]
async fn reports_failing_validation_get_the_findings() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(4, 1000);
    upload_photo(&served, &device, &photo).await;

    // A volunteer filing a police-element subtype.
    let list = EventList::bundled();
    let police = list
        .subtypes()
        .iter()
        .find(|s| s.rules.police_element.is_some() && !s.rules.roles.contains(&Role::Volunteer))
        .expect("the bundled list has police-element subtypes volunteers may not file");
    let mut volunteer = report("0195a000-0000-7000-8000-0000000000b1", &photo);
    volunteer.content.reporter.role = Role::Volunteer;
    volunteer.category = police.category.clone();
    volunteer.subtype = police.code.clone();
    volunteer.problem = list.problems_of(&police.code)[0].code.clone();
    let response = put_report(&served, &device, &volunteer).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let codes: Vec<&str> = body["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert!(codes.contains(&"role.not_allowed"), "{codes:?}");
    assert!(body["findings"][0]["message_zh"].is_string());

    // No photo where one is required.
    let mut bare = report("0195a000-0000-7000-8000-0000000000b2", &photo);
    bare.content.photos.clear();
    let response = put_report(&served, &device, &bare).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["findings"][0]["code"], "photo.too_few");

    // A report naming a list the platform lacks is validated against the current one.
    let mut unknown_list = report("0195a000-0000-7000-8000-0000000000b3", &photo);
    unknown_list.event_list_sha256 = "0".repeat(64);
    assert_eq!(
        put_report(&served, &device, &unknown_list).await.status(),
        StatusCode::CREATED
    );

    let malformed = served
        .http
        .put(served.url("/v1/reports/0195a000-0000-7000-8000-0000000000b9"))
        .bearer_auth(&device.token)
        .body("{not json")
        .send()
        .await
        .expect("send");
    problem(malformed, StatusCode::BAD_REQUEST, "malformed_report").await;
    let mismatch = served
        .http
        .put(served.url("/v1/reports/0195a000-0000-7000-8000-0000000000ba"))
        .bearer_auth(&device.token)
        .json(&bare)
        .send()
        .await
        .expect("send");
    problem(mismatch, StatusCode::BAD_REQUEST, "report_id_mismatch").await;
    assert_eq!(served.admin_stats().await["validation_failed"], 2);
}

#[tokio::test]
async fn bodies_over_the_limits_are_413_problems() {
    let mut cfg = config();
    cfg.limits.photo_chunk_bytes = 64 * 1024;
    cfg.limits.photos_total_bytes = 1024 * 1024;
    let served = start(cfg).await;
    let device = enroll(&served).await;
    let mut report = report("0195a000-0000-7000-8000-0000000000c1", &photo_bytes(1, 10));
    report.content.description = "长".repeat(100_000); // ~300 KB of UTF-8
    let response = put_report(&served, &device, &report).await;
    let body = problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(body["limit_bytes"], 256 * 1024);

    let big = photo_bytes(2, 100 * 1024);
    let response = patch_photo(&served, &device, &sha256_hex(&big), 0, big.len() as u64, &big).await;
    problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let response = patch_photo(
        &served,
        &device,
        &sha256_hex(&big),
        0,
        2 * 1024 * 1024,
        &big[..10],
    )
    .await;
    problem(response, StatusCode::PAYLOAD_TOO_LARGE, "photo_too_large").await;
}

#[tokio::test]
async fn health_and_admin_stats_need_the_admin_token() {
    let served = start(config()).await;
    let health = served
        .http
        .get(served.url("/v1/health"))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<Value>().await.expect("json")["status"], "ok");

    let anonymous = served
        .http
        .get(served.url("/v1/admin/stats"))
        .send()
        .await
        .expect("send");
    problem(anonymous, StatusCode::UNAUTHORIZED, "admin_token_invalid").await;
    let device = enroll(&served).await;
    let as_device = served
        .http
        .get(served.url("/v1/admin/stats"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    problem(as_device, StatusCode::UNAUTHORIZED, "admin_token_invalid").await;
    let stats = served.admin_stats().await;
    for key in ["reports", "photos", "photo_bytes", "duplicates_refused"] {
        assert_eq!(stats[key], 0, "{key}");
    }
    assert_eq!(stats["devices"], 1);
    let nowhere = served
        .http
        .get(served.url("/v2/nothing"))
        .send()
        .await
        .expect("send");
    problem(nowhere, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn status_flow_is_visible_to_the_device() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(5, 2000);
    upload_photo(&served, &device, &photo).await;
    let a = report("0195a000-0000-7000-8000-0000000000d1", &photo);
    let b = report("0195a000-0000-7000-8000-0000000000d2", &photo);
    for r in [&a, &b] {
        assert_eq!(
            put_report(&served, &device, r).await.status(),
            StatusCode::CREATED
        );
    }
    let list = |since: i64| {
        let request = served
            .http
            .get(served.url(&format!("/v1/reports?since={since}")))
            .bearer_auth(&device.token);
        async move {
            request
                .send()
                .await
                .expect("send")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let all = list(0).await;
    assert_eq!(all["reports"].as_array().expect("reports").len(), 2);
    let cursor = all["next_since"].as_i64().expect("cursor");
    assert_eq!(list(cursor).await["reports"], serde_json::json!([]));

    let admin_status = |id: &str, body: Value| {
        served
            .http
            .post(served.url(&format!("/v1/admin/reports/{id}/status")))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
    };
    let response = admin_status(&a.id, serde_json::json!({"status": "dispatched"}))
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let no_reason = admin_status(&b.id, serde_json::json!({"status": "rejected"}))
        .await
        .expect("send");
    problem(no_reason, StatusCode::BAD_REQUEST, "reason_required").await;
    let response = admin_status(
        &b.id,
        serde_json::json!({"status": "rejected", "reason": "重复上报"}),
    )
    .await
    .expect("send");
    assert_eq!(response.status(), StatusCode::OK);

    let changed = list(cursor).await;
    let reports = changed["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 2);
    assert_eq!(
        (reports[0]["report_id"].as_str(), reports[0]["status"].as_str()),
        (Some(a.id.as_str()), Some("dispatched"))
    );
    assert_eq!(reports[1]["status"], "rejected");
    assert_eq!(reports[1]["reason"], "重复上报");

    let one: Value = served
        .http
        .get(served.url(&format!("/v1/reports/{}", b.id)))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (one["status"].as_str(), one["reason"].as_str()),
        (Some("rejected"), Some("重复上报"))
    );
    let stats = served.admin_stats().await;
    assert_eq!(
        (
            stats["reports_dispatched"].as_i64(),
            stats["reports_rejected"].as_i64()
        ),
        (Some(1), Some(1))
    );
}

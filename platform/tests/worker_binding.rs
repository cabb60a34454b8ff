//! Devices bound to workers: one-time enrollment codes issued per worker, reports refused when
//! their reporter, role or grids differ from the device's worker (also the first-report binding
//! of the development code), enrollment attempt limits, and HEAD of a photo only to its
//! uploaders and reporters.

mod common;

use common::*;
use gridpatrol_core::capture::SubmittedReport;
use gridpatrol_core::taxonomy::Role;
use gridpatrol_platform::{Config, DevelopmentBinding, EnrollmentLimits};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

async fn create_worker(served: &Served, body: &Value) -> Response {
    served
        .http
        .post(served.url("/v1/admin/workers"))
        .bearer_auth(ADMIN)
        .json(body)
        .send()
        .await
        .expect("create worker")
}

/// Registers a worker; returns the answer (201 asserted).
async fn issue(served: &Served, worker_id: &str, role: &str, grids: &[&str]) -> Value {
    let response = create_worker(
        served,
        &json!({"worker_id": worker_id, "name": "张三", "role": role, "grids": grids}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("issued json")
}

async fn enroll_with(served: &Served, code: &str) -> Response {
    served
        .http
        .post(served.url("/v1/enroll"))
        .json(&json!({"enrollment_code": code, "label": "phone"}))
        .send()
        .await
        .expect("enroll")
}

async fn enrolled(served: &Served, code: &str) -> Device {
    let response = enroll_with(served, code).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let grant: Value = response.json().await.expect("grant");
    Device {
        id: grant["device_id"].as_str().expect("id").into(),
        token: grant["access_token"].as_str().expect("token").into(),
        refresh: grant["refresh_token"].as_str().expect("refresh").into(),
    }
}

/// A valid report by `reporter` (role and grids as given), its photo uploaded by `device`.
async fn report_by(
    served: &Served,
    device: &Device,
    n: u8,
    reporter: &str,
    role: Role,
    grids: &[&str],
) -> SubmittedReport {
    let photo = photo_bytes(n, 900);
    upload_photo(served, device, &photo).await;
    let mut report = report(&format!("0195a000-0000-7000-8000-0000000010{n:02x}"), &photo);
    report.content.reporter.reporter_id = reporter.into();
    report.content.reporter.role = role;
    report.content.reporter.grid_ids = grids.iter().map(|g| g.to_string()).collect();
    report
}

async fn head(served: &Served, device: &Device, sha: &str) -> Response {
    served
        .http
        .head(served.url(&format!("/v1/photos/{sha}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head")
}

#[tokio::test]
async fn a_workers_code_enrolls_one_device_once_and_that_device_files_as_the_worker() {
    let served = start(config()).await;
    let issued = issue(&served, "w-0001", "inspector", &["g-2", "g-1"]).await;
    let code = issued["enrollment_code"].as_str().expect("code").to_string();
    assert_eq!(issued["worker_id"], "w-0001");
    let expires = issued["expires_at_ms"].as_i64().expect("expiry");
    let ttl = expires - now_ms();
    assert!((71 * 3_600_000..=72 * 3_600_000).contains(&ttl), "{ttl}");

    let device = enrolled(&served, &code).await;
    let again = enroll_with(&served, &code).await;
    problem(again, StatusCode::UNAUTHORIZED, "enrollment_code_used").await;
    assert_eq!(served.admin_stats().await["devices"], 1);

    let own = report_by(&served, &device, 1, "w-0001", Role::Inspector, &["g-1"]).await;
    assert_eq!(
        put_report(&served, &device, &own).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_report_claiming_another_reporter_role_or_grid_is_refused_and_nothing_is_stored() {
    let served = start(config()).await;
    let issued = issue(&served, "w-0001", "volunteer", &["g-1"]).await;
    let device = enrolled(&served, issued["enrollment_code"].as_str().expect("code")).await;

    let cases: [(&str, Role, &[&str], &[&str]); 4] = [
        ("w-0002", Role::Volunteer, &["g-1"], &["reporter"]),
        ("w-0001", Role::Inspector, &["g-1"], &["role"]),
        ("w-0001", Role::Volunteer, &["g-1", "g-9"], &["grids"]),
        (
            "w-0002",
            Role::PoliceOfficer,
            &["g-9"],
            &["reporter", "role", "grids"],
        ),
    ];
    for (n, (reporter, role, grids, mismatch)) in cases.into_iter().enumerate() {
        let claim = report_by(&served, &device, n as u8, reporter, role, grids).await;
        let response = put_report(&served, &device, &claim).await;
        let body = problem(response, StatusCode::FORBIDDEN, "binding_mismatch").await;
        assert_eq!(body["mismatch"], json!(mismatch), "{reporter} {role:?} {grids:?}");
    }
    // The same refusal inside a batch: the item alone, and the next item is still processed.
    let other = report_by(&served, &device, 10, "w-0002", Role::Volunteer, &[]).await;
    let own = report_by(&served, &device, 11, "w-0001", Role::Volunteer, &["g-1"]).await;
    let response = served
        .http
        .post(served.url("/v1/reports"))
        .bearer_auth(&device.token)
        .json(&json!({"reports": [other, own]}))
        .send()
        .await
        .expect("batch");
    assert_eq!(response.status(), StatusCode::OK);
    let results: Value = response.json().await.expect("results");
    assert_eq!(results["results"][0]["status"], 403);
    assert_eq!(results["results"][0]["problem"]["code"], "binding_mismatch");
    assert_eq!(results["results"][1]["status"], 201);
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["reports"].as_i64(), stats["validation_failed"].as_i64()),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn used_expired_and_withdrawn_codes_are_refused_with_their_codes() {
    let mut config = config();
    config.enrollment_code_ttl_s = 0;
    let served = start(config).await;
    let expired = issue(&served, "w-0001", "inspector", &[]).await;
    let response = enroll_with(&served, expired["enrollment_code"].as_str().expect("code")).await;
    problem(response, StatusCode::UNAUTHORIZED, "enrollment_code_expired").await;

    let served = start(common::config()).await;
    let first = issue(&served, "w-0001", "inspector", &[]).await;
    let second = issue(&served, "w-0001", "grid_leader", &[]).await;
    let response = enroll_with(&served, first["enrollment_code"].as_str().expect("code")).await;
    problem(response, StatusCode::UNAUTHORIZED, "enrollment_refused").await;
    let device = enrolled(&served, second["enrollment_code"].as_str().expect("code")).await;
    // The worker as last registered: a grid leader now.
    let old_role = report_by(&served, &device, 1, "w-0001", Role::Inspector, &[]).await;
    let response = put_report(&served, &device, &old_role).await;
    problem(response, StatusCode::FORBIDDEN, "binding_mismatch").await;
    assert_eq!(served.admin_stats().await["devices"], 1);
}

#[tokio::test]
async fn bad_worker_requests_are_refused_and_store_nothing() {
    let served = start(config()).await;
    let good = json!({"worker_id": "w-0001", "name": "李四", "role": "inspector", "grids": []});
    let unauthenticated = served
        .http
        .post(served.url("/v1/admin/workers"))
        .json(&good)
        .send()
        .await
        .expect("post");
    problem(unauthenticated, StatusCode::UNAUTHORIZED, "admin_token_invalid").await;

    let too_many: Vec<String> = (0..65).map(|i| format!("g-{i}")).collect();
    let cases = [
        (
            json!({"worker_id": "", "name": "x", "role": "inspector", "grids": []}),
            "bad_worker_id",
        ),
        (
            json!({"worker_id": "w 1", "name": "x", "role": "inspector", "grids": []}),
            "bad_worker_id",
        ),
        (
            json!({"worker_id": "w-1", "name": " ", "role": "inspector", "grids": []}),
            "bad_worker_name",
        ),
        (
            json!({"worker_id": "w-1", "name": "x\u{7}", "role": "inspector", "grids": []}),
            "bad_worker_name",
        ),
        (
            json!({"worker_id": "w-1", "name": "x", "role": "mayor", "grids": []}),
            "bad_role",
        ),
        (
            json!({"worker_id": "w-1", "name": "x", "role": "inspector", "grids": [""]}),
            "bad_grid_id",
        ),
        (
            json!({"worker_id": "w-1", "name": "x", "role": "inspector", "grids": too_many}),
            "too_many_grids",
        ),
    ];
    for (body, code) in cases {
        let response = create_worker(&served, &body).await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let response = create_worker(&served, &json!({"worker_id": "w-1"})).await;
    problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;

    // A grid the platform's package does not hold.
    let mut with_grids = config();
    with_grids.grid_package = Some(gridpatrol_core::grid::sample::sample_package());
    let served = start(with_grids).await;
    let known = gridpatrol_core::grid::sample::sample_index()
        .basic_grids()
        .next()
        .expect("a grid")
        .id
        .clone();
    let unknown = json!({"worker_id": "w-1", "name": "x", "role": "inspector", "grids": [known, "nowhere"]});
    problem(
        create_worker(&served, &unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_grid",
    )
    .await;
    let fine = json!({"worker_id": "w-1", "name": "x", "role": "inspector", "grids": [known]});
    assert_eq!(create_worker(&served, &fine).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_development_device_is_held_to_the_reporter_of_its_first_stored_report() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    // A first report refused by validation binds nothing.
    let mut invalid = report_by(&served, &device, 1, "w-0009", Role::Inspector, &[]).await;
    invalid.content.photos.clear();
    let response = put_report(&served, &device, &invalid).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let first = report_by(&served, &device, 2, "w-0001", Role::Inspector, &["g-1"]).await;
    assert_eq!(
        put_report(&served, &device, &first).await.status(),
        StatusCode::CREATED
    );
    let other = report_by(&served, &device, 3, "w-0009", Role::Inspector, &[]).await;
    let body = problem(
        put_report(&served, &device, &other).await,
        StatusCode::FORBIDDEN,
        "binding_mismatch",
    )
    .await;
    assert_eq!(body["mismatch"], json!(["reporter"]));
    let promoted = report_by(&served, &device, 4, "w-0001", Role::PoliceOfficer, &["g-1"]).await;
    problem(
        put_report(&served, &device, &promoted).await,
        StatusCode::FORBIDDEN,
        "binding_mismatch",
    )
    .await;
    let again = report_by(&served, &device, 5, "w-0001", Role::Inspector, &[]).await;
    assert_eq!(
        put_report(&served, &device, &again).await.status(),
        StatusCode::CREATED
    );
    // Another development device is bound on its own.
    let second = enroll(&served).await;
    let theirs = report_by(&served, &second, 6, "w-0009", Role::Inspector, &[]).await;
    assert_eq!(
        put_report(&served, &second, &theirs).await.status(),
        StatusCode::CREATED
    );

    // Unbound development devices (fixtures with several reporters on one outbox).
    let mut unbound = config();
    unbound.development_binding = DevelopmentBinding::Unbound;
    let served = start(unbound).await;
    let device = enroll(&served).await;
    for (n, reporter) in [(7, "w-0001"), (8, "w-0002")] {
        let report = report_by(&served, &device, n, reporter, Role::Inspector, &[]).await;
        assert_eq!(
            put_report(&served, &device, &report).await.status(),
            StatusCode::CREATED
        );
    }
}

#[tokio::test]
async fn refused_enrollments_are_limited_per_address_with_retry_after() {
    let mut config: Config = config();
    config.enrollment_limits = EnrollmentLimits {
        per_address: 3,
        ..EnrollmentLimits::default()
    };
    let served = start(config).await;
    let issued = issue(&served, "w-0001", "inspector", &[]).await;
    for _ in 0..3 {
        problem(
            enroll_with(&served, "guess").await,
            StatusCode::UNAUTHORIZED,
            "enrollment_refused",
        )
        .await;
    }
    // Over the limit even the right codes wait, so a guesser learns nothing more.
    for code in [CODE, issued["enrollment_code"].as_str().expect("code")] {
        let response = enroll_with(&served, code).await;
        let retry_after: u64 = header(&response, "retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After seconds");
        assert!((1..=600).contains(&retry_after), "{retry_after}");
        problem(response, StatusCode::TOO_MANY_REQUESTS, "enrollment_rate_limited").await;
    }
    assert_eq!(served.admin_stats().await["devices"], 0);
}

#[tokio::test]
async fn head_tells_a_photo_only_to_its_uploaders_and_reporters() {
    let served = start(config()).await;
    let owner = enroll(&served).await;
    let stranger = enroll(&served).await;
    let photo = photo_bytes(40, 1200);
    let sha = sha256_hex(&photo);
    // Half uploaded, then whole: the uploader sees both.
    let response = patch_photo(&served, &owner, &sha, 0, 1200, &photo[..600]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = head(&served, &owner, &sha).await;
    assert_eq!(header(&response, "upload-offset").as_deref(), Some("600"));
    let response = patch_photo(&served, &owner, &sha, 600, 1200, &photo[600..]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(head(&served, &owner, &sha).await.status(), StatusCode::OK);

    // Another device gets the answer it gets for a photo nobody holds.
    let absent = sha256_hex(b"nobody holds this");
    for asked in [&sha, &absent] {
        let response = head(&served, &stranger, asked).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&response, "upload-offset"), None);
    }
    // Once a report of the stranger naming it is stored, it may learn it.
    let mut report = report("0195a000-0000-7000-8000-000000002001", &photo);
    report.content.reporter.reporter_id = "w-0002".into();
    assert_eq!(
        put_report(&served, &stranger, &report).await.status(),
        StatusCode::CREATED
    );
    let response = head(&served, &stranger, &sha).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "upload-offset").as_deref(), Some("1200"));
}

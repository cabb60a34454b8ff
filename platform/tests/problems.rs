//! Every answer that is not a success is application/problem+json with a stable code: axum's
//! own answers (unknown route, wrong method, path and query rejections) included; the
//! `Authorization` scheme is matched case-insensitively; extreme numbers in a report are read
//! and judged, not a parse error or a server error (both found by scripts/api-fuzz.sh).

mod common;

use common::*;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let served = start(config()).await;
    for path in ["/", "/v1", "/v1/nothing-here", "/v2/reports"] {
        let response = served.http.get(served.url(path)).send().await.expect("send");
        problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = format!("/v1/photos/{}", "a".repeat(64));
    // (method, path, the methods the route takes); device routes sit behind the fault layer,
    // admin and health do not: both kinds of route must answer the same way.
    let cases = [
        (Method::DELETE, "/v1/reports", ["GET", "HEAD", "POST"].as_slice()),
        (Method::POST, "/v1/health", ["GET", "HEAD"].as_slice()),
        (Method::GET, "/v1/enroll", ["POST"].as_slice()),
        (Method::DELETE, "/v1/admin/stats", ["GET", "HEAD"].as_slice()),
        (Method::POST, photo.as_str(), ["HEAD", "PATCH"].as_slice()),
    ];
    for (method, path, allowed) in cases {
        let response = served
            .http
            .request(method.clone(), served.url(path))
            .bearer_auth(&device.token)
            .send()
            .await
            .expect("send");
        let allow = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        problem(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
        let mut got: Vec<&str> = allow.split(',').map(str::trim).collect();
        got.sort_unstable();
        let mut want = allowed.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "Allow of {method} {path}");
    }
}

#[tokio::test]
async fn query_rejection_is_a_400_problem() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    for query in ["since=abc", "limit=-1", "limit=1.5", "since=99999999999999999999"] {
        let response = served
            .http
            .get(served.url(&format!("/v1/reports?{query}")))
            .bearer_auth(&device.token)
            .send()
            .await
            .expect("send");
        let body = problem(response, StatusCode::BAD_REQUEST, "bad_query").await;
        let detail = body["detail"].as_str().expect("detail");
        assert!(
            !detail.contains("abc"),
            "the detail does not quote the input: {detail}"
        );
    }
    // A good query still works.
    let response = served
        .http
        .get(served.url("/v1/reports?since=0&limit=5"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn path_rejection_is_a_400_problem() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    // %FF decodes to a byte that is not UTF-8: axum's Path<String> refuses it.
    for (method, path) in [
        (Method::GET, "/v1/reports/%FF"),
        (Method::PUT, "/v1/reports/%FF%FE"),
        (Method::GET, "/v1/event-lists/%C3%28"),
        (Method::PATCH, "/v1/photos/%FF"),
    ] {
        let response = served
            .http
            .request(method.clone(), served.url(path))
            .bearer_auth(&device.token)
            .header("upload-offset", "0")
            .body("{}")
            .send()
            .await
            .expect("send");
        problem(response, StatusCode::BAD_REQUEST, "bad_path_parameter").await;
    }
    let response = served
        .http
        .post(served.url("/v1/admin/devices/%FF/revoke"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send");
    problem(response, StatusCode::BAD_REQUEST, "bad_path_parameter").await;
}

#[tokio::test]
async fn body_rejections_are_problems() {
    let served = start(config()).await;
    let not_json = served
        .http
        .post(served.url("/v1/enroll"))
        .body("{not json")
        .send()
        .await
        .expect("send");
    problem(not_json, StatusCode::BAD_REQUEST, "malformed_json").await;
    let too_big = served
        .http
        .post(served.url("/v1/token"))
        .body(vec![b' '; 64 * 1024])
        .send()
        .await
        .expect("send");
    problem(too_big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = served
            .http
            .get(served.url("/v1/reports"))
            .header("authorization", format!("{scheme} {}", device.token))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::OK, "scheme {scheme}");
        let admin = served
            .http
            .get(served.url("/v1/admin/stats"))
            .header("authorization", format!("{scheme} {ADMIN}"))
            .send()
            .await
            .expect("send");
        assert_eq!(admin.status(), StatusCode::OK, "admin scheme {scheme}");
    }
    // Another scheme, or the scheme alone, is no token at all.
    for value in [
        format!("Basic {}", device.token),
        "Bearer".into(),
        "Bearer   ".into(),
    ] {
        let response = served
            .http
            .get(served.url("/v1/reports"))
            .header("authorization", value)
            .send()
            .await
            .expect("send");
        problem(response, StatusCode::UNAUTHORIZED, "token_missing").await;
    }
}

/// A change to a valid report.
type Edit = fn(&mut gridpatrol_core::capture::SubmittedReport);

#[tokio::test]
async fn extreme_times_in_a_report_are_findings_not_a_server_error() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(1, 2048);
    // Each is a schema-valid i64 far from any real clock: the differences validation takes
    // between them overflowed (a panic, 500) before.
    let cases: [(&str, Edit); 3] = [
        ("captured at i64::MIN", |r| r.content.captured_at_ms = i64::MIN),
        ("fix at i64::MIN, EXIF at i64::MAX", |r| {
            r.content.fix.as_mut().expect("fix").fix_time_ms = i64::MIN;
            r.content.photos[0].exif_taken_at_ms = Some(i64::MAX);
        }),
        ("EXIF at i64::MIN", |r| {
            r.content.photos[0].exif_taken_at_ms = Some(i64::MIN)
        }),
    ];
    for (n, (what, edit)) in cases.into_iter().enumerate() {
        let id = format!("0190f0e0-0000-7000-8000-00000000000{n}");
        let mut report = report(&id, &photo);
        edit(&mut report);
        let response = served
            .http
            .put(served.url(&format!("/v1/reports/{id}")))
            .bearer_auth(&device.token)
            .json(&report)
            .send()
            .await
            .expect("send");
        let status = response.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {status} {}",
            response.text().await.unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn a_number_written_as_a_long_integer_is_read() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(2, 2048);
    let id = "0190f0e0-0000-7000-8000-0000000000aa";
    let text = serde_json::to_string(&report(id, &photo)).expect("report json");
    // f64::MAX written out as an integer: valid JSON and a valid double, which serde_json's
    // fast float parser rounded past f64::MAX ("number out of range", 400).
    let max = format!("{:.0}", f64::MAX);
    let text = text.replacen("\"exif_lon\":null", &format!("\"exif_lon\":{max}"), 1);
    assert!(text.contains(&max));
    let response = served
        .http
        .put(served.url(&format!("/v1/reports/{id}")))
        .bearer_auth(&device.token)
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .expect("send");
    // Read, then judged: the photo was never uploaded.
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, "photos_incomplete").await;
}

//! Fault mode (each kind, deterministic by seed, "committed but the response was lost" then an
//! idempotent retry) and a platform restart that keeps reports and partial photo uploads.

mod common;

use common::*;
use gridpatrol_platform::{FaultConfig, FaultKind};
use reqwest::StatusCode;
use serde_json::Value;

/// What a client saw: a status, or the connection closed without an answer.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Status(u16, Option<String>),
    Dropped,
}

async fn list_reports(served: &Served, device: &Device) -> Seen {
    match served
        .http
        .get(served.url("/v1/reports"))
        .bearer_auth(&device.token)
        .send()
        .await
    {
        Ok(response) => Seen::Status(response.status().as_u16(), header(&response, "retry-after")),
        Err(_) => Seen::Dropped,
    }
}

fn expected(kind: Option<FaultKind>) -> Seen {
    match kind {
        None => Seen::Status(200, None),
        Some(FaultKind::InternalError | FaultKind::CommitThenError) => Seen::Status(500, None),
        Some(FaultKind::Unavailable) => Seen::Status(503, Some("1".into())),
        Some(FaultKind::TooManyRequests) => Seen::Status(429, Some("1".into())),
        Some(FaultKind::DropConnection | FaultKind::CommitThenDrop) => Seen::Dropped,
    }
}

#[tokio::test]
async fn each_fault_kind_at_rate_one() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    for kind in FaultKind::ALL {
        served
            .platform
            .set_fault(Some(FaultConfig::new(1.0, 3).with_kinds(&[kind])));
        for _ in 0..2 {
            assert_eq!(
                list_reports(&served, &device).await,
                expected(Some(kind)),
                "{kind:?}"
            );
        }
    }
    // An injected error is a problem+json with its own code; health and admin never fail.
    served.platform.set_fault(Some(
        FaultConfig::new(1.0, 3).with_kinds(&[FaultKind::Unavailable]),
    ));
    let response = served
        .http
        .get(served.url("/v1/reports"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    problem(response, StatusCode::SERVICE_UNAVAILABLE, "fault_injected").await;
    let health = served
        .http
        .get(served.url("/v1/health"))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status(), StatusCode::OK);
    served.admin_stats().await;
    served.platform.set_fault(None);
    assert_eq!(list_reports(&served, &device).await, expected(None));
}

#[tokio::test]
async fn a_seed_gives_the_same_fault_sequence() {
    let fault = FaultConfig::new(0.6, 20261123);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let served = start(config()).await;
        let device = enroll(&served).await;
        served.platform.set_fault(Some(fault.clone()));
        let mut seen = Vec::new();
        for _ in 0..24 {
            seen.push(list_reports(&served, &device).await);
        }
        runs.push(seen);
    }
    let plan: Vec<Seen> = (0..24).map(|n| expected(fault.decision(n))).collect();
    assert_eq!(runs[0], plan);
    assert_eq!(runs[1], plan);
    assert!(plan.contains(&Seen::Dropped) && plan.contains(&Seen::Status(200, None)));
}

#[tokio::test]
async fn committed_but_response_lost_then_retry_gets_the_original_answer() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(11, 30_000);
    let sha = sha256_hex(&photo);

    // A photo chunk committed but its answer lost: HEAD tells the device where it stands.
    served.platform.set_fault(Some(
        FaultConfig::new(1.0, 1).with_kinds(&[FaultKind::CommitThenError]),
    ));
    let response = patch_photo(&served, &device, &sha, 0, photo.len() as u64, &photo[..10_000]).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    served.platform.set_fault(None);
    let held = served
        .http
        .head(served.url(&format!("/v1/photos/{sha}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    assert_eq!(header(&held, "upload-offset").as_deref(), Some("10000"));
    let response = patch_photo(
        &served,
        &device,
        &sha,
        10_000,
        photo.len() as u64,
        &photo[10_000..],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    for (kind, id) in [
        (FaultKind::CommitThenError, "0195a000-0000-7000-8000-0000000000e1"),
        (FaultKind::CommitThenDrop, "0195a000-0000-7000-8000-0000000000e2"),
    ] {
        let report = report(id, &photo);
        served
            .platform
            .set_fault(Some(FaultConfig::new(1.0, 9).with_kinds(&[kind])));
        let lost = served
            .http
            .put(served.url(&format!("/v1/reports/{id}")))
            .bearer_auth(&device.token)
            .json(&report)
            .send()
            .await;
        match kind {
            FaultKind::CommitThenError => {
                problem(
                    lost.expect("answered"),
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "fault_injected",
                )
                .await;
            }
            _ => assert!(lost.is_err(), "the connection was dropped"),
        }
        served.platform.set_fault(None);
        let retry = put_report(&served, &device, &report).await;
        assert_eq!(
            retry.status(),
            StatusCode::OK,
            "{kind:?}: stored by the lost request"
        );
        let receipt: Value = retry.json().await.expect("json");
        let status: Value = served
            .http
            .get(served.url(&format!("/v1/reports/{id}")))
            .bearer_auth(&device.token)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        assert_eq!(receipt, status);
        assert_eq!(receipt["status"], "received");
    }
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["reports"].as_i64(), stats["duplicates_refused"].as_i64()),
        (Some(2), Some(2))
    );
}

#[tokio::test]
async fn a_restart_keeps_reports_and_partial_uploads() {
    let mut served = start(config()).await;
    let device = enroll(&served).await;
    let whole = photo_bytes(21, 20_000);
    upload_photo(&served, &device, &whole).await;
    let report = report("0195a000-0000-7000-8000-0000000000f1", &whole);
    let first: Value = put_report(&served, &device, &report)
        .await
        .json()
        .await
        .expect("json");

    let partial = photo_bytes(22, 64_000);
    let sha = sha256_hex(&partial);
    let response = patch_photo(
        &served,
        &device,
        &sha,
        0,
        partial.len() as u64,
        &partial[..25_000],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    served.restart(config()).await;

    let again = put_report(&served, &device, &report).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    let held = served
        .http
        .head(served.url(&format!("/v1/photos/{sha}")))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("head");
    assert_eq!(held.status(), StatusCode::OK);
    assert_eq!(header(&held, "upload-offset").as_deref(), Some("25000"));
    let response = patch_photo(
        &served,
        &device,
        &sha,
        25_000,
        partial.len() as u64,
        &partial[25_000..],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // The case sequence continues after the restart.
    let next = report_two(&partial);
    let second: Value = put_report(&served, &device, &next)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        second["case_number"].as_str().expect("case").ends_with("-000002"),
        "{second}"
    );
    let stats = served.admin_stats().await;
    assert_eq!(
        (stats["reports"].as_i64(), stats["photos"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(stats["photo_bytes"], 84_000);
}

fn report_two(photo: &[u8]) -> gridpatrol_core::capture::SubmittedReport {
    report("0195a000-0000-7000-8000-0000000000f2", photo)
}

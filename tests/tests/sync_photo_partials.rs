//! The sync engine against unfinished photo uploads on the reference platform: another device's
//! partial of the same photo, a stale partial of its own with another length, a full partial
//! quota. None of them parks a report.

mod sync_support;

use std::sync::Arc;
use std::time::Duration;

use gridpatrol_core::Client;
use gridpatrol_platform::{Config, FaultConfig, FaultKind};
use sync_support::*;

const BOUND: Duration = Duration::from_secs(60);

/// `PATCH`es `bytes` from offset 0 declaring `length`, with `token`; returns the status.
async fn patch(url: &str, token: &str, sha: &str, length: usize, bytes: &[u8]) -> u16 {
    gridpatrol_core::sync::install_tls_provider();
    reqwest::Client::new()
        .patch(format!("{url}/v1/photos/{sha}"))
        .bearer_auth(token)
        .header("Upload-Offset", 0)
        .header("Upload-Length", length)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("patch")
        .status()
        .as_u16()
}

/// A fresh device's access token.
async fn other_device(url: &str) -> String {
    enroll_without_key(url, "other").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_another_device_claimed_with_a_wrong_length_is_delivered() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let ids = capture(&client, 0, 1, 1, &base_photos(1), 0);
        let photo = &client.report(&ids[0]).expect("report").content.photos[0];
        let bytes = client.photos().read(&photo.sha256).expect("photo bytes");

        // Another device that knows the hash claims it first, with a wrong length.
        let intruder = other_device(&platform.url()).await;
        let status = patch(
            &platform.url(),
            &intruder,
            &photo.sha256,
            bytes.len() + 1000,
            &bytes[..100],
        )
        .await;
        assert_eq!(status, 204);

        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending, summary.parked), (1, 0, 0));
        assert_eq!(summary.bytes_sent, bytes.len() as i64);
        let stats = platform.stats().await;
        assert_eq!(
            (stats["photos"].as_u64(), stats["partial_photos"].as_u64()),
            (Some(1), Some(0))
        );
        assert_eq!(platform.photo_hashes(), device_photo_hashes(&client));
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_stale_partial_of_another_length_is_started_over() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let ids = capture(&client, 0, 1, 1, &base_photos(1), 0);
        let photo = &client.report(&ids[0]).expect("report").content.photos[0];
        let bytes = client.photos().read(&photo.sha256).expect("photo bytes");
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");

        // A partial of this device's own, started with another length (a stale upload), that
        // already holds more bytes than the photo has.
        let mut stale = bytes.clone();
        stale.extend_from_slice(&[0u8; 100]);
        let status = patch(
            &platform.url(),
            &own_token(&client),
            &photo.sha256,
            2 * bytes.len(),
            &stale,
        )
        .await;
        assert_eq!(status, 204);

        // The first try fails (503), so the retry asks with HEAD first: the partial's length
        // is not the photo's, so it starts over from 0 instead of taking the stale offset.
        platform.platform.set_fault(Some(
            FaultConfig::new(1.0, 3).with_kinds(&[FaultKind::Unavailable]),
        ));
        let lifter = {
            let platform = platform.platform.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                platform.set_fault(None);
            })
        };
        let summary = engine.sync_now(BOUND).await.expect("sync");
        lifter.await.expect("lifter");
        assert_eq!((summary.delivered, summary.pending, summary.parked), (1, 0, 0));
        assert!(summary.retries >= 1);
        let stats = platform.stats().await;
        assert_eq!(
            (stats["photos"].as_u64(), stats["partial_photos"].as_u64()),
            (Some(1), Some(0))
        );
        assert_eq!(platform.photo_hashes(), device_photo_hashes(&client));
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_partial_quota_delays_photos_but_parks_nothing() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        // One unfinished upload at a time, expiring after a second: the engine's parallel
        // photo uploads (several chunks each) run into the quota.
        let mut config = Config::new(CODE, ADMIN);
        config.limits.partial_photos_per_device = 1;
        config.partial_photo_ttl_s = 1;
        let platform = TestPlatform::start_with(dir.path(), config).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        capture(&client, 0, 4, 1, &base_photos(1), 1);
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending, summary.parked), (4, 0, 0));
        assert!(summary.retries >= 1, "the quota was reached");
        let stats = platform.stats().await;
        assert_eq!(
            (stats["photos"].as_u64(), stats["partial_photos"].as_u64()),
            (Some(4), Some(0))
        );
        assert_eq!(platform.photo_hashes(), device_photo_hashes(&client));
    })
    .await
    .expect("test within its time bound");
}

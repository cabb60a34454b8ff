//! The sync engine against the in-process reference platform: delivery with photos, parking,
//! revocation, relaunch mid-sync, Retry-After.

mod sync_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gridpatrol_core::sync::{NetworkPolicy, NetworkState, SyncEvent, SyncListener, SyncProgress};
use gridpatrol_core::{Client, Error};
use gridpatrol_platform::{FaultConfig, FaultKind};
use sync_support::*;

const BOUND: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Recorder(Mutex<Vec<SyncProgress>>);

impl SyncListener for Recorder {
    fn on_progress(&self, progress: SyncProgress) {
        self.0.lock().expect("lock").push(progress);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_with_photos_are_delivered_with_case_numbers() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let ids = capture(&client, 0, 6, 2, &base_photos(2), 3);
        let engine = engine(&client, &platform.url());
        assert!(!engine.is_enrolled());
        assert!(matches!(engine.sync_now(BOUND).await, Err(Error::NotEnrolled)));
        engine.enroll(CODE, "test phone").await.expect("enroll");
        assert!(engine.is_enrolled());
        let recorder = Arc::new(Recorder::default());
        engine.set_listener(Some(recorder.clone()));

        let before = engine.queue_health().expect("health");
        assert_eq!(before.pending, 6);
        assert!(before.bytes_waiting > 0);

        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending, summary.parked), (6, 0, 0));
        assert!(summary.bytes_sent > 0);
        for (id, state, case) in states(&client) {
            assert!(ids.contains(&id));
            assert_eq!(state, "delivered");
            assert!(case.expect("case number").starts_with("WZ-"));
        }
        let health = engine.queue_health().expect("health");
        assert_eq!(
            (health.pending, health.delivered, health.bytes_waiting),
            (0, 6, 0)
        );
        assert!(health.last_success_at_ms.is_some());
        let stats = platform.stats().await;
        assert_eq!(stats["reports"], 6);
        assert_eq!(platform.photo_hashes(), device_photo_hashes(&client));

        let events: Vec<SyncEvent> = recorder.0.lock().expect("lock").iter().map(|p| p.event).collect();
        assert_eq!(events.first(), Some(&SyncEvent::Started));
        assert_eq!(events.last(), Some(&SyncEvent::Finished));
        assert_eq!(
            events
                .iter()
                .filter(|e| **e == SyncEvent::ReportDelivered)
                .count(),
            6
        );
        assert!(events.contains(&SyncEvent::PhotoProgress));

        // A second run sends nothing more.
        let again = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((again.delivered, again.bytes_sent), (6, 0));
        assert_eq!(platform.stats().await["reports"], 6);
    })
    .await
    .expect("test within its time bound");
}

/// Changes a submitted report as stored, behind the device's validation: what the platform
/// then refuses tests parking.
fn tamper(client: &Client, id: &str, change: impl FnOnce(&mut serde_json::Value)) {
    client
        .store()
        .write(|tx| {
            let body: String = tx.query_row("SELECT body FROM report WHERE id = ?1", [id], |r| r.get(0))?;
            let mut report: serde_json::Value = serde_json::from_str(&body)?;
            change(&mut report);
            gridpatrol_tests::resign(client, &mut report);
            // Without its checksum, as a row from before checksums: the device sends it
            // unverified, so what refuses it is the platform (a kept checksum would park it
            // on the device as `local_report_corrupt`).
            tx.execute(
                "UPDATE report SET body = ?2, body_sha256 = NULL WHERE id = ?1",
                rusqlite::params![id, report.to_string()],
            )?;
            Ok(())
        })
        .expect("tamper");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_report_is_parked_and_the_ones_behind_it_arrive() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        // One reporter, so the bad report is first in the chain the others wait behind.
        let ids = capture(&client, 0, 4, 1, &base_photos(1), 0);
        let bad = ids[0].clone();
        // Break the stored report behind device validation's back: no photos (the subtype
        // needs one), which the platform's validation refuses.
        tamper(&client, &bad, |report| report["photos"] = serde_json::json!([]));
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending, summary.parked), (3, 0, 1));
        let health = engine.queue_health().expect("health");
        assert_eq!(health.parked.len(), 1);
        assert_eq!(health.parked[0].report_id, bad);
        assert_eq!(health.parked[0].code, "validation_failed");
        assert!(
            health.parked[0].reason.contains("photos"),
            "{}",
            health.parked[0].reason
        );
        assert_eq!(platform.stats().await["reports"], 3);
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_stops_and_deletes_nothing() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        capture(&client, 0, 3, 3, &base_photos(1), 0);
        let engine = engine(&client, &platform.url());
        let device_id = engine.enroll(CODE, "p").await.expect("enroll");
        platform.revoke(&device_id).await;
        let error = engine.sync_now(BOUND).await.expect_err("revoked");
        assert!(matches!(error, Error::DeviceRevoked), "{error:?}");
        let health = engine.queue_health().expect("health");
        assert_eq!((health.pending, health.delivered, health.parked.len()), (3, 0, 0));
        assert_eq!(client.queue().expect("queue").len(), 3);
        // Still stopped on the next run, without asking the platform again.
        assert!(matches!(engine.sync_now(BOUND).await, Err(Error::DeviceRevoked)));
        // A fresh enrollment lifts it and the reports go.
        engine.enroll(CODE, "p").await.expect("re-enroll");
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending), (3, 0));
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaunch_mid_sync_loses_nothing_and_sends_nothing_twice() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let data = dir.path().join("device");
        let ids = {
            let client = Arc::new(Client::open(&data).expect("client"));
            capture(&client, 0, 40, 8, &base_photos(3), 2)
        };
        platform.platform.set_fault(Some(FaultConfig::new(0.2, 7)));
        // Several launches, each killed (its future dropped) after a short while.
        for round in 0..4u64 {
            let client = Arc::new(Client::open(&data).expect("client"));
            let engine = engine(&client, &platform.url());
            if !engine.is_enrolled() {
                engine.enroll(CODE, "p").await.ok();
            }
            let run = engine.sync_now(BOUND);
            let _ = tokio::time::timeout(Duration::from_millis(150 + 100 * round), run).await;
            drop(engine);
            drop(client);
        }
        platform.platform.set_fault(None);
        let client = Arc::new(Client::open(&data).expect("client"));
        let engine = engine(&client, &platform.url());
        assert!(engine.is_enrolled(), "credentials survive the relaunch");
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending, summary.parked), (40, 0, 0));
        assert_eq!(states(&client).len(), ids.len());
        let stats = platform.stats().await;
        assert_eq!(stats["reports"], 40, "{stats}");
        assert_eq!(platform.photo_hashes(), device_photo_hashes(&client));
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        capture(&client, 0, 1, 1, &base_photos(1), 0);
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        // Every request answers 503 Retry-After: 1 until the fault mode is lifted.
        platform.platform.set_fault(Some(
            FaultConfig::new(1.0, 1).with_kinds(&[FaultKind::Unavailable]),
        ));
        let recorder = Arc::new(Recorder::default());
        engine.set_listener(Some(recorder.clone()));
        let started = Instant::now();
        let lifter = {
            let platform = platform.platform.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(2500)).await;
                platform.set_fault(None);
            })
        };
        let summary = engine.sync_now(BOUND).await.expect("sync");
        lifter.await.expect("lifter");
        assert_eq!(summary.delivered, 1);
        let retries = summary.retries;
        // With 503 Retry-After: 1 for 2.5 s, at most 3 attempts failed (one per second), not the
        // dozens a 20 ms backoff would have made.
        assert!((1..=3).contains(&retries), "retries {retries}");
        assert!(started.elapsed() >= Duration::from_millis(2500));
        let retrying = recorder
            .0
            .lock()
            .expect("lock")
            .iter()
            .filter(|p| p.event == SyncEvent::Retrying)
            .count();
        assert_eq!(retrying as i32, retries);
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_metered_network_photos_wait_and_offline_sends_nothing() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let photos = base_photos(2);
        // Reporter w0's report uses photo 0, w1's photo 1.
        capture(&client, 0, 2, 2, &photos, 0);
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");

        engine.set_network(NetworkState {
            online: false,
            metered: false,
        });
        let offline = engine.sync_now(BOUND).await.expect("offline run");
        assert_eq!(
            (offline.delivered, offline.pending, offline.bytes_sent),
            (0, 2, 0)
        );

        // Another device already uploaded photo 0. The platform does not tell this device so
        // (HEAD answers only a photo's uploaders and reporters), so on a metered network both
        // reports still wait; on Wi-Fi photo 0 costs one chunk answered 409 with its offset.
        let other = Arc::new(Client::open(dir.path().join("other")).expect("client"));
        capture(&other, 10, 1, 1, &photos[..1], 0);
        let other_engine = sync_support::engine(&other, &platform.url());
        other_engine.enroll(CODE, "other").await.expect("enroll");
        assert_eq!(other_engine.sync_now(BOUND).await.expect("sync").delivered, 1);

        engine.set_network(NetworkState {
            online: true,
            metered: true,
        });
        engine.set_policy(NetworkPolicy {
            photos_on_metered: false,
        });
        let metered = engine.sync_now(BOUND).await.expect("metered run");
        assert_eq!(
            (metered.delivered, metered.pending, metered.bytes_sent),
            (0, 2, 0)
        );

        engine.set_network(NetworkState {
            online: true,
            metered: false,
        });
        let wifi = engine.sync_now(BOUND).await.expect("unmetered run");
        assert_eq!((wifi.delivered, wifi.pending), (2, 0));
        assert!(wifi.bytes_sent > 0);
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_loop_drains_new_reports_and_stops_on_drop() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        engine.set_network(NetworkState {
            online: false,
            metered: false,
        });
        let task = engine.start(Duration::from_millis(200));
        let photos = base_photos(1);
        let blocking = client.clone();
        tokio::task::spawn_blocking(move || capture(&blocking, 0, 3, 2, &photos, 0))
            .await
            .expect("capture");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            engine.queue_health().expect("health").pending,
            3,
            "offline: nothing sent"
        );
        // Coming back online wakes the loop.
        engine.set_network(NetworkState {
            online: true,
            metered: false,
        });
        while engine.queue_health().expect("health").pending > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(engine.queue_health().expect("health").delivered, 3);
        task.stop();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(task.is_finished());
        drop(task);
        assert_eq!(platform.stats().await["reports"], 3);
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_event_list_is_not_downloaded_again() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        // The platform serves the bundled list, which the device already has: 304.
        assert_eq!(engine.pull_event_list().await.expect("pull"), None);
    })
    .await
    .expect("test within its time bound");
}

/// Holds the first delivery's progress call until a later report's photo makes progress (or
/// a bound passes), recording whether it did.
struct HoldFirstDelivery {
    later: Vec<String>,
    seen_ahead: Mutex<bool>,
    wake: std::sync::Condvar,
    held: Mutex<Option<bool>>,
}

impl SyncListener for HoldFirstDelivery {
    fn on_progress(&self, progress: SyncProgress) {
        let report = progress.report_id.unwrap_or_default();
        match progress.event {
            SyncEvent::PhotoProgress if self.later.contains(&report) => {
                *self.seen_ahead.lock().expect("lock") = true;
                self.wake.notify_all();
            }
            SyncEvent::ReportDelivered => {
                let mut held = self.held.lock().expect("lock");
                if held.is_some() {
                    return;
                }
                let seen = self.seen_ahead.lock().expect("lock");
                let (seen, _) = self
                    .wake
                    .wait_timeout_while(seen, Duration::from_secs(20), |seen| !*seen)
                    .expect("wait");
                *held = Some(*seen);
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn one_reporters_later_photos_upload_while_the_first_report_is_delivered() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        // One reporter: the reports commit one after another, in submit order.
        let ids = capture(&client, 0, 3, 1, &base_photos(3), 0);
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        let listener = Arc::new(HoldFirstDelivery {
            later: ids[1..].to_vec(),
            seen_ahead: Mutex::new(false),
            wake: std::sync::Condvar::new(),
            held: Mutex::new(None),
        });
        engine.set_listener(Some(listener.clone()));
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending), (3, 0));
        assert_eq!(
            *listener.held.lock().expect("lock"),
            Some(true),
            "a later report's photo made progress while the first delivery was held"
        );
        let cases = cases_in_order(&client, &ids);
        assert!(in_commit_order(&cases), "submit order kept: {cases:?}");
        assert_eq!(platform.photo_hashes(), device_photo_hashes(&client));
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_the_platform_holds_part_of_is_sent_from_its_offset() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let ids = capture(&client, 0, 1, 1, &base_photos(1), 0);
        let photo = &client.report(&ids[0]).expect("report").content.photos[0];
        let bytes = client.photos().read(&photo.sha256).expect("photo bytes");
        let half = bytes.len() / 2;

        // An earlier run of this device got the first half across before it died.
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        gridpatrol_core::sync::install_tls_provider();
        let status = reqwest::Client::new()
            .patch(format!("{}/v1/photos/{}", platform.url(), photo.sha256))
            .bearer_auth(own_token(&client))
            .header("Upload-Offset", 0)
            .header("Upload-Length", bytes.len())
            .body(bytes[..half].to_vec())
            .send()
            .await
            .expect("patch")
            .status();
        assert_eq!(status, 204);
        assert_eq!(platform.stats().await["partial_photos"], 1);

        // The report never failed, so the engine does not ask first: its PATCH from 0 is
        // answered with the platform's offset and only the second half is sent.
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!((summary.delivered, summary.pending, summary.retries), (1, 0, 0));
        assert_eq!(summary.bytes_sent, (bytes.len() - half) as i64);
        let stats = platform.stats().await;
        assert_eq!(
            (stats["partial_photos"].as_u64(), stats["photos"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(platform.photo_hashes(), device_photo_hashes(&client));
    })
    .await
    .expect("test within its time bound");
}

/// Captures, for one reporter: a photo report, `plain` photo-less ones, another photo report,
/// `plain` more photo-less ones. The ids in submit order.
fn mixed_run(client: &Client, plain: u64) -> Vec<String> {
    let photos = base_photos(2);
    let mut ids = capture(client, 0, 1, 1, &photos[..1], 0);
    ids.extend(capture_plain(client, 100, plain, 1));
    ids.extend(capture(client, 1, 1, 1, &photos[1..], 0));
    ids.extend(capture_plain(client, 200, plain, 1));
    ids
}

/// (id, case number) of the delivered reports, in the order of `ids`.
fn cases_in_order(client: &Client, ids: &[String]) -> Vec<String> {
    let states = states(client);
    ids.iter()
        .filter_map(|id| {
            states
                .iter()
                .find(|(i, state, _)| i == id && state == "delivered")
                .map(|(_, _, case)| case.clone().expect("a delivered report has a case number"))
        })
        .collect()
}

/// Case numbers are `WZ-{China date}-{sequence of the day}`, given in commit order.
fn in_commit_order(cases: &[String]) -> bool {
    cases.windows(2).all(|w| w[0][..11] != w[1][..11] || w[0] < w[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_reporters_photo_less_reports_go_in_batches_in_submit_order() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let ids = mixed_run(&client, 30);
        // One photo-less report in the middle of the first run breaks the platform's rules
        // (no location) behind the device's back: parked, the ones after it still go.
        let bad = ids[10].clone();
        tamper(&client, &bad, |report| report["fix"] = serde_json::Value::Null);
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!(
            (summary.delivered, summary.pending, summary.parked),
            (ids.len() as i32 - 1, 0, 1)
        );
        let health = engine.queue_health().expect("health");
        assert_eq!(health.parked[0].report_id, bad);
        assert_eq!(health.parked[0].code, "validation_failed");

        let stats = platform.stats().await;
        assert_eq!(stats["reports"], ids.len() as u64 - 1, "{stats}");
        assert_eq!(stats["duplicates_refused"], 0, "{stats}");
        // 62 reports: two with photos, each followed by a run of 30 photo-less ones that go
        // with it (up to 50 a batch), so a handful of batches instead of 62 uploads.
        let batches = stats["report_batches"].as_u64().expect("report_batches");
        assert!((2..=6).contains(&batches), "{batches} batches: {stats}");
        let cases = cases_in_order(&client, &ids);
        assert_eq!(cases.len(), ids.len() - 1);
        assert!(in_commit_order(&cases), "submit order kept: {cases:?}");
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_that_refuses_batches_gets_the_reports_one_by_one() {
    tokio::time::timeout(BOUND, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = gridpatrol_platform::Config::new(CODE, ADMIN);
        config.limits.batch_reports = 0;
        let platform = TestPlatform::start_with(dir.path(), config).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let ids = mixed_run(&client, 5);
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "p").await.expect("enroll");
        let summary = engine.sync_now(BOUND).await.expect("sync");
        assert_eq!(
            (summary.delivered, summary.pending, summary.parked),
            (ids.len() as i32, 0, 0)
        );
        let stats = platform.stats().await;
        assert_eq!(stats["reports"], ids.len() as u64, "{stats}");
        assert_eq!(stats["report_batches"], 0, "{stats}");
        let cases = cases_in_order(&client, &ids);
        assert!(in_commit_order(&cases), "submit order kept: {cases:?}");
    })
    .await
    .expect("test within its time bound");
}

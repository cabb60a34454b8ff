//! kill -9 of the client in the middle of sync, again and again: after relaunch nothing is lost
//! and nothing arrives twice, photos byte-identical.
//! `GRIDPATROL_SYNC_KILLS=N` sets the number of kills (default 25).

mod sync_support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridpatrol_core::Client;
use gridpatrol_core::capture::OutboxState;
use gridpatrol_platform::FaultConfig;
use gridpatrol_tests::Rng;
use sync_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_client_mid_sync_loses_nothing_and_doubles_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let data = dir.path().join("device");
    let reports = 60;
    let ids = {
        let client = Arc::new(Client::open(&data).expect("client"));
        // Photo reports around a run without photos (sent in batches), so kills land in photo
        // uploads, single PUTs and batches.
        let photos = base_photos(3);
        let mut ids = capture(&client, 0, 20, 3, &photos, 2);
        ids.extend(capture_plain(&client, 100, 20, 3));
        ids.extend(capture(&client, 20, 20, 3, &photos, 2));
        engine(&client, &platform.url())
            .enroll(CODE, "kill test")
            .await
            .expect("enroll");
        ids
    };
    // Some network faults as well, so kills also land during retries and backoff.
    platform.platform.set_fault(Some(FaultConfig::new(0.15, 99)));

    let kills: u32 = std::env::var("GRIDPATROL_SYNC_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let mut rng = Rng::new(0x5EED);
    let started = Instant::now();
    for _ in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync_loop"))
            .arg(&data)
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sync_loop");
        tokio::time::sleep(Duration::from_millis(rng.below(250))).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }
    // The last relaunch runs to the end.
    let mut last = Command::new(env!("CARGO_BIN_EXE_sync_loop"))
        .arg(&data)
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    // A hang guard only: the run takes seconds.
    let deadline = Instant::now() + Duration::from_secs(240);
    while last.try_wait().expect("poll").is_none() {
        assert!(Instant::now() < deadline, "the relaunched sync did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    platform.platform.set_fault(None);

    let stats = platform.stats().await;
    assert_eq!(stats["reports"], reports, "exactly once: {stats}");
    assert_eq!(stats["report_conflicts"], 0, "{stats}");
    assert_eq!(stats["partial_photos"], 0, "{stats}");
    assert!(
        stats["report_batches"].as_u64() > Some(0),
        "batches were sent: {stats}"
    );
    let client = Client::open(&data).expect("reopen");
    let queue = client.queue().expect("queue");
    assert_eq!(queue.len(), ids.len());
    assert!(
        queue.iter().all(|e| e.state == OutboxState::Delivered),
        "{queue:?}"
    );
    assert_eq!(
        platform.photo_hashes(),
        device_photo_hashes(&client),
        "photos byte-identical"
    );
    println!(
        "sync_kill9: {kills} kills, {reports} reports delivered exactly once, {} duplicates refused, {} batches, {:.1} s",
        stats["duplicates_refused"],
        stats["report_batches"],
        started.elapsed().as_secs_f64()
    );
}

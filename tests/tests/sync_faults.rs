//! Fault injection: with 30% of device requests failing in every way the platform can fail
//! (including "committed, but the answer was lost"), every report arrives exactly once and
//! every photo byte-identical. 1,000 reports by default; `GRIDPATROL_SYNC_REPORTS=10000` for
//! the long run.

mod sync_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridpatrol_core::Client;
use gridpatrol_platform::FaultConfig;
use sync_support::*;

const DEVICES: u64 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_arrives_exactly_once_through_faults() {
    let total: u64 = std::env::var("GRIDPATROL_SYNC_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let bound = Duration::from_secs(60 + total / 10);
    tokio::time::timeout(bound, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;

        // Capture on several devices at once (each its own data directory): a few shared photos
        // (content addressing uploads each once) and every 25th report with a unique photo.
        let started = Instant::now();
        let shared = Arc::new(base_photos(4));
        let per_device = total / DEVICES;
        let mut captures = Vec::new();
        for d in 0..DEVICES {
            let path = dir.path().join(format!("device-{d}"));
            let shared = shared.clone();
            let n = if d == DEVICES - 1 {
                total - per_device * (DEVICES - 1)
            } else {
                per_device
            };
            captures.push(tokio::task::spawn_blocking(move || {
                let client = Arc::new(Client::open(&path).expect("client"));
                // A fifth without photos between two runs of photo reports: those go in
                // batches, so batches meet the faults too.
                let plain = n / 5;
                let before = (n - plain) / 2;
                capture_fast(&client, d * 1_000_000, before, 12, &shared, 25);
                capture_plain(&client, d * 1_000_000 + 500_000, plain, 12);
                capture_fast(
                    &client,
                    d * 1_000_000 + 200_000,
                    n - plain - before,
                    12,
                    &shared,
                    25,
                );
                client
            }));
        }
        let mut clients = Vec::new();
        for c in captures {
            clients.push(c.await.expect("capture"));
        }
        eprintln!("captured {total} reports in {:?}", started.elapsed());

        let mut engines = Vec::new();
        for (d, client) in clients.iter().enumerate() {
            let mut config = fast_config(&platform.url());
            config.max_parallel_reports = 4;
            let engine = gridpatrol_core::sync::SyncEngine::new(client.clone(), config).expect("engine");
            engine.enroll(CODE, &format!("device {d}")).await.expect("enroll");
            engines.push(engine);
        }

        platform.platform.set_fault(Some(FaultConfig::new(0.30, 0x5EED)));
        let started = Instant::now();
        let runs: Vec<_> = engines
            .iter()
            .map(|e| {
                let e = e.clone();
                tokio::spawn(async move { e.sync_now(Duration::from_secs(3600)).await })
            })
            .collect();
        let mut retries = 0;
        for run in runs {
            let summary = run.await.expect("join").expect("sync");
            assert_eq!((summary.pending, summary.parked), (0, 0), "{summary:?}");
            retries += summary.retries;
        }
        eprintln!(
            "synced {total} reports through 30% faults in {:?} ({retries} retries)",
            started.elapsed()
        );
        platform.platform.set_fault(None);

        let stats = platform.stats().await;
        assert_eq!(stats["reports"], total, "exactly once: {stats}");
        assert_eq!(stats["report_conflicts"], 0, "{stats}");
        assert!(
            stats["report_batches"].as_u64() > Some(0),
            "batches went through faults: {stats}"
        );
        assert_eq!(stats["partial_photos"], 0, "{stats}");
        let mut device_photos = std::collections::HashSet::new();
        for client in &clients {
            assert!(
                states(client)
                    .iter()
                    .all(|(_, state, case)| state == "delivered" && case.is_some())
            );
            device_photos.extend(device_photo_hashes(client));
        }
        assert_eq!(platform.photo_hashes(), device_photos, "photos byte-identical");
        // Order per reporter: case numbers (a per-day sequence in commit order) rise in submit order.
        for client in &clients {
            let rows: Vec<(String, String)> = client
                .store()
                .read(|conn| {
                    let mut stmt = conn.prepare(
                        "SELECT reporter_id, case_number FROM report ORDER BY reporter_id, submitted_at, id",
                    )?;
                    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
                })
                .expect("rows");
            for pair in rows.windows(2) {
                if pair[0].0 == pair[1].0 && pair[0].1[..11] == pair[1].1[..11] {
                    assert!(
                        pair[0].1 < pair[1].1,
                        "reporter {} out of order: {pair:?}",
                        pair[0].0
                    );
                }
            }
        }
        assert!(retries > 0, "faults were injected");
    })
    .await
    .expect("test within its time bound");
}

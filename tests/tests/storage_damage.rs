//! Damaged files must not cost a report (issue 12, failures 2, 4, 5 and 6): one unreadable
//! row is parked and the rest go, a flipped byte in a stored report is caught by its checksum,
//! a lost or garbled WAL and a truncated database are said with `StoreCorrupt` instead of an
//! empty queue, a damaged database is quarantined and salvaged, and a damaged grid package is
//! set aside while capture goes on.

mod sync_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gridpatrol_core::client::DEVELOPMENT_WRAPPING_KEY;
use gridpatrol_core::keys::KEY_FILE;
use gridpatrol_core::{Client, Error};
use sync_support::*;

const DB: &str = "gridpatrol.sqlite3";

fn raw(data: &Path) -> rusqlite::Connection {
    gridpatrol_tests::raw_store(data, rusqlite::OpenFlags::default())
}

fn parked_codes(client: &Arc<Client>, url: &str) -> Vec<(String, String)> {
    engine(client, url)
        .queue_health()
        .expect("health")
        .parked
        .into_iter()
        .map(|p| (p.report_id, p.code))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unreadable_row_is_parked_and_every_other_report_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let data = dir.path().join("device");
    let client = Arc::new(Client::open(&data).expect("open"));
    let ids = capture_plain(&client, 0, 21, 3);
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");

    // One invalid byte at index 2 of one report's text (SQLite stores what it is given).
    let bad = &ids[10];
    let changed = raw(&data)
        .execute(
            "UPDATE report SET body = CAST(substr(CAST(body AS BLOB), 1, 2) || X'FF' ||
                                           substr(CAST(body AS BLOB), 4) AS TEXT) WHERE id = ?1",
            [bad],
        )
        .expect("inject");
    assert_eq!(changed, 1);

    assert_eq!(client.queue().expect("the queue still lists").len(), 21);
    let summary = engine.sync_now(Duration::from_secs(60)).await.expect("sync");
    assert_eq!((summary.delivered, summary.parked, summary.pending), (20, 1, 0));
    assert_eq!(platform.stats().await["reports"], 20);
    assert_eq!(
        parked_codes(&client, &platform.url()),
        vec![(bad.clone(), "local_report_unreadable".to_string())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_range_bit_flip_in_a_stored_report_is_parked_not_uploaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let data = dir.path().join("device");
    let client = Arc::new(Client::open(&data).expect("open"));
    let ids = capture_plain(&client, 0, 3, 1);
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");

    // lat 31.x → 32.x: still a valid report, no longer the one acknowledged.
    let conn = raw(&data);
    let body: String = conn
        .query_row("SELECT body FROM report WHERE id = ?1", [&ids[1]], |r| r.get(0))
        .expect("body");
    let flipped = body.replacen("\"lat\":31.", "\"lat\":32.", 1);
    assert_ne!(flipped, body, "the fixture's latitude starts 31.");
    conn.execute("UPDATE report SET body = ?2 WHERE id = ?1", [&ids[1], &flipped])
        .expect("flip");

    let summary = engine.sync_now(Duration::from_secs(60)).await.expect("sync");
    assert_eq!((summary.delivered, summary.parked), (2, 1));
    assert_eq!(platform.stats().await["reports"], 2);
    assert_eq!(
        parked_codes(&client, &platform.url()),
        vec![(ids[1].clone(), "local_report_corrupt".to_string())]
    );
}

fn capture_with_photos(data: &Path, n: u64) -> Vec<String> {
    let client = Client::open(data).expect("open");
    capture(&client, 0, n, 2, &base_photos(2), 1)
}

fn wal(data: &Path) -> PathBuf {
    data.join(format!("{DB}-wal"))
}

#[test]
fn after_close_the_main_file_holds_every_report_and_a_lost_wal_costs_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("device");
    let ids = capture_with_photos(&data, 20);
    let main = std::fs::metadata(data.join(DB)).expect("db").len();
    let wal_len = std::fs::metadata(wal(&data)).map(|m| m.len()).unwrap_or(0);
    eprintln!("after 20 captures and close: main file {main} B, WAL {wal_len} B");
    assert_eq!(wal_len, 0, "the WAL is folded into the main file at close");
    // A backup that skips the WAL.
    let _ = std::fs::remove_file(wal(&data));
    let _ = std::fs::remove_file(data.join(format!("{DB}-shm")));
    let client = Client::open(&data).expect("reopen");
    assert_eq!(client.queue().expect("queue").len(), ids.len());
}

#[test]
fn a_database_truncated_to_zero_is_store_corrupt_not_an_empty_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("device");
    capture_with_photos(&data, 5);
    std::fs::File::create(data.join(DB)).expect("truncate");
    let _ = std::fs::remove_file(wal(&data));
    match Client::open(&data) {
        Err(Error::StoreCorrupt {
            quarantined: Some(moved),
            ..
        }) => assert!(moved.join(DB).exists(), "the damaged file is kept in quarantine"),
        other => panic!("expected StoreCorrupt, got {other:?}"),
    }
    // Said once: the next open starts a fresh store and capture works again.
    let client = Client::open(&data).expect("a fresh store after quarantine");
    capture_plain(&client, 100, 1, 1);
}

#[test]
fn flipped_bytes_in_the_wal_are_store_corrupt_and_salvage_keeps_what_is_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("device");
    let client = Client::open(&live).expect("open");
    let ids = capture(&client, 0, 20, 2, &base_photos(2), 0);
    // The app is killed: nothing checkpoints at close. What a kill leaves is the files as they
    // are now, copied while the instance lives (its directory lock stays with it here).
    let data = dir.path().join("killed");
    copy_tree(&live, &data);
    drop(client);
    let wal_bytes = std::fs::read(wal(&data)).expect("wal");
    assert!(
        wal_bytes.len() > 32 + 3 * (24 + 4096),
        "the reports live in the WAL"
    );
    let mut damaged = wal_bytes.clone();
    let at = 32 + 24 + 1000; // inside the first frame's page
    for b in &mut damaged[at..at + 4] {
        *b ^= 0x5a;
    }
    std::fs::write(wal(&data), &damaged).expect("damage");

    let moved = match Client::open(&data) {
        Err(Error::StoreCorrupt {
            quarantined: Some(moved),
            ..
        }) => moved,
        other => panic!("a garbled WAL must be StoreCorrupt, got {other:?}"),
    };
    let client = Client::open(&data).expect("fresh store");
    let summary = client.salvage(&moved).expect("salvage");
    eprintln!("salvaged from a garbled WAL: {summary:?} of {}", ids.len());
    // What SQLite drops after the bad frame is what was written since the last checkpoint
    // (under 512 KiB of WAL): a report whose submit lies there comes back as the draft it was
    // at that checkpoint, to be submitted again, never as nothing. (While every write after the
    // WAL first grew was checkpointed, by mistake, all of them came back submitted.)
    let drafts = client.drafts().expect("drafts").len() as u32;
    assert_eq!(
        client.queue().expect("queue").len() as u32 + drafts,
        summary.reports_copied
    );
    assert!(summary.reports_copied as usize <= ids.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_damaged_at_any_page_is_quarantined_and_salvaged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let original = dir.path().join("original");
    let total = {
        let client = Arc::new(Client::open(&original).expect("open"));
        let ids = capture_plain(&client, 0, 150, 3);
        engine(&client, &platform.url())
            .enroll(CODE, "phone")
            .await
            .expect("enroll");
        ids.len() as u32
    };
    let page_size = gridpatrol_core::store::PAGE_SIZE as u64;
    let pages = std::fs::metadata(original.join(DB)).expect("db").len() / page_size;
    assert!(pages >= 8, "enough pages to damage ({pages})");
    let mut delivered_total = 0;
    for page in [2, pages / 2, pages - 1] {
        let data = dir.path().join(format!("damaged-{page}"));
        std::fs::create_dir_all(&data).expect("dir");
        let mut bytes = std::fs::read(original.join(DB)).expect("read");
        let start = (page * page_size) as usize;
        bytes[start..start + page_size as usize].fill(0xa5);
        std::fs::write(data.join(DB), &bytes).expect("damage");
        // The directory's (wrapped) data key with it: the store is encrypted under it.
        for key_file in [KEY_FILE, DEVELOPMENT_WRAPPING_KEY] {
            std::fs::copy(original.join(key_file), data.join(key_file)).expect("key file");
        }

        let moved = match Client::open(&data) {
            Err(Error::StoreCorrupt {
                quarantined: Some(moved),
                ..
            }) => moved,
            Ok(_) => {
                eprintln!("page {page}: not in use, nothing damaged");
                continue;
            }
            other => panic!("page {page}: expected StoreCorrupt, got {other:?}"),
        };
        let client = Arc::new(Client::open(&data).expect("a fresh store opens"));
        let summary = client.salvage(&moved).expect("salvage");
        eprintln!("page {page} of {pages} damaged: {summary:?} of {total}");
        // One damaged page costs at most the reports on it (a few dozen), never the rest.
        assert!(summary.reports_copied >= total - 40, "page {page}: {summary:?}");
        assert_eq!(
            client.queue().expect("queue").len() as u32,
            summary.reports_copied
        );
        // The copied reports resume syncing with the salvaged credentials.
        let synced = engine(&client, &platform.url())
            .sync_now(Duration::from_secs(60))
            .await
            .expect("sync after salvage");
        assert_eq!(synced.pending, 0);
        // A report captured after the salvage is signed with the key the platform registered.
        capture_plain(&client, 1_000 + page, 1, 1);
        let after = engine(&client, &platform.url())
            .sync_now(Duration::from_secs(60))
            .await
            .expect("sync after salvage");
        assert_eq!(
            (after.delivered_this_run, after.parked),
            (1, 0),
            "page {page}: {after:?}"
        );
        delivered_total = delivered_total.max(synced.delivered);
    }
    assert!(
        delivered_total > 0,
        "at least one damaged copy was salvaged and synced"
    );
}

#[test]
fn a_binary_grid_package_is_set_aside_and_capture_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("device");
    {
        let client = Client::open(&data).expect("open");
        client
            .install_grid_package(&gridpatrol_core::grid::sample::sample_package())
            .expect("grids");
    }
    std::fs::write(data.join("grids.geojson"), [0xffu8, 0xfe, 0x00, 0x81, 0x9c]).expect("damage");
    let client = Client::open(&data).expect("a damaged side file does not stop the client");
    match client.side_file_damage() {
        [
            Error::SideFileDamaged {
                file,
                moved_to: Some(moved),
                ..
            },
        ] => {
            assert_eq!(*file, "grids.geojson");
            assert!(moved.exists());
        }
        other => panic!("expected the grid package named as damaged, got {other:?}"),
    }
    assert!(!client.has_grids());
    assert!(!data.join("grids.geojson").exists());
    capture_plain(&client, 0, 1, 1);
    assert_eq!(client.queue().expect("queue").len(), 1);
}

/// Copies a data directory as it is on disk (what a killed app leaves behind).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("copy target");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

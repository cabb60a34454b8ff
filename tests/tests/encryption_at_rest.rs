//! Everything on the device is encrypted at rest (issue 14, items 1 and 2): no byte of a
//! capture's description, reporter or photo is readable in the data directory, the store is not
//! a plaintext SQLite file, a damaged photo file is parked instead of uploaded, a wrong or lost
//! key changes nothing / keeps the old files aside, and a plaintext directory of the release
//! before encryption is encrypted in place without losing a report, even under kill -9.

mod sync_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridpatrol_core::client::{DATABASE_FILE, DEVELOPMENT_WRAPPING_KEY};
use gridpatrol_core::keys::{FileKeyStore, KEY_FILE, KeyStore, KeyStoreError, open_data_key};
use gridpatrol_core::media::sealed::{self, PhotoKey};
use gridpatrol_core::{Client, Error};
use gridpatrol_tests::*;
use sync_support::*;

const DESCRIPTION: &str = "东门307室王秀英家门口堆放杂物 secret-marker-5150";
const REPORTER: &str = "insp-unique-8841";

/// Every regular file under `dir`, by path, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One report with the fixture's description and reporter; returns its stored photo's JPEG.
fn capture_marked(client: &Client) -> Vec<u8> {
    let draft = client.create_draft(inspector(REPORTER), None).expect("draft");
    fill_valid_draft(client, &draft.id, &textured_jpeg(800, 600, 77), place(1));
    client
        .set_description(&draft.id, DESCRIPTION)
        .expect("description");
    let sha = client.draft(&draft.id).expect("draft").content.photos[0]
        .sha256
        .clone();
    submit_valid(client, &draft.id);
    client.photo_jpeg(&sha).expect("the stored photo reads back")
}

#[test]
fn grep_over_the_data_directory_finds_no_capture_text_reporter_or_photo_bytes() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let client = Client::open(&data).expect("open");
    let jpeg = capture_marked(&client);
    // Open (the WAL holds the newest pages), then closed (all of it in the main file).
    check_nothing_readable(&data, &jpeg, "open");
    drop(client);
    check_nothing_readable(&data, &jpeg, "closed");
    // And it all reads back after a restart.
    let client = Client::open(&data).expect("reopen");
    let report = client
        .report(&client.queue().expect("queue")[0].report_id)
        .expect("report");
    assert_eq!(report.content.description, DESCRIPTION);
    assert_eq!(
        client
            .photo_jpeg(&report.content.photos[0].sha256)
            .expect("photo"),
        jpeg
    );
}

fn check_nothing_readable(data: &Path, jpeg: &[u8], phase: &str) {
    let all = files(data);
    assert!(
        all.len() >= 5,
        "store, key file, photo, thumbnail: {:?}",
        all.keys()
    );
    for (path, bytes) in &all {
        for (what, needle) in [
            ("description", DESCRIPTION.as_bytes()),
            ("reporter id", REPORTER.as_bytes()),
            ("photo bytes", &jpeg[jpeg.len() / 2..jpeg.len() / 2 + 32]),
            ("JPEG start", &jpeg[..16]),
        ] {
            assert!(
                !contains(bytes, needle),
                "{phase}: {} holds the {what}",
                path.display()
            );
        }
    }
    let db = &all[&data.join(DATABASE_FILE)];
    assert!(
        !db.starts_with(b"SQLite format 3"),
        "{phase}: the store is not a plaintext SQLite file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_photo_file_is_parked_and_never_uploaded() {
    let dir = tempfile::tempdir().expect("tmp");
    let platform = TestPlatform::start(dir.path()).await;
    let data = dir.path().join("device");
    let client = Arc::new(Client::open(&data).expect("open"));
    let shared = base_photos(2);
    let ids = capture(&client, 0, 2, 1, &shared, 0);
    let victim = client.report(&ids[1]).expect("report").content.photos[0]
        .sha256
        .clone();
    let path = client.photos().path_of(&victim).expect("path");
    let mut bytes = std::fs::read(&path).expect("sealed file");
    let at = bytes.len() - 40;
    bytes[at] ^= 0x10;
    std::fs::write(&path, &bytes).expect("flip a bit");

    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");
    let summary = engine.sync_now(Duration::from_secs(60)).await.expect("sync");
    assert_eq!((summary.delivered, summary.parked), (1, 1));
    let parked = engine.queue_health().expect("health").parked;
    assert_eq!(parked.len(), 1);
    assert_eq!(
        (parked[0].report_id.as_str(), parked[0].code.as_str()),
        (ids[1].as_str(), "local_photo_corrupt")
    );
    assert!(
        !platform.photo_hashes().contains(&victim),
        "a damaged photo never reaches the platform"
    );
    assert!(matches!(
        client.photo_jpeg(&victim),
        Err(Error::Photo(gridpatrol_core::media::MediaError::Sealed(_)))
    ));
}

/// A key store that gives back another key than it was given.
struct SwappingKeys;

impl KeyStore for SwappingKeys {
    fn wrap(&self, _: &str, key: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        Ok(key.to_vec())
    }
    fn unwrap(&self, _: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        Ok(wrapped.iter().map(|b| b ^ 1).collect())
    }
}

#[test]
fn a_wrong_key_changes_nothing_and_a_lost_key_keeps_the_old_files_aside() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let client = Client::open_with_keys(&data, &SwappingKeys).expect("made with the swapping store");
    drop(client);
    let before = files(&data);
    assert!(matches!(
        Client::open_with_keys(&data, &SwappingKeys),
        Err(Error::WrongDataKey)
    ));
    assert_eq!(files(&data), before, "a wrong key touched nothing");

    // The development key store, then its wrapping key wiped (a Keystore reset).
    let data = dir.path().join("lost");
    let client = Client::open(&data).expect("open");
    capture_plain(&client, 0, 3, 1);
    drop(client);
    std::fs::remove_file(data.join(DEVELOPMENT_WRAPPING_KEY)).expect("wipe the wrapping key");
    let Err(Error::DataKeyLost {
        unsent_reports,
        kept_aside,
    }) = Client::open(&data)
    else {
        panic!("a lost key is its own state");
    };
    assert_eq!(unsent_reports, Some(3), "the app can say what was lost");
    assert!(
        kept_aside.join(DATABASE_FILE).is_file(),
        "the old store is kept, not overwritten"
    );
    assert!(kept_aside.join(KEY_FILE).is_file());
    let fresh = Client::open(&data).expect("a fresh store under a new key");
    assert!(fresh.queue().expect("queue").is_empty());
    assert!(kept_aside.join(DATABASE_FILE).is_file());
}

/// Turns an encrypted data directory into what the release before encryption left: a plaintext
/// store (no `media.sealed` marker), plaintext photo files, no key file.
fn make_plaintext_release(data: &Path) {
    let keys = FileKeyStore::new(data.join(DEVELOPMENT_WRAPPING_KEY));
    let key = open_data_key(data, DATABASE_FILE, &keys).expect("key");
    {
        let conn = raw_store(data, rusqlite::OpenFlags::default());
        conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .expect("delete mode");
        conn.execute("DELETE FROM meta WHERE key = 'media.sealed'", [])
            .expect("marker");
        conn.pragma_update(None, "rekey", "").expect("decrypt");
        // The last release made its stores on SQLite's 4 KiB pages.
        conn.pragma_update(None, "page_size", 4096).expect("page size");
        conn.execute_batch("VACUUM").expect("rebuilt in 4 KiB pages");
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .expect("wal mode");
    }
    let photo_key = PhotoKey::new(key.photo_key());
    for (path, bytes) in files(&data.join("media")) {
        if sealed::is_sealed(&bytes) {
            std::fs::write(&path, sealed::open(&photo_key, &bytes).expect("open")).expect("write");
        }
    }
    for file in [
        KEY_FILE,
        DEVELOPMENT_WRAPPING_KEY,
        gridpatrol_core::keys::UNSENT_COUNT_FILE,
    ] {
        std::fs::remove_file(data.join(file)).expect("remove");
    }
    let db = std::fs::read(data.join(DATABASE_FILE)).expect("db");
    assert!(db.starts_with(b"SQLite format 3\0"));
    assert_eq!(
        u16::from_be_bytes([db[16], db[17]]),
        4096,
        "a 4 KiB-page store, as the last release made"
    );
}

/// What a directory holds, as the tests compare it: each report's (id, state, case number)
/// and each photo's JPEG by id.
type Contents = (Vec<(String, String, Option<String>)>, BTreeMap<String, Vec<u8>>);

fn contents(client: &Client) -> Contents {
    let photos = device_photo_hashes(client)
        .into_iter()
        .map(|sha| {
            let jpeg = client.photo_jpeg(&sha).expect("photo reads back");
            (sha, jpeg)
        })
        .collect();
    (states(client), photos)
}

#[test]
fn a_plaintext_directory_of_the_last_release_is_encrypted_in_place_even_under_kill_9() {
    let dir = tempfile::tempdir().expect("tmp");
    let template = dir.path().join("template");
    let expected = {
        let client = Client::open(&template).expect("open");
        let shared = base_photos(4);
        capture(&client, 0, 40, 3, &shared, 4);
        capture_plain(&client, 40, 400, 5);
        contents(&client)
    };
    make_plaintext_release(&template);

    // Opened without interruption: encrypted, every report and photo intact.
    let data = dir.path().join("once");
    copy_dir(&template, &data);
    let client = Client::open(&data).expect("the migration opens it");
    assert_eq!(contents(&client), expected);
    drop(client);
    let db = std::fs::read(data.join(DATABASE_FILE)).expect("db");
    assert!(!db.starts_with(b"SQLite format 3"));
    let page_size: u32 = raw_store(&data, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page size");
    assert_eq!(
        page_size,
        gridpatrol_core::store::PAGE_SIZE,
        "rebuilt in the store's page size"
    );
    for (path, bytes) in files(&data.join("media")) {
        assert!(sealed::is_sealed(&bytes), "{} is sealed", path.display());
    }

    // Killed at random points of the migration, then opened: nothing lost.
    let kills: u64 = std::env::var("GRIDPATROL_MIGRATION_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let started = Instant::now();
    let full = time_one_open(&template, &dir.path().join("timed"));
    let (mut mid_store, mut mid_photos) = (0, 0);
    for kill in 0..kills {
        let data = dir.path().join(format!("kill-{kill}"));
        copy_dir(&template, &data);
        let mut child = Command::new(env!("CARGO_BIN_EXE_open_dir"))
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(full.mul_f64(rng.f64()));
        let _ = child.kill();
        let _ = child.wait();
        let store_plain = std::fs::read(data.join(DATABASE_FILE))
            .map(|b| b.starts_with(b"SQLite format 3"))
            .unwrap_or(false);
        let photos_plain = files(&data.join("media")).values().any(|b| !sealed::is_sealed(b));
        mid_store += u32::from(store_plain && data.join(KEY_FILE).exists());
        mid_photos += u32::from(!store_plain && photos_plain);
        let client = Client::open(&data).expect("opens after the kill");
        assert_eq!(
            contents(&client),
            expected,
            "kill {kill}: every report and photo is there"
        );
        drop(client);
        assert!(files(&data.join("media")).values().all(|b| sealed::is_sealed(b)));
    }
    println!(
        "migration: one uninterrupted open {full:?}; {kills} kills ({mid_store} with the store still plaintext, \
         {mid_photos} between the store and the photos) in {:?}, nothing lost",
        started.elapsed()
    );
}

fn time_one_open(template: &Path, data: &Path) -> Duration {
    copy_dir(template, data);
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_open_dir"))
        .arg(data)
        .stdout(Stdio::null())
        .status()
        .expect("run");
    assert!(status.success());
    started.elapsed()
}

fn copy_dir(from: &Path, to: &Path) {
    for (path, bytes) in files(from) {
        let target = to.join(path.strip_prefix(from).expect("under from"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("copy");
    }
}

//! What the sync tests share: an in-process platform on 127.0.0.1:0, devices with captured
//! reports, the platform's counters and the photos it holds.

#![allow(dead_code)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gridpatrol_core::Client;
use gridpatrol_core::sync::{SyncConfig, SyncEngine};
use gridpatrol_platform::{Config, Platform, ShutdownHandle};
use gridpatrol_tests::{
    fill_valid_draft, fill_valid_plain_draft, inspector, place, submit_valid, textured_grey_jpeg, vary_jpeg,
};

pub const CODE: &str = "ENROLL-TEST";
pub const ADMIN: &str = "admin-test";

pub struct TestPlatform {
    pub platform: Platform,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub handle: Option<ShutdownHandle>,
}

impl TestPlatform {
    pub async fn start(dir: &Path) -> TestPlatform {
        Self::start_with(dir, Config::new(CODE, ADMIN)).await
    }

    /// As [`start`](Self::start) with `config` (its codes must be [`CODE`] and [`ADMIN`]).
    /// Development devices are not bound to their first report's reporter: these fixtures file
    /// several reporters' reports from one outbox (`capture(.., reporters, ..)`).
    pub async fn start_with(dir: &Path, mut config: Config) -> TestPlatform {
        config.development_binding = gridpatrol_platform::DevelopmentBinding::Unbound;
        let dir = dir.join("platform");
        let platform = Platform::open(&dir, config).expect("platform opens");
        let (addr, handle) = platform
            .spawn("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("platform serves");
        TestPlatform {
            platform,
            addr,
            dir,
            handle: Some(handle),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stats(&self) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}/v1/admin/stats", self.url()))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json")
    }

    pub async fn revoke(&self, device_id: &str) {
        let status = reqwest::Client::new()
            .post(format!("{}/v1/admin/devices/{device_id}/revoke", self.url()))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("revoke")
            .status();
        assert!(status.is_success(), "revoke: {status}");
    }

    /// sha256 → bytes of every complete photo the platform holds, hashed from its files.
    pub fn photo_hashes(&self) -> HashSet<String> {
        let mut out = HashSet::new();
        for shard in std::fs::read_dir(self.dir.join("photos")).expect("photo dir") {
            let shard = shard.expect("entry").path();
            if !shard.is_dir() || shard.file_name().is_some_and(|n| n == "partial") {
                continue;
            }
            for file in std::fs::read_dir(&shard).expect("shard") {
                let path = file.expect("entry").path();
                let bytes = std::fs::read(&path).expect("photo");
                let sha = gridpatrol_core::media::sha256_hex(&bytes);
                assert_eq!(
                    path.file_name().and_then(|n| n.to_str()),
                    Some(sha.as_str()),
                    "platform photo bytes hash to their name"
                );
                out.insert(sha);
            }
        }
        out
    }
}

/// A sync config with short backoffs, for tests.
pub fn fast_config(url: &str) -> SyncConfig {
    let mut config = SyncConfig::new(url);
    config.backoff_base_ms = 20;
    config.backoff_max_ms = 400;
    config.request_timeout_ms = 10_000;
    config.photo_chunk_bytes = 16 * 1024;
    config
}

pub fn engine(client: &Arc<Client>, url: &str) -> Arc<SyncEngine> {
    SyncEngine::new(client.clone(), fast_config(url)).expect("engine")
}

/// A few shared base photos (content addressing: each uploads once) and variants of them.
pub fn base_photos(n: u64) -> Vec<Vec<u8>> {
    (0..n).map(|i| textured_grey_jpeg(640, 480, 100 + i)).collect()
}

/// Captures and submits `n` valid reports on `client`, spread over `reporters` reporters:
/// report `i` uses shared photo `i % shared.len()`, and every `unique_every`-th a unique variant.
pub fn capture(
    client: &Client,
    first: u64,
    n: u64,
    reporters: u64,
    shared: &[Vec<u8>],
    unique_every: u64,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in first..first + n {
        let reporter = inspector(&format!("w{}", i % reporters));
        let draft = client.create_draft(reporter, None).expect("draft");
        let photo = if unique_every > 0 && i % unique_every == 0 {
            vary_jpeg(&shared[0], i)
        } else {
            shared[(i % shared.len() as u64) as usize].clone()
        };
        fill_valid_draft(client, &draft.id, &photo, place(i));
        ids.push(submit_valid(client, &draft.id));
    }
    ids
}

/// Captures and submits `n` valid reports without photos, spread over `reporters` reporters.
pub fn capture_plain(client: &Client, first: u64, n: u64, reporters: u64) -> Vec<String> {
    (first..first + n)
        .map(|i| {
            let draft = client
                .create_draft(inspector(&format!("w{}", i % reporters)), None)
                .expect("draft");
            fill_valid_plain_draft(client, &draft.id, place(i));
            submit_valid(client, &draft.id)
        })
        .collect()
}

/// The sha256 of every photo the device's submitted reports refer to.
pub fn device_photo_hashes(client: &Client) -> HashSet<String> {
    client
        .queue()
        .expect("queue")
        .iter()
        .flat_map(|e| client.report(&e.report_id).expect("report").content.photos)
        .map(|p| p.sha256)
        .collect()
}

/// (state, case_number) of every report row.
pub fn states(client: &Client) -> Vec<(String, String, Option<String>)> {
    client
        .store()
        .read(|conn| {
            let mut stmt = conn.prepare("SELECT id, state, case_number FROM report ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .expect("states")
}

/// As [`capture`], faster for large queues: the reports with a unique photo and one template
/// per shared photo go through the real capture path (photo pipeline, validation, submit);
/// the others are written as copies of a template's `SubmittedReport` under a new id and
/// reporter (still valid reports; only the per-report photo processing is skipped).
pub fn capture_fast(
    client: &Client,
    first: u64,
    n: u64,
    reporters: u64,
    shared: &[Vec<u8>],
    unique_every: u64,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut templates: Vec<String> = Vec::new();
    for (k, photo) in shared.iter().enumerate() {
        let id = capture(
            client,
            first + k as u64,
            1,
            reporters,
            std::slice::from_ref(photo),
            0,
        );
        templates.extend(id.iter().cloned());
        ids.extend(id);
    }
    for i in first + shared.len() as u64..first + n {
        if unique_every > 0 && i % unique_every == 0 {
            let photo = vary_jpeg(&shared[0], i);
            ids.extend(capture(client, i, 1, reporters, &[photo], 0));
            continue;
        }
        let template = &templates[(i % templates.len() as u64) as usize];
        let id = format!("01900000-0000-7000-8000-{i:012x}");
        let reporter = format!("w{}", i % reporters);
        client
            .store()
            .write(|tx| {
                let (body, submitted_at): (String, i64) = tx.query_row(
                    "SELECT body, submitted_at FROM report WHERE id = ?1",
                    [template],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let mut value: serde_json::Value = serde_json::from_str(&body)?;
                value["id"] = serde_json::json!(id);
                value["reporter"]["reporter_id"] = serde_json::json!(reporter);
                gridpatrol_tests::resign(client, &mut value);
                tx.execute(
                    "INSERT INTO report (id, state, reporter_id, body, updated_at, subtype, problem, lat, lon,
                                         captured_at, photos, submitted_at)
                     SELECT ?2, 'pending', ?3, ?4, updated_at, subtype, problem, lat, lon, captured_at, photos, ?5
                     FROM report WHERE id = ?1",
                    rusqlite::params![template, id, reporter, value.to_string(), submitted_at + i as i64],
                )?;
                Ok(())
            })
            .expect("copy report");
        ids.push(id);
    }
    ids
}

/// A device enrolled by hand, as an app without a signing key enrolls (no `device_public_key`):
/// its access token.
pub async fn enroll_without_key(url: &str, label: &str) -> String {
    gridpatrol_core::sync::install_tls_provider();
    let grant: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/v1/enroll"))
        .json(&serde_json::json!({"enrollment_code": CODE, "label": label}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("grant");
    grant["access_token"].as_str().expect("token").to_string()
}

/// The access token the engine stored at enrollment.
pub fn own_token(client: &Client) -> String {
    client
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT value FROM meta WHERE key = 'sync.access_token'",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("stored access token")
}

//! Sync drain throughput against `curl`, on loopback, in the same run.
//!
//! One device holds `--reports` pending reports (10,000 by default), each with its own photo of
//! exactly `--photo-kb` KiB (200). Each round drains them twice, each time into a fresh
//! reference platform (same code, same settings, its own empty data directory):
//!
//! - **ours**: `SyncEngine::sync_now` on a copy of the device's data directory, as an app does
//!   it — `PATCH` each photo, `PUT` the report in submit order (photos of the next reports
//!   upload meanwhile), photo-less runs in batches of up to 50 (`POST /v1/reports`, part of the
//!   protocol), and every result recorded durably on the device (`synchronous=FULL`).
//! - **curl**: one `curl --parallel` process sends the same photo files (`PATCH`, the protocol's
//!   minimum: no `HEAD`, no local bookkeeping), then a second one `PUT`s the same report bodies
//!   (photos first, as the protocol requires), each report its own request, in no particular
//!   order. Both reuse connections; `Expect: 100-continue` is switched off so curl never waits
//!   for a go-ahead.
//!
//! Both sides keep `--parallel` requests in flight (3, the engine's default). The sides run
//! alternately, the first side swapped every round; throughput is photo bytes (and reports)
//! per second of draining, enrollment excluded. The figure is the median of the per-round
//! ratios ours ÷ curl. A second measurement does the same with reports that carry no photo
//! (reports per second). Every run checks the platform's counters: every report and photo
//! arrived once, none refused.
//!
//! Setup is not measured and takes shortcuts a device never takes: one report goes through
//! the real capture path (photo pipeline, validation, submit); the others are copies of it
//! under new ids, each with a variant of its photo (different quantisation steps, so different
//! pixels and SHA-256), padded with a JPEG comment segment to the exact size. Thumbnails are
//! not written (sync never reads them).
//!
//! `cargo bench -p gridpatrol-tests --bench sync_throughput [-- --reports N --photo-kb K
//! --rounds R --parallel P --reporters W --target X]`; exits 1 when the median ratio is below
//! `--target` (0.8). Needs `curl` on the PATH.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridpatrol_core::Client;
use gridpatrol_core::capture::PhotoKind;
use gridpatrol_core::sync::{SyncConfig, SyncEngine};
use gridpatrol_platform::{Config, Platform, ShutdownHandle};
use gridpatrol_tests::{
    fill_valid_draft, fill_valid_plain_draft, inspector, submit_valid, textured_jpeg, vary_jpeg,
};

const CODE: &str = "ENROLL-BENCH";
const ADMIN: &str = "admin-bench";

struct Args {
    reports: u64,
    photo_bytes: usize,
    rounds: usize,
    parallel: usize,
    reporters: u64,
    target: f64,
}

fn parse_args() -> Args {
    let mut args = Args {
        reports: 10_000,
        photo_bytes: 200 * 1024,
        rounds: 3,
        parallel: 3,
        reporters: 1,
        target: 0.8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || -> String { it.next().unwrap_or_else(|| panic!("{flag} needs a value")) };
        match flag.as_str() {
            "--reports" => args.reports = value().parse().expect("--reports N"),
            "--photo-kb" => args.photo_bytes = value().parse::<usize>().expect("--photo-kb K") * 1024,
            "--rounds" => args.rounds = value().parse().expect("--rounds R"),
            "--parallel" => args.parallel = value().parse().expect("--parallel P"),
            "--reporters" => args.reporters = value().parse().expect("--reporters W"),
            "--target" => args.target = value().parse().expect("--target X"),
            // What `cargo bench` passes to every bench binary.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(args.reports > 0 && args.rounds > 0 && args.parallel > 0 && args.reporters > 0);
    args
}

/// A reference platform on 127.0.0.1:0, on a runtime of its own (two workers), so the
/// device side of either contestant never shares its threads.
struct BenchPlatform {
    runtime: tokio::runtime::Runtime,
    url: String,
    handle: Option<ShutdownHandle>,
}

impl BenchPlatform {
    fn start(dir: &Path) -> BenchPlatform {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("platform")
            .enable_all()
            .build()
            .expect("platform runtime");
        // One outbox holds several reporters' reports (`--reporters`): development devices unbound.
        let mut config = Config::new(CODE, ADMIN);
        config.development_binding = gridpatrol_platform::DevelopmentBinding::Unbound;
        let platform = Platform::open(dir, config).expect("platform opens");
        let (addr, handle) = runtime
            .block_on(platform.spawn("127.0.0.1:0".parse().expect("addr")))
            .expect("platform serves");
        BenchPlatform {
            runtime,
            url: format!("http://{addr}"),
            handle: Some(handle),
        }
    }

    fn stats(&self) -> serde_json::Value {
        let url = format!("{}/v1/admin/stats", self.url);
        self.runtime.block_on(async {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(ADMIN)
                .send()
                .await
                .expect("stats")
                .json()
                .await
                .expect("stats json")
        })
    }

    /// Enrolls a device over plain HTTP (for curl): its access token.
    fn enroll(&self) -> String {
        let url = format!("{}/v1/enroll", self.url);
        let grant: serde_json::Value = self.runtime.block_on(async {
            reqwest::Client::new()
                .post(url)
                .json(&serde_json::json!({"enrollment_code": CODE, "label": "curl"}))
                .send()
                .await
                .expect("enroll")
                .json()
                .await
                .expect("grant")
        });
        grant["access_token"]
            .as_str()
            .expect("an access token")
            .to_string()
    }

    /// Checks the platform holds `reports` reports and `photos` photos of `photo_bytes` in
    /// all, each stored once.
    fn check(&self, side: &str, reports: u64, photos: u64, photo_bytes: u64) {
        let stats = self.stats();
        let got = (
            stats["reports"].as_u64(),
            stats["photos"].as_u64(),
            stats["photo_bytes"].as_u64(),
            stats["duplicates_refused"].as_u64(),
        );
        assert_eq!(
            got,
            (Some(reports), Some(photos), Some(photo_bytes), Some(0)),
            "{side}: the platform's counters after draining: {stats}"
        );
    }
}

impl Drop for BenchPlatform {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.stop());
        }
    }
}

/// The device as seeded: its data directory (closed), and what curl needs to send the same.
struct Seed {
    dir: PathBuf,
    /// In submit order.
    reports: Vec<SeededReport>,
}

/// What curl needs to send one seeded report.
struct SeededReport {
    id: String,
    /// The `SubmittedReport` JSON as the device stores it.
    body: PathBuf,
    /// The photo file and its length, when the report has one.
    photo: Option<(PathBuf, u64)>,
}

impl Seed {
    fn photo_bytes(&self) -> u64 {
        self.reports
            .iter()
            .filter_map(|r| r.photo.as_ref().map(|(_, n)| *n))
            .sum()
    }

    fn photos(&self) -> u64 {
        self.reports.iter().filter(|r| r.photo.is_some()).count() as u64
    }
}

/// `jpeg` with a comment segment after SOI that starts with `tag` and brings it to exactly
/// `size` bytes (several segments when the padding exceeds one segment's 65,533 bytes of
/// payload). The tag makes every photo unique: the pixel variants alone collide now and then.
fn pad_jpeg(jpeg: &[u8], size: usize, tag: &str) -> Vec<u8> {
    assert!(
        jpeg.len() + 4 + tag.len() <= size,
        "the photo is larger than the padded size"
    );
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG starts with SOI");
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&jpeg[..2]);
    let mut missing = size - jpeg.len();
    while missing > 0 {
        // A segment is FF FE + 2 length bytes (counting themselves) + payload: 4..=65,537 bytes.
        let segment = missing.min(65_537);
        // Leave no remainder a segment cannot fill (fewer than 4 bytes).
        let segment = if (1..4).contains(&(missing - segment)) {
            segment - 4
        } else {
            segment
        };
        let length = (segment - 2) as u16;
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&length.to_be_bytes());
        let payload_start = out.len();
        out.resize(payload_start + segment - 4, b' ');
        if missing == size - jpeg.len() {
            assert!(segment - 4 >= tag.len(), "the tag fits the first comment segment");
            out[payload_start..payload_start + tag.len()].copy_from_slice(tag.as_bytes());
        }
        missing -= segment;
    }
    out.extend_from_slice(&jpeg[2..]);
    assert_eq!(out.len(), size);
    out
}

/// Submits one real report: of the fixtures' subtype with `photo`, or without a photo of
/// their photo-less one.
fn submit_template(client: &Client, photo: Option<&[u8]>) -> String {
    let draft = client.create_draft(inspector("w0"), None).expect("draft");
    match photo {
        Some(photo) => fill_valid_draft(client, &draft.id, photo, (31.30, 120.59)),
        None => fill_valid_plain_draft(client, &draft.id, (31.31, 120.60)),
    }
    submit_valid(client, &draft.id)
}

/// A device with `n` pending reports (see the module doc), closed; with a photo of exactly
/// `photo_bytes` each, or without photos.
fn seed(root: &Path, n: u64, photo_bytes: Option<usize>, reporters: u64) -> Seed {
    let dir = root.join("device");
    let bodies = root.join("bodies");
    std::fs::create_dir_all(&bodies).expect("bodies dir");
    let client = Client::open(&dir).expect("device opens");
    let (template, base_photo) = match photo_bytes {
        Some(size) => {
            // The largest textured photo whose stored JPEG fits under `size`.
            let mut width = 1600;
            loop {
                let input = textured_jpeg(width, width * 3 / 4, 7);
                let draft = client.create_draft(inspector("probe"), None).expect("draft");
                let stored = client
                    .add_photo(&draft.id, &input, PhotoKind::Evidence)
                    .expect("photo");
                client.discard_draft(&draft.id).expect("discard");
                if stored.bytes as usize <= size * 9 / 10 || width <= 640 {
                    let id = submit_template(&client, Some(&input));
                    let report = client.report(&id).expect("template");
                    let sha = &report.content.photos[0].sha256;
                    break (id, Some(client.photos().read(sha).expect("stored photo")));
                }
                width = width * 4 / 5;
            }
        }
        None => (submit_template(&client, None), None),
    };
    let (body, submitted_at): (String, i64) = client
        .store()
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT body, submitted_at FROM report WHERE id = ?1",
                [&template],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .expect("template row");
    let template_body: serde_json::Value = serde_json::from_str(&body).expect("template body");

    // Photo files are written sealed, as the photo store keeps them (curl sends the plaintext).
    let photo_key = gridpatrol_tests::photo_key(&dir);
    let mut reports = Vec::with_capacity(n as usize);
    let mut rows = Vec::with_capacity(n as usize);
    for i in 0..n {
        let id = format!("01900000-0000-7000-8000-{i:012x}");
        let reporter = format!("w{}", i % reporters);
        let mut value = template_body.clone();
        value["id"] = serde_json::json!(id);
        value["reporter"]["reporter_id"] = serde_json::json!(reporter);
        value["submitted_at_ms"] = serde_json::json!(submitted_at + i as i64);
        let photo = match (&base_photo, photo_bytes) {
            (Some(base), Some(size)) => {
                let bytes = pad_jpeg(
                    &vary_jpeg(base, i + 1),
                    size,
                    &format!("gridpatrol bench photo {i}"),
                );
                let sha = gridpatrol_core::media::sha256_hex(&bytes);
                let path = client.photos().path_of(&sha).expect("photo path");
                std::fs::create_dir_all(path.parent().expect("shard")).expect("shard dir");
                let sealed = gridpatrol_core::media::sealed::seal(&photo_key, &bytes).expect("seal");
                std::fs::write(&path, &sealed).expect("photo file");
                let plain = bodies.join(format!("{sha}.jpg"));
                std::fs::write(&plain, &bytes).expect("plain photo file");
                value["photos"][0]["sha256"] = serde_json::json!(sha);
                value["photos"][0]["bytes"] = serde_json::json!(bytes.len());
                Some((plain, bytes.len() as u64))
            }
            _ => None,
        };
        gridpatrol_tests::resign(&client, &mut value);
        let body = value.to_string();
        let body_path = bodies.join(format!("{id}.json"));
        std::fs::write(&body_path, &body).expect("body file");
        rows.push((id.clone(), reporter, body, submitted_at + i as i64));
        reports.push(SeededReport {
            id,
            body: body_path,
            photo,
        });
    }
    client
        .store()
        .write(|tx| {
            for (id, reporter, body, at) in &rows {
                tx.execute(
                    "INSERT INTO report (id, state, reporter_id, body, updated_at, subtype, problem, lat, lon,
                                         captured_at, photos, submitted_at)
                     SELECT ?2, 'pending', ?3, ?4, updated_at, subtype, problem, lat, lon, captured_at, photos, ?5
                     FROM report WHERE id = ?1",
                    rusqlite::params![template, id, reporter, body, at],
                )?;
            }
            tx.execute("DELETE FROM report WHERE id = ?1", [&template])?;
            Ok(())
        })
        .expect("seed rows");
    drop(client);
    Seed { dir, reports }
}

/// A fresh copy of the seeded device: the database copied, the photo files hard-linked.
fn copy_device(seed: &Seed, to: &Path) {
    fn link_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("dir");
        for entry in std::fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                link_tree(&entry.path(), &target);
            } else if entry
                .path()
                .extension()
                .is_some_and(|e| e.to_str().is_some_and(|e| e.starts_with("sqlite3")))
            {
                std::fs::copy(entry.path(), &target).expect("copy database");
            } else {
                std::fs::hard_link(entry.path(), &target).expect("link photo");
            }
        }
    }
    link_tree(&seed.dir, to);
}

/// Drains a copy of the device with the sync engine. Seconds of draining.
fn run_ours(seed: &Seed, work: &Path, parallel: usize) -> f64 {
    let device = work.join("ours-device");
    copy_device(seed, &device);
    let platform = BenchPlatform::start(&work.join("ours-platform"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("device")
        .enable_all()
        .build()
        .expect("device runtime");
    let client = Arc::new(Client::open(&device).expect("device opens"));
    let mut config = SyncConfig::new(&platform.url);
    config.max_parallel_reports = parallel;
    let engine = SyncEngine::new(client, config).expect("engine");
    runtime
        .block_on(engine.enroll(CODE, "bench device"))
        .expect("enroll");
    let started = Instant::now();
    let summary = runtime
        .block_on(engine.sync_now(Duration::from_secs(3600)))
        .expect("sync");
    let seconds = started.elapsed().as_secs_f64();
    let n = seed.reports.len() as u32;
    assert_eq!(
        (
            summary.delivered,
            summary.pending,
            summary.parked,
            summary.retries
        ),
        (n as i32, 0, 0, 0),
        "ours: {summary:?}"
    );
    platform.check("ours", n as u64, seed.photos(), seed.photo_bytes());
    drop(platform);
    std::fs::remove_dir_all(work.join("ours-platform")).expect("clean platform");
    std::fs::remove_dir_all(&device).expect("clean device");
    seconds
}

/// One `curl --parallel` process over a config file of transfers; every answer must be `ok`.
fn curl(config: &Path, parallel: usize, transfers: usize, ok: &[&str]) {
    let output = Command::new("curl")
        .arg("--parallel")
        .arg("--parallel-max")
        .arg(parallel.to_string())
        .arg("--silent")
        .arg("--show-error")
        .arg("--config")
        .arg(config)
        .output()
        .expect("curl runs (is it installed?)");
    assert!(
        output.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let codes = String::from_utf8_lossy(&output.stdout);
    let good = codes.lines().filter(|c| ok.contains(&c.trim())).count();
    assert_eq!(
        good,
        transfers,
        "curl: {} of {transfers} transfers answered {ok:?}; others: {:?}",
        good,
        codes
            .lines()
            .filter(|c| !ok.contains(&c.trim()))
            .take(5)
            .collect::<Vec<_>>()
    );
}

/// Sends the seeded photos and reports with curl. Seconds of sending.
fn run_curl(seed: &Seed, work: &Path, parallel: usize) -> f64 {
    let platform = BenchPlatform::start(&work.join("curl-platform"));
    let token = platform.enroll();
    let mut photos = String::new();
    let mut reports = String::new();
    let common = |out: &mut String, token: &str| {
        writeln!(out, "header = \"Authorization: Bearer {token}\"").expect("write");
        writeln!(out, "header = \"Expect:\"").expect("write");
        writeln!(out, "output = \"/dev/null\"").expect("write");
        writeln!(out, "write-out = \"%{{http_code}}\\n\"").expect("write");
    };
    for SeededReport { id, body, photo } in &seed.reports {
        if let Some((path, length)) = photo {
            if !photos.is_empty() {
                writeln!(photos, "next").expect("write");
            }
            let sha = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("photo files are named by their hash");
            writeln!(photos, "url = \"{}/v1/photos/{sha}\"", platform.url).expect("write");
            writeln!(photos, "request = \"PATCH\"").expect("write");
            writeln!(photos, "upload-file = \"{}\"", path.display()).expect("write");
            writeln!(photos, "header = \"Upload-Offset: 0\"").expect("write");
            writeln!(photos, "header = \"Upload-Length: {length}\"").expect("write");
            writeln!(
                photos,
                "header = \"Content-Type: application/offset+octet-stream\""
            )
            .expect("write");
            common(&mut photos, &token);
        }
        if !reports.is_empty() {
            writeln!(reports, "next").expect("write");
        }
        writeln!(reports, "url = \"{}/v1/reports/{id}\"", platform.url).expect("write");
        writeln!(reports, "request = \"PUT\"").expect("write");
        writeln!(reports, "upload-file = \"{}\"", body.display()).expect("write");
        writeln!(reports, "header = \"Content-Type: application/json\"").expect("write");
        common(&mut reports, &token);
    }
    let photo_config = work.join("curl-photos.cfg");
    let report_config = work.join("curl-reports.cfg");
    std::fs::write(&photo_config, photos).expect("curl config");
    std::fs::write(&report_config, reports).expect("curl config");

    let started = Instant::now();
    let n_photos = seed.photos() as usize;
    if n_photos > 0 {
        curl(&photo_config, parallel, n_photos, &["204"]);
    }
    curl(&report_config, parallel, seed.reports.len(), &["201"]);
    let seconds = started.elapsed().as_secs_f64();
    platform.check(
        "curl",
        seed.reports.len() as u64,
        seed.photos(),
        seed.photo_bytes(),
    );
    drop(platform);
    std::fs::remove_dir_all(work.join("curl-platform")).expect("clean platform");
    seconds
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Runs both sides `rounds` times, alternating which goes first; prints each round and
/// returns the median ratio ours ÷ curl of throughput (= curl's time ÷ ours).
fn measure(label: &str, seed: &Seed, work: &Path, args: &Args) -> f64 {
    let n = seed.reports.len() as f64;
    let mb = seed.photo_bytes() as f64 / 1e6;
    let mut ratios = Vec::new();
    for round in 0..args.rounds {
        let (ours, curl) = if round % 2 == 0 {
            let ours = run_ours(seed, work, args.parallel);
            (ours, run_curl(seed, work, args.parallel))
        } else {
            let curl = run_curl(seed, work, args.parallel);
            (run_ours(seed, work, args.parallel), curl)
        };
        let ratio = curl / ours;
        ratios.push(ratio);
        let rate = |s: f64| {
            if mb > 0.0 {
                format!("{:7.1} reports/s {:6.1} MB/s", n / s, mb / s)
            } else {
                format!("{:7.1} reports/s", n / s)
            }
        };
        println!(
            "{label} round {}: ours {:6.2} s ({}), curl {:6.2} s ({}), ratio {ratio:.2}",
            round + 1,
            ours,
            rate(ours),
            curl,
            rate(curl)
        );
    }
    median(&mut ratios)
}

fn main() {
    let args = parse_args();
    gridpatrol_core::sync::install_tls_provider();
    assert!(
        Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "this benchmark needs curl on the PATH"
    );
    let work = tempfile::tempdir().expect("work dir");
    println!(
        "sync drain vs curl: {} reports × {} KiB photo, {} in flight, {} reporter(s), {} rounds",
        args.reports,
        args.photo_bytes / 1024,
        args.parallel,
        args.reporters,
        args.rounds
    );

    let started = Instant::now();
    let with_photos = seed(
        &work.path().join("seed-photos"),
        args.reports,
        Some(args.photo_bytes),
        args.reporters,
    );
    println!(
        "seeded {} reports, {:.1} MB of photos, in {:.1} s",
        with_photos.reports.len(),
        with_photos.photo_bytes() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let photo_ratio = measure("photos", &with_photos, work.path(), &args);
    std::fs::remove_dir_all(work.path().join("seed-photos")).expect("clean seed");

    let without = seed(
        &work.path().join("seed-plain"),
        args.reports,
        None,
        args.reporters,
    );
    let plain_ratio = measure("no photos", &without, work.path(), &args);

    println!(
        "median throughput ratio ours/curl: with photos {photo_ratio:.2} (target ≥ {:.2}), without photos {plain_ratio:.2}",
        args.target
    );
    if photo_ratio < args.target {
        println!("FAIL: below the target");
        std::process::exit(1);
    }
    println!("PASS");
}

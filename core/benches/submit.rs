//! Submit benchmark (plain `fn main`, `harness = false`): `Client::submit` of a prepared valid
//! draft (one photo already attached; only the submit call is timed: validation, the report
//! row, its photo row, the outbox row and the draft's removal in one durable transaction)
//! against a bare `INSERT` + `COMMIT` of a row of the same size into a table of a separate
//! SQLite database with the same settings (WAL, synchronous=FULL), on the same file system.
//! The two are interleaved operation by operation, in rounds; drafts are prepared before each
//! round, outside the timed region.
//!
//! Run: `cargo bench -p gridpatrol-core --bench submit [-- --rounds 7 --ops 200]`.
//! Target: median(submit) / median(insert) <= 1.2; prints PASS or FAIL and exits 1 on FAIL.
//! The quietest round (fastest bare insert) is printed on its own: there submit's own work shows.
//! A third arm, the same bare INSERT + COMMIT into an encrypted database (SQLite3 Multiple
//! Ciphers, ChaCha20-Poly1305, what the store is), gives what encryption costs a durable commit:
//! encrypted / plaintext, target <= 1.3 (issue 14).
//! A breakdown of submit's parts (medians, outside any transaction) is printed either way.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use gridpatrol_core::Client;
use gridpatrol_core::capture::{self, PhotoKind, Reporter, SubmitOutcome, WarningResponse};
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::time::now_ms;
use rusqlite::{Connection, TransactionBehavior, params};

mod common;
use common::{arg, median};

const TARGET_RATIO: f64 = 1.2;
const ENCRYPTED_TARGET_RATIO: f64 = 1.3;
/// 03-018 confined-space work: one photo, a fix within 50 m, `hazard_level` required.
const SUBTYPE: &str = "03-018";
const PROBLEM: &str = "03-018-01";

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A textured 800×600 JPEG (gradients and noise, compresses like a photo).
fn photo() -> Vec<u8> {
    let (w, h) = (800u32, 600u32);
    let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let n = rng.u32(..0x20);
            px.extend_from_slice(&[
                ((x * 255 / w) + n).min(255) as u8,
                ((y * 255 / h) + n / 2).min(255) as u8,
                ((x + y) % 256) as u8,
            ]);
        }
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode(&px, w, h, image::ExtendedColorType::Rgb8)
        .expect("encode the fixture");
    out
}

fn fix(n: usize) -> LocationFix {
    // ~200 m apart, so no report is a possible duplicate of another.
    LocationFix {
        lat: 31.2 + (n % 100) as f64 * 0.002,
        lon: 120.5 + (n / 100) as f64 * 0.002,
        accuracy_m: 8.0,
        fix_time_ms: now_ms(),
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

/// A valid draft with one photo, ready to submit.
fn prepare(client: &Client, jpeg: &[u8], n: usize) -> String {
    let reporter = Reporter {
        reporter_id: "insp-0042".into(),
        role: Role::Inspector,
        grid_ids: Vec::new(),
    };
    let id = client.create_draft(reporter, None).expect("create_draft").id;
    client
        .set_event(&id, Some(SUBTYPE.into()), Some(PROBLEM.into()))
        .expect("set_event");
    client.set_location(&id, fix(n)).expect("set_location");
    client
        .add_photo(&id, jpeg, PhotoKind::Evidence)
        .expect("add_photo");
    client
        .set_attribute(&id, "hazard_level", "general")
        .expect("set_attribute");
    client
        .set_attribute(&id, "company_name", "苏州某机械厂有限公司")
        .expect("set_attribute");
    client
        .set_description(
            &id,
            "地下污水井内有人作业，井口无人监护，未见通风设备和气体检测仪。",
        )
        .expect("set_description");
    id
}

/// The comparison database: same pragmas as the store (see core/src/store.rs `configure`).
fn bare_db(path: &Path, key: Option<gridpatrol_core::sqlite::CipherKey>) -> Connection {
    let conn = Connection::open(path).expect("open bare db");
    if let Some(key) = key {
        gridpatrol_core::sqlite::set_key(&conn, &key).expect("key");
    }
    conn.busy_timeout(Duration::from_secs(5)).expect("busy_timeout");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("synchronous");
    conn.pragma_update(None, "foreign_keys", "ON")
        .expect("foreign_keys");
    conn.pragma_update(None, "temp_store", "MEMORY")
        .expect("temp_store");
    conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)
        .expect("journal_size_limit");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("wal");
    conn.execute_batch("CREATE TABLE row (id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;")
        .expect("create");
    conn
}

fn bare_insert(conn: &mut Connection, id: &str, body: &str) {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .expect("begin");
    tx.execute("INSERT INTO row (id, body) VALUES (?1, ?2)", params![id, body])
        .expect("insert");
    tx.commit().expect("commit");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = arg(&args, "--rounds", 7);
    let ops = arg(&args, "--ops", 200);

    let work = tempfile::tempdir().expect("tempdir");
    let client = Client::open(work.path().join("data")).expect("open client");
    let mut bare = bare_db(&work.path().join("bare.sqlite3"), None);
    let mut sealed = bare_db(
        &work.path().join("bare-encrypted.sqlite3"),
        Some(gridpatrol_core::sqlite::CipherKey([0x5a; 32])),
    );
    let jpeg = photo();
    let no_warnings = WarningResponse::default();

    // Warm-up (not counted): caches, prepared statements, the first WAL growth.
    let mut made = 0;
    let mut body = String::new();
    for i in 0..20 {
        let id = prepare(&client, &jpeg, made);
        made += 1;
        assert_eq!(
            client.submit(&id, no_warnings.clone()).expect("submit"),
            SubmitOutcome::Submitted {
                report_id: id.clone()
            }
        );
        body = serde_json::to_string(&client.report(&id).expect("report")).expect("json");
        bare_insert(&mut bare, &format!("warm-{i}"), &body);
        bare_insert(&mut sealed, &format!("warm-{i}"), &body);
    }
    // Row of similar size: the report's JSON body (what the report row mostly is).
    let row_bytes = body.len();

    let (mut all_submit, mut all_insert, mut all_sealed) = (Vec::new(), Vec::new(), Vec::new());
    // Per round (median submit, median insert): the quietest disk is the round whose bare
    // insert was fastest, where submit's own work shows most.
    let mut per_round: Vec<(Duration, Duration)> = Vec::new();
    println!(
        "submit vs bare INSERT+COMMIT: {rounds} rounds × {ops} ops, row {row_bytes} bytes (WAL, synchronous=FULL)"
    );
    for round in 0..rounds {
        let drafts: Vec<String> = (0..ops)
            .map(|_| {
                made += 1;
                prepare(&client, &jpeg, made)
            })
            .collect();
        let (mut submit, mut insert) = (Vec::with_capacity(ops), Vec::with_capacity(ops));
        let mut sealed_insert = Vec::with_capacity(ops);
        for (i, id) in drafts.iter().enumerate() {
            // Alternate which goes first so neither always follows the other's fsync.
            let run_submit = |samples: &mut Vec<Duration>| {
                let t = Instant::now();
                let outcome = client.submit(id, no_warnings.clone()).expect("submit");
                samples.push(t.elapsed());
                assert!(matches!(outcome, SubmitOutcome::Submitted { .. }), "{outcome:?}");
            };
            let key = format!("r{round}-{i}");
            let mut run_insert = |samples: &mut Vec<Duration>| {
                let t = Instant::now();
                bare_insert(&mut bare, &key, &body);
                samples.push(t.elapsed());
            };
            if i % 2 == 0 {
                run_submit(&mut submit);
                run_insert(&mut insert);
            } else {
                run_insert(&mut insert);
                run_submit(&mut submit);
            }
            let t = Instant::now();
            bare_insert(&mut sealed, &key, &body);
            sealed_insert.push(t.elapsed());
        }
        let (ms, mi) = (median(&mut submit), median(&mut insert));
        println!(
            "  round {round}: submit {:>8.1} µs   insert {:>8.1} µs   ratio {:.2}",
            micros(ms),
            micros(mi),
            micros(ms) / micros(mi)
        );
        per_round.push((ms, mi));
        all_submit.extend(submit);
        all_insert.extend(insert);
        all_sealed.extend(sealed_insert);
    }

    breakdown(&client, &jpeg, made + 1);

    let (quiet, (qs, qi)) = per_round
        .iter()
        .enumerate()
        .min_by_key(|(_, (_, insert))| *insert)
        .map(|(round, medians)| (round, *medians))
        .expect("at least one round");
    println!(
        "quietest round ({quiet}, fastest bare insert): submit {:.1} µs, insert {:.1} µs, ratio {:.2}",
        micros(qs),
        micros(qi),
        micros(qs) / micros(qi)
    );
    let (ms, mi) = (median(&mut all_submit), median(&mut all_insert));
    let me = median(&mut all_sealed);
    let encrypted_ratio = micros(me) / micros(mi);
    println!(
        "encrypted store: median bare INSERT+COMMIT {:.1} µs vs {:.1} µs plaintext, ratio {encrypted_ratio:.2} (target <= {ENCRYPTED_TARGET_RATIO}): {}",
        micros(me),
        micros(mi),
        if encrypted_ratio <= ENCRYPTED_TARGET_RATIO {
            "PASS"
        } else {
            "FAIL"
        }
    );
    let ratio = micros(ms) / micros(mi);
    let pass = ratio <= TARGET_RATIO;
    println!(
        "median submit {:.1} µs, median bare insert {:.1} µs, ratio {ratio:.2} (target <= {TARGET_RATIO}): {}",
        micros(ms),
        micros(mi),
        if pass { "PASS" } else { "FAIL" }
    );
    if !pass {
        std::process::exit(1);
    }
}

/// Medians of submit's parts, each run on its own (no transaction, no fsync), to show where
/// submit's time beyond the commit goes.
fn breakdown(client: &Client, jpeg: &[u8], n: usize) {
    const N: usize = 200;
    let id = prepare(client, jpeg, n);
    let time = |f: &mut dyn FnMut()| {
        let mut samples: Vec<Duration> = (0..N)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        micros(median(&mut samples))
    };
    let draft = client.draft(&id).expect("draft");
    let draft_json = serde_json::to_string(&draft).expect("json");
    let report_id = client.queue().expect("queue")[0].report_id.clone();
    let report = client.report(&report_id).expect("report");

    let validate_draft = time(&mut || {
        black_box(client.validate_draft(&id).expect("validate"));
    });
    let load = time(&mut || {
        black_box(serde_json::from_str::<capture::Draft>(&draft_json).expect("parse"));
    });
    let to_json = time(&mut || {
        black_box(serde_json::to_string(&report).expect("json"));
    });
    let key = client.device_key().expect("device key");
    let claim_bytes = time(&mut || {
        black_box(gridpatrol_core::claim::Claim::for_report(&report, key.id(), None).canonical_bytes());
    });
    let sign = time(&mut || {
        black_box(key.sign(&report, None));
    });
    println!(
        "breakdown (medians, µs, outside any transaction): validate_draft {validate_draft:.1} (of which load+parse draft {load:.1}); report JSON {to_json:.1}; claim signed {sign:.1} (of which its canonical bytes {claim_bytes:.1})"
    );
}

//! Store-open benchmark (plain `fn main`, `harness = false`): opening a data directory's store
//! holding 10,000 reports, encrypted (SQLite3 Multiple Ciphers, ChaCha20-Poly1305, raw key:
//! what `Client::open` does) against the same store as plaintext SQLite (what the release
//! before encryption opened), interleaved open by open. The data key's unwrap (the
//! development key store) is timed on its own. An open includes the store's readability check
//! (`PRAGMA quick_check`, every page read: `store::health`), which is what encryption makes
//! slower — every page is decrypted.
//!
//! Run: `cargo bench -p gridpatrol-core --bench store_open [-- --rounds 30 --reports 10000]`.
//! Target (issue 14): median(encrypted) - median(plaintext) <= 50 ms; prints PASS or FAIL and
//! exits 1 on FAIL.

use std::time::{Duration, Instant};

use gridpatrol_core::capture::{Reporter, SubmitOutcome, WarningResponse};
use gridpatrol_core::client::{DATABASE_FILE, DEVELOPMENT_WRAPPING_KEY};
use gridpatrol_core::keys::{FileKeyStore, open_data_key};
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::sqlite::CipherKey;
use gridpatrol_core::store::Store;
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::{Client, time::now_ms};

mod common;
use common::{arg, median};

const TARGET_EXTRA: Duration = Duration::from_millis(50);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `n` submitted reports without photos (01-004, a labour dispute), in batches.
fn fill(client: &Client, n: usize) {
    for i in 0..n {
        let reporter = Reporter {
            reporter_id: format!("insp-{:04}", i % 50),
            role: Role::Inspector,
            grid_ids: Vec::new(),
        };
        let id = client.create_draft(reporter, None).expect("draft").id;
        client
            .set_event(&id, Some("01-004".into()), Some("01-004-01".into()))
            .expect("event");
        let fix = LocationFix {
            lat: 31.2 + (i % 100) as f64 * 0.002,
            lon: 120.5 + (i / 100) as f64 * 0.002,
            accuracy_m: 8.0,
            fix_time_ms: now_ms(),
            provider: LocationProvider::Gps,
            is_mock: false,
            datum: Datum::Wgs84,
        };
        client.set_location(&id, fix).expect("fix");
        client
            .set_description(&id, "劳资纠纷：工人反映工资拖欠三个月，现场约二十人聚集。")
            .expect("description");
        let outcome = client
            .submit(
                &id,
                WarningResponse {
                    acknowledged: vec!["report.possible_duplicate".into()],
                    override_reason: None,
                },
            )
            .expect("submit");
        assert!(matches!(outcome, SubmitOutcome::Submitted { .. }), "{outcome:?}");
    }
}

/// The reports the store holds, read outside the timed open (a check, not part of opening).
fn count(store: &Store) -> usize {
    let n: i64 = store
        .read(|c| Ok(c.query_row("SELECT count(*) FROM report", [], |r| r.get(0))?))
        .expect("count");
    n as usize
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = arg(&args, "--rounds", 30);
    let reports = arg(&args, "--reports", 10_000);
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    let started = Instant::now();
    drop({
        let client = Client::open(&data).expect("open");
        fill(&client, reports);
        client
    });
    println!(
        "store_open: {reports} reports made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let keys = FileKeyStore::new(data.join(DEVELOPMENT_WRAPPING_KEY));
    let key = CipherKey(
        open_data_key(&data, DATABASE_FILE, &keys)
            .expect("key")
            .store_key(),
    );
    let encrypted = data.join(DATABASE_FILE);
    let plaintext = work.path().join("plain.sqlite3");
    std::fs::copy(&encrypted, &plaintext).expect("copy");
    {
        let conn = rusqlite::Connection::open(&plaintext).expect("open the copy");
        gridpatrol_core::sqlite::set_key(&conn, &key).expect("key");
        conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .expect("delete mode");
        conn.pragma_update(None, "rekey", "").expect("decrypt the copy");
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .expect("wal");
    }
    let sizes = (
        std::fs::metadata(&encrypted).expect("size").len(),
        std::fs::metadata(&plaintext).expect("size").len(),
    );

    let (mut enc, mut plain, mut unwrap) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=rounds {
        let t = Instant::now();
        let k = open_data_key(&data, DATABASE_FILE, &keys).expect("key");
        let t_unwrap = t.elapsed();
        let key = CipherKey(k.store_key());
        let time_enc = || {
            let t = Instant::now();
            let store = Store::open_encrypted(&encrypted, key).expect("open encrypted");
            let took = t.elapsed();
            assert_eq!(count(&store), reports);
            took
        };
        let time_plain = || {
            let t = Instant::now();
            let store = Store::open(&plaintext).expect("open plaintext");
            let took = t.elapsed();
            assert_eq!(count(&store), reports);
            took
        };
        let (e, p) = if round % 2 == 0 {
            let e = time_enc();
            (e, time_plain())
        } else {
            let p = time_plain();
            (time_enc(), p)
        };
        if round > 0 {
            enc.push(e);
            plain.push(p);
            unwrap.push(t_unwrap);
        }
    }
    let (me, mp, mu) = (median(&mut enc), median(&mut plain), median(&mut unwrap));
    let extra = me.saturating_sub(mp) + mu;
    let pass = extra <= TARGET_EXTRA;
    println!(
        "open of a store with {reports} reports ({:.1} MB encrypted, {:.1} MB plaintext), {rounds} rounds: \
         encrypted {:.2} ms, plaintext {:.2} ms, key unwrap {:.3} ms; extra {:.2} ms (ratio {:.2}; target <= {} ms): {}",
        sizes.0 as f64 / 1e6,
        sizes.1 as f64 / 1e6,
        ms(me),
        ms(mp),
        ms(mu),
        ms(extra),
        ms(me) / ms(mp),
        TARGET_EXTRA.as_millis(),
        if pass { "PASS" } else { "FAIL" }
    );
    if !pass {
        std::process::exit(1);
    }
}

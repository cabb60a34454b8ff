//! "A kill -9 loses at most the last 10 fixes or 30 s of a patrol, never a committed point, and
//! the patrol is there after relaunch": a child (`patrol_loop`) records patrols on one store and
//! is SIGKILLed at seeded random moments, then restarted on the same file, many times over.
//! After each kill the store is checked against what the child announced: every point it was
//! told is committed is stored as it was, the points lost are only the newest ones (at most 9,
//! within 30 s of fix time), the open patrol is the one the child was recording, and SQLite
//! finds the file sound.
//!
//! `GRIDPATROL_TRACK_KILLS` sets the number of kills (default 60), `GRIDPATROL_CRASH_SEED` the
//! seed of the kill schedule.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gridpatrol_tests::Rng;
use rusqlite::{Connection, OpenFlags};

const SIGKILL: i32 = 9;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
    })
}

/// What one run of the child announced.
#[derive(Default)]
struct Announced {
    /// (patrol, seq) → fix time of each kept point.
    kept: HashMap<(String, u64), i64>,
    /// The highest `durable` announced per patrol.
    durable: HashMap<String, u64>,
    /// The patrol the child was recording when killed.
    open: Option<String>,
    lines: usize,
}

impl Announced {
    fn take(&mut self, line: &str) {
        let words: Vec<&str> = line.split(' ').collect();
        let mut durable = |patrol: &str, n: &str| {
            let n: u64 = n.parse().expect("durable count");
            let d = self.durable.entry(patrol.to_owned()).or_default();
            *d = (*d).max(n);
        };
        match words.as_slice() {
            ["ready", p] | ["started", p] => self.open = Some(p.to_string()),
            ["stopped", _] => self.open = None,
            ["kept", p, seq, time, d] => {
                durable(p, d);
                self.kept.insert(
                    (p.to_string(), seq.parse().expect("seq")),
                    time.parse().expect("time"),
                );
            }
            ["batch", p, d] => durable(p, d),
            _ => panic!("unexpected line from the child: {line:?}"),
        }
        self.lines += 1;
    }
}

fn stored_points(db: &Connection, patrol: &str) -> HashMap<u64, i64> {
    let mut stmt = db
        .prepare("SELECT seq, fix_time FROM track_point WHERE patrol_id = ?1")
        .expect("prepare");
    stmt.query_map([patrol], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

fn check(db_path: &Path, announced: &Announced, kill: u64) -> (usize, usize) {
    let db = Connection::open_with_flags(db_path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open read-only");
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(integrity, "ok", "kill {kill}");
    let open: Option<String> = db
        .query_row("SELECT id FROM patrol WHERE state != 'stopped'", [], |r| r.get(0))
        .ok();
    // The open patrol is the one being recorded, unless the kill came between its stop and
    // the line saying so (then it is stopped, and the next may have started).
    if let Some(recording) = &announced.open
        && open.as_ref() != Some(recording)
    {
        let state: String = db
            .query_row("SELECT state FROM patrol WHERE id = ?1", [recording], |r| {
                r.get(0)
            })
            .expect("the recorded patrol is stored");
        assert_eq!(
            state, "stopped",
            "kill {kill}: the open patrol is not the one being recorded"
        );
    }
    let mut lost_total = 0;
    let mut patrols: Vec<&String> = announced.durable.keys().collect();
    patrols.sort();
    for patrol in patrols {
        let stored = stored_points(&db, patrol);
        let durable = announced.durable[patrol];
        let newest_stored = stored.values().copied().max().unwrap_or(i64::MIN);
        let mut lost: Vec<i64> = Vec::new();
        for ((p, seq), time) in &announced.kept {
            if p != patrol {
                continue;
            }
            match stored.get(seq) {
                Some(t) => assert_eq!(t, time, "kill {kill}: point {seq} stored with another time"),
                None => {
                    assert!(
                        *seq >= durable,
                        "kill {kill}: committed point {seq} (< {durable}) lost"
                    );
                    assert!(
                        *time > newest_stored,
                        "kill {kill}: a lost point is older than a stored one"
                    );
                    lost.push(*time);
                }
            }
        }
        assert!(lost.len() <= 9, "kill {kill}: {} fixes lost", lost.len());
        if let (Some(first), Some(last)) = (lost.iter().min(), lost.iter().max()) {
            assert!(
                last - first < 30_000,
                "kill {kill}: lost fixes span {} ms",
                last - first
            );
        }
        lost_total += lost.len();
    }
    (lost_total, announced.kept.len())
}

#[test]
fn a_kill_9_loses_at_most_the_last_batch_of_a_patrol_never_a_committed_point() {
    let kills = env_u64("GRIDPATROL_TRACK_KILLS").unwrap_or(60);
    let seed = env_u64("GRIDPATROL_CRASH_SEED").unwrap_or(0x7472_6163_6b73);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("track.sqlite3");
    let stderr_path = dir.path().join("child-stderr.txt");
    let mut rng = Rng::new(seed);
    let (mut lost, mut kept, mut max_lost) = (0, 0, 0);
    for kill in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_patrol_loop"))
            .arg(&db)
            .arg(seed.wrapping_add(kill).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .expect("spawn patrol_loop");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut announced = Announced::default();
        // Kill after a random number of lines (up to ~2 batches past open), then a short delay
        // that lands the kill inside the following ingest, batch commit or state change.
        let wait_lines = rng.below(40) as usize + 1;
        while announced.lines < wait_lines {
            let mut line = String::new();
            let n = stdout.read_line(&mut line).expect("read the child");
            assert!(
                n > 0,
                "kill {kill}: the child ended on its own:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
            announced.take(line.trim_end());
        }
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        // Whole lines printed before the kill count too; a cut line was never announced.
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        for line in rest.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            announced.take(line.trim_end());
        }
        assert_eq!(
            status.signal(),
            Some(SIGKILL),
            "kill {kill}: ended before the kill ({status})"
        );
        let (l, k) = check(&db, &announced, kill);
        max_lost = max_lost.max(l);
        lost += l;
        kept += k;
    }
    eprintln!(
        "{kills} kills: {kept} fixes announced kept, {lost} lost (at most {max_lost} per kill), seed {seed:#x}"
    );
    assert!(
        kept > kills as usize,
        "the child recorded too little to test anything"
    );
}

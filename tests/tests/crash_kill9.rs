//! "A report that `submit` accepted survives kill -9": a child process (`submit_loop`) files
//! reports in a loop on one data directory and is SIGKILLed at seeded random moments (during
//! open, photo processing, photo file writes, draft transactions, submit), then restarted on
//! the same directory, many times over. Every step the child announced as done (it prints a
//! line only after the call returned) must be found afterwards, nothing may be duplicated,
//! every draft a kill interrupted must still load, and SQLite must find the file sound.
//!
//! `GRIDPATROL_CRASH_KILLS` sets the number of kills (default 200; the long run uses 1000 or
//! more), `GRIDPATROL_CRASH_SEED` the seed of the kill schedule (printed in the summary).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gridpatrol_core::Client;
use gridpatrol_core::media::sha256_hex;
use gridpatrol_tests::{Rng, textured_grey_jpeg};

const DEFAULT_KILLS: u64 = 200;
const DEFAULT_SEED: u64 = 0x6772_6964_7061_7472; // "gridpatr"
const SIGKILL: i32 = 9;
/// Longest wait for the child's next line before the test calls it hung.
const STALL: Duration = Duration::from_secs(60);

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
    })
}

/// One running child and the lines it printed so far.
struct Run {
    child: Child,
    lines: Receiver<String>,
    reader: JoinHandle<usize>,
}

fn spawn(data: &Path, seed: u64, photo: &Path, stderr: &Path) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_submit_loop"))
        .arg(data)
        .arg(seed.to_string())
        .arg(photo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(stderr).expect("child stderr file"))
        .env("RUST_BACKTRACE", "1")
        .spawn()
        .expect("spawn submit_loop");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, lines) = mpsc::channel();
    // Only whole lines count: a line cut by the kill was never announced. Returns how many
    // partial lines were dropped.
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut partial = 0;
        loop {
            let mut line = String::new();
            match stdout.read_line(&mut line) {
                Ok(0) | Err(_) => return partial,
                Ok(_) if line.ends_with('\n') => {
                    if tx.send(line.trim_end().to_owned()).is_err() {
                        return partial;
                    }
                }
                Ok(_) => partial += 1,
            }
        }
    });
    Run { child, lines, reader }
}

/// What the children announced, over all runs.
#[derive(Default)]
struct Announced {
    submitted: Vec<String>,
    drafts: Vec<String>,
    /// (draft id, photo sha256) pairs `add_photo` returned.
    photos: Vec<(String, String)>,
    /// Which step the child had last announced when it was killed.
    killed_after: BTreeMap<&'static str, u64>,
    partial_lines: usize,
    last: &'static str,
}

impl Announced {
    fn take(&mut self, line: &str) {
        let mut words = line.split(' ');
        let (kind, id) = (words.next().unwrap_or(""), words.next().map(str::to_owned));
        self.last = match (kind, id) {
            ("ready", None) => "ready (open done)",
            ("draft", Some(id)) => {
                self.drafts.push(id);
                "draft created"
            }
            ("photo", Some(id)) => {
                let sha = words.next().expect("photo line has a sha256").to_owned();
                self.photos.push((id, sha));
                "photo added"
            }
            ("submitted", Some(id)) => {
                self.submitted.push(id);
                "report submitted"
            }
            _ => panic!("unexpected line from the child: {line:?}"),
        };
    }
}

/// Waits for the child's next line; panics with its stderr if it died on its own or hung.
fn next_line(run: &mut Run, stderr: &Path) -> String {
    match run.lines.recv_timeout(STALL) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => {
            let _ = run.child.kill();
            panic!(
                "the child printed nothing for {STALL:?}; stderr:\n{}",
                read(stderr)
            )
        }
        Err(RecvTimeoutError::Disconnected) => {
            let status = run.child.wait().expect("wait");
            panic!(
                "the child exited on its own ({status}); stderr:\n{}",
                read(stderr)
            )
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn check_photo(client: &Client, sha: &str, whose: &str) {
    let bytes = client
        .photo_jpeg(sha)
        .unwrap_or_else(|e| panic!("{whose}: photo {sha} missing or damaged: {e}"));
    assert_eq!(
        sha256_hex(&bytes),
        sha,
        "{whose}: photo file content does not match its name"
    );
    client
        .thumbnail_jpeg(sha)
        .unwrap_or_else(|e| panic!("{whose}: thumbnail of {sha} missing or damaged: {e}"));
}

#[test]
fn accepted_reports_survive_repeated_kill_9() {
    let kills = env_u64("GRIDPATROL_CRASH_KILLS").unwrap_or(DEFAULT_KILLS);
    let seed = env_u64("GRIDPATROL_CRASH_SEED").unwrap_or(DEFAULT_SEED);
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let photo = dir.path().join("base.jpg");
    let stderr = dir.path().join("child-stderr.txt");
    // 640×480 greyscale: the smallest photo validation accepts as evidence, the fastest to
    // process (the pipeline is the same: decode, resize, encode, hash, atomic writes).
    std::fs::write(&photo, textured_grey_jpeg(640, 480, seed)).expect("write the base photo");

    let mut rng = Rng::new(seed);
    let mut announced = Announced::default();
    for kill in 0..kills {
        let mut run = spawn(&data, seed.wrapping_add(kill), &photo, &stderr);
        announced.last = "nothing (opening)";
        if rng.chance(2, 5) {
            // Anywhere in the first ~250 ms: open, the resumed draft, the first new one.
            std::thread::sleep(Duration::from_millis(rng.below(250)));
        } else {
            // Just after a step the child announced: in the transactions and file writes that
            // follow it (draft → event and fix; photo → attributes, description, submit;
            // submitted → the next draft).
            let prefix = match rng.below(4) {
                0 => "draft ",
                1 => "submitted ",
                _ => "photo ",
            };
            loop {
                let line = next_line(&mut run, &stderr);
                announced.take(&line);
                if line.starts_with(prefix) {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(rng.below(25)));
        }
        run.child.kill().expect("SIGKILL the child");
        let status = run.child.wait().expect("wait for the child");
        announced.partial_lines += run.reader.join().expect("reader thread");
        for line in run.lines.try_iter() {
            announced.take(&line);
        }
        assert_eq!(
            status.signal(),
            Some(SIGKILL),
            "kill {kill}: the child ended before the kill ({status}); stderr:\n{}",
            read(&stderr)
        );
        *announced.killed_after.entry(announced.last).or_default() += 1;
    }
    let killing = started.elapsed();

    // Recovery is what the app does on its next start: open the directory.
    let client = Client::open(&data).expect("open after the last kill");
    let queue = client.queue().expect("queue");
    let queued: HashMap<&str, usize> = queue.iter().fold(HashMap::new(), |mut m, e| {
        *m.entry(e.report_id.as_str()).or_default() += 1;
        m
    });
    assert!(queued.values().all(|&n| n == 1), "duplicate outbox rows");
    assert_eq!(queued.len(), queue.len());

    // Every report the child announced: stored, queued once, photos intact.
    let announced_ids: HashSet<&str> = announced.submitted.iter().map(String::as_str).collect();
    assert_eq!(
        announced_ids.len(),
        announced.submitted.len(),
        "an id was announced as submitted twice"
    );
    for id in &announced.submitted {
        let report = client
            .report(id)
            .unwrap_or_else(|e| panic!("announced report {id} lost: {e}"));
        assert_eq!(&report.id, id);
        assert!(queued.contains_key(id.as_str()), "report {id} has no outbox row");
    }
    // Every report in the outbox (announced or not: the kill may have come before the print).
    let mut report_photos: HashMap<String, Vec<String>> = HashMap::new();
    for entry in &queue {
        let report = client.report(&entry.report_id).expect("queued report loads");
        assert!(
            !report.content.photos.is_empty(),
            "report {} has no photo",
            report.id
        );
        assert_eq!(entry.photos as usize, report.content.photos.len());
        for p in &report.content.photos {
            check_photo(&client, &p.sha256, &format!("report {}", report.id));
        }
        report_photos.insert(
            report.id,
            report.content.photos.into_iter().map(|p| p.sha256).collect(),
        );
    }

    // Every draft left behind loads, on its own and in the list, and is not also a report.
    let drafts = client
        .drafts()
        .expect("every remaining draft loads (no corrupt draft)");
    let mut draft_photos: HashMap<String, Vec<String>> = HashMap::new();
    for draft in &drafts {
        assert_eq!(&client.draft(&draft.id).expect("draft loads"), draft);
        assert!(
            !queued.contains_key(draft.id.as_str()),
            "{} is both a draft and a report",
            draft.id
        );
        for p in &draft.content.photos {
            check_photo(&client, &p.sha256, &format!("draft {}", draft.id));
        }
        draft_photos.insert(
            draft.id.clone(),
            draft.content.photos.iter().map(|p| p.sha256.clone()).collect(),
        );
    }
    // Every draft `create_draft` returned is still a draft or became a report, and every
    // photo `add_photo` returned is still attached to it.
    for id in &announced.drafts {
        assert!(
            draft_photos.contains_key(id) || report_photos.contains_key(id),
            "draft {id} was created, then lost"
        );
    }
    for (id, sha) in &announced.photos {
        let attached = draft_photos
            .get(id)
            .or_else(|| report_photos.get(id))
            .expect("its draft exists");
        assert!(attached.contains(sha), "photo {sha} added to {id}, then lost");
    }

    // No temp file survives the open (it sweeps them), and SQLite finds the file sound.
    let media = data.join("media");
    let temp = count_files(&media, &|name| name.ends_with(".tmp"));
    assert_eq!(temp, 0, "temp files left under media/ after open");
    let db = gridpatrol_tests::raw_store(data, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY);
    let integrity: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("integrity_check");
    assert_eq!(integrity, ["ok"]);
    let fk_violations: i64 = db
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .expect("foreign_key_check");
    assert_eq!(fk_violations, 0);
    let reports: i64 = db
        .query_row("SELECT count(*) FROM report WHERE state != 'draft'", [], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(
        reports as usize,
        queue.len(),
        "every report has exactly one outbox row"
    );

    println!(
        "crash_kill9: {kills} kills (seed {seed:#x}) in {:.1}s, {} announced reports verified of {} stored, \
         {} drafts created, {} photos checked, {} drafts left (all load), {} lines cut by a kill; \
         killed after: {:?}; total {:.1}s",
        killing.as_secs_f64(),
        announced.submitted.len(),
        queue.len(),
        announced.drafts.len(),
        report_photos
            .values()
            .chain(draft_photos.values())
            .map(Vec::len)
            .sum::<usize>(),
        drafts.len(),
        announced.partial_lines,
        announced.killed_after,
        started.elapsed().as_secs_f64(),
    );
    assert!(
        kills < 20 || !announced.submitted.is_empty(),
        "the child never got to submit"
    );
}

fn count_files(dir: &Path, matches: &dyn Fn(&str) -> bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                count_files(&path, matches)
            } else {
                usize::from(path.file_name().and_then(|n| n.to_str()).is_some_and(matches))
            }
        })
        .sum()
}

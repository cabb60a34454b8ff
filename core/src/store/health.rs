//! Keeping a damaged or unflushed store from costing reports: the WAL check before open, the
//! readability check at open, the checkpoints after writes and at close, and quarantine.
//!
//! Owns when the WAL is folded into the main file and what counts as a damaged store. It does
//! not read reports (salvage, which copies them out of a quarantined store, is
//! `crate::salvage`) nor decide schema versions (the parent module).
//!
//! * **WAL check.** SQLite stops replaying the WAL at the first frame whose checksum fails and
//!   silently drops every later frame. A torn tail after a crash is normal (those frames were
//!   never acknowledged), but a bad frame followed by a *commit* frame of the same generation
//!   (same salts) means acknowledged transactions would vanish: the store is damaged. So is a
//!   WAL whose header fails its checksum while frames follow.
//! * **Readability.** `PRAGMA quick_check(1)` at open (read-only, milliseconds on a phone-sized
//!   store) and SQLite's own `SQLITE_CORRUPT` / `SQLITE_NOTADB`.
//! * **Checkpoints.** After a commit that leaves [`CHECKPOINT_WAL_PAGES`] frames in the WAL
//!   (SQLite's `wal_autocheckpoint`, PASSIVE, never waits for readers), and at close (TRUNCATE),
//!   so the main file holds what was acknowledged. Frames, not the file's length: the file keeps
//!   its largest length after a checkpoint, and judging by it checkpointed after every write.
//! * **Quarantine.** A damaged store's files (`db`, `-wal`, `-shm`) are moved, never deleted, to
//!   `quarantine/<unix ms>/` next to it; the next open starts a fresh store.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::{Error, Result};

/// The folder, next to the database, that damaged stores are moved to.
pub const QUARANTINE_DIR: &str = "quarantine";

/// A commit that leaves this many frames in the WAL checkpoints it (PASSIVE): 512 KiB at the
/// store's 8 KiB pages (`super::PAGE_SIZE`).
pub(crate) const CHECKPOINT_WAL_PAGES: u32 = 64;

const WAL_HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

/// Runs `open` with the store's damage checks around it: a damaged WAL is found before SQLite
/// would silently drop its tail; a damaged store is moved to quarantine and reported as
/// [`Error::StoreCorrupt`] with where it went.
pub(crate) fn guarded<T>(path: &Path, open: impl FnOnce() -> Result<T>) -> Result<T> {
    let verdict = match wal_damage(path) {
        Ok(None) => open(),
        Ok(Some(reason)) => Err(Error::StoreCorrupt {
            reason,
            quarantined: None,
        }),
        Err(error) => Err(error),
    };
    match verdict {
        Err(Error::StoreCorrupt {
            reason,
            quarantined: None,
        }) => {
            // `open` returned, so every connection to the damaged file is closed.
            let moved = quarantine(path)?;
            tracing::error!(reason, "damaged store moved to quarantine; a fresh store starts");
            Err(Error::StoreCorrupt {
                reason,
                quarantined: Some(moved),
            })
        }
        other => other,
    }
}

/// `Err(StoreCorrupt)` when SQLite finds the open store damaged.
pub(crate) fn check_readable(conn: &Connection) -> Result<()> {
    let verdict: String = conn.query_row("PRAGMA quick_check(1)", [], |row| row.get(0))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(Error::StoreCorrupt {
            reason: "the database fails its integrity check",
            quarantined: None,
        })
    }
}

/// Moves the store's files into a new `quarantine/<unix ms>/` folder next to it and returns
/// that folder. Nothing is deleted.
pub fn quarantine(path: &Path) -> Result<PathBuf> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let dir = new_dated_dir(&parent.join(QUARANTINE_DIR))?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file_name = name.clone();
        file_name.push(suffix);
        let from = parent.join(&file_name);
        match std::fs::rename(&from, dir.join(&file_name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    File::open(parent)?.sync_all()?;
    Ok(dir)
}

/// Makes and returns a new folder `<root>/<unix ms>` (`-1`, `-2` … when taken): where files
/// set aside go (quarantine, a lost key's files), never mixed with an earlier set.
pub(crate) fn new_dated_dir(root: &Path) -> Result<PathBuf> {
    let mut dir = root.join(crate::time::now_ms().to_string());
    let mut n = 0;
    while dir.exists() {
        n += 1;
        dir = root.join(format!("{}-{n}", crate::time::now_ms()));
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// At close: fold the whole WAL into the main file and truncate it (best effort).
pub(crate) fn checkpoint_at_close(conn: &Connection) {
    if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::warn!(%error, "WAL checkpoint at close failed; the WAL keeps the data");
    }
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Why the WAL next to `path` would lose acknowledged transactions, or `None` when it would
/// not (absent, empty, intact, or only a torn uncommitted tail). Reads frame by frame: memory
/// is one page whatever the file's size.
fn wal_damage(path: &Path) -> Result<Option<&'static str>> {
    let file = match File::open(sidecar(path, "-wal")) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let len = file.metadata()?.len();
    let mut reader = BufReader::new(file);
    let mut header = [0u8; WAL_HEADER];
    if len < WAL_HEADER as u64 || reader.read_exact(&mut header).is_err() {
        return Ok(None);
    }
    let magic = u32::from_be_bytes(header[0..4].try_into().expect("4 bytes"));
    let big_endian = match magic {
        0x377f_0682 => false,
        0x377f_0683 => true,
        _ if len > WAL_HEADER as u64 => return Ok(Some("the write-ahead log's header is damaged")),
        _ => return Ok(None),
    };
    let page_size = u32::from_be_bytes(header[8..12].try_into().expect("4 bytes")) as usize;
    let mut sum = Checksum::new(big_endian);
    sum.add(&header[..24]);
    let valid_page = (512..=65536).contains(&page_size) && page_size.is_power_of_two();
    if !valid_page || sum.value() != (be32(&header[24..28]), be32(&header[28..32])) {
        let has_frames = len >= (WAL_HEADER + FRAME_HEADER) as u64;
        return Ok(has_frames.then_some("the write-ahead log's header is damaged"));
    }
    let salts = (be32(&header[16..20]), be32(&header[20..24]));
    let mut frame = vec![0u8; FRAME_HEADER + page_size];
    let mut broken = false;
    while reader.read_exact(&mut frame).is_ok() {
        let same_generation = (be32(&frame[8..12]), be32(&frame[12..16])) == salts;
        if !same_generation {
            // Frames of an older generation: what SQLite ignores, rightly.
            break;
        }
        if broken {
            if be32(&frame[4..8]) != 0 {
                return Ok(Some(
                    "the write-ahead log is damaged: committed frames follow a bad one",
                ));
            }
            continue;
        }
        sum.add(&frame[..8]);
        sum.add(&frame[FRAME_HEADER..]);
        if sum.value() != (be32(&frame[16..20]), be32(&frame[20..24])) {
            broken = true;
        }
    }
    Ok(None)
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes.try_into().expect("4 bytes"))
}

/// The WAL's cumulative checksum (the SQLite file format, section "Checksum Algorithm").
struct Checksum {
    big_endian: bool,
    s0: u32,
    s1: u32,
}

impl Checksum {
    fn new(big_endian: bool) -> Self {
        Self {
            big_endian,
            s0: 0,
            s1: 0,
        }
    }

    fn add(&mut self, bytes: &[u8]) {
        for pair in bytes.chunks_exact(8) {
            let word = |b: &[u8]| {
                let b: [u8; 4] = b.try_into().expect("4 bytes");
                if self.big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                }
            };
            let (x0, x1) = (word(&pair[..4]), word(&pair[4..]));
            self.s0 = self.s0.wrapping_add(x0).wrapping_add(self.s1);
            self.s1 = self.s1.wrapping_add(x1).wrapping_add(self.s0);
        }
    }

    fn value(&self) -> (u32, u32) {
        (self.s0, self.s1)
    }
}

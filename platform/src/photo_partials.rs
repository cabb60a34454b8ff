//! Unfinished photo uploads: each belongs to the device that started it, counts against that
//! device's quota and expires when left alone.
//!
//! Owns the `photo_partial` table (one row per device and photo hash: the declared length and
//! when it started), the files `photos/partial/<row id>.part` that hold the bytes received so far
//! (a file's mtime is its last activity, so an append costs no database commit), the per-device
//! quota and the expiry sweep, and the striped per-photo locks every photo write takes. It does
//! not verify or store complete photos: [`crate::photos`] does, and removes the partials a
//! completion makes useless.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::UNIX_EPOCH;

use axum::http::StatusCode;
use rusqlite::OptionalExtension as _;

use crate::problem::{ApiError, ApiResult};
use crate::{Inner, now_ms};

/// The per-photo locks: a photo's writes (appends to any device's partial of it, its
/// completion, an expiry) hold the stripe of its hash, so uploads of different photos run in
/// parallel and the memory stays fixed whatever the number of photos.
pub(crate) struct Locks {
    stripes: Vec<Mutex<()>>,
    /// When the last expiry sweep started (Unix ms).
    last_sweep_ms: AtomicI64,
}

impl Locks {
    pub fn new() -> Self {
        Self {
            stripes: (0..256).map(|_| Mutex::new(())).collect(),
            last_sweep_ms: AtomicI64::new(0),
        }
    }

    /// The lock of the photo `sha` (a checked SHA-256 id: its first byte picks the stripe).
    pub fn photo(&self, sha: &str) -> MutexGuard<'_, ()> {
        let stripe = sha
            .get(..2)
            .and_then(|b| usize::from_str_radix(b, 16).ok())
            .unwrap_or(0);
        // A poisoned stripe only means a panic mid-write; the files and rows are consistent
        // again after the checks every write starts with.
        self.stripes[stripe]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for Locks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locks")
            .field("stripes", &self.stripes.len())
            .finish()
    }
}

/// One device's unfinished upload of one photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Partial {
    pub id: i64,
    pub length: u64,
    pub created_at: i64,
}

pub(crate) fn dir(inner: &Inner) -> PathBuf {
    inner.photo_dir.join("partial")
}

pub(crate) fn path(inner: &Inner, id: i64) -> PathBuf {
    dir(inner).join(format!("{id}.part"))
}

/// The bytes a partial holds (its file's length, capped at the declared length).
pub(crate) fn held_bytes(inner: &Inner, partial: &Partial) -> ApiResult<u64> {
    match fs::metadata(path(inner, partial.id)) {
        Ok(meta) => Ok(meta.len().min(partial.length)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// When the partial last changed: its last append, else its creation (Unix ms).
fn last_activity(inner: &Inner, partial: &Partial) -> i64 {
    let modified = fs::metadata(path(inner, partial.id))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(0);
    modified.max(partial.created_at)
}

fn ttl_ms(inner: &Inner) -> i64 {
    i64::try_from(inner.config.partial_photo_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Whether a partial was left alone for longer than the configured time to live.
pub(crate) fn expired(inner: &Inner, partial: &Partial, now: i64) -> bool {
    now.saturating_sub(last_activity(inner, partial)) >= ttl_ms(inner)
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Partial> {
    Ok(Partial {
        id: r.get(0)?,
        length: r.get::<_, i64>(1)? as u64,
        created_at: r.get(2)?,
    })
}

/// `device`'s partial of `sha`, expired or not.
pub(crate) fn own(inner: &Inner, device: &str, sha: &str) -> ApiResult<Option<Partial>> {
    inner.db.read(|c| {
        Ok(c.query_row(
            "SELECT id, length, created_at FROM photo_partial WHERE device_id = ?1 AND sha256 = ?2",
            [device, sha],
            from_row,
        )
        .optional()?)
    })
}

/// Starts `device`'s partial of `sha` with the declared `length`, within the device's quota.
/// The caller holds the photo's lock.
pub(crate) fn create(inner: &Inner, device: &str, sha: &str, length: u64) -> ApiResult<Partial> {
    let limits = inner.config.limits;
    let now = now_ms();
    let refused = inner.db.write(|tx| {
        let (count, bytes): (i64, i64) = tx.query_row(
            "SELECT COUNT(*), COALESCE(SUM(length), 0) FROM photo_partial WHERE device_id = ?1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if count as u64 >= limits.partial_photos_per_device as u64
            || bytes as u64 + length > limits.partial_bytes_per_device
        {
            return Ok(Err(()));
        }
        tx.execute(
            "INSERT INTO photo_partial (device_id, sha256, length, created_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![device, sha, length as i64, now],
        )?;
        Ok(Ok(Partial {
            id: tx.last_insert_rowid(),
            length,
            created_at: now,
        }))
    })?;
    refused.map_err(|()| quota_exceeded(inner, device, now))
}

/// 429 `partial_quota_exceeded`: the device holds as many unfinished uploads as it may. Its
/// `Retry-After` is when the device's least recently active partial expires, at most a minute
/// (an upload in progress frees its place sooner) and at least 1 s.
fn quota_exceeded(inner: &Inner, device: &str, now: i64) -> ApiError {
    let limits = inner.config.limits;
    let oldest = inner
        .db
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT id, length, created_at FROM photo_partial WHERE device_id = ?1")?;
            let rows = stmt
                .query_map([device], from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.iter().map(|p| last_activity(inner, p)).min())
        })
        .ok()
        .flatten()
        .unwrap_or(now);
    let wait_s = (oldest.saturating_add(ttl_ms(inner)).saturating_sub(now) / 1000).clamp(1, 60);
    tracing::info!(device_id = %device, "photo upload refused: partial upload quota reached");
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "partial_quota_exceeded",
        "Too many unfinished photo uploads",
        format!(
            "This device may hold {} unfinished photo uploads of {} bytes in total; finish one, or wait until an abandoned one expires",
            limits.partial_photos_per_device, limits.partial_bytes_per_device
        ),
    )
    .with("limit_partials", limits.partial_photos_per_device)
    .with("limit_partial_bytes", limits.partial_bytes_per_device)
    .header(axum::http::header::RETRY_AFTER, wait_s)
}

/// Removes one partial, file and row. The caller holds the photo's lock.
pub(crate) fn discard(inner: &Inner, partial: &Partial) -> ApiResult<()> {
    remove_file(&path(inner, partial.id))?;
    inner.db.write(|tx| {
        tx.execute("DELETE FROM photo_partial WHERE id = ?1", [partial.id])?;
        Ok(())
    })
}

/// Removes a file; one already gone is fine.
pub(crate) fn remove_file(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Every partial of `sha`, of any device.
pub(crate) fn of_photo(conn: &rusqlite::Connection, sha: &str) -> ApiResult<Vec<Partial>> {
    let mut stmt = conn.prepare("SELECT id, length, created_at FROM photo_partial WHERE sha256 = ?1")?;
    let rows = stmt.query_map([sha], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Removes expired partials, at most once per sweep interval (the time to live, at most a
/// minute). Called without any photo lock held: it takes each candidate's.
pub(crate) fn sweep_if_due(inner: &Inner) -> ApiResult<usize> {
    let now = now_ms();
    let interval = ttl_ms(inner).min(60_000);
    let last = inner.photo_locks.last_sweep_ms.load(Ordering::Relaxed);
    if now.saturating_sub(last) < interval
        || inner
            .photo_locks
            .last_sweep_ms
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return Ok(0);
    }
    sweep(inner, now)
}

/// Removes every partial left alone for longer than the time to live; returns how many.
pub(crate) fn sweep(inner: &Inner, now: i64) -> ApiResult<usize> {
    // Only a partial created before the cutoff can have been idle that long.
    let cutoff = now.saturating_sub(ttl_ms(inner));
    let candidates: Vec<(String, Partial)> = inner.db.read(|c| {
        let mut stmt =
            c.prepare("SELECT sha256, id, length, created_at FROM photo_partial WHERE created_at <= ?1")?;
        let rows = stmt
            .query_map([cutoff], |r| {
                Ok((
                    r.get(0)?,
                    Partial {
                        id: r.get(1)?,
                        length: r.get::<_, i64>(2)? as u64,
                        created_at: r.get(3)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    })?;
    let mut removed = 0;
    for (sha, partial) in candidates {
        let _photo = inner.photo_locks.photo(&sha);
        let still_there = inner.db.read(|c| {
            Ok(
                c.query_row("SELECT 1 FROM photo_partial WHERE id = ?1", [partial.id], |_| {
                    Ok(())
                })
                .optional()?
                .is_some(),
            )
        })?;
        if still_there && expired(inner, &partial, now) {
            discard(inner, &partial)?;
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "expired partial photo uploads removed");
    }
    Ok(removed)
}

/// At open: removes partial files no row names (uploads of an older layout included).
pub(crate) fn remove_unnamed_files(inner: &Inner) -> ApiResult<()> {
    let ids: std::collections::HashSet<i64> = inner.db.read(|c| {
        let mut stmt = c.prepare("SELECT id FROM photo_partial")?;
        let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows)
    })?;
    for entry in fs::read_dir(dir(inner))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let known = name
            .strip_suffix(".part")
            .and_then(|id| id.parse::<i64>().ok())
            .is_some_and(|id| ids.contains(&id));
        if !known {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Every partial whose file is gone (an interrupted completion renamed it): `(sha, partial)`.
pub(crate) fn without_file(inner: &Inner) -> ApiResult<Vec<(String, Partial)>> {
    let all: Vec<(String, Partial)> = inner.db.read(|c| {
        let mut stmt = c.prepare("SELECT sha256, id, length, created_at FROM photo_partial")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    Partial {
                        id: r.get(1)?,
                        length: r.get::<_, i64>(2)? as u64,
                        created_at: r.get(3)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    })?;
    Ok(all
        .into_iter()
        .filter(|(_, p)| !path(inner, p.id).exists())
        .collect())
}

/// Opens a partial's file for appending, creating it (and making its name durable) if needed.
pub(crate) fn open_for_append(inner: &Inner, partial: &Partial) -> std::io::Result<File> {
    let part = path(inner, partial.id);
    let created = !part.exists();
    let file = fs::OpenOptions::new().create(true).append(true).open(&part)?;
    if created {
        File::open(dir(inner))?.sync_all()?;
    }
    Ok(file)
}

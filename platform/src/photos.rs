//! Photos: resumable, content-addressed upload, verified by SHA-256.
//!
//! Owns the `photo` table and the files under `photos/`: `partial/<sha256>.part` while bytes
//! arrive (appended and fsynced per chunk, so a restart resumes where the last acknowledged chunk
//! ended) and `<ab>/<sha256>` once complete and verified (rename + directory fsync). A photo is
//! named by the SHA-256 of its bytes: the same photo uploaded by two reports is stored once.
//! `HEAD /v1/photos/{sha256}` says how many bytes the platform holds; `PATCH` appends from an
//! offset. It does not link photos to reports: `reports` checks completeness at upload.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension as _;

use crate::auth::Device;
use crate::problem::{ApiError, ApiResult, Path as UrlPath};
use crate::{Inner, blocking, now_ms, read_body};

pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");

/// Creates the photo directories.
pub(crate) fn prepare(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir.join("partial"))
}

fn partial_path(inner: &Inner, sha: &str) -> PathBuf {
    inner.photo_dir.join("partial").join(format!("{sha}.part"))
}

fn final_path(inner: &Inner, sha: &str) -> PathBuf {
    inner.photo_dir.join(&sha[..2]).join(sha)
}

fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Lower-case hex SHA-256 of a file's bytes.
fn hash_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest as _;
    let mut file = File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// What the platform holds of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub offset: u64,
    pub length: u64,
    pub complete: bool,
}

fn row(inner: &Inner, sha: &str) -> ApiResult<Option<(u64, bool)>> {
    inner.db.read(|c| {
        Ok(c.query_row(
            "SELECT length, complete FROM photo WHERE sha256 = ?1",
            [sha],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? == 1)),
        )
        .optional()?)
    })
}

/// The bytes held of a photo, `None` when nothing is.
pub(crate) fn held(inner: &Inner, sha: &str) -> ApiResult<Option<Held>> {
    let Some((length, complete)) = row(inner, sha)? else {
        return Ok(None);
    };
    let offset = if complete {
        length
    } else {
        match fs::metadata(partial_path(inner, sha)) {
            Ok(meta) => meta.len().min(length),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e.into()),
        }
    };
    Ok(Some(Held {
        offset,
        length,
        complete,
    }))
}

/// At open: finishes completions interrupted between the rename and the database update, and
/// removes partial files no row names.
pub(crate) fn reconcile(inner: &Inner) -> ApiResult<()> {
    let pending: Vec<(String, u64)> = inner.db.read(|c| {
        let mut stmt = c.prepare("SELECT sha256, length FROM photo WHERE complete = 0")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    })?;
    for (sha, length) in &pending {
        let done = final_path(inner, sha);
        if done.exists() {
            if fs::metadata(&done)?.len() == *length && hash_file(&done)? == *sha {
                mark_complete(inner, sha)?;
            } else {
                fs::remove_file(&done)?;
            }
        }
    }
    for entry in fs::read_dir(inner.photo_dir.join("partial"))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let known = name
            .strip_suffix(".part")
            .is_some_and(|sha| pending.iter().any(|(p, _)| p == sha));
        if !known {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn mark_complete(inner: &Inner, sha: &str) -> ApiResult<()> {
    inner.db.write(|tx| {
        tx.execute(
            "UPDATE photo SET complete = 1, completed_at = ?1 WHERE sha256 = ?2",
            rusqlite::params![now_ms(), sha],
        )?;
        Ok(())
    })
}

/// The one photo-id rule, shared with the device (`gridpatrol_core::ids`).
pub(crate) fn checked_id(sha: &str) -> ApiResult<()> {
    if gridpatrol_core::ids::is_photo_id(sha) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_photo_id",
            "A photo is named by the lower-case hex SHA-256 of its bytes",
        ))
    }
}

fn offset_headers(held: Held) -> [(HeaderName, String); 3] {
    [
        (UPLOAD_OFFSET, held.offset.to_string()),
        (UPLOAD_LENGTH, held.length.to_string()),
        (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
    ]
}

/// `HEAD /v1/photos/{sha256}`: 200 with `Upload-Offset` and `Upload-Length`, or 404 — also
/// to a device that neither sent bytes of the photo nor had a report naming it stored.
pub(crate) async fn head(
    device: Device,
    State(state): State<crate::State>,
    UrlPath(sha): UrlPath<String>,
) -> ApiResult<Response> {
    checked_id(&sha)?;
    let held = blocking(move || {
        if !state
            .db
            .read(|c| crate::binding::may_learn_photo(c, &device.id, &sha))?
        {
            return Ok(None);
        }
        held(&state, &sha)
    })
    .await?;
    match held {
        None => Err(ApiError::not_found(
            "photo_not_found",
            "Nothing of this photo is held",
        )),
        Some(held) => Ok((StatusCode::OK, offset_headers(held)).into_response()),
    }
}

fn header_u64(headers: &HeaderMap, name: &HeaderName) -> ApiResult<Option<u64>> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request("bad_upload_header", format!("{name} must be a byte count"))
            }),
    }
}

fn offset_conflict(held: Held) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "upload_offset_mismatch",
        "Wrong upload offset",
        format!(
            "The platform holds {} bytes of this photo; send from there",
            held.offset
        ),
    )
    .with("upload_offset", held.offset)
    .header(UPLOAD_OFFSET, held.offset)
}

/// `PATCH /v1/photos/{sha256}`: appends the body at `Upload-Offset`; when the photo is whole,
/// verifies its SHA-256. 204 with the new `Upload-Offset`.
pub(crate) async fn patch(
    device: Device,
    State(state): State<crate::State>,
    UrlPath(sha): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    checked_id(&sha)?;
    let offset = header_u64(&headers, &UPLOAD_OFFSET)?
        .ok_or_else(|| ApiError::bad_request("bad_upload_header", "Upload-Offset is required"))?;
    let length = header_u64(&headers, &UPLOAD_LENGTH)?;
    let limits = state.config.limits;
    if let Some(length) = length
        && length > limits.photos_total_bytes
    {
        return Err(ApiError::too_large(
            "photo_too_large",
            limits.photos_total_bytes as usize,
        ));
    }
    let bytes = read_body(body, limits.photo_chunk_bytes).await?;
    let held = blocking(move || {
        let held = append(&state, &sha, offset, length, &bytes)?;
        crate::binding::note_uploader(&state, &device.id, &sha)?;
        Ok(held)
    })
    .await?;
    Ok((StatusCode::NO_CONTENT, offset_headers(held)).into_response())
}

fn append(inner: &Inner, sha: &str, offset: u64, length: Option<u64>, bytes: &[u8]) -> ApiResult<Held> {
    let _guard = inner.photo_lock.lock().unwrap_or_else(|p| p.into_inner());
    let held = match held(inner, sha)? {
        Some(held) => {
            if length.is_some_and(|l| l != held.length) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "upload_length_mismatch",
                    "Upload length differs",
                    format!("This upload was started with Upload-Length {}", held.length),
                )
                .with("upload_length", held.length));
            }
            held
        }
        None => {
            let length = match length {
                Some(0) => {
                    return Err(ApiError::bad_request(
                        "bad_upload_header",
                        "A photo has at least one byte",
                    ));
                }
                Some(l) => l,
                None => {
                    return Err(ApiError::bad_request(
                        "upload_length_required",
                        "The first PATCH of a photo must carry Upload-Length",
                    ));
                }
            };
            inner.db.write(|tx| {
                tx.execute(
                    "INSERT INTO photo (sha256, length, created_at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![sha, length as i64, now_ms()],
                )?;
                Ok(())
            })?;
            Held {
                offset: 0,
                length,
                complete: false,
            }
        }
    };
    if held.complete || offset != held.offset {
        return if held.complete && offset == held.length && bytes.is_empty() {
            Ok(held)
        } else {
            Err(offset_conflict(held))
        };
    }
    let end = offset + bytes.len() as u64;
    if end > held.length {
        return Err(ApiError::bad_request(
            "upload_exceeds_length",
            format!(
                "The chunk ends at byte {end}, past the declared length {}",
                held.length
            ),
        ));
    }
    let part = partial_path(inner, sha);
    let created = !part.exists();
    let mut file = OpenOptions::new().create(true).append(true).open(&part)?;
    if created {
        fsync_dir(&inner.photo_dir.join("partial"))?;
    }
    file.write_all(bytes)?;
    file.sync_data()?;
    drop(file);
    if end < held.length {
        return Ok(Held { offset: end, ..held });
    }
    if hash_file(&part)? != sha {
        fs::remove_file(&part)?;
        inner.db.write(|tx| {
            tx.execute("DELETE FROM photo WHERE sha256 = ?1", [sha])?;
            Ok(())
        })?;
        tracing::warn!(photo = %sha, "photo refused: content does not match its SHA-256");
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "photo_hash_mismatch",
            "Photo hash mismatch",
            "The bytes received do not hash to the photo's SHA-256; they were discarded, upload again from 0",
        ));
    }
    let done = final_path(inner, sha);
    let shard = done.parent().expect("a photo path has a shard directory");
    fs::create_dir_all(shard)?;
    fs::rename(&part, &done)?;
    fsync_dir(shard)?;
    fsync_dir(&inner.photo_dir.join("partial"))?;
    mark_complete(inner, sha)?;
    tracing::info!(photo = %sha, bytes = held.length, "photo complete");
    Ok(Held {
        offset: held.length,
        length: held.length,
        complete: true,
    })
}

/// The lengths of those of `shas` that are complete.
pub(crate) fn complete_lengths(
    conn: &rusqlite::Connection,
    shas: &[String],
) -> ApiResult<std::collections::HashMap<String, u64>> {
    let mut found = std::collections::HashMap::new();
    let mut stmt = conn.prepare("SELECT length FROM photo WHERE sha256 = ?1 AND complete = 1")?;
    for sha in shas {
        if let Some(length) = stmt.query_row([sha], |r| r.get::<_, i64>(0)).optional()? {
            found.insert(sha.clone(), length as u64);
        }
    }
    Ok(found)
}

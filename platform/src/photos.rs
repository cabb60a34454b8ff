//! Photos: resumable, content-addressed upload, verified by SHA-256.
//!
//! Owns the `photo` table (complete, verified photos) and the files `<ab>/<sha256>` they are
//! stored in, and the photo routes. While bytes arrive they belong to the uploading device's
//! partial ([`crate::photo_partials`]: appended and fsynced per chunk, so a restart resumes
//! where the last acknowledged chunk ended; other devices neither see nor touch it). When a
//! partial is whole its SHA-256 is checked and it becomes the shared, content-addressed photo
//! (rename + directory fsync, then one commit that also drops every device's partial of it):
//! the same photo uploaded by two reports or two devices is stored once. `HEAD
//! /v1/photos/{sha256}` says how many bytes the platform holds for the asking device; `PATCH`
//! appends from an offset. Writes take the photo's own lock, not a global one. It does not
//! link photos to reports: `reports` checks completeness at upload.

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension as _;

use crate::auth::Device;
use crate::photo_partials::{self as partials, Partial};
use crate::problem::{ApiError, ApiResult, Path as UrlPath};
use crate::{Inner, blocking, now_ms, read_body};

pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");

/// Creates the photo directories.
pub(crate) fn prepare(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir.join("partial"))
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

/// What the platform holds of a photo for one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub offset: u64,
    pub length: u64,
    pub complete: bool,
}

impl Held {
    fn whole(length: u64) -> Self {
        Self {
            offset: length,
            length,
            complete: true,
        }
    }
}

/// The length of the complete photo `sha`, `None` when it is not complete.
fn complete_length(inner: &Inner, sha: &str) -> ApiResult<Option<u64>> {
    inner.db.read(|c| {
        Ok(c.query_row(
            "SELECT length FROM photo WHERE sha256 = ?1 AND complete = 1",
            [sha],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .map(|l| l as u64))
    })
}

/// What `device` can build on: the complete photo, else its own partial that has not expired.
pub(crate) fn held(inner: &Inner, device: &str, sha: &str) -> ApiResult<Option<Held>> {
    if let Some(length) = complete_length(inner, sha)? {
        return Ok(Some(Held::whole(length)));
    }
    match partials::own(inner, device, sha)? {
        Some(partial) if !partials::expired(inner, &partial, now_ms()) => Ok(Some(Held {
            offset: partials::held_bytes(inner, &partial)?,
            length: partial.length,
            complete: false,
        })),
        _ => Ok(None),
    }
}

/// At open: finishes completions interrupted between the rename and the database commit,
/// removes partial files no row names and partials that expired while the platform was down.
pub(crate) fn reconcile(inner: &Inner) -> ApiResult<()> {
    for (sha, partial) in partials::without_file(inner)? {
        let done = final_path(inner, &sha);
        if complete_length(inner, &sha)?.is_some() {
            partials::discard(inner, &partial)?;
        } else if done.exists() {
            if fs::metadata(&done)?.len() == partial.length && hash_file(&done)? == sha {
                mark_complete(inner, &sha, partial.length)?;
            } else {
                fs::remove_file(&done)?;
            }
        }
    }
    partials::remove_unnamed_files(inner)?;
    partials::sweep(inner, now_ms())?;
    Ok(())
}

/// Records `sha` as complete and drops every device's partial of it (their files after the
/// commit: a crash in between leaves files no row names, removed at the next open).
fn mark_complete(inner: &Inner, sha: &str, length: u64) -> ApiResult<()> {
    let dropped = inner.db.write(|tx| {
        let dropped = partials::of_photo(tx, sha)?;
        tx.execute(
            "INSERT INTO photo (sha256, length, complete, created_at, completed_at)
             VALUES (?1, ?2, 1, ?3, ?3) ON CONFLICT (sha256) DO NOTHING",
            rusqlite::params![sha, length as i64, now_ms()],
        )?;
        tx.execute("DELETE FROM photo_partial WHERE sha256 = ?1", [sha])?;
        Ok(dropped)
    })?;
    for partial in dropped {
        partials::remove_file(&partials::path(inner, partial.id))?;
    }
    Ok(())
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

/// `HEAD /v1/photos/{sha256}`: 200 with `Upload-Offset` and `Upload-Length` (of the complete
/// photo, or of the asking device's own partial), or 404 — also to a device that neither sent
/// bytes of the photo nor had a report naming it stored.
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
        held(&state, &device.id, &sha)
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

/// 409 `upload_length_mismatch`: `Upload-Length` differs from the length of what is held.
/// Nothing changed; a PATCH from offset 0 with the right length starts over (an own partial)
/// or learns that the photo is complete.
fn length_conflict(held_length: u64) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "upload_length_mismatch",
        "Upload length differs",
        format!(
            "What is held of this photo has Upload-Length {held_length}; send from offset 0 to start over"
        ),
    )
    .with("upload_length", held_length)
    .with("upload_offset", 0)
}

/// `PATCH /v1/photos/{sha256}`: appends the body at `Upload-Offset` to the device's own
/// partial; when the photo is whole, verifies its SHA-256. 204 with the new `Upload-Offset`.
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
        partials::sweep_if_due(&state)?;
        let held = append(&state, &device.id, &sha, offset, length, &bytes)?;
        crate::binding::note_uploader(&state, &device.id, &sha)?;
        Ok(held)
    })
    .await?;
    Ok((StatusCode::NO_CONTENT, offset_headers(held)).into_response())
}

/// The partial a PATCH appends to: the device's own (a stale one, expired or of another length,
/// is started over from offset 0), or a new one. `None`: a new upload with no bytes yet, for
/// which nothing is created. The caller holds the photo's lock.
fn partial_for(
    inner: &Inner,
    device: &str,
    sha: &str,
    offset: u64,
    length: Option<u64>,
    bytes: &[u8],
) -> ApiResult<Option<Partial>> {
    let mut own = partials::own(inner, device, sha)?;
    if let Some(partial) = own
        && partials::expired(inner, &partial, now_ms())
    {
        partials::discard(inner, &partial)?;
        own = None;
    }
    if let (Some(partial), Some(length)) = (own, length)
        && length != partial.length
    {
        if offset != 0 {
            return Err(length_conflict(partial.length));
        }
        partials::discard(inner, &partial)?;
        own = None;
    }
    if own.is_some() {
        return Ok(own);
    }
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
    if offset != 0 {
        return Err(offset_conflict(Held {
            offset: 0,
            length,
            complete: false,
        }));
    }
    exceeds_length(offset, bytes, length)?;
    if bytes.is_empty() {
        return Ok(None);
    }
    partials::create(inner, device, sha, length).map(Some)
}

fn exceeds_length(offset: u64, bytes: &[u8], length: u64) -> ApiResult<()> {
    let end = offset + bytes.len() as u64;
    if end > length {
        return Err(ApiError::bad_request(
            "upload_exceeds_length",
            format!("The chunk ends at byte {end}, past the declared length {length}"),
        ));
    }
    Ok(())
}

fn append(
    inner: &Inner,
    device: &str,
    sha: &str,
    offset: u64,
    length: Option<u64>,
    bytes: &[u8],
) -> ApiResult<Held> {
    let _photo = inner.photo_locks.photo(sha);
    if let Some(total) = complete_length(inner, sha)? {
        if length.is_some_and(|l| l != total) {
            return Err(length_conflict(total));
        }
        return if offset == total && bytes.is_empty() {
            Ok(Held::whole(total))
        } else {
            Err(offset_conflict(Held::whole(total)))
        };
    }
    let Some(partial) = partial_for(inner, device, sha, offset, length, bytes)? else {
        return Ok(Held {
            offset: 0,
            length: length.unwrap_or(0),
            complete: false,
        });
    };
    let held = Held {
        offset: partials::held_bytes(inner, &partial)?,
        length: partial.length,
        complete: false,
    };
    if offset != held.offset {
        return Err(offset_conflict(held));
    }
    exceeds_length(offset, bytes, held.length)?;
    if bytes.is_empty() {
        return Ok(held);
    }
    let end = offset + bytes.len() as u64;
    let mut file = partials::open_for_append(inner, &partial)?;
    file.write_all(bytes)?;
    file.sync_data()?;
    drop(file);
    if end < held.length {
        return Ok(Held { offset: end, ..held });
    }
    let part = partials::path(inner, partial.id);
    if hash_file(&part)? != sha {
        partials::discard(inner, &partial)?;
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
    fsync_dir(&partials::dir(inner))?;
    mark_complete(inner, sha, held.length)?;
    tracing::info!(photo = %sha, bytes = held.length, "photo complete");
    Ok(Held::whole(held.length))
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

//! A draft's photos: intake through the media pipeline and attaching, removal, where a stored
//! photo read back (decrypted) for display, sealing the files of an earlier release, and pruning
//! the files nothing needs any more.
//!
//! Owns the link between a draft and the photo store (a processed photo becomes a
//! `DraftPhoto` with what its EXIF said). It does not process pixels (`media`) nor decide which
//! files are referenced (`capture`'s SQL).

use std::time::{Duration, SystemTime};

use crate::media::PhotoStore;
use crate::store::Store;

use super::{Client, now_ms};
use crate::capture::{self, Draft, DraftPhoto, PhotoKind};
use crate::media::PhotoPruneSummary;
use crate::taxonomy::MAX_PHOTOS;
use crate::{Error, Result};

/// How long a photo file nothing refers to may be in the middle of being added.
const PRUNE_GRACE: Duration = Duration::from_secs(3600);

/// How long full-size photos are kept after their report is delivered (see
/// [`Client::prune_photos`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoRetention {
    /// Days; negative is `InvalidArgument`.
    pub delivered_photo_days: i32,
}

fn too_many_photos() -> Error {
    Error::InvalidArgument {
        field: "photos",
        reason: format!("a report has at most {MAX_PHOTOS} photos"),
    }
}

impl Client {
    /// Processes a photo (JPEG or PNG) into the data directory and attaches it. Adding the same
    /// photo twice attaches it once.
    pub fn add_photo(&self, id: &str, image: &[u8], kind: PhotoKind) -> Result<DraftPhoto> {
        // Refused before the photo is processed (seconds of work on an old phone).
        if self.draft(id)?.content.photos.len() >= MAX_PHOTOS as usize {
            return Err(too_many_photos());
        }
        let processed = self.photos.add(image)?;
        let offset = self.capture_policy().exif_utc_offset_minutes;
        let photo = DraftPhoto {
            sha256: processed.sha256.clone(),
            kind,
            width: processed.width,
            height: processed.height,
            bytes: processed.bytes,
            original_width: processed.original_width,
            original_height: processed.original_height,
            exif_taken_at_ms: processed
                .exif
                .taken_at
                .as_ref()
                .and_then(|t| capture::exif_time_ms(t, offset)),
            exif_lat: processed.exif.gps.as_ref().map(|g| g.latitude),
            exif_lon: processed.exif.gps.as_ref().map(|g| g.longitude),
        };
        let attached = self.update_draft(id, |draft| {
            if !draft.content.photos.iter().any(|p| p.sha256 == photo.sha256) {
                if draft.content.photos.len() >= MAX_PHOTOS as usize {
                    return Err(too_many_photos());
                }
                draft.content.photos.push(photo.clone());
            }
            Ok(())
        });
        if let Err(error) = attached {
            // Not attached (e.g. the disk filled up): a file nothing refers to is not kept.
            let referenced = self
                .store
                .read(|c| capture::photo_is_referenced(c, &photo.sha256));
            if matches!(referenced, Ok(false)) {
                let _ = self.photos.remove(&photo.sha256);
            }
            return Err(error);
        }
        Ok(photo)
    }

    /// Frees disk on the phone: removes the photo files no report or draft refers to any more
    /// (discarded drafts, removed photos) and the full-size photos of reports delivered more
    /// than `retention.delivered_photo_days` days ago, whose thumbnails stay for the history
    /// screen. Drafts, pending and parked reports keep every file. A file written within the
    /// last hour is left alone (a photo being added is not referenced yet). It reads every
    /// report row: call it now and then, e.g. after a sync, not on a hot path.
    pub fn prune_photos(&self, retention: PhotoRetention) -> Result<PhotoPruneSummary> {
        if retention.delivered_photo_days < 0 {
            return Err(Error::InvalidArgument {
                field: "delivered_photo_days",
                reason: "must not be negative".into(),
            });
        }
        let delivered_since = now_ms() - i64::from(retention.delivered_photo_days) * 86_400_000;
        let (photos, thumbs) = self
            .store
            .read(|conn| capture::photo_references(conn, delivered_since))?;
        let untouched_since = SystemTime::now() - PRUNE_GRACE;
        let summary = self.photos.prune(&photos, &thumbs, untouched_since)?;
        tracing::info!(
            photos = summary.photos_removed,
            thumbs = summary.thumbs_removed,
            bytes = summary.bytes_freed,
            "photos pruned"
        );
        Ok(summary)
    }

    /// A stored photo's JPEG, for the app to display (the file itself is encrypted);
    /// `UnknownCode` when it is not stored, `Photo(Sealed)` when its file is damaged.
    pub fn photo_jpeg(&self, sha256: &str) -> Result<Vec<u8>> {
        self.read_stored(sha256, false)
    }

    /// The thumbnail JPEG of a stored photo (kept after the full-size photo is pruned).
    pub fn thumbnail_jpeg(&self, sha256: &str) -> Result<Vec<u8>> {
        self.read_stored(sha256, true)
    }

    fn read_stored(&self, sha256: &str, thumbnail: bool) -> Result<Vec<u8>> {
        let read = if thumbnail {
            self.photos.read_thumb(sha256)
        } else {
            self.photos.read(sha256)
        };
        match read {
            Err(crate::media::MediaError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::UnknownCode {
                    kind: "photo",
                    code: sha256.into(),
                })
            }
            other => Ok(other?),
        }
    }

    pub fn remove_photo(&self, id: &str, sha256: &str) -> Result<Draft> {
        self.update_draft(id, |draft| {
            let before = draft.content.photos.len();
            draft.content.photos.retain(|p| p.sha256 != sha256);
            if draft.content.photos.len() == before {
                return Err(Error::UnknownCode {
                    kind: "photo",
                    code: sha256.into(),
                });
            }
            Ok(())
        })
    }
}

/// The meta key set once every photo file of the directory is sealed.
const PHOTOS_SEALED: &str = "media.sealed";

/// At open: seals the plaintext photo files a release before encryption stored, once per
/// directory (the marker is set only after the last file, so a kill mid-way resumes).
pub(super) fn seal_legacy_photos(store: &Store, photos: &PhotoStore) -> Result<()> {
    if store
        .read(|conn| crate::sync::outbox::meta_get(conn, PHOTOS_SEALED))?
        .is_some()
    {
        return Ok(());
    }
    let sealed = photos.seal_plaintext_files()?;
    store.write(|tx| crate::sync::outbox::meta_set(tx, PHOTOS_SEALED, "1"))?;
    if sealed > 0 {
        tracing::info!(sealed, "plaintext photo files of an earlier release encrypted");
    }
    Ok(())
}

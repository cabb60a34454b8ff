//! Photo intake for field reports.
//!
//! Owns everything between "the app hands us a photo's bytes" and "a normalised JPEG and its
//! thumbnail sit content-addressed in the data directory": sniffing the format by magic bytes,
//! size and pixel limits checked from the header before decoding (bomb protection), decoding
//! (JPEG at a reduced DCT scale, PNG), EXIF orientation, downscaling, JPEG encoding with all
//! metadata stripped, SHA-256 hashing and atomic, idempotent storage ([`PhotoStore`]). It also
//! reads the EXIF capture time and GPS position before stripping them, and reports the
//! original dimensions.
//!
//! Every input is bounded before a decoder allocates: its byte size, its declared pixels and
//! the memory its decode will need, estimated from the header (`budget.rs`) and compared with
//! [`PhotoConfig::max_decode_bytes`]. JPEG processes we do not decode (lossless, hierarchical,
//! arithmetic, 12-bit) are refused from the frame header.
//!
//! Damaged evidence is refused, not passed on with a warning:
//! - a JPEG whose scan data ends before the image does ([`MediaError::Truncated`], found by a
//!   Huffman-only pass, `entropy.rs`): the decoder would invent the missing part as one flat
//!   colour, and a picture with an invented half is not evidence of anything; nothing a worker
//!   could acknowledge makes it one;
//! - a picture that is essentially one flat colour ([`MediaError::Uniform`]): it shows nothing
//!   (a covered lens, a zero-filled file). A warning would let it satisfy "a photo is required"
//!   with one tap, and the worker, standing at the spot, can take another at once. The
//!   threshold (every channel's standard deviation below 2 of 255) is far below what sensor
//!   noise gives, so no real photo of even the plainest wall is refused.
//!
//! It does not own validation rules (whether a photo is too small, too old or taken too far
//! from the asset is decided by the validation layer from what [`ProcessedPhoto`] reports),
//! nor upload, sync or the report records that reference photos by their SHA-256.

mod budget;
mod entropy;
mod error;
mod metadata;
mod pixels;
mod resample;
pub mod sealed;
mod sniff;
mod store;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bounds;
#[cfg(test)]
mod tests_png;
#[cfg(test)]
mod tests_resample;
#[cfg(test)]
mod tests_store;

use sha2::{Digest, Sha256};

pub use error::MediaError;
pub use metadata::{ExifDateTime, GpsPosition, PhotoExif};
pub use sniff::ImageFormat;
pub use store::{PhotoPruneSummary, PhotoStore};

/// Limits and output sizes of the photo pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoConfig {
    /// Inputs larger than this are refused with [`MediaError::TooLarge`] (default 50 MiB).
    pub max_input_bytes: u64,
    /// Inputs whose header declares more pixels are refused with
    /// [`MediaError::TooManyPixels`] before decoding (default 100 MP; baseline JPEGs are
    /// decoded at reduced scale so their memory stays near the output size).
    pub max_pixels: u64,
    /// Stricter pixel limit for inputs that must be decoded at full resolution: PNG and
    /// progressive JPEG (about 3-4 bytes per pixel of transient memory; default 24 MP).
    pub max_full_res_pixels: u64,
    /// Inputs whose decode would need more memory than this, input bytes included (estimated
    /// from the header), are refused with [`MediaError::TooMuchMemory`] before decoding
    /// (default 64 MiB: with the app's own memory a capture stays below 100 MB).
    pub max_decode_bytes: u64,
    /// Long edge of the stored photo (default 1920; smaller inputs are never upscaled).
    pub max_long_edge: u32,
    /// Long edge of the thumbnail, made from the stored photo (default 320).
    pub thumb_long_edge: u32,
    /// JPEG quality 1..=100 of both outputs (default 80).
    pub jpeg_quality: u8,
    /// Photos whose original short edge is below this are flagged by
    /// [`ProcessedPhoto::is_too_small`] (default 480). Processing still succeeds.
    pub min_short_edge: u32,
}

impl Default for PhotoConfig {
    fn default() -> Self {
        PhotoConfig {
            max_input_bytes: 50 * 1024 * 1024,
            max_pixels: 100_000_000,
            max_full_res_pixels: 24_000_000,
            max_decode_bytes: 64 * 1024 * 1024,
            max_long_edge: 1920,
            thumb_long_edge: 320,
            jpeg_quality: 80,
            min_short_edge: 480,
        }
    }
}

impl PhotoConfig {
    /// Checks that the values are usable (edges 1..=65535, thumbnail not larger than the
    /// photo, quality 1..=100).
    pub fn validate(&self) -> Result<(), MediaError> {
        let invalid = |reason: &str| {
            Err(MediaError::InvalidConfig {
                reason: reason.to_owned(),
            })
        };
        if !(1..=65535).contains(&self.max_long_edge) {
            return invalid("max_long_edge must be 1..=65535");
        }
        if !(1..=self.max_long_edge).contains(&self.thumb_long_edge) {
            return invalid("thumb_long_edge must be 1..=max_long_edge");
        }
        if !(1..=100).contains(&self.jpeg_quality) {
            return invalid("jpeg_quality must be 1..=100");
        }
        Ok(())
    }
}

/// What intake made of one photo. Dimensions are as displayed, i.e. after EXIF orientation.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedPhoto {
    /// Lowercase hex SHA-256 of the stored JPEG; the photo's id in the store.
    pub sha256: String,
    /// Size of the stored JPEG in bytes.
    pub bytes: u64,
    /// Width of the stored JPEG.
    pub width: u32,
    /// Height of the stored JPEG.
    pub height: u32,
    /// Lowercase hex SHA-256 of the thumbnail JPEG (stored under the photo's id).
    pub thumb_sha256: String,
    /// Size of the thumbnail in bytes.
    pub thumb_bytes: u64,
    /// Width of the thumbnail.
    pub thumb_width: u32,
    /// Height of the thumbnail.
    pub thumb_height: u32,
    /// Width of the input as displayed (after orientation).
    pub original_width: u32,
    /// Height of the input as displayed (after orientation).
    pub original_height: u32,
    /// Format detected from the input's magic bytes.
    pub original_format: ImageFormat,
    /// EXIF facts read from the input (not present in the stored files).
    pub exif: PhotoExif,
}

impl ProcessedPhoto {
    /// True when the original's short edge is below `config.min_short_edge`; the validation
    /// layer turns this into a validation error.
    pub fn is_too_small(&self, config: &PhotoConfig) -> bool {
        self.original_width.min(self.original_height) < config.min_short_edge
    }
}

/// The encoded outputs of [`process`] and their description.
#[derive(Debug, Clone)]
pub struct ProcessedImages {
    /// The normalised photo: JPEG, upright, long edge <= `max_long_edge`, no metadata.
    pub photo_jpeg: Vec<u8>,
    /// The thumbnail: JPEG, long edge <= `thumb_long_edge`, no metadata.
    pub thumb_jpeg: Vec<u8>,
    /// Hashes, sizes, dimensions and EXIF facts.
    pub meta: ProcessedPhoto,
}

/// Reads a photo file for [`process`], refusing it with [`MediaError::TooLarge`] as soon as it
/// passes `config.max_input_bytes`: never more than the limit plus one byte is read, so a 2 GB
/// file or `/dev/zero` costs nothing. Every path-taking intake (the CLI, test tools) reads
/// through here; open and read errors are [`MediaError::Io`].
pub fn read_photo_file(path: &std::path::Path, config: &PhotoConfig) -> Result<Vec<u8>, MediaError> {
    use std::io::Read;
    let limit = config.max_input_bytes;
    let file = std::fs::File::open(path)?;
    let declared = file.metadata()?.len();
    if declared > limit {
        return Err(MediaError::TooLarge {
            bytes: declared,
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        // A device or a growing file whose size the metadata did not tell.
        return Err(MediaError::TooLarge {
            bytes: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The whole pipeline in memory, without touching the disk: limits, decode, orient, resize,
/// encode, hash. [`PhotoStore::add`] calls this and then writes the results.
pub fn process(input: &[u8], config: &PhotoConfig) -> Result<ProcessedImages, MediaError> {
    config.validate()?;
    if input.is_empty() {
        return Err(MediaError::Empty);
    }
    let bytes = input.len() as u64;
    if bytes > config.max_input_bytes {
        return Err(MediaError::TooLarge {
            bytes,
            limit: config.max_input_bytes,
        });
    }
    let header = sniff::read_header(input)?;
    let full_res = header.format == ImageFormat::Png || header.progressive;
    let limit = if full_res {
        config.max_pixels.min(config.max_full_res_pixels)
    } else {
        config.max_pixels
    };
    if u64::from(header.width) * u64::from(header.height) > limit {
        return Err(MediaError::TooManyPixels {
            width: header.width,
            height: header.height,
            limit,
        });
    }
    let needed = budget::estimate(&header, bytes, config.max_long_edge);
    if needed > config.max_decode_bytes {
        const MIB: u64 = 1024 * 1024;
        return Err(MediaError::TooMuchMemory {
            needed_mib: needed.div_ceil(MIB),
            limit_mib: config.max_decode_bytes / MIB,
        });
    }
    // The completeness pass is a second Huffman decode: it runs beside the decoder, on a
    // scoped thread, so it costs no wall time on a phone's several cores. A file far too small
    // for its pixels (a header bomb) is checked first, so it is never decoded at all.
    let jpeg = header.format == ImageFormat::Jpeg;
    let pixels_declared = u64::from(header.width) * u64::from(header.height);
    if jpeg && bytes < pixels_declared / 100 {
        entropy::check(input)?;
    }
    let exif = metadata::read_exif(header.exif);

    // The decoders' own allocation caps, a second line behind the estimate.
    let decode_budget = config.max_decode_bytes;
    let (width, height) = pixels::fit_long_edge(header.width, header.height, config.max_long_edge);
    let (complete, decoded) = std::thread::scope(|scope| {
        let check = (jpeg && bytes >= pixels_declared / 100).then(|| scope.spawn(|| entropy::check(input)));
        let decoded = match header.format {
            ImageFormat::Jpeg => pixels::decode_jpeg(
                input,
                config.max_long_edge,
                usize::try_from(decode_budget).unwrap_or(usize::MAX),
            ),
            ImageFormat::Png => pixels::decode_png(input, decode_budget),
        };
        let complete = check.map_or(Ok(()), |check| {
            check
                .join()
                .unwrap_or_else(|_| Err(MediaError::corrupt("JPEG image data is damaged")))
        });
        (complete, decoded)
    });
    // The pass's verdict first: a cut file is `Truncated` whatever the decoder made of it.
    complete?;
    let decoded = decoded?;
    let resized = if (decoded.width, decoded.height) == (width, height) {
        decoded
    } else {
        let resized = pixels::resize(&decoded, width, height)?;
        drop(decoded);
        resized
    };
    let photo = pixels::orient(resized, exif.orientation);
    let (thumb_w, thumb_h) = pixels::fit_long_edge(photo.width, photo.height, config.thumb_long_edge);
    // The photo's encode (the longest step after decoding) runs on a scoped thread while this
    // one checks the photo and makes the thumbnail; a uniform photo wastes that encode, which
    // is rare and still refused below.
    let (photo_jpeg, thumb) = std::thread::scope(|scope| {
        let encoding = scope.spawn(|| pixels::encode_jpeg(&photo, config.jpeg_quality));
        // On the stored photo, not the thumbnail: a fine texture averages out at 320 px.
        let thumb = if pixels::is_uniform(&photo) {
            Err(MediaError::Uniform)
        } else {
            pixels::resize(&photo, thumb_w, thumb_h)
        };
        // A panic in the encoder goes on up as it did when the encode ran on this thread.
        let photo_jpeg = encoding
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (photo_jpeg, thumb)
    });
    let thumb = thumb?;
    let photo_jpeg = photo_jpeg?;
    let thumb_jpeg = pixels::encode_jpeg(&thumb, config.jpeg_quality)?;

    let swaps = exif.orientation >= 5;
    let (original_width, original_height) = if swaps {
        (header.height, header.width)
    } else {
        (header.width, header.height)
    };
    let meta = ProcessedPhoto {
        sha256: sha256_hex(&photo_jpeg),
        bytes: photo_jpeg.len() as u64,
        width: photo.width,
        height: photo.height,
        thumb_sha256: sha256_hex(&thumb_jpeg),
        thumb_bytes: thumb_jpeg.len() as u64,
        thumb_width: thumb.width,
        thumb_height: thumb.height,
        original_width,
        original_height,
        original_format: header.format,
        exif,
    };
    Ok(ProcessedImages {
        photo_jpeg,
        thumb_jpeg,
        meta,
    })
}

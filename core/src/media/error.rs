//! Typed errors of photo intake. Messages name formats, sizes and limits only: never photo
//! bytes, file names, EXIF contents or anything else that could be personal data.

/// Why a photo could not be taken in or read back.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The input has no bytes at all.
    #[error("the photo is empty (0 bytes)")]
    Empty,

    /// The input is a recognised image format that the pipeline does not accept.
    #[error(
        "unsupported photo format: {detected}; only JPEG and PNG are accepted, the app must convert the photo to JPEG before adding it"
    )]
    UnsupportedFormat {
        /// The format recognised from the magic bytes (e.g. "HEIC", "WebP", "GIF", "unknown").
        detected: String,
    },

    /// The input is larger than [`PhotoConfig::max_input_bytes`](crate::media::PhotoConfig).
    #[error("the photo is larger than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input (when read from a file of unknown size: the bytes read, limit + 1).
        bytes: u64,
        /// The configured limit.
        limit: u64,
    },

    /// The header declares more pixels than allowed; refused before decoding.
    #[error("the photo declares {width} x {height} pixels, more than the limit of {limit} pixels")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The pixel limit that applied.
        limit: u64,
    },

    /// A JPEG coded with a process the pipeline does not decode (lossless, hierarchical,
    /// arithmetic-coded, 12-bit, unusual component counts or subsampling); refused from the
    /// header, before decoding. Cameras never write these.
    #[error("this JPEG type ({kind}) is not supported; take the photo with the phone's camera app")]
    UnsupportedJpeg {
        /// Plain words for the JPEG type, e.g. "lossless", "12-bit".
        kind: &'static str,
    },

    /// Decoding would need more memory than [`PhotoConfig::max_decode_bytes`](crate::media::PhotoConfig)
    /// (estimated from the header, input bytes included); refused before decoding.
    #[error(
        "this photo would need about {needed_mib} MiB of memory to read, more than the limit of {limit_mib} MiB; take the photo with the phone's camera app"
    )]
    TooMuchMemory {
        /// The estimate, MiB rounded up.
        needed_mib: u64,
        /// The configured budget in MiB.
        limit_mib: u64,
    },

    /// The file ends before the image does (a cut-off or partly copied file), in its header or
    /// in its image data: part of the picture would be invented by the decoder.
    #[error("the photo is incomplete: the file ends before the picture does (cut off or partly copied)")]
    Truncated,

    /// The decoded picture is one flat colour: it shows nothing (a covered lens, a blank
    /// or damaged file).
    #[error("the photo is one flat colour and shows nothing; take it again")]
    Uniform,

    /// The bytes claim to be JPEG or PNG but cannot be decoded (truncated, damaged, invalid).
    #[error("the photo is damaged or truncated: {reason}")]
    Corrupt {
        /// What was wrong, in fixed words of ours (never decoder text or input bytes).
        reason: String,
    },

    /// [`PhotoConfig`](crate::media::PhotoConfig) holds values the pipeline cannot work with.
    #[error("invalid photo configuration: {reason}")]
    InvalidConfig {
        /// Which value is out of range.
        reason: String,
    },

    /// A photo id passed to the store is not a lowercase hex SHA-256.
    #[error("invalid photo id: expected 64 lowercase hex characters")]
    InvalidPhotoId,

    /// Encoding the output JPEG failed.
    #[error("encoding the stored JPEG failed: {reason}")]
    Encode {
        /// Encoder message.
        reason: String,
    },

    /// Reading or writing the photo store failed.
    /// A stored (encrypted) photo file does not open: damaged, cut, reordered or not ours.
    #[error("the stored photo file does not open: {0}")]
    Sealed(#[from] super::sealed::SealError),

    #[error("photo store I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    /// A stable machine code for the kind of failure (apps and the CLI switch on it).
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::Empty => "empty",
            MediaError::UnsupportedFormat { .. } => "unsupported_format",
            MediaError::TooLarge { .. } => "too_large",
            MediaError::TooManyPixels { .. } => "too_many_pixels",
            MediaError::UnsupportedJpeg { .. } => "unsupported_jpeg",
            MediaError::TooMuchMemory { .. } => "too_much_memory",
            MediaError::Truncated => "truncated",
            MediaError::Uniform => "uniform",
            MediaError::Corrupt { .. } => "corrupt",
            MediaError::InvalidConfig { .. } => "invalid_config",
            MediaError::InvalidPhotoId => "invalid_photo_id",
            MediaError::Encode { .. } => "encode",
            MediaError::Sealed(_) => "sealed_file_damaged",
            MediaError::Io(_) => "io",
        }
    }

    pub(crate) fn corrupt(reason: &'static str) -> Self {
        MediaError::Corrupt {
            reason: reason.to_owned(),
        }
    }
}

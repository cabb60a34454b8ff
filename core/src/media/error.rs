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
    #[error("the photo is {bytes} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
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

    /// The bytes claim to be JPEG or PNG but cannot be decoded (truncated, damaged, invalid).
    #[error("the photo is damaged or truncated: {reason}")]
    Corrupt {
        /// What was wrong, in decoder terms.
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
            MediaError::Corrupt { .. } => "corrupt",
            MediaError::InvalidConfig { .. } => "invalid_config",
            MediaError::InvalidPhotoId => "invalid_photo_id",
            MediaError::Encode { .. } => "encode",
            MediaError::Io(_) => "io",
        }
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> Self {
        MediaError::Corrupt {
            reason: reason.into(),
        }
    }
}

//! Format sniffing by magic bytes and header parsing without decoding: dimensions (for the
//! bomb check), progressive flag and the raw EXIF block, all read from a few header bytes.

use super::error::MediaError;

/// The formats the pipeline accepts as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (baseline, extended or progressive, Huffman-coded).
    Jpeg,
    /// PNG (any bit depth and colour type).
    Png,
}

impl ImageFormat {
    /// Short human name ("JPEG", "PNG").
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
        }
    }
}

impl std::fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the header says, before any pixel is decoded.
#[derive(Debug, Clone)]
pub(crate) struct Header<'a> {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// Progressive JPEG: the decoder keeps all coefficients at full resolution.
    pub progressive: bool,
    /// TIFF-structured EXIF block (JPEG APP1 "Exif\0\0" payload or PNG eXIf chunk).
    pub exif: Option<&'a [u8]>,
}

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Identifies the format by magic bytes (never by file name) and reads the header.
pub(crate) fn read_header(input: &[u8]) -> Result<Header<'_>, MediaError> {
    if input.is_empty() {
        return Err(MediaError::Empty);
    }
    if input.starts_with(&[0xFF, 0xD8]) {
        return jpeg_header(input);
    }
    if input.starts_with(PNG_SIGNATURE) {
        return png_header(input);
    }
    Err(MediaError::UnsupportedFormat {
        detected: detect_other(input).to_owned(),
    })
}

/// Names formats we recognise but do not accept.
fn detect_other(b: &[u8]) -> &'static str {
    let at = |range: std::ops::Range<usize>| b.get(range).unwrap_or(&[]);
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return "GIF";
    }
    if b.starts_with(b"RIFF") && at(8..12) == b"WEBP" {
        return "WebP";
    }
    if at(4..8) == b"ftyp" {
        return match at(8..12) {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs" | b"mif1"
            | b"msf1" => "HEIC",
            b"avif" | b"avis" => "AVIF",
            b"crx " => "Canon CR3 raw",
            _ => "ISO media (MP4/MOV video or other)",
        };
    }
    if b.starts_with(b"\0\0\0\x0cjP  ") {
        return "JPEG 2000";
    }
    if b.starts_with(&[0xFF, 0x0A]) || b.starts_with(b"\0\0\0\x0cJXL ") {
        return "JPEG XL";
    }
    if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        return "TIFF (or camera raw)";
    }
    if b.starts_with(b"BM") {
        return "BMP";
    }
    if b.starts_with(b"%PDF") {
        return "PDF";
    }
    if b.starts_with(&[0, 0, 1, 0]) {
        return "ICO";
    }
    "unknown"
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn truncated_header() -> MediaError {
    MediaError::corrupt("JPEG truncated before its frame header")
}

/// Walks JPEG marker segments up to the frame header (SOFn).
fn jpeg_header(b: &[u8]) -> Result<Header<'_>, MediaError> {
    let mut i = 2;
    let mut exif = None;
    loop {
        match b.get(i) {
            None => return Err(truncated_header()),
            Some(0xFF) => {}
            Some(_) => {
                return Err(MediaError::corrupt("JPEG marker expected, found other data"));
            }
        }
        while b.get(i) == Some(&0xFF) {
            i += 1; // marker and fill bytes
        }
        let marker = *b.get(i).ok_or_else(truncated_header)?;
        i += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue, // standalone markers without a length
            0xD8 => {
                return Err(MediaError::corrupt("JPEG has a second start-of-image marker"));
            }
            0xD9 => return Err(MediaError::corrupt("JPEG ends before any image frame")),
            0xDA => {
                return Err(MediaError::corrupt("JPEG scan data before its frame header"));
            }
            0x00 => return Err(MediaError::corrupt("JPEG has an invalid marker")),
            _ => {}
        }
        let len = usize::from(be16(b, i).ok_or_else(truncated_header)?);
        if len < 2 {
            return Err(MediaError::corrupt("JPEG segment with an invalid length"));
        }
        let end = i + len;
        let payload = b.get(i + 2..end).ok_or_else(truncated_header)?;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let (Some(height), Some(width)) = (be16(payload, 1), be16(payload, 3)) else {
                    return Err(MediaError::corrupt("JPEG frame header too short"));
                };
                if width == 0 || height == 0 {
                    return Err(MediaError::corrupt(
                        "JPEG frame header declares a zero width or height",
                    ));
                }
                return Ok(Header {
                    format: ImageFormat::Jpeg,
                    width: u32::from(width),
                    height: u32::from(height),
                    progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                    exif,
                });
            }
            0xE1 if exif.is_none() => {
                if let Some(tiff) = payload.strip_prefix(b"Exif\0\0") {
                    exif = Some(tiff);
                }
            }
            _ => {}
        }
        i = end;
    }
}

/// Reads IHDR (which PNG requires to be the first chunk) and locates an eXIf chunk.
fn png_header(b: &[u8]) -> Result<Header<'_>, MediaError> {
    let truncated = || MediaError::corrupt("PNG truncated inside its header");
    if b.get(12..16).ok_or_else(truncated)? != b"IHDR" {
        return Err(MediaError::corrupt("PNG does not start with an IHDR chunk"));
    }
    let width = be32(b, 16).ok_or_else(truncated)?;
    let height = be32(b, 20).ok_or_else(truncated)?;
    if width == 0 || height == 0 {
        return Err(MediaError::corrupt("PNG header declares a zero width or height"));
    }
    // Walk the chunk list (lengths only, no data is read) for eXIf.
    let mut exif = None;
    let mut at = 8usize;
    while let (Some(len), Some(kind)) = (be32(b, at), b.get(at + 4..at + 8)) {
        let data_start = at + 8;
        let Some(data_end) = data_start.checked_add(len as usize) else {
            break;
        };
        if kind == b"eXIf" {
            exif = b.get(data_start..data_end);
            break;
        }
        if kind == b"IEND" {
            break;
        }
        at = data_end + 4; // skip CRC
    }
    Ok(Header {
        format: ImageFormat::Png,
        width,
        height,
        progressive: false,
        exif,
    })
}

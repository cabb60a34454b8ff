//! Format sniffing by magic bytes and header parsing without decoding: dimensions (for the
//! bomb check), the JPEG coding process and components, the PNG pixel layout (for the memory
//! estimate) and the raw EXIF block, all read from a few header bytes. JPEG processes the
//! decoder cannot or should not handle are refused here, before any decoder sees the bytes.

use super::error::MediaError;

/// The formats the pipeline accepts as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (baseline, extended or progressive, Huffman-coded, 8-bit).
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
    /// JPEG only: the frame's components as (horizontal, vertical) sampling factors.
    pub sampling: Vec<(u8, u8)>,
    /// PNG only: the IHDR pixel layout.
    pub png: Option<PngLayout>,
    /// TIFF-structured EXIF block (JPEG APP1 "Exif\0\0" payload or PNG eXIf chunk).
    pub exif: Option<&'a [u8]>,
}

/// What a PNG's IHDR says about its pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PngLayout {
    pub bit_depth: u8,
    /// 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.
    pub color_type: u8,
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

/// A file cut inside its header is as incomplete as one cut inside its image data.
fn truncated_header() -> MediaError {
    MediaError::Truncated
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
                return frame_header(marker, payload, exif);
            }
            // DHP: the start of a hierarchical image.
            0xDE => return Err(MediaError::UnsupportedJpeg { kind: "hierarchical" }),
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

/// Checks the frame header (SOFn payload) for a process we decode and reads its layout.
fn frame_header<'a>(marker: u8, payload: &[u8], exif: Option<&'a [u8]>) -> Result<Header<'a>, MediaError> {
    let unsupported = |kind| Err(MediaError::UnsupportedJpeg { kind });
    match marker {
        0xC3 => return unsupported("lossless"),
        0xC5..=0xC7 => return unsupported("hierarchical"),
        0xC9..=0xCF => return unsupported("arithmetic-coded"),
        _ => {} // C0 baseline, C1 extended, C2 progressive (Huffman)
    }
    let (Some(&precision), Some(height), Some(width), Some(&count)) = (
        payload.first(),
        be16(payload, 1),
        be16(payload, 3),
        payload.get(5),
    ) else {
        return Err(MediaError::corrupt("JPEG frame header too short"));
    };
    if width == 0 || height == 0 {
        return Err(MediaError::corrupt(
            "JPEG frame header declares a zero width or height",
        ));
    }
    if precision != 8 {
        return unsupported(if precision == 12 {
            "12-bit"
        } else {
            "unusual precision"
        });
    }
    if !matches!(count, 1 | 3 | 4) {
        return unsupported("unusual number of colour components");
    }
    let mut sampling = Vec::with_capacity(usize::from(count));
    for c in 0..usize::from(count) {
        let Some(&factors) = payload.get(6 + 3 * c + 1) else {
            return Err(MediaError::corrupt("JPEG frame header too short"));
        };
        let (h, v) = (factors >> 4, factors & 0x0F);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(MediaError::corrupt(
                "JPEG frame header has invalid sampling factors",
            ));
        }
        sampling.push((h, v));
    }
    Ok(Header {
        format: ImageFormat::Jpeg,
        width: u32::from(width),
        height: u32::from(height),
        progressive: marker == 0xC2,
        sampling,
        png: None,
        exif,
    })
}

/// Reads IHDR (which PNG requires to be the first chunk) and locates an eXIf chunk.
fn png_header(b: &[u8]) -> Result<Header<'_>, MediaError> {
    let truncated = || MediaError::Truncated;
    if b.get(12..16).ok_or_else(truncated)? != b"IHDR" {
        return Err(MediaError::corrupt("PNG does not start with an IHDR chunk"));
    }
    let width = be32(b, 16).ok_or_else(truncated)?;
    let height = be32(b, 20).ok_or_else(truncated)?;
    let (Some(&bit_depth), Some(&color_type), Some(&interlace)) = (b.get(24), b.get(25), b.get(28)) else {
        return Err(truncated());
    };
    let valid_depth = match color_type {
        0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(bit_depth, 8 | 16),
        _ => false,
    };
    if !valid_depth || interlace > 1 {
        return Err(MediaError::corrupt("PNG header declares an invalid pixel layout"));
    }
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
        sampling: Vec::new(),
        png: Some(PngLayout {
            bit_depth,
            color_type,
        }),
        exif,
    })
}

//! Pixel work: decode (JPEG at a reduced DCT scale, PNG in full), resize, orient, encode.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::error::MediaError;
use super::resample;

/// Interleaved 8-bit pixels, 1 (grey) or 3 (RGB) channels, rows packed without padding.
#[derive(Debug, Clone)]
pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: usize,
    pub data: Vec<u8>,
}

impl Raster {
    fn checked(width: u32, height: u32, channels: usize, data: Vec<u8>) -> Result<Self, MediaError> {
        if width == 0 || height == 0 || data.len() != width as usize * height as usize * channels {
            return Err(MediaError::corrupt(
                "decoder returned an inconsistent pixel buffer",
            ));
        }
        Ok(Raster {
            width,
            height,
            channels,
            data,
        })
    }
}

/// Runs third-party decoding code; a panic inside it becomes `Corrupt` instead of unwinding
/// into the app (the crate is built with `panic = "unwind"`).
fn guarded<T>(what: &'static str, f: impl FnOnce() -> Result<T, MediaError>) -> Result<T, MediaError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(MediaError::corrupt(what)))
}

/// Decoder errors in our own fixed words: decoder text can quote input values and Debug output
/// of its internals means nothing to a worker.
fn map_jpeg_error(e: jpeg_decoder::Error) -> MediaError {
    match e {
        // The header check refuses these first; this is the decoder's second opinion.
        jpeg_decoder::Error::Unsupported(_) => MediaError::UnsupportedJpeg {
            kind: "unusual coding",
        },
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::Truncated
        }
        jpeg_decoder::Error::Io(_) | jpeg_decoder::Error::Format(_) => {
            MediaError::corrupt("JPEG image data is damaged")
        }
        jpeg_decoder::Error::Internal(_) => MediaError::corrupt("JPEG could not be decoded"),
    }
}

/// Decodes a JPEG at the smallest DCT scale (1/8, 1/4, 1/2, 1/1) whose long edge is still
/// at least `min_long_edge`, so a 12-MP photo headed for 1920 px is decoded at 1/2 size.
pub(crate) fn decode_jpeg(
    input: &[u8],
    min_long_edge: u32,
    max_output_bytes: usize,
) -> Result<Raster, MediaError> {
    guarded("JPEG decoder failed on malformed data", || {
        let mut decoder = jpeg_decoder::Decoder::new(input);
        decoder.set_max_decoding_buffer_size(max_output_bytes);
        let request = u16::try_from(min_long_edge).unwrap_or(u16::MAX);
        let (width, height) = decoder.scale(request, request).map_err(map_jpeg_error)?;
        let data = decoder.decode().map_err(map_jpeg_error)?;
        let info = decoder
            .info()
            .ok_or_else(|| MediaError::corrupt("JPEG has no frame"))?;
        drop(decoder); // its planes and coefficients, before any conversion
        let (width, height) = (u32::from(width), u32::from(height));
        match info.pixel_format {
            jpeg_decoder::PixelFormat::RGB24 => Raster::checked(width, height, 3, data),
            jpeg_decoder::PixelFormat::L8 => Raster::checked(width, height, 1, data),
            jpeg_decoder::PixelFormat::CMYK32 => {
                // The decoder yields real (non-inverted) CMYK; naive conversion to RGB.
                let rgb = data
                    .chunks_exact(4)
                    .flat_map(|p| {
                        let k = 255 - u16::from(p[3]);
                        [p[0], p[1], p[2]].map(|c| ((255 - u16::from(c)) * k / 255) as u8)
                    })
                    .collect();
                drop(data);
                Raster::checked(width, height, 3, rgb)
            }
            jpeg_decoder::PixelFormat::L16 => Err(MediaError::UnsupportedJpeg { kind: "16-bit" }),
        }
    })
}

/// Decodes a PNG in full (PNG has no reduced-scale decoding); alpha is flattened onto white,
/// 16-bit samples are reduced to 8 bits (rounded, `(v + 128) / 257`), palettes and low bit
/// depths expanded. Grey without alpha stays one channel; everything else becomes RGB.
///
/// Straight on the `png` crate rather than through `image`: `image`'s run-time-typed
/// `DynamicImage` conversions instantiate every pixel type and its colour management, which
/// was dead weight in the shipped library.
pub(crate) fn decode_png(input: &[u8], max_alloc: u64) -> Result<Raster, MediaError> {
    let too_big = || MediaError::corrupt("PNG needs more memory than its header says");
    let map_error = |e: png::DecodingError| match e {
        png::DecodingError::LimitsExceeded => too_big(),
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::Truncated
        }
        _ => MediaError::corrupt("PNG image data is damaged"),
    };
    guarded("PNG decoder failed on malformed data", || {
        let max_bytes = usize::try_from(max_alloc).unwrap_or(usize::MAX);
        let mut decoder =
            png::Decoder::new_with_limits(std::io::Cursor::new(input), png::Limits { bytes: max_bytes });
        decoder.set_ignore_text_chunk(false);
        // 16-bit samples are kept (reduced with rounding below); palettes and 1/2/4-bit
        // samples become 8-bit grey, RGB or RGBA.
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().map_err(map_error)?;
        let (color, depth) = reader.output_color_type();
        let (samples, has_alpha) = match color {
            png::ColorType::Grayscale => (1, false),
            png::ColorType::GrayscaleAlpha => (2, true),
            png::ColorType::Rgb => (3, false),
            png::ColorType::Rgba => (4, true),
            png::ColorType::Indexed => {
                return Err(MediaError::UnsupportedFormat {
                    detected: "PNG variant".to_owned(),
                });
            }
        };
        let sample_bytes = match depth {
            png::BitDepth::Eight => 1,
            png::BitDepth::Sixteen => 2,
            _ => {
                return Err(MediaError::UnsupportedFormat {
                    detected: "PNG variant".to_owned(),
                });
            }
        };
        let size = reader.output_buffer_size().ok_or_else(too_big)?;
        if size as u64 > max_alloc {
            return Err(too_big());
        }
        let mut data = vec![0u8; size];
        let frame = reader.next_frame(&mut data).map_err(map_error)?;
        drop(reader);
        data.truncate(frame.buffer_size());
        let (width, height) = (frame.width, frame.height);
        let channels = if samples == 1 { 1 } else { 3 };
        if sample_bytes == 1 && !has_alpha {
            return Raster::checked(width, height, channels, data);
        }
        Raster::checked(
            width,
            height,
            channels,
            to_opaque_8bit(data, samples, sample_bytes),
        )
    })
}

/// 8-bit grey, RGB or RGB-flattened-onto-white samples of decoded PNG pixels (`samples`
/// interleaved samples a pixel, big-endian when `sample_bytes` is 2). Grey with alpha becomes
/// RGB. Converted in place where a pixel does not grow (all but 8-bit grey with alpha).
fn to_opaque_8bit(mut data: Vec<u8>, samples: usize, sample_bytes: usize) -> Vec<u8> {
    let has_alpha = samples.is_multiple_of(2);
    let colours = samples - usize::from(has_alpha);
    let out_channels = if samples == 1 { 1 } else { 3 };
    let pixel_bytes = samples * sample_bytes;
    let pixels = data.len() / pixel_bytes;
    let sample = |px: &[u8], i: usize| -> u32 {
        if sample_bytes == 2 {
            // Rounded to the nearest of 255 levels.
            (u32::from(u16::from_be_bytes([px[2 * i], px[2 * i + 1]])) + 128) / 257
        } else {
            u32::from(px[i])
        }
    };
    let flatten = |v: u32, a: u32| ((v * a + 255 * (255 - a) + 127) / 255) as u8;
    let pixel = |px: &[u8], out: &mut [u8]| {
        let alpha = if has_alpha { sample(px, colours) } else { 255 };
        for (c, o) in out.iter_mut().enumerate() {
            let v = sample(px, if colours == 1 { 0 } else { c });
            *o = if has_alpha { flatten(v, alpha) } else { v as u8 };
        }
    };
    if pixel_bytes < out_channels {
        let mut out = vec![0u8; pixels * out_channels];
        for (px, o) in data
            .chunks_exact(pixel_bytes)
            .zip(out.chunks_exact_mut(out_channels))
        {
            pixel(px, o);
        }
        return out;
    }
    // Pixel i's output ends at (i + 1) * out_channels, never past its own input's end, so no
    // later pixel is overwritten before it is read.
    let mut px = [0u8; 8];
    for i in 0..pixels {
        px[..pixel_bytes].copy_from_slice(&data[i * pixel_bytes..(i + 1) * pixel_bytes]);
        pixel(
            &px[..pixel_bytes],
            &mut data[i * out_channels..(i + 1) * out_channels],
        );
    }
    data.truncate(pixels * out_channels);
    data
}

/// Whether every channel's standard deviation is below 2 levels of 255: a picture that shows
/// nothing (zero-filled data, a covered lens). Camera noise alone stays well above that.
pub(crate) fn is_uniform(src: &Raster) -> bool {
    let pixels = (src.width as usize * src.height as usize).max(1) as f64;
    (0..src.channels).all(|c| {
        let (mut sum, mut squares) = (0u64, 0u64);
        for &v in src.data.iter().skip(c).step_by(src.channels) {
            sum += u64::from(v);
            squares += u64::from(v) * u64::from(v);
        }
        let mean = sum as f64 / pixels;
        let variance = squares as f64 / pixels - mean * mean;
        variance < 4.0
    })
}

/// Dimensions that fit `long_edge` keeping the aspect ratio; never larger than the input.
pub(crate) fn fit_long_edge(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_edge {
        return (width, height);
    }
    let scale = f64::from(long_edge) / f64::from(long);
    let short = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, long_edge);
    if width >= height {
        (long_edge, short(height))
    } else {
        (short(width), long_edge)
    }
}

/// Resamples to exactly `width` x `height` with our Lanczos3 convolution (`resample.rs`).
pub(crate) fn resize(src: &Raster, width: u32, height: u32) -> Result<Raster, MediaError> {
    let data = resample::lanczos3_resize(&src.data, src.width, src.height, src.channels, width, height)
        .ok_or_else(|| MediaError::corrupt("resize failed"))?;
    Ok(Raster {
        width,
        height,
        channels: src.channels,
        data,
    })
}

/// Applies EXIF orientation `1..=8` so the pixels are stored upright.
pub(crate) fn orient(src: Raster, orientation: u16) -> Raster {
    if !(2..=8).contains(&orientation) {
        return src;
    }
    let (w, h, ch) = (src.width as usize, src.height as usize, src.channels);
    let swaps = orientation >= 5;
    let (dw, dh) = if swaps { (h, w) } else { (w, h) };
    let mut data = vec![0u8; src.data.len()];
    // Source (column, row) for destination (x, y), per EXIF orientation.
    let source = |x: usize, y: usize| -> (usize, usize) {
        match orientation {
            2 => (w - 1 - x, y),
            3 => (w - 1 - x, h - 1 - y),
            4 => (x, h - 1 - y),
            5 => (y, x),
            6 => (y, h - 1 - x),
            7 => (w - 1 - y, h - 1 - x),
            _ => (w - 1 - y, x), // 8
        }
    };
    // Tiles keep both the read and the write side cache-friendly when rows become columns.
    const TILE: usize = 64;
    for ty in (0..dh).step_by(TILE) {
        for tx in (0..dw).step_by(TILE) {
            for y in ty..(ty + TILE).min(dh) {
                for x in tx..(tx + TILE).min(dw) {
                    let (sx, sy) = source(x, y);
                    let s = (sy * w + sx) * ch;
                    let d = (y * dw + x) * ch;
                    data[d..d + ch].copy_from_slice(&src.data[s..s + ch]);
                }
            }
        }
    }
    Raster {
        width: dw as u32,
        height: dh as u32,
        channels: ch,
        data,
    }
}

/// Encodes a baseline JPEG (4:2:0 below quality 90) with no metadata segments besides the
/// JFIF header: no EXIF, XMP, ICC profile or comment is ever written.
pub(crate) fn encode_jpeg(src: &Raster, quality: u8) -> Result<Vec<u8>, MediaError> {
    let encode_error = |e: jpeg_encoder::EncodingError| MediaError::Encode {
        reason: e.to_string(),
    };
    let (Ok(width), Ok(height)) = (u16::try_from(src.width), u16::try_from(src.height)) else {
        return Err(MediaError::Encode {
            reason: "image larger than 65535 px".to_owned(),
        });
    };
    let color = if src.channels == 1 {
        jpeg_encoder::ColorType::Luma
    } else {
        jpeg_encoder::ColorType::Rgb
    };
    let mut out = Vec::with_capacity(src.data.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    encoder
        .encode(&src.data, width, height, color)
        .map_err(encode_error)?;
    Ok(out)
}

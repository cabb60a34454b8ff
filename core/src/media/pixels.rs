//! Pixel work: decode (JPEG at a reduced DCT scale, PNG in full), resize, orient, encode.

use std::panic::{AssertUnwindSafe, catch_unwind};

use fast_image_resize as fir;

use super::error::MediaError;

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
/// 16-bit samples are reduced to 8 bits, palettes expanded.
pub(crate) fn decode_png(input: &[u8], max_alloc: u64) -> Result<Raster, MediaError> {
    use image::{DynamicImage, ImageError};
    guarded("PNG decoder failed on malformed data", || {
        let mut reader =
            image::ImageReader::with_format(std::io::Cursor::new(input), image::ImageFormat::Png);
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(max_alloc);
        reader.limits(limits);
        let img = reader.decode().map_err(|e| match e {
            ImageError::Limits(_) => MediaError::corrupt("PNG needs more memory than its header says"),
            ImageError::Unsupported(_) => MediaError::UnsupportedFormat {
                detected: "PNG variant".to_owned(),
            },
            ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                MediaError::Truncated
            }
            _ => MediaError::corrupt("PNG image data is damaged"),
        })?;
        let (width, height) = (img.width(), img.height());
        let color = img.color();
        if color.has_alpha() {
            let mut rgba = img.into_rgba8().into_raw();
            // Flatten onto white in place, then drop the alpha channel.
            let mut out = 0;
            for i in (0..rgba.len()).step_by(4) {
                let a = u32::from(rgba[i + 3]);
                for c in 0..3 {
                    let v = u32::from(rgba[i + c]);
                    rgba[out + c] = ((v * a + 255 * (255 - a) + 127) / 255) as u8;
                }
                out += 3;
            }
            rgba.truncate(out);
            Raster::checked(width, height, 3, rgba)
        } else if !color.has_color() {
            let gray = match img {
                DynamicImage::ImageLuma8(g) => g.into_raw(),
                other => other.into_luma8().into_raw(),
            };
            Raster::checked(width, height, 1, gray)
        } else {
            let rgb = match img {
                DynamicImage::ImageRgb8(rgb) => rgb.into_raw(),
                other => other.into_rgb8().into_raw(),
            };
            Raster::checked(width, height, 3, rgb)
        }
    })
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

/// Resamples to exactly `width` x `height` with a SIMD Lanczos3 convolution.
pub(crate) fn resize(src: &Raster, width: u32, height: u32) -> Result<Raster, MediaError> {
    // The typed entry point instantiates the resizer for our two pixel types only; the
    // run-time-typed one pulls in every pixel type the crate supports (2.3 MB of the library).
    let data = if src.channels == 1 {
        resize_typed::<fir::pixels::U8>(src, width, height)?
    } else {
        resize_typed::<fir::pixels::U8x3>(src, width, height)?
    };
    Ok(Raster {
        width,
        height,
        channels: src.channels,
        data,
    })
}

fn resize_typed<P>(src: &Raster, width: u32, height: u32) -> Result<Vec<u8>, MediaError>
where
    P: fir::PixelTrait,
{
    let internal = |_: &dyn std::fmt::Display| MediaError::corrupt("resize failed");
    let src_view = fir::images::TypedImageRef::<P>::from_buffer(src.width, src.height, &src.data)
        .map_err(|e| internal(&e))?;
    let mut out = vec![0u8; width as usize * height as usize * src.channels];
    let mut dst =
        fir::images::TypedImage::<P>::from_buffer(width, height, &mut out).map_err(|e| internal(&e))?;
    let options =
        fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3));
    fir::Resizer::new()
        .resize_typed(&src_view, &mut dst, &options)
        .map_err(|e| internal(&e))?;
    drop(dst);
    Ok(out)
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

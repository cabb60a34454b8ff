//! The memory one intake will need, estimated from the header before any decoder allocates.
//!
//! The model follows what the code actually allocates (jpeg-decoder 0.3, the `png`
//! decoder, our own resample, orient and encode): each stage's buffers that are alive
//! at the same time, the largest stage counted, plus the input bytes themselves. It errs on the
//! high side; `tests/tests/hostile_media.rs` checks the peak RSS it bounds.
//!
//! jpeg-decoder, at a DCT scale of `s`/8 (1, 2, 4 or 8, the same choice
//! [`pixels::decode_jpeg`](super::pixels) asks for):
//! - one `u8` plane per component of `blocks x s²` samples (blocks padded to whole MCUs);
//! - progressive only: an `i16` coefficient for each of the 64 positions of every block, for the
//!   whole image and the whole decode (this is what makes progressive bombs expensive);
//! - the interleaved output, `components` bytes per output pixel (CMYK 4, converted to RGB by
//!   us after the decoder is dropped).
//!
//! PNG (the `png` crate): the decoded image at its own layout (16-bit samples, palette
//! expanded) plus, unless it is 8-bit grey, RGB or RGBA already, one 8-bit copy (in fact only
//! 8-bit grey with alpha needs one now: the rest is converted in place; the estimate stays high).
//!
//! After decoding: the raster, the resized photo and the resizer's intermediate (one axis
//! resampled) at once; then orient's copy; the encoder's own planes.

use super::sniff::{Header, ImageFormat};

/// Fixed overhead: Huffman and quantisation tables, line buffers, zlib window, encoder tables.
const SLACK: u64 = 2 * 1024 * 1024;

/// The DCT scale numerator (out of 8) jpeg-decoder picks for a requested long edge: the
/// smallest of 1, 2, 4 whose scaled width or height still reaches it, else 8.
pub(crate) fn jpeg_scale(width: u32, height: u32, long_edge: u32) -> u32 {
    let scaled = |len: u32, s: u32| (len * s).div_ceil(8);
    [1, 2, 4]
        .into_iter()
        .find(|&s| scaled(width, s) >= long_edge || scaled(height, s) >= long_edge)
        .unwrap_or(8)
}

/// Estimated peak bytes of processing `header` into a photo of long edge `long_edge`, the input
/// (`input_bytes`) included.
pub(crate) fn estimate(header: &Header<'_>, input_bytes: u64, long_edge: u32) -> u64 {
    let (w, h) = (u64::from(header.width), u64::from(header.height));
    let (decode, raster_w, raster_h, channels) = match header.format {
        ImageFormat::Jpeg => {
            let s = u64::from(jpeg_scale(header.width, header.height, long_edge));
            let h_max = header
                .sampling
                .iter()
                .map(|&(h, _)| u64::from(h))
                .max()
                .unwrap_or(1);
            let v_max = header
                .sampling
                .iter()
                .map(|&(_, v)| u64::from(v))
                .max()
                .unwrap_or(1);
            let (mcus_x, mcus_y) = (w.div_ceil(8 * h_max), h.div_ceil(8 * v_max));
            let blocks: u64 = header
                .sampling
                .iter()
                .map(|&(bh, bv)| mcus_x * u64::from(bh) * mcus_y * u64::from(bv))
                .sum();
            let planes = blocks * s * s;
            let coefficients = if header.progressive { blocks * 64 * 2 } else { 0 };
            let (out_w, out_h) = ((w * s).div_ceil(8), (h * s).div_ceil(8));
            let components = header.sampling.len().max(1) as u64;
            let output = out_w * out_h * components;
            let channels = if components == 1 { 1 } else { 3 };
            // CMYK: the 4-channel output and our RGB copy, after the decoder is gone.
            let cmyk = if components == 4 {
                output + out_w * out_h * 3
            } else {
                0
            };
            ((coefficients + planes + output).max(cmyk), out_w, out_h, channels)
        }
        ImageFormat::Png => {
            let (depth, color) = header.png.map_or((8, 6), |p| (p.bit_depth, p.color_type));
            let samples: u64 = match color {
                0 => 1,
                2 => 3,
                4 => 2,
                _ => 4, // RGBA, and palettes (expanded to RGBA when they carry transparency)
            };
            let bytes_per_sample = if depth == 16 { 2 } else { 1 };
            let decoded = w * h * samples * bytes_per_sample;
            let channels: u64 = if color == 0 { 1 } else { 3 };
            // The 8-bit copy (RGBA while alpha is flattened in place); 8-bit grey, RGB and
            // RGBA are taken over without one.
            let copy = match (color, depth) {
                (0 | 2 | 6, 8) => 0,
                (4 | 6 | 3, _) => w * h * 4,
                _ => w * h * channels,
            };
            (decoded + copy, w, h, channels)
        }
    };
    let long = raster_w.max(raster_h).max(1);
    let fit = |v: u64| (v * u64::from(long_edge)).div_ceil(long).min(v).max(1);
    let (target_w, target_h) = if long > u64::from(long_edge) {
        (fit(raster_w), fit(raster_h))
    } else {
        (raster_w, raster_h)
    };
    let raster = raster_w * raster_h * channels;
    let target = target_w * target_h * channels;
    // The resampler's intermediate: target width x source height, or source width x target
    // height when it shrinks the height first; the larger is counted.
    let intermediate = (target_w * raster_h).max(raster_w * target_h) * channels;
    let resize = raster + target + intermediate;
    // Orient's copy, then the encoder's planes (3 bytes a pixel, rows padded) and its output.
    let finish = 2 * target + target_w.next_multiple_of(16) * target_h.next_multiple_of(16) * 3;
    input_bytes + decode.max(resize).max(finish) + SLACK
}

//! Lanczos3 resampling of interleaved 8-bit rasters (1 or 3 channels), our own separable
//! convolution: a horizontal pass into one intermediate buffer (target width x source height,
//! `u8`), then a vertical pass into the output.
//!
//! Owns the filter, the per-output-pixel weights (normalised, in 14-bit fixed point, summing to
//! exactly 1 so a flat image stays flat) and the two passes. It does not own choosing the target
//! size (`pixels::fit_long_edge`), orientation or any other pixel work.
//!
//! Written for size and for portable speed: the inner loops are plain slice loops with their
//! bounds checked once per output pixel or row, so the compiler vectorises them for whatever
//! target the library is built for, without per-CPU copies of the code.

/// Fractional bits of the fixed-point weights. With weights of at most ~1.5 (edge windows
/// renormalised) they fit an `i16`, and 255 x the sum of their magnitudes fits an `i32`.
const PRECISION: u32 = 14;
/// 1.0 in fixed point.
const ONE: i32 = 1 << PRECISION;
/// Added before the shift so the result is rounded to nearest, not truncated.
const HALF: i32 = 1 << (PRECISION - 1);

/// Lanczos kernel with three lobes: `sinc(x) * sinc(x / 3)` on `|x| < 3`.
fn lanczos3(x: f64) -> f64 {
    const LOBES: f64 = 3.0;
    if x.abs() >= LOBES {
        return 0.0;
    }
    if x.abs() < 1e-12 {
        return 1.0;
    }
    let px = std::f64::consts::PI * x;
    LOBES * px.sin() * (px / LOBES).sin() / (px * px)
}

/// The weights of one pass: for output pixel `i`, `stride` consecutive fixed-point weights
/// (`weights[i * stride..][..stride]`) applied to input pixels `starts[i]..starts[i] + stride`.
/// A fixed stride keeps the inner loop simple; windows shorter than it are padded with zeros,
/// and every window lies inside the input.
#[derive(Debug)]
struct Weights {
    starts: Vec<usize>,
    stride: usize,
    weights: Vec<i16>,
}

impl Weights {
    /// Weights resampling `in_len` pixels to `out_len` (both at least 1). Pixel `j` is taken to
    /// cover `[j, j + 1)`; output pixel `i`'s centre maps to `(i + 0.5) * in_len / out_len`.
    /// When shrinking, the kernel is widened by the scale so every input pixel contributes.
    fn new(in_len: usize, out_len: usize) -> Self {
        let scale = in_len as f64 / out_len as f64;
        let widening = scale.max(1.0);
        let support = 3.0 * widening;
        let window = |i: usize| -> (usize, usize, f64) {
            let centre = (i as f64 + 0.5) * scale;
            let first = ((centre - support).floor().max(0.0) as usize).min(in_len - 1);
            let end = ((centre + support).ceil() as usize).clamp(first + 1, in_len);
            (first, end, centre)
        };
        let stride = (0..out_len)
            .map(|i| {
                let (first, end, _) = window(i);
                end - first
            })
            .max()
            .unwrap_or(1)
            .min(in_len);
        let mut starts = Vec::with_capacity(out_len);
        let mut weights = vec![0i16; out_len * stride];
        let mut exact = Vec::with_capacity(stride);
        for (i, slots) in weights.chunks_exact_mut(stride).enumerate() {
            let (first, end, centre) = window(i);
            exact.clear();
            exact.extend((first..end).map(|j| lanczos3((j as f64 + 0.5 - centre) / widening)));
            let sum: f64 = exact.iter().sum();
            if sum.abs() < 1e-9 {
                // Cannot happen for Lanczos3 (the nearest input pixel always weighs most), but
                // a degenerate window falls back to that pixel rather than dividing by zero.
                exact.iter_mut().for_each(|w| *w = 0.0);
                let nearest = (centre as usize).clamp(first, end - 1) - first;
                exact[nearest] = 1.0;
            } else {
                exact.iter_mut().for_each(|w| *w /= sum);
            }
            // Shifted left where the window would run past the input's end.
            let start = first.min(in_len - stride);
            let offset = first - start;
            let mut fixed_sum = 0i32;
            for (slot, &w) in slots[offset..].iter_mut().zip(&exact) {
                let q = (w * f64::from(ONE)).round() as i32;
                *slot = q.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
                fixed_sum += i32::from(*slot);
            }
            // Rounding leaves the sum a few units off 1.0; the largest weight takes the
            // difference, so a flat area keeps its exact value.
            if let Some(largest) = slots.iter_mut().max_by_key(|w| **w) {
                let corrected = i32::from(*largest) + ONE - fixed_sum;
                *largest = corrected.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
            }
            starts.push(start);
        }
        Weights {
            starts,
            stride,
            weights,
        }
    }

    /// Each output pixel's first input pixel and its weights, in output order.
    fn windows(&self) -> impl Iterator<Item = (usize, &[i16])> {
        self.starts
            .iter()
            .copied()
            .zip(self.weights.chunks_exact(self.stride))
    }
}

/// A fixed-point sum back to a sample: rounded (the accumulator starts at [`HALF`]) and clamped,
/// since Lanczos' negative lobes overshoot at sharp edges.
fn to_sample(acc: i32) -> u8 {
    (acc >> PRECISION).clamp(0, 255) as u8
}

/// Resamples interleaved `channels`-channel 8-bit pixels (`src_width` x `src_height`, rows
/// packed) to `width` x `height` with Lanczos3. Any sizes work, also enlarging and 1-pixel
/// images; a zero dimension gives an empty (or, from an empty source, black) result.
/// `None` when `channels` is not 1 or 3 or `src` does not hold exactly the pixels its
/// dimensions say.
pub(crate) fn lanczos3_resize(
    src: &[u8],
    src_width: u32,
    src_height: u32,
    channels: usize,
    width: u32,
    height: u32,
) -> Option<Vec<u8>> {
    let (src_w, src_h) = (src_width as usize, src_height as usize);
    let (dst_w, dst_h) = (width as usize, height as usize);
    if !matches!(channels, 1 | 3) || src.len() != src_w.checked_mul(src_h)?.checked_mul(channels)? {
        return None;
    }
    let out_len = dst_w.checked_mul(dst_h)?.checked_mul(channels)?;
    if out_len == 0 || src.is_empty() {
        return Some(vec![0; out_len]);
    }
    let horizontal = |out: &mut [u8]| {
        let weights = Weights::new(src_w, dst_w);
        if channels == 1 {
            horizontal_pass::<1>(src, src_w, out, dst_w, &weights);
        } else {
            horizontal_pass::<3>(src, src_w, out, dst_w, &weights);
        }
    };
    let mut out = vec![0u8; out_len];
    if src_h == dst_h {
        // Only the width changes (or nothing): one pass straight into the output.
        if src_w == dst_w {
            out.copy_from_slice(src);
        } else {
            horizontal(&mut out);
        }
        return Some(out);
    }
    let weights = Weights::new(src_h, dst_h);
    if src_w == dst_w {
        vertical_pass(src, dst_w * channels, &mut out, &weights);
    } else {
        // The one intermediate buffer: the target width at the source height.
        let mut narrowed = vec![0u8; dst_w * src_h * channels];
        horizontal(&mut narrowed);
        vertical_pass(&narrowed, dst_w * channels, &mut out, &weights);
    }
    Some(out)
}

/// Resamples each row of `src` (`src_w` pixels of `CH` samples) to `dst_w` pixels in `out`.
fn horizontal_pass<const CH: usize>(
    src: &[u8],
    src_w: usize,
    out: &mut [u8],
    dst_w: usize,
    weights: &Weights,
) {
    for (src_row, out_row) in src.chunks_exact(src_w * CH).zip(out.chunks_exact_mut(dst_w * CH)) {
        for (out_px, (start, taps)) in out_row.chunks_exact_mut(CH).zip(weights.windows()) {
            // One bounds check for the whole window, none in the loop over it.
            let window = &src_row[start * CH..(start + taps.len()) * CH];
            let mut acc = [HALF; CH];
            for (px, &w) in window.chunks_exact(CH).zip(taps) {
                for (a, &v) in acc.iter_mut().zip(px) {
                    *a += i32::from(v) * i32::from(w);
                }
            }
            for (o, &a) in out_px.iter_mut().zip(&acc) {
                *o = to_sample(a);
            }
        }
    }
}

/// Resamples the rows of `src` (each `row_len` samples) vertically into `out`: output row `y`
/// is the weighted sum of its window's rows, accumulated sample by sample in one `i32` row.
fn vertical_pass(src: &[u8], row_len: usize, out: &mut [u8], weights: &Weights) {
    let mut acc = vec![0i32; row_len];
    for (out_row, (start, taps)) in out.chunks_exact_mut(row_len).zip(weights.windows()) {
        acc.fill(HALF);
        let rows = &src[start * row_len..(start + taps.len()) * row_len];
        for (row, &w) in rows.chunks_exact(row_len).zip(taps) {
            if w == 0 {
                continue; // padding of a short window
            }
            let w = i32::from(w);
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += i32::from(v) * w;
            }
        }
        for (o, &a) in out_row.iter_mut().zip(&acc) {
            *o = to_sample(a);
        }
    }
}

#[cfg(test)]
mod weight_tests {
    use super::*;

    #[test]
    fn every_window_sums_to_one_and_lies_inside_the_input() {
        for (in_len, out_len) in [
            (1, 1),
            (1, 7),
            (7, 1),
            (10, 3),
            (3, 10),
            (2016, 1920),
            (1920, 320),
        ] {
            let weights = Weights::new(in_len, out_len);
            assert_eq!(weights.starts.len(), out_len);
            for (start, taps) in weights.windows() {
                assert!(
                    start + taps.len() <= in_len,
                    "{in_len}->{out_len}: window past the end"
                );
                let sum: i32 = taps.iter().map(|&w| i32::from(w)).sum();
                assert_eq!(sum, ONE, "{in_len}->{out_len}: weights sum to {sum}");
            }
        }
    }

    #[test]
    fn kernel_is_one_at_zero_and_zero_at_integers_and_beyond_three() {
        assert_eq!(lanczos3(0.0), 1.0);
        for x in [1.0, 2.0, -1.0, -2.0] {
            assert!(lanczos3(x).abs() < 1e-12, "L({x}) = {}", lanczos3(x));
        }
        assert_eq!(lanczos3(3.0), 0.0);
        assert_eq!(lanczos3(-4.5), 0.0);
        assert!(lanczos3(1.5) < 0.0, "first negative lobe");
    }
}

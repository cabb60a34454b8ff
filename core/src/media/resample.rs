//! Lanczos3 resampling of interleaved 8-bit rasters (1 or 3 channels), our own separable
//! convolution: one pass per axis through one `u8` intermediate buffer (when shrinking the
//! height, the vertical pass first: source width x target height; otherwise the horizontal
//! pass first: target width x source height).
//!
//! Owns the filter, the per-output-pixel weights (normalised, in 14-bit fixed point, summing to
//! exactly 1 so a flat image stays flat) and the two passes. It does not own choosing the target
//! size (`pixels::fit_long_edge`), orientation or any other pixel work.
//!
//! Written for size and for portable speed, without per-CPU copies of the code: plain slice
//! loops with bounds checked once per output pixel or block of samples. The vertical pass keeps
//! a block of 16 sums in registers, which the compiler vectorises for any target; the
//! horizontal pass (short, interleaved windows) stays scalar, so it runs on the fewer rows.
//! Each pass splits its output rows over the phone's cores (scoped threads, byte-identical
//! output whatever the split).

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
    // Horizontal pass of `rows` (`src_w` pixels each) into `out` (`dst_w` pixels each).
    let horizontal = |rows: &[u8], out: &mut [u8]| {
        let weights = Weights::new(src_w, dst_w);
        let (src_row, out_row) = (src_w * channels, dst_w * channels);
        by_rows(out, out_row, |first, out| {
            horizontal_rows(channels, &rows[first * src_row..], src_w, out, dst_w, &weights)
        });
    };
    let vertical = |rows: &[u8], row_pixels: usize, out: &mut [u8]| {
        let weights = Weights::new(src_h, dst_h);
        let row_len = row_pixels * channels;
        by_rows(out, row_len, |first, out| {
            vertical_pass(rows, row_len, out, first, &weights)
        });
    };
    let mut out = vec![0u8; out_len];
    match (src_w == dst_w, src_h == dst_h) {
        (true, true) => out.copy_from_slice(src),
        // Only one dimension changes: one pass straight into the output.
        (false, true) => horizontal(src, &mut out),
        (true, false) => vertical(src, src_w, &mut out),
        // Both change, through the one intermediate buffer. The horizontal pass is the slower
        // (its windows are short and interleaved, the vertical pass runs over whole rows), so
        // when shrinking it runs second, on the fewer rows: for a 1920 -> 320 thumbnail that is
        // a sixth of the work.
        (false, false) if dst_h < src_h => {
            let mut shortened = vec![0u8; src_w * dst_h * channels];
            vertical(src, src_w, &mut shortened);
            horizontal(&shortened, &mut out);
        }
        (false, false) => {
            let mut narrowed = vec![0u8; dst_w * src_h * channels];
            horizontal(src, &mut narrowed);
            vertical(&narrowed, dst_w, &mut out);
        }
    }
    Some(out)
}

/// Below this many output samples a pass runs on the calling thread alone (a thread costs
/// tens of microseconds; a 320 px thumbnail's pass is a few milliseconds, so it still splits).
const PARALLEL_MIN_SAMPLES: usize = 64 * 1024;
/// At most this many threads share a pass (the photo is a few megabytes; more buy little).
const MAX_THREADS: usize = 4;

/// Runs `pass(first_row, rows)` over `out` (rows of `row_len` samples) split into runs of whole
/// rows, one per core up to [`MAX_THREADS`], the first on the calling thread. Every output row
/// is computed the same way whatever the split, so the result is byte-identical to one run
/// (the stored photo's SHA-256 does not depend on the phone's cores).
fn by_rows(out: &mut [u8], row_len: usize, pass: impl Fn(usize, &mut [u8]) + Sync) {
    // Asked once: on Linux and Android the answer reads the affinity mask and cgroup files.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads = if out.len() < PARALLEL_MIN_SAMPLES {
        1
    } else {
        cores.min(MAX_THREADS)
    };
    split_rows(out, row_len, threads, pass);
}

/// [`by_rows`] with the number of runs given (at most one per row).
fn split_rows(out: &mut [u8], row_len: usize, threads: usize, pass: impl Fn(usize, &mut [u8]) + Sync) {
    let rows = out.len() / row_len.max(1);
    let threads = threads.min(rows);
    if threads <= 1 {
        pass(0, out);
        return;
    }
    let per_thread = rows.div_ceil(threads);
    std::thread::scope(|scope| {
        let mut runs = out.chunks_mut(per_thread * row_len).enumerate();
        let here = runs.next();
        for (i, run) in runs {
            let pass = &pass;
            scope.spawn(move || pass(i * per_thread, run));
        }
        if let Some((_, run)) = here {
            pass(0, run);
        }
    });
}

/// [`horizontal_pass`] for `channels` (1 or 3) known at run time.
fn horizontal_rows(
    channels: usize,
    src: &[u8],
    src_w: usize,
    out: &mut [u8],
    dst_w: usize,
    weights: &Weights,
) {
    if channels == 1 {
        horizontal_pass::<1>(src, src_w, out, dst_w, weights);
    } else {
        horizontal_pass::<3>(src, src_w, out, dst_w, weights);
    }
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

/// Samples accumulated together in the vertical pass, so the sums stay in registers.
const VERTICAL_BLOCK: usize = 16;

/// Resamples the rows of `src` (each `row_len` samples) vertically into `out`, whose first row
/// is output row `first_row`: output row `y` is the weighted sum of its window's rows,
/// accumulated `VERTICAL_BLOCK` samples at a time over all the window's rows.
fn vertical_pass(src: &[u8], row_len: usize, out: &mut [u8], first_row: usize, weights: &Weights) {
    for (out_row, (start, taps)) in out
        .chunks_exact_mut(row_len)
        .zip(weights.windows().skip(first_row))
    {
        let rows = &src[start * row_len..(start + taps.len()) * row_len];
        let mut blocks = out_row.chunks_exact_mut(VERTICAL_BLOCK);
        for (b, out_block) in blocks.by_ref().enumerate() {
            let offset = b * VERTICAL_BLOCK;
            let mut acc = [HALF; VERTICAL_BLOCK];
            for (row, &w) in rows.chunks_exact(row_len).zip(taps) {
                let samples: &[u8; VERTICAL_BLOCK] = row[offset..offset + VERTICAL_BLOCK]
                    .try_into()
                    .expect("a block is VERTICAL_BLOCK samples");
                for (a, &v) in acc.iter_mut().zip(samples) {
                    *a += i32::from(v) * i32::from(w);
                }
            }
            for (o, &a) in out_block.iter_mut().zip(&acc) {
                *o = to_sample(a);
            }
        }
        let tail = blocks.into_remainder();
        let offset = row_len - tail.len();
        for (i, o) in tail.iter_mut().enumerate() {
            let sum: i32 = rows
                .chunks_exact(row_len)
                .zip(taps)
                .map(|(row, &w)| i32::from(row[offset + i]) * i32::from(w))
                .sum();
            *o = to_sample(sum + HALF);
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

#[cfg(test)]
mod split_tests {
    use super::*;

    /// A textured raster: every sample differs from its neighbours.
    fn raster(width: usize, height: usize, channels: usize) -> Vec<u8> {
        (0..width * height * channels)
            .map(|i| ((i * 7919) ^ (i / 13 * 31)) as u8)
            .collect()
    }

    #[test]
    fn a_pass_split_over_threads_gives_the_same_bytes_as_one_run() {
        let (w, h) = (203, 157);
        for channels in [1, 3] {
            let src = raster(w, h, channels);
            // Vertical: 157 -> 61 rows.
            let weights = Weights::new(h, 61);
            let row_len = w * channels;
            let mut one = vec![0u8; row_len * 61];
            split_rows(&mut one, row_len, 1, |first, out| {
                vertical_pass(&src, row_len, out, first, &weights)
            });
            // Horizontal: 203 -> 88 pixels a row.
            let h_weights = Weights::new(w, 88);
            let mut one_h = vec![0u8; 88 * channels * h];
            let horizontal = |first: usize, out: &mut [u8]| {
                horizontal_rows(channels, &src[first * row_len..], w, out, 88, &h_weights)
            };
            split_rows(&mut one_h, 88 * channels, 1, horizontal);
            assert!(one.iter().any(|&v| v != one[0]), "the reference is not flat");
            for threads in [2, 3, 4, 7, 61, 200] {
                let mut split = vec![0u8; one.len()];
                split_rows(&mut split, row_len, threads, |first, out| {
                    vertical_pass(&src, row_len, out, first, &weights)
                });
                assert_eq!(split, one, "vertical pass, {channels} channel(s), {threads} runs");
                let mut split_h = vec![0u8; one_h.len()];
                split_rows(&mut split_h, 88 * channels, threads, horizontal);
                assert_eq!(
                    split_h, one_h,
                    "horizontal pass, {channels} channel(s), {threads} runs"
                );
            }
        }
    }
}

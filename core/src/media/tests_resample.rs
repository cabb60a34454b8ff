//! Tests of our Lanczos3 resampler (`resample.rs`): sizes, flat areas, degenerate shapes and
//! agreement with fast_image_resize's Lanczos3, the resizer it replaced (a dev-dependency here).

use fast_image_resize as fir;

use super::resample::lanczos3_resize;

/// A diagonal gradient per channel plus deterministic noise (±24 levels), the kind of content
/// where a wrong phase, window or rounding shows up as a mean difference.
fn gradient_with_noise(width: u32, height: u32, channels: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut data = Vec::with_capacity(width as usize * height as usize * channels);
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let base = (x * 255 / width.max(1) + y * 127 / height.max(1) + c as u32 * 60) % 256;
                let noisy = base as i32 + rng.i32(-24..=24);
                data.push(noisy.clamp(0, 255) as u8);
            }
        }
    }
    data
}

fn reference(src: &[u8], sw: u32, sh: u32, channels: usize, dw: u32, dh: u32) -> Vec<u8> {
    let pixel_type = if channels == 1 {
        fir::PixelType::U8
    } else {
        fir::PixelType::U8x3
    };
    let src_view = fir::images::ImageRef::new(sw, sh, src, pixel_type).expect("reference view");
    let mut dst = fir::images::Image::new(dw, dh, pixel_type);
    let options =
        fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3));
    fir::Resizer::new()
        .resize(&src_view, &mut dst, &options)
        .expect("reference resize");
    dst.into_vec()
}

fn resize(src: &[u8], sw: u32, sh: u32, channels: usize, dw: u32, dh: u32) -> Vec<u8> {
    lanczos3_resize(src, sw, sh, channels, dw, dh).expect("consistent input")
}

/// Mean absolute difference of each channel.
fn mean_abs_diff(a: &[u8], b: &[u8], channels: usize) -> Vec<f64> {
    assert_eq!(a.len(), b.len());
    let pixels = (a.len() / channels) as f64;
    (0..channels)
        .map(|c| {
            let sum: u64 = a
                .iter()
                .skip(c)
                .step_by(channels)
                .zip(b.iter().skip(c).step_by(channels))
                .map(|(&x, &y)| u64::from(x.abs_diff(y)))
                .sum();
            sum as f64 / pixels
        })
        .collect()
}

#[test]
fn output_has_the_requested_size() {
    for channels in [1, 3] {
        for (sw, sh, dw, dh) in [
            (40, 30, 17, 9),
            (5, 3, 40, 30),
            (1, 1, 6, 2),
            (33, 1, 1, 1),
            (8, 8, 8, 3),
        ] {
            let src = gradient_with_noise(sw, sh, channels, 1);
            let out = resize(&src, sw, sh, channels, dw, dh);
            assert_eq!(
                out.len(),
                dw as usize * dh as usize * channels,
                "{sw}x{sh} -> {dw}x{dh}"
            );
        }
    }
}

#[test]
fn flat_image_stays_exactly_flat() {
    for channels in [1, 3] {
        for (sw, sh, dw, dh) in [
            (64, 48, 20, 15),
            (20, 15, 64, 48),
            (7, 300, 3, 31),
            (1, 1, 9, 4),
            (500, 2, 1, 1),
        ] {
            let colour = [17u8, 200, 96];
            let src: Vec<u8> = (0..sw as usize * sh as usize)
                .flat_map(|_| colour[..channels].to_vec())
                .collect();
            let out = resize(&src, sw, sh, channels, dw, dh);
            for (i, px) in out.chunks_exact(channels).enumerate() {
                assert_eq!(px, &colour[..channels], "pixel {i} of {sw}x{sh} -> {dw}x{dh}");
            }
        }
    }
}

#[test]
fn same_size_returns_the_same_pixels() {
    let src = gradient_with_noise(31, 17, 3, 2);
    assert_eq!(resize(&src, 31, 17, 3, 31, 17), src);
}

#[test]
fn matches_fast_image_resize_lanczos3_within_a_level_on_average() {
    let cases = [
        (1, 640, 480, 200, 150),     // plain downscale
        (3, 640, 480, 200, 150),     // the same, RGB
        (3, 2016, 1512, 1920, 1440), // a half-scale decoded 12 MP photo to 1920 px
        (3, 1920, 1440, 320, 240),   // its thumbnail
        (3, 97, 61, 250, 130),       // enlarging
        (1, 501, 333, 97, 611),      // shrinking one way, enlarging the other
    ];
    for (channels, sw, sh, dw, dh) in cases {
        let src = gradient_with_noise(sw, sh, channels, 3);
        let ours = resize(&src, sw, sh, channels, dw, dh);
        let theirs = reference(&src, sw, sh, channels, dw, dh);
        let mad = mean_abs_diff(&ours, &theirs, channels);
        for (c, d) in mad.iter().enumerate() {
            assert!(
                *d <= 1.0,
                "{sw}x{sh} -> {dw}x{dh}, channel {c}: mean |diff| {d:.3}"
            );
        }
    }
}

#[test]
fn one_pixel_images_in_and_out() {
    for channels in [1, 3] {
        let one: Vec<u8> = [9u8, 150, 250][..channels].to_vec();
        assert_eq!(resize(&one, 1, 1, channels, 1, 1), one);
        let big = resize(&one, 1, 1, channels, 5, 7);
        assert!(big.chunks_exact(channels).all(|px| px == one.as_slice()));
        // Down to one pixel: a weighted mean, inside the source's range.
        let src = gradient_with_noise(120, 80, channels, 4);
        let out = resize(&src, 120, 80, channels, 1, 1);
        for (c, &mean) in out.iter().enumerate() {
            let column = src.iter().skip(c).step_by(channels);
            let (lo, hi) = (
                *column.clone().min().expect("pixels"),
                *column.max().expect("pixels"),
            );
            assert!(
                (lo..=hi).contains(&mean),
                "channel {c}: {mean} outside {lo}..={hi}"
            );
        }
    }
}

#[test]
fn extreme_aspect_ratios_resample_along_the_long_edge() {
    // A 4000 x 1 ramp shrunk to 40 x 1 stays a ramp: increasing, ends near the ends.
    let ramp: Vec<u8> = (0..4000u32).map(|x| (x * 255 / 3999) as u8).collect();
    let out = resize(&ramp, 4000, 1, 1, 40, 1);
    assert!(out.windows(2).all(|w| w[0] <= w[1]), "not monotonic: {out:?}");
    assert!(out[0] <= 5 && out[39] >= 250, "ends: {} {}", out[0], out[39]);
    // The same ramp standing up, RGB, to 1 x 25 and 3 x 9000.
    let tall: Vec<u8> = ramp.iter().flat_map(|&v| [v, 255 - v, 128]).collect();
    let out = resize(&tall, 1, 4000, 3, 1, 25);
    assert!(
        out.chunks_exact(3)
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| w[0][0] <= w[1][0])
    );
    let out = resize(&tall, 1, 4000, 3, 3, 9000);
    assert_eq!(out.len(), 3 * 9000 * 3);
    assert!(out.chunks_exact(3).all(|px| px[2] == 128));
}

#[test]
fn inconsistent_or_unsupported_input_is_refused_and_zero_sizes_are_empty() {
    let src = gradient_with_noise(10, 10, 3, 5);
    assert!(lanczos3_resize(&src, 10, 10, 2, 5, 5).is_none(), "2 channels");
    assert!(lanczos3_resize(&src, 10, 10, 4, 5, 5).is_none(), "4 channels");
    assert!(
        lanczos3_resize(&src[1..], 10, 10, 3, 5, 5).is_none(),
        "short buffer"
    );
    assert_eq!(lanczos3_resize(&src, 10, 10, 3, 0, 5), Some(Vec::new()));
    assert_eq!(lanczos3_resize(&[], 0, 7, 3, 2, 2), Some(vec![0; 12]));
}

//! The photos the demo's workers take: camera-like JPEGs made here, different for each seed.
//!
//! Owns the pixels and the encoding only. It does not own when a worker takes a photo or how
//! many (`crew`), nor what the core does with them (resizing, storing, uploading).

/// A camera-like JPEG (1600×1200: sky, a wall, a street with a few objects; different for each
/// `seed`), what a phone would hand us.
pub(super) fn camera_jpeg(seed: u32) -> Vec<u8> {
    let tint = (seed * 37 % 60) as u8;
    let image = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let grain = ((x * 31 + y * 17 + seed * 7) % 13) as u8;
        if y < 400 {
            image::Rgb([120 + (y / 8) as u8, 160 + (y / 10) as u8, 220 - tint / 2])
        } else if y < 800 && !(x / 200 + seed).is_multiple_of(3) {
            image::Rgb([150 + grain + tint, 140 + grain, 130 + grain])
        } else if (x.abs_diff(800 + seed % 400) < 90) && y > 700 {
            image::Rgb([200, 40 + tint, 30])
        } else {
            image::Rgb([70 + grain, 72 + grain, 75 + grain])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .expect("encoding an in-memory RGB image cannot fail");
    out
}

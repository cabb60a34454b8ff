//! PNG decoding on the `png` crate gives the same pixels as the `image`-crate path it replaced
//! (kept here as the reference): every colour type and bit depth, alpha flattened the same way.

use image::ImageEncoder;

use super::pixels::{Raster, decode_png};

/// The decode that shipped before (through `image`'s `DynamicImage`), as the reference.
fn reference(input: &[u8]) -> Raster {
    let img = image::load_from_memory_with_format(input, image::ImageFormat::Png).expect("reference decode");
    let (width, height) = (img.width(), img.height());
    let color = img.color();
    if color.has_alpha() {
        let rgba = img.into_rgba8().into_raw();
        let data = rgba
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u32::from(p[3]);
                [0, 1, 2].map(|c| ((u32::from(p[c]) * a + 255 * (255 - a) + 127) / 255) as u8)
            })
            .collect();
        Raster {
            width,
            height,
            channels: 3,
            data,
        }
    } else if !color.has_color() {
        let data = img.into_luma8().into_raw();
        Raster {
            width,
            height,
            channels: 1,
            data,
        }
    } else {
        let data = img.into_rgb8().into_raw();
        Raster {
            width,
            height,
            channels: 3,
            data,
        }
    }
}

/// Bytes that cover every value, alpha included (0, 255 and everything between).
fn noise(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    fastrand::Rng::with_seed(0x2545_F491).fill(&mut bytes);
    bytes
}

fn assert_same_as_reference(input: &[u8], what: &str) {
    let ours = decode_png(input, 64 << 20).expect("decode");
    let want = reference(input);
    assert_eq!(
        (ours.width, ours.height, ours.channels),
        (want.width, want.height, want.channels),
        "{what}"
    );
    assert!(ours.data == want.data, "{what}: pixels differ");
}

#[test]
fn every_colour_type_and_depth_decodes_as_before() {
    use image::ExtendedColorType as C;
    let (w, h) = (37u32, 23u32);
    for (color, bytes_per_pixel) in [
        (C::L8, 1),
        (C::La8, 2),
        (C::Rgb8, 3),
        (C::Rgba8, 4),
        (C::L16, 2),
        (C::La16, 4),
        (C::Rgb16, 6),
        (C::Rgba16, 8),
    ] {
        let data = noise((w * h) as usize * bytes_per_pixel);
        let mut input = Vec::new();
        image::codecs::png::PngEncoder::new(&mut input)
            .write_image(&data, w, h, color)
            .expect("encode fixture");
        assert_same_as_reference(&input, &format!("{color:?}"));
    }
}

#[test]
fn palettes_and_low_bit_depths_decode_as_before() {
    let (w, h) = (29u32, 17u32);
    let encode = |color: png::ColorType, depth: png::BitDepth, palette: Option<(Vec<u8>, Vec<u8>)>| {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(color);
        encoder.set_depth(depth);
        if let Some((plte, trns)) = palette {
            encoder.set_palette(plte);
            if !trns.is_empty() {
                encoder.set_trns(trns);
            }
        }
        let bits = match depth {
            png::BitDepth::One => 1,
            png::BitDepth::Two => 2,
            png::BitDepth::Four => 4,
            _ => 8,
        };
        let row = (w as usize * bits).div_ceil(8);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&noise(row * h as usize)).expect("data");
        writer.finish().expect("finish");
        out
    };
    let palette = noise(256 * 3);
    for (name, input) in [
        (
            "grey 1-bit",
            encode(png::ColorType::Grayscale, png::BitDepth::One, None),
        ),
        (
            "grey 4-bit",
            encode(png::ColorType::Grayscale, png::BitDepth::Four, None),
        ),
        (
            "palette 8-bit",
            encode(
                png::ColorType::Indexed,
                png::BitDepth::Eight,
                Some((palette.clone(), Vec::new())),
            ),
        ),
        (
            "palette 2-bit with transparency",
            encode(
                png::ColorType::Indexed,
                png::BitDepth::Two,
                Some((palette[..12].to_vec(), vec![0, 128])),
            ),
        ),
    ] {
        assert_same_as_reference(&input, name);
    }
}

#[test]
fn a_decode_over_the_memory_limit_is_refused() {
    let (w, h) = (300u32, 200u32);
    let mut input = Vec::new();
    image::codecs::png::PngEncoder::new(&mut input)
        .write_image(&noise((w * h * 3) as usize), w, h, image::ExtendedColorType::Rgb8)
        .expect("encode fixture");
    assert!(decode_png(&input, 64 << 20).is_ok());
    // The output alone (w x h x 3) would not fit in one byte less.
    let refused = decode_png(&input, u64::from(w * h * 3) - 1);
    assert!(
        matches!(refused, Err(super::MediaError::Corrupt { .. })),
        "{refused:?}"
    );
}

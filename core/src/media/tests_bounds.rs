//! Unit tests of the bounds on intake: the header refusals, the memory estimate, the scan
//! completeness pass and the bounded file reader. Each reported failure of issue 9 has a
//! case here or in `tests/tests/hostile_media.rs` (which measures real peak RSS).

use super::*;

fn segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&u16::try_from(payload.len() + 2).expect("short").to_be_bytes());
    out.extend_from_slice(payload);
}

/// SOI, a frame header, one-code Huffman tables ("0" = DC size 0 / end of block, so each
/// block is two bits), a scan over every component with `scan` zero bytes, EOI.
fn hand_jpeg(sof: u8, precision: u8, width: u16, height: u16, sampling: &[u8], scan: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend([1u8; 64]);
    segment(&mut out, 0xDB, &dqt);
    let mut frame = vec![precision];
    frame.extend_from_slice(&height.to_be_bytes());
    frame.extend_from_slice(&width.to_be_bytes());
    frame.push(sampling.len() as u8);
    for (i, &s) in sampling.iter().enumerate() {
        frame.extend_from_slice(&[i as u8 + 1, s, 0]);
    }
    segment(&mut out, sof, &frame);
    for class in [0x00, 0x10] {
        let mut table = vec![class, 1];
        table.extend([0u8; 16]);
        segment(&mut out, 0xC4, &table);
    }
    let mut sos = vec![sampling.len() as u8];
    for i in 0..sampling.len() {
        sos.extend_from_slice(&[i as u8 + 1, 0x00]);
    }
    sos.extend_from_slice(if sof == 0xC2 { &[0, 0, 0] } else { &[0, 63, 0] });
    segment(&mut out, 0xDA, &sos);
    out.extend(std::iter::repeat_n(0u8, scan));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

fn textured_jpeg(w: u32, h: u32, restart: u16) -> Vec<u8> {
    let data: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).flat_map(move |x| [(x * 7 + y) as u8, (x ^ y) as u8, (x / 2 + y * 3) as u8]))
        .collect();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.set_restart_interval(restart);
    encoder
        .encode(&data, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode fixture");
    out
}

#[test]
fn unsupported_jpeg_processes_are_refused_in_plain_words() {
    for (sof, precision, kind) in [
        (0xC3, 8, "lossless"),
        (0xC1, 12, "12-bit"),
        (0xC9, 8, "arithmetic-coded"),
        (0xC6, 8, "hierarchical"),
    ] {
        let err = process(
            &hand_jpeg(sof, precision, 640, 480, &[0x11; 3], 8),
            &PhotoConfig::default(),
        )
        .expect_err("refused");
        assert!(
            matches!(err, MediaError::UnsupportedJpeg { kind: k } if k == kind),
            "{err:?}"
        );
        assert_eq!(err.code(), "unsupported_jpeg");
        let text = err.to_string();
        assert!(
            text.contains("take the photo with the phone's camera app"),
            "{text}"
        );
        assert!(
            !text.contains("Sample") && !text.contains("Unsupported"),
            "{text}"
        );
    }
}

#[test]
fn memory_is_estimated_before_decoding() {
    let config = PhotoConfig::default();
    // A camera's 12 MP baseline 4:2:0 photo fits the pipeline's own 40 MB goal.
    let camera_header = hand_jpeg(0xC0, 8, 4000, 3000, &[0x22, 0x11, 0x11], 8);
    let header = sniff::read_header(&camera_header).expect("header");
    let camera = budget::estimate(&header, 4_000_000, config.max_long_edge);
    assert!(camera < 40 * 1024 * 1024, "{camera}");
    // The same size progressive 4:4:4 keeps 72 MB of coefficients: over the budget.
    let bomb = hand_jpeg(0xC2, 8, 4000, 3000, &[0x11; 3], 8);
    match process(&bomb, &config) {
        Err(MediaError::TooMuchMemory {
            needed_mib,
            limit_mib,
        }) => {
            assert!(needed_mib > 72 && limit_mib == 64, "{needed_mib} {limit_mib}")
        }
        other => panic!("{:?}", other.map(|p| p.meta)),
    }
    // The budget is configurable: a tight one refuses even the baseline photo.
    let tight = PhotoConfig {
        max_decode_bytes: 8 * 1024 * 1024,
        ..PhotoConfig::default()
    };
    let err = process(&hand_jpeg(0xC0, 8, 4000, 3000, &[0x22, 0x11, 0x11], 8), &tight).expect_err("refused");
    assert_eq!(err.code(), "too_much_memory");
}

#[test]
fn a_scan_that_ends_before_the_image_is_truncated() {
    // 166 bytes declaring 10000 x 10000: decoders paint it grey.
    let bomb = hand_jpeg(0xC0, 8, 10_000, 10_000, &[0x22, 0x11, 0x11], 8);
    assert!(matches!(entropy::check(&bomb), Err(MediaError::Truncated)));
    // Exactly enough data: 16 x 16 grey is one MCU of four 2-bit blocks = one byte.
    let exact = hand_jpeg(0xC0, 8, 16, 16, &[0x11], 1);
    assert!(entropy::check(&exact).is_ok());
    let short = hand_jpeg(0xC0, 8, 32, 16, &[0x11], 0);
    assert!(matches!(entropy::check(&short), Err(MediaError::Truncated)));
}

#[test]
fn restart_intervals_are_followed_and_a_cut_at_any_marker_is_truncated() {
    let jpeg = textured_jpeg(640, 480, 5);
    assert!(entropy::check(&jpeg).is_ok());
    process(&jpeg, &PhotoConfig::default()).expect("accepted");
    let rst: Vec<usize> = jpeg
        .windows(2)
        .enumerate()
        .filter(|(_, m)| m[0] == 0xFF && (0xD0..=0xD7).contains(&m[1]))
        .map(|(i, _)| i)
        .collect();
    assert!(rst.len() > 100, "{}", rst.len());
    for &at in rst.iter().step_by(37) {
        let mut cut = jpeg[..at].to_vec();
        cut.extend_from_slice(&[0xFF, 0xD9]);
        assert!(
            matches!(entropy::check(&cut), Err(MediaError::Truncated)),
            "cut at {at}"
        );
    }
}

#[test]
fn a_flat_picture_is_uniform() {
    let flat = vec![90u8; 300 * 200 * 3];
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&flat, 300, 200, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    assert!(matches!(
        process(&out, &PhotoConfig::default()),
        Err(MediaError::Uniform)
    ));
    process(&textured_jpeg(300, 200, 0), &PhotoConfig::default()).expect("textured is accepted");
}

#[test]
fn files_are_read_up_to_the_limit_only() {
    let config = PhotoConfig {
        max_input_bytes: 1 << 20,
        ..PhotoConfig::default()
    };
    match read_photo_file(std::path::Path::new("/dev/zero"), &config) {
        Err(MediaError::TooLarge { bytes, limit }) => assert_eq!((bytes, limit), ((1 << 20) + 1, 1 << 20)),
        other => panic!("{:?}", other.map(|b| b.len())),
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let sparse = dir.path().join("big");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    assert!(matches!(
        read_photo_file(&sparse, &config),
        Err(MediaError::TooLarge { .. })
    ));
    let small = dir.path().join("small");
    std::fs::write(&small, b"abc").expect("write");
    assert_eq!(read_photo_file(&small, &config).expect("read"), b"abc");
}

//! Hostile photos through a whole intake, one child process per input (`photo_intake`): every
//! input is generated here, and each is either accepted and stored correctly (dimensions,
//! orientation, colour, no metadata left) or refused with its media error code, with nothing
//! stored changed (the draft, the draft list, the outbox and the files under `media/`). The
//! child's peak resident set (VmHWM) is asserted below 100 MB for every input, accepted or
//! refused. `hostile_input.rs` covers refusals through the API in-process; this file covers
//! the decoders' limits and memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gridpatrol_core::Client;
use gridpatrol_core::capture::{Draft, OutboxEntry};
use gridpatrol_core::grid::sample;
use gridpatrol_tests::{Rng, inspector, textured_grey_jpeg, textured_jpeg};
use image::ImageEncoder;
use tempfile::TempDir;

/// The peak resident set every intake must stay below, accepted or refused.
const PEAK_LIMIT_KB: u64 = 100 * 1000;

/// A data directory with one empty draft, shared by the cases of one test.
struct Bench {
    data: TempDir,
    files: TempDir,
    draft: String,
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    draft: Draft,
    drafts: Vec<Draft>,
    queue: Vec<OutboxEntry>,
    media: Vec<PathBuf>,
}

enum Outcome {
    Accepted(String),
    Refused(String),
}

fn media_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

impl Bench {
    fn new() -> Self {
        let data = TempDir::new().expect("data dir");
        let client = Client::open(data.path()).expect("open");
        client
            .install_grid_package(&sample::sample_package())
            .expect("sample grids");
        let draft = client.create_draft(inspector("w-media"), None).expect("draft").id;
        Bench {
            data,
            files: TempDir::new().expect("files dir"),
            draft,
        }
    }

    fn client(&self) -> Client {
        Client::open(self.data.path()).expect("reopen")
    }

    fn snapshot(&self) -> Snapshot {
        let client = self.client();
        Snapshot {
            draft: client.draft(&self.draft).expect("draft"),
            drafts: client.drafts().expect("drafts"),
            queue: client.queue().expect("queue"),
            media: media_files(&self.data.path().join("media")),
        }
    }

    /// Runs one intake of `path` in a child; the outcome and the child's peak RSS in kB.
    fn run_path(&self, name: &str, path: &Path) -> (Outcome, u64) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_photo_intake"))
            .arg(self.data.path())
            .arg(&self.draft)
            .arg(path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn photo_intake");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > Duration::from_secs(120) {
                child.kill().expect("kill a hung child");
                panic!("{name}: the intake did not finish in 120 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (mut out, mut err) = (String::new(), String::new());
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out)
            .expect("read stdout");
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err)
            .expect("read stderr");
        assert!(status.success(), "{name}: child failed ({status}): {err}");
        let mut lines = out.lines();
        let outcome = match lines.next().and_then(|l| l.split_once(' ')) {
            Some(("accepted", sha)) => Outcome::Accepted(sha.to_owned()),
            Some(("refused", code)) => Outcome::Refused(code.to_owned()),
            _ => panic!("{name}: unexpected output {out:?}"),
        };
        let peak = lines
            .next()
            .and_then(|l| l.strip_prefix("vmhwm_kb "))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no peak in {out:?}"));
        assert!(
            peak < PEAK_LIMIT_KB,
            "{name}: peak RSS {peak} kB, over {PEAK_LIMIT_KB} kB"
        );
        eprintln!("{name}: peak {peak} kB");
        (outcome, peak)
    }

    fn run(&self, name: &str, bytes: &[u8]) -> (Outcome, u64) {
        let path = self.files.path().join("photo");
        std::fs::write(&path, bytes).expect("write the input");
        self.run_path(name, &path)
    }

    /// Asserts a refusal with `code` that changed nothing stored; the peak RSS.
    fn refused(&self, name: &str, bytes: &[u8], code: &str) -> u64 {
        let before = self.snapshot();
        let (outcome, peak) = self.run(name, bytes);
        self.assert_refused(name, outcome, &[code], &before);
        peak
    }

    fn assert_refused(&self, name: &str, outcome: Outcome, codes: &[&str], before: &Snapshot) {
        match outcome {
            Outcome::Refused(code) => assert!(codes.contains(&code.as_str()), "{name}: refused with {code}"),
            Outcome::Accepted(sha) => panic!("{name}: accepted as {sha}, expected {codes:?}"),
        }
        assert_eq!(
            &self.snapshot(),
            before,
            "{name}: a refusal changed what is stored"
        );
    }

    /// Asserts an acceptance that attached one photo and stored exactly its two files; the
    /// stored JPEG decoded, its raw bytes and the peak. Leaves the bench as it was.
    fn accepted(&self, name: &str, bytes: &[u8]) -> (image::DynamicImage, Vec<u8>, u64) {
        let before = self.snapshot();
        let (outcome, peak) = self.run(name, bytes);
        let Outcome::Accepted(sha) = outcome else {
            let Outcome::Refused(code) = outcome else {
                unreachable!()
            };
            panic!("{name}: refused with {code}");
        };
        let (stored, image) = self.take_back(name, &sha, &before);
        (image, stored, peak)
    }

    /// Checks what an accepted intake stored, removes it again and returns it.
    fn take_back(&self, name: &str, sha: &str, before: &Snapshot) -> (Vec<u8>, image::DynamicImage) {
        let after = self.snapshot();
        let added: Vec<_> = after.media.iter().filter(|p| !before.media.contains(p)).collect();
        assert_eq!(added.len(), 2, "{name}: photo and thumbnail, got {added:?}");
        assert_eq!(
            after.draft.content.photos.len(),
            before.draft.content.photos.len() + 1,
            "{name}"
        );
        // One open instance per directory: this one is closed before the next snapshot opens.
        let stored = {
            let client = self.client();
            let stored = client.photos().read(sha).expect("stored photo");
            client.remove_photo(&self.draft, sha).expect("detach");
            client.photos().remove(sha).expect("remove files");
            stored
        };
        let cleaned = self.snapshot();
        assert_eq!(
            (&cleaned.draft.content.photos, &cleaned.media),
            (&before.draft.content.photos, &before.media),
            "{name}: cleanup"
        );
        let image = image::load_from_memory_with_format(&stored, image::ImageFormat::Jpeg)
            .unwrap_or_else(|e| panic!("{name}: stored photo is not a JPEG: {e}"));
        (stored, image)
    }
}

// --- generators ---------------------------------------------------------------------------

fn segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(
        &u16::try_from(payload.len() + 2)
            .expect("short segment")
            .to_be_bytes(),
    );
    out.extend_from_slice(payload);
}

/// A JPEG written marker by marker: SOI, DQT, the frame header `sof` (`precision`, `width` x
/// `height`, components with their sampling bytes), one-code Huffman tables, one scan over
/// every component, `scan` bytes of entropy data and EOI. Enough for any decoder to size its
/// buffers from; the scan ends long before the image does.
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
        table.extend([0u8; 15]);
        table.push(0); // the one code, "0": DC size 0 / AC end of block
        segment(&mut out, 0xC4, &table);
    }
    let mut sos = vec![sampling.len() as u8];
    for i in 0..sampling.len() {
        sos.extend_from_slice(&[i as u8 + 1, 0x00]);
    }
    let progressive = matches!(sof, 0xC2 | 0xC6 | 0xCA | 0xCE);
    sos.extend_from_slice(if progressive { &[0, 0, 0] } else { &[0, 63, 0] });
    segment(&mut out, 0xDA, &sos);
    out.extend(std::iter::repeat_n(0u8, scan));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// Textured pixels, `channels` per pixel.
fn pixels(width: u32, height: u32, channels: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(width as usize * height as usize * channels);
    for y in 0..height {
        for x in 0..width {
            let noise = (rng.next_u64() & 0x1F) as u32;
            for c in 0..channels as u32 {
                out.push(((x * (3 + c) + y * (5 + 2 * c)) / 4 % 200 + noise) as u8);
            }
        }
    }
    out
}

/// A JPEG from the core's encoder with the given options.
fn encoder_jpeg(
    data: &[u8],
    width: u16,
    height: u16,
    color: jpeg_encoder::ColorType,
    setup: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    setup(&mut encoder);
    encoder
        .encode(data, width, height, color)
        .expect("encode fixture");
    out
}

fn png(data: &[u8], width: u32, height: u32, color: image::ExtendedColorType) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(data, width, height, color)
        .expect("encode png fixture");
    out
}

/// A big-endian TIFF block: IFD0 with `entries` (tag, type, count, value-or-offset), its
/// next-IFD offset, then `extra` bytes (offsets count from the TIFF header).
fn tiff(entries: &[(u16, u16, u32, u32)], next_ifd: u32, extra: &[u8]) -> Vec<u8> {
    let mut out = b"MM\0\x2A\0\0\0\x08".to_vec();
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for &(tag, kind, count, value) in entries {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value.to_be_bytes());
    }
    out.extend_from_slice(&next_ifd.to_be_bytes());
    out.extend_from_slice(extra);
    out
}

fn with_app(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    segment(&mut out, marker, payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    with_app(jpeg, 0xE1, &payload)
}

/// Markers of a stored JPEG, in order (SOI, APPn, DQT, ...), up to its first scan.
fn markers(jpeg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        out.push(marker);
        if marker == 0xDA {
            break;
        }
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    out
}

fn mean_rgb(image: &image::DynamicImage) -> [f64; 3] {
    let rgb = image.to_rgb8();
    let mut sum = [0f64; 3];
    for p in rgb.pixels() {
        for c in 0..3 {
            sum[c] += f64::from(p[c]);
        }
    }
    let n = f64::from(rgb.width() * rgb.height());
    sum.map(|s| s / n)
}

// --- tests ----------------------------------------------------------------------------------

#[test]
fn dimension_bombs_and_unsupported_jpeg_types_are_refused_from_the_header() {
    let bench = Bench::new();
    let mut worst = 0;
    let ycc = [0x22, 0x11, 0x11];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "lossless 10000x10000",
            hand_jpeg(0xC3, 8, 10_000, 10_000, &[0x11], 8),
            "unsupported_jpeg",
        ),
        (
            "lossless 3000x2000",
            hand_jpeg(0xC3, 8, 3000, 2000, &[0x11], 8),
            "unsupported_jpeg",
        ),
        (
            "lossless 16-bit",
            hand_jpeg(0xC3, 16, 640, 480, &[0x11], 8),
            "unsupported_jpeg",
        ),
        (
            "12-bit extended",
            hand_jpeg(0xC1, 12, 640, 480, &ycc, 8),
            "unsupported_jpeg",
        ),
        (
            "arithmetic baseline",
            hand_jpeg(0xC9, 8, 640, 480, &ycc, 8),
            "unsupported_jpeg",
        ),
        (
            "arithmetic progressive",
            hand_jpeg(0xCA, 8, 640, 480, &ycc, 8),
            "unsupported_jpeg",
        ),
        (
            "hierarchical",
            hand_jpeg(0xC5, 8, 640, 480, &ycc, 8),
            "unsupported_jpeg",
        ),
        (
            "two components",
            hand_jpeg(0xC0, 8, 640, 480, &[0x11, 0x11], 8),
            "unsupported_jpeg",
        ),
        (
            "progressive 4898^2 4:4:4",
            hand_jpeg(0xC2, 8, 4898, 4898, &[0x11; 3], 8),
            "too_much_memory",
        ),
        (
            "progressive 4898^2 CMYK",
            hand_jpeg(0xC2, 8, 4898, 4898, &[0x11; 4], 8),
            "too_much_memory",
        ),
        (
            "progressive 4898^2 4:2:0",
            hand_jpeg(0xC2, 8, 4898, 4898, &ycc, 8),
            "too_much_memory",
        ),
        (
            "baseline 65535^2",
            hand_jpeg(0xC0, 8, 65535, 65535, &ycc, 8),
            "too_many_pixels",
        ),
        (
            "baseline 10000^2, 8 bytes of scan",
            hand_jpeg(0xC0, 8, 10_000, 10_000, &ycc, 8),
            "truncated",
        ),
        (
            "baseline 10000^2 grey",
            hand_jpeg(0xC0, 8, 10_000, 10_000, &[0x11], 64),
            "truncated",
        ),
        (
            "progressive 2000^2, DC scan cut",
            hand_jpeg(0xC2, 8, 2000, 2000, &ycc, 64),
            "truncated",
        ),
    ];
    for (name, bytes, code) in &cases {
        worst = worst.max(bench.refused(name, bytes, code));
    }
    // A hierarchical image announced by DHP before its frames.
    let mut dhp = vec![0xFF, 0xD8];
    segment(&mut dhp, 0xDE, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
    dhp.extend_from_slice(&hand_jpeg(0xC0, 8, 16, 16, &[0x11], 8)[2..]);
    worst = worst.max(bench.refused("DHP", &dhp, "unsupported_jpeg"));
    // 16-bit RGBA PNG at the pixel limit (zero pixels compress to ~190 KB).
    let big = png(
        &vec![0u8; 4898 * 4898 * 8],
        4898,
        4898,
        image::ExtendedColorType::Rgba16,
    );
    worst = worst.max(bench.refused("PNG 16-bit RGBA 4898^2", &big, "too_much_memory"));
    eprintln!("worst refused bomb: {worst} kB");
}

#[test]
fn genuine_photos_of_every_layout_are_accepted_within_memory() {
    let bench = Bench::new();
    let mut worst = 0;
    // 12 MP baseline 4:2:0, the common camera photo.
    let camera = textured_jpeg(4000, 3000, 1);
    let (image, _, peak) = bench.accepted("12 MP baseline", &camera);
    assert_eq!((image.width(), image.height()), (1920, 1440));
    worst = worst.max(peak);
    // Restart intervals: the completeness check follows RSTn markers.
    let data = pixels(1600, 1200, 3, 2);
    let rst = encoder_jpeg(&data, 1600, 1200, jpeg_encoder::ColorType::Rgb, |e| {
        e.set_restart_interval(7)
    });
    let (image, _, peak) = bench.accepted("restart interval 7", &rst);
    assert_eq!((image.width(), image.height()), (1600, 1200));
    worst = worst.max(peak);
    // Progressive 4:2:0 photo of 5 MP: decoded within the budget.
    let data = pixels(2560, 1920, 3, 3);
    let progressive = encoder_jpeg(&data, 2560, 1920, jpeg_encoder::ColorType::Rgb, |e| {
        e.set_progressive(true);
        e.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    });
    let (image, _, peak) = bench.accepted("progressive 5 MP 4:2:0", &progressive);
    assert_eq!((image.width(), image.height()), (1920, 1440));
    worst = worst.max(peak);
    // A genuine 12 MP progressive 4:4:4 photo needs ~72 MB of coefficients: refused.
    let data = pixels(4000, 3000, 3, 4);
    let progressive = encoder_jpeg(&data, 4000, 3000, jpeg_encoder::ColorType::Rgb, |e| {
        e.set_progressive(true);
        e.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4);
    });
    bench.refused("progressive 12 MP 4:4:4", &progressive, "too_much_memory");
    // Greyscale: stored grey.
    let grey = textured_grey_jpeg(1200, 900, 5);
    let (image, _, peak) = bench.accepted("greyscale", &grey);
    assert_eq!(image.color().channel_count(), 1);
    worst = worst.max(peak);
    // CMYK: pure red ink (no cyan, full magenta and yellow) comes out red.
    let cmyk: Vec<u8> = (0..800 * 600)
        .flat_map(|i| [0, 255, 255, (i % 7) as u8 * 4])
        .collect();
    let cmyk = encoder_jpeg(&cmyk, 800, 600, jpeg_encoder::ColorType::Cmyk, |_| {});
    let (image, _, peak) = bench.accepted("CMYK", &cmyk);
    let [r, g, b] = mean_rgb(&image);
    assert!(
        r > 180.0 && g < 60.0 && b < 60.0,
        "CMYK red became {r:.0}/{g:.0}/{b:.0}"
    );
    worst = worst.max(peak);
    // PNG RGBA 16-bit, small: alpha flattened, colour kept.
    let rgba16: Vec<u8> = (0..1000 * 800)
        .flat_map(|i: u32| {
            let g = ((i % 1000) * 65) as u16;
            [
                0xFF,
                0xFF,
                g.to_be_bytes()[0],
                g.to_be_bytes()[1],
                0,
                0,
                0xFF,
                0xFF,
            ]
        })
        .collect();
    let rgba16 = png(&rgba16, 1000, 800, image::ExtendedColorType::Rgba16);
    let (image, _, peak) = bench.accepted("PNG 16-bit RGBA", &rgba16);
    assert_eq!((image.width(), image.height()), (1000, 800));
    let [r, _, b] = mean_rgb(&image);
    assert!(r > 240.0 && b < 20.0, "16-bit PNG colour {r:.0}/{b:.0}");
    worst = worst.max(peak);
    // A 6 MP 8-bit RGB PNG (screenshot-like sizes) fits.
    let rgb = png(
        &pixels(3000, 2000, 3, 6),
        3000,
        2000,
        image::ExtendedColorType::Rgb8,
    );
    let (image, _, peak) = bench.accepted("PNG 6 MP RGB", &rgb);
    assert_eq!((image.width(), image.height()), (1920, 1280));
    worst = worst.max(peak);
    // Extreme aspect: 65500 x 8.
    let strip = encoder_jpeg(
        &pixels(65500, 8, 3, 7),
        65500,
        8,
        jpeg_encoder::ColorType::Rgb,
        |_| {},
    );
    let (image, _, peak) = bench.accepted("65500x8", &strip);
    assert_eq!((image.width(), image.height()), (1920, 1));
    worst = worst.max(peak);
    eprintln!("worst accepted: {worst} kB");
}

#[test]
fn damaged_evidence_is_refused() {
    let bench = Bench::new();
    let good = textured_jpeg(1600, 1200, 9);
    // Cut at half with an end marker appended: the decoder would paint the lower half flat.
    let mut half = good[..good.len() / 2].to_vec();
    half.extend_from_slice(&[0xFF, 0xD9]);
    bench.refused("cut at 50 % + EOI", &half, "truncated");
    for percent in [99, 90, 75, 30, 5] {
        let cut = &good[..good.len() * percent / 100];
        bench.refused(&format!("cut at {percent} %"), cut, "truncated");
    }
    // Progressive, cut inside its first (DC) scan, with EOI: the bottom is missing.
    let progressive = encoder_jpeg(
        &pixels(1200, 900, 3, 10),
        1200,
        900,
        jpeg_encoder::ColorType::Rgb,
        |e| e.set_progressive(true),
    );
    let sos = progressive
        .windows(2)
        .position(|m| m == [0xFF, 0xDA])
        .expect("SOS");
    let next = sos
        + 2
        + progressive[sos + 2..]
            .windows(2)
            .position(|m| m == [0xFF, 0xDA])
            .expect("second scan");
    let mut dc_cut = progressive[..(sos + next) / 2].to_vec();
    dc_cut.extend_from_slice(&[0xFF, 0xD9]);
    bench.refused("progressive DC scan cut + EOI", &dc_cut, "truncated");
    // Flat colour: nothing to see.
    let flat = encoder_jpeg(
        &vec![128u8; 1200 * 900 * 3],
        1200,
        900,
        jpeg_encoder::ColorType::Rgb,
        |_| {},
    );
    bench.refused("flat grey", &flat, "uniform");
    let flat_png = png(&vec![0u8; 800 * 600], 800, 600, image::ExtendedColorType::L8);
    bench.refused("flat black PNG", &flat_png, "uniform");
    bench.refused(
        "1x1",
        &encoder_jpeg(&[200, 10, 10], 1, 1, jpeg_encoder::ColorType::Rgb, |_| {}),
        "uniform",
    );
    // Bit flips in the scan data: refused as damaged, or accepted at the right size.
    let sos = good.windows(2).position(|m| m == [0xFF, 0xDA]).expect("SOS") + 20;
    let mut rng = Rng::new(11);
    for n in 0..12 {
        let mut flipped = good.clone();
        for _ in 0..1 + n / 3 {
            let at = sos + rng.below((good.len() - sos - 2) as u64) as usize;
            flipped[at] ^= 1 << rng.below(8);
        }
        let before = bench.snapshot();
        let name = format!("bit flips #{n}");
        match bench.run(&name, &flipped) {
            (Outcome::Accepted(sha), _) => {
                let (_, image) = bench.take_back(&name, &sha, &before);
                assert_eq!((image.width(), image.height()), (1600, 1200), "{name}");
            }
            (outcome, _) => bench.assert_refused(&name, outcome, &["corrupt", "truncated"], &before),
        }
    }
}

#[test]
fn header_fuzz_other_formats_and_files_are_refused_with_their_code() {
    let bench = Bench::new();
    let good = textured_jpeg(640, 480, 12);
    let header_end = good.windows(2).position(|m| m == [0xFF, 0xDA]).expect("SOS") + 14;
    let mut rng = Rng::new(13);
    let damaged = [
        "corrupt",
        "truncated",
        "unsupported_jpeg",
        "too_many_pixels",
        "too_much_memory",
        "uniform",
    ];
    for n in 0..24 {
        let mut fuzzed = good.clone();
        for _ in 0..1 + rng.below(4) {
            let at = 2 + rng.below(header_end as u64 - 2) as usize;
            fuzzed[at] = rng.next_u64() as u8;
        }
        let before = bench.snapshot();
        let name = format!("header fuzz #{n}");
        match bench.run(&name, &fuzzed) {
            (Outcome::Accepted(sha), _) => {
                bench.take_back(&name, &sha, &before);
            }
            (outcome, _) => bench.assert_refused(&name, outcome, &damaged, &before),
        }
    }
    let mut webp = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
    webp.resize(2048, 0);
    let mut heic = vec![0, 0, 0, 0x18];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.resize(2048, 0);
    let mut gif_then_jpeg = b"GIF89a".to_vec();
    gif_then_jpeg.extend_from_slice(&good);
    for (name, bytes, code) in [
        (
            "GIF",
            b"GIF89a\x10\x00\x10\x00\x00\x00\x00;".to_vec(),
            "unsupported_format",
        ),
        ("WebP", webp, "unsupported_format"),
        ("HEIC", heic, "unsupported_format"),
        ("GIF header then a JPEG", gif_then_jpeg, "unsupported_format"),
        ("0 bytes", Vec::new(), "empty"),
        ("SOI only", vec![0xFF, 0xD8], "truncated"),
    ] {
        bench.refused(name, &bytes, code);
    }
    // Devices and huge files are refused at the limit without being read whole.
    let before = bench.snapshot();
    let (outcome, _) = bench.run_path("/dev/zero", Path::new("/dev/zero"));
    bench.assert_refused("/dev/zero", outcome, &["too_large"], &before);
    let sparse = bench.files.path().join("sparse");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(2 << 30))
        .expect("a 2 GB sparse file");
    let (outcome, _) = bench.run_path("2 GB file", &sparse);
    bench.assert_refused("2 GB file", outcome, &["too_large"], &before);
}

#[test]
fn absurd_exif_and_polyglots_are_accepted_clean() {
    let bench = Bench::new();
    let good = textured_jpeg(1200, 800, 14);
    let check_clean = |name: &str, stored: &[u8]| {
        let found = markers(stored);
        assert!(
            found.iter().all(|m| !matches!(m, 0xE1..=0xEF | 0xFE)),
            "{name}: metadata left in the stored photo: {found:02X?}"
        );
    };
    // Orientation 99: ignored, not rotated.
    let odd = with_exif(&good, &tiff(&[(0x0112, 3, 1, 99 << 16)], 0, &[]));
    let (image, stored, _) = bench.accepted("orientation 99", &odd);
    assert_eq!((image.width(), image.height()), (1200, 800));
    check_clean("orientation 99", &stored);
    // Orientation 6 is applied: portrait.
    let rotated = with_exif(&good, &tiff(&[(0x0112, 3, 1, 6 << 16)], 0, &[]));
    let (image, stored, _) = bench.accepted("orientation 6", &rotated);
    assert_eq!((image.width(), image.height()), (800, 1200));
    check_clean("orientation 6", &stored);
    // GPS latitude 1000 degrees: no position taken from it.
    let gps_ifd = 8 + 2 + 12 + 4; // right after IFD0 (one entry)
    let mut gps = Vec::new();
    gps.extend_from_slice(&4u16.to_be_bytes());
    let rationals_at = gps_ifd + 2 + 4 * 12 + 4;
    for (tag, kind, count, value) in [
        (1u16, 2u16, 2u32, u32::from_be_bytes(*b"N\0\0\0")),
        (2, 5, 3, rationals_at as u32),
        (3, 2, 2, u32::from_be_bytes(*b"E\0\0\0")),
        (4, 5, 3, rationals_at as u32 + 24),
    ] {
        gps.extend_from_slice(&tag.to_be_bytes());
        gps.extend_from_slice(&kind.to_be_bytes());
        gps.extend_from_slice(&count.to_be_bytes());
        gps.extend_from_slice(&value.to_be_bytes());
    }
    gps.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [(1000u32, 1u32), (0, 1), (0, 1), (120, 1), (0, 1), (0, 1)] {
        gps.extend_from_slice(&num.to_be_bytes());
        gps.extend_from_slice(&den.to_be_bytes());
    }
    let absurd_gps = with_exif(&good, &tiff(&[(0x8825, 4, 1, gps_ifd as u32)], 0, &gps));
    let before = bench.snapshot();
    let (outcome, _) = bench.run("GPS latitude 1000", &absurd_gps);
    let Outcome::Accepted(sha) = outcome else {
        panic!("GPS latitude 1000 refused")
    };
    let photo = bench
        .client()
        .draft(&bench.draft)
        .expect("draft")
        .content
        .photos
        .pop()
        .expect("photo");
    assert_eq!((photo.exif_lat, photo.exif_lon), (None, None));
    let (stored, _) = bench.take_back("GPS latitude 1000", &sha, &before);
    check_clean("GPS latitude 1000", &stored);
    // IFD0 whose next IFD and EXIF pointer are itself: read once, no loop.
    let recursive = with_exif(
        &good,
        &tiff(&[(0x0112, 3, 1, 3 << 16), (0x8769, 4, 1, 8)], 8, &[]),
    );
    let (image, stored, _) = bench.accepted("recursive IFDs", &recursive);
    assert_eq!((image.width(), image.height()), (1200, 800));
    check_clean("recursive IFDs", &stored);
    // A 60 KB EXIF blob of noise, and a 60 KB APP2.
    let mut rng = Rng::new(15);
    let mut blob = b"MM\0\x2A\0\0\0\x08".to_vec();
    blob.extend((0..60_000).map(|_| rng.next_u64() as u8));
    let (_, stored, _) = bench.accepted("60 KB EXIF blob", &with_exif(&good, &blob));
    check_clean("60 KB EXIF blob", &stored);
    let app2: Vec<u8> = (0..60_000).map(|_| rng.next_u64() as u8).collect();
    let (_, stored, _) = bench.accepted("60 KB APP2", &with_app(&good, 0xE2, &app2));
    check_clean("60 KB APP2", &stored);
    // Polyglots: whatever follows the end of the JPEG is not part of it.
    let mut zip_tail = good.clone();
    zip_tail.extend_from_slice(b"PK\x03\x04<html><script>alert(1)</script></html>");
    let (image, stored, _) = bench.accepted("JPEG + ZIP/HTML tail", &zip_tail);
    assert_eq!((image.width(), image.height()), (1200, 800));
    check_clean("JPEG + ZIP/HTML tail", &stored);
    let mut png_tail = good.clone();
    png_tail.extend_from_slice(&png(
        &pixels(64, 64, 3, 16),
        64,
        64,
        image::ExtendedColorType::Rgb8,
    ));
    let (image, _, _) = bench.accepted("JPEG + PNG tail", &png_tail);
    assert_eq!((image.width(), image.height()), (1200, 800));
    // A comment segment holding markup.
    let commented = with_app(&good, 0xFE, b"<?php system($_GET['c']); ?>");
    let (_, stored, _) = bench.accepted("COM with markup", &commented);
    check_clean("COM with markup", &stored);
}

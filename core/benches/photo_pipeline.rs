//! Photo pipeline benchmark against libvips' `vipsthumbnail` (plain `fn main`, `harness = false`).
//!
//! Run: `cargo bench --bench photo_pipeline [-- --rounds N]`. Needs `vipsthumbnail`
//! (Debian `libvips-tools`). Uses `/work/shared/photos/photo{1,2}.jpg` when present (one of
//! them re-tagged with EXIF orientation 6 if neither has it), else generates 12-MP JPEGs.
//!
//! Targets: wall time ours/vips <= 0.6 (aim 0.35); peak RSS of a process running the
//! pipeline once <= 40 MB; luma PSNR of our 1920 px output against a Lanczos3 resize of the
//! fully decoded photo within 1 dB of vipsthumbnail's (or better).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fast_image_resize as fir;
use gridpatrol_core::media::{PhotoConfig, process};

const SHARED: &str = "/work/shared/photos";
const CHILD_FLAG: &str = "--child-pipeline";
const PROBE_FLAG: &str = "--rss-probe";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = (args.get(1).map(String::as_str) == Some(PROBE_FLAG)).then_some(1) {
        // A small fresh process that runs the command and reports its peak RSS. Measuring
        // from the (large) bench process itself would count its pages: a vfork-spawned
        // child inherits the parent's high-water mark into ru_maxrss at exec.
        let mut cmd = Command::new(&args[i + 1]);
        cmd.args(&args[i + 2..]);
        println!("maxrss {}", child_peak_rss(&mut cmd));
        return;
    }
    if let Some(i) = (args.get(1).map(String::as_str) == Some(CHILD_FLAG)).then_some(1) {
        let path = args.get(i + 1).expect("child needs a photo path");
        let input = std::fs::read(path).expect("read photo");
        let out = process(&input, &PhotoConfig::default()).expect("pipeline");
        std::hint::black_box(&out);
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
            println!(
                "vmhwm {}",
                line.trim_start_matches("VmHWM:").trim().trim_end_matches(" kB")
            );
        }
        return;
    }
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(7);

    if Command::new("vipsthumbnail").arg("--version").output().is_err() {
        eprintln!("vipsthumbnail not found: apt-get install libvips-tools");
        std::process::exit(2);
    }
    let work = tempfile::tempdir().expect("tempdir");
    let photos = prepare_photos(work.path());
    let config = PhotoConfig::default();

    // Interleaved timing: each round runs ours then vips on every photo.
    let mut ours = vec![Duration::ZERO; photos.len()];
    let mut vips = vec![Duration::ZERO; photos.len()];
    let mut round_ratios = Vec::new();
    for round in 0..=rounds {
        let (mut r_ours, mut r_vips) = (Duration::ZERO, Duration::ZERO);
        for (i, (_, path)) in photos.iter().enumerate() {
            let t = Instant::now();
            run_ours(path, work.path(), &config);
            let d_ours = t.elapsed();
            let t = Instant::now();
            run_vips(path, work.path());
            let d_vips = t.elapsed();
            if round > 0 {
                // round 0 warms caches and is not counted
                ours[i] += d_ours;
                vips[i] += d_vips;
                r_ours += d_ours;
                r_vips += d_vips;
            }
        }
        if round > 0 {
            round_ratios.push(r_ours.as_secs_f64() / r_vips.as_secs_f64());
        }
    }
    round_ratios.sort_by(f64::total_cmp);
    let median_ratio = round_ratios[round_ratios.len() / 2];

    println!("photo pipeline vs vipsthumbnail, {rounds} interleaved rounds (+1 warm-up)");
    println!(
        "{:<22} {:>11} {:>11} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "photo", "ours ms", "vips ms", "ratio", "ours RSS", "vips RSS", "PSNR ours", "PSNR vips"
    );
    let mut worst_rss = 0u64;
    let mut notes = Vec::new();
    let mut psnr_ok = true;
    for (i, (name, path)) in photos.iter().enumerate() {
        let exe = std::env::current_exe().expect("exe");
        let exe = exe.to_str().expect("utf-8 path");
        let photo = path.to_str().expect("utf-8 path");
        let (our_rss, our_hwm) = probe_rss(&[exe, CHILD_FLAG, photo]);
        let vips_rss = [1920, 320]
            .iter()
            .map(|size| {
                let out = work.path().join(format!("vips{size}.jpg"));
                let out = format!("{}[Q=80,strip]", out.display());
                probe_rss(&["vipsthumbnail", photo, "-s", &size.to_string(), "-o", &out]).0
            })
            .max()
            .expect("two sizes");
        if let Some(hwm) = our_hwm {
            notes.push(format!(
                "{name}: our child's own VmHWM {:.1} MB",
                hwm as f64 / 1024.0
            ));
        }
        worst_rss = worst_rss.max(our_rss);
        let (p_ours, p_vips) = psnr_pair(path, work.path(), &config);
        psnr_ok &= p_ours >= p_vips - 1.0;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / rounds as f64;
        println!(
            "{:<22} {:>11.1} {:>11.1} {:>7.2} {:>7.1} MB {:>7.1} MB {:>7.2} dB {:>7.2} dB",
            name,
            ms(ours[i]),
            ms(vips[i]),
            ours[i].as_secs_f64() / vips[i].as_secs_f64(),
            our_rss as f64 / 1024.0,
            vips_rss as f64 / 1024.0,
            p_ours,
            p_vips
        );
    }
    for note in &notes {
        println!("  {note}");
    }
    let total_ratio =
        ours.iter().sum::<Duration>().as_secs_f64() / vips.iter().sum::<Duration>().as_secs_f64();
    println!(
        "time ratio ours/vips: total {total_ratio:.3}, median of rounds {median_ratio:.3} (aim <= 0.35)"
    );
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    let time_ok = median_ratio <= 0.6;
    let rss_ok = worst_rss <= 40 * 1024;
    println!("{}: time ratio {median_ratio:.3} <= 0.6", verdict(time_ok));
    println!(
        "{}: peak RSS {:.1} MB <= 40 MB",
        verdict(rss_ok),
        worst_rss as f64 / 1024.0
    );
    println!("{}: PSNR ours >= vips - 1 dB on every photo", verdict(psnr_ok));
    let sealed_ratio = store_sealed_vs_plain(&photos, work.path(), &config, rounds);
    let sealed_ok = sealed_ratio <= 1.1;
    println!(
        "{}: photo store add with encryption / without {sealed_ratio:.3} <= 1.1",
        verdict(sealed_ok)
    );
    if !(time_ok && rss_ok && psnr_ok && sealed_ok) {
        std::process::exit(1);
    }
}

/// `PhotoStore::add` (process, write, fsync) into a sealed store against a plaintext one,
/// interleaved per photo, each file removed after its add so every add writes; returns the
/// median over rounds of sealed time / plaintext time.
fn store_sealed_vs_plain(
    photos: &[(String, PathBuf)],
    work: &Path,
    config: &PhotoConfig,
    rounds: usize,
) -> f64 {
    use gridpatrol_core::media::PhotoStore;
    use gridpatrol_core::media::sealed::PhotoKey;
    let plain = PhotoStore::new(work.join("store-plain"), config.clone()).expect("store");
    let sealed = PhotoStore::new(work.join("store-sealed"), config.clone())
        .expect("store")
        .sealed_with(PhotoKey::new([0x42; 32]));
    let inputs: Vec<Vec<u8>> = photos
        .iter()
        .map(|(_, p)| std::fs::read(p).expect("photo"))
        .collect();
    let mut ratios = Vec::new();
    for round in 0..=rounds {
        let (mut t_plain, mut t_sealed) = (Duration::ZERO, Duration::ZERO);
        for (i, input) in inputs.iter().enumerate() {
            let order: [&PhotoStore; 2] = if i % 2 == 0 {
                [&plain, &sealed]
            } else {
                [&sealed, &plain]
            };
            for store in order {
                let t = Instant::now();
                let meta = store.add(input).expect("add");
                let took = t.elapsed();
                store.remove(&meta.sha256).expect("remove");
                if std::ptr::eq(store, &plain) {
                    t_plain += took;
                } else {
                    t_sealed += took;
                }
            }
        }
        if round > 0 {
            ratios.push(t_sealed.as_secs_f64() / t_plain.as_secs_f64());
        }
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!("photo store add, sealed / plaintext per round: {ratios:.3?} (median {median:.3})");
    median
}

/// The photos to run on: (label, path). Guarantees one with EXIF orientation 6.
fn prepare_photos(work: &Path) -> Vec<(String, PathBuf)> {
    let shared: Vec<PathBuf> = ["photo1.jpg", "photo2.jpg"]
        .iter()
        .map(|n| Path::new(SHARED).join(n))
        .filter(|p| p.is_file())
        .collect();
    let mut photos: Vec<(String, PathBuf)> = if shared.is_empty() {
        (1..=2)
            .map(|i| {
                let path = work.join(format!("generated{i}.jpg"));
                std::fs::write(&path, generate_12mp(i)).expect("write generated photo");
                (format!("generated{i}.jpg"), path)
            })
            .collect()
    } else {
        shared
            .into_iter()
            .map(|p| {
                let name = p.file_name().expect("name").to_string_lossy().into_owned();
                (name, p)
            })
            .collect()
    };
    let has_6 = photos
        .iter()
        .any(|(_, p)| orientation_of(&std::fs::read(p).expect("read")) == 6);
    if !has_6 {
        let (name, path) = photos.last().expect("a photo").clone();
        let rotated = with_orientation_6(&std::fs::read(&path).expect("read"));
        let out = work.join("orient6.jpg");
        std::fs::write(&out, rotated).expect("write orient6");
        let last = photos.len() - 1;
        photos[last] = (format!("{name} (orient 6)"), out);
    }
    photos
}

fn orientation_of(jpeg: &[u8]) -> u32 {
    exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(jpeg))
        .ok()
        .and_then(|e| {
            e.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
        })
        .unwrap_or(1)
}

/// Replaces the APP1 Exif segment (if any) with one holding Orientation = 6.
fn with_orientation_6(jpeg: &[u8]) -> Vec<u8> {
    let field = exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![6]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&field);
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("write exif");
    let tiff = tiff.into_inner();
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&u16::try_from(tiff.len() + 8).expect("small").to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    // Copy the remaining segments, skipping existing Exif APP1s.
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let seg = &jpeg[i..i + 2 + len];
        if !(jpeg[i + 1] == 0xE1 && seg[4..].starts_with(b"Exif\0\0")) {
            out.extend_from_slice(seg);
        }
        i += 2 + len;
    }
    out.extend_from_slice(&jpeg[i..]);
    out
}

/// A camera-like 4000 x 3000 JPEG: smooth gradients plus fine texture.
fn generate_12mp(seed: u32) -> Vec<u8> {
    let (w, h) = (4000u32, 3000u32);
    let mut state = seed.wrapping_mul(2_654_435_761);
    let rgb: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 28) as i32 - 8;
            let base = [
                (x * 255 / w) as i32,
                (y * 255 / h) as i32,
                (((x / 40) ^ (y / 40)) % 2 * 120 + 60) as i32,
            ];
            base.map(|c| (c + noise).clamp(0, 255) as u8)
        })
        .collect();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .expect("encode generated photo");
    out
}

fn run_ours(path: &Path, work: &Path, config: &PhotoConfig) {
    let input = std::fs::read(path).expect("read photo");
    let out = process(&input, config).expect("pipeline");
    std::fs::write(work.join("ours.jpg"), &out.photo_jpeg).expect("write");
    std::fs::write(work.join("ours_thumb.jpg"), &out.thumb_jpeg).expect("write");
}

fn vips_command(path: &Path, work: &Path, size: u32) -> Command {
    let mut cmd = Command::new("vipsthumbnail");
    cmd.arg(path)
        .arg("-s")
        .arg(size.to_string())
        .arg("-o")
        .arg(format!(
            "{}[Q=80,strip]",
            work.join(format!("vips{size}.jpg")).display()
        ))
        .stdout(Stdio::null());
    cmd
}

fn run_vips(path: &Path, work: &Path) {
    for size in [1920, 320] {
        let status = vips_command(path, work, size).status().expect("vipsthumbnail");
        assert!(status.success(), "vipsthumbnail failed");
    }
}

/// Runs `argv` under a fresh probe process; returns (peak RSS KiB, child's own VmHWM KiB).
fn probe_rss(argv: &[&str]) -> (u64, Option<u64>) {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .arg(PROBE_FLAG)
        .args(argv)
        .stderr(Stdio::inherit())
        .output()
        .expect("run probe");
    assert!(out.status.success(), "probe failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    (value("maxrss ").expect("probe printed maxrss"), value("vmhwm "))
}

/// Runs `cmd` and returns its peak resident set size in KiB (from wait4's rusage).
fn child_peak_rss(cmd: &mut Command) -> u64 {
    let child = cmd.spawn().expect("spawn child");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain syscall on our own child, with valid out-pointers; the Child handle is
    // not waited on elsewhere.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed"
    );
    std::mem::forget(child);
    usage.ru_maxrss as u64
}

/// Luma PSNR of our 1920 px output and of vipsthumbnail's, both against a Lanczos3 resize
/// of the fully decoded, upright original.
fn psnr_pair(path: &Path, work: &Path, config: &PhotoConfig) -> (f64, f64) {
    let input = std::fs::read(path).expect("read");
    let ours = process(&input, config).expect("pipeline").photo_jpeg;
    let ours = image::load_from_memory(&ours).expect("decode ours").to_rgb8();
    let vips_path = work.join("vips1920.jpg");
    assert!(
        vips_command(path, work, 1920).status().expect("vips").success(),
        "vipsthumbnail failed"
    );
    let vips = image::open(&vips_path).expect("decode vips").to_rgb8();

    let full = image::load_from_memory(&input).expect("full decode");
    let mut full = full;
    let orientation = match orientation_of(&input) {
        2 => image::metadata::Orientation::FlipHorizontal,
        3 => image::metadata::Orientation::Rotate180,
        4 => image::metadata::Orientation::FlipVertical,
        5 => image::metadata::Orientation::Rotate90FlipH,
        6 => image::metadata::Orientation::Rotate90,
        7 => image::metadata::Orientation::Rotate270FlipH,
        8 => image::metadata::Orientation::Rotate270,
        _ => image::metadata::Orientation::NoTransforms,
    };
    full.apply_orientation(orientation);
    let full = full.to_rgb8();
    let (w, h) = ours.dimensions();
    assert_eq!(vips.dimensions(), (w, h), "vips and ours differ in size");
    let src = fir::images::ImageRef::new(full.width(), full.height(), full.as_raw(), fir::PixelType::U8x3)
        .expect("view");
    let mut reference = fir::images::Image::new(w, h, fir::PixelType::U8x3);
    fir::Resizer::new()
        .resize(
            &src,
            &mut reference,
            &fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3)),
        )
        .expect("reference resize");
    let reference = reference.into_vec();
    (
        luma_psnr(&reference, ours.as_raw()),
        luma_psnr(&reference, vips.as_raw()),
    )
}

fn luma_psnr(a: &[u8], b: &[u8]) -> f64 {
    let luma = |p: &[u8]| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
    let (sum, n) = a
        .chunks_exact(3)
        .zip(b.chunks_exact(3))
        .fold((0.0, 0usize), |(s, n), (x, y)| {
            let d = luma(x) - luma(y);
            (s + d * d, n + 1)
        });
    let mse = sum / n as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

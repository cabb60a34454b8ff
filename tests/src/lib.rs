//! End-to-end tests of gridpatrol live in `tests/tests/`; this crate holds only what they
//! share with its helper binaries (`src/bin/`): photo fixtures, a seeded PRNG and the recipe
//! of a valid report.

use std::path::Path;
use std::sync::Arc;

use gridpatrol_core::Client;
use gridpatrol_core::capture::{PhotoKind, Reporter, SubmitOutcome, WarningResponse};
use gridpatrol_core::keys::FileKeyStore;
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::taxonomy::Role;

/// The subtype the fixtures file: 03-018 "Confined-space work without protection". One photo
/// at least, a fix within 50 m (no manual pin), `hazard_level` (single choice) required and
/// `company_name` (string, at most 100 chars) optional; inspectors may file it; no component.
pub const SUBTYPE: &str = "03-018";
pub const PROBLEM: &str = "03-018-01";
/// A problem of another subtype (01-031, unregistered rental housing).
pub const OTHER_SUBTYPE: &str = "01-031";
pub const OTHER_PROBLEM: &str = "01-031-01";
/// The warning a second report of the same subtype at the same place raises.
pub const DUPLICATE_WARNING: &str = "report.possible_duplicate";

/// splitmix64 over `gridpatrol_core::noise::hash` (its finaliser): small, seeded, good enough
/// to schedule kills and texture photos. The `k`-th number of seed `s` is the finaliser of
/// `(s ^ G) + k * G` (`G` splitmix's increment); `noise::hash(a, 0, 0)` is the finaliser of
/// `a * G`, so the stream is `hash(base + k)` with `base = (s ^ G) / G` (mod 2^64, `G` is odd):
/// the very numbers the fixtures were made with.
#[derive(Debug, Clone)]
pub struct Rng {
    base: u64,
    drawn: u64,
}

/// splitmix64's increment, the golden ratio in 64 bits (`noise::hash`'s first multiplier).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The inverse of an odd `x` modulo 2^64 (Newton's iteration doubles the correct bits).
const fn inverse(x: u64) -> u64 {
    let mut y = x; // correct to 3 bits for any odd x
    let mut i = 0;
    while i < 5 {
        y = y.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(y)));
        i += 1;
    }
    y
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng {
            base: (seed ^ GOLDEN).wrapping_mul(inverse(GOLDEN)),
            drawn: 0,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.drawn += 1;
        gridpatrol_core::noise::hash(self.base.wrapping_add(self.drawn), 0, 0)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

pub use gridpatrol_core::time::now_ms;

/// A textured RGB JPEG (gradients, stripes and seeded noise, so it compresses like a photo
/// and every seed gives different pixels, hence a different stored photo).
pub fn textured_jpeg(width: u32, height: u32, seed: u64) -> Vec<u8> {
    textured(width, height, seed, 3)
}

/// As [`textured_jpeg`] in greyscale: a third of the pixel work in the pipeline, for tests
/// that process many photos (the crash test).
pub fn textured_grey_jpeg(width: u32, height: u32, seed: u64) -> Vec<u8> {
    textured(width, height, seed, 1)
}

fn textured(width: u32, height: u32, seed: u64, channels: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let (a, b) = (rng.below(7) as u32 + 1, rng.below(5) as u32 + 2);
    let tint = rng.below(256) as u32;
    let mut pixels = Vec::with_capacity(width as usize * height as usize * channels);
    for y in 0..height {
        for x in 0..width {
            let noise = (rng.next_u64() & 0x1F) as u32;
            let stripe = if ((x / (8 * a)) + (y / (8 * b))) % 2 == 0 {
                40
            } else {
                0
            };
            let rgb = [
                ((x * 255 / width) + noise + stripe).min(255) as u8,
                ((y * 255 / height) + noise / 2).min(255) as u8,
                ((x + y).wrapping_add(tint) % 256) as u8,
            ];
            if channels == 3 {
                pixels.extend_from_slice(&rgb);
            } else {
                pixels.push(((u32::from(rgb[0]) + u32::from(rgb[1]) + u32::from(rgb[2])) / 3) as u8);
            }
        }
    }
    let color = if channels == 3 {
        image::ExtendedColorType::Rgb8
    } else {
        image::ExtendedColorType::L8
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode(&pixels, width, height, color)
        .expect("encoding a JPEG fixture in memory cannot fail");
    out
}

/// A copy of `jpeg` whose pixels differ: the first quantisation table's DC and three
/// lowest AC steps are set to seeded values (16.7 M variants). Free compared with encoding a
/// new fixture, and the decoded pixels, hence the stored photo and its SHA-256, change.
pub fn vary_jpeg(jpeg: &[u8], seed: u64) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let dqt = out
        .windows(2)
        .position(|m| m == [0xFF, 0xDB])
        .expect("the fixture has a DQT segment");
    // FF DB, length (2 bytes), Pq/Tq (1 byte; Pq = 0: 8-bit steps), then 64 steps in zigzag order.
    assert_eq!(out[dqt + 4] >> 4, 0, "8-bit quantisation table");
    let mut rng = Rng::new(seed);
    for step in &mut out[dqt + 5..dqt + 9] {
        *step = rng.below(64) as u8 + 1;
    }
    out
}

pub fn inspector(id: &str) -> Reporter {
    Reporter {
        reporter_id: id.into(),
        role: Role::Inspector,
        grid_ids: Vec::new(),
    }
}

/// A good GPS fix taken now, at `(lat, lon)` (WGS-84).
pub fn gps_fix(lat: f64, lon: f64) -> LocationFix {
    LocationFix {
        lat,
        lon,
        accuracy_m: 8.0,
        fix_time_ms: now_ms(),
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

/// A place in Suzhou, moved by `n` × ~200 m so reports do not look like duplicates of each other.
pub fn place(n: u64) -> (f64, f64) {
    (
        31.2989 + (n % 97) as f64 * 0.002,
        120.5853 + (n / 97 % 97) as f64 * 0.002,
    )
}

/// Fills a fresh draft into a valid one of [`SUBTYPE`] with `photo` as its evidence.
pub fn fill_valid_draft(client: &Client, id: &str, photo: &[u8], at: (f64, f64)) {
    client
        .set_event(id, Some(SUBTYPE.into()), Some(PROBLEM.into()))
        .expect("set_event");
    client
        .set_location(id, gps_fix(at.0, at.1))
        .expect("set_location");
    client
        .add_photo(id, photo, PhotoKind::Evidence)
        .expect("add_photo");
    client
        .set_attribute(id, "hazard_level", "general")
        .expect("hazard_level");
    client
        .set_attribute(id, "company_name", "苏州某机械厂")
        .expect("company_name");
    client
        .set_description(id, "井下作业无通风、无监护")
        .expect("description");
}

/// A subtype that needs no photo and no attribute: 01-004 "Labour dispute" (inspectors may
/// file it; a manual pin is allowed). Household checks and disputes like it are filed in
/// runs without photos.
pub const PLAIN_SUBTYPE: &str = "01-004";
pub const PLAIN_PROBLEM: &str = "01-004-01";

/// Fills a fresh draft into a valid one of [`PLAIN_SUBTYPE`], without a photo.
pub fn fill_valid_plain_draft(client: &Client, id: &str, at: (f64, f64)) {
    client
        .set_event(id, Some(PLAIN_SUBTYPE.into()), Some(PLAIN_PROBLEM.into()))
        .expect("set_event");
    client
        .set_location(id, gps_fix(at.0, at.1))
        .expect("set_location");
    client
        .set_description(id, "两名工人反映工资拖欠")
        .expect("description");
}

/// Submits a filled draft, acknowledging the possible-duplicate warning; the report id.
/// Panics if validation rejects it: fixtures fill only valid drafts.
pub fn submit_valid(client: &Client, draft_id: &str) -> String {
    match client.submit(draft_id, ack_duplicates()).expect("submit") {
        SubmitOutcome::Submitted { report_id } => report_id,
        SubmitOutcome::Rejected { report } => panic!("a valid fixture was rejected: {report:?}"),
    }
}

/// Acknowledges the possible-duplicate warning (reports in tests are often close together).
pub fn ack_duplicates() -> WarningResponse {
    WarningResponse {
        acknowledged: vec![DUPLICATE_WARNING.into()],
        override_reason: None,
    }
}

/// Signs again a report fixture changed behind the device's back (a copy under a new id, a
/// shifted clock, a broken rule), at its original place in the device's chain, as the device
/// would have signed it: the platform then judges the change itself, not a claim that no
/// longer fits. `value` is the report's stored JSON. Call it once `client` has submitted (its
/// key is then in memory): inside a `store().write` it could not make the key.
pub fn resign(client: &Client, value: &mut serde_json::Value) {
    let mut report: gridpatrol_core::capture::SubmittedReport =
        serde_json::from_value(value.clone()).expect("a report's stored JSON");
    let previous = report
        .claim
        .take()
        .and_then(|signed| signed.previous_claim_sha256);
    let signed = client
        .device_key()
        .expect("the device key")
        .sign(&report, previous);
    value["claim"] = serde_json::to_value(signed).expect("a claim serializes");
}

/// The key store `Client::open` uses (the development one, inside the data directory), as the
/// FFI takes it: a `GridPatrol` and a `Client` opened on one directory share its data key.
pub fn ffi_keys(data_dir: impl AsRef<Path>) -> Arc<dyn gridpatrol_ffi::KeyStore> {
    Arc::new(DevelopmentKeys(development_keys(data_dir.as_ref())))
}

struct DevelopmentKeys(FileKeyStore);

impl gridpatrol_ffi::KeyStore for DevelopmentKeys {
    fn wrap(&self, alias: String, key: Vec<u8>) -> Result<Vec<u8>, gridpatrol_ffi::KeyStoreError> {
        use gridpatrol_core::keys::KeyStore;
        self.0.wrap(&alias, &key).map_err(ffi_error)
    }

    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, gridpatrol_ffi::KeyStoreError> {
        use gridpatrol_core::keys::KeyStore;
        self.0.unwrap(&alias, &wrapped).map_err(ffi_error)
    }
}

fn ffi_error(error: gridpatrol_core::keys::KeyStoreError) -> gridpatrol_ffi::KeyStoreError {
    match error {
        gridpatrol_core::keys::KeyStoreError::KeyLost => gridpatrol_ffi::KeyStoreError::KeyLost,
        gridpatrol_core::keys::KeyStoreError::Unavailable { reason } => {
            gridpatrol_ffi::KeyStoreError::Unavailable { reason }
        }
    }
}

/// A raw connection to the (encrypted) store of a data directory no `Client` has open, with
/// the development key store's key: for tests that read or damage tables directly.
pub fn raw_store(data_dir: impl AsRef<Path>, flags: rusqlite::OpenFlags) -> rusqlite::Connection {
    let data_dir = data_dir.as_ref();
    gridpatrol_core::client::open_raw_store(data_dir, &development_keys(data_dir), flags)
        .expect("the store opens with its key")
}

/// The development key store `Client::open` uses for `data_dir`.
fn development_keys(data_dir: &Path) -> FileKeyStore {
    FileKeyStore::new(data_dir.join(gridpatrol_core::client::DEVELOPMENT_WRAPPING_KEY))
}

/// The photo key of a data directory opened with the development key store: for tests and
/// benches that put ready-made photo files into its photo store (sealed, as the store keeps
/// them; `gridpatrol_core::media::sealed::seal`).
pub fn photo_key(data_dir: impl AsRef<Path>) -> gridpatrol_core::media::sealed::PhotoKey {
    let data_dir = data_dir.as_ref();
    let key = gridpatrol_core::keys::existing_data_key(data_dir, &development_keys(data_dir))
        .expect("the directory's data key");
    gridpatrol_core::media::sealed::PhotoKey::new(key.photo_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The splitmix64 this replaced, to check the stream is the same number for number.
    fn splitmix(seed: u64, n: usize) -> Vec<u64> {
        let mut state = seed ^ GOLDEN;
        (0..n)
            .map(|_| {
                state = state.wrapping_add(GOLDEN);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            })
            .collect()
    }

    #[test]
    fn the_stream_is_splitmix64_of_the_seed() {
        assert_eq!(inverse(GOLDEN).wrapping_mul(GOLDEN), 1);
        for seed in [0, 7, 42, u64::MAX] {
            let mut rng = Rng::new(seed);
            let ours: Vec<u64> = (0..100).map(|_| rng.next_u64()).collect();
            assert_eq!(ours, splitmix(seed, 100), "seed {seed}");
        }
    }
}

//! Capture: drafts, on-device validation and submit into the outbox.
//!
//! Owns what happens between the camera and the outbox: the draft a worker fills in (persisted
//! at every step, so a killed app loses nothing), the validation of a draft against its
//! subtype's rules, the reporter's role and grids, and the data itself, and `submit`, which
//! moves a valid draft into the reports and the outbox in one durable transaction. It does not
//! send anything (the sync engine works the outbox) and does not process photos (see `media`).

mod assemble;
mod component_rule;
mod drafts;
mod event_rules;
mod evidence_rules;
mod field_rules;
mod findings;
mod location_rules;
#[cfg(test)]
mod rules_tests;
mod times;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub use component_rule::{COMPONENT_NEAR_M, check_component};
pub use findings::{Finding, Severity, ValidationReport};
pub use times::{CLOCK_OFFSET_HEADER, EARLIEST_CAPTURE_MS, clock_skew_s};
pub use validate::{EarlierReport, validate, validate_submitted};

pub(crate) use field_rules::check_attribute_value;

pub(crate) use assemble::assemble;
pub(crate) use drafts::*;

use crate::location::LocationFix;
use crate::taxonomy::Role;

/// Who is reporting: their id on the platform, their role, and the basic grids they are
/// assigned to (own-grid checks use these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Reporter {
    pub reporter_id: String,
    pub role: Role,
    pub grid_ids: Vec<String>,
}

/// Whether a photo shows the problem (evidence) or the place after it was dealt with on the spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    Evidence,
    After,
}

impl PhotoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoKind::Evidence => "evidence",
            PhotoKind::After => "after",
        }
    }

    pub fn parse(s: &str) -> Option<PhotoKind> {
        [PhotoKind::Evidence, PhotoKind::After]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A processed photo attached to a draft, with what its EXIF said before it was stripped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DraftPhoto {
    pub sha256: String,
    pub kind: PhotoKind,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub original_width: u32,
    pub original_height: u32,
    /// The camera's time (EXIF DateTimeOriginal) as Unix ms, when the photo had one.
    pub exif_taken_at_ms: Option<i64>,
    pub exif_lat: Option<f64>,
    pub exif_lon: Option<f64>,
}

/// What a worker reports, the same in a draft and in the submitted report: who, where, the
/// photos, the attributes and the words. One record, flattened into both ([`Draft`],
/// [`SubmittedReport`]), so their JSON is what it was when each listed these fields itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReportContent {
    pub reporter: Reporter,
    /// Always WGS-84 once stored; `input_datum` says what the app gave.
    pub fix: Option<LocationFix>,
    pub input_datum: Option<crate::location::Datum>,
    pub photos: Vec<DraftPhoto>,
    /// Attribute code → value as text: numbers in decimal, datetimes in RFC 3339, choices by
    /// key, multi-choices as keys separated by commas.
    #[serde(serialize_with = "sorted")]
    pub attributes: HashMap<String, String>,
    pub description: String,
    /// The component (部件) the report is about, e.g. the street lamp's number.
    pub component_id: Option<String>,
    /// The worker dealt with the problem on the spot (needs an "after" photo).
    pub disposed_on_spot: bool,
    /// When capture started (device clock), Unix ms.
    pub captured_at_ms: i64,
}

/// A report being filled in. Every field is persisted as soon as it is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Draft {
    /// The report id, made on the device (UUID v7); the same id names the submitted report.
    pub id: String,
    pub subtype: Option<String>,
    pub problem: Option<String>,
    #[serde(flatten)]
    pub content: ReportContent,
    pub updated_at_ms: i64,
}

/// What `submit` did.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SubmitOutcome {
    /// In the outbox, durably; the id is the draft's id.
    Submitted { report_id: String },
    /// Not submitted: errors to fix, or warnings not acknowledged. Nothing changed.
    Rejected { report: ValidationReport },
}

/// The worker's answer to warnings: the codes they acknowledged, or one reason overriding all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WarningResponse {
    pub acknowledged: Vec<String>,
    pub override_reason: Option<String>,
}

/// One row of the outbox as the queue screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxEntry {
    pub report_id: String,
    pub subtype: String,
    pub problem: String,
    pub state: OutboxState,
    pub attempts: u32,
    pub enqueued_at_ms: i64,
    pub photos: u32,
    pub parked_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Pending,
    Delivered,
    Parked,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Parked => "parked",
        }
    }

    fn parse(s: &str) -> OutboxState {
        match s {
            "delivered" => OutboxState::Delivered,
            "parked" => OutboxState::Parked,
            _ => OutboxState::Pending,
        }
    }
}

/// A submitted report as stored on the device: what the platform will receive. Made from a
/// valid draft by [`assemble`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SubmittedReport {
    pub id: String,
    pub category: String,
    pub subtype: String,
    pub problem: String,
    #[serde(flatten)]
    pub content: ReportContent,
    /// The basic grid the fix lies in (level 3), when grids are installed and it lies in one.
    pub grid_id: Option<String>,
    pub submitted_at_ms: i64,
    pub event_list_version: String,
    pub event_list_sha256: String,
    /// Warnings the worker saw and accepted, by code, and the reason if they overrode them.
    pub acknowledged_warnings: Vec<String>,
    pub override_reason: Option<String>,
    /// The device's signed claim over this report (`crate::claim`), made at submit; absent
    /// on reports submitted before devices signed (and left out of their JSON, unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<crate::claim::SignedClaim>,
}

/// Tunable limits of validation that are not per subtype.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CapturePolicy {
    /// A fix older than this before capture started is stale.
    pub max_fix_age_s: u32,
    /// How far ahead of "now" a capture or fix time may be (phone clocks drift).
    pub clock_skew_s: u32,
    /// EXIF time further than this from the fix time: a warning.
    pub exif_time_tolerance_s: u32,
    /// EXIF GPS further than this from the fix: a warning.
    pub exif_gps_tolerance_m: u32,
    /// Same subtype within this radius and window on this device: a possible duplicate.
    pub duplicate_radius_m: u32,
    pub duplicate_window_s: u32,
    /// Description length limit in characters.
    pub description_max_chars: u32,
    /// Photos with a shorter short edge are too small to be evidence.
    pub min_photo_short_edge: u32,
    /// The local time zone EXIF times without an offset are read in (China: +480).
    pub exif_utc_offset_minutes: i32,
}

impl Default for CapturePolicy {
    fn default() -> Self {
        Self {
            max_fix_age_s: 300,
            clock_skew_s: 300,
            exif_time_tolerance_s: 900,
            exif_gps_tolerance_m: 200,
            duplicate_radius_m: 50,
            duplicate_window_s: 24 * 3600,
            description_max_chars: 2000,
            min_photo_short_edge: 480,
            exif_utc_offset_minutes: 8 * 60,
        }
    }
}

/// The most characters a description may have before it is refused at once (validation has the
/// policy's lower limit); protects the store from megabyte strings.
pub const DESCRIPTION_HARD_LIMIT_CHARS: usize = 20_000;
/// The most characters an attribute value or a component id may have.
pub const VALUE_HARD_LIMIT_CHARS: usize = 2_000;

/// An EXIF time as Unix ms: its own offset when it has one, else `default_offset_minutes`.
pub fn exif_time_ms(t: &crate::media::ExifDateTime, default_offset_minutes: i32) -> Option<i64> {
    let month = time::Month::try_from(t.month).ok()?;
    let date = time::Date::from_calendar_date(i32::from(t.year), month, t.day).ok()?;
    let clock = time::Time::from_hms(t.hour, t.minute, t.second).ok()?;
    let offset_minutes = t.offset_minutes.map(i32::from).unwrap_or(default_offset_minutes);
    let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).ok()?;
    let at = time::PrimitiveDateTime::new(date, clock).assume_offset(offset);
    Some(at.unix_timestamp() * 1000)
}

/// Serializes a map with its keys in order, so a report's JSON is the same on every run.
fn sorted<S: serde::Serializer>(map: &HashMap<String, String>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().collect::<BTreeMap<_, _>>())
}

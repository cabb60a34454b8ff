//! The time rules of a report, one function each: capture and fix times against the clock and
//! against each other. Part of `validate` (the one rule set of device and platform).
//!
//! Owns which times are possible. It does not own which clock is "now": the device passes its
//! own clock; the platform passes the device's clock at submit (`submitted_at_ms`) when that is
//! later than its own, so a report a device with a fast clock accepted is never refused for it
//! (the platform records the skew instead, see `platform::reports`). Times are any i64 a report
//! carries: every difference saturates, so extreme values are findings, never an overflow.

use crate::location::{LocationFix, LocationProvider};

use super::{CapturePolicy, Draft, ValidationReport};

/// No capture is older than this (2024-01-01T00:00:00Z, before the first event list was
/// released): an earlier time is a phone clock reset to its epoch, not a report.
pub const EARLIEST_CAPTURE_MS: i64 = 1_704_067_200_000;

fn skew_ms(policy: &CapturePolicy) -> i64 {
    i64::from(policy.clock_skew_s) * 1000
}

fn max_fix_age_ms(policy: &CapturePolicy) -> i64 {
    i64::from(policy.max_fix_age_s) * 1000
}

/// `capture.in_future`: the capture time is later than now (beyond the tolerated skew).
pub(super) fn capture_in_future(
    draft: &Draft,
    policy: &CapturePolicy,
    now_ms: i64,
    report: &mut ValidationReport,
) {
    if draft.content.captured_at_ms > now_ms.saturating_add(skew_ms(policy)) {
        report.error(
            "capture.in_future",
            "captured_at",
            "采集时间晚于当前时间，请检查手机时间设置",
            "The capture time is in the future; check the phone's clock",
        );
    }
}

/// `capture.too_early`: before [`EARLIEST_CAPTURE_MS`].
pub(super) fn capture_too_early(draft: &Draft, report: &mut ValidationReport) {
    if draft.content.captured_at_ms < EARLIEST_CAPTURE_MS {
        report.error(
            "capture.too_early",
            "captured_at",
            "采集时间早于 2024 年，请检查手机时间设置",
            "The capture time is before 2024; check the phone's clock",
        );
    }
}

/// `capture.before_fix`: the fix was taken long after the capture (more than the fix age
/// allowed, plus the skew): the capture time is wrong, not the fix.
pub(super) fn capture_long_before_fix(
    draft: &Draft,
    fix: &LocationFix,
    policy: &CapturePolicy,
    report: &mut ValidationReport,
) {
    if fix.provider != LocationProvider::ManualPin
        && fix.fix_time_ms
            > draft
                .content
                .captured_at_ms
                .saturating_add(max_fix_age_ms(policy))
                .saturating_add(skew_ms(policy))
    {
        let minutes = fix.fix_time_ms.abs_diff(draft.content.captured_at_ms) / 60_000;
        report.error(
            "capture.before_fix",
            "captured_at",
            format!("采集时间比定位时间早 {minutes} 分钟，请检查采集时间"),
            format!("The capture time is {minutes} minutes before the fix; check the capture time"),
        );
    }
}

/// `location.stale`: the fix is older than the capture by more than the policy allows. Not
/// said when the capture time itself is in the future (that finding says what is wrong).
pub(super) fn fix_stale(
    draft: &Draft,
    fix: &LocationFix,
    policy: &CapturePolicy,
    now_ms: i64,
    report: &mut ValidationReport,
) {
    let capture_in_future = draft.content.captured_at_ms > now_ms.saturating_add(skew_ms(policy));
    if fix.provider != LocationProvider::ManualPin
        && !capture_in_future
        && fix.fix_time_ms
            < draft
                .content
                .captured_at_ms
                .saturating_sub(max_fix_age_ms(policy))
    {
        let minutes = draft.content.captured_at_ms.abs_diff(fix.fix_time_ms) / 60_000;
        report.error(
            "location.stale",
            "fix",
            format!("定位是 {minutes} 分钟前的，请重新定位"),
            format!("The fix is {minutes} minutes older than the capture; locate again"),
        );
    }
}

/// `location.in_future`: the fix time is later than now (beyond the tolerated skew).
pub(super) fn fix_in_future(
    fix: &LocationFix,
    policy: &CapturePolicy,
    now_ms: i64,
    report: &mut ValidationReport,
) {
    if fix.fix_time_ms > now_ms.saturating_add(skew_ms(policy)) {
        report.error(
            "location.in_future",
            "fix",
            "定位时间晚于当前时间，请检查手机时间设置",
            "The fix time is in the future; check the phone's clock",
        );
    }
}

/// The header a device sends its learned clock offset in (device clock minus platform clock,
/// milliseconds; see `sync::clock`).
pub const CLOCK_OFFSET_HEADER: &str = "gridpatrol-clock-offset-ms";

/// How far the device's clock is off the platform's, in whole seconds, when that is more than
/// the tolerated skew (`policy.clock_skew_s`); `None` when within it or unknown. Taken from the
/// offset the device learned (`device_offset_ms`), or else from a `submitted_at_ms` later than
/// the platform's clock (which proves the device's clock ran at least that fast).
pub fn clock_skew_s(
    report: &super::SubmittedReport,
    platform_now_ms: i64,
    device_offset_ms: Option<i64>,
    policy: &CapturePolicy,
) -> Option<i64> {
    let offset_ms = device_offset_ms.unwrap_or(report.submitted_at_ms.saturating_sub(platform_now_ms).max(0));
    (offset_ms.unsigned_abs() > skew_ms(policy).unsigned_abs()).then_some(offset_ms / 1000)
}

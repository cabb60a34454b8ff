//! The location rules of a report, one function each: the fix itself (present, a real
//! position, not mock, accurate enough, and its times), the reporter's own grid, and a possible
//! duplicate nearby. Part of `validate` (the one rule set of device and platform); it does not
//! own the grids (`grid`) or the datum conversions (`location`).

use crate::grid::GridIndex;
use crate::location::{LocationFix, LocationProvider, distance_m};
use crate::taxonomy::{OwnGridPolicy, Subtype};

use super::validate::EarlierReport;
use super::{CapturePolicy, Draft, ValidationReport};

/// The draft's fix when it is a real position (finite, on the globe, not (0,0)): the rules that
/// measure from the fix use only such a one.
fn usable_fix(draft: &Draft) -> Option<&LocationFix> {
    draft.content.fix.as_ref().filter(|fix| {
        fix.lat.is_finite()
            && fix.lon.is_finite()
            && fix.lat.abs() <= 90.0
            && fix.lon.abs() <= 180.0
            && !(fix.lat == 0.0 && fix.lon == 0.0)
    })
}

/// `location.missing` / `location.invalid` / `location.null_island` / `location.mock` /
/// `location.manual_pin_not_allowed` / `location.too_inaccurate`, then the fix's time rules.
pub(super) fn fix(
    draft: &Draft,
    subtype: &crate::taxonomy::Subtype,
    policy: &CapturePolicy,
    now_ms: i64,
    report: &mut ValidationReport,
) {
    let rules = &subtype.rules.location;
    let Some(fix) = &draft.content.fix else {
        if rules.required {
            report.error(
                "location.missing",
                "fix",
                "此类事件需要定位，请等待定位成功",
                "This event needs a location; wait for a fix",
            );
        }
        return;
    };
    if !fix.lat.is_finite() || !fix.lon.is_finite() || fix.lat.abs() > 90.0 || fix.lon.abs() > 180.0 {
        report.error(
            "location.invalid",
            "fix",
            "定位坐标无效",
            "The location is not a valid position",
        );
        return;
    }
    if fix.lat == 0.0 && fix.lon == 0.0 {
        report.error(
            "location.null_island",
            "fix",
            "定位为 (0,0)，说明定位失败，请重新定位",
            "The location is (0,0): the fix failed; locate again",
        );
        return;
    }
    if fix.is_mock {
        report.error(
            "location.mock",
            "fix",
            "检测到模拟定位，请关闭模拟定位软件后重新定位",
            "A mock location was detected; turn off the mock-location app and locate again",
        );
    }
    if fix.provider == LocationProvider::ManualPin {
        if !rules.manual_pin_allowed {
            report.error(
                "location.manual_pin_not_allowed",
                "fix",
                "此类事件不允许手动选点，请使用实时定位",
                "This event needs a real fix; a pin placed by hand is not allowed",
            );
        }
    } else if fix.accuracy_m > f64::from(rules.max_accuracy_m) {
        report.error(
            "location.too_inaccurate",
            "fix",
            format!("定位精度 {:.0} 米，此类事件要求 {} 米以内，请到开阔处重新定位", fix.accuracy_m, rules.max_accuracy_m),
            format!(
                "The fix is accurate to {:.0} m; this event needs {} m or better. Move to open sky and locate again",
                fix.accuracy_m, rules.max_accuracy_m
            ),
        );
    }
    super::times::fix_stale(draft, fix, policy, now_ms, report);
    super::times::capture_long_before_fix(draft, fix, policy, report);
    super::times::fix_in_future(fix, policy, now_ms, report);
}

/// `grid.outside_own`: the fix lies outside every grid of the reporter's (an error or a
/// warning as the subtype says; no check without installed grids, own grids or a usable fix).
pub(super) fn own_grid(
    draft: &Draft,
    subtype: &Subtype,
    grids: Option<&GridIndex>,
    report: &mut ValidationReport,
) {
    let rules = &subtype.rules.location;
    let Some(fix) = usable_fix(draft) else {
        return;
    };
    let (Some(grids), false) = (grids, rules.own_grid == OwnGridPolicy::NoCheck) else {
        return;
    };
    let own = &draft.content.reporter.grid_ids;
    if own.is_empty() {
        return;
    }
    let located = grids.locate(fix.lat, fix.lon);
    if located.is_some_and(|chain| own.iter().any(|g| g == &chain.basic.id)) {
        return;
    }
    let distance = own
        .iter()
        .filter_map(|g| grids.distance_to_grid_m(g, fix.lat, fix.lon))
        .fold(f64::INFINITY, f64::min);
    let place_zh = located
        .map(|c| format!("位于“{}”", c.basic.name))
        .unwrap_or_else(|| "不在任何网格内".into());
    let place_en = located
        .map(|c| format!("lies in grid {}", c.basic.id))
        .unwrap_or_else(|| "lies in no grid".into());
    let (zh, en) = if distance.is_finite() {
        (
            format!("定位{place_zh}，距您负责的网格 {distance:.0} 米"),
            format!("The fix {place_en}, {distance:.0} m outside your own grid"),
        )
    } else {
        (
            format!("定位{place_zh}，不在您负责的网格内"),
            format!("The fix {place_en}, outside your own grid"),
        )
    };
    if rules.own_grid == OwnGridPolicy::Error {
        report.error("grid.outside_own", "fix", zh, en);
    } else {
        report.warning("grid.outside_own", "fix", zh, en);
    }
}

/// `report.possible_duplicate` (a warning): a report of the same subtype on this device,
/// captured within the policy's window and radius.
pub(super) fn duplicate(
    draft: &Draft,
    subtype: &Subtype,
    policy: &CapturePolicy,
    earlier: &[EarlierReport],
    report: &mut ValidationReport,
) {
    let Some(fix) = &draft.content.fix else {
        return;
    };
    let window_ms = u64::from(policy.duplicate_window_s) * 1000;
    if let Some(earlier) = earlier.iter().find(|e| {
        e.id != draft.id
            && e.subtype == subtype.code
            && e.captured_at_ms.abs_diff(draft.content.captured_at_ms) <= window_ms
            && distance_m(e.lat, e.lon, fix.lat, fix.lon) <= f64::from(policy.duplicate_radius_m)
    }) {
        report.warning(
            "report.possible_duplicate",
            "subtype",
            format!("附近已上报过同类事件（{}），请确认不是重复上报", earlier.id),
            format!(
                "The same kind of event was reported nearby ({}); make sure this is not a duplicate",
                earlier.id
            ),
        );
    }
}

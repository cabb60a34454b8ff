//! The validation of a draft: one function, used by the device before submit and by the
//! reference platform on receipt, so both apply the same rule set.

use crate::grid::GridIndex;
use crate::location::{LocationProvider, distance_m};
use crate::taxonomy::{Attribute, Datatype, EventList, OwnGridPolicy, Role};

use super::{CapturePolicy, Draft, PhotoKind, ValidationReport};

/// A report already on this device, for the possible-duplicate check.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierReport {
    pub id: String,
    pub subtype: String,
    pub lat: f64,
    pub lon: f64,
    pub captured_at_ms: i64,
}

/// Validates a report as received by a platform: the same rules as on the device, applied to
/// the report as submitted (warnings do not reject; the device already had them answered).
/// Time rules are judged against the later of `now_ms` and the device's clock at submit
/// (`submitted_at_ms`): a phone clock that runs fast never gets a report the device accepted
/// refused (the platform records the skew instead).
pub fn validate_submitted(
    report: &super::SubmittedReport,
    list: &EventList,
    grids: Option<&GridIndex>,
    policy: &CapturePolicy,
    now_ms: i64,
) -> ValidationReport {
    let draft = Draft {
        id: report.id.clone(),
        reporter: report.reporter.clone(),
        subtype: Some(report.subtype.clone()),
        problem: Some(report.problem.clone()),
        fix: report.fix,
        input_datum: report.input_datum,
        photos: report.photos.clone(),
        attributes: report.attributes.clone(),
        description: report.description.clone(),
        component_id: report.component_id.clone(),
        disposed_on_spot: report.disposed_on_spot,
        captured_at_ms: report.captured_at_ms,
        updated_at_ms: report.submitted_at_ms,
    };
    validate(
        &draft,
        list,
        grids,
        policy,
        &[],
        now_ms.max(report.submitted_at_ms),
    )
}

fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Inspector => "网格巡查员",
        Role::Volunteer => "网格志愿者",
        Role::GridLeader => "网格长",
        Role::PoliceOfficer => "网格警务员",
    }
}

/// Validates `draft` against the event list in force, the grids (when installed), the policy
/// and the reports already on the device. `now_ms` is the device clock.
pub fn validate(
    draft: &Draft,
    list: &EventList,
    grids: Option<&GridIndex>,
    policy: &CapturePolicy,
    earlier: &[EarlierReport],
    now_ms: i64,
) -> ValidationReport {
    let mut report = ValidationReport::default();

    let subtype = match draft.subtype.as_deref() {
        None => {
            report.error(
                "subtype.missing",
                "subtype",
                "请选择事件细类",
                "Choose the kind of event (subtype)",
            );
            None
        }
        Some(code) => match list.subtype(code) {
            None => {
                report.error(
                    "subtype.unknown",
                    "subtype",
                    format!("事件细类 {code} 不在当前事件清单中"),
                    format!("Subtype {code} is not in the event list in force"),
                );
                None
            }
            Some(subtype) => Some(subtype),
        },
    };

    match (draft.problem.as_deref(), subtype) {
        (None, _) => report.error(
            "problem.missing",
            "problem",
            "请选择具体问题",
            "Choose the problem",
        ),
        (Some(code), _) if list.problem(code).is_none() => report.error(
            "problem.unknown",
            "problem",
            format!("问题 {code} 不在当前事件清单中"),
            format!("Problem {code} is not in the event list in force"),
        ),
        (Some(code), Some(subtype)) if list.problem(code).is_some_and(|p| p.subtype != subtype.code) => {
            report.error(
                "problem.mismatch",
                "problem",
                format!("问题 {code} 不属于细类“{}”", subtype.name_zh),
                format!(
                    "Problem {code} does not belong to subtype \"{}\"",
                    subtype.name_en
                ),
            )
        }
        _ => {}
    }

    if let Some(subtype) = subtype {
        let rules = &subtype.rules;
        let role = draft.reporter.role;
        if !rules.roles.contains(&role) {
            report.error(
                "role.not_allowed",
                "subtype",
                format!(
                    "{}不能上报“{}”，请交由有权限的人员上报",
                    role_zh(role),
                    subtype.name_zh
                ),
                format!(
                    "A {} may not file \"{}\"; hand it to someone who may",
                    role.as_str(),
                    subtype.name_en
                ),
            );
        }

        let evidence = draft
            .photos
            .iter()
            .filter(|p| p.kind == PhotoKind::Evidence)
            .count() as u32;
        let total = draft.photos.len() as u32;
        if evidence < rules.evidence.min_photos {
            report.error(
                "photo.too_few",
                "photos",
                format!(
                    "至少需要 {} 张现场照片，当前 {evidence} 张",
                    rules.evidence.min_photos
                ),
                format!(
                    "At least {} photo(s) of the problem needed; {evidence} attached",
                    rules.evidence.min_photos
                ),
            );
        }
        if total > rules.evidence.max_photos {
            report.error(
                "photo.too_many",
                "photos",
                format!("最多 {} 张照片，当前 {total} 张", rules.evidence.max_photos),
                format!("At most {} photos; {total} attached", rules.evidence.max_photos),
            );
        }
        if draft.disposed_on_spot {
            if !rules.on_site_disposal {
                report.error(
                    "disposal.not_allowed",
                    "disposed_on_spot",
                    "此类事件不能现场处置结案，请上报",
                    "This kind of event cannot be closed on the spot; report it for handling",
                );
            } else if rules.evidence.after_photo_to_close_on_spot
                && !draft.photos.iter().any(|p| p.kind == PhotoKind::After)
            {
                report.error(
                    "photo.after_missing",
                    "photos",
                    "现场处置结案需要一张处置后的照片",
                    "Closing on the spot needs a photo taken after the problem was dealt with",
                );
            }
        }

        for attribute in &rules.attributes {
            match draft.attributes.get(&attribute.code) {
                None => {
                    if attribute.required {
                        report.error(
                            "attribute.missing",
                            &format!("attributes.{}", attribute.code),
                            format!("请填写“{}”", attribute.label_zh),
                            format!("Fill in \"{}\"", attribute.label_en),
                        );
                    }
                }
                Some(value) => {
                    if let Err((zh, en)) = check_attribute_value(attribute, value) {
                        report.error(
                            "attribute.invalid",
                            &format!("attributes.{}", attribute.code),
                            zh,
                            en,
                        );
                    }
                }
            }
        }
        let mut codes: Vec<&String> = draft.attributes.keys().collect();
        codes.sort();
        for code in codes {
            if !rules.attributes.iter().any(|a| &a.code == code) {
                report.error(
                    "attribute.unknown",
                    &format!("attributes.{code}"),
                    format!("此类事件没有“{code}”这一项"),
                    format!("This subtype has no attribute \"{code}\""),
                );
            }
        }

        if let Some(component) = &rules.component
            && component.required
            && draft.component_id.as_deref().is_none_or(|c| c.trim().is_empty())
        {
            report.error(
                "component.missing",
                "component_id",
                "请填写或扫描部件编号（如路灯、井盖上的编号）",
                "Enter or scan the component's number (as on the lamp post or cover)",
            );
        }

        check_location(draft, subtype, grids, policy, now_ms, &mut report);

        if let Some(fix) = &draft.fix {
            let window_ms = u64::from(policy.duplicate_window_s) * 1000;
            if let Some(earlier) = earlier.iter().find(|e| {
                e.id != draft.id
                    && e.subtype == subtype.code
                    && e.captured_at_ms.abs_diff(draft.captured_at_ms) <= window_ms
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
    }

    check_photo_consistency(draft, policy, &mut report);

    let chars = draft.description.chars().count();
    if chars > policy.description_max_chars as usize {
        report.error(
            "description.too_long",
            "description",
            format!("描述最多 {} 字，当前 {chars} 字", policy.description_max_chars),
            format!(
                "The description may have at most {} characters; it has {chars}",
                policy.description_max_chars
            ),
        );
    }
    super::times::capture_in_future(draft, policy, now_ms, &mut report);
    super::times::capture_too_early(draft, &mut report);
    report
}

fn check_location(
    draft: &Draft,
    subtype: &crate::taxonomy::Subtype,
    grids: Option<&GridIndex>,
    policy: &CapturePolicy,
    now_ms: i64,
    report: &mut ValidationReport,
) {
    let rules = &subtype.rules.location;
    let Some(fix) = &draft.fix else {
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

    let (Some(grids), false) = (grids, rules.own_grid == OwnGridPolicy::NoCheck) else {
        return;
    };
    let own = &draft.reporter.grid_ids;
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

fn check_photo_consistency(draft: &Draft, policy: &CapturePolicy, report: &mut ValidationReport) {
    for (i, photo) in draft.photos.iter().enumerate() {
        let field = format!("photos[{i}]");
        if photo.original_width.min(photo.original_height) < policy.min_photo_short_edge {
            report.error(
                "photo.too_small",
                &field,
                format!(
                    "第 {} 张照片太小（{}×{}），看不清现场",
                    i + 1,
                    photo.original_width,
                    photo.original_height
                ),
                format!(
                    "Photo {} is too small ({}×{}) to serve as evidence",
                    i + 1,
                    photo.original_width,
                    photo.original_height
                ),
            );
        }
        let Some(fix) = &draft.fix else { continue };
        if let Some(taken) = photo.exif_taken_at_ms {
            let apart_s = taken.abs_diff(fix.fix_time_ms) / 1000;
            if apart_s > u64::from(policy.exif_time_tolerance_s) {
                report.warning(
                    "photo.exif_time_mismatch",
                    &field,
                    format!(
                        "第 {} 张照片的拍摄时间与定位时间相差 {} 分钟，是否为旧照片？",
                        i + 1,
                        apart_s / 60
                    ),
                    format!(
                        "Photo {} was taken {} minutes apart from the fix; is it an old photo?",
                        i + 1,
                        apart_s / 60
                    ),
                );
            }
        }
        if let (Some(lat), Some(lon)) = (photo.exif_lat, photo.exif_lon) {
            let apart_m = distance_m(lat, lon, fix.lat, fix.lon);
            if apart_m > f64::from(policy.exif_gps_tolerance_m) {
                report.warning(
                    "photo.exif_gps_mismatch",
                    &field,
                    format!("第 {} 张照片的拍摄位置距定位点 {apart_m:.0} 米", i + 1),
                    format!("Photo {} was taken {apart_m:.0} m from the fix", i + 1),
                );
            }
        }
    }
}

/// Checks one attribute value against its definition; the error is (zh, en).
pub(crate) fn check_attribute_value(attribute: &Attribute, value: &str) -> Result<(), (String, String)> {
    let bad = |zh: String, en: String| {
        Err((
            format!("“{}”{zh}", attribute.label_zh),
            format!("\"{}\" {en}", attribute.label_en),
        ))
    };
    match attribute.datatype {
        Datatype::String | Datatype::Text => {
            let default_limit = if attribute.datatype == Datatype::String {
                200
            } else {
                2000
            };
            let limit = attribute.max_length.unwrap_or(default_limit) as usize;
            let chars = value.chars().count();
            if value.trim().is_empty() {
                return bad("不能为空".into(), "must not be empty".into());
            }
            if chars > limit {
                return bad(
                    format!("最多 {limit} 字"),
                    format!("may have at most {limit} characters"),
                );
            }
        }
        Datatype::Number => {
            let Ok(number) = value.trim().parse::<f64>() else {
                return bad("应为数字".into(), "must be a number".into());
            };
            if !number.is_finite() {
                return bad("应为数字".into(), "must be a number".into());
            }
            if let Some(min) = attribute.min
                && number < min as f64
            {
                return bad(format!("不能小于 {min}"), format!("must be at least {min}"));
            }
            if let Some(max) = attribute.max
                && number > max as f64
            {
                return bad(format!("不能大于 {max}"), format!("must be at most {max}"));
            }
        }
        Datatype::Datetime => {
            if time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
                .is_err()
            {
                return bad(
                    "应为日期时间（如 2026-11-23T09:30:00+08:00）".into(),
                    "must be a date and time like 2026-11-23T09:30:00+08:00".into(),
                );
            }
        }
        Datatype::SingleChoice => {
            if !attribute.values.iter().any(|v| v.key == value) {
                return bad("的选项无效".into(), format!("has no option {value:?}"));
            }
        }
        Datatype::MultiChoice => {
            let keys: Vec<&str> = value.split(',').map(str::trim).collect();
            if keys.iter().any(|k| k.is_empty()) {
                return bad("至少选择一项".into(), "needs at least one option".into());
            }
            for (i, key) in keys.iter().enumerate() {
                if !attribute.values.iter().any(|v| v.key == *key) || keys[..i].contains(key) {
                    return bad(
                        "的选项无效或重复".into(),
                        format!("has an unknown or repeated option {key:?}"),
                    );
                }
            }
        }
    }
    Ok(())
}

//! The evidence rules of a report, one function each: how many photos of which kind the
//! subtype asks for, closing on the spot, and each photo against the fix (size, EXIF time and
//! place). Part of `validate` (the one rule set of device and platform); it does not own the
//! photos themselves (`media`).

use crate::location::distance_m;
use crate::taxonomy::Subtype;

use super::{CapturePolicy, Draft, PhotoKind, ValidationReport};

/// `photo.too_few` (evidence photos) / `photo.too_many` (all photos).
pub(super) fn photo_counts(draft: &Draft, subtype: &Subtype, report: &mut ValidationReport) {
    let rules = &subtype.rules;
    let evidence = draft
        .content
        .photos
        .iter()
        .filter(|p| p.kind == PhotoKind::Evidence)
        .count() as u32;
    let total = draft.content.photos.len() as u32;
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
}

/// `disposal.not_allowed` / `photo.after_missing`: closing on the spot, where the subtype allows
/// it, with the after photo it may ask for.
pub(super) fn disposal(draft: &Draft, subtype: &Subtype, report: &mut ValidationReport) {
    let rules = &subtype.rules;
    if !draft.content.disposed_on_spot {
        return;
    }
    if !rules.on_site_disposal {
        report.error(
            "disposal.not_allowed",
            "disposed_on_spot",
            "此类事件不能现场处置结案，请上报",
            "This kind of event cannot be closed on the spot; report it for handling",
        );
    } else if rules.evidence.after_photo_to_close_on_spot
        && !draft.content.photos.iter().any(|p| p.kind == PhotoKind::After)
    {
        report.error(
            "photo.after_missing",
            "photos",
            "现场处置结案需要一张处置后的照片",
            "Closing on the spot needs a photo taken after the problem was dealt with",
        );
    }
}

/// `photo.too_small` (any subtype), and with a fix `photo.exif_time_mismatch` /
/// `photo.exif_gps_mismatch` (warnings: an old or elsewhere photo).
pub(super) fn photo_consistency(draft: &Draft, policy: &CapturePolicy, report: &mut ValidationReport) {
    for (i, photo) in draft.content.photos.iter().enumerate() {
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
        let Some(fix) = &draft.content.fix else { continue };
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

//! The component rule: a report that names a component (部件) must name one the installed
//! component package holds, of a type its subtype allows, near the fix.
//!
//! One function, used by the device before submit (and by the platform when it holds a
//! component package). It does not check that a required component is named at all: that is
//! `component.missing` in [`super::validate`], which needs no package.

use crate::component::ComponentIndex;
use crate::location::distance_m;
use crate::taxonomy::EventList;

use super::{Draft, ValidationReport};

/// How far a named component may be from the fix, in metres, on top of the fix's accuracy
/// radius: a worker reports a lamp from the pavement beside it, not from the next street.
pub const COMPONENT_NEAR_M: f64 = 30.0;

/// Checks the draft's component against the package. Severity follows the subtype's rule:
/// where the subtype requires a component the findings are errors, otherwise warnings (an id
/// typed by hand for a subtype that does not need one should not block the report).
///
/// Codes: `component.unknown` (not in the package), `component.type_not_allowed` (the
/// subtype's rule lists other types), `component.far_from_fix` (with the distance).
pub fn check_component(
    draft: &Draft,
    list: &EventList,
    components: &ComponentIndex,
    report: &mut ValidationReport,
) {
    let Some(id) = draft
        .content
        .component_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    else {
        return;
    };
    let rule = draft
        .subtype
        .as_deref()
        .and_then(|s| list.subtype(s))
        .and_then(|s| s.rules.component.as_ref());
    let required = rule.is_some_and(|r| r.required);
    let mut finding = |code: &str, zh: String, en: String| {
        if required {
            report.error(code, "component_id", zh, en);
        } else {
            report.warning(code, "component_id", zh, en);
        }
    };
    let Some(component) = components.get(id) else {
        finding(
            "component.unknown",
            format!(
                "部件编号 {id} 不在部件库（{}）中，请核对编号",
                components.version()
            ),
            format!(
                "Component {id} is not in the component package ({}); check the number",
                components.version()
            ),
        );
        return;
    };
    if let Some(rule) = rule
        && !rule.types.is_empty()
        && !rule.types.contains(&component.type_code)
    {
        let type_zh = list
            .component_type(&component.type_code)
            .map_or(component.type_code.as_str(), |t| t.name_zh.as_str());
        let type_en = list
            .component_type(&component.type_code)
            .map_or(component.type_code.as_str(), |t| t.name_en.as_str());
        finding(
            "component.type_not_allowed",
            format!("部件 {id} 是“{type_zh}”，此类事件不涉及这类部件"),
            format!("Component {id} is a {type_en}; this kind of event is not about that type"),
        );
    }
    if let Some(fix) = &draft.content.fix {
        let distance = distance_m(fix.lat, fix.lon, component.lat, component.lon);
        let allowed = COMPONENT_NEAR_M + fix.accuracy_m.max(0.0);
        if distance > allowed {
            finding(
                "component.far_from_fix",
                format!(
                    "部件 {id} 距定位点 {distance:.0} 米（应在 {allowed:.0} 米以内），请核对编号或重新定位"
                ),
                format!(
                    "Component {id} is {distance:.0} m from the fix (at most {allowed:.0} m expected); check the number or locate again"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::capture::{ReportContent, Reporter};
    use crate::location::{Datum, LocationFix, LocationProvider};
    use crate::taxonomy::Role;

    fn index() -> &'static ComponentIndex {
        static INDEX: OnceLock<ComponentIndex> = OnceLock::new();
        INDEX.get_or_init(|| crate::component::sample::sample_index(&EventList::bundled(), None))
    }

    /// A draft of `subtype` naming `component`, with a fix `north_m` metres north of lamp 00421.
    fn draft(subtype: &str, component: &str, north_m: f64) -> Draft {
        let lamp = index().get("320506-LD-00421").expect("sample lamp");
        Draft {
            id: "d-1".into(),
            subtype: Some(subtype.into()),
            problem: None,
            content: ReportContent {
                reporter: Reporter {
                    reporter_id: "insp-1".into(),
                    role: Role::Inspector,
                    grid_ids: Vec::new(),
                },
                fix: Some(LocationFix {
                    lat: lamp.lat + north_m / 111_195.0,
                    lon: lamp.lon,
                    accuracy_m: 5.0,
                    fix_time_ms: 0,
                    provider: LocationProvider::Gps,
                    is_mock: false,
                    datum: Datum::Wgs84,
                }),
                input_datum: Some(Datum::Wgs84),
                photos: Vec::new(),
                attributes: Default::default(),
                description: String::new(),
                component_id: Some(component.into()),
                disposed_on_spot: false,
                captured_at_ms: 0,
            },
            updated_at_ms: 0,
        }
    }

    fn check(d: &Draft) -> ValidationReport {
        let mut report = ValidationReport::default();
        check_component(d, &EventList::bundled(), index(), &mut report);
        report
    }

    #[test]
    fn the_lamp_beside_the_worker_passes() {
        // 04-004 street lamp out: a component is required, of type 01037 or 01077.
        let report = check(&draft("04-004", "320506-LD-00421", 12.0));
        assert_eq!(report, ValidationReport::default());
    }

    #[test]
    fn an_unknown_id_a_wrong_type_and_a_far_component_are_errors_where_required() {
        let report = check(&draft("04-004", "320506-LD-99999", 0.0));
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].code, "component.unknown");

        // A manhole cover is not a lamp.
        let cover = index()
            .components()
            .iter()
            .find(|c| c.type_code == "01001")
            .expect("a cover");
        let report = check(&draft("04-004", &cover.id, 0.0));
        assert!(
            report
                .errors
                .iter()
                .any(|f| f.code == "component.type_not_allowed"),
            "{report:?}"
        );

        let report = check(&draft("04-004", "320506-LD-00421", 120.0));
        assert_eq!(report.errors.len(), 1, "{report:?}");
        assert_eq!(report.errors[0].code, "component.far_from_fix");
        assert!(
            report.errors[0].message_en.contains("120 m"),
            "{}",
            report.errors[0].message_en
        );
        // Just inside the limit (30 m + 5 m accuracy) is fine.
        assert!(check(&draft("04-004", "320506-LD-00421", 34.0)).errors.is_empty());
    }

    #[test]
    fn for_a_subtype_without_a_component_rule_the_findings_are_warnings() {
        // 03-001 blocked fire lane names no component type.
        let report = check(&draft("03-001", "320506-LD-00421", 500.0));
        assert!(report.errors.is_empty());
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].code, "component.far_from_fix");
        let report = check(&draft("03-001", "no-such-lamp", 0.0));
        assert_eq!(report.warnings[0].code, "component.unknown");
        assert!(check(&draft("03-001", "  ", 0.0)).warnings.is_empty());
    }
}

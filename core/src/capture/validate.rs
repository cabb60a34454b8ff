//! The validation of a draft: one function, used by the device before submit and by the
//! reference platform on receipt, so both apply the same rule set.
//!
//! Owns the order of the rules and what each needs. The rules themselves are one function per
//! field group, each unit tested: `event_rules` (subtype, problem, role), `evidence_rules`
//! (photos, closing on the spot), `field_rules` (attributes, component number, description),
//! `location_rules` (fix, own grid, duplicates) and `times` (capture and fix times).

use crate::component::ComponentIndex;
use crate::grid::GridIndex;
use crate::taxonomy::EventList;

use super::{CapturePolicy, Draft, ValidationReport};
use super::{event_rules, evidence_rules, field_rules, location_rules, times};

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
/// refused (the platform records the skew instead). With a component package, the component the
/// report names is checked against it too ([`super::check_component`], as the device does
/// against its own copy).
pub fn validate_submitted(
    report: &super::SubmittedReport,
    list: &EventList,
    grids: Option<&GridIndex>,
    components: Option<&ComponentIndex>,
    policy: &CapturePolicy,
    now_ms: i64,
) -> ValidationReport {
    let draft = report.as_draft();
    let mut findings = validate(
        &draft,
        list,
        grids,
        policy,
        &[],
        now_ms.max(report.submitted_at_ms),
    );
    if let Some(components) = components {
        super::check_component(&draft, list, components, &mut findings);
    }
    findings
}

/// Validates `draft` against the event list in force, the grids (when installed), the policy
/// and the reports already on the device. `now_ms` is the device clock. Findings come in the
/// order of the rules below.
pub fn validate(
    draft: &Draft,
    list: &EventList,
    grids: Option<&GridIndex>,
    policy: &CapturePolicy,
    earlier: &[EarlierReport],
    now_ms: i64,
) -> ValidationReport {
    let mut report = ValidationReport::default();
    let subtype = event_rules::subtype(draft, list, &mut report);
    event_rules::problem(draft, list, subtype, &mut report);
    // The rules a subtype sets need one the list has.
    if let Some(subtype) = subtype {
        event_rules::role(draft, subtype, &mut report);
        evidence_rules::photo_counts(draft, subtype, &mut report);
        evidence_rules::disposal(draft, subtype, &mut report);
        field_rules::attributes(draft, subtype, &mut report);
        field_rules::component_given(draft, subtype, &mut report);
        location_rules::fix(draft, subtype, policy, now_ms, &mut report);
        location_rules::own_grid(draft, subtype, grids, &mut report);
        location_rules::duplicate(draft, subtype, policy, earlier, &mut report);
    }
    evidence_rules::photo_consistency(draft, policy, &mut report);
    field_rules::description(draft, policy, &mut report);
    times::capture_in_future(draft, policy, now_ms, &mut report);
    times::capture_too_early(draft, &mut report);
    report
}

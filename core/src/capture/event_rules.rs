//! The event rules of a report, one function each: the subtype and problem against the event
//! list in force, and whether the reporter's role may file the subtype. Part of `validate` (the
//! one rule set of device and platform); it does not own the event list (`taxonomy`).

use crate::taxonomy::{EventList, Role, Subtype};

use super::{Draft, ValidationReport};

/// `subtype.missing` / `subtype.unknown`; the subtype in force when the draft names one the list
/// has (the rules that follow need it).
pub(super) fn subtype<'l>(
    draft: &Draft,
    list: &'l EventList,
    report: &mut ValidationReport,
) -> Option<&'l Subtype> {
    match draft.subtype.as_deref() {
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
    }
}

/// `problem.missing` / `problem.unknown` / `problem.mismatch` (a problem of another subtype).
pub(super) fn problem(
    draft: &Draft,
    list: &EventList,
    subtype: Option<&Subtype>,
    report: &mut ValidationReport,
) {
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
}

/// `role.not_allowed`: the reporter's role is not among the subtype's.
pub(super) fn role(draft: &Draft, subtype: &Subtype, report: &mut ValidationReport) {
    let role = draft.content.reporter.role;
    if !subtype.rules.roles.contains(&role) {
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
}

fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Inspector => "网格巡查员",
        Role::Volunteer => "网格志愿者",
        Role::GridLeader => "网格长",
        Role::PoliceOfficer => "网格警务员",
    }
}

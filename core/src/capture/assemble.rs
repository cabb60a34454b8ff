//! The one place a report is put together: a new draft (`Draft::new`), the submitted report a
//! valid draft becomes (`assemble`), and the draft a received report is validated as
//! (`SubmittedReport::as_draft`). The fields the two share are one [`ReportContent`], moved
//! across whole.
//!
//! Owns which fields a submitted report adds (category, grid, event list, answered warnings,
//! submit time). It does not decide whether a draft may be submitted (`validate`) nor write
//! anything (`drafts` holds the SQL; `Client::submit` runs both in one transaction).

use crate::grid::GridIndex;
use crate::taxonomy::EventList;
use crate::{Error, Result};

use super::{Draft, ReportContent, Reporter, SubmittedReport, ValidationReport, WarningResponse};

impl Draft {
    /// An empty draft with a new report id, capture started at `captured_at_ms`.
    pub(crate) fn new(reporter: Reporter, captured_at_ms: i64, now_ms: i64) -> Draft {
        Draft {
            id: crate::ids::new_report_id(),
            subtype: None,
            problem: None,
            content: ReportContent {
                reporter,
                fix: None,
                input_datum: None,
                photos: Vec::new(),
                attributes: Default::default(),
                description: String::new(),
                component_id: None,
                disposed_on_spot: false,
                captured_at_ms,
            },
            updated_at_ms: now_ms,
        }
    }
}

impl SubmittedReport {
    /// The report as the draft it was, for validating what a platform received with the
    /// device's own rules; `updated_at_ms` is the submit time.
    pub(crate) fn as_draft(&self) -> Draft {
        Draft {
            id: self.id.clone(),
            subtype: Some(self.subtype.clone()),
            problem: Some(self.problem.clone()),
            content: self.content.clone(),
            updated_at_ms: self.submitted_at_ms,
        }
    }
}

/// The submitted report a draft becomes, with the event list it was `validated` against and
/// the worker's answer to its warnings. `Internal` for a draft `validated` did not pass: its
/// subtype and problem must be in `list`.
pub(crate) fn assemble(
    draft: Draft,
    list: &EventList,
    grids: Option<&GridIndex>,
    validated: &ValidationReport,
    response: &WarningResponse,
    now_ms: i64,
) -> Result<SubmittedReport> {
    let not_validated = |what: &str| Error::Internal {
        reason: format!("a valid draft's {what} is not in the list it was validated against"),
    };
    let subtype = draft
        .subtype
        .as_deref()
        .and_then(|code| list.subtype(code))
        .ok_or_else(|| not_validated("subtype"))?;
    let problem = draft.problem.ok_or_else(|| not_validated("problem"))?;
    let grid_id = draft
        .content
        .fix
        .and_then(|f| grids?.locate(f.lat, f.lon).map(|chain| chain.basic.id.clone()));
    let info = list.info();
    Ok(SubmittedReport {
        id: draft.id,
        category: subtype.category.clone(),
        subtype: subtype.code.clone(),
        problem,
        content: draft.content,
        grid_id,
        submitted_at_ms: now_ms,
        event_list_version: info.list_version,
        event_list_sha256: info.sha256,
        acknowledged_warnings: validated.warnings.iter().map(|w| w.code.clone()).collect(),
        override_reason: response.override_reason.clone().filter(|r| !r.trim().is_empty()),
        claim: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Finding, Severity};
    use crate::taxonomy::Role;

    fn draft(list: &EventList) -> Draft {
        let subtype = &list.subtypes()[0];
        let mut draft = Draft::new(
            Reporter {
                reporter_id: "insp-assemble".into(),
                role: Role::Inspector,
                grid_ids: vec![],
            },
            1_780_000_000_000,
            1_780_000_001_000,
        );
        draft.subtype = Some(subtype.code.clone());
        draft.problem = Some(list.problems_of(&subtype.code)[0].code.clone());
        draft.content.description = "井盖缺失".into();
        draft
    }

    fn warned(code: &str) -> ValidationReport {
        ValidationReport {
            errors: vec![],
            warnings: vec![Finding {
                code: code.into(),
                severity: Severity::Warning,
                field: "fix".into(),
                message_zh: String::new(),
                message_en: String::new(),
            }],
        }
    }

    #[test]
    fn a_report_carries_the_drafts_content_whole_and_what_submit_adds() {
        let list = EventList::bundled();
        let draft = draft(&list);
        let subtype = list
            .subtype(draft.subtype.as_deref().expect("set"))
            .expect("in the list");
        let response = WarningResponse {
            acknowledged: vec![],
            override_reason: Some("  ".into()),
        };
        let report = assemble(
            draft.clone(),
            &list,
            None,
            &warned("grid.outside_own"),
            &response,
            42,
        )
        .expect("a valid draft assembles");
        assert_eq!(report.id, draft.id);
        assert_eq!(report.content, draft.content, "the content moves across whole");
        assert_eq!(report.category, subtype.category);
        assert_eq!(report.submitted_at_ms, 42);
        assert_eq!(report.grid_id, None, "no grids installed");
        assert_eq!(report.event_list_sha256, list.info().sha256);
        assert_eq!(report.acknowledged_warnings, ["grid.outside_own"]);
        assert_eq!(report.override_reason, None, "a blank reason is no reason");
        assert_eq!(report.as_draft().content, draft.content);
        assert_eq!(report.as_draft().updated_at_ms, 42);
    }

    #[test]
    fn a_draft_the_list_does_not_know_is_an_internal_error_not_a_report() {
        let list = EventList::bundled();
        let mut unknown = draft(&list);
        unknown.subtype = Some("99-999".into());
        let response = WarningResponse::default();
        let none = ValidationReport::default();
        assert!(matches!(
            assemble(unknown, &list, None, &none, &response, 0),
            Err(Error::Internal { .. })
        ));
        let mut no_problem = draft(&list);
        no_problem.problem = None;
        assert!(matches!(
            assemble(no_problem, &list, None, &none, &response, 0),
            Err(Error::Internal { .. })
        ));
    }
}

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
    })
}

//! Findings: what validation says about a draft, in a form both machines and workers read.
//!
//! Each finding has a stable machine code (apps and the platform switch on it; never reworded),
//! the field it concerns, and a message in Chinese and in English for the worker.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks submit.
    Error,
    /// Needs the worker's acknowledgement or an override reason, stored with the report.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub field: String,
    pub message_zh: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ValidationReport {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every finding, errors first, each in the order the rules found it.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.errors.iter().chain(&self.warnings)
    }

    /// The codes of [`Self::findings`].
    pub fn codes(&self) -> Vec<&str> {
        self.findings().map(|f| f.code.as_str()).collect()
    }

    /// True when some finding (error or warning) has this code.
    pub fn has(&self, code: &str) -> bool {
        self.findings().any(|f| f.code == code)
    }

    pub(crate) fn error(&mut self, code: &str, field: &str, zh: impl Into<String>, en: impl Into<String>) {
        self.errors.push(Finding {
            code: code.into(),
            severity: Severity::Error,
            field: field.into(),
            message_zh: zh.into(),
            message_en: en.into(),
        });
    }

    pub(crate) fn warning(&mut self, code: &str, field: &str, zh: impl Into<String>, en: impl Into<String>) {
        self.warnings.push(Finding {
            code: code.into(),
            severity: Severity::Warning,
            field: field.into(),
            message_zh: zh.into(),
            message_en: en.into(),
        });
    }

    /// Warnings neither acknowledged by code nor covered by an override reason.
    pub fn unanswered_warnings(&self, response: &super::WarningResponse) -> Vec<&Finding> {
        let overridden = response
            .override_reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty());
        if overridden {
            return Vec::new();
        }
        self.warnings
            .iter()
            .filter(|w| !response.acknowledged.contains(&w.code))
            .collect()
    }
}

//! The problems a package can have: what the loader and the consistency rules report.
//!
//! Owns [`PackageProblem`] (code, field, message) and [`PackageProblems`], the set a rejected
//! package comes back with. It finds nothing itself: `package` (JSON, hash, types) and
//! `check` (consistency rules) do.

use std::fmt;

/// One thing wrong with a package: the code it concerns (a subtype, problem, component type,
/// or `header`/`package`), the field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PackageProblem {
    pub code: String,
    pub field: String,
    pub message: String,
}

impl PackageProblem {
    pub fn new(code: impl Into<String>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PackageProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.code, self.field, self.message)
    }
}

/// Every problem found in one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageProblems(pub Vec<PackageProblem>);

impl PackageProblems {
    pub fn one(problem: PackageProblem) -> Self {
        Self(vec![problem])
    }

    /// True when some problem concerns `code` (a subtype, problem, component type ...).
    pub fn names(&self, code: &str) -> bool {
        self.0.iter().any(|p| p.code == code)
    }
}

impl fmt::Display for PackageProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => write!(f, "no problems"),
            [only] => write!(f, "{only}"),
            [first, rest @ ..] => write!(f, "{first} (and {} more)", rest.len()),
        }
    }
}

impl std::error::Error for PackageProblems {}

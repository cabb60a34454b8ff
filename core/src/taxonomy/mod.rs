//! The event list (事件清单): categories, subtypes, problems, component types, police elements.
//!
//! Owns loading and verifying a package ([`EventList::from_json`]), the bundled default list,
//! lookups by code and search for the capture screen. It does not validate reports (the
//! validation module applies a subtype's [`Rules`]) and does not persist packages (the
//! [`crate::Client`] keeps the installed one in the store).

mod check;
mod model;
mod package;
mod problems;
mod search;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub use check::{MAX_PHOTOS, SUPPORTED_SCHEMA_VERSION};
pub use model::*;
pub use package::{canonical_sha256, seal};
pub use problems::{PackageProblem, PackageProblems};
pub use search::SearchHit;

use search::SearchIndex;

/// The list that ships inside the library: Wuzhong district, 4 / 264 / 645.
const BUNDLED_JSON: &[u8] = include_bytes!("../../data/event-list.json");

/// The most search hits a capture screen can ask for at once.
pub const MAX_SEARCH_RESULTS: u32 = 100;

/// What identifies the list a report was validated against.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EventListInfo {
    pub list_version: String,
    pub sha256: String,
    pub effective_date: String,
    pub jurisdiction: Jurisdiction,
    pub counts: Counts,
}

/// A verified event list with its lookup and search indexes. Immutable once built.
#[derive(Debug)]
pub struct EventList {
    package: Package,
    sha256: String,
    subtypes: HashMap<String, usize>,
    problems: HashMap<String, usize>,
    problems_by_subtype: Vec<Vec<usize>>,
    search: SearchIndex,
}

impl EventList {
    /// Parses and verifies a package. Any problem rejects the package whole.
    pub fn from_json(bytes: &[u8]) -> Result<Self, PackageProblems> {
        let (package, sha256) = package::parse(bytes)?;
        Ok(Self::index(package, sha256))
    }

    /// The bundled default list, verified once per process.
    pub fn bundled() -> Arc<EventList> {
        static BUNDLED: OnceLock<Arc<EventList>> = OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                Arc::new(
                    EventList::from_json(BUNDLED_JSON)
                        .expect("the bundled event list is verified by the test suite"),
                )
            })
            .clone()
    }

    /// The bundled package's bytes, for `gridpatrol taxonomy` and for platforms that serve it.
    pub fn bundled_json() -> &'static [u8] {
        BUNDLED_JSON
    }

    fn index(package: Package, sha256: String) -> Self {
        let subtypes: HashMap<String, usize> = package
            .subtypes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.code.clone(), i))
            .collect();
        let problems = package
            .problems
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.clone(), i))
            .collect();
        let mut problems_by_subtype = vec![Vec::new(); package.subtypes.len()];
        for (i, problem) in package.problems.iter().enumerate() {
            problems_by_subtype[subtypes[&problem.subtype]].push(i);
        }
        let search = SearchIndex::build(&package);
        Self {
            package,
            sha256,
            subtypes,
            problems,
            problems_by_subtype,
            search,
        }
    }

    pub fn info(&self) -> EventListInfo {
        let header = &self.package.header;
        EventListInfo {
            list_version: header.list_version.clone(),
            sha256: self.sha256.clone(),
            effective_date: header.effective_date.clone(),
            jurisdiction: header.jurisdiction.clone(),
            counts: header.counts,
        }
    }

    pub fn package(&self) -> &Package {
        &self.package
    }

    pub fn categories(&self) -> &[Category] {
        &self.package.categories
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.package.categories.iter().find(|c| c.code == code)
    }

    pub fn subtypes(&self) -> &[Subtype] {
        &self.package.subtypes
    }

    pub fn subtype(&self, code: &str) -> Option<&Subtype> {
        self.subtypes.get(code).map(|&i| &self.package.subtypes[i])
    }

    pub fn problem(&self, code: &str) -> Option<&Problem> {
        self.problems.get(code).map(|&i| &self.package.problems[i])
    }

    /// The problems under a subtype, in code order; empty for an unknown subtype.
    pub fn problems_of(&self, subtype_code: &str) -> Vec<&Problem> {
        self.subtypes
            .get(subtype_code)
            .map(|&i| {
                self.problems_by_subtype[i]
                    .iter()
                    .map(|&p| &self.package.problems[p])
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn component_types(&self) -> &[ComponentType] {
        &self.package.component_types
    }

    pub fn component_type(&self, code: &str) -> Option<&ComponentType> {
        self.package.component_types.iter().find(|c| c.code == code)
    }

    pub fn police_elements(&self) -> &[PoliceElement] {
        &self.package.police_elements
    }

    pub fn police_element(&self, id: u32) -> Option<&PoliceElement> {
        self.package.police_elements.iter().find(|e| e.id == id)
    }

    /// Ranked subtypes matching `query` (Chinese, English, synonyms, pinyin or its initials),
    /// limited to what `role` may file when a role is given.
    pub fn search(&self, query: &str, role: Option<Role>, limit: u32) -> Vec<SearchHit> {
        let limit = limit.min(MAX_SEARCH_RESULTS) as usize;
        let subtypes = &self.package.subtypes;
        self.search.search(
            &self.package,
            query,
            |i| role.is_none_or(|role| subtypes[i].rules.roles.contains(&role)),
            limit,
        )
    }
}

#[cfg(test)]
mod tests;

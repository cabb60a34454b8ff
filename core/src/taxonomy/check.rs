//! Consistency rules for an event-list package, and the problems they report.
//!
//! Owns every rule a package must pass before a device uses it (codes, parents, counts, rules,
//! references). A package with any problem is rejected whole; the caller keeps the list it had.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::model::{Datatype, Package, Role, Subtype};
use super::package::SUPPORTED_SCHEMA_VERSION;

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

pub const MAX_PHOTOS: u32 = 9;
const ACCURACY_RANGE_M: std::ops::RangeInclusive<u32> = 5..=500;

pub(crate) fn check(package: &Package) -> Vec<PackageProblem> {
    let mut problems = Vec::new();
    let mut report = |code: &str, field: &str, message: String| {
        problems.push(PackageProblem::new(code, field, message));
    };

    let header = &package.header;
    if header.schema_version != SUPPORTED_SCHEMA_VERSION {
        report(
            "header",
            "schema_version",
            format!(
                "{} is not supported (this build reads {SUPPORTED_SCHEMA_VERSION})",
                header.schema_version
            ),
        );
    }
    for (field, value) in [
        ("list_version", &header.list_version),
        ("effective_date", &header.effective_date),
    ] {
        if value.trim().is_empty() {
            report("header", field, "must not be empty".into());
        }
    }
    if !is_iso_date(&header.effective_date) {
        report("header", "effective_date", "must be a date YYYY-MM-DD".into());
    }
    let counts = header.counts;
    for (field, declared, actual) in [
        ("counts.categories", counts.categories, package.categories.len()),
        ("counts.subtypes", counts.subtypes, package.subtypes.len()),
        ("counts.problems", counts.problems, package.problems.len()),
        (
            "counts.component_types",
            counts.component_types,
            package.component_types.len(),
        ),
        (
            "counts.police_elements",
            counts.police_elements,
            package.police_elements.len(),
        ),
    ] {
        if declared as usize != actual {
            report(
                "header",
                field,
                format!("declares {declared} but the package has {actual}"),
            );
        }
    }

    let mut seen_codes = HashSet::new();
    let mut unique = |code: &str, report: &mut dyn FnMut(&str, &str, String)| {
        if !seen_codes.insert(code.to_string()) {
            report(code, "code", "duplicate code".into());
        }
    };

    for category in &package.categories {
        unique(&category.code, &mut report);
        if !is_digits(&category.code, 2) {
            report(&category.code, "code", "a category code is 2 digits".into());
        }
        names(&category.code, &category.name_zh, &category.name_en, &mut report);
    }
    sibling_names(
        package
            .categories
            .iter()
            .map(|c| (&c.code, "", &c.name_zh, &c.name_en)),
        &mut report,
    );

    let mut police_ids = HashSet::new();
    for element in &package.police_elements {
        let code = format!("police_element {}", element.id);
        if !police_ids.insert(element.id) {
            report(&code, "id", "duplicate id".into());
        }
        names(&code, &element.name_zh, &element.name_en, &mut report);
    }

    let mut component_codes = HashSet::new();
    for component in &package.component_types {
        if !component_codes.insert(component.code.as_str()) {
            report(&component.code, "code", "duplicate component type code".into());
        }
        if !is_digits(&component.code, 5) || !component.code.starts_with(&component.major_class_code) {
            report(
                &component.code,
                "code",
                "a component type code is 5 digits starting with its major class code".into(),
            );
        }
        names(
            &component.code,
            &component.name_zh,
            &component.name_en,
            &mut report,
        );
    }

    let categories: HashSet<&str> = package.categories.iter().map(|c| c.code.as_str()).collect();
    let mut used_police_elements = HashMap::new();
    for subtype in &package.subtypes {
        unique(&subtype.code, &mut report);
        if !is_subtype_code(&subtype.code) {
            report(&subtype.code, "code", "a subtype code is CC-SSS".into());
        }
        if !categories.contains(subtype.category.as_str()) {
            report(
                &subtype.code,
                "category",
                format!("category {} does not exist", subtype.category),
            );
        } else if !subtype.code.starts_with(&format!("{}-", subtype.category)) {
            report(
                &subtype.code,
                "code",
                format!("does not start with its category code {}", subtype.category),
            );
        }
        names(&subtype.code, &subtype.name_zh, &subtype.name_en, &mut report);
        if let Some(gbt) = &subtype.gbt_event_code
            && !is_digits(gbt, 5)
        {
            report(
                &subtype.code,
                "gbt_event_code",
                format!("{gbt} is not a 5-digit GB/T 47678.5 code"),
            );
        }
        check_rules(
            subtype,
            &component_codes,
            &police_ids,
            &mut used_police_elements,
            &mut report,
        );
    }
    sibling_names(
        package
            .subtypes
            .iter()
            .map(|s| (&s.code, s.category.as_str(), &s.name_zh, &s.name_en)),
        &mut report,
    );

    let subtypes: HashSet<&str> = package.subtypes.iter().map(|s| s.code.as_str()).collect();
    let mut with_problems = HashSet::new();
    for problem in &package.problems {
        unique(&problem.code, &mut report);
        if !is_problem_code(&problem.code) {
            report(&problem.code, "code", "a problem code is CC-SSS-PP".into());
        }
        if !subtypes.contains(problem.subtype.as_str()) {
            report(
                &problem.code,
                "subtype",
                format!("subtype {} does not exist (orphan problem)", problem.subtype),
            );
        } else if !problem.code.starts_with(&format!("{}-", problem.subtype)) {
            report(
                &problem.code,
                "code",
                format!("does not start with its subtype code {}", problem.subtype),
            );
        }
        with_problems.insert(problem.subtype.as_str());
        names(&problem.code, &problem.name_zh, &problem.name_en, &mut report);
    }
    sibling_names(
        package
            .problems
            .iter()
            .map(|p| (&p.code, p.subtype.as_str(), &p.name_zh, &p.name_en)),
        &mut report,
    );
    for subtype in &package.subtypes {
        if !with_problems.contains(subtype.code.as_str()) {
            report(
                &subtype.code,
                "problems",
                "a subtype needs at least one problem".into(),
            );
        }
    }
    problems
}

fn check_rules(
    subtype: &Subtype,
    component_codes: &HashSet<&str>,
    police_ids: &HashSet<u32>,
    used_police_elements: &mut HashMap<u32, String>,
    report: &mut dyn FnMut(&str, &str, String),
) {
    let code = subtype.code.as_str();
    let rules = &subtype.rules;
    let evidence = rules.evidence;
    if evidence.max_photos == 0 || evidence.max_photos > MAX_PHOTOS {
        report(
            code,
            "rules.evidence.max_photos",
            format!("must be 1..={MAX_PHOTOS}"),
        );
    }
    if evidence.min_photos > evidence.max_photos {
        report(code, "rules.evidence.min_photos", "exceeds max_photos".into());
    }
    if evidence.after_photo_to_close_on_spot != rules.on_site_disposal {
        report(
            code,
            "rules.evidence.after_photo_to_close_on_spot",
            "must equal rules.on_site_disposal".into(),
        );
    }
    if !ACCURACY_RANGE_M.contains(&rules.location.max_accuracy_m) {
        report(
            code,
            "rules.location.max_accuracy_m",
            format!("must be within {ACCURACY_RANGE_M:?} m"),
        );
    }
    if let Some(component) = &rules.component {
        if component.required && component.types.is_empty() {
            report(
                code,
                "rules.component.types",
                "a required component needs at least one type".into(),
            );
        }
        for t in &component.types {
            if !component_codes.contains(t.as_str()) {
                report(
                    code,
                    "rules.component.types",
                    format!("component type {t} does not exist"),
                );
            }
        }
    }
    if rules.roles.is_empty() {
        report(code, "rules.roles", "at least one role must be allowed".into());
    }
    let distinct_roles: HashSet<Role> = rules.roles.iter().copied().collect();
    if distinct_roles.len() != rules.roles.len() {
        report(code, "rules.roles", "a role is listed twice".into());
    }
    if let Some(id) = rules.police_element {
        if !police_ids.contains(&id) {
            report(
                code,
                "rules.police_element",
                format!("police element {id} does not exist"),
            );
        }
        if let Some(first) = used_police_elements.insert(id, code.to_string()) {
            report(
                code,
                "rules.police_element",
                format!("police element {id} is already used by {first}"),
            );
        }
        if distinct_roles.contains(&Role::Volunteer) {
            report(
                code,
                "rules.roles",
                "volunteers may not file police elements".into(),
            );
        }
    }
    if rules.handling.accept_hours == 0 || rules.handling.accept_hours > rules.handling.dispose_hours {
        report(
            code,
            "rules.handling",
            "need 0 < accept_hours <= dispose_hours".into(),
        );
    }

    let mut attribute_codes = HashSet::new();
    let mut orders = HashSet::new();
    for (i, attribute) in rules.attributes.iter().enumerate() {
        let field = format!("rules.attributes[{i}]");
        if !is_snake_case(&attribute.code) {
            report(
                code,
                &field,
                format!("code {:?} must be snake_case", attribute.code),
            );
        }
        if !attribute_codes.insert(attribute.code.as_str()) {
            report(
                code,
                &field,
                format!("attribute code {} is duplicated", attribute.code),
            );
        }
        if !orders.insert(attribute.order) {
            report(code, &field, format!("order {} is duplicated", attribute.order));
        }
        if attribute.label_zh.trim().is_empty() || attribute.label_en.trim().is_empty() {
            report(code, &field, "labels must not be empty".into());
        }
        if attribute.datatype.is_choice() {
            if attribute.values.len() < 2 {
                report(
                    code,
                    &field,
                    format!("{} needs at least 2 values", attribute.code),
                );
            }
            let mut keys = HashSet::new();
            for value in &attribute.values {
                if !is_snake_case(&value.key) || !keys.insert(value.key.as_str()) {
                    report(
                        code,
                        &field,
                        format!("value key {:?} is malformed or duplicated", value.key),
                    );
                }
                if value.name_zh.trim().is_empty() || value.name_en.trim().is_empty() {
                    report(code, &field, format!("value {} needs zh and en names", value.key));
                }
            }
        } else if !attribute.values.is_empty() {
            report(
                code,
                &field,
                format!("{} is not a choice but lists values", attribute.code),
            );
        }
        if attribute.max_length.is_some() && !matches!(attribute.datatype, Datatype::String | Datatype::Text)
        {
            report(code, &field, "max_length applies to string and text only".into());
        }
        if (attribute.min.is_some() || attribute.max.is_some()) && attribute.datatype != Datatype::Number {
            report(code, &field, "min/max apply to number only".into());
        }
        if let (Some(min), Some(max)) = (attribute.min, attribute.max)
            && min > max
        {
            report(code, &field, "min exceeds max".into());
        }
    }
}

fn names(code: &str, zh: &str, en: &str, report: &mut dyn FnMut(&str, &str, String)) {
    if zh.trim().is_empty() {
        report(code, "name_zh", "must not be empty".into());
    }
    if en.trim().is_empty() {
        report(code, "name_en", "must not be empty".into());
    }
}

/// No two children of one parent may share a Chinese name or (case-insensitively) an English one.
fn sibling_names<'a>(
    items: impl Iterator<Item = (&'a String, &'a str, &'a String, &'a String)>,
    report: &mut dyn FnMut(&str, &str, String),
) {
    let mut zh_seen: HashMap<(&str, &str), &str> = HashMap::new();
    let mut en_seen: HashMap<(&str, String), &str> = HashMap::new();
    for (code, parent, zh, en) in items {
        if let Some(other) = zh_seen.insert((parent, zh.as_str()), code) {
            report(code, "name_zh", format!("same name as sibling {other}"));
        }
        if let Some(other) = en_seen.insert((parent, en.to_lowercase()), code) {
            report(code, "name_en", format!("same name as sibling {other}"));
        }
    }
}

fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_subtype_code(s: &str) -> bool {
    matches!(s.split('-').collect::<Vec<_>>().as_slice(), [c, st] if is_digits(c, 2) && is_digits(st, 3))
}

fn is_problem_code(s: &str) -> bool {
    matches!(s.split('-').collect::<Vec<_>>().as_slice(),
        [c, st, p] if is_digits(c, 2) && is_digits(st, 3) && is_digits(p, 2))
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if is_digits(y, 4) && is_digits(m, 2) && is_digits(d, 2)
        && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d.parse::<u32>().unwrap_or(0)))
}

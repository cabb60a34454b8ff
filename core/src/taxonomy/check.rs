//! Consistency rules for an event-list package, and the problems they report.
//!
//! Owns every rule a package must pass before a device uses it (schema version, codes,
//! parents, counts, names, rules, references). A package with any problem is rejected whole;
//! the caller keeps the list it had. Reading bytes into a [`Package`] is `package`'s job, and
//! the problem types are `problems`'.
//!
//! [`check`] runs one named step per part of the package, in the order its problems are
//! reported: header, categories, police elements, component types, subtypes (each with its
//! [`check_rules`]), problems, and last the subtypes left without a problem.

use std::collections::{HashMap, HashSet};

use super::model::{Attribute, Datatype, Package, Role, Rules, Subtype};
use super::problems::PackageProblem;

/// The package schema versions this build can read.
pub const SUPPORTED_SCHEMA_VERSION: u32 = 1;
pub const MAX_PHOTOS: u32 = 9;
const ACCURACY_RANGE_M: std::ops::RangeInclusive<u32> = 5..=500;

/// What the steps of one check collect: the problems, in the order found, and every code seen
/// so far (categories, subtypes and problems share one code space).
#[derive(Default)]
struct Findings {
    problems: Vec<PackageProblem>,
    seen_codes: HashSet<String>,
}

impl Findings {
    fn report(&mut self, code: &str, field: &str, message: String) {
        self.problems.push(PackageProblem::new(code, field, message));
    }

    /// Reports `code` when an earlier category, subtype or problem already has it.
    fn unique(&mut self, code: &str) {
        if !self.seen_codes.insert(code.to_string()) {
            self.report(code, "code", "duplicate code".into());
        }
    }

    /// Both names of an item must be present.
    fn names(&mut self, code: &str, zh: &str, en: &str) {
        if zh.trim().is_empty() {
            self.report(code, "name_zh", "must not be empty".into());
        }
        if en.trim().is_empty() {
            self.report(code, "name_en", "must not be empty".into());
        }
    }

    /// No two children of one parent may share a Chinese name or (case-insensitively) an
    /// English one. Items are `(code, parent, name_zh, name_en)`.
    fn sibling_names<'a>(
        &mut self,
        items: impl Iterator<Item = (&'a String, &'a str, &'a String, &'a String)>,
    ) {
        let mut zh_seen: HashMap<(&str, &str), &str> = HashMap::new();
        let mut en_seen: HashMap<(&str, String), &str> = HashMap::new();
        for (code, parent, zh, en) in items {
            if let Some(other) = zh_seen.insert((parent, zh.as_str()), code) {
                self.report(code, "name_zh", format!("same name as sibling {other}"));
            }
            if let Some(other) = en_seen.insert((parent, en.to_lowercase()), code) {
                self.report(code, "name_en", format!("same name as sibling {other}"));
            }
        }
    }
}

/// Every consistency problem of `package`, in a stable order; empty when it may be used.
pub(crate) fn check(package: &Package) -> Vec<PackageProblem> {
    let mut findings = Findings::default();
    check_header(package, &mut findings);
    check_categories(package, &mut findings);
    let police_ids = check_police_elements(package, &mut findings);
    let component_codes = check_component_types(package, &mut findings);
    check_subtypes(package, &component_codes, &police_ids, &mut findings);
    let with_problems = check_problems(package, &mut findings);
    for subtype in &package.subtypes {
        if !with_problems.contains(subtype.code.as_str()) {
            findings.report(
                &subtype.code,
                "problems",
                "a subtype needs at least one problem".into(),
            );
        }
    }
    findings.problems
}

/// The schema version, the list's version and date, and the declared counts.
fn check_header(package: &Package, findings: &mut Findings) {
    let header = &package.header;
    if header.schema_version != SUPPORTED_SCHEMA_VERSION {
        findings.report(
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
            findings.report("header", field, "must not be empty".into());
        }
    }
    if !is_iso_date(&header.effective_date) {
        findings.report("header", "effective_date", "must be a date YYYY-MM-DD".into());
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
            findings.report(
                "header",
                field,
                format!("declares {declared} but the package has {actual}"),
            );
        }
    }
}

fn check_categories(package: &Package, findings: &mut Findings) {
    for category in &package.categories {
        findings.unique(&category.code);
        if !is_digits(&category.code, 2) {
            findings.report(&category.code, "code", "a category code is 2 digits".into());
        }
        findings.names(&category.code, &category.name_zh, &category.name_en);
    }
    findings.sibling_names(
        package
            .categories
            .iter()
            .map(|c| (&c.code, "", &c.name_zh, &c.name_en)),
    );
}

/// Returns the police element ids, for the subtypes' references.
fn check_police_elements(package: &Package, findings: &mut Findings) -> HashSet<u32> {
    let mut police_ids = HashSet::new();
    for element in &package.police_elements {
        let code = format!("police_element {}", element.id);
        if !police_ids.insert(element.id) {
            findings.report(&code, "id", "duplicate id".into());
        }
        findings.names(&code, &element.name_zh, &element.name_en);
    }
    police_ids
}

/// Returns the component type codes, for the subtypes' references.
fn check_component_types<'p>(package: &'p Package, findings: &mut Findings) -> HashSet<&'p str> {
    let mut component_codes = HashSet::new();
    for component in &package.component_types {
        if !component_codes.insert(component.code.as_str()) {
            findings.report(&component.code, "code", "duplicate component type code".into());
        }
        if !is_digits(&component.code, 5) || !component.code.starts_with(&component.major_class_code) {
            findings.report(
                &component.code,
                "code",
                "a component type code is 5 digits starting with its major class code".into(),
            );
        }
        findings.names(&component.code, &component.name_zh, &component.name_en);
    }
    component_codes
}

fn check_subtypes(
    package: &Package,
    component_codes: &HashSet<&str>,
    police_ids: &HashSet<u32>,
    findings: &mut Findings,
) {
    let categories: HashSet<&str> = package.categories.iter().map(|c| c.code.as_str()).collect();
    let mut used_police_elements = HashMap::new();
    for subtype in &package.subtypes {
        findings.unique(&subtype.code);
        if !is_subtype_code(&subtype.code) {
            findings.report(&subtype.code, "code", "a subtype code is CC-SSS".into());
        }
        if !categories.contains(subtype.category.as_str()) {
            findings.report(
                &subtype.code,
                "category",
                format!("category {} does not exist", subtype.category),
            );
        } else if !subtype.code.starts_with(&format!("{}-", subtype.category)) {
            findings.report(
                &subtype.code,
                "code",
                format!("does not start with its category code {}", subtype.category),
            );
        }
        findings.names(&subtype.code, &subtype.name_zh, &subtype.name_en);
        if let Some(gbt) = &subtype.gbt_event_code
            && !is_digits(gbt, 5)
        {
            findings.report(
                &subtype.code,
                "gbt_event_code",
                format!("{gbt} is not a 5-digit GB/T 47678.5 code"),
            );
        }
        check_rules(
            subtype,
            component_codes,
            police_ids,
            &mut used_police_elements,
            findings,
        );
    }
    findings.sibling_names(
        package
            .subtypes
            .iter()
            .map(|s| (&s.code, s.category.as_str(), &s.name_zh, &s.name_en)),
    );
}

/// Returns the subtypes that have at least one problem.
fn check_problems<'p>(package: &'p Package, findings: &mut Findings) -> HashSet<&'p str> {
    let subtypes: HashSet<&str> = package.subtypes.iter().map(|s| s.code.as_str()).collect();
    let mut with_problems = HashSet::new();
    for problem in &package.problems {
        findings.unique(&problem.code);
        if !is_problem_code(&problem.code) {
            findings.report(&problem.code, "code", "a problem code is CC-SSS-PP".into());
        }
        if !subtypes.contains(problem.subtype.as_str()) {
            findings.report(
                &problem.code,
                "subtype",
                format!("subtype {} does not exist (orphan problem)", problem.subtype),
            );
        } else if !problem.code.starts_with(&format!("{}-", problem.subtype)) {
            findings.report(
                &problem.code,
                "code",
                format!("does not start with its subtype code {}", problem.subtype),
            );
        }
        with_problems.insert(problem.subtype.as_str());
        findings.names(&problem.code, &problem.name_zh, &problem.name_en);
    }
    findings.sibling_names(
        package
            .problems
            .iter()
            .map(|p| (&p.code, p.subtype.as_str(), &p.name_zh, &p.name_en)),
    );
    with_problems
}

/// A subtype's rules: evidence, location, component, roles, police element, handling, then
/// each attribute. `used_police_elements` remembers which subtype took each police element.
fn check_rules(
    subtype: &Subtype,
    component_codes: &HashSet<&str>,
    police_ids: &HashSet<u32>,
    used_police_elements: &mut HashMap<u32, String>,
    findings: &mut Findings,
) {
    let code = subtype.code.as_str();
    let rules = &subtype.rules;
    check_evidence_rule(code, rules, findings);
    if !ACCURACY_RANGE_M.contains(&rules.location.max_accuracy_m) {
        findings.report(
            code,
            "rules.location.max_accuracy_m",
            format!("must be within {ACCURACY_RANGE_M:?} m"),
        );
    }
    check_component_rule(code, rules, component_codes, findings);
    let roles = check_roles(code, rules, findings);
    if let Some(id) = rules.police_element {
        check_police_element_rule(code, id, &roles, police_ids, used_police_elements, findings);
    }
    if rules.handling.accept_hours == 0 || rules.handling.accept_hours > rules.handling.dispose_hours {
        findings.report(
            code,
            "rules.handling",
            "need 0 < accept_hours <= dispose_hours".into(),
        );
    }
    check_attributes(code, rules, findings);
}

fn check_evidence_rule(code: &str, rules: &Rules, findings: &mut Findings) {
    let evidence = rules.evidence;
    if evidence.max_photos == 0 || evidence.max_photos > MAX_PHOTOS {
        findings.report(
            code,
            "rules.evidence.max_photos",
            format!("must be 1..={MAX_PHOTOS}"),
        );
    }
    if evidence.min_photos > evidence.max_photos {
        findings.report(code, "rules.evidence.min_photos", "exceeds max_photos".into());
    }
    if evidence.after_photo_to_close_on_spot != rules.on_site_disposal {
        findings.report(
            code,
            "rules.evidence.after_photo_to_close_on_spot",
            "must equal rules.on_site_disposal".into(),
        );
    }
}

fn check_component_rule(code: &str, rules: &Rules, component_codes: &HashSet<&str>, findings: &mut Findings) {
    let Some(component) = &rules.component else {
        return;
    };
    if component.required && component.types.is_empty() {
        findings.report(
            code,
            "rules.component.types",
            "a required component needs at least one type".into(),
        );
    }
    for t in &component.types {
        if !component_codes.contains(t.as_str()) {
            findings.report(
                code,
                "rules.component.types",
                format!("component type {t} does not exist"),
            );
        }
    }
}

/// Returns the distinct roles allowed, for the police-element rule.
fn check_roles(code: &str, rules: &Rules, findings: &mut Findings) -> HashSet<Role> {
    if rules.roles.is_empty() {
        findings.report(code, "rules.roles", "at least one role must be allowed".into());
    }
    let distinct_roles: HashSet<Role> = rules.roles.iter().copied().collect();
    if distinct_roles.len() != rules.roles.len() {
        findings.report(code, "rules.roles", "a role is listed twice".into());
    }
    distinct_roles
}

/// Police element `id` must exist, belong to this subtype alone, and not be filed by volunteers.
fn check_police_element_rule(
    code: &str,
    id: u32,
    roles: &HashSet<Role>,
    police_ids: &HashSet<u32>,
    used_police_elements: &mut HashMap<u32, String>,
    findings: &mut Findings,
) {
    if !police_ids.contains(&id) {
        findings.report(
            code,
            "rules.police_element",
            format!("police element {id} does not exist"),
        );
    }
    if let Some(first) = used_police_elements.insert(id, code.to_string()) {
        findings.report(
            code,
            "rules.police_element",
            format!("police element {id} is already used by {first}"),
        );
    }
    if roles.contains(&Role::Volunteer) {
        findings.report(
            code,
            "rules.roles",
            "volunteers may not file police elements".into(),
        );
    }
}

/// Attribute codes and orders are unique within a subtype; each attribute is then checked
/// on its own.
fn check_attributes(code: &str, rules: &Rules, findings: &mut Findings) {
    let mut attribute_codes = HashSet::new();
    let mut orders = HashSet::new();
    for (i, attribute) in rules.attributes.iter().enumerate() {
        let field = format!("rules.attributes[{i}]");
        if !is_snake_case(&attribute.code) {
            findings.report(
                code,
                &field,
                format!("code {:?} must be snake_case", attribute.code),
            );
        }
        if !attribute_codes.insert(attribute.code.as_str()) {
            findings.report(
                code,
                &field,
                format!("attribute code {} is duplicated", attribute.code),
            );
        }
        if !orders.insert(attribute.order) {
            findings.report(code, &field, format!("order {} is duplicated", attribute.order));
        }
        check_attribute(code, &field, attribute, findings);
    }
}

/// One attribute: labels, its choice values (choices only), and the limits its datatype allows.
fn check_attribute(code: &str, field: &str, attribute: &Attribute, findings: &mut Findings) {
    if attribute.label_zh.trim().is_empty() || attribute.label_en.trim().is_empty() {
        findings.report(code, field, "labels must not be empty".into());
    }
    if attribute.datatype.is_choice() {
        check_choice_values(code, field, attribute, findings);
    } else if !attribute.values.is_empty() {
        findings.report(
            code,
            field,
            format!("{} is not a choice but lists values", attribute.code),
        );
    }
    if attribute.max_length.is_some() && !matches!(attribute.datatype, Datatype::String | Datatype::Text) {
        findings.report(code, field, "max_length applies to string and text only".into());
    }
    if (attribute.min.is_some() || attribute.max.is_some()) && attribute.datatype != Datatype::Number {
        findings.report(code, field, "min/max apply to number only".into());
    }
    if let (Some(min), Some(max)) = (attribute.min, attribute.max)
        && min > max
    {
        findings.report(code, field, "min exceeds max".into());
    }
}

/// A choice lists at least two values, each with a unique snake_case key and both names.
fn check_choice_values(code: &str, field: &str, attribute: &Attribute, findings: &mut Findings) {
    if attribute.values.len() < 2 {
        findings.report(code, field, format!("{} needs at least 2 values", attribute.code));
    }
    let mut keys = HashSet::new();
    for value in &attribute.values {
        if !is_snake_case(&value.key) || !keys.insert(value.key.as_str()) {
            findings.report(
                code,
                field,
                format!("value key {:?} is malformed or duplicated", value.key),
            );
        }
        if value.name_zh.trim().is_empty() || value.name_en.trim().is_empty() {
            findings.report(code, field, format!("value {} needs zh and en names", value.key));
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

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;

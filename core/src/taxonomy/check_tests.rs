//! Unit tests of the consistency steps of `check`, each on its own; the package-level
//! rejections are tested end to end in `taxonomy/tests.rs`.

use super::*;
use crate::taxonomy::{AttributeValue, EventList};

fn bundled() -> Package {
    EventList::bundled().package().clone()
}

/// `(code, field)` of every problem, in the order reported.
fn found(findings: &Findings) -> Vec<(&str, &str)> {
    findings
        .problems
        .iter()
        .map(|p| (p.code.as_str(), p.field.as_str()))
        .collect()
}

#[test]
fn the_bundled_list_passes_every_step() {
    assert_eq!(check(&bundled()), Vec::new());
}

#[test]
fn the_header_step_reports_version_date_and_counts_in_order() {
    let mut package = bundled();
    package.header.schema_version = 2;
    package.header.effective_date = "2026-13-01".into();
    package.header.counts.problems += 1;
    let mut findings = Findings::default();
    check_header(&package, &mut findings);
    assert_eq!(
        found(&findings),
        [
            ("header", "schema_version"),
            ("header", "effective_date"),
            ("header", "counts.problems")
        ]
    );
}

#[test]
fn a_police_element_is_checked_for_existence_reuse_and_volunteers() {
    let package = bundled();
    let subtype = &package.subtypes[0];
    let police_ids = HashSet::from([1]);
    let roles = HashSet::from([Role::Volunteer]);
    let mut used = HashMap::from([(1, "01-001".to_string())]);
    let mut findings = Findings::default();
    check_police_element_rule(&subtype.code, 1, &roles, &police_ids, &mut used, &mut findings);
    assert_eq!(
        found(&findings),
        [
            (subtype.code.as_str(), "rules.police_element"),
            (subtype.code.as_str(), "rules.roles")
        ]
    );
    assert!(findings.problems[0].message.contains("already used by 01-001"));

    let mut findings = Findings::default();
    check_police_element_rule(
        "04-001",
        7,
        &HashSet::new(),
        &police_ids,
        &mut used,
        &mut findings,
    );
    assert_eq!(found(&findings), [("04-001", "rules.police_element")]);
    assert!(findings.problems[0].message.contains("does not exist"));
    assert_eq!(used[&7], "04-001", "the first user of an element is remembered");
}

#[test]
fn a_choice_needs_two_well_named_values_and_other_types_none() {
    let value = |key: &str, zh: &str| AttributeValue {
        key: key.into(),
        name_zh: zh.into(),
        name_en: "Name".into(),
    };
    let mut attribute = Attribute {
        code: "state".into(),
        datatype: Datatype::SingleChoice,
        required: true,
        order: 1,
        label_zh: "状态".into(),
        label_en: "State".into(),
        values: vec![value("gone", "缺失")],
        max_length: Some(10),
        min: None,
        max: None,
    };
    let mut findings = Findings::default();
    check_attribute("04-001", "rules.attributes[0]", &attribute, &mut findings);
    let messages: Vec<&str> = findings.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "state needs at least 2 values",
            "max_length applies to string and text only"
        ]
    );

    attribute.values = vec![value("gone", "缺失"), value("gone", " ")];
    attribute.max_length = None;
    let mut findings = Findings::default();
    check_attribute("04-001", "rules.attributes[0]", &attribute, &mut findings);
    let messages: Vec<&str> = findings.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "value key \"gone\" is malformed or duplicated",
            "value gone needs zh and en names"
        ]
    );

    attribute.datatype = Datatype::Number;
    attribute.min = Some(5);
    attribute.max = Some(1);
    let mut findings = Findings::default();
    check_attribute("04-001", "rules.attributes[0]", &attribute, &mut findings);
    let messages: Vec<&str> = findings.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        ["state is not a choice but lists values", "min exceeds max"]
    );
}

#[test]
fn codes_are_unique_across_categories_subtypes_and_problems() {
    let mut findings = Findings::default();
    findings.unique("01");
    findings.unique("01-001");
    findings.unique("01");
    assert_eq!(found(&findings), [("01", "code")]);
}

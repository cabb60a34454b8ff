//! Tests of loading, checking and searching packages. A small package built here exercises
//! every rejection; the bundled list is tested for its counts and names.

use serde_json::{Value, json};

use super::*;

fn rules(roles: &[&str]) -> Value {
    json!({
        "evidence": {"min_photos": 1, "max_photos": 4, "after_photo_to_close_on_spot": false},
        "location": {"required": true, "max_accuracy_m": 30, "own_grid": "warning", "manual_pin_allowed": false},
        "component": {"required": true, "types": ["01001"]},
        "attributes": [{
            "code": "cover_state", "datatype": "single_choice", "required": true, "order": 1,
            "label_zh": "井盖状态", "label_en": "Cover state",
            "values": [
                {"key": "missing", "name_zh": "缺失", "name_en": "Missing"},
                {"key": "broken", "name_zh": "破损", "name_en": "Broken"}
            ]
        }],
        "roles": roles,
        "on_site_disposal": false,
        "handling": {"level": "town", "accept_hours": 2, "dispose_hours": 48},
        "police_element": null
    })
}

/// Two categories, three subtypes, four problems: enough to break in every way.
fn tiny() -> Value {
    json!({
        "header": {
            "schema_version": 1, "list_version": "TEST-1", "effective_date": "2026-11-01",
            "jurisdiction": {"code": "320506", "name_zh": "测试区", "name_en": "Test district"},
            "counts": {"categories": 2, "subtypes": 3, "problems": 4, "component_types": 1, "police_elements": 1},
            "sha256": ""
        },
        "categories": [
            {"code": "01", "name_zh": "社会稳定", "name_en": "Social stability"},
            {"code": "04", "name_zh": "便民服务", "name_en": "Convenience services"}
        ],
        "police_elements": [{"id": 1, "name_zh": "可疑人员", "name_en": "Suspicious person"}],
        "component_types": [{"code": "01001", "major_class_code": "01", "major_class": "市政公用设施",
            "name_zh": "供水井盖", "name_en": "Water supply manhole cover"}],
        "subtypes": [
            {"code": "04-001", "category": "04", "name_zh": "井盖缺失破损", "name_en": "Missing or damaged manhole cover",
             "synonyms": ["窨井盖", "下水道盖"], "gbt_event_code": "01001", "rules": rules(&["inspector", "volunteer"])},
            {"code": "04-002", "category": "04", "name_zh": "路灯损坏不亮", "name_en": "Broken street lamp",
             "gbt_event_code": null, "rules": rules(&["inspector"])},
            {"code": "01-001", "category": "01", "name_zh": "可疑人员线索", "name_en": "Suspicious person clue",
             "gbt_event_code": null, "rules": rules(&["inspector", "police_officer"])}
        ],
        "problems": [
            {"code": "04-001-01", "subtype": "04-001", "name_zh": "井盖缺失", "name_en": "Cover missing"},
            {"code": "04-001-02", "subtype": "04-001", "name_zh": "井盖破损", "name_en": "Cover broken"},
            {"code": "04-002-01", "subtype": "04-002", "name_zh": "路灯夜间不亮", "name_en": "Lamp dark at night",
             "synonyms": ["灯不亮"]},
            {"code": "01-001-01", "subtype": "01-001", "name_zh": "形迹可疑人员", "name_en": "Person acting suspiciously"}
        ]
    })
}

fn sealed(value: &Value) -> Vec<u8> {
    seal(&serde_json::to_vec(value).expect("json"))
        .expect("tiny package seals")
        .0
}

/// Loads `value` after sealing it, expecting rejection; returns the problems.
fn rejected(value: &Value) -> PackageProblems {
    EventList::from_json(&sealed(value)).expect_err("package should be rejected")
}

#[test]
fn tiny_package_loads_and_answers_lookups() {
    let list = EventList::from_json(&sealed(&tiny())).expect("tiny package is valid");
    assert_eq!(list.info().counts.subtypes, 3);
    assert_eq!(list.subtype("04-002").expect("exists").name_zh, "路灯损坏不亮");
    assert_eq!(list.problem("04-001-02").expect("exists").subtype, "04-001");
    let codes: Vec<_> = list
        .problems_of("04-001")
        .iter()
        .map(|p| p.code.as_str())
        .collect();
    assert_eq!(codes, ["04-001-01", "04-001-02"]);
    assert!(list.problems_of("99-999").is_empty());
    assert_eq!(list.info().sha256.len(), 64);
}

#[test]
fn hash_covers_the_header_and_content() {
    let bytes = sealed(&tiny());
    let mut value: Value = serde_json::from_slice(&bytes).expect("json");
    value["subtypes"][1]["name_en"] = json!("Broken street light");
    let problems = EventList::from_json(&serde_json::to_vec(&value).expect("json")).expect_err("tampered");
    assert!(problems.names("header"), "{problems}");
    assert!(problems.0.iter().any(|p| p.field == "sha256"));

    let mut value: Value = serde_json::from_slice(&bytes).expect("json");
    value["header"]["list_version"] = json!("TEST-2");
    assert!(EventList::from_json(&serde_json::to_vec(&value).expect("json")).is_err());
}

#[test]
fn hash_does_not_depend_on_key_order_or_whitespace() {
    let bytes = sealed(&tiny());
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    let compact = serde_json::to_vec(&value).expect("json");
    assert!(EventList::from_json(&compact).is_ok());
    // Reversed key order in one object still verifies: the canonical form sorts keys.
    let text = String::from_utf8(compact).expect("utf8");
    let swapped = text.replacen(
        r#"{"code":"01","name_en":"Social stability","name_zh":"社会稳定"}"#,
        r#"{"name_zh":"社会稳定","name_en":"Social stability","code":"01"}"#,
        1,
    );
    assert_ne!(swapped, text, "the test must really reorder keys");
    assert!(EventList::from_json(swapped.as_bytes()).is_ok());
}

#[test]
fn duplicate_code_is_named() {
    let mut value = tiny();
    value["problems"][1]["code"] = json!("04-001-01");
    let problems = rejected(&value);
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.code == "04-001-01" && p.message.contains("duplicate")),
        "{problems:?}"
    );
}

#[test]
fn orphan_problem_is_named() {
    let mut value = tiny();
    value["problems"][3]["subtype"] = json!("01-009");
    value["problems"][3]["code"] = json!("01-009-01");
    let problems = rejected(&value);
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.code == "01-009-01" && p.message.contains("orphan")),
        "{problems:?}"
    );
    // and 01-001 lost its only problem
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.code == "01-001" && p.field == "problems"),
        "{problems:?}"
    );
}

#[test]
fn code_prefix_must_match_parent() {
    let mut value = tiny();
    value["subtypes"][2]["category"] = json!("04");
    let problems = rejected(&value);
    assert!(
        problems.0.iter().any(|p| p.code == "01-001" && p.field == "code"),
        "{problems:?}"
    );
}

#[test]
fn unknown_component_type_is_named() {
    let mut value = tiny();
    value["subtypes"][1]["rules"]["component"]["types"] = json!(["01999"]);
    let problems = rejected(&value);
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.code == "04-002" && p.field == "rules.component.types" && p.message.contains("01999")),
        "{problems:?}"
    );
}

#[test]
fn malformed_attributes_are_named() {
    // A choice with a single value.
    let mut value = tiny();
    value["subtypes"][0]["rules"]["attributes"][0]["values"] =
        json!([{"key": "missing", "name_zh": "缺失", "name_en": "Missing"}]);
    let problems = rejected(&value);
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.code == "04-001" && p.field == "rules.attributes[0]"),
        "{problems:?}"
    );

    // An unknown datatype: a type error, still reported against the subtype's code.
    let mut value = tiny();
    value["subtypes"][1]["rules"]["attributes"][0]["datatype"] = json!("colour");
    let problems = rejected(&value);
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.code == "04-002" && p.field.contains("datatype")),
        "{problems:?}"
    );

    // Values on a non-choice attribute, and a misspelt field.
    let mut value = tiny();
    value["subtypes"][0]["rules"]["attributes"][0]["datatype"] = json!("string");
    assert!(rejected(&value).names("04-001"));
    let mut value = tiny();
    value["subtypes"][0]["rules"]["attributes"][0]["requird"] = json!(true);
    assert!(rejected(&value).names("04-001"));
}

#[test]
fn rule_limits_and_counts_are_checked() {
    let mut value = tiny();
    value["subtypes"][0]["rules"]["evidence"]["min_photos"] = json!(5);
    assert!(
        rejected(&value)
            .0
            .iter()
            .any(|p| p.field == "rules.evidence.min_photos")
    );

    let mut value = tiny();
    value["header"]["counts"]["problems"] = json!(645);
    assert!(rejected(&value).0.iter().any(|p| p.field == "counts.problems"));

    let mut value = tiny();
    value["subtypes"][0]["rules"]["police_element"] = json!(1);
    let problems = rejected(&value);
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.code == "04-001" && p.message.contains("volunteers")),
        "{problems:?}"
    );

    let mut value = tiny();
    value["subtypes"][1]["name_zh"] = json!("井盖缺失破损");
    assert!(
        rejected(&value)
            .0
            .iter()
            .any(|p| p.code == "04-002" && p.field == "name_zh")
    );

    let mut value = tiny();
    value["subtypes"][0]["rules"]["location"]["max_accuracy_m"] = json!(30.5);
    let float = serde_json::to_vec(&value).expect("json");
    assert!(seal(&float).is_err(), "a float cannot be sealed");
    let problems = EventList::from_json(&float).expect_err("float");
    assert!(
        problems
            .0
            .iter()
            .any(|p| p.field == "subtypes[0].rules.location.max_accuracy_m" && p.message.contains("integer")),
        "{problems:?}"
    );
}

#[test]
fn not_json_and_unsealed_are_rejected() {
    assert!(
        EventList::from_json(b"{\"header\":")
            .expect_err("truncated")
            .names("package")
    );
    let unsealed = serde_json::to_vec(&tiny()).expect("json");
    assert!(
        EventList::from_json(&unsealed)
            .expect_err("empty hash")
            .names("header")
    );
}

#[test]
fn search_finds_chinese_pinyin_english_and_synonyms() {
    let list = EventList::from_json(&sealed(&tiny())).expect("valid");
    let first = |q: &str| list.search(q, None, 10).first().map(|h| h.code.clone());
    assert_eq!(first("井盖").as_deref(), Some("04-001"));
    assert_eq!(first("jinggai").as_deref(), Some("04-001"));
    assert_eq!(first("jg").as_deref(), Some("04-001"));
    assert_eq!(first("JG").as_deref(), Some("04-001"));
    assert_eq!(first("manhole").as_deref(), Some("04-001"));
    assert_eq!(first("窨井").as_deref(), Some("04-001"));
    assert_eq!(first("路灯").as_deref(), Some("04-002"));
    assert_eq!(first("street lamp").as_deref(), Some("04-002"));
    assert!(list.search("zzzzqx", None, 10).is_empty());
    assert!(list.search("   ", None, 10).is_empty());

    // A match on a problem returns its subtype with that problem.
    let hits = list.search("灯不亮", None, 10);
    assert_eq!(hits[0].code, "04-002");
    assert_eq!(hits[0].matched_problems[0].code, "04-002-01");
}

#[test]
fn search_is_limited_to_what_the_role_may_file() {
    let list = EventList::from_json(&sealed(&tiny())).expect("valid");
    assert!(!list.search("可疑", Some(Role::PoliceOfficer), 10).is_empty());
    assert!(list.search("可疑", Some(Role::Volunteer), 10).is_empty());
    assert_eq!(list.search("井盖", Some(Role::Volunteer), 10).len(), 1);
    assert!(list.search("路灯", Some(Role::Volunteer), 10).is_empty());
}

#[test]
fn bundled_list_is_wuzhongs_4_264_645_with_unique_codes() {
    let list = EventList::bundled();
    let info = list.info();
    assert_eq!(
        (info.counts.categories, info.counts.subtypes, info.counts.problems),
        (4, 264, 645)
    );
    // The header's counts are checked against the content by the loader; count again here.
    assert_eq!(list.categories().len(), 4);
    assert_eq!(list.subtypes().len(), 264);
    assert_eq!(list.package().problems.len(), 645);
    let names: Vec<&str> = list.categories().iter().map(|c| c.name_zh.as_str()).collect();
    assert_eq!(names, ["社会稳定", "环境保护", "安全生产", "便民服务"]);
    let mut codes = std::collections::HashSet::new();
    for code in list
        .subtypes()
        .iter()
        .map(|s| &s.code)
        .chain(list.package().problems.iter().map(|p| &p.code))
    {
        assert!(codes.insert(code.clone()), "duplicate code {code}");
    }
    assert_eq!(list.police_elements().len(), 34);
    assert_eq!(list.component_types().len(), 153);
}

#[test]
fn bundled_names_are_real_and_specific() {
    let list = EventList::bundled();
    let filler_zh = ["其他", "其它", "问题", "类别", "细类", "未知", "测试"];
    let mut subtype_names = std::collections::HashSet::new();
    for subtype in list.subtypes() {
        assert!(
            subtype_names.insert(&subtype.name_zh),
            "subtype name repeated: {}",
            subtype.name_zh
        );
    }
    let items = list
        .subtypes()
        .iter()
        .map(|s| (&s.code, &s.name_zh, &s.name_en))
        .chain(
            list.package()
                .problems
                .iter()
                .map(|p| (&p.code, &p.name_zh, &p.name_en)),
        );
    for (code, zh, en) in items {
        let zh_chars = zh
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .count();
        assert!(zh_chars >= 2, "{code}: {zh} is not a Chinese name");
        assert!(
            !zh.chars().any(|c| c.is_ascii_digit()),
            "{code}: numbered name {zh}"
        );
        assert!(
            !filler_zh
                .iter()
                .any(|f| zh == f || zh.starts_with(&format!("{f}1"))),
            "{code}: filler {zh}"
        );
        assert!(
            !zh.starts_with("其他") && !zh.starts_with("其它"),
            "{code}: catch-all name {zh}"
        );
        let lower = en.to_lowercase();
        assert!(
            en.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 5,
            "{code}: English gloss too thin: {en}"
        );
        assert!(
            !en.chars().any(|c| c.is_ascii_digit()),
            "{code}: numbered name {en}"
        );
        assert!(
            !lower.starts_with("other") && !lower.starts_with("problem ") && !lower.starts_with("misc"),
            "{code}: filler {en}"
        );
    }
}

#[test]
fn bundled_search_finds_what_inspectors_type() {
    let list = EventList::bundled();
    let first = |q: &str| {
        list.search(q, Some(Role::Inspector), 5)
            .first()
            .map(|h| h.name_zh.clone())
    };
    for (query, expect) in [
        ("井盖", "井盖"),
        ("jinggai", "井盖"),
        ("jg", "井盖"),
        ("manhole", "井盖"),
        ("飞线充电", "飞线"),
        ("fxcd", "飞线"),
        ("群租", "群租"),
        ("qunzu", "群租"),
        ("fire lane", "消防通道"),
        ("油烟", "油烟"),
        ("路灯", "路灯"),
        ("ldbl", "路灯"),
        ("暴露垃圾", "垃圾"),
        ("独居老人", "独居老人"),
    ] {
        let found = first(query).unwrap_or_default();
        assert!(
            found.contains(expect),
            "{query:?} found {found:?}, expected a name with {expect:?}"
        );
    }
    // Volunteers never see police-element subtypes.
    for hit in list.search("线索", Some(Role::Volunteer), 100) {
        let subtype = list.subtype(&hit.code).expect("hit exists");
        assert!(
            subtype.rules.police_element.is_none(),
            "{} offered to a volunteer",
            hit.code
        );
    }
}

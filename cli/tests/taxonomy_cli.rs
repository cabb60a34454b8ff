//! `gridpatrol taxonomy …` as scripts call it: JSON shapes, exit codes, errors with codes.

use std::process::{Command, Output};

use serde_json::Value;

fn gridpatrol(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridpatrol"))
        .args(args)
        .output()
        .expect("run gridpatrol")
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn stats_json_gives_the_counts_version_and_hash() {
    let output = gridpatrol(&["taxonomy", "stats", "--json"]);
    assert!(output.status.success());
    let stats = json_of(&output);
    assert_eq!(stats["categories"], 4);
    assert_eq!(stats["subtypes"], 264);
    assert_eq!(stats["problems"], 645);
    assert_eq!(stats["sha256"].as_str().expect("sha256").len(), 64);
    assert!(!stats["version"].as_str().expect("version").is_empty());
}

#[test]
fn search_json_is_a_ranked_array_with_matched_problems() {
    let output = gridpatrol(&["taxonomy", "search", "井盖", "--role", "inspector", "--json"]);
    assert!(output.status.success());
    let hits = json_of(&output);
    let first = &hits.as_array().expect("array")[0];
    assert!(first["name_zh"].as_str().expect("name").contains("井盖"));
    assert!(first["code"].as_str().expect("code").len() == 6);
    let problems = first["problems"].as_array().expect("problems");
    assert!(!problems.is_empty());
    assert!(
        problems[0]["code"]
            .as_str()
            .expect("code")
            .starts_with(first["code"].as_str().expect("code"))
    );

    let bad_role = gridpatrol(&["taxonomy", "search", "井盖", "--role", "mayor", "--json"]);
    assert_eq!(bad_role.status.code(), Some(2));
    assert_eq!(json_of(&bad_role)["code"], "bad_argument");
}

#[test]
fn show_json_has_rules_and_problems() {
    let output = gridpatrol(&["taxonomy", "show", "04-001", "--json"]);
    assert!(output.status.success());
    let subtype = json_of(&output);
    assert_eq!(subtype["code"], "04-001");
    assert!(subtype["rules"]["evidence"]["min_photos"].is_u64());
    let problems = subtype["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .all(|p| p["code"].as_str().expect("code").starts_with("04-001-")
                && p["name_zh"].is_string()
                && p["name_en"].is_string())
    );

    let unknown = gridpatrol(&["taxonomy", "show", "09-999", "--json"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(json_of(&unknown)["code"], "unknown_code");
}

#[test]
fn check_lints_a_city_package_and_seal_fixes_its_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("city.json");
    let mut package: Value =
        serde_json::from_str(include_str!("../../core/data/event-list.json")).expect("bundled");
    // Break it in two ways: a duplicate problem code and an orphan problem.
    let problems = package["problems"].as_array_mut().expect("problems");
    let first_code = problems[0]["code"].clone();
    problems[1]["code"] = first_code.clone();
    problems[2]["subtype"] = Value::from("04-999");
    std::fs::write(&path, serde_json::to_vec(&package).expect("json")).expect("write");
    let sealed = gridpatrol(&["taxonomy", "seal", path.to_str().expect("utf8"), "--json"]);
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stdout)
    );

    let check = gridpatrol(&["taxonomy", "check", path.to_str().expect("utf8"), "--json"]);
    assert_eq!(check.status.code(), Some(2));
    let report = json_of(&check);
    assert_eq!(report["status"], "invalid");
    let named: Vec<&str> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert!(named.contains(&first_code.as_str().expect("code")), "{named:?}");
    let orphan = package["problems"][2]["code"].as_str().expect("code");
    assert!(named.contains(&orphan), "{named:?}");

    // The bundled package itself is valid, and `stats --file` reads a file.
    let bundled = dir.path().join("bundled.json");
    std::fs::write(&bundled, include_str!("../../core/data/event-list.json")).expect("write");
    let check = gridpatrol(&["taxonomy", "check", bundled.to_str().expect("utf8"), "--json"]);
    assert!(check.status.success());
    assert_eq!(json_of(&check)["status"], "valid");
}

#[test]
fn an_unreadable_file_is_a_json_error_with_a_code() {
    let output = gridpatrol(&["taxonomy", "stats", "--file", "/nonexistent/list.json", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json_of(&output)["code"], "unreadable_file");
}

//! Reading a package from bytes: JSON, the canonical hash, and typed deserialization.
//!
//! Owns the canonical form (what the SHA-256 covers) and turning parse errors into problems
//! that name the offending code. Consistency rules live in `check`, which this module runs
//! last; `check` knows nothing of this one.

use serde_json::Value;

use super::model::Package;
use super::problems::{PackageProblem, PackageProblems};

/// Parses and verifies a package: JSON, hash, types, then every consistency rule.
/// All problems found are returned together so a city's IT staff can fix them in one pass.
pub fn parse(bytes: &[u8]) -> Result<(Package, String), PackageProblems> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        PackageProblems::one(PackageProblem::new(
            "package",
            "json",
            format!("not valid JSON (line {}, column {}): {e}", e.line(), e.column()),
        ))
    })?;
    let mut problems = Vec::new();
    let declared = take_declared_hash(&mut value);
    let computed = match canonical_sha256(&value) {
        Ok(hash) => hash,
        Err(problem) => return Err(PackageProblems::one(problem)),
    };
    match declared {
        None => problems.push(PackageProblem::new(
            "header",
            "sha256",
            "missing: seal the package with `gridpatrol taxonomy seal`",
        )),
        Some(declared) if declared != computed => problems.push(PackageProblem::new(
            "header",
            "sha256",
            format!("does not match the content (declared {declared}, computed {computed})"),
        )),
        Some(_) => {}
    }
    put_hash(&mut value, &computed);

    let package: Package = match serde_path_to_error::deserialize(&value) {
        Ok(package) => package,
        Err(error) => {
            let path = error.path().to_string();
            let code = code_at_path(&value, &path);
            problems.push(PackageProblem::new(code, path, error.inner().to_string()));
            return Err(PackageProblems(problems));
        }
    };
    problems.extend(super::check::check(&package));
    if problems.is_empty() {
        Ok((package, computed))
    } else {
        Err(PackageProblems(problems))
    }
}

/// Computes the hash of a package document and writes it into `header.sha256`.
/// For cities building their own list: `gridpatrol taxonomy seal PATH`.
pub fn seal(bytes: &[u8]) -> Result<(Vec<u8>, String), PackageProblems> {
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| PackageProblems::one(PackageProblem::new("package", "json", e.to_string())))?;
    take_declared_hash(&mut value);
    let hash = canonical_sha256(&value).map_err(PackageProblems::one)?;
    put_hash(&mut value, &hash);
    let mut out = serde_json::to_vec_pretty(&value).expect("a serde_json::Value always serializes");
    out.push(b'\n');
    Ok((out, hash))
}

fn take_declared_hash(value: &mut Value) -> Option<String> {
    let header = value.get_mut("header")?.as_object_mut()?;
    match header.remove("sha256")? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn put_hash(value: &mut Value, hash: &str) {
    if let Some(header) = value.get_mut("header").and_then(Value::as_object_mut) {
        header.insert("sha256".into(), Value::String(hash.into()));
    }
}

/// SHA-256 over the canonical form (see [`crate::canonical`]); the package format allows
/// integers only, so that every language's JSON writer gives the same bytes.
pub fn canonical_sha256(value: &Value) -> Result<String, PackageProblem> {
    if let Some((path, number)) = crate::canonical::first_non_integer(value) {
        return Err(PackageProblem::new(
            "package",
            path,
            format!("{number} is not an integer; the package format allows integers only"),
        ));
    }
    Ok(crate::canonical::canonical_sha256(value))
}

/// The `code` (or `id`) of the top-level list element on `path` (a subtype, problem, component
/// type ...), so a type error deep inside a subtype's rules is reported against that subtype.
fn code_at_path(root: &Value, path: &str) -> String {
    let mut node = root;
    let mut found = String::from("package");
    for segment in path.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        let Some(next) = node.get(name) else { break };
        node = next;
        if let Some(index) = index {
            let Some(item) = node.get(index) else { break };
            node = item;
            if let Some(code) = node.get("code").or_else(|| node.get("id")) {
                found = match code {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
            }
            break;
        }
    }
    found
}

//! Reading a package from bytes: JSON, the canonical hash, and typed deserialization.
//!
//! Owns the canonical form (what the SHA-256 covers) and turning parse errors into problems
//! that name the offending code. Consistency rules live in `check`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::check::{PackageProblem, PackageProblems};
use super::model::Package;

/// The package schema versions this build can read.
pub const SUPPORTED_SCHEMA_VERSION: u32 = 1;

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

/// SHA-256 over the canonical form: keys sorted by code point, no whitespace, raw UTF-8,
/// integers only. Written out by hand so that it never depends on serde_json's map order
/// (which a feature flag elsewhere in a build could change).
pub fn canonical_sha256(value: &Value) -> Result<String, PackageProblem> {
    let mut out = Vec::with_capacity(256 * 1024);
    write_canonical(value, &mut out, &mut String::new())?;
    Ok(hex::encode(Sha256::digest(&out)))
}

fn write_canonical(value: &Value, out: &mut Vec<u8>, path: &mut String) -> Result<(), PackageProblem> {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
                out.push(b':');
                let len = path.len();
                path.push('.');
                path.push_str(key);
                write_canonical(&map[key], out, path)?;
                path.truncate(len);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                write_canonical(item, out, path)?;
                path.truncate(len);
            }
            out.push(b']');
        }
        Value::Number(n) if n.is_f64() => {
            return Err(PackageProblem::new(
                "package",
                path.trim_start_matches('.').to_string(),
                format!("{n} is not an integer; the package format allows integers only"),
            ));
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writing to a Vec cannot fail"),
    }
    Ok(())
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

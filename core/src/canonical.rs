//! Canonical JSON: one byte form per JSON value, so two parties hash the same content alike.
//!
//! Object keys sorted by code point, no whitespace, strings as raw UTF-8 with JSON's minimal
//! escapes, numbers as serde_json writes them. Written out by hand so that it never depends on
//! serde_json's map order (which a feature flag elsewhere in a build could change). Used for
//! the event-list package hash (which additionally allows integers only) and for the
//! platform's report idempotency. It does not parse or validate anything.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical bytes of `value`.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write(value, &mut out);
    out
}

/// Lowercase hex SHA-256 of the canonical bytes.
pub fn canonical_sha256(value: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(value)))
}

/// The path (`a.b[2].c`) of the first non-integer number, if any.
pub fn first_non_integer(value: &Value) -> Option<(String, String)> {
    match value {
        Value::Number(n) if n.is_f64() => Some((String::new(), n.to_string())),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.into_iter()
                .find_map(|key| first_non_integer(&map[key]).map(|(path, n)| (join(key, &path), n)))
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            first_non_integer(item).map(|(path, n)| (format!("[{i}]{}", dotted(&path)), n))
        }),
        _ => None,
    }
}

fn join(key: &str, rest: &str) -> String {
    format!("{key}{}", dotted(rest))
}

fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        rest.to_string()
    } else {
        format!(".{rest}")
    }
}

fn write(value: &Value, out: &mut Vec<u8>) {
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
                write(&map[key], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writing to a Vec cannot fail"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b": [1, {"y": "井", "x": 2.5}], "a": null}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a":null,"b":[1,{"x":2.5,"y":"井"}]}"#).expect("json");
        assert_eq!(
            canonical_json(&a),
            r#"{"a":null,"b":[1,{"x":2.5,"y":"井"}]}"#.as_bytes()
        );
        assert_eq!(canonical_sha256(&a), canonical_sha256(&b));
        assert_ne!(
            canonical_sha256(&a),
            canonical_sha256(&json!({"a": null, "b": [1]}))
        );
    }

    #[test]
    fn finds_the_first_non_integer() {
        assert_eq!(first_non_integer(&json!({"a": [1, {"b": 2}]})), None);
        let found = first_non_integer(&json!({"s": [{"r": {"m": 30.5}}]})).expect("a float");
        assert_eq!(found, ("s[0].r.m".to_string(), "30.5".to_string()));
    }
}

//! The ids a device makes and a platform accepts: report ids and photo ids.
//!
//! Owns the one rule of each, used by both sides: the device makes report ids with
//! [`new_report_id`] and names photos by their SHA-256; the platform refuses any other id with
//! [`is_report_id`] and [`is_photo_id`] before it stores or looks anything up. It does not make
//! photo ids (a photo's id is the hash of its bytes, computed by `media`).

/// A new report id: a UUID version 7 (time-ordered, 74 random bits) in its canonical form, 36
/// lower-case hyphenated characters, e.g. `0195a000-0000-7000-8000-000000000001`.
pub fn new_report_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// Whether `id` is a report id as [`new_report_id`] makes them: a version-7, RFC 9562 variant
/// UUID in canonical lower-case hyphenated form. Upper case, braces, `urn:uuid:`, the simple
/// (unhyphenated) form and other versions are not report ids.
pub fn is_report_id(id: &str) -> bool {
    // Checked before parsing: the uuid parser also takes the other forms, and this keeps a
    // megabyte "id" from being looked at further.
    if id.len() != 36 {
        return false;
    }
    let Ok(uuid) = uuid::Uuid::try_parse(id) else {
        return false;
    };
    uuid.get_version_num() == 7
        && uuid.get_variant() == uuid::Variant::RFC4122
        && uuid.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()) == id
}

/// Whether `id` is a photo id: the SHA-256 of the photo's bytes as 64 lower-case hex digits.
pub fn is_photo_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_report_ids_are_report_ids() {
        for _ in 0..100 {
            let id = new_report_id();
            assert!(is_report_id(&id), "{id}");
        }
    }

    #[test]
    fn only_canonical_v7_uuids_are_report_ids() {
        assert!(is_report_id("0195a000-0000-7000-8000-000000000001"));
        assert!(is_report_id("0195a000-0000-7000-bfff-0000000000ff"));
        for id in [
            "",
            "r-1",
            "nul\u{0}id",
            "a/b/../c",
            // Upper case, simple, braced and URN forms of a valid id.
            "0195A000-0000-7000-8000-000000000001",
            "0195a000000070008000000000000001",
            "{0195a000-0000-7000-8000-000000000001}",
            "urn:uuid:0195a000-0000-7000-8000-000000000001",
            // Version 4, version 8, the nil UUID, a non-RFC variant.
            "0195a000-0000-4000-8000-000000000001",
            "0195a000-0000-8000-8000-000000000001",
            "00000000-0000-0000-0000-000000000000",
            "0195a000-0000-7000-c000-000000000001",
            // 36 bytes, not hex; a NUL in place of a digit.
            "0195a000-0000-7000-8000-00000000000g",
            "0195a000-0000-7000-8000-00000000000\u{0}",
        ] {
            assert!(!is_report_id(id), "{id:?}");
        }
        assert!(!is_report_id(&"a".repeat(100_000)));
    }

    #[test]
    fn photo_ids_are_lower_case_sha256_hex() {
        let sha = "ab".repeat(32);
        assert!(is_photo_id(&sha));
        assert!(!is_photo_id(&sha.to_uppercase()));
        assert!(!is_photo_id(&sha[..63]));
        assert!(!is_photo_id(&format!("{sha}0")));
        assert!(!is_photo_id(&format!("{}g", &sha[..63])));
        assert!(!is_photo_id("../../etc/passwd"));
        assert!(!is_photo_id(""));
    }
}

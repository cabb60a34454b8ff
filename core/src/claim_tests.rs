//! The claim's bytes, signature and check, against the shared test vector
//! (`core/tests/vectors/claim-v1.json`, also checked from Kotlin with the JDK's Ed25519).

use super::*;

const REPORT_JSON: &str = include_str!("capture/fixtures/report.json");
const VECTOR_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/claim-v1.json");

/// The vector's inputs: a fixed seed, the report fixture, a fixed previous claim.
fn inputs() -> (DeviceKey, SubmittedReport, Option<String>) {
    let seed: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(3));
    let report: SubmittedReport = serde_json::from_str(REPORT_JSON).expect("the report fixture parses");
    (DeviceKey::from_seed(&seed), report, Some("ab".repeat(32)))
}

fn public_key(key: &DeviceKey) -> Vec<u8> {
    hex::decode(key.public_key_hex()).expect("hex")
}

#[test]
fn the_claim_signs_to_the_shared_vector() {
    let (key, report, previous) = inputs();
    let signed = key.sign(&report, previous.clone());
    let bytes = String::from_utf8(signed.claim_of(&report).canonical_bytes()).expect("UTF-8");
    let vector = serde_json::json!({
        "seed_hex": hex::encode(std::array::from_fn::<u8, 32, _>(|i| (i as u8).wrapping_mul(7).wrapping_add(3))),
        "public_key_hex": key.public_key_hex(),
        "device_key_id": key.id(),
        "previous_claim_sha256": previous,
        "claim": bytes,
        "claim_sha256": signed.claim_sha256,
        "signature_hex": signed.signature,
    });
    if std::env::var_os("GRIDPATROL_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&vector).expect("json") + "\n";
        std::fs::write(VECTOR_PATH, text).expect("write the vector");
    }
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(VECTOR_PATH).expect("the vector file"))
            .expect("vector json");
    assert_eq!(
        vector, stored,
        "the claim bytes or signature changed: a platform would refuse them"
    );
    // Its content is what the report says, in integers.
    let claim: Claim = serde_json::from_str(&bytes).expect("claim json");
    assert_eq!(claim, signed.claim_of(&report));
    assert_eq!(claim.report_id, report.id);
    let fix = claim.fix.expect("the fixture has a fix");
    let stated = report.content.fix.expect("fix");
    assert_eq!(fix.lat_microdeg, (stated.lat * 1e6).round() as i64);
    assert_eq!(claim.photos.len(), report.content.photos.len());
    assert!(
        !bytes.contains(&report.content.description),
        "the description is signed hashed"
    );
    // What travels in the report is the signature's fields, not the claim again.
    let wire = serde_json::to_string(&signed).expect("json");
    assert!(wire.len() < 450, "{} bytes", wire.len());
}

#[test]
fn a_signed_report_checks_and_any_change_does_not() {
    let (key, report, previous) = inputs();
    let signed = key.sign(&report, previous.clone());
    assert_eq!(check(&report, &signed, &public_key(&key)), Ok(()));
    assert_eq!(signed.previous_claim_sha256, previous);

    type Change = Box<dyn Fn(&mut SubmittedReport)>;
    let tampered: [(&str, Change); 6] = [
        (
            "fix moved 2 m",
            Box::new(|r| r.content.fix.as_mut().expect("fix").lat += 0.00002),
        ),
        (
            "photo swapped",
            Box::new(|r| r.content.photos[0].sha256 = "cd".repeat(32)),
        ),
        ("photo dropped", Box::new(|r| drop(r.content.photos.pop()))),
        (
            "description edited",
            Box::new(|r| r.content.description.push('!')),
        ),
        (
            "capture time moved",
            Box::new(|r| r.content.captured_at_ms -= 60_000),
        ),
        ("problem changed", Box::new(|r| r.problem = "03-018-02".into())),
    ];
    for (what, change) in tampered {
        let mut changed = report.clone();
        change(&mut changed);
        assert_eq!(
            check(&changed, &signed, &public_key(&key)),
            Err(ClaimProblem::Mismatch),
            "{what}"
        );
    }
    // The fix's sub-microdegree noise is not a change (what the claim states is integers).
    let mut rounded = report.clone();
    rounded.content.fix.as_mut().expect("fix").lat += 1e-9;
    assert!(check(&rounded, &signed, &public_key(&key)).is_ok());
}

#[test]
fn a_forged_or_foreign_claim_is_refused() {
    let (key, report, previous) = inputs();
    let signed = key.sign(&report, previous);
    let (other, _) = DeviceKey::generate();
    assert_eq!(
        check(&report, &signed, &public_key(&other)),
        Err(ClaimProblem::KeyMismatch)
    );
    // Our claim's fields with another key's signature: the signature fails.
    let forged = SignedClaim {
        signature: other
            .sign(&report, signed.previous_claim_sha256.clone())
            .signature,
        ..signed.clone()
    };
    assert_eq!(
        check(&report, &forged, &public_key(&key)),
        Err(ClaimProblem::BadSignature)
    );
    // Another previous claim (a re-chained capture): the derived claim differs.
    let rechained = SignedClaim {
        previous_claim_sha256: None,
        ..signed.clone()
    };
    assert_eq!(
        check(&report, &rechained, &public_key(&key)),
        Err(ClaimProblem::Mismatch)
    );
    let unknown_version = SignedClaim {
        v: 2,
        ..signed.clone()
    };
    assert_eq!(
        check(&report, &unknown_version, &public_key(&key)),
        Err(ClaimProblem::Malformed)
    );
    for signature in ["zz", "", "00"] {
        let bad = SignedClaim {
            signature: signature.into(),
            ..signed.clone()
        };
        assert_eq!(
            check(&report, &bad, &public_key(&key)),
            Err(ClaimProblem::BadSignature),
            "{signature:?}"
        );
    }
}

#[test]
fn a_replayed_claim_does_not_fit_another_report() {
    let (key, report, _) = inputs();
    let signed = key.sign(&report, None);
    let mut other = report.clone();
    other.id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c".into();
    assert_eq!(
        check(&other, &signed, &public_key(&key)),
        Err(ClaimProblem::Mismatch)
    );
}

#[test]
fn keys_are_made_stored_and_read_back() {
    let (key, pkcs8) = DeviceKey::generate();
    let again = DeviceKey::from_pkcs8(&pkcs8).expect("stored bytes parse");
    assert_eq!(key.id(), again.id());
    assert_eq!(key.id().len(), 64);
    assert_ne!(
        DeviceKey::generate().0.id(),
        key.id(),
        "the CSPRNG makes a new key each time"
    );
    assert_eq!(
        DeviceKey::from_pkcs8(&pkcs8[..pkcs8.len() - 1]).err(),
        Some(BadDeviceKey)
    );
}

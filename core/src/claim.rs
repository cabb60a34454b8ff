//! Tamper-evident captures: the claim a device signs for each report at submit, and the one
//! check of it that the platform runs on receipt.
//!
//! A [`Claim`] is what the report asserts that matters as evidence — its id, capture and fix
//! times, the fix in integer microdegrees with its accuracy, provider and mock flag, the
//! subtype and problem, the SHA-256 and kind of every photo, the SHA-256 of the description,
//! the event list's hash — plus the signing key's id and the SHA-256 of this device's previous
//! claim (a chain: a capture removed or reordered on the device shows as a gap or a fork).
//! Its bytes are its canonical JSON ([`crate::canonical`]); the signature is Ed25519 (ring,
//! already linked for TLS) over those bytes, so the same report always signs to the same bytes
//! (Ed25519 is deterministic) and a resent report stays byte-identical. The report carries only
//! the [`SignedClaim`] (key id, previous claim, the claim's hash, the signature, about 400 bytes):
//! the claim is derived from the report, never stored twice.
//!
//! [`Claim::for_report`] is the one place a claim is derived from a report: the device signs
//! what it derives, and the platform derives it again from the report it received and compares
//! — a fix, photo or description changed in between no longer matches. [`check`] is that
//! comparison plus the signature.
//!
//! What this proves: the report the platform holds is the one this device key signed at
//! submit, unaltered, and the device's chain of captures says which came before. What it does
//! not: that the fix was true (a rooted phone can feed a fake fix and sign it), or that the key
//! was not copied off a rooted phone (see SECURITY.md).
//!
//! It does not own where the device key is kept (`client::device_key`) nor the platform's
//! record of verdicts (`platform::claims`).

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::capture::{PhotoKind, SubmittedReport};
use crate::location::LocationProvider;

/// The claim format; a platform refuses versions it does not know.
pub const CLAIM_VERSION: u32 = 1;

/// What a device signs for one report (see the module doc). Every number is an integer, so
/// its canonical JSON has one byte form everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub v: u32,
    pub report_id: String,
    /// Lowercase hex SHA-256 of the signing key's 32 public bytes.
    pub device_key_id: String,
    pub captured_at_ms: i64,
    pub submitted_at_ms: i64,
    pub fix: Option<ClaimFix>,
    pub subtype: String,
    pub problem: String,
    pub photos: Vec<ClaimPhoto>,
    pub description_sha256: String,
    pub event_list_sha256: String,
    /// The SHA-256 of this device's previous claim; `None` for its first.
    pub previous_claim_sha256: Option<String>,
}

/// The fix as the claim states it (WGS-84, as stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimFix {
    pub lat_microdeg: i64,
    pub lon_microdeg: i64,
    /// Accuracy radius in centimetres.
    pub accuracy_cm: i64,
    pub fix_time_ms: i64,
    pub provider: LocationProvider,
    pub is_mock: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimPhoto {
    pub sha256: String,
    pub kind: PhotoKind,
}

/// A report's signature, as it travels inside the report (`SubmittedReport::claim`). The claim
/// itself is not carried: it is a function of the report ([`Claim::for_report`]) and of the
/// three fields here, so the receiver derives the bytes that were signed — a report changed
/// since signing derives other bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct SignedClaim {
    /// The claim format ([`CLAIM_VERSION`]).
    pub v: u32,
    pub device_key_id: String,
    pub previous_claim_sha256: Option<String>,
    /// Lowercase hex SHA-256 of the signed bytes: what the next claim names as its previous,
    /// and what tells a changed report (`claim_mismatch`) from a bad signature.
    pub claim_sha256: String,
    /// Lowercase hex of the 64-byte Ed25519 signature over the claim's canonical bytes.
    pub signature: String,
}

impl SignedClaim {
    /// The claim these fields and `report` make (what was signed, if nothing changed).
    pub fn claim_of(&self, report: &SubmittedReport) -> Claim {
        Claim::for_report(report, &self.device_key_id, self.previous_claim_sha256.clone())
    }
}

impl Claim {
    /// The claim of `report` for the key `device_key_id`, following `previous_claim_sha256`.
    pub fn for_report(
        report: &SubmittedReport,
        device_key_id: &str,
        previous_claim_sha256: Option<String>,
    ) -> Claim {
        let content = &report.content;
        Claim {
            v: CLAIM_VERSION,
            report_id: report.id.clone(),
            device_key_id: device_key_id.to_string(),
            captured_at_ms: content.captured_at_ms,
            submitted_at_ms: report.submitted_at_ms,
            fix: content.fix.as_ref().map(|fix| ClaimFix {
                lat_microdeg: microdegrees(fix.lat),
                lon_microdeg: microdegrees(fix.lon),
                accuracy_cm: (fix.accuracy_m * 100.0).round() as i64,
                fix_time_ms: fix.fix_time_ms,
                provider: fix.provider,
                is_mock: fix.is_mock,
            }),
            subtype: report.subtype.clone(),
            problem: report.problem.clone(),
            photos: content
                .photos
                .iter()
                .map(|p| ClaimPhoto {
                    sha256: p.sha256.clone(),
                    kind: p.kind,
                })
                .collect(),
            description_sha256: hex::encode(Sha256::digest(content.description.as_bytes())),
            event_list_sha256: report.event_list_sha256.clone(),
            previous_claim_sha256,
        }
    }

    /// The signed bytes: the claim's canonical JSON.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("a claim always serializes");
        crate::canonical::canonical_json(&value)
    }
}

fn microdegrees(degrees: f64) -> i64 {
    (degrees * 1e6).round() as i64
}

/// The id of a public key: lowercase hex SHA-256 of its 32 bytes.
pub fn key_id(public_key: &[u8]) -> String {
    hex::encode(Sha256::digest(public_key))
}

/// A device's Ed25519 signing key.
pub struct DeviceKey {
    pair: Ed25519KeyPair,
    id: String,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a device key's stored bytes cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the device key is not a usable Ed25519 key")]
pub struct BadDeviceKey;

impl DeviceKey {
    /// A new key from the system's CSPRNG, with its PKCS#8 bytes to store.
    pub fn generate() -> (DeviceKey, Vec<u8>) {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("the system CSPRNG works");
        let key = DeviceKey::from_pkcs8(pkcs8.as_ref()).expect("a key ring just made parses");
        (key, pkcs8.as_ref().to_vec())
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<DeviceKey, BadDeviceKey> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| BadDeviceKey)?;
        Ok(Self::from_pair(pair))
    }

    /// A key from its 32-byte seed (test vectors; devices use [`generate`](Self::generate)).
    pub fn from_seed(seed: &[u8; 32]) -> DeviceKey {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).expect("any 32 bytes are a seed");
        Self::from_pair(pair)
    }

    fn from_pair(pair: Ed25519KeyPair) -> DeviceKey {
        let id = key_id(pair.public_key().as_ref());
        DeviceKey { pair, id }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Lowercase hex of the 32 public bytes (what enrollment registers).
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }

    /// Signs `report`'s claim following `previous`.
    pub fn sign(&self, report: &SubmittedReport, previous: Option<String>) -> SignedClaim {
        let bytes = Claim::for_report(report, &self.id, previous.clone()).canonical_bytes();
        SignedClaim {
            v: CLAIM_VERSION,
            device_key_id: self.id.clone(),
            previous_claim_sha256: previous,
            claim_sha256: hex::encode(Sha256::digest(&bytes)),
            signature: hex::encode(self.pair.sign(&bytes).as_ref()),
        }
    }
}

/// Why a report's claim does not hold. Codes are stable (the platform answers with them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClaimProblem {
    #[error("the claim is of a version this build does not know")]
    Malformed,
    #[error("the claim was signed by another key than the device's")]
    KeyMismatch,
    #[error("the claim's signature does not verify")]
    BadSignature,
    #[error("the report differs from what its claim signed (fix, photos, description, times or event)")]
    Mismatch,
}

impl ClaimProblem {
    pub fn code(self) -> &'static str {
        match self {
            ClaimProblem::Malformed => "claim_malformed",
            ClaimProblem::KeyMismatch => "claim_key_mismatch",
            ClaimProblem::BadSignature => "claim_signature_invalid",
            ClaimProblem::Mismatch => "claim_mismatch",
        }
    }
}

/// Checks `report`'s claim against the device's registered public key (32 bytes): derives
/// the claim from the report, then its hash (a changed fix, photo, description or time is a
/// mismatch), then the signature over its bytes.
pub fn check(report: &SubmittedReport, signed: &SignedClaim, public_key: &[u8]) -> Result<(), ClaimProblem> {
    if signed.v != CLAIM_VERSION {
        return Err(ClaimProblem::Malformed);
    }
    if signed.device_key_id != key_id(public_key) {
        return Err(ClaimProblem::KeyMismatch);
    }
    let bytes = signed.claim_of(report).canonical_bytes();
    if hex::encode(Sha256::digest(&bytes)) != signed.claim_sha256 {
        return Err(ClaimProblem::Mismatch);
    }
    let signature = hex::decode(&signed.signature).map_err(|_| ClaimProblem::BadSignature)?;
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&bytes, &signature)
        .map_err(|_| ClaimProblem::BadSignature)
}

#[cfg(test)]
#[path = "claim_tests.rs"]
mod tests;

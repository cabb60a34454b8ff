//! The device's claim-signing key and the head of its chain of claims.
//!
//! Owns the `meta` keys `claim.device_key` (the Ed25519 key as PKCS#8, hex, made with the
//! system CSPRNG the first time one is needed: at the first submit or enrollment) and
//! `claim.last_sha256` (the SHA-256 of the newest claim, moved in the same transaction as the
//! submit that signs the next one, so the chain has no holes and no forks on the device).
//! Until the host key store wraps it (issue 14 item 2) the key lies in the store as the
//! reports do: whoever reads the data directory can sign as this device (SECURITY.md).
//!
//! It does not own what a claim holds or how it is checked (`crate::claim`).

use std::sync::{Arc, Mutex};

use rusqlite::Transaction;

use crate::capture::{self, SubmittedReport};
use crate::claim::DeviceKey;
use crate::store::Store;
use crate::sync::outbox::{meta_get, meta_set};
use crate::{Error, Result};

const KEY_DEVICE_KEY: &str = "claim.device_key";
const KEY_LAST_CLAIM: &str = "claim.last_sha256";

/// The key, read (or made and committed) once per open.
#[derive(Default)]
pub(crate) struct DeviceKeySlot {
    cached: Mutex<Option<Arc<DeviceKey>>>,
}

impl DeviceKeySlot {
    /// The device key; made and committed in its own transaction the first time, so a key
    /// that signed anything is always the stored one.
    pub(crate) fn get(&self, store: &Store) -> Result<Arc<DeviceKey>> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let key = Arc::new(store.write(|tx| {
            match meta_get(tx, KEY_DEVICE_KEY)? {
                Some(stored) => hex::decode(stored)
                    .ok()
                    .and_then(|pkcs8| DeviceKey::from_pkcs8(&pkcs8).ok())
                    .ok_or_else(|| Error::Internal {
                        reason: "the stored device key is not an Ed25519 key".into(),
                    }),
                None => {
                    let (key, pkcs8) = DeviceKey::generate();
                    meta_set(tx, KEY_DEVICE_KEY, &hex::encode(pkcs8))?;
                    tracing::info!(key_id = %key.id(), "device key made");
                    Ok(key)
                }
            }
        })?);
        *cached = Some(key.clone());
        Ok(key)
    }
}

/// Signs the pending reports submitted before this device signed (an app upgraded with reports
/// in its outbox), in submit order on the chain, at their first send: a platform that holds
/// this device's key refuses an unsigned report (`claim_missing`), and parking them would
/// strand a day's work. Such a claim proves the report unchanged from that send on, not from
/// its capture. A body whose checksum no longer matches is left alone (the engine parks it as
/// damaged; signing it would bless the damage). Returns how many were signed.
pub(crate) fn sign_unsigned_pending(store: &Store, slot: &DeviceKeySlot) -> Result<usize> {
    // Every run asks; almost always there is none: a read, no write transaction, no key made.
    if store.read(capture::unsigned_pending)?.is_empty() {
        return Ok(0);
    }
    let key = slot.get(store)?;
    store.write(|tx| {
        let mut signed = 0;
        for (body, checksum) in capture::unsigned_pending(tx)? {
            if checksum.is_some_and(|sum| sum != capture::body_sha256(body.as_bytes())) {
                continue;
            }
            let Ok(mut report) = serde_json::from_str::<SubmittedReport>(&body) else {
                continue;
            };
            sign_in(tx, &key, &mut report)?;
            capture::rewrite_pending_report(tx, &report)?;
            signed += 1;
        }
        Ok(signed)
    })
}

/// Signs `report` in the submit's transaction, after the device's newest claim, and moves
/// the chain head to it.
pub(crate) fn sign_in(tx: &Transaction<'_>, key: &DeviceKey, report: &mut SubmittedReport) -> Result<()> {
    let previous = meta_get(tx, KEY_LAST_CLAIM)?;
    let signed = key.sign(report, previous);
    meta_set(tx, KEY_LAST_CLAIM, &signed.claim_sha256)?;
    report.claim = Some(signed);
    Ok(())
}

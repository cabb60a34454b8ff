//! Damaged secrets in the store are refused, never replaced silently: a stored claim-signing
//! key that is not an Ed25519 key stops a submit (a new key would break the device's chain and
//! be refused by the platform as `claim_key_mismatch`), and stored TLS pins that do not parse
//! stop the sync engine from starting (dropping them would trust any certificate).

use std::sync::Arc;

use gridpatrol_core::sync::{SyncConfig, SyncEngine};
use gridpatrol_core::{Client, Error};
use gridpatrol_tests::*;

fn set_meta(data: &std::path::Path, key: &str, value: &str) {
    raw_store(data, rusqlite::OpenFlags::default())
        .execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        .expect("meta written");
}

#[test]
fn a_damaged_signing_key_stops_the_submit_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let first = {
        let client = Client::open(&data).expect("open");
        let draft = client.create_draft(inspector("insp-1"), None).expect("draft");
        fill_valid_plain_draft(&client, &draft.id, place(1));
        submit_valid(&client, &draft.id);
        let draft = client.create_draft(inspector("insp-1"), None).expect("draft");
        fill_valid_plain_draft(&client, &draft.id, place(2));
        draft.id
    };
    set_meta(&data, "claim.device_key", "not a key");
    let client = Client::open(&data).expect("reopen");
    let before = client.queue().expect("queue").len();
    match client.submit(&first, ack_duplicates()) {
        Err(Error::Internal { reason }) => assert!(reason.contains("device key"), "{reason}"),
        other => panic!("a damaged key is refused, got {other:?}"),
    }
    assert_eq!(
        client.queue().expect("queue").len(),
        before,
        "nothing entered the outbox"
    );
    assert!(client.draft(&first).is_ok(), "the draft is still there");
}

#[test]
fn damaged_stored_tls_pins_stop_the_engine_instead_of_being_dropped() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    drop(Client::open(&data).expect("open"));
    let url = "https://platform.example.invalid";
    set_meta(&data, "sync.platform_url", url);
    set_meta(&data, "sync.tls_trust", "{\"spki_pins\": [tru");
    let client = Arc::new(Client::open(&data).expect("reopen"));
    match SyncEngine::new(client, SyncConfig::new(url)) {
        Err(error) => assert_eq!(error.code(), "storage", "{error}"),
        Ok(_) => panic!("an engine started without the stored pins"),
    }
}

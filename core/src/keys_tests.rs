use super::*;

fn store(dir: &Path) -> FileKeyStore {
    FileKeyStore::new(dir.join("wrapping.key"))
}

#[test]
fn a_new_directory_gets_a_key_that_opens_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = store(dir.path());
    let first = open_data_key(dir.path(), "db", &keys).expect("made");
    let again = open_data_key(dir.path(), "db", &keys).expect("unwrapped");
    assert_eq!(first.store_key(), again.store_key());
    assert_ne!(first.store_key(), first.photo_key(), "sub-keys are distinct");
    let file = std::fs::read(dir.path().join(KEY_FILE)).expect("key file");
    assert!(
        !file.windows(32).any(|w| w == first.0),
        "the key file holds the key only wrapped"
    );
    assert_eq!(format!("{first:?}"), "DataKey(..)");
}

#[test]
fn a_key_store_that_lost_its_key_sets_the_files_aside_and_says_what_was_unsent() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = store(dir.path());
    open_data_key(dir.path(), "db", &keys).expect("made");
    std::fs::write(dir.path().join("db"), b"not plaintext sqlite, an encrypted store").expect("db");
    write_unsent_count(dir.path(), 7);
    std::fs::remove_file(dir.path().join("wrapping.key")).expect("wipe the key store");
    let Err(Error::DataKeyLost {
        unsent_reports,
        kept_aside,
    }) = open_data_key(dir.path(), "db", &keys)
    else {
        panic!("a lost key is its own state");
    };
    assert_eq!(unsent_reports, Some(7));
    assert!(kept_aside.join("db").is_file(), "the store was kept, not deleted");
    assert!(kept_aside.join(KEY_FILE).is_file());
    assert!(!dir.path().join("db").exists());
    // The next open starts afresh under a new key; the kept files stay where they are.
    let fresh = open_data_key(dir.path(), "db", &keys).expect("a new key");
    drop(fresh);
    assert!(kept_aside.join("db").is_file());
}

#[test]
fn a_different_key_from_the_key_store_is_refused_without_touching_anything() {
    struct Liar;
    impl KeyStore for Liar {
        fn wrap(&self, _: &str, key: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
            Ok(key.to_vec())
        }
        fn unwrap(&self, _: &str, _: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
            Ok(vec![9; 32])
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    open_data_key(dir.path(), "db", &Liar).expect("made");
    let before = std::fs::read(dir.path().join(KEY_FILE)).expect("file");
    assert!(matches!(
        open_data_key(dir.path(), "db", &Liar),
        Err(Error::WrongDataKey)
    ));
    assert_eq!(std::fs::read(dir.path().join(KEY_FILE)).expect("file"), before);
}

#[test]
fn an_unavailable_key_store_changes_nothing() {
    struct Locked;
    impl KeyStore for Locked {
        fn wrap(&self, _: &str, _: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
            Err(KeyStoreError::Unavailable {
                reason: "locked".into(),
            })
        }
        fn unwrap(&self, _: &str, _: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
            Err(KeyStoreError::Unavailable {
                reason: "locked".into(),
            })
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    assert!(matches!(
        open_data_key(dir.path(), "db", &Locked),
        Err(Error::KeyStoreUnavailable { .. })
    ));
    assert!(
        !dir.path().join(KEY_FILE).exists(),
        "no key file without a wrapped key"
    );
    // An encrypted store whose key file went missing is lost, not silently replaced.
    std::fs::write(dir.path().join("db"), b"encrypted bytes, not SQLite's header").expect("db");
    assert!(matches!(
        open_data_key(dir.path(), "db", &store(dir.path())),
        Err(Error::DataKeyLost { .. })
    ));
}

#[test]
fn a_damaged_key_file_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join(KEY_FILE), b"GPK1short").expect("file");
    assert!(matches!(
        open_data_key(dir.path(), "db", &store(dir.path())),
        Err(Error::StoreCorrupt { .. })
    ));
}

#[test]
fn a_key_store_that_cannot_wrap_at_first_open_leaves_no_key_file() {
    struct NoWrap;
    impl KeyStore for NoWrap {
        fn wrap(&self, _: &str, _: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
            Err(KeyStoreError::KeyLost)
        }
        fn unwrap(&self, _: &str, _: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
            Err(KeyStoreError::KeyLost)
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    assert!(matches!(
        open_data_key(dir.path(), "db", &NoWrap),
        Err(Error::KeyStoreUnavailable { .. })
    ));
    assert!(!dir.path().join(KEY_FILE).exists());
    assert!(
        !dir.path().join(LOST_KEY_DIR).exists(),
        "nothing to set aside: no data yet"
    );
}

#[test]
fn reading_an_existing_key_never_makes_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = store(dir.path());
    assert!(matches!(
        existing_data_key(dir.path(), &keys),
        Err(Error::InvalidArgument {
            field: "data_dir",
            ..
        })
    ));
    assert!(!dir.path().join(KEY_FILE).exists(), "no key file was made");
    assert!(!dir.path().join("wrapping.key").exists(), "nor a wrapping key");
    let made = open_data_key(dir.path(), "db", &keys).expect("made");
    let read = existing_data_key(dir.path(), &keys).expect("read");
    assert_eq!(made.store_key(), read.store_key());
}

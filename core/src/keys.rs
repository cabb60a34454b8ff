//! The data key of a data directory: made once with the system CSPRNG, kept only wrapped by the
//! host's key store (Android Keystore, iOS Keychain) in `data-key.wrapped`, unwrapped at each
//! open, and the sub-keys the store and the photo files are encrypted under.
//!
//! Owns the key file's format, the [`KeyStore`] the host implements, the lost-key state and the
//! count of unsent reports a lost key would cost (kept in plaintext beside the data, so the app
//! can say what was lost). It does not encrypt anything itself: the store (`crate::sqlite`,
//! SQLite3 Multiple Ciphers) and the photo files (`crate::media::sealed`) do, under
//! [`DataKey::store_key`] and [`DataKey::photo_key`].
//!
//! * **Raw keys, no KDF at open.** The data key is 256 random bits; the sub-keys come from it by
//!   HKDF-SHA256 (microseconds), so an open costs no passphrase derivation.
//! * **A key check beside the wrapped key.** 16 bytes derived from the key tell "the key store
//!   gave back a different key" ([`crate::Error::WrongDataKey`]: nothing is touched) from "the
//!   store is damaged" (quarantine, as before).
//! * **Lost key.** When the key store says the key is gone ([`KeyStoreError::KeyLost`], e.g. a
//!   Keystore wiped by a lock-screen change), the directory's data files are moved, never
//!   deleted, to `lost-key/<unix ms>/` and the open answers [`crate::Error::DataKeyLost`] with
//!   the unsent reports last counted; the next open starts a fresh store under a new key.

use std::fmt;
use std::path::{Path, PathBuf};

use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

use crate::{Error, Result};

/// The wrapped data key, at the top of the data directory.
pub const KEY_FILE: &str = "data-key.wrapped";
/// Where the files of a directory whose key was lost are moved.
pub const LOST_KEY_DIR: &str = "lost-key";
/// The unsent reports last counted (plaintext: a number, so a lost key can say what it cost).
pub const UNSENT_COUNT_FILE: &str = "unsent-reports";
/// The alias the key store is asked to wrap under.
pub const KEY_ALIAS: &str = "gridpatrol.data-key";

const MAGIC: &[u8; 4] = b"GPK1";
const CHECK_BYTES: usize = 16;
const KEY_BYTES: usize = 32;

/// The host's key store: wraps and unwraps the data key with a key that never leaves it.
pub trait KeyStore: Send + Sync {
    /// Wraps `key` (32 bytes) under the host key named `alias`, making that key if needed.
    fn wrap(&self, alias: &str, key: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError>;
    /// Unwraps what [`wrap`](Self::wrap) returned.
    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError>;
}

/// Why the key store could not wrap or unwrap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyStoreError {
    /// The host key is gone or no longer opens the wrapped key: the data is lost for good.
    #[error("the key store no longer holds the data key")]
    KeyLost,
    /// The key store cannot answer now (e.g. the phone is locked before its first unlock);
    /// nothing is lost, try again.
    #[error("the key store is unavailable: {reason}")]
    Unavailable { reason: String },
}

/// A directory's 256-bit data key. Its bytes never appear in `Debug` and are zeroed on drop.
pub struct DataKey([u8; KEY_BYTES]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        for byte in &mut self.0 {
            // Volatile so the zeroing is not optimised away as a dead store.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl DataKey {
    /// A new key from the system CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut key = [0u8; KEY_BYTES];
        SystemRandom::new().fill(&mut key).map_err(|_| Error::Internal {
            reason: "the system random generator failed".into(),
        })?;
        Ok(Self(key))
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; KEY_BYTES]>::try_from(bytes).ok().map(Self)
    }

    fn derive<const N: usize>(&self, label: &[u8]) -> [u8; N] {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"gridpatrol data key v1").extract(&self.0);
        let mut out = [0u8; N];
        prk.expand(&[label], Len(N))
            .and_then(|okm| okm.fill(&mut out))
            .expect("HKDF-SHA256 gives up to 8160 bytes; these are 32 or 16");
        out
    }

    /// The SQLite store's key (SQLite3 Multiple Ciphers, ChaCha20-Poly1305, raw key).
    pub fn store_key(&self) -> [u8; 32] {
        self.derive(b"store")
    }

    /// The photo files' key (`crate::media::sealed`).
    pub fn photo_key(&self) -> [u8; 32] {
        self.derive(b"photos")
    }

    fn check(&self) -> [u8; CHECK_BYTES] {
        self.derive(b"check")
    }
}

/// The data key of `dir`: unwrapped from its key file, or made and stored when the directory
/// has none and no encrypted store (a new directory, or one of a release before encryption,
/// which the store then encrypts in place). `database` is the store's file name in `dir`.
pub fn open_data_key(dir: &Path, database: &str, keys: &dyn KeyStore) -> Result<DataKey> {
    let path = dir.join(KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => unwrap_key_file(dir, &bytes, keys),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if crate::sqlite::is_encrypted_file(&dir.join(database))? {
                // An encrypted store whose key file is gone: as lost as a wiped key store.
                return Err(lose(dir));
            }
            let key = DataKey::generate()?;
            // A key store that cannot wrap loses nothing (there is no data yet): unavailable.
            let wrapped = keys.wrap(KEY_ALIAS, &key.0).map_err(|error| match error {
                KeyStoreError::KeyLost => Error::KeyStoreUnavailable {
                    reason: "the key store could not wrap the data key".into(),
                },
                other => key_store_error(other),
            })?;
            let mut file = Vec::with_capacity(4 + CHECK_BYTES + wrapped.len());
            file.extend_from_slice(MAGIC);
            file.extend_from_slice(&key.check());
            file.extend_from_slice(&wrapped);
            crate::store::write_atomically(&path, &file)?;
            tracing::info!("data key made and stored wrapped");
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

/// The data key of a directory that has one; never makes one (tools and tests reading an
/// existing store). A directory without a key file is `InvalidArgument`.
pub fn existing_data_key(dir: &Path, keys: &dyn KeyStore) -> Result<DataKey> {
    match std::fs::read(dir.join(KEY_FILE)) {
        Ok(bytes) => unwrap_key_file(dir, &bytes, keys),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::InvalidArgument {
            field: "data_dir",
            reason: "holds no data key".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

fn unwrap_key_file(dir: &Path, bytes: &[u8], keys: &dyn KeyStore) -> Result<DataKey> {
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return Err(damaged_key_file());
    };
    if rest.len() <= CHECK_BYTES {
        return Err(damaged_key_file());
    }
    let (check, wrapped) = rest.split_at(CHECK_BYTES);
    let key = match keys.unwrap(KEY_ALIAS, wrapped) {
        Ok(bytes) => DataKey::from_bytes(&bytes).ok_or(Error::WrongDataKey)?,
        Err(KeyStoreError::KeyLost) => return Err(lose(dir)),
        Err(other) => return Err(key_store_error(other)),
    };
    if key.check().as_slice() != check {
        return Err(Error::WrongDataKey);
    }
    Ok(key)
}

fn damaged_key_file() -> Error {
    Error::StoreCorrupt {
        reason: "the wrapped data key file is damaged",
        quarantined: None,
    }
}

/// An unwrap's `KeyLost` never reaches here (it is [`lose`]).
fn key_store_error(error: KeyStoreError) -> Error {
    match error {
        KeyStoreError::KeyLost => Error::WrongDataKey,
        KeyStoreError::Unavailable { reason } => Error::KeyStoreUnavailable { reason },
    }
}

/// Moves the directory's data files aside and names the result as [`Error::DataKeyLost`].
fn lose(dir: &Path) -> Error {
    let unsent_reports = read_unsent_count(dir);
    match set_aside(dir) {
        Ok(kept_aside) => {
            tracing::error!(unsent_reports, "data key lost; the old files were kept aside");
            Error::DataKeyLost {
                unsent_reports,
                kept_aside,
            }
        }
        Err(error) => error,
    }
}

/// The directory's own files (not the lock file, not earlier lost-key folders) moved into a
/// new `lost-key/<unix ms>/`.
fn set_aside(dir: &Path) -> Result<PathBuf> {
    let target = crate::store::new_dated_dir(&dir.join(LOST_KEY_DIR))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == LOST_KEY_DIR || name == crate::store::LOCK_FILE {
            continue;
        }
        std::fs::rename(entry.path(), target.join(&name))?;
    }
    std::fs::File::open(dir)?.sync_all()?;
    Ok(target)
}

/// The unsent reports last written by [`write_unsent_count`]; `None` when never counted.
pub fn read_unsent_count(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join(UNSENT_COUNT_FILE))
        .ok()
        .and_then(|text| text.trim().parse().ok())
}

/// Records how many reports are unsent (at open, after each sync run, at close). Not made
/// durable on its own: it is a hint for the lost-key message, not data.
pub fn write_unsent_count(dir: &Path, count: u32) {
    let path = dir.join(UNSENT_COUNT_FILE);
    if read_unsent_count(dir) == Some(count) {
        return;
    }
    if let Err(error) = std::fs::write(&path, count.to_string()) {
        tracing::warn!(%error, "unsent report count not recorded");
    }
}

/// A key store for the CLI, the demo and tests, where no host key store exists: its wrapping
/// key is a file of 32 random bytes (`wrapping_key`, made on first use). It protects the data
/// only as far as that file is kept elsewhere; a phone app passes the platform's key store.
#[derive(Debug, Clone)]
pub struct FileKeyStore {
    wrapping_key: PathBuf,
}

impl FileKeyStore {
    pub fn new(wrapping_key: impl Into<PathBuf>) -> Self {
        Self {
            wrapping_key: wrapping_key.into(),
        }
    }

    fn key(&self, create: bool) -> std::result::Result<ring::aead::LessSafeKey, KeyStoreError> {
        let bytes = match std::fs::read(&self.wrapping_key) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = DataKey::generate().map_err(|_| unavailable("no random bytes"))?;
                if let Some(parent) = self.wrapping_key.parent() {
                    std::fs::create_dir_all(parent).map_err(|_| unavailable("no key folder"))?;
                }
                crate::store::write_atomically(&self.wrapping_key, &key.0)
                    .map_err(|_| unavailable("the wrapping key could not be written"))?;
                key.0.to_vec()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyStoreError::KeyLost),
            Err(_) => return Err(unavailable("the wrapping key could not be read")),
        };
        let key = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &bytes)
            .map_err(|_| KeyStoreError::KeyLost)?;
        Ok(ring::aead::LessSafeKey::new(key))
    }
}

fn unavailable(reason: &str) -> KeyStoreError {
    KeyStoreError::Unavailable {
        reason: reason.into(),
    }
}

impl KeyStore for FileKeyStore {
    fn wrap(&self, alias: &str, key: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
        let sealing = self.key(true)?;
        let mut nonce = [0u8; 12];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| unavailable("no random bytes"))?;
        let mut out = key.to_vec();
        sealing
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(alias.as_bytes()),
                &mut out,
            )
            .map_err(|_| unavailable("sealing failed"))?;
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&out);
        Ok(wrapped)
    }

    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> std::result::Result<Vec<u8>, KeyStoreError> {
        let opening = self.key(false)?;
        if wrapped.len() < 12 {
            return Err(KeyStoreError::KeyLost);
        }
        let (nonce, sealed) = wrapped.split_at(12);
        let nonce =
            ring::aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyStoreError::KeyLost)?;
        let mut buffer = sealed.to_vec();
        let plain = opening
            .open_in_place(nonce, ring::aead::Aad::from(alias.as_bytes()), &mut buffer)
            .map_err(|_| KeyStoreError::KeyLost)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;

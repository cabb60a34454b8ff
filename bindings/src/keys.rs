//! The host's key store as a uniffi foreign trait: Android Keystore / iOS Keychain wrap the data
//! key the core makes (see `gridpatrol_core::keys`). Owns only the crossing; what is wrapped,
//! when, and the lost-key state are the core's.

use std::sync::Arc;

/// The app's key store. `wrap` wraps the 32-byte data key under the host key `alias` (making
/// that key on first use: AES-256-GCM in the Android Keystore, a Keychain item with
/// `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly` on iOS); `unwrap` reverses it.
#[uniffi::export(with_foreign)]
pub trait KeyStore: Send + Sync {
    fn wrap(&self, alias: String, key: Vec<u8>) -> Result<Vec<u8>, KeyStoreError>;
    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyStoreError>;
}

/// What a key store answers when it cannot wrap or unwrap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum KeyStoreError {
    /// The host key is gone or no longer opens the wrapped key (e.g. the Keystore invalidated it
    /// after a lock-screen change): the core sets the old files aside (`DataKeyLost`).
    #[error("the key store no longer holds the data key")]
    KeyLost,
    /// The key store cannot answer now (locked before the first unlock): nothing changes.
    #[error("the key store is unavailable: {reason}")]
    Unavailable { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyStoreError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Unavailable { reason: error.reason }
    }
}

/// The host's key store seen as the core's.
pub(crate) struct HostKeys(pub Arc<dyn KeyStore>);

impl gridpatrol_core::keys::KeyStore for HostKeys {
    fn wrap(&self, alias: &str, key: &[u8]) -> Result<Vec<u8>, gridpatrol_core::keys::KeyStoreError> {
        self.0.wrap(alias.into(), key.to_vec()).map_err(Into::into)
    }

    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, gridpatrol_core::keys::KeyStoreError> {
        self.0.unwrap(alias.into(), wrapped.to_vec()).map_err(Into::into)
    }
}

impl From<KeyStoreError> for gridpatrol_core::keys::KeyStoreError {
    fn from(error: KeyStoreError) -> Self {
        match error {
            KeyStoreError::KeyLost => Self::KeyLost,
            KeyStoreError::Unavailable { reason } => Self::Unavailable { reason },
        }
    }
}

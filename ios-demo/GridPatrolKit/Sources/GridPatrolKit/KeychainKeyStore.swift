import CryptoKit
import Foundation
import GridPatrolCore
import Security

/// The core's key store over the Keychain. The core makes the data key of its directory and
/// hands it here to be wrapped: a 256-bit symmetric key, kept as a generic-password item under
/// the alias with `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly` (readable by background
/// tasks after the first unlock, never synced to iCloud nor restored to another device), seals
/// it with `AES.GCM` (the alias authenticated alongside). Only the sealed box is stored, in the
/// data directory; the wrapping key never leaves the Keychain.
///
/// How it fails decides what happens to the data:
/// - the item is missing, or does not open the sealed box: `KeyStoreError.KeyLost` — the core
///   sets the old files aside (never deletes them) and the app tells the worker;
/// - the Keychain cannot answer now (`errSecInteractionNotAllowed`: locked since the phone
///   booted) or fails otherwise: `KeyStoreError.Unavailable` — nothing changes; open again later.
public final class KeychainKeyStore: KeyStore {
    public let service: String

    public init(service: String = "cn.gridpatrol.demo.wrapping-key") {
        self.service = service
    }

    public func wrap(alias: String, key: Data) throws -> Data {
        do {
            let wrapping = try existingKey(alias: alias) ?? makeKey(alias: alias)
            guard let combined = try AES.GCM.seal(key, using: wrapping, authenticating: Data(alias.utf8)).combined else {
                throw KeyStoreError.Unavailable(reason: "AES.GCM gave no combined box")
            }
            return combined
        } catch let error as KeyStoreError {
            // Wrapping is for a new data key: nothing can be lost yet, whatever failed.
            if case .Unavailable = error { throw error }
            throw KeyStoreError.Unavailable(reason: "the Keychain item is damaged")
        } catch {
            throw KeyStoreError.Unavailable(reason: "AES.GCM seal failed")
        }
    }

    public func unwrap(alias: String, wrapped: Data) throws -> Data {
        guard let wrapping = try existingKey(alias: alias) else { throw KeyStoreError.KeyLost }
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            return try AES.GCM.open(box, using: wrapping, authenticating: Data(alias.utf8))
        } catch {
            // The key in the Keychain does not open what was sealed: no retry will.
            throw KeyStoreError.KeyLost
        }
    }

    /// Removes the wrapping key (tests; a real app never does: it would lose the data).
    public func delete(alias: String) {
        SecItemDelete(base(alias: alias) as CFDictionary)
    }

    func existingKey(alias: String) throws -> SymmetricKey? {
        var query = base(alias: alias)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data, data.count == 32 else { throw KeyStoreError.KeyLost }
            return SymmetricKey(data: data)
        case errSecItemNotFound:
            return nil
        default:
            throw unavailable(status)
        }
    }

    /// A new wrapping key from the system CSPRNG, stored before it is used.
    func makeKey(alias: String) throws -> SymmetricKey {
        let key = SymmetricKey(size: .bits256)
        var query = base(alias: alias)
        query[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        query[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(query as CFDictionary, nil)
        switch status {
        case errSecSuccess:
            return key
        case errSecDuplicateItem:
            // Another open made it meanwhile: use that one.
            guard let existing = try existingKey(alias: alias) else { throw unavailable(status) }
            return existing
        default:
            throw unavailable(status)
        }
    }

    private func unavailable(_ status: OSStatus) -> KeyStoreError {
        status == errSecInteractionNotAllowed
            ? KeyStoreError.Unavailable(reason: "the Keychain is locked (errSecInteractionNotAllowed)")
            : KeyStoreError.Unavailable(reason: "Keychain status \(status)")
    }

    private func base(alias: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: alias,
        ]
    }
}

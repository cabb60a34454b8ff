import Foundation
import Security

/// Errors of the host key store: `unavailable` is the explicit "key lost" state (the Keychain
/// item is gone, e.g. after a device restore to another phone); the app never answers it by
/// making a new key over the old data.
public enum KeyStoreError: Error, Equatable {
    case unavailable
    case keychain(OSStatus)
}

/// The data key in the Keychain, `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: readable
/// by background tasks after the first unlock, never synced to iCloud nor restored to another
/// device. The key is made once with the system CSPRNG.
public struct KeychainKeyStore {
    public let service: String

    public init(service: String = "cn.gridpatrol.demo.data-key") {
        self.service = service
    }

    /// The stored key, or a new 256-bit one when there is none yet and `createIfMissing`.
    public func dataKey(account: String, createIfMissing: Bool) throws -> Data {
        if let existing = try read(account: account) { return existing }
        guard createIfMissing else { throw KeyStoreError.unavailable }
        var bytes = Data(count: 32)
        let status = bytes.withUnsafeMutableBytes { SecRandomCopyBytes(kSecRandomDefault, 32, $0.baseAddress!) }
        guard status == errSecSuccess else { throw KeyStoreError.keychain(status) }
        try add(account: account, key: bytes)
        return bytes
    }

    func read(account: String) throws -> Data? {
        var query = base(account: account)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        default: throw KeyStoreError.keychain(status)
        }
    }

    func add(account: String, key: Data) throws {
        var query = base(account: account)
        query[kSecValueData as String] = key
        query[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(query as CFDictionary, nil)
        guard status == errSecSuccess else { throw KeyStoreError.keychain(status) }
    }

    public func delete(account: String) {
        SecItemDelete(base(account: account) as CFDictionary)
    }

    private func base(account: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }
}

import GridPatrolCore
import XCTest
@testable import GridPatrolKit

final class KeychainKeyStoreTests: XCTestCase {
    private let store = KeychainKeyStore(service: "cn.gridpatrol.tests.\(UUID().uuidString)")
    private let alias = "gridpatrol.data-key"
    private let dataKey = Data((0..<32).map { UInt8($0) })

    override func tearDown() {
        store.delete(alias: alias)
    }

    func testAWrappedKeyUnwrapsToTheSameBytesAndIsNotStoredInTheClear() throws {
        let wrapped = try store.wrap(alias: alias, key: dataKey)
        XCTAssertNil(wrapped.range(of: dataKey), "the data key is not in the wrapped bytes")
        XCTAssertEqual(try store.unwrap(alias: alias, wrapped: wrapped), dataKey)
        // The wrapping key is made once: a second wrap uses it too.
        let again = try store.wrap(alias: alias, key: dataKey)
        XCTAssertEqual(try store.unwrap(alias: alias, wrapped: again), dataKey)
    }

    func testAMissingWrappingKeyIsKeyLostNotANewKey() throws {
        let wrapped = try store.wrap(alias: alias, key: dataKey)
        store.delete(alias: alias)
        XCTAssertThrowsError(try store.unwrap(alias: alias, wrapped: wrapped)) { error in
            XCTAssertEqual(error as? KeyStoreError, KeyStoreError.KeyLost)
        }
    }

    func testABoxTheKeyDoesNotOpenIsKeyLost() throws {
        var wrapped = try store.wrap(alias: alias, key: dataKey)
        wrapped[wrapped.count - 1] ^= 1
        XCTAssertThrowsError(try store.unwrap(alias: alias, wrapped: wrapped)) { error in
            XCTAssertEqual(error as? KeyStoreError, KeyStoreError.KeyLost)
        }
    }
}

import XCTest
@testable import GridPatrolKit

final class KeychainKeyStoreTests: XCTestCase {
    private let store = KeychainKeyStore(service: "cn.gridpatrol.tests.\(UUID().uuidString)")

    override func tearDown() {
        store.delete(account: "data")
    }

    func testTheKeyIsMadeOnceAndReadBackTheSame() throws {
        let first = try store.dataKey(account: "data", createIfMissing: true)
        XCTAssertEqual(first.count, 32)
        let again = try store.dataKey(account: "data", createIfMissing: true)
        XCTAssertEqual(first, again)
    }

    func testAMissingKeyIsUnavailableNotANewKey() {
        XCTAssertThrowsError(try store.dataKey(account: "data", createIfMissing: false)) { error in
            XCTAssertEqual(error as? KeyStoreError, .unavailable)
        }
    }
}

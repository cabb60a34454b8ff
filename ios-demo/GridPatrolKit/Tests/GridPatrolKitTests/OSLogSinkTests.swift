import GridPatrolCore
import os
import XCTest
@testable import GridPatrolKit

final class OSLogSinkTests: XCTestCase {
    func testLevelsMapToTheUnifiedLogsTypes() {
        XCTAssertEqual(OSLogSink.osLevel(.error), .error)
        XCTAssertEqual(OSLogSink.osLevel(.warn), .default)
        XCTAssertEqual(OSLogSink.osLevel(.info), .info)
        XCTAssertEqual(OSLogSink.osLevel(.debug), .debug)
        XCTAssertEqual(OSLogSink.osLevel(.trace), .debug)
    }
}

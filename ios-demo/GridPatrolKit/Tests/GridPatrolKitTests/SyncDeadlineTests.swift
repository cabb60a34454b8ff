import XCTest
@testable import GridPatrolKit

final class SyncDeadlineTests: XCTestCase {
    func testAppRefreshLeavesAMargin() {
        let deadline = SyncDeadline.deadline(budget: SyncDeadline.appRefreshBudget)
        XCTAssertEqual(deadline, 22.5, accuracy: 0.001)
        XCTAssertLessThan(deadline, SyncDeadline.appRefreshBudget)
    }

    func testLongBudgetsKeepAtMostThirtySeconds() {
        XCTAssertEqual(SyncDeadline.deadline(budget: 300), 270, accuracy: 0.001)
    }

    func testTinyBudgetsStillTrySomething() {
        XCTAssertEqual(SyncDeadline.deadline(budget: 1), 2, accuracy: 0.001)
        XCTAssertEqual(SyncDeadline.deadline(budget: 8), 5, accuracy: 0.001)
    }
}

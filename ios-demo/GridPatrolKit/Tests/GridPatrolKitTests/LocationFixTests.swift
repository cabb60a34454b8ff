import CoreLocation
import GridPatrolCore
import XCTest
@testable import GridPatrolKit

final class LocationFixTests: XCTestCase {
    func testAFixKeepsItsOwnTimeAccuracyAndDatum() throws {
        let time = Date(timeIntervalSince1970: 1_780_000_000.250)
        let location = CLLocation(
            coordinate: CLLocationCoordinate2D(latitude: 31.27, longitude: 120.62),
            altitude: 5, horizontalAccuracy: 6, verticalAccuracy: 10, timestamp: time
        )
        let fix = try XCTUnwrap(locationFix(from: location))
        XCTAssertEqual(fix.lat, 31.27)
        XCTAssertEqual(fix.lon, 120.62)
        XCTAssertEqual(fix.accuracyM, 6)
        XCTAssertEqual(fix.fixTimeMs, 1_780_000_000_250)
        XCTAssertEqual(fix.datum, .wgs84)
        XCTAssertFalse(fix.isMock)
    }

    func testAnInvalidAccuracyIsNoFix() {
        let location = CLLocation(
            coordinate: CLLocationCoordinate2D(latitude: 31.27, longitude: 120.62),
            altitude: 0, horizontalAccuracy: -1, verticalAccuracy: -1, timestamp: Date()
        )
        XCTAssertNil(locationFix(from: location))
    }
}

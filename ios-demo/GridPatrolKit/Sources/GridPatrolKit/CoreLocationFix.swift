import CoreLocation
import GridPatrolCore

/// A CoreLocation fix as the core takes it: WGS-84 as iOS reports it, the accuracy radius, the
/// fix's own time, and whether iOS says it was simulated (iOS 15+). A fix with a negative
/// accuracy (iOS's "invalid") has no `LocationFix`.
public func locationFix(from location: CLLocation) -> LocationFix? {
    guard location.horizontalAccuracy >= 0 else { return nil }
    var simulated = false
    if #available(iOS 15.0, *) {
        simulated = location.sourceInformation?.isSimulatedBySoftware ?? false
    }
    return LocationFix(
        lat: location.coordinate.latitude,
        lon: location.coordinate.longitude,
        accuracyM: location.horizontalAccuracy,
        fixTimeMs: Int64((location.timestamp.timeIntervalSince1970 * 1000).rounded()),
        provider: .gps,
        isMock: simulated,
        datum: .wgs84
    )
}

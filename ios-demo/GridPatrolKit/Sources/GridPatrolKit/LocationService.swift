import CoreLocation
import GridPatrolCore

/// Fixes for captures and patrols from CLLocationManager.
///
/// During a patrol: standard updates with `allowsBackgroundLocationUpdates` (the app declares the
/// `location` background mode), `pausesLocationUpdatesAutomatically = false` (iOS would otherwise
/// pause a slow walker's updates and the track would get a gap the worker did not cause), the
/// blue status-bar indicator shown. Outside a patrol only while a capture screen is open.
/// Deferred batches (`didUpdateLocations` with several fixes) are passed on in time order.
public final class LocationService: NSObject, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private let onFix: (LocationFix) -> Void
    public private(set) var lastFix: LocationFix?

    public init(onFix: @escaping (LocationFix) -> Void) {
        self.onFix = onFix
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        manager.activityType = .fitness
    }

    public func requestPermission() {
        manager.requestWhenInUseAuthorization()
    }

    public func startForCapture() {
        manager.allowsBackgroundLocationUpdates = false
        manager.startUpdatingLocation()
    }

    public func startForPatrol() {
        manager.requestAlwaysAuthorization()
        manager.allowsBackgroundLocationUpdates = true
        manager.pausesLocationUpdatesAutomatically = false
        manager.showsBackgroundLocationIndicator = true
        manager.distanceFilter = kCLDistanceFilterNone
        manager.startUpdatingLocation()
    }

    public func stop() {
        manager.stopUpdatingLocation()
        manager.allowsBackgroundLocationUpdates = false
    }

    public func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        for location in locations.sorted(by: { $0.timestamp < $1.timestamp }) {
            guard let fix = locationFix(from: location) else { continue }
            lastFix = fix
            onFix(fix)
        }
    }

    public func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        // Transient (no fix yet, or denied): the capture screen shows "waiting for location";
        // the core records a silence in a patrol as a gap.
    }
}

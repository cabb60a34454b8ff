import GridPatrolCore
import GridPatrolKit
import SwiftUI

@main
struct GridPatrolDemoApp: App {
    @StateObject private var model = AppModel()
    private let background: BackgroundSync

    init() {
        // BGTaskScheduler handlers must be registered before launch finishes. They open the
        // same core the screens use (one per directory).
        let holder = CoreHolder.shared
        background = BackgroundSync { await holder.core() }
        background.register()
        background.scheduleRefresh()
        background.scheduleProcessing()
    }

    var body: some Scene {
        WindowGroup {
            TabView {
                CaptureView().tabItem { Label("上报", systemImage: "camera") }
                OutboxView().tabItem { Label("待发送", systemImage: "tray.and.arrow.up") }
                PatrolView().tabItem { Label("巡查", systemImage: "figure.walk") }
            }
            .environmentObject(model)
            .task { await model.start() }
        }
    }
}

/// The process's one core, opened by whoever needs it first: the screens, or a background task
/// that iOS started before any screen.
actor CoreHolder {
    static let shared = CoreHolder()
    private var value: GridPatrol?

    func core() async -> GridPatrol? {
        if let value { return value }
        guard let dir = try? AppModel.dataDirectory() else { return nil }
        value = try? await GridPatrol.open(dataDir: dir)
        return value
    }
}

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
            // A lost data key: the core kept the old files aside and a fresh store is open.
            // The worker is told what was lost before anything else.
            .alert("数据密钥已丢失", isPresented: Binding(
                get: { model.keyLoss != nil },
                set: { shown in if !shown { model.acknowledgeKeyLoss() } }
            )) {
                Button("知道了") { model.acknowledgeKeyLoss() }
            } message: {
                Text(model.keyLoss?.message ?? "")
            }
        }
    }
}

/// The process's one core, opened by whoever needs it first: the screens, or a background task
/// that iOS started before any screen. Its store and photos are encrypted under a data key the
/// Keychain wraps (`KeychainKeyStore`). A key the Keychain lost (`DataKeyLost`: the core has set
/// the old files aside) opens the fresh store in their place and is kept until the model takes
/// it to tell the worker; a failed open (a locked Keychain) is tried again at the next call.
actor CoreHolder {
    static let shared = CoreHolder()
    private let keys = KeychainKeyStore()
    private var opening: Task<GridPatrol?, Never>?
    private var keyLoss: DataKeyLoss?
    private(set) var openError: (any Error)?

    func core() async -> GridPatrol? {
        if opening == nil { opening = Task { await self.open() } }
        guard let task = opening else { return nil }
        let core = await task.value
        if core == nil { opening = nil }
        return core
    }

    /// The key loss found at open, once: the model shows it to the worker.
    func takeKeyLoss() -> DataKeyLoss? {
        defer { keyLoss = nil }
        return keyLoss
    }

    private func open() async -> GridPatrol? {
        let dir: String
        do {
            dir = try AppModel.dataDirectory()
        } catch {
            openError = error
            return nil
        }
        do {
            openError = nil
            return try await GridPatrol.open(dataDir: dir, keyStore: keys)
        } catch GridPatrolError.DataKeyLost(let unsentReports, let keptAside) {
            keyLoss = DataKeyLoss(unsentReports: unsentReports, keptAside: keptAside)
            do {
                return try await GridPatrol.open(dataDir: dir, keyStore: keys)
            } catch {
                openError = error
                return nil
            }
        } catch {
            openError = error
            return nil
        }
    }
}

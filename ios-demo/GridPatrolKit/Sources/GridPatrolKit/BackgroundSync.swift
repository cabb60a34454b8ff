import BackgroundTasks
import Foundation
import GridPatrolCore

/// Background sync with BGTaskScheduler: an app-refresh task (about 30 s, often) and a
/// processing task (minutes, on network, typically at night on the charger) both call the
/// core's `syncNow` with a deadline inside their budget (`SyncDeadline`). The expiration handler
/// cancels the Swift task, which cancels `syncNow` (the core aborts its uploads); everything
/// unsent stays in the outbox for the next run. Each handler schedules the next request first.
///
/// The identifiers must be listed under `BGTaskSchedulerPermittedIdentifiers` in Info.plist, and
/// `register` must run before the app finishes launching.
public final class BackgroundSync {
    public static let refreshIdentifier = "cn.gridpatrol.demo.sync.refresh"
    public static let processingIdentifier = "cn.gridpatrol.demo.sync.processing"

    private let core: () async -> GridPatrol?

    public init(core: @escaping () async -> GridPatrol?) {
        self.core = core
    }

    public func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: Self.refreshIdentifier, using: nil) { task in
            self.scheduleRefresh()
            self.run(task, budget: SyncDeadline.appRefreshBudget)
        }
        BGTaskScheduler.shared.register(forTaskWithIdentifier: Self.processingIdentifier, using: nil) { task in
            self.scheduleProcessing()
            self.run(task, budget: SyncDeadline.processingBudget)
        }
    }

    public func scheduleRefresh() {
        let request = BGAppRefreshTaskRequest(identifier: Self.refreshIdentifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    public func scheduleProcessing() {
        let request = BGProcessingTaskRequest(identifier: Self.processingIdentifier)
        request.requiresNetworkConnectivity = true
        request.requiresExternalPower = false
        try? BGTaskScheduler.shared.submit(request)
    }

    private func run(_ task: BGTask, budget: TimeInterval) {
        let work = Task {
            guard let core = await core() else { return false }
            do {
                _ = try await core.syncNow(deadline: SyncDeadline.deadline(budget: budget))
                return true
            } catch {
                return false
            }
        }
        task.expirationHandler = { work.cancel() }
        Task {
            let ok = await work.value
            task.setTaskCompleted(success: ok)
        }
    }
}

import Foundation

/// How long a background sync may run inside the time iOS gives the task.
///
/// BGAppRefreshTask gets about 30 s, BGProcessingTask minutes; iOS calls the expiration handler
/// when the time is up and kills the app soon after. The core's `syncNow(deadline:)` must end
/// first, with a margin for recording what it sent, so the deadline is the budget minus a margin
/// (a quarter of the budget, at least 3 s and at most 30 s), and never below 2 s.
public enum SyncDeadline {
    public static let appRefreshBudget: TimeInterval = 30
    public static let processingBudget: TimeInterval = 5 * 60

    public static func deadline(budget: TimeInterval) -> TimeInterval {
        let margin = min(max(budget / 4, 3), 30)
        return max(budget - margin, 2)
    }
}

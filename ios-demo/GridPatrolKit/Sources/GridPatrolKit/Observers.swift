import GridPatrolCore

/// The core's queue-health observer as an AsyncStream: iterating subscribes, ending the
/// iteration (or cancelling its task) closes the subscription. The observer is called on the
/// core's threads; the stream keeps only the newest value, so the core never waits on the UI.
public func queueHealthUpdates(_ core: GridPatrol) -> AsyncStream<QueueHealth> {
    AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
        final class Forward: QueueHealthObserver {
            let continuation: AsyncStream<QueueHealth>.Continuation
            init(_ continuation: AsyncStream<QueueHealth>.Continuation) { self.continuation = continuation }
            func onQueueHealth(health: QueueHealth) throws { continuation.yield(health) }
        }
        let subscription = core.observeQueueHealth(observer: Forward(continuation))
        continuation.onTermination = { _ in subscription.cancel() }
    }
}

/// Sync progress events, in order (a bounded buffer).
public func syncProgressUpdates(_ core: GridPatrol) -> AsyncStream<SyncProgress> {
    AsyncStream(bufferingPolicy: .bufferingNewest(256)) { continuation in
        final class Forward: SyncObserver {
            let continuation: AsyncStream<SyncProgress>.Continuation
            init(_ continuation: AsyncStream<SyncProgress>.Continuation) { self.continuation = continuation }
            func onProgress(progress: SyncProgress) throws { continuation.yield(progress) }
        }
        let subscription = core.observeSync(observer: Forward(continuation))
        continuation.onTermination = { _ in subscription.cancel() }
    }
}

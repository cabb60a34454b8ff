// The core's observers as Kotlin Flows: collecting subscribes, cancelling the collector closes
// the subscription (the core stops calling back). Observers are called on the core's threads;
// the flows hand values over through a conflated/buffered channel so the core never waits on a
// slow collector.
package cn.gridpatrol.app

import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.conflate
import uniffi.gridpatrol_core.QueueHealth
import uniffi.gridpatrol_core.SyncProgress
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.QueueHealthObserver
import uniffi.gridpatrol_ffi.SubmitObserver
import uniffi.gridpatrol_ffi.SyncObserver

/** The outbox's health: the current value at once, then each change. Only the newest matters. */
fun GridPatrol.queueHealthFlow(): Flow<QueueHealth> = callbackFlow {
    val subscription = observeQueueHealth(object : QueueHealthObserver {
        override fun onQueueHealth(health: QueueHealth) {
            trySend(health)
        }
    })
    awaitClose { subscription.close() }
}.conflate()

/** Sync progress events, in order (a bounded buffer; the core is never blocked by the UI). */
fun GridPatrol.syncProgressFlow(): Flow<SyncProgress> = callbackFlow {
    val subscription = observeSync(object : SyncObserver {
        override fun onProgress(progress: SyncProgress) {
            trySend(progress)
        }
    })
    awaitClose { subscription.close() }
}.buffer(256)

/** Each report id as it enters the outbox, in order; none dropped. */
fun GridPatrol.submitsFlow(): Flow<String> = callbackFlow {
    val subscription = observeSubmits(object : SubmitObserver {
        override fun onSubmitted(reportId: String) {
            trySendBlocking(reportId)
        }
    })
    awaitClose { subscription.close() }
}

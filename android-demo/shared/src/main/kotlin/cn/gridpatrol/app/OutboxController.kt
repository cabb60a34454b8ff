// The outbox / queue-health screen's state holder: how many reports wait, which were parked and
// why, when the last sync succeeded, and the run in progress. All of it comes from the core's
// observers, so the screen is right after a relaunch without any state of its own.
package cn.gridpatrol.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.gridpatrol_core.ParkedReport
import uniffi.gridpatrol_core.SyncEvent
import uniffi.gridpatrol_core.SyncProgress

data class OutboxUiState(
    val loaded: Boolean = false,
    val pending: Int = 0,
    val delivered: Int = 0,
    val parked: List<ParkedReport> = emptyList(),
    val bytesWaiting: Long = 0,
    val oldestPendingAgeMs: Long? = null,
    val lastSuccessAtMs: Long? = null,
    /** The run in progress: photo bytes of the current upload, null when no run is going. */
    val progress: SyncProgress? = null,
    val lastRun: SyncResult? = null,
)

class OutboxController(
    private val app: AppCore,
    private val scope: CoroutineScope,
    private val sync: SyncRunner,
) {
    private val _state = MutableStateFlow(OutboxUiState())
    val state: StateFlow<OutboxUiState> = _state.asStateFlow()

    /** Follows the core until [scope] ends. */
    fun start(): List<Job> = listOf(
        scope.launch {
            app.core.queueHealthFlow().collect { h ->
                _state.update {
                    it.copy(
                        loaded = true,
                        pending = h.pending,
                        delivered = h.delivered,
                        parked = h.parked,
                        bytesWaiting = h.bytesWaiting,
                        oldestPendingAgeMs = h.oldestPendingAgeMs,
                        lastSuccessAtMs = h.lastSuccessAtMs,
                    )
                }
            }
        },
        scope.launch {
            app.core.syncProgressFlow().collect { p ->
                _state.update { it.copy(progress = if (p.event == SyncEvent.FINISHED) null else p) }
            }
        },
        scope.launch {
            sync.results.collect { r -> _state.update { it.copy(lastRun = r) } }
        },
    )

    /** "Send now": a run with the foreground deadline; the screen shows progress and the result. */
    fun sendNow(): Job = scope.launch { sync.runNow() }

    fun cancel() = sync.cancel()
}

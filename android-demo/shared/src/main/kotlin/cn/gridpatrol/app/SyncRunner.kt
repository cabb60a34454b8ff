// When and how the app syncs: one run at a time, inside the deadline the OS gave, cancellable,
// and asked for again when the network comes back or a report is submitted. The core does the
// sending (and keeps every decision in its store); this only decides when to call `syncNow`.
package cn.gridpatrol.app

import java.time.Duration
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import uniffi.gridpatrol_core.SyncSummary
import uniffi.gridpatrol_core.TlsTrust
import uniffi.gridpatrol_ffi.GridPatrolException

/** Where to sync and how this phone enrolls (the code comes from the grid leader). */
data class SyncSettings(
    val platformUrl: String,
    val enrollmentCode: String?,
    val deviceName: String,
    /** A run the worker asked for ("send now") or one after a submit. */
    val foregroundDeadline: Duration = Duration.ofSeconds(60),
    /** Kept back from an OS window so the run ends before the OS stops the job. */
    val windowMargin: Duration = Duration.ofSeconds(10),
    /**
     * `sha256/<base64>` pins of the platform's key and a backup key (empty: the system's trust
     * alone). The core stores them with the address; a certificate holding neither stops the
     * run with `TlsPinMismatch`, and nothing is lost.
     */
    val tlsPins: List<String> = emptyList(),
)

sealed interface SyncResult {
    data class Done(val summary: SyncSummary) : SyncResult
    data class Failed(val message: UserMessage) : SyncResult
    data object Offline : SyncResult
    data object NotEnrolled : SyncResult
    data object Cancelled : SyncResult
}

class SyncRunner(
    private val app: AppCore,
    private val scope: CoroutineScope,
    private val settings: SyncSettings,
    private val network: NetworkMonitor,
    private val scheduler: SyncScheduler,
) {
    private val runs = Mutex()
    @Volatile private var current: Job? = null
    private val _results = MutableSharedFlow<SyncResult>(replay = 1, extraBufferCapacity = 8)
    val results: SharedFlow<SyncResult> = _results.asSharedFlow()

    /** Asks the OS for a run whenever the network comes back. */
    fun followNetwork(): Job = scope.launch {
        network.state.map { it.online }.distinctUntilChanged().collect { online ->
            if (online) scheduler.requestSoon()
        }
    }

    /** A foreground run ("send now"). */
    suspend fun runNow(): SyncResult = run(settings.foregroundDeadline)

    /**
     * A run the OS scheduled with `window` to finish in (WorkManager gives about 10 min,
     * BGAppRefreshTask about 30 s): the deadline leaves [SyncSettings.windowMargin] for the
     * core to record what it sent.
     */
    suspend fun runScheduled(window: Duration): SyncResult {
        val deadline = (window - settings.windowMargin).coerceAtLeast(Duration.ofSeconds(5))
        return run(deadline)
    }

    /** Cancels the run in flight: the core aborts its uploads; everything unsent stays queued. */
    fun cancel() {
        current?.cancel()
    }

    private suspend fun run(deadline: Duration): SyncResult = runs.withLock {
        val job = scope.async { attempt(deadline) }
        current = job
        val result = try {
            job.await()
        } catch (e: CancellationException) {
            SyncResult.Cancelled
        } finally {
            current = null
        }
        _results.emit(result)
        result
    }

    private suspend fun attempt(deadline: Duration): SyncResult {
        if (!network.state.value.online) return SyncResult.Offline
        return try {
            if (!ensureEnrolled()) return SyncResult.NotEnrolled
            SyncResult.Done(app.core.syncNow(deadline))
        } catch (e: CancellationException) {
            throw e
        } catch (e: GridPatrolException.NotEnrolled) {
            SyncResult.NotEnrolled
        } catch (e: Exception) {
            SyncResult.Failed(userMessage(e))
        }
    }

    /** Points the core at the platform and enrolls once; a relaunch finds both in the store. */
    private suspend fun ensureEnrolled(): Boolean {
        val trust = if (settings.tlsPins.isEmpty()) null else TlsTrust(settings.tlsPins, null)
        app.core.configureSync(settings.platformUrl, trust)
        if (app.call { gp -> gp.isEnrolled() }) return true
        val code = settings.enrollmentCode ?: return false
        app.core.enroll(code, settings.deviceName)
        return true
    }
}

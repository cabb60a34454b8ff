// The patrol screen's state holder: start and stop a patrol, feed it every fix the OS delivers,
// and show what the supervisor will see (distance, time moving, gaps, coverage of own grids).
// The recording itself — filtering, durability in batches, gaps, figures — is the core's; this
// only moves fixes from the location source into it and the figures out.
package cn.gridpatrol.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.Reporter

/** What the patrol screen shows, as the core computed it. */
data class PatrolSummary(
    val distanceM: Double,
    val movingS: Long,
    val stoppedS: Long,
    val gapCount: Int,
    val gapSeconds: Long,
    /** Share (0..1) of the worker's own grids within reach of the track; null without grids. */
    val coverage: Double?,
    val keptFixes: Int,
    val refusedFixes: Int,
    val linkedReports: Int,
)

/** The core's patrol API as the app layer needs it (the bindings implement it: BindingsPatrolCore). */
interface PatrolCore {
    suspend fun start(reporter: Reporter): String
    suspend fun fix(patrolId: String, fix: LocationFix)
    suspend fun stop(patrolId: String)
    /** Commits buffered fixes now (the app is going to the background). */
    suspend fun flush()
    /** The patrol left open by a previous run of the app, if any. */
    suspend fun openPatrolId(): String?
    suspend fun summary(patrolId: String): PatrolSummary
}

data class PatrolUiState(
    val patrolId: String? = null,
    val active: Boolean = false,
    val summary: PatrolSummary? = null,
    val busy: Boolean = false,
    val message: UserMessage? = null,
)

class PatrolController(
    private val patrols: PatrolCore,
    private val scope: CoroutineScope,
    private val reporter: Reporter,
    private val location: LocationSource,
    /** Figures are refreshed every this many fixes (they cost a pass over the track). */
    private val summaryEvery: Int = 10,
) {
    private val _state = MutableStateFlow(PatrolUiState())
    val state: StateFlow<PatrolUiState> = _state.asStateFlow()
    private val actions = Mutex()
    private var feeding: Job? = null

    /** After a relaunch: an open patrol continues (the host restarts its location service). */
    fun resume(): Job = act {
        val open = patrols.openPatrolId()
        if (open != null) {
            _state.update { it.copy(patrolId = open, active = true, summary = patrols.summary(open)) }
            feed(open)
        }
    }

    fun start(): Job = act {
        if (_state.value.active) return@act
        val id = patrols.start(reporter)
        _state.update { it.copy(patrolId = id, active = true, summary = patrols.summary(id)) }
        feed(id)
    }

    fun stop(): Job = act {
        val id = _state.value.patrolId ?: return@act
        feeding?.cancel()
        feeding?.join()
        feeding = null
        patrols.stop(id)
        _state.update { it.copy(active = false, summary = patrols.summary(id)) }
    }

    /** The host calls this when the app goes to the background. */
    fun onBackground(): Job = scope.launch { patrols.flush() }

    private fun feed(id: String) {
        feeding?.cancel()
        feeding = scope.launch {
            var sinceSummary = 0
            location.fixes().collect { fix ->
                try {
                    patrols.fix(id, fix)
                } catch (e: kotlinx.coroutines.CancellationException) {
                    throw e
                } catch (e: Exception) {
                    // A fix the core refuses (bad values from a buggy provider) is counted there;
                    // the patrol goes on.
                    _state.update { it.copy(message = userMessage(e)) }
                }
                if (++sinceSummary >= summaryEvery) {
                    sinceSummary = 0
                    val summary = patrols.summary(id)
                    _state.update { it.copy(summary = summary) }
                }
            }
        }
    }

    private fun act(body: suspend () -> Unit): Job = scope.launch {
        actions.withLock {
            _state.update { it.copy(busy = true, message = null) }
            try {
                body()
            } catch (e: kotlinx.coroutines.CancellationException) {
                throw e
            } catch (e: Exception) {
                _state.update { it.copy(message = userMessage(e)) }
            } finally {
                _state.update { it.copy(busy = false) }
            }
        }
    }
}

// The patrol screen's state holder: start and stop a patrol, feed it every fix the OS delivers,
// and show what the supervisor will see (distance, time moving, gaps, coverage of own grids).
// The recording itself — filtering, durability in batches, gaps, figures — is the core's; this
// only moves fixes from the location source into it and the figures out. After process death
// `resume()` finds the open patrol in the store and goes on feeding it.
package cn.gridpatrol.app

import java.time.Duration
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.gridpatrol_core.FilterCounts
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.TravelMode
import uniffi.gridpatrol_ffi.PatrolSummary

/** Fixes the core refused or set aside, all reasons together (the kept ones are `kept`). */
val FilterCounts.refused: Long
    get() = (accuracy + jump + duplicate + outOfOrder + whilePaused).toLong()

data class PatrolUiState(
    val patrolId: String? = null,
    val active: Boolean = false,
    val summary: PatrolSummary? = null,
    val busy: Boolean = false,
    val message: UserMessage? = null,
)

class PatrolController(
    private val app: AppCore,
    private val scope: CoroutineScope,
    private val reporter: Reporter,
    private val location: LocationSource,
    private val mode: TravelMode = TravelMode.WALKING,
    /** How often the host asks the OS for a fix: a silence of 3× this is recorded as a gap. */
    private val expectedInterval: Duration = Duration.ofSeconds(5),
    /** Figures are refreshed every this many fixes (they cost a pass over the track). */
    private val summaryEvery: Int = 10,
) {
    private val _state = MutableStateFlow(PatrolUiState())
    val state: StateFlow<PatrolUiState> = _state.asStateFlow()
    private val actions = SerialActions(scope, { b -> _state.update { it.copy(busy = b, message = if (b) null else it.message) } }, { m -> _state.update { it.copy(message = m) } })
    private var feeding: Job? = null

    /** After a relaunch: an open patrol continues (the host restarts its location service). */
    fun resume(): Job = act {
        val open = app.call { gp -> gp.openPatrol() } ?: return@act
        _state.update { it.copy(patrolId = open.id, active = true, summary = app.core.patrolSummary(open.id)) }
        feed(open.id)
    }

    fun start(): Job = act {
        if (_state.value.active) return@act
        val patrol = app.core.startPatrol(reporter, mode, expectedInterval)
        _state.update { it.copy(patrolId = patrol.id, active = true, summary = app.core.patrolSummary(patrol.id)) }
        feed(patrol.id)
    }

    fun stop(): Job = act {
        val id = _state.value.patrolId ?: return@act
        feeding?.cancel()
        feeding?.join()
        feeding = null
        app.core.stopPatrol(id)
        _state.update { it.copy(active = false, summary = app.core.patrolSummary(id)) }
    }

    /** The host calls this when the app goes to the background: buffered fixes are committed. */
    fun onBackground(): Job = scope.launch { app.core.flushPatrol() }

    /** Re-reads the figures (the screen becomes visible, or a report was captured). */
    fun refresh(): Job = act {
        val id = _state.value.patrolId ?: return@act
        _state.update { it.copy(summary = app.core.patrolSummary(id)) }
    }

    private fun feed(id: String) {
        feeding?.cancel()
        feeding = scope.launch {
            var sinceSummary = 0
            location.fixes().collect { fix ->
                try {
                    app.core.patrolFix(id, fix)
                } catch (e: kotlinx.coroutines.CancellationException) {
                    throw e
                } catch (e: Exception) {
                    // A fix the core refuses as bad input (a buggy provider's NaN, a time far in
                    // the future) changes nothing; the patrol goes on.
                    _state.update { it.copy(message = userMessage(e)) }
                }
                if (++sinceSummary >= summaryEvery) {
                    sinceSummary = 0
                    val summary = app.core.patrolSummary(id)
                    _state.update { it.copy(summary = summary) }
                }
            }
        }
    }

    private fun act(body: suspend () -> Unit): Job = actions.run(body)
}

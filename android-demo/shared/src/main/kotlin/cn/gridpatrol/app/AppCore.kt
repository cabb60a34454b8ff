// The one core of the app: the data directory opened once, the dispatcher every core call runs
// on, and the host's connectivity fed into the core for as long as the app lives.
package cn.gridpatrol.app

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.gridpatrol_ffi.GridPatrol

/**
 * Owns the [GridPatrol] of one data directory. The bindings' `open` returns the same instance for
 * the same directory, so an app that builds two AppCores (a second activity, a worker started in
 * the same process) still has one core; [close] ends this holder's use of it.
 *
 * Every call that is not `suspend` in the bindings reads or writes the store: it goes through
 * [call], on [io], never on the caller's (main) thread.
 */
class AppCore private constructor(
    val core: GridPatrol,
    val io: CoroutineDispatcher,
    private val scope: CoroutineScope,
) : AutoCloseable {

    /** Runs a blocking core call on the I/O dispatcher. */
    suspend fun <T> call(block: (GridPatrol) -> T): T = withContext(io) { block(core) }

    /** Feeds the host's connectivity to the core until closed (sync waits while offline). */
    fun followNetwork(network: NetworkMonitor): Job = scope.launch(io) {
        network.state.collect { core.setNetwork(it.online, it.metered) }
    }

    override fun close() {
        scope.cancel()
        core.close()
    }

    companion object {
        /** Opens (or recovers) the data directory off the caller's thread. */
        suspend fun open(dataDir: String, io: CoroutineDispatcher): AppCore {
            val core = withContext(io) { GridPatrol.open(dataDir) }
            return AppCore(core, io, CoroutineScope(SupervisorJob() + io))
        }
    }
}

// The one core of the app: the data directory opened once with the host's key store, the
// dispatcher every core call runs on, the host's connectivity fed into the core for as long as
// the app lives, and a lost data key kept as an explicit state until the worker has read it.
package cn.gridpatrol.app

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException

/**
 * Owns the [GridPatrol] of one data directory. The bindings' `open` returns the same instance for
 * the same directory, so an app that builds two AppCores (a second activity, a worker started in
 * the same process) still has one core; [close] ends this holder's use of it.
 *
 * Every call that is not `suspend` in the bindings reads or writes the store: it goes through
 * [call], on [io], never on the caller's (main) thread.
 *
 * [keyLoss] is set when this open found the data key lost: the core had moved the directory's
 * files aside and this holder opened the fresh store that replaces them. The screens show it
 * (how many unsent reports are lost, that the old files were kept) until [acknowledgeKeyLoss].
 */
class AppCore private constructor(
    val core: GridPatrol,
    val io: CoroutineDispatcher,
    private val scope: CoroutineScope,
    keyLoss: DataKeyLoss?,
) : AutoCloseable {
    private val _keyLoss = MutableStateFlow(keyLoss)
    val keyLoss: StateFlow<DataKeyLoss?> = _keyLoss.asStateFlow()

    /** The worker has read the lost-key notice. */
    fun acknowledgeKeyLoss() {
        _keyLoss.value = null
    }

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
        /**
         * Opens (or recovers) the data directory off the caller's thread, its data key wrapped
         * by [keys]. A lost key (`DataKeyLost`: the core has set the old files aside) opens the
         * fresh store in its place and is kept in [keyLoss]. Every other failure is thrown:
         * `KeyStoreUnavailable` (locked: open again later, nothing changed), `WrongDataKey`,
         * `StoreCorrupt`, ….
         */
        suspend fun open(dataDir: String, keys: HostKeyStore, io: CoroutineDispatcher): AppCore {
            val keyStore = CoreKeyStore(keys)
            val (core, loss) = withContext(io) {
                try {
                    GridPatrol.open(dataDir, keyStore) to null
                } catch (e: GridPatrolException.DataKeyLost) {
                    // Nothing of the old directory is left in place to open: this is a new
                    // store under a new key. The old files stay where the core kept them.
                    GridPatrol.open(dataDir, keyStore) to DataKeyLoss.of(e)
                }
            }
            return AppCore(core, io, CoroutineScope(SupervisorJob() + io), loss)
        }
    }
}

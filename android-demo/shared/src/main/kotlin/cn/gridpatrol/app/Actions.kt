// One user action at a time, for every screen's state holder: actions are serialized (a double
// tap never races two core writes), the screen is `busy` while one runs, and a failure becomes a
// message on the screen, never a crash. Cancellation passes through.
package cn.gridpatrol.app

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

class SerialActions(
    private val scope: CoroutineScope,
    /** Marks the screen busy (true, clearing the last message) or idle (false). */
    private val setBusy: (Boolean) -> Unit,
    private val showMessage: (UserMessage) -> Unit,
) {
    private val mutex = Mutex()

    fun run(body: suspend () -> Unit): Job = scope.launch {
        mutex.withLock {
            setBusy(true)
            try {
                body()
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                showMessage(userMessage(e))
            } finally {
                setBusy(false)
            }
        }
    }
}

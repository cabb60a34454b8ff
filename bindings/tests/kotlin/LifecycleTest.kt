// One instance per data directory, and the observers: what an app with several screens and a
// WorkManager worker on one directory relies on.
package gridpatrol.tests

import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.gridpatrol_core.PhotoKind
import uniffi.gridpatrol_core.QueueHealth
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.QueueHealthObserver
import uniffi.gridpatrol_ffi.SubmitObserver

private val worker = Reporter(reporterId = "insp-kotlin-life", role = Role.INSPECTOR, gridIds = emptyList())

private class HealthLog : QueueHealthObserver {
    val pending: MutableList<Int> = Collections.synchronizedList(mutableListOf())
    override fun onQueueHealth(health: QueueHealth) {
        pending.add(health.pending)
    }
}

private class SubmitLog : SubmitObserver {
    val ids: MutableList<String> = Collections.synchronizedList(mutableListOf())
    override fun onSubmitted(reportId: String) {
        ids.add(reportId)
    }
}

val lifecycleTests = listOf(
    test("opening a directory that is open gives the same instance; closing one leaves the other") {
        val dir = freshDataDir("same")
        val first = GridPatrol.open(dir, testKeys)
        val second = GridPatrol.open(dir, testKeys)
        val policy = first.capturePolicy().copy(duplicateRadiusM = 123u)
        first.setCapturePolicy(policy)
        assertEquals(policy, second.capturePolicy(), "one instance: one policy")
        first.close()
        val draft = second.createDraft(worker, null)
        assertEquals(draft, second.draft(draft.id))
        second.close()
    },
    test("photos being added survive other opens and closes of the directory") {
        val dir = freshDataDir("churn")
        val gp = GridPatrol.open(dir, testKeys)
        val failures = AtomicInteger()
        val adds = AtomicInteger()
        val adder = thread {
            runBlocking {
                repeat(4) { d ->
                    val draft = gp.createDraft(worker, null)
                    repeat(4) { p ->
                        try {
                            gp.addPhoto(draft.id, testJpeg(320 + d * 8 + p, 240), PhotoKind.EVIDENCE)
                            adds.incrementAndGet()
                        } catch (e: Exception) {
                            failures.incrementAndGet()
                        }
                    }
                }
            }
        }
        // A worker or a second Activity opening and closing the same directory meanwhile.
        val opener = thread { runBlocking { while (adder.isAlive) GridPatrol.open(dir, testKeys).close() } }
        adder.join()
        opener.join()
        assertEquals(0, failures.get(), "every add succeeded")
        assertEquals(16, adds.get())
        assertEquals(16, gp.drafts().sumOf { it.content.photos.size })
        gp.close()
    },
    test("observers: several at once, emitting on change, each unsubscribed by close()") {
        GridPatrol.open(freshDataDir("observe"), testKeys).use { gp ->
            val (a, b, submits) = Triple(HealthLog(), HealthLog(), SubmitLog())
            val subA = gp.observeQueueHealth(a)
            val subB = gp.observeQueueHealth(b)
            val subS = gp.observeSubmits(submits)
            waitUntil("the current health") { a.pending == listOf(0) && b.pending == listOf(0) }
            val first = submitOne(gp, reporterId = "insp-kotlin-observe")
            waitUntil("both hear the submit") { a.pending == listOf(0, 1) && b.pending == listOf(0, 1) }
            waitUntil("the submit observer hears it") { submits.ids == listOf(first) }
            subA.close()
            val second = submitOne(gp, reporterId = "insp-kotlin-observe", seed = 1)
            waitUntil("the open subscription hears the second") { b.pending == listOf(0, 1, 2) }
            waitUntil("the submit observer hears the second") { submits.ids == listOf(first, second) }
            Thread.sleep(200)
            assertEquals(listOf(0, 1), a.pending, "a closed subscription hears nothing more")
            assertEquals(listOf(0, 1, 2), b.pending, "one call per change, none for unchanged health")
            subB.close()
            subS.close()
        }
    },
)

// Sync through the bindings: capture offline, then a real `gridpatrol serve` child process,
// enroll, sync, and see the report delivered, with progress reaching Kotlin observers; the
// state comes back from the directory after a reopen; close() stops background sync; an
// observer that throws breaks nothing.
package gridpatrol.tests

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.time.Duration
import java.util.Collections
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import uniffi.gridpatrol_core.Datum
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.LocationProvider
import uniffi.gridpatrol_core.OutboxState
import uniffi.gridpatrol_core.PhotoKind
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_core.SubmitOutcome
import uniffi.gridpatrol_core.SyncEvent
import uniffi.gridpatrol_core.SyncProgress
import uniffi.gridpatrol_core.WarningResponse
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.SyncObserver

/** A running `gridpatrol serve`: its process, base URL and (generated) admin token. */
class ServedPlatform(val process: Process, val url: String, val adminToken: String)

/** `gridpatrol serve` on a free port; returns the process and its base URL. */
fun startPlatform(): Pair<Process, String> = startServedPlatform().let { it.process to it.url }

fun startServedPlatform(): ServedPlatform {
    val bin = System.getProperty("gridpatrol.bin") ?: error("-Dgridpatrol.bin is not set (run scripts/kotlin-tests.sh)")
    val data = File(freshDataDir("platform"), "data")
    val process = ProcessBuilder(
        bin, "serve", "--addr", "127.0.0.1:0", "--json", "--data", data.path, "--enrollment-code", "TEST",
    ).redirectError(ProcessBuilder.Redirect.DISCARD).start()
    val line = BufferedReader(InputStreamReader(process.inputStream)).readLine()
        ?: error("gridpatrol serve printed nothing")
    val addr = Regex(""""addr"\s*:\s*"([^"]+)"""").find(line)?.groupValues?.get(1)
        ?: error("no addr in $line")
    val admin = Regex(""""admin_token"\s*:\s*"([^"]+)"""").find(line)?.groupValues?.get(1)
        ?: error("no admin_token in $line")
    return ServedPlatform(process, "http://$addr", admin)
}

/** Runs `body` against a fresh platform, stopped afterwards. */
suspend fun <T> withPlatform(body: suspend (String) -> T): T = withServedPlatform { body(it.url) }

suspend fun <T> withServedPlatform(body: suspend (ServedPlatform) -> T): T {
    val served = startServedPlatform()
    try {
        return body(served)
    } finally {
        served.process.destroy()
        served.process.waitFor(10, TimeUnit.SECONDS)
    }
}

/** `GET path` on the platform with the admin token: (status, body). */
fun adminGet(served: ServedPlatform, path: String): Pair<Int, String> {
    val request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(served.url + path))
        .header("Authorization", "Bearer ${served.adminToken}").GET().build()
    val answer = java.net.http.HttpClient.newHttpClient()
        .send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
    return answer.statusCode() to answer.body()
}

class RecordingObserver : SyncObserver {
    val events: MutableList<SyncProgress> = Collections.synchronizedList(mutableListOf())
    override fun onProgress(progress: SyncProgress) {
        events.add(progress)
    }
}

class ThrowingObserver : SyncObserver {
    val calls = AtomicInteger()
    override fun onProgress(progress: SyncProgress) {
        calls.incrementAndGet()
        throw IllegalStateException("an app bug in a progress callback")
    }
}

/** Polls `done` every 20 ms for up to `seconds`. */
fun waitUntil(what: String, seconds: Long = 20, done: () -> Boolean) {
    val until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds)
    while (!done()) {
        check(System.nanoTime() < until) { "timed out waiting: $what" }
        Thread.sleep(20)
    }
}

/** Captures and submits one valid report (a fire-lane obstruction with a photo); its id. */
suspend fun submitOne(gp: GridPatrol, reporterId: String = "insp-kotlin-sync", seed: Int = 0): String {
    val reporter = Reporter(reporterId = reporterId, role = Role.INSPECTOR, gridIds = emptyList())
    val draft = gp.createDraft(reporter, null)
    gp.setEvent(draft.id, "03-001", "03-001-01")
    gp.setLocation(
        draft.id,
        LocationFix(
            lat = 31.27 + seed * 0.01, lon = 120.62, accuracyM = 6.0, fixTimeMs = System.currentTimeMillis(),
            provider = LocationProvider.GPS, isMock = false, datum = Datum.WGS84,
        ),
    )
    gp.addPhoto(draft.id, testJpeg(640 + seed, 480), PhotoKind.EVIDENCE)
    gp.setDescription(draft.id, "消防通道被占用")
    val warnings = gp.validateDraft(draft.id).warnings.map { it.code }
    val outcome = gp.submit(draft.id, WarningResponse(acknowledged = warnings, overrideReason = null))
    return assertIs<SubmitOutcome.Submitted>(outcome).reportId
}

val syncTests = listOf(
    test("a report captured offline is delivered once the platform is reachable") {
        GridPatrol.open(freshDataDir("sync"), testKeys).use { gp ->
            val reportId = submitOne(gp)
            // The outbox is the directory's: readable before any platform is configured.
            assertEquals(1, gp.queueHealth().pending)
            assertFailsWith<GridPatrolException.NotEnrolled> { gp.syncNow(Duration.ofSeconds(5)) }
            withPlatform { url ->
                gp.configureSync(url)
                assertFailsWith<GridPatrolException.NotEnrolled> { gp.syncNow(Duration.ofSeconds(5)) }
                assertTrue(gp.enroll("TEST", "kotlin test phone").isNotBlank())
                val observer = RecordingObserver()
                gp.observeSync(observer).use {
                    val summary = gp.syncNow(Duration.ofSeconds(30))
                    assertEquals(1, summary.deliveredThisRun)
                    assertEquals(1, summary.delivered)
                    assertEquals(0, summary.pending)
                    assertTrue(summary.bytesSent > 0L)
                }
                val health = gp.queueHealth()
                assertEquals(0, health.pending)
                assertEquals(1, health.delivered)
                assertTrue(health.parked.isEmpty())
                assertNotNull(health.lastSuccessAtMs)
                assertEquals(OutboxState.DELIVERED, gp.queue().single { it.reportId == reportId }.state)

                val events = observer.events.map { it.event }
                assertEquals(SyncEvent.STARTED, events.first())
                assertEquals(SyncEvent.FINISHED, events.last())
                assertTrue(SyncEvent.PHOTO_PROGRESS in events, "photo progress reported: $events")
                assertEquals(reportId, observer.events.single { it.event == SyncEvent.REPORT_DELIVERED }.reportId)

                // A second run with nothing to do delivers nothing and says nothing.
                val again = RecordingObserver()
                gp.observeSync(again).use {
                    assertEquals(0, gp.syncNow(Duration.ofSeconds(30)).deliveredThisRun)
                }
                assertTrue(again.events.isEmpty(), "no STARTED/FINISHED for an empty run: ${again.events}")
            }
        }
    },
    test("an enrolled directory is enrolled after a reopen, without configureSync") {
        val dir = freshDataDir("reopen")
        withPlatform { url ->
            GridPatrol.open(dir, testKeys).use { gp ->
                gp.configureSync(url)
                gp.enroll("TEST", "kotlin test phone")
                assertTrue(gp.isEnrolled())
            }
            GridPatrol.open(dir, testKeys).use { gp ->
                assertTrue(gp.isEnrolled(), "the enrolled state is the directory's")
                assertEquals(0, gp.queueHealth().pending)
                submitOne(gp)
                assertEquals(1, gp.syncNow(Duration.ofSeconds(30)).deliveredThisRun)
                // The same address again keeps the engine and its enrollment.
                gp.configureSync(url)
                assertTrue(gp.isEnrolled())
            }
        }
    },
    test("close() stops background sync and its observers, and frees the directory") {
        val dir = freshDataDir("close")
        withPlatform { url ->
            val gp = GridPatrol.open(dir, testKeys)
            gp.configureSync(url)
            gp.enroll("TEST", "kotlin test phone")
            val observer = RecordingObserver()
            // Both handles are held (a handle the app lets go of ends its subscription or loop
            // when the JVM collects it) but never closed: close() must end them.
            val subscription = gp.observeSync(observer)
            val loop = gp.startBackgroundSync(Duration.ofMillis(100))
            System.gc() // a held handle survives a collection
            submitOne(gp)
            waitUntil("the loop delivers") { gp.queueHealth().delivered == 1 }
            assertTrue(loop.isRunning())
            gp.close()
            waitUntil("close() ends the loop", seconds = 5) { !loop.isRunning() }
            val heard = observer.events.size
            Thread.sleep(1_500)
            assertEquals(heard, observer.events.size, "no callback after close()")
            java.lang.ref.Reference.reachabilityFence(subscription)
            GridPatrol.open(dir, testKeys).use { again ->
                submitOne(again, seed = 1)
                Thread.sleep(500)
                assertEquals(1, again.queueHealth().pending, "no engine of the closed instance sends it")
                assertEquals(1, again.syncNow(Duration.ofSeconds(30)).deliveredThisRun)
            }
        }
    },
    test("an observer that throws breaks neither syncNow nor the background loop") {
        GridPatrol.open(freshDataDir("throws"), testKeys).use { gp ->
            withPlatform { url ->
                gp.configureSync(url)
                gp.enroll("TEST", "kotlin test phone")
                val thrower = ThrowingObserver()
                val recorder = RecordingObserver()
                val subscriptions = listOf(gp.observeSync(thrower), gp.observeSync(recorder))
                submitOne(gp)
                assertEquals(1, gp.syncNow(Duration.ofSeconds(30)).deliveredThisRun)
                assertTrue(thrower.calls.get() > 0, "the thrower was called")
                assertTrue(SyncEvent.REPORT_DELIVERED in recorder.events.map { it.event }, "the others still hear")
                gp.startBackgroundSync(Duration.ofMillis(100)).use {
                    for (round in 1..2) {
                        submitOne(gp, seed = round)
                        waitUntil("the loop delivers report ${round + 1}") { gp.queueHealth().delivered == round + 1 }
                    }
                }
                subscriptions.forEach { it.close() }
            }
        }
    },
)

// Sync through the bindings: capture offline, then a real `gridpatrol serve` child process,
// enroll, sync, and see the report delivered, with progress reaching a Kotlin listener.
package gridpatrol.tests

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.gridpatrol_core.Datum
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.LocationProvider
import uniffi.gridpatrol_core.OutboxState
import uniffi.gridpatrol_core.PhotoKind
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_core.SubmitOutcome
import uniffi.gridpatrol_core.SyncEvent
import uniffi.gridpatrol_core.SyncListener
import uniffi.gridpatrol_core.SyncProgress
import uniffi.gridpatrol_core.WarningResponse
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException

/** `gridpatrol serve` on a free port; returns the process and its base URL. */
private fun startPlatform(): Pair<Process, String> {
    val bin = System.getProperty("gridpatrol.bin") ?: error("-Dgridpatrol.bin is not set (run scripts/kotlin-tests.sh)")
    val data = File(freshDataDir("platform"), "data")
    val process = ProcessBuilder(
        bin, "serve", "--addr", "127.0.0.1:0", "--json", "--data", data.path, "--enrollment-code", "TEST",
    ).redirectError(ProcessBuilder.Redirect.DISCARD).start()
    val line = BufferedReader(InputStreamReader(process.inputStream)).readLine()
        ?: error("gridpatrol serve printed nothing")
    val addr = Regex(""""addr"\s*:\s*"([^"]+)"""").find(line)?.groupValues?.get(1)
        ?: error("no addr in $line")
    return process to "http://$addr"
}

private class RecordingListener : SyncListener {
    val events: MutableList<SyncProgress> = Collections.synchronizedList(mutableListOf())
    override fun onProgress(progress: SyncProgress) {
        events.add(progress)
    }
}

val syncTests = listOf(
    test("a report captured offline is delivered once the platform is reachable") {
        GridPatrol.open(freshDataDir("sync")).use { gp ->
            // Capture with no platform at all.
            val reporter = Reporter(reporterId = "insp-kotlin-sync", role = Role.INSPECTOR, gridIds = emptyList())
            val draft = gp.createDraft(reporter, null)
            gp.setEvent(draft.id, "03-001", "03-001-01")
            gp.setLocation(
                draft.id,
                LocationFix(
                    lat = 31.27, lon = 120.62, accuracyM = 6.0, fixTimeMs = System.currentTimeMillis(),
                    provider = LocationProvider.GPS, isMock = false, datum = Datum.WGS84,
                ),
            )
            gp.addPhoto(draft.id, testJpeg(800, 600), PhotoKind.EVIDENCE)
            gp.setDescription(draft.id, "消防通道被占用")
            val outcome = gp.submit(draft.id, WarningResponse(acknowledged = emptyList(), overrideReason = null))
            val reportId = assertIs<SubmitOutcome.Submitted>(outcome).reportId

            // Before configuring, sync calls are NotEnrolled.
            assertFailsWith<GridPatrolException.NotEnrolled> { gp.queueHealth() }

            val (process, url) = startPlatform()
            try {
                gp.configureSync(url)
                assertEquals(1u, gp.queueHealth().pending)
                runBlocking {
                    assertFailsWith<GridPatrolException.NotEnrolled> { gp.syncNow(5_000uL) }
                    val deviceId = gp.enroll("TEST", "kotlin test phone")
                    assertTrue(deviceId.isNotBlank())
                }
                val listener = RecordingListener()
                gp.setSyncListener(listener)
                val summary = runBlocking { gp.syncNow(30_000uL) }
                assertEquals(1u, summary.delivered)
                assertEquals(0u, summary.pending)
                assertTrue(summary.bytesSent > 0uL)

                val health = gp.queueHealth()
                assertEquals(0u, health.pending)
                assertEquals(1u, health.delivered)
                assertTrue(health.parked.isEmpty())
                assertNotNull(health.lastSuccessAtMs)
                assertEquals(OutboxState.DELIVERED, gp.queue().single { it.reportId == reportId }.state)

                val events = listener.events.map { it.event }
                assertEquals(SyncEvent.STARTED, events.first())
                assertEquals(SyncEvent.FINISHED, events.last())
                assertTrue(SyncEvent.PHOTO_PROGRESS in events, "photo progress reported: $events")
                assertEquals(reportId, listener.events.single { it.event == SyncEvent.REPORT_DELIVERED }.reportId)

                // The background loop starts and stops from Kotlin.
                gp.startBackgroundSync(1_000uL).use { it.stop() }
            } finally {
                process.destroy()
                process.waitFor(10, TimeUnit.SECONDS)
            }
        }
    },
)

// Cancelling a coroutine running syncNow aborts every upload it started: the bytes that still
// reach the platform after cancelAndJoin are measured through a throttling proxy (1 MB/s).
package gridpatrol.tests

import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.time.Duration
import java.util.concurrent.atomic.AtomicLong
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.GlobalScope
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import uniffi.gridpatrol_core.Datum
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.LocationProvider
import uniffi.gridpatrol_core.OutboxState
import uniffi.gridpatrol_core.PhotoKind
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_core.SubmitOutcome
import uniffi.gridpatrol_core.WarningResponse
import uniffi.gridpatrol_ffi.GridPatrol

/** A TCP proxy to `target` forwarding what the device sends at about `bytesPerS`, counted. */
private class ThrottlingProxy(target: URI, bytesPerS: Long) : AutoCloseable {
    val sent = AtomicLong()
    private val server = ServerSocket().apply {
        receiveBufferSize = 16 * 1024
        bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
    }
    val url = "http://127.0.0.1:${server.localPort}"

    init {
        thread(isDaemon = true) {
            while (!server.isClosed) {
                val device = try { server.accept() } catch (e: Exception) { break }
                val platform = Socket(target.host, target.port)
                thread(isDaemon = true) {
                    val buf = ByteArray(4096)
                    try {
                        val input = device.getInputStream()
                        val output = platform.getOutputStream()
                        while (true) {
                            val n = input.read(buf)
                            if (n < 0) break
                            Thread.sleep(n * 1000L / bytesPerS)
                            output.write(buf, 0, n)
                            sent.addAndGet(n.toLong())
                        }
                    } catch (e: Exception) {
                    } finally {
                        runCatching { platform.shutdownOutput() }
                    }
                }
                thread(isDaemon = true) {
                    try { platform.getInputStream().copyTo(device.getOutputStream()) } catch (e: Exception) {}
                    runCatching { device.close() }
                }
            }
        }
    }

    override fun close() = server.close()
}

val cancelTests = listOf(
    test("cancelling syncNow stops its photo uploads within a chunk") {
        GridPatrol.open(freshDataDir("cancel"), testKeys).use { gp ->
            val reporter = Reporter(reporterId = "insp-kotlin-cancel", role = Role.INSPECTOR, gridIds = emptyList())
            // One report with eight photos, so its uploads go on for seconds at 1 MB/s.
            val draft = gp.createDraft(reporter, null)
            gp.setEvent(draft.id, "03-001", "03-001-01")
            gp.setLocation(
                draft.id,
                LocationFix(
                    lat = 31.3, lon = 120.62, accuracyM = 6.0, fixTimeMs = System.currentTimeMillis(),
                    provider = LocationProvider.GPS, isMock = false, datum = Datum.WGS84,
                ),
            )
            for (p in 0 until 8) gp.addPhoto(draft.id, testJpeg(1600 + p, 1200), PhotoKind.EVIDENCE)
            gp.setDescription(draft.id, "消防通道被占用")
            val warnings = gp.validateDraft(draft.id).warnings.map { it.code }
            val id = assertIs<SubmitOutcome.Submitted>(gp.submit(draft.id, WarningResponse(warnings, null))).reportId
            withPlatform { url ->
                ThrottlingProxy(URI(url), 1_000_000).use { proxy ->
                    gp.configureSync(proxy.url)
                    gp.enroll("TEST", "kotlin cancel phone")
                    val before = proxy.sent.get()
                    val job = GlobalScope.launch { gp.syncNow(Duration.ofSeconds(60)) }
                    waitUntil("uploads under way") { proxy.sent.get() > before + 300_000 }
                    job.cancelAndJoin()
                    val atCancel = proxy.sent.get()
                    Thread.sleep(3_000)
                    val after = proxy.sent.get() - atCancel
                    println("  bytes sent after cancelAndJoin: $after (before it: ${atCancel - before})")
                    // Three upload slots, each with at most one 256 KiB chunk in flight.
                    assertTrue(after <= 3L * (256 * 1024 + 1024), "$after bytes reached the platform after the cancel")
                    assertEquals(OutboxState.PENDING, gp.queue().single { it.reportId == id }.state)
                }
            }
        }
    },
)

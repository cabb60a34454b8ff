// Sync through the state holders: offline capture, the network coming back, a scheduled run
// inside its window, the outbox screen following along, and a cancelled run losing nothing.
package cn.gridpatrol.app

import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.time.Duration
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeout
import uniffi.gridpatrol_core.OutboxState
import uniffi.gridpatrol_ffi.GridPatrolException

/** Everything a phone's app process holds for sync: the capture rig plus runner and outbox. */
class SyncRig(
    val rig: CaptureRig,
    platformUrl: String,
    online: Boolean,
    tlsPins: List<String> = emptyList(),
) {
    val network = FakeNetwork(online)
    val sync = SyncRunner(
        rig.app, rig.scope,
        SyncSettings(platformUrl = platformUrl, enrollmentCode = "TEST", deviceName = "app-test-phone", tlsPins = tlsPins),
        network, rig.scheduler,
    )
    val outbox = OutboxController(rig.app, rig.scope, sync)

    init {
        rig.app.followNetwork(network)
        sync.followNetwork()
        outbox.start()
    }
}

/**
 * A TCP relay that passes the device's bytes to the platform at about `bytesPerS`: slow enough
 * that a sync is still uploading when the test cancels it.
 */
class SlowLink(target: String, private val bytesPerS: Long) : AutoCloseable {
    private val to = URI(target)
    private val listener = ServerSocket().apply { bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0)) }
    val url = "http://127.0.0.1:${listener.localPort}"

    init {
        thread(isDaemon = true, name = "slow-link") {
            while (true) {
                val device = runCatching { listener.accept() }.getOrNull() ?: break
                val platform = Socket(to.host, to.port)
                pump(device, platform, throttled = true)
                pump(platform, device, throttled = false)
            }
        }
    }

    private fun pump(from: Socket, to: Socket, throttled: Boolean) = thread(isDaemon = true) {
        val buf = ByteArray(2048)
        try {
            val input = from.getInputStream()
            val output = to.getOutputStream()
            while (true) {
                val n = input.read(buf)
                if (n < 0) break
                if (throttled) Thread.sleep(n * 1000L / bytesPerS)
                output.write(buf, 0, n)
            }
        } catch (_: Exception) {
        } finally {
            runCatching { to.shutdownOutput() }
        }
    }

    override fun close() = listener.close()
}

val syncTests = listOf(
    appTest("a day offline, then the network comes back: the scheduled run drains the outbox") {
        Platform().use { platform ->
            val s = SyncRig(CaptureRig.open(freshDir("day")), platform.url, online = false)
            try {
                val ids = listOf("早上：消防通道被占", "中午：车辆仍在", "下午：已劝离一辆").map { text ->
                    s.rig.location.set(s.rig.location.fixAt(LAT, LON))
                    s.rig.captureFireLane(text)
                }
                val queued = s.outbox.state.awaitState("3 pending") { it.loaded && it.pending == 3 }
                assertEquals(0, queued.delivered)
                assertIs<SyncResult.Offline>(s.sync.runNow(), "offline: no run is attempted")
                assertEquals(3, s.rig.app.call { it.queueHealth() }.pending)

                val askedBefore = s.rig.scheduler.soon.get()
                s.network.set(online = true)
                waitFor("the runner asks the scheduler when the network returns") { s.rig.scheduler.soon.get() > askedBefore }
                // WorkManager's window is 10 minutes.
                val result = assertIs<SyncResult.Done>(s.sync.runScheduled(Duration.ofMinutes(10)))
                assertEquals(3, result.summary.deliveredThisRun)
                assertEquals(0, result.summary.pending)
                val drained = s.outbox.state.awaitState("the outbox screen shows the run") {
                    it.pending == 0 && it.delivered == 3 && it.lastRun is SyncResult.Done
                }
                assertNotNull(drained.lastSuccessAtMs)
                assertTrue(drained.parked.isEmpty())
                val states = s.rig.app.call { it.queue() }.associate { it.reportId to it.state }
                for (id in ids) assertEquals(OutboxState.DELIVERED, states[id], "state of $id")
            } finally {
                kill(s.rig.scope, s.rig.app)
            }
        }
    },
    appTest("a misconfigured TLS pin is a message on the screen, and the report stays queued") {
        Platform().use { platform ->
            val s = SyncRig(CaptureRig.open(freshDir("pins")), platform.url, online = true, tlsPins = listOf("sha256/short"))
            try {
                s.rig.location.set(s.rig.location.fixAt(LAT, LON))
                val id = s.rig.captureFireLane("消防通道被占")
                val failed = assertIs<SyncResult.Failed>(s.sync.runNow())
                assertEquals("invalid_tls_pins", failed.message.code)
                assertEquals(OutboxState.PENDING, s.rig.app.call { it.queue() }.single { it.reportId == id }.state)
                // What the worker reads when the platform's certificate matches no pin.
                val mismatch = userMessage(GridPatrolException.TlsPinMismatch())
                assertEquals("tls_pin_mismatch", mismatch.code)
                assertTrue(mismatch.zh.contains("保留") && mismatch.en.contains("nothing is lost"), "$mismatch")
            } finally {
                kill(s.rig.scope, s.rig.app)
            }
        }
    },
    appTest("cancelling a running sync stops it; the next run delivers every report once") {
        Platform().use { platform ->
            SlowLink(platform.url, bytesPerS = 256 * 1024).use { link ->
                val s = SyncRig(CaptureRig.open(freshDir("cancel")), link.url, online = true)
                try {
                    repeat(4) { n ->
                        s.rig.location.set(s.rig.location.fixAt(LAT + n * 0.01, LON))
                        s.rig.captureFireLane("第 ${n + 1} 次")
                    }
                    val run = s.rig.scope.async { s.sync.runNow() }
                    // Cancel once photo bytes are moving.
                    withTimeout(60_000) { s.rig.app.core.syncProgressFlow().first { it.bytesSent > 0 } }
                    s.sync.cancel()
                    assertIs<SyncResult.Cancelled>(run.await())
                    val left = s.rig.app.call { it.queueHealth() }
                    assertTrue(left.pending > 0, "cancelled mid-upload: something is still pending")
                    assertEquals(4, left.pending + left.delivered, "nothing lost, nothing parked")

                    val again = assertIs<SyncResult.Done>(s.sync.runNow())
                    assertEquals(0, again.summary.pending)
                    assertEquals(4, again.summary.delivered)
                } finally {
                    kill(s.rig.scope, s.rig.app)
                }
            }
        }
    },
)

/** Polls `done` every 20 ms, for at most 20 s (a failure guard, not a measurement). */
fun waitFor(what: String, done: () -> Boolean) {
    val until = System.nanoTime() + 20_000_000_000L
    while (!done()) {
        check(System.nanoTime() < until) { "timed out: $what" }
        Thread.sleep(20)
    }
}

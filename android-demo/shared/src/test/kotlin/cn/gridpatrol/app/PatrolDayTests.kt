// A patrol day through the state holders: the patrol recorder fed by the location source (with
// a screen-locked gap and one impossible jump), a report captured on the way, the figures read
// back, then the network returns and the outbox drains; and a patrol that outlives its process.
package cn.gridpatrol.app

import java.time.Duration
import kotlin.math.cos
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import uniffi.gridpatrol_core.LocationFix

/** A walk east along a street at 1.3 m/s, one fix every 5 s, starting `startMs`. */
fun walk(location: FakeLocation, startMs: Long, fixes: Int, fromIndex: Int = 0): List<LocationFix> =
    (0 until fixes).map { i ->
        val n = fromIndex + i
        val metresEast = n * 5 * 1.3
        location.fixAt(LAT, LON + metresEast / (111_320.0 * cos(Math.toRadians(LAT)))).copy(fixTimeMs = startMs + n * 5_000L)
    }

/** Waits until the core has judged `n` fixes of the patrol (kept or refused). */
suspend fun PatrolController.awaitJudged(app: AppCore, id: String, n: Long) {
    val until = System.nanoTime() + 30_000_000_000L
    while (true) {
        val counts = app.core.patrolSummary(id).counts
        if ((counts.kept.toLong() + counts.refused) >= n) return
        check(System.nanoTime() < until) { "the recorder judged ${counts.kept} + ${counts.refused} of $n fixes" }
        Thread.sleep(20)
    }
}

val patrolDayTests = listOf(
    appTest("a patrol with a gap and a jump, a report on the way, figures, then the outbox drains") {
        Platform().use { platform ->
            val s = SyncRig(CaptureRig.open(freshDir("patrol-day")), platform.url, online = false)
            val patrol = PatrolController(s.rig.app, s.rig.scope, inspector, s.rig.location)
            try {
                patrol.start().join()
                val id = assertNotNull(patrol.state.value.patrolId)
                assertTrue(patrol.state.value.active)
                val t0 = System.currentTimeMillis() + 1_000
                // 20 fixes (95 s), then the screen locks for a minute, then 20 more.
                val morning = walk(s.rig.location, t0, 20)
                val afterGap = walk(s.rig.location, t0 + 60_000, 20, fromIndex = 20)
                morning.forEach(s.rig.location::emit)
                // One fix 2 km away, 5 s after the last: 400 m/s, an impossible jump.
                s.rig.location.emit(s.rig.location.fixAt(LAT + 0.018, LON).copy(fixTimeMs = morning.last().fixTimeMs + 5_000))
                afterGap.forEach(s.rig.location::emit)
                patrol.awaitJudged(s.rig.app, id, 41)

                // A report captured on the patrol is linked to it.
                s.rig.clock.now = System.currentTimeMillis()
                s.rig.location.set(s.rig.location.fixAt(LAT, LON))
                val reportId = s.rig.captureFireLane("巡查途中发现消防通道被占")

                patrol.stop().join()
                val summary = assertNotNull(patrol.state.value.summary)
                assertTrue(!patrol.state.value.active)
                assertEquals(40uL, summary.counts.kept)
                assertEquals(1uL, summary.counts.jump)
                assertEquals(1, summary.gaps.size, "the screen-locked minute is one gap: ${summary.gaps}")
                assertTrue(summary.gaps.single().length >= Duration.ofSeconds(60))
                // 39 steps of 6.5 m, minus the one across the gap, which is never bridged.
                assertTrue(summary.distanceM in 230.0..260.0, "walked ${summary.distanceM} m")
                assertTrue(reportId in summary.linkedReports, "the report is linked to the patrol")

                s.network.set(online = true)
                val done = assertIs<SyncResult.Done>(s.sync.runScheduled(Duration.ofMinutes(10)))
                assertEquals(1, done.summary.delivered)
                assertEquals(0, done.summary.pending)
            } finally {
                kill(s.rig.scope, s.rig.app)
            }
        }
    },
    appTest("a patrol outlives its process: a new recorder resumes it and goes on") {
        val dir = freshDir("patrol-resume")
        val first = CaptureRig.open(dir)
        val t0 = System.currentTimeMillis() + 1_000
        val id = try {
            val patrol = PatrolController(first.app, first.scope, inspector, first.location)
            patrol.start().join()
            val id = assertNotNull(patrol.state.value.patrolId)
            walk(first.location, t0, 10).forEach(first.location::emit)
            patrol.awaitJudged(first.app, id, 10)
            patrol.onBackground().join()
            id
        } finally {
            kill(first.scope, first.app)
        }
        val second = CaptureRig.open(dir)
        try {
            val patrol = PatrolController(second.app, second.scope, inspector, second.location)
            patrol.resume().join()
            assertEquals(id, patrol.state.value.patrolId)
            assertTrue(patrol.state.value.active)
            walk(second.location, t0, 5, fromIndex = 10).forEach(second.location::emit)
            patrol.awaitJudged(second.app, id, 15)
            patrol.stop().join()
            assertEquals(15uL, assertNotNull(patrol.state.value.summary).counts.kept)
        } finally {
            kill(second.scope, second.app)
        }
    },
)

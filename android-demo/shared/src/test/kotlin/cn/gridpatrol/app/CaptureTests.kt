// The capture screen's state holder over the real core: a report from search to submit, the fix
// gate, findings in both languages, warnings that must be answered, and process death mid-capture
// (a child JVM killed with SIGKILL) losing nothing.
package cn.gridpatrol.app

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role

val inspector = Reporter(reporterId = "insp-app-01", role = Role.INSPECTOR, gridIds = emptyList())

// 吴中区 (Wuzhong), a street corner.
const val LAT = 31.27
const val LON = 120.62

class CaptureRig(dir: String, val app: AppCore) {
    val clock = FakeClock(System.currentTimeMillis())
    val camera = FakeCamera()
    val location = FakeLocation(clock)
    val scheduler = FakeScheduler()
    val scope = screenScope()
    val capture = CaptureController(app, scope, inspector, camera, location, clock, scheduler)

    companion object {
        suspend fun open(dir: String, keys: HostKeyStore = deviceKeys) = CaptureRig(dir, AppCore.open(dir, keys, Dispatchers.IO))
    }
}

/** One report of "vehicles in the fire lane" through the screen, submitted. */
suspend fun CaptureRig.captureFireLane(description: String): String {
    capture.resume().join()
    capture.search("消防通道").join()
    assertTrue(capture.state.value.hits.any { it.code == "03-001" }, "search finds the fire-lane subtype")
    capture.pick("03-001", "03-001-01").join()
    capture.takePhoto().join()
    location.set(location.fixAt(LAT, LON, accuracyM = 6.0))
    capture.useCurrentFix().join()
    capture.setDescription(description).join()
    val ready = capture.state.value
    assertEquals(FixQuality.GOOD, ready.fixQuality)
    assertTrue(ready.findings!!.errors.isEmpty(), "no errors: ${ready.findings!!.errors.map { it.code }}")
    if (ready.unansweredWarnings.isNotEmpty()) ready.unansweredWarnings.forEach(capture::acknowledge)
    capture.submit().join()
    return assertNotNull(capture.state.value.lastSubmittedId, "submitted: ${capture.state.value.message}")
}

val captureTests = listOf(
    appTest("a report goes from search to the outbox, and a new draft starts") {
        val rig = CaptureRig.open(freshDir("capture"))
        try {
            val id = rig.captureFireLane("三辆车堵住了消防通道")
            val after = rig.capture.state.value
            assertTrue(after.draftId != null && after.draftId != id, "a fresh draft is open")
            assertNull(after.subtypeCode)
            assertEquals(1, rig.scheduler.soon.get(), "a submit asks the scheduler for a sync")
            val queued = rig.app.call { it.queue() }.single()
            assertEquals(id, queued.reportId)
        } finally {
            kill(rig.scope, rig.app)
        }
    },
    appTest("the fix gate holds submit until the fix is usable; findings read in zh and en") {
        val rig = CaptureRig.open(freshDir("gate"))
        try {
            rig.capture.resume().join()
            rig.capture.pick("03-001", "03-001-01").join()
            rig.location.set(rig.location.fixAt(LAT, LON, accuracyM = 350.0))
            rig.capture.useCurrentFix().join()
            val poor = rig.capture.state.value
            assertEquals(FixQuality.NONE, poor.fixQuality)
            assertFalse(poor.canSubmit)
            val tooFew = assertNotNull(poor.findings!!.errors.find { it.code == "photo.too_few" })
            assertTrue(tooFew.text(Language.ZH).contains("照片"))
            assertTrue(tooFew.text(Language.EN).contains("photo"))
            // Submitting anyway is refused by the core and changes nothing.
            rig.capture.submit().join()
            assertNull(rig.capture.state.value.lastSubmittedId)
            assertTrue(rig.app.call { it.queue() }.isEmpty())
            rig.location.set(rig.location.fixAt(LAT, LON, accuracyM = 35.0))
            rig.capture.useCurrentFix().join()
            assertEquals(FixQuality.POOR, rig.capture.state.value.fixQuality)
        } finally {
            kill(rig.scope, rig.app)
        }
    },
    appTest("a warning must be acknowledged before the report goes") {
        val rig = CaptureRig.open(freshDir("warn"))
        try {
            rig.captureFireLane("第一次上报")
            // The same kind of event at the same place minutes later: a possible duplicate.
            rig.capture.pick("03-001", "03-001-01").join()
            rig.capture.takePhoto().join()
            rig.capture.useCurrentFix().join()
            rig.capture.setDescription("又看到一次").join()
            val s = rig.capture.state.value
            assertEquals(listOf("report.possible_duplicate"), s.unansweredWarnings)
            rig.capture.submit().join()
            assertEquals(1, rig.app.call { it.queue() }.size, "an unanswered warning submits nothing")
            assertNotNull(rig.capture.state.value.findings!!.warnings.find { it.code == "report.possible_duplicate" })
            rig.capture.acknowledge("report.possible_duplicate")
            rig.capture.submit().join()
            assertEquals(2, rig.app.call { it.queue() }.size)
        } finally {
            kill(rig.scope, rig.app)
        }
    },
    appTest("a refused photo is a message on the screen, not a crash, and the draft is unchanged") {
        val rig = CaptureRig.open(freshDir("badphoto"))
        val flat = CaptureController(rig.app, rig.scope, inspector, { ByteArray(0) }, rig.location, rig.clock, rig.scheduler)
        try {
            flat.resume().join()
            flat.takePhoto().join()
            val s = flat.state.value
            assertNotNull(s.message)
            assertTrue(s.photos.isEmpty())
            assertFalse(s.busy)
        } finally {
            kill(rig.scope, rig.app)
        }
    },
    appTest("process death mid-capture (SIGKILL) loses nothing: the screen is rebuilt from the core") {
        val dir = freshDir("death")
        val child = ProcessBuilder(
            File(System.getProperty("java.home"), "bin/java").path,
            "-Djna.library.path=" + System.getProperty("jna.library.path"),
            "-cp", System.getProperty("java.class.path"),
            "cn.gridpatrol.app.CaptureChildKt", dir,
        ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val line = BufferedReader(InputStreamReader(child.inputStream)).readLine()
        assertEquals("READY", line, "the child captured half a report")
        child.destroyForcibly()
        assertTrue(child.waitFor(20, TimeUnit.SECONDS))

        val rig = CaptureRig.open(dir)
        try {
            rig.capture.resume().join()
            val s = rig.capture.state.value
            assertEquals("03-001", s.subtypeCode)
            assertEquals("03-001-01", s.problemCode)
            assertEquals(1, s.photos.size, "the photo taken before the kill is on the draft")
            assertEquals("半路被杀掉的上报", s.description)
            assertEquals(1, rig.app.call { it.drafts() }.size, "resume picked the draft up, made no other")
        } finally {
            kill(rig.scope, rig.app)
        }
    },
)

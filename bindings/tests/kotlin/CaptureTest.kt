// Capture through the bindings: a full report with a real JPEG, a validation failure read in
// Chinese and English, submit, and the report found again by a new instance on the same data.
package gridpatrol.tests

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO
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
import uniffi.gridpatrol_core.PhotoPruneSummary
import uniffi.gridpatrol_core.PhotoRetention
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_core.SubmitOutcome
import uniffi.gridpatrol_core.WarningResponse
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.PhotoProblem

/** A camera-like JPEG made on the JVM: a gradient with texture, 1600×1200. */
fun testJpeg(width: Int = 1600, height: Int = 1200): ByteArray {
    val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
    for (y in 0 until height) for (x in 0 until width) {
        val v = (x * 7 + y * 13) xor (x * y / 97)
        image.setRGB(x, y, ((v % 251) shl 16) or ((v / 3 % 241) shl 8) or ((x + y) % 239))
    }
    val out = ByteArrayOutputStream()
    check(ImageIO.write(image, "jpg", out)) { "the JVM has a JPEG writer" }
    return out.toByteArray()
}

/** A JPEG starts with the SOI marker FF D8 (the photo files on disk are sealed; this is the JPEG). */
fun assertJpeg(bytes: ByteArray, what: String) {
    assertTrue(bytes.size > 2 && bytes[0] == 0xFF.toByte() && bytes[1] == 0xD8.toByte(), "$what: ${bytes.size} bytes, not a JPEG")
}

private fun gpsFix(accuracy: Double = 6.0) = LocationFix(
    lat = 31.27, lon = 120.62, accuracyM = accuracy, fixTimeMs = System.currentTimeMillis(),
    provider = LocationProvider.GPS, isMock = false, datum = Datum.WGS84,
)

private val inspector = Reporter(reporterId = "insp-kotlin-01", role = Role.INSPECTOR, gridIds = emptyList())

val captureTests = listOf(
    test("a full capture with a real JPEG is submitted and survives a new instance") {
        val dir = freshDataDir("capture")
        val reportId = GridPatrol.open(dir, testKeys).use { gp ->
            val draft = gp.createDraft(inspector, null)
            gp.setEvent(draft.id, "03-001", "03-001-01") // 消防通道堵塞 / vehicles in the fire lane
            gp.setLocation(draft.id, gpsFix())
            val photo = gp.addPhoto(draft.id, testJpeg(), PhotoKind.EVIDENCE)
            assertEquals(64, photo.sha256.length)
            assertEquals(1600u, maxOf(photo.width, photo.height), "1600 px is under the 1920 px limit: kept")
            assertJpeg(gp.photoJpeg(photo.sha256), "the stored photo reads back as a JPEG")
            assertJpeg(gp.thumbnailJpeg(photo.sha256), "its thumbnail too")
            gp.setDescription(draft.id, "三辆车堵住了消防通道")
            assertTrue(gp.validateDraft(draft.id).errors.isEmpty())
            val outcome = gp.submit(draft.id, WarningResponse(acknowledged = emptyList(), overrideReason = null))
            assertIs<SubmitOutcome.Submitted>(outcome).reportId
        }
        GridPatrol.open(dir, testKeys).use { gp ->
            val report = gp.report(reportId)
            assertEquals("03-001", report.subtype)
            assertEquals("三辆车堵住了消防通道", report.content.description)
            val entry = gp.queue().single()
            assertEquals(reportId, entry.reportId)
            assertEquals(OutboxState.PENDING, entry.state)
            assertTrue(gp.drafts().isEmpty())
            // A pending report keeps its photo whatever the retention.
            val pruned = gp.prunePhotos(PhotoRetention(deliveredPhotoDays = 0))
            assertEquals(PhotoPruneSummary(photosRemoved = 0u, thumbsRemoved = 0u, bytesFreed = 0uL), pruned)
            assertJpeg(gp.photoJpeg(report.content.photos.single().sha256), "the kept photo reads back after a reopen")
        }
    },
    test("a validation failure reads in Chinese and English, and blocks submit") {
        GridPatrol.open(freshDataDir("invalid"), testKeys).use { gp ->
            val draft = gp.createDraft(inspector, null)
            gp.setEvent(draft.id, "03-001", "03-001-01")
            gp.setLocation(draft.id, gpsFix(accuracy = 350.0))
            val report = gp.validateDraft(draft.id)
            val tooFew = assertNotNull(report.errors.find { it.code == "photo.too_few" })
            assertTrue(tooFew.messageZh.contains("照片"), tooFew.messageZh)
            assertTrue(tooFew.messageEn.contains("photo"), tooFew.messageEn)
            val inaccurate = assertNotNull(report.errors.find { it.code == "location.too_inaccurate" })
            assertTrue(inaccurate.messageZh.contains("350"), inaccurate.messageZh)
            val outcome = gp.submit(draft.id, WarningResponse(emptyList(), null))
            assertIs<SubmitOutcome.Rejected>(outcome)
            assertTrue(gp.queue().isEmpty())
        }
    },
    test("bad input is a typed exception and changes nothing") {
        GridPatrol.open(freshDataDir("hostile"), testKeys).use { gp ->
            val draft = gp.createDraft(inspector, null)
            val heic = byteArrayOf(0, 0, 0, 24) + "ftypheic".toByteArray() + ByteArray(64)
            val refused = assertFailsWith<GridPatrolException.PhotoRejected> { gp.addPhoto(draft.id, heic, PhotoKind.EVIDENCE) }
            assertEquals(PhotoProblem.UNSUPPORTED_FORMAT, refused.kind)
            assertFailsWith<GridPatrolException.InvalidArgument> { gp.setLocation(draft.id, gpsFix().copy(lat = Double.NaN)) }
            assertEquals(draft, gp.draft(draft.id))
        }
    },
)

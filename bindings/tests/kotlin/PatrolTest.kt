// Patrols and components through the bindings: a patrol recorded from a fixture of fixes (one
// by one, then a late batch from the OS, with a gap and an impossible jump), the Wuzhong sample
// grid and component packages installed, a street-lamp report captured on the patrol naming
// the nearest lamp, synced to a real `gridpatrol serve` (the track with it, its figures read back
// from the platform), and the patrol's figures read back.
// Bad input is a typed error that changes nothing; the open patrol is found after a reopen.
package gridpatrol.tests

import java.io.File
import java.time.Duration
import java.util.concurrent.TimeUnit
import kotlin.math.cos
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.assertIs
import uniffi.gridpatrol_core.Datum
import uniffi.gridpatrol_core.FixVerdict
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.LocationProvider
import uniffi.gridpatrol_core.OutboxState
import uniffi.gridpatrol_core.PatrolState
import uniffi.gridpatrol_core.PhotoKind
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_core.SegmentStart
import uniffi.gridpatrol_core.SubmitOutcome
import uniffi.gridpatrol_core.TravelMode
import uniffi.gridpatrol_core.WarningResponse
import uniffi.gridpatrol_ffi.ComponentProblem
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.PatrolProblem

/** The Wuzhong sample grid and component packages, as `gridpatrol component install` writes them. */
class SamplePackages(val grids: String, val components: ByteArray)

val samplePackages: SamplePackages by lazy {
    val bin = System.getProperty("gridpatrol.bin") ?: error("-Dgridpatrol.bin is not set (run scripts/kotlin-tests.sh)")
    val dir = File(freshDataDir("sample-packages"))
    val process = ProcessBuilder(bin, "component", "install", "--data", dir.path, "--json")
        .redirectErrorStream(true).start()
    val output = process.inputStream.bufferedReader().readText()
    check(process.waitFor(120, TimeUnit.SECONDS) && process.exitValue() == 0) { "component install failed: $output" }
    SamplePackages(File(dir, "grids.geojson").readText(), File(dir, "components.geojson").readBytes())
}

/** The first street lamp (type 01037) of the sample package: (lat, lon). */
fun firstSampleLamp(): Pair<Double, Double> {
    val text = samplePackages.components.toString(Charsets.UTF_8)
    val feature = Regex(""""coordinates":\[([0-9.]+),([0-9.]+)\]\},"properties":\{[^}]*"type_code":"01037"""")
        .find(text) ?: error("no lamp in the sample package")
    return feature.groupValues[2].toDouble() to feature.groupValues[1].toDouble()
}

private const val METRES_PER_DEGREE_LAT = 111_320.0

private fun fixAt(lat: Double, lon: Double, timeMs: Long, accuracy: Double = 5.0) = LocationFix(
    lat = lat, lon = lon, accuracyM = accuracy, fixTimeMs = timeMs,
    provider = LocationProvider.GPS, isMock = false, datum = Datum.WGS84,
)

/**
 * A walk north at 1.2 m/s, one fix a second, starting 60 m south of (lat, lon): seconds 1..60
 * fixed live, a 30 s silence (the screen locked), then seconds 91..150 delivered late by the OS
 * in one batch, one of which (second 120) is 2 km off to the east: an impossible jump.
 */
class WalkFixture(lat: Double, private val lon: Double, private val startMs: Long) {
    private val metresPerDegreeLon = METRES_PER_DEGREE_LAT * cos(Math.toRadians(lat))
    private val southLat = lat - 60.0 / METRES_PER_DEGREE_LAT
    private fun at(second: Int, eastM: Double = 0.0) =
        fixAt(southLat + 1.2 * second / METRES_PER_DEGREE_LAT, lon + eastM / metresPerDegreeLon, startMs + second * 1000L)

    val live: List<LocationFix> = (1..60).map { at(it) }
    val lateBatch: List<LocationFix> = (91..150).map { if (it == 120) at(it, eastM = 2000.0) else at(it) }
    /** Walked metres of the kept fixes: 59 steps before the gap and 59 after it (the jump dropped). */
    val walkedM = (59 + 59) * 1.2
    /** The fix at the lamp's latitude (second 50 of the walk). */
    val atLamp: LocationFix = at(50)
}

val patrolTests = listOf(
    test("a patrol with a gap and a jump, a report naming the nearest lamp, synced; figures read back") {
        val (lampLat, lampLon) = firstSampleLamp()
        GridPatrol.open(freshDataDir("patrol"), testKeys).use { gp ->
            val counts = gp.installGridPackage(samplePackages.grids)
            assertTrue(counts.level3 > 0)
            val info = gp.installComponentPackage(samplePackages.components, null)
            assertTrue(info.components > 10_000u, "the sample package holds tens of thousands: ${info.components}")
            assertEquals(info, gp.componentPackageInfo())

            val ownGrid = gp.locate(lampLat, lampLon).last().id
            val reporter = Reporter(reporterId = "insp-kotlin-patrol", role = Role.INSPECTOR, gridIds = listOf(ownGrid))
            val patrol = gp.startPatrol(reporter, TravelMode.WALKING, Duration.ofSeconds(1))
            assertEquals(PatrolState.ACTIVE, patrol.state)
            assertEquals(Duration.ofSeconds(1), patrol.expectedInterval)
            assertEquals(patrol.id, gp.openPatrol()?.id)

            val walk = WalkFixture(lampLat, lampLon, patrol.startedAtMs)
            for (fix in walk.live) {
                assertEquals(FixVerdict.KEPT, gp.patrolFix(patrol.id, fix).verdict)
            }
            val duplicate = gp.patrolFix(patrol.id, walk.live.last())
            assertEquals(FixVerdict.DUPLICATE, duplicate.verdict)
            assertNull(duplicate.seq)
            val batch = gp.patrolFixes(patrol.id, walk.lateBatch)
            assertEquals(59uL, batch.counts.kept)
            assertEquals(1uL, batch.counts.jump)
            assertEquals(119uL, batch.durablePoints, "a batch from the OS is committed before the call returns")

            // The capture screen offers the nearest lamp; the report carries its id.
            val nearest = gp.nearestComponents(walk.atLamp.lat, walk.atLamp.lon, listOf("01037"), 50.0, 5)
            assertTrue(nearest.isNotEmpty(), "a lamp within 50 m")
            assertTrue(nearest.zipWithNext().all { (a, b) -> a.distanceM <= b.distanceM }, "nearest first")
            val lamp = nearest.first()
            assertEquals("01037", lamp.typeCode)
            assertTrue(lamp.id.startsWith("320506-LD-"), lamp.id)
            assertTrue(lamp.distanceM < 5.0, "the walk passes the lamp: ${lamp.distanceM} m")

            val draft = gp.createDraft(reporter, null)
            gp.setEvent(draft.id, "04-004", "04-004-01")
            gp.setLocation(draft.id, walk.atLamp.copy(fixTimeMs = System.currentTimeMillis()))
            gp.setAttribute(draft.id, "lamp_state", "all_out")
            gp.setComponent(draft.id, lamp.id)
            gp.addPhoto(draft.id, testJpeg(800, 600), PhotoKind.EVIDENCE)
            gp.setDescription(draft.id, "路灯整晚不亮")
            val validation = gp.validateDraft(draft.id)
            assertTrue(validation.errors.isEmpty(), "valid: ${validation.errors.map { it.code }}")
            val outcome = gp.submit(
                draft.id, WarningResponse(acknowledged = validation.warnings.map { it.code }, overrideReason = null),
            )
            val reportId = assertIs<SubmitOutcome.Submitted>(outcome).reportId
            assertEquals(lamp.id, gp.report(reportId).content.componentId)

            val stopped = gp.stopPatrol(patrol.id)
            assertEquals(PatrolState.STOPPED, stopped.state)
            assertNull(gp.openPatrol())

            withServedPlatform { served ->
                gp.configureSync(served.url)
                gp.enroll("TEST", "kotlin patrol phone")
                val run = gp.syncNow(Duration.ofSeconds(30))
                assertEquals(1, run.deliveredThisRun)
                // The track went in the same run, each point once; the platform's figures are
                // the device's (the same core function on the same points).
                assertEquals(119L, run.trackPointsSent)
                assertEquals(0, run.patrolsWaiting)
                val (status, body) = adminGet(served, "/v1/patrols/${patrol.id}")
                assertEquals(200, status, body)
                assertTrue(body.contains(""""state":"stopped""""), body)
                assertTrue(body.contains(""""points":119,"""), body)
                val platformDistance = Regex(""""distance_m":([0-9.]+)""").find(body)?.groupValues?.get(1)?.toDouble()
                assertNotNull(platformDistance, body)
                assertEquals(gp.patrolSummary(patrol.id).distanceM, platformDistance, 1e-6)
                // The report's claim, signed at submit by the core, verified by the platform.
                val (listed, reports) = adminGet(served, "/v1/admin/reports?limit=10")
                assertEquals(200, listed, reports)
                assertTrue(reports.contains(""""report_id":"$reportId""""), reports)
                assertTrue(reports.contains(""""verdict":"verified""""), reports)
                assertTrue(reports.contains(""""chain":"first""""), reports)
            }
            assertEquals(OutboxState.DELIVERED, gp.queue().single { it.reportId == reportId }.state)

            val summary = gp.patrolSummary(patrol.id)
            assertEquals(PatrolState.STOPPED, summary.state)
            assertEquals(119uL, summary.points)
            assertEquals(2uL, summary.segments, "the gap splits the track")
            assertTrue(
                Math.abs(summary.distanceM - walk.walkedM) < walk.walkedM * 0.05,
                "distance ${summary.distanceM} m, walked ${walk.walkedM} m: the gap is not bridged, the jump not walked",
            )
            val gap = summary.gaps.single()
            assertEquals(patrol.startedAtMs + 60_000, gap.startMs)
            assertEquals(patrol.startedAtMs + 91_000, gap.endMs)
            assertEquals(Duration.ofSeconds(31), gap.length)
            assertEquals(Duration.ofSeconds(31), summary.gapTotal)
            assertEquals(1uL, summary.counts.jump)
            assertEquals(1uL, summary.counts.duplicate)
            assertEquals(119uL, summary.counts.kept)
            assertEquals(listOf(reportId), summary.linkedReports)
            assertEquals(ownGrid, summary.coverage.single().gridId)
            assertTrue((summary.coverage.single().share ?: 0.0) > 0.0, "the walk covers part of its grid")
            assertTrue(summary.speedAnomalies.isEmpty(), "a walk at 1.2 m/s is no anomaly")

            // The track for display: fewer points on a straight walk, the gap still a break.
            val track = gp.patrolTrack(patrol.id, 5.0)
            assertTrue(track.size < 20, "a straight walk simplifies to a few points: ${track.size}")
            assertEquals(SegmentStart.FIRST, track.first().starts)
            assertEquals(1, track.count { it.starts == SegmentStart.GAP })
            assertEquals(setOf(0u, 1u), track.map { it.segment }.toSet())
        }
    },
    test("bad fixes and bad packages are typed errors that change nothing; a patrol survives a reopen") {
        val dir = freshDataDir("patrol-errors")
        val reporter = Reporter(reporterId = "insp-kotlin-patrol-2", role = Role.INSPECTOR, gridIds = emptyList())
        val patrolId = GridPatrol.open(dir, testKeys).use { gp ->
            val patrol = gp.startPatrol(reporter, TravelMode.CYCLING, Duration.ofSeconds(2))
            val t = patrol.startedAtMs + 1_000
            gp.patrolFix(patrol.id, fixAt(31.27, 120.62, t))
            val notFinite = assertFailsWith<GridPatrolException.PatrolRefused> {
                gp.patrolFix(patrol.id, fixAt(Double.NaN, 120.62, t + 1_000))
            }
            assertEquals(PatrolProblem.FIX_NOT_FINITE, notFinite.problem)
            assertEquals("fix_not_finite", notFinite.code)
            val future = assertFailsWith<GridPatrolException.PatrolRefused> {
                gp.patrolFixes(patrol.id, listOf(fixAt(31.27, 120.62, t + 2_000), fixAt(31.27, 120.62, t + 3_600_000)))
            }
            assertEquals(PatrolProblem.FIX_IN_FUTURE, future.problem)
            assertEquals(1uL, gp.openPatrol()?.counts?.kept, "a refused batch keeps none of its fixes")
            val stillOpen = assertFailsWith<GridPatrolException.PatrolRefused> {
                gp.startPatrol(reporter, TravelMode.WALKING, Duration.ofSeconds(1))
            }
            assertEquals(PatrolProblem.PATROL_STILL_OPEN, stillOpen.problem)
            assertFailsWith<GridPatrolException.InvalidArgument> {
                gp.startPatrol(reporter, TravelMode.WALKING, Duration.ZERO)
            }
            assertEquals(PatrolProblem.PATROL_UNKNOWN, assertFailsWith<GridPatrolException.PatrolRefused> {
                gp.patrolFix("no-such-patrol", fixAt(31.27, 120.62, t + 4_000))
            }.problem)
            assertEquals(PatrolState.PAUSED, gp.pausePatrol(patrol.id).state)
            assertEquals(PatrolProblem.ALREADY_IN_STATE, assertFailsWith<GridPatrolException.PatrolRefused> {
                gp.pausePatrol(patrol.id)
            }.problem)
            assertFailsWith<GridPatrolException.InvalidArgument> { gp.patrolTrack(patrol.id, Double.NaN) }

            // A component package with two features of one id is refused whole.
            val feature = """{"type":"Feature","geometry":{"type":"Point","coordinates":[120.62,31.27]},""" +
                """"properties":{"id":"320506-LD-99999","type_code":"01037","name":"路灯","managing_department":"d",""" +
                """"owning_unit":"o","maintenance_unit":"m"}}"""
            val duplicated = """{"type":"FeatureCollection","gridpatrol":{"kind":"components","version":"t1",""" +
                """"datum":"wgs84"},"features":[$feature,$feature]}"""
            val rejected = assertFailsWith<GridPatrolException.ComponentPackageRejected> {
                gp.installComponentPackage(duplicated.toByteArray(), null)
            }
            assertEquals(ComponentProblem.DUPLICATE_ID, rejected.problem)
            assertEquals("component.duplicate_id", rejected.code)
            assertEquals("320506-LD-99999", rejected.componentId)
            assertNull(gp.componentPackageInfo(), "nothing installed")
            val hashMismatch = assertFailsWith<GridPatrolException.ComponentPackageRejected> {
                gp.installComponentPackage(samplePackages.components, "0".repeat(64))
            }
            assertEquals(ComponentProblem.HASH_MISMATCH, hashMismatch.problem)
            assertTrue(gp.nearestComponents(31.27, 120.62, emptyList(), 100.0, 5).isEmpty(), "no package: no hits")
            assertFailsWith<GridPatrolException.InvalidArgument> {
                gp.nearestComponents(31.27, 120.62, emptyList(), 100.0, -1)
            }
            assertFailsWith<GridPatrolException.InvalidArgument> {
                gp.nearestComponents(Double.NaN, 120.62, emptyList(), 100.0, 5)
            }
            patrol.id
        }
        GridPatrol.open(dir, testKeys).use { gp ->
            val open = assertNotNull(gp.openPatrol(), "the paused patrol is found after a relaunch")
            assertEquals(patrolId, open.id)
            assertEquals(PatrolState.PAUSED, open.state)
            assertEquals(TravelMode.CYCLING, open.mode)
            assertEquals(Duration.ofSeconds(2), open.expectedInterval)
            assertEquals(PatrolState.ACTIVE, gp.resumePatrol(patrolId).state)
            gp.flushPatrol()
            assertEquals(PatrolState.STOPPED, gp.stopPatrol(patrolId).state)
            assertEquals(PatrolProblem.PATROL_STOPPED, assertFailsWith<GridPatrolException.PatrolRefused> {
                gp.patrolFix(patrolId, fixAt(31.27, 120.62, System.currentTimeMillis()))
            }.problem)
            assertEquals(1uL, gp.patrolSummary(null).points)
        }
    },
)
